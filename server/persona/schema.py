"""MetaHuman OS's canonical persona ``core.json``: read every known variant, write one shape.

The persona is kept as a plain ``dict`` so that every key we do not own survives untouched, in
its place; the pydantic models below only *validate* the canonical shape (``extra="allow"`` at
every level). :func:`normalize_persona` is the single door: it converts the legacy variants that
MetaHuman itself writes (the generator's ``personality.bigFive`` and top-level ``currentFocus``,
a string ``background``, strings where objects belong, the snake_case tree of its reset
command), fills the canonical skeleton, and refuses impossible shapes with a :class:`CorruptFile`
naming the JSON pointer, what was expected and what was found.

``docs/persona.md`` lists every rule.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Final, Literal, NoReturn

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from server.errors import CorruptFile, ValidationError
from server.persona.draft import TRAITS

PERSONA_VERSION: Final = "1.0.0"
EXTENSION_KEY: Final = "x-personagen"
EXTENSION_SCHEMA_VERSION: Final = 1
GOAL_BUCKETS: Final = ("shortTerm", "midTerm", "longTerm")
# The status a goal gets when it arrives as a bare string (or from an interview), by bucket.
# MetaHuman's prompt formatter keeps only "active" goals, so mid-term goals are "active" too.
GOAL_STATUS: Final = {"shortTerm": "active", "midTerm": "active", "longTerm": "aspirational"}

_FOUND_WIDTH = 80


# ---------------------------------------------------------------------------------------------
# Validation models: the canonical shape. Unknown keys are allowed everywhere.


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


def _project(item: Any) -> Any:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("name", "status", "summary"):
            if key in item and not isinstance(item[key], str | None):
                raise ValueError(f"a string for the project's {key!r}")
        return item
    raise ValueError("a project: a string or an object {name, status, summary}")


def _non_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("a non-empty string")
    return text


Text = Annotated[str, AfterValidator(_non_blank)]
ProjectEntry = Annotated[Any, AfterValidator(_project)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class Identity(_Open):
    name: str | None = None
    role: str | None = None
    purpose: str | None = None
    icon: str | None = None
    human_name: str | None = Field(default=None, alias="humanName")
    email: str | None = None
    aliases: list[str] | None = None


class CommunicationStyle(_Open):
    tone: list[str] = Field(default_factory=list)
    verbosity: str | None = None
    emphasis: str | None = None


class Traits(_Open):
    """Big Five on MetaHuman's 0-1 scale; ``null`` means not known."""

    openness: Score | None = None
    conscientiousness: Score | None = None
    extraversion: Score | None = None
    agreeableness: Score | None = None
    neuroticism: Score | None = None
    notes: str | None = None


class Personality(_Open):
    communication_style: CommunicationStyle = Field(alias="communicationStyle")
    traits: Traits
    archetypes: list[str] = Field(default_factory=list)
    aesthetic: list[str] = Field(default_factory=list)
    interests: list[str] = Field(default_factory=list)


class CoreValue(_Open):
    value: Text
    description: str | None = None
    priority: int | None = Field(default=None, ge=0)
    # MetaHuman's prompt formatter prints ``name``; Personagen writes it equal to ``value``.
    name: str | None = None


class Values(_Open):
    core: list[CoreValue]
    boundaries: list[str]


class Goal(_Open):
    goal: Text
    status: str | None = None
    id: str | int | None = None
    description: str | None = None


class Goals(_Open):
    short_term: list[Goal] = Field(alias="shortTerm")
    mid_term: list[Goal] = Field(alias="midTerm")
    long_term: list[Goal] = Field(alias="longTerm")


class Context(_Open):
    domains: list[str]
    projects: list[ProjectEntry]
    current_focus: list[str] = Field(alias="currentFocus")


class Background(_Open):
    key_experiences: list[Any] = Field(alias="keyExperiences")
    formative_events: list[Any] = Field(alias="formativeEvents")
    narrative: str | None


class WritingStyle(_Open):
    structure: str | None = None
    motifs: list[str] | None = None
    default_mantra: str | None = Field(default=None, alias="defaultMantra")


class ProvenanceRecord(_Open):
    """One written item's evidence, under ``x-personagen.items``."""

    path: str = Field(pattern=r"^/")
    key: str
    session: str
    evidence: list[str]
    confidence: Score
    sensitivity: Literal["none", "personal", "special_category"]


