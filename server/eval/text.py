"""Words, crude stems and the one matching rule the metrics share.

The rule is deliberately simple so that anyone can check a score by hand:

* text is lower-cased, apostrophes dropped, and split into words of letters and digits;
* stop words (articles, pronouns, auxiliaries, very common verbs) are dropped;
* each remaining word is stemmed by stripping one common suffix (``-ing``, ``-ed``, ``-s``,
  ``-ness``, ``-ity``, ...);
* two stems match when they are equal, or when both have at least five letters and share
  their first five ("curiosity" / "curious", "organised" / "organized").
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def word_set(block: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(block.split())


STOPWORDS = word_set(
    """
    a an the and or but if then so of to in on at for from with about as by into over under
    up down out off than too very just really also only ever never not no nor yes is are was
    were be been being am do does did doing done have has had having can could would will
    shall should may might must i me my mine myself you your yours yourself we us our ours
    they them their theirs he him his she her hers it its this that these those what which
    who whom whose when where why how there here all any both each every some such own same
    other another more most much many lot lots thing things something anything nothing
    way kind sort bit quite pretty rather im ive id ill youre youve youd youll thats
    dont doesnt didnt isnt arent wasnt werent cant wont wouldnt couldnt shouldnt get got
    make made like well one ones say said tell told
    """
)

_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ations", ""),
    ("ation", ""),
    ("ities", ""),
    ("ness", ""),
    ("ments", ""),
    ("ment", ""),
    ("ings", ""),
    ("ing", ""),
    ("ied", "y"),
    ("ies", "y"),
    ("ity", ""),
    ("ed", ""),
    ("ly", ""),
    ("es", ""),
    ("s", ""),
)
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case words, apostrophes dropped ("I'm" -> "im")."""
    flat = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("'", "")
    return _WORD.findall(flat)


def stem(word: str) -> str:
    """Strip one common suffix, keeping at least three letters."""
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


def content_stems(text: str, extra_stopwords: Iterable[str] = ()) -> set[str]:
    """Stems of the words of ``text`` that are not stop words."""
    ignored = STOPWORDS | frozenset(extra_stopwords)
    return {stem(word) for word in words(text) if word not in ignored}


def stems_match(a: str, b: str) -> bool:
    return a == b or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5])


def found_in(needle: str, haystack: Iterable[str]) -> bool:
    return any(stems_match(needle, candidate) for candidate in haystack)


def share_found(needles: set[str], haystack: set[str]) -> float:
    """The share of ``needles`` that match some stem of ``haystack`` (0 when empty)."""
    if not needles:
        return 0.0
    return sum(1 for needle in needles if found_in(needle, haystack)) / len(needles)


def mentions(text: str, phrase: str) -> bool:
    """Whether ``text`` contains every word of ``phrase`` as whole words, in order, adjacent."""
    wanted = words(phrase)
    if not wanted:
        return False
    have = words(text)
    width = len(wanted)
    return any(have[index : index + width] == wanted for index in range(len(have) - width + 1))