class Extension(_Open):
    """Personagen's extension key ``x-personagen``."""

    schema_version: int = Field(alias="schemaVersion", ge=1)
    sessions: list[str] = Field(default_factory=list)
    items: list[ProvenanceRecord] = Field(default_factory=list)


class PersonaCore(_Open):
    """The canonical ``core.json`` (MetaHuman OS ``PersonaCore`` plus ``x-personagen``)."""

    version: str
    last_updated: str | None = Field(default=None, alias="lastUpdated")
    identity: Identity
    personality: Personality
    values: Values
    goals: Goals
    context: Context
    background: Background
    decision_heuristics: list[Any] = Field(alias="decisionHeuristics")
    writing_style: WritingStyle = Field(alias="writingStyle")
    extension: Extension | None = Field(default=None, alias=EXTENSION_KEY)


# ---------------------------------------------------------------------------------------------
# Public functions


def persona_name(data: dict[str, Any] | None, fallback: str) -> str:
    """How the persona calls its person: ``identity.humanName``, else ``identity.name``."""
    identity = (data or {}).get("identity")
    if isinstance(identity, dict):
        for key in ("humanName", "name"):
            value = identity.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return fallback


def empty_persona() -> dict[str, Any]:
    """The canonical skeleton for a new user: every section present, nothing invented."""
    return {
        "version": PERSONA_VERSION,
        "identity": {"name": "", "role": "", "purpose": ""},
        "personality": {
            "communicationStyle": {"tone": []},
            "traits": {},
            "archetypes": [],
            "aesthetic": [],
            "interests": [],
        },
        "values": {"core": [], "boundaries": []},
        "goals": {"shortTerm": [], "midTerm": [], "longTerm": []},
        "context": {"domains": [], "projects": [], "currentFocus": []},
        "background": {"keyExperiences": [], "formativeEvents": [], "narrative": ""},
        "decisionHeuristics": [],
        "writingStyle": {},
    }


def normalize_persona(data: dict[str, Any], source: str = "core.json") -> dict[str, Any]:
    """Return the canonical form of a persona; ``data`` itself is not modified.

    Legacy variants are read and rewritten in canonical shape, missing sections are filled from
    :func:`empty_persona`, and every key this module does not know is kept as it was.
    Idempotent: ``normalize_persona(normalize_persona(x)) == normalize_persona(x)``.

    Raises :class:`CorruptFile` (message ``"<source>: <JSON pointer>: expected …, found …"``)
    when a known key has an impossible type or an out-of-range value.
    """
    if not isinstance(data, dict):
        _fail(source, (), "a JSON object", data)
    out = copy.deepcopy(data)
    reset_tree = _is_reset_tree(out)
    _read_personality(out, source, reset_tree=reset_tree)
    _read_interest_groups(out, source)
    _read_values(out, source)
    _read_goals(out, source)
    _read_context(out, source)
    _read_background(out, source)
    _fill(out, empty_persona())
    _validate(out, source)
    return out


def parse_persona(text: str, source: str = "core.json") -> dict[str, Any]:
    """Parse ``core.json`` text and normalize it; unparseable text is a :class:`CorruptFile`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorruptFile(
            f"{source}: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        _fail(source, (), "a JSON object", data)
    return normalize_persona(data, source)


def dump_persona(data: dict[str, Any]) -> str:
    """Canonical JSON text: indent 2, UTF-8 characters kept, keys in place, trailing newline."""
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as error:
        raise ValidationError(f"the persona cannot be written as JSON: {error}") from None


def text_key(text: str) -> str:
    """How two texts are compared: case-insensitive, whitespace collapsed."""
    return " ".join(text.split()).casefold()


# Dict items are identified by the first of these keys that holds a non-empty string.
IDENTITY_FIELDS: Final = ("value", "goal", "name")


def item_identity(item: Any) -> str:
    """The identity of a list item, used by merge, dedupe and diff.

    A string is itself (see :func:`text_key`); a value, goal or project object is its
    ``value``/``goal``/``name`` text, so ``"Honesty"`` and ``{"value": "honesty"}`` are the same
    item; anything else is its whole content.
    """
    if isinstance(item, str):
        return "t:" + text_key(item)
    if isinstance(item, dict):
        for field in IDENTITY_FIELDS:
            text = item.get(field)
            if isinstance(text, str) and text.strip():
                return "t:" + text_key(text)
    return "j:" + json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def item_label(item: Any) -> str:
    """A short human label for a list item (its identity text, or compact JSON)."""
    if isinstance(item, str):
        text = item
    elif isinstance(item, dict) and any(
        isinstance(item.get(f), str) and item[f].strip() for f in IDENTITY_FIELDS
    ):
        text = next(item[f] for f in IDENTITY_FIELDS if isinstance(item.get(f), str))
    else:
        text = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return _shorten(" ".join(text.split()), 60)


def union_by_identity(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    """``first`` then the items of ``second`` whose identity is not yet present."""
    out = list(first)
    seen = {item_identity(item) for item in out}
    for item in second:
        identity = item_identity(item)
        if identity not in seen:
            seen.add(identity)
            out.append(item)
    return out


def pointer(tokens: Sequence[str | int]) -> str:
    """RFC 6901 JSON pointer of a path."""
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def split_pointer(text: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON pointer ("" is the whole document)."""
    if text == "":
        return []
    if not text.startswith("/"):
        raise ValidationError(f"expected a JSON pointer starting with '/', found {text!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/")]


# ---------------------------------------------------------------------------------------------
# Legacy readers. Each works in place on the deep copy, and only on keys it knows.

# Keys only MetaHuman's reset command (DEFAULT_PERSONA, snake_case) writes.
_RESET_MARKERS: Final = (
    ("personality", "communication_style"),
    ("personality", "cognitive_patterns"),
    ("values", "core_values"),
    ("values", "ethical_principles"),
    ("goals", "short_term"),
    ("goals", "long_term"),
    ("goals", "aspirations"),
    ("context", "current_projects"),
    ("context", "daily_routine"),
    ("metadata", "created_at"),
)


def _is_reset_tree(data: dict[str, Any]) -> bool:
    for section, key in _RESET_MARKERS:
        part = data.get(section)
        if isinstance(part, dict) and key in part:
            return True
    return False


def _section(
    data: dict[str, Any], key: str, source: str, where: tuple[str | int, ...], expected: str
) -> dict[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        _fail(source, (*where, key), expected, value)
    return value


def _read_personality(data: dict[str, Any], source: str, *, reset_tree: bool) -> None:
    personality = _section(data, "personality", source, (), "an object")
    if personality is None:
        return
    where: tuple[str, ...] = ("personality",)
    if "communication_style" in personality:
        legacy = personality.pop("communication_style")
        if not isinstance(legacy, dict):
            _fail(source, (*where, "communication_style"), "an object", legacy)
        style = personality.setdefault("communicationStyle", {})
        if not isinstance(style, dict):
            _fail(source, (*where, "communicationStyle"), "an object", style)
        for key, value in legacy.items():
            style.setdefault(_camel(key), value)  # the canonical key wins
    style = _section(personality, "communicationStyle", source, where, "an object")
    if style is not None:
        _wrap_text(style, "tone")
    for key in ("archetypes", "aesthetic", "interests"):
        _wrap_text(personality, key)

    traits = _section(personality, "traits", source, where, "an object of 0-1 scores")
    if traits is not None and reset_tree:
        scores = [traits[t] for t in TRAITS if _is_number(traits.get(t))]
        if any(score > 1 for score in scores):
            # MetaHuman's reset file stores the Big Five on 0-100 (50 = neutral).
            for trait in TRAITS:
                if trait in traits and traits[trait] is not None:
                    traits[trait] = _percent_to_unit(
                        traits[trait], source, (*where, "traits", trait)
                    )

    if "bigFive" in personality:
        big_five = personality.pop("bigFive")
        if not isinstance(big_five, dict):
            _fail(source, (*where, "bigFive"), "an object of 0-100 scores", big_five)
        traits = personality.setdefault("traits", {})
        if not isinstance(traits, dict):
            _fail(source, (*where, "traits"), "an object of 0-1 scores", traits)
        leftover: dict[str, Any] = {}
        for key, value in big_five.items():
            if key not in TRAITS:
                leftover[key] = value
                continue
            score = _percent_to_unit(value, source, (*where, "bigFive", key))
            if score is not None and traits.get(key) is None:
                traits[key] = score  # existing traits win
        if leftover:
            personality["bigFive"] = leftover


def _percent_to_unit(value: Any, source: str, where: tuple[str | int, ...]) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not 0 <= value <= 100:
        _fail(source, where, "a number from 0 to 100", value)
    return float(round(value / 100, 4))


def _read_interest_groups(data: dict[str, Any], source: str) -> None:
    """The reset tree's top-level ``interests{hobbies, topics_of_interest, skills}``."""
    groups = data.get("interests")
    if not isinstance(groups, dict):
        return
    moved: list[Any] = []
    for key in ("hobbies", "topics_of_interest"):
        if key in groups:
            items = groups.pop(key)
            if isinstance(items, str):
                items = [items]
            if not isinstance(items, list):
                _fail(source, ("interests", key), "a list of strings", items)
            moved.extend(items)
    if not groups:
        del data["interests"]
    if moved:
        personality = data.setdefault("personality", {})
        interests = personality.setdefault("interests", [])
        if not isinstance(interests, list):
            _fail(source, ("personality", "interests"), "a list of strings", interests)
        personality["interests"] = union_by_identity(interests, moved)


def _read_values(data: dict[str, Any], source: str) -> None:
    values = data.get("values")
    if values is None:
        return
    if isinstance(values, list):  # a bare list of values
        values = data["values"] = {"core": values}
    if not isinstance(values, dict):
        _fail(source, ("values",), "an object {core, boundaries}", values)
    if "core_values" in values:
        legacy = _list_at(values.pop("core_values"), source, ("values", "core_values"), "values")
        core = values.setdefault("core", [])
        if not isinstance(core, list):
            _fail(source, ("values", "core"), "a list of values", core)
        values["core"] = union_by_identity(core, legacy)
    if "core" in values:
        core = _list_at(values["core"], source, ("values", "core"), "values")
        values["core"] = [_value_item(item, i, source) for i, item in enumerate(core)]
    _wrap_text(values, "boundaries")


def _value_item(item: Any, index: int, source: str) -> Any:
    if isinstance(item, str):
        return {"value": item, "description": "", "priority": index + 1}
    if isinstance(item, dict):
        if "value" not in item and isinstance(item.get("name"), str):
            return {"value": item["name"], **item}
        return item
    _fail(
        source,
        ("values", "core", index),
        "a value: a string or an object {value, description, priority}",
        item,
    )


_GOAL_LEGACY: Final = (
    ("short_term", "shortTerm"),
    ("mid_term", "midTerm"),
    ("long_term", "longTerm"),
    ("aspirations", "longTerm"),
)


def _read_goals(data: dict[str, Any], source: str) -> None:
    goals = _section(data, "goals", source, (), "an object {shortTerm, midTerm, longTerm}")
    if goals is None:
        return
    for legacy_key, bucket in _GOAL_LEGACY:
        if legacy_key in goals:
            legacy = _list_at(goals.pop(legacy_key), source, ("goals", legacy_key), "goals")
            legacy = [_goal_item(g, bucket, i, source, legacy_key) for i, g in enumerate(legacy)]
            current = goals.setdefault(bucket, [])
            if isinstance(current, str):
                current = [current]
            if not isinstance(current, list):
                _fail(source, ("goals", bucket), "a list of goals", current)
            goals[bucket] = union_by_identity(current, legacy)
    for bucket in GOAL_BUCKETS:
        if bucket in goals:
            items = _list_at(goals[bucket], source, ("goals", bucket), "goals")
            goals[bucket] = [_goal_item(g, bucket, i, source, bucket) for i, g in enumerate(items)]


def _goal_item(item: Any, bucket: str, index: int, source: str, key: str) -> Any:
    if isinstance(item, str):
        return {"goal": item, "status": GOAL_STATUS[bucket]}
    if isinstance(item, dict):
        return item
    _fail(source, ("goals", key, index), "a goal: a string or an object {goal, status}", item)


def _read_context(data: dict[str, Any], source: str) -> None:
    moved: list[Any] = []
    for key in ("currentFocus", "current_focus"):  # MetaHuman's generator wrote it top-level
        if key in data:
            moved.extend(_list_at(data.pop(key), source, (key,), "strings"))
    context = data.get("context")
    if context is None:
        if not moved:
            return
        context = data["context"] = {}
    if not isinstance(context, dict):
        _fail(source, ("context",), "an object {domains, projects, currentFocus}", context)
    for legacy_key, key in (("current_focus", "currentFocus"), ("current_projects", "projects")):
        if legacy_key in context:
            legacy = _list_at(context.pop(legacy_key), source, ("context", legacy_key), "items")
            current = _list_at(context.get(key, []), source, ("context", key), "items")
            context[key] = union_by_identity(current, legacy)
    if moved:
        current = _list_at(
            context.get("currentFocus", []), source, ("context", "currentFocus"), "strings"
        )
        context["currentFocus"] = union_by_identity(current, moved)
    for key in ("domains", "projects", "currentFocus"):
        _wrap_text(context, key)


def _read_background(data: dict[str, Any], source: str) -> None:
    background = data.get("background")
    if isinstance(background, str):
        data["background"] = {"narrative": background}
        return
    if isinstance(background, dict):
        for key in ("keyExperiences", "formativeEvents"):
            _wrap_text(background, key)


def _list_at(value: Any, source: str, where: tuple[str | int, ...], what: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        _fail(source, where, f"a list of {what}" if what else "a list", value)
    return value


def _wrap_text(container: dict[str, Any], key: str) -> None:
    """A lone string where a list of strings belongs becomes a one-item list."""
    if isinstance(container.get(key), str):
        container[key] = [container[key]]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _fill(target: dict[str, Any], skeleton: dict[str, Any]) -> None:
    for key, default in skeleton.items():
        if key not in target:
            target[key] = copy.deepcopy(default)
        elif isinstance(default, dict) and isinstance(target[key], dict):
            _fill(target[key], default)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------
# Errors


def _validate(data: dict[str, Any], source: str) -> None:
    try:
        PersonaCore.model_validate(data)
    except pydantic.ValidationError as error:
        problems = error.errors(include_url=False)
        first = problems[0]
        where = _resolve_loc(data, first["loc"])
        found: Any = first.get("input")
        message = str(first["msg"])
        if first["type"] == "missing":
            expected = f"the key {str(first['loc'][-1])!r}"
            where = where[:-1] if where and where[-1] == first["loc"][-1] else where
            detail = (
                f"{source}: {pointer(where) or '/'}: expected {expected}, "
                f"found an object without it: {_show(found)}"
            )
        else:
            for prefix in ("Input should be ", "Value error, "):
                if message.startswith(prefix):
                    message = message[len(prefix) :]
                    break
            if first["type"] in ("model_type", "dict_type", "model_attributes_type"):
                message = "an object"
            if message.startswith(("less than", "greater than")):
                message = "a number " + message
            if message.startswith("a valid "):
                rest = message[len("a valid ") :]
                message = ("an " if rest[:1] in ("a", "e", "i", "o", "u") else "a ") + rest
            detail = f"{source}: {pointer(where) or '/'}: expected {message}, found {_show(found)}"
        if len(problems) > 1:
            detail += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        raise CorruptFile(detail) from None


def _resolve_loc(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Map a pydantic error location to real JSON tokens (dropping union/model tags)."""
    tokens: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            tokens.append(part)  # a missing key is named too
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            tokens.append(part)
            node = node[part]
    return tuple(tokens)


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return _shorten(text, _FOUND_WIDTH)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fail(source: str, where: Sequence[str | int], expected: str, found: Any) -> NoReturn:
    raise CorruptFile(
        f"{source}: {pointer(where) or '/'}: expected {expected}, found {_show(found)}"
    )


__all__ = [
    "EXTENSION_KEY",
    "EXTENSION_SCHEMA_VERSION",
    "GOAL_BUCKETS",
    "GOAL_STATUS",
    "IDENTITY_FIELDS",
    "PERSONA_VERSION",
    "Background",
    "CommunicationStyle",
    "Context",
    "CoreValue",
    "Extension",
    "Goal",
    "Goals",
    "Identity",
    "PersonaCore",
    "Personality",
    "ProvenanceRecord",
    "Traits",
    "Values",
    "WritingStyle",
    "dump_persona",
    "empty_persona",
    "item_identity",
    "item_label",
    "normalize_persona",
    "parse_persona",
    "pointer",
    "split_pointer",
    "text_key",
    "union_by_identity",
]
