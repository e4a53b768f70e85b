"""Turn an interview's draft into a proposed persona, and apply a reviewed subset of it.

Pure functions: the current persona comes in as a dict, the time as an argument.

* :func:`draft_to_patch` — the canonical fragments a draft proposes, plus their evidence under
  the single extension key ``x-personagen``.
* :func:`propose` — the full persona after combining the patch with the current one under a
  :data:`Strategy`.
* :func:`apply_changes` — the current persona with only the reviewed rows of
  ``diff(current, proposed)`` applied.

The exact strategy semantics are in ``docs/persona.md``; the code below follows it line by line.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, Literal

from server.errors import ValidationError
from server.persona.diff import Change, apply_selected
from server.persona.draft import TRAITS, DraftItem, PersonaDraft
from server.persona.schema import (
    EXTENSION_KEY,
    EXTENSION_SCHEMA_VERSION,
    GOAL_STATUS,
    item_identity,
    normalize_persona,
    pointer,
    split_pointer,
)

Strategy = Literal["merge", "replace", "append"]
STRATEGIES: Final[tuple[Strategy, ...]] = ("merge", "replace", "append")
STRATEGY_DESCRIPTIONS: Final[Mapping[Strategy, str]] = MappingProxyType(
    {
        "merge": (
            "Adds new entries and fills gaps in matching ones; the interview's scores, "
            "verbosity and narrative take over; anything it did not mention stays as it is."
        ),
        "replace": (
            "Each section the interview covered becomes exactly what the interview found; "
            "sections it did not cover, your identity and all other keys stay as they are."
        ),
        "append": (
            "Only adds entries that are not there yet and sets a score, verbosity or narrative "
            "only where none is set; never changes or removes anything you already have."
        ),
    }
)

# Owned list sections: dotted name -> path in core.json.
_LIST_SECTIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "personality.communicationStyle.tone": ("personality", "communicationStyle", "tone"),
        "personality.interests": ("personality", "interests"),
        "values.core": ("values", "core"),
        "values.boundaries": ("values", "boundaries"),
        "goals.shortTerm": ("goals", "shortTerm"),
        "goals.midTerm": ("goals", "midTerm"),
        "goals.longTerm": ("goals", "longTerm"),
        "context.domains": ("context", "domains"),
        "context.projects": ("context", "projects"),
        "context.currentFocus": ("context", "currentFocus"),
        "background.keyExperiences": ("background", "keyExperiences"),
    }
)
# Owned scalar sections: each trait separately, so a draft that scores one trait never drops
# the others.
_SCALAR_SECTIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        **{f"personality.traits.{t}": ("personality", "traits", t) for t in TRAITS},
        "personality.communicationStyle.verbosity": (
            "personality",
            "communicationStyle",
            "verbosity",
        ),
        "background.narrative": ("background", "narrative"),
    }
)
OWNED_SECTIONS: Final[tuple[str, ...]] = (*_LIST_SECTIONS, *_SCALAR_SECTIONS)
"""Every location a draft can write; ``replace`` works section by section over these."""

_PROJECT_STATUS: Final = "active"


# ---------------------------------------------------------------------------------------------
# Draft -> patch


def draft_to_patch(draft: PersonaDraft, session_id: str) -> dict[str, Any]:
    """The canonical fragments ``draft`` proposes, with one provenance record per item.

    Items marked ``special_category`` are left out entirely. Within each list the draft's
    duplicates (same identity) are written once; every item still gets its own record.
    """
    _check_session(session_id)
    patch: dict[str, Any] = {}
    records: list[dict[str, Any]] = []

    def add(section: str, entry: Any, item: DraftItem) -> None:
        key = entry if isinstance(entry, str) else entry[_identity_field(section)]
        if not key:
            return  # nothing but whitespace
        path = _LIST_SECTIONS[section]
        bucket = _ensure(patch, path[:-1]).setdefault(path[-1], [])
        identity = item_identity(entry)
        if all(item_identity(existing) != identity for existing in bucket):
            bucket.append(entry)
        records.append(_record(path, key, item, draft.source, session_id))

    def put(section: str, value: Any, item: DraftItem) -> None:
        if value == "":
            return  # nothing but whitespace
        path = _SCALAR_SECTIONS[section]
        _ensure(patch, path[:-1])[path[-1]] = value
        records.append(_record(path[:-1], path[-1], item, draft.source, session_id, value))

    def kept(item: DraftItem) -> bool:
        return item.sensitivity != "special_category"

    for trait in filter(kept, draft.traits):
        put(f"personality.traits.{trait.trait}", trait.score, trait)
    for item in filter(kept, draft.tone):
        add("personality.communicationStyle.tone", _clean(item.text), item)
    if draft.verbosity is not None and kept(draft.verbosity):
        put(
            "personality.communicationStyle.verbosity",
            _clean(draft.verbosity.text),
            draft.verbosity,
        )
    for item in filter(kept, draft.interests):
        add("personality.interests", _clean(item.text), item)
    for value in filter(kept, draft.values):
        text = _clean(value.value)
        entry: dict[str, Any] = {
            "value": text,
            "name": text,
            "description": value.description.strip(),
        }
        if value.priority is not None:
            entry["priority"] = value.priority
        add("values.core", entry, value)
    for item in filter(kept, draft.boundaries):
        add("values.boundaries", _clean(item.text), item)
    for goal in filter(kept, draft.goals):
        entry = {"goal": _clean(goal.goal), "status": GOAL_STATUS[goal.horizon]}
        add(f"goals.{goal.horizon}", entry, goal)
    for item in filter(kept, draft.domains):
        add("context.domains", _clean(item.text), item)
    for item in filter(kept, draft.projects):
        entry = {"name": _clean(item.text), "status": _PROJECT_STATUS, "summary": ""}
        add("context.projects", entry, item)
    for item in filter(kept, draft.current_focus):
        add("context.currentFocus", _clean(item.text), item)
    for item in filter(kept, draft.key_experiences):
        add("background.keyExperiences", _clean(item.text), item)
    if draft.narrative is not None and kept(draft.narrative):
        put("background.narrative", draft.narrative.text.strip(), draft.narrative)

    if records:
        patch[EXTENSION_KEY] = {
            "schemaVersion": EXTENSION_SCHEMA_VERSION,
            "sessions": [session_id],
            "items": records,
        }
    return patch


def _identity_field(section: str) -> str:
    if section == "values.core":
        return "value"
    if section.startswith("goals."):
        return "goal"
    return "name"


def _record(
    path: Sequence[str],
    key: str,
    item: DraftItem,
    source: str,
    session_id: str,
    value: Any = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {"path": pointer(path), "key": key}
    if value is not None:
        record["setTo"] = value
    record.update(
        {
            "session": session_id,
            "evidence": list(item.evidence),
            "confidence": item.confidence,
            "sensitivity": item.sensitivity,
        }
    )
    if source:
        record["source"] = source
    return record


# ---------------------------------------------------------------------------------------------
# Propose


def propose(
    current: dict[str, Any],
    draft: PersonaDraft,
    session_id: str,
    strategy: Strategy,
    now: datetime,
) -> dict[str, Any]:
    """The full proposed persona: ``normalize_persona(current)`` combined with the draft.

    ``lastUpdated`` becomes ``now`` (UTC, ``…Z``) when anything changes; a draft that changes
    nothing returns the normalized current persona as it is.
    """
    if strategy not in STRATEGIES:
        raise ValidationError(
            f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}"
        )
    stamp = iso_utc(now)
    base = normalize_persona(current)
    patch = draft_to_patch(draft, session_id)
    result = copy.deepcopy(base)

    for section, path in _LIST_SECTIONS.items():
        incoming = _get(patch, path)
        if incoming is None:
            continue
        holder = _ensure(result, path[:-1])
        combined, fresh = _combine(holder.get(path[-1], []), incoming, strategy)
        if section == "values.core":
            _number_priorities(combined, fresh)
        holder[path[-1]] = combined

    for path in _SCALAR_SECTIONS.values():
        incoming = _get(patch, path)
        if incoming is None:
            continue
        holder = _ensure(result, path[:-1])
        if strategy == "append" and not _is_empty(holder.get(path[-1])):
            continue
        holder[path[-1]] = incoming

    extension = patch.get(EXTENSION_KEY)
    if extension is not None:
        landed = [r for r in extension["items"] if record_lands(result, r)]
        if landed:
            _merge_extension(result, landed, [session_id])

    if _without_stamp(result) != _without_stamp(base):
        result["lastUpdated"] = stamp
    return normalize_persona(result, source="proposed persona")


def _combine(
    existing: list[Any], incoming: list[Any], strategy: Strategy
) -> tuple[list[Any], set[int]]:
    """The combined list and the indexes of the items that came from the draft."""
    if strategy == "replace":
        return copy.deepcopy(incoming), set(range(len(incoming)))
    out = copy.deepcopy(existing)
    first: dict[str, int] = {}
    for index, item in enumerate(out):
        first.setdefault(item_identity(item), index)
    fresh: set[int] = set()
    for item in incoming:
        identity = item_identity(item)
        if identity in first:
            match = out[first[identity]]
            if strategy == "merge" and isinstance(match, dict) and isinstance(item, dict):
                gaps = [k for k in item if k not in match or _is_empty(match[k])]
                for key in gaps:
                    match[key] = copy.deepcopy(item[key])
                if "name" in gaps and isinstance(match.get("value"), str):
                    # ``name`` mirrors the item's own ``value``, not the draft's spelling of it.
                    match["name"] = match["value"]
            continue
        first[identity] = len(out)
        fresh.add(len(out))
        out.append(copy.deepcopy(item))
    return out, fresh


def _number_priorities(values: list[Any], fresh: set[int]) -> None:
    """A value from the draft without a stated priority ranks after every numbered one."""
    numbers = [v["priority"] for v in values if isinstance(v.get("priority"), int)]
    following = max(numbers, default=0) + 1
    for index in sorted(fresh):
        if values[index].get("priority") is None:
            values[index]["priority"] = following
            following += 1


def _merge_extension(
    persona: dict[str, Any], records: Sequence[dict[str, Any]], sessions: Sequence[str]
) -> None:
    extension = persona.get(EXTENSION_KEY)
    if extension is None:
        extension = persona[EXTENSION_KEY] = {
            "schemaVersion": EXTENSION_SCHEMA_VERSION,
            "sessions": [],
            "items": [],
        }
    known_sessions = extension.setdefault("sessions", [])
    for session in sessions:
        if session not in known_sessions:
            known_sessions.append(session)
    items = extension.setdefault("items", [])
    for record in records:
        if record not in items:
            items.append(copy.deepcopy(record))


def record_lands(persona: dict[str, Any], record: Mapping[str, Any]) -> bool:
    """Whether the item a provenance record describes is in ``persona`` as recorded."""
    try:
        tokens = split_pointer(str(record.get("path", "")))
    except ValidationError:
        return False
    node: Any = persona
    for token in tokens:
        if not isinstance(node, dict) or token not in node:
            return False
        node = node[token]
    key = record.get("key")
    if isinstance(node, list):
        identity = item_identity(key)
        return any(item_identity(item) == identity for item in node)
    if isinstance(node, dict) and isinstance(key, str) and key in node:
        return "setTo" not in record or bool(node[key] == record["setTo"])
    return False


# ---------------------------------------------------------------------------------------------
# Apply a reviewed subset


def apply_changes(
    current: dict[str, Any], changes: Sequence[Change], selected: Collection[str]
) -> dict[str, Any]:
    """``normalize_persona(current)`` with only the ``selected`` change ids applied.

    ``changes`` is the full list ``diff(current, proposed)`` returned. Selecting every id gives
    ``proposed``; selecting none gives ``normalize_persona(current)``. When only some are
    selected, provenance records added for items that were not applied are dropped.
    Unknown ids raise :class:`ValidationError`; changes computed against another version of
    the persona raise :class:`~server.errors.ConflictError`.
    """
    if isinstance(selected, str):
        raise ValidationError("selected must be a collection of change ids, not one string")
    known = {change.id for change in changes}
    if len(known) != len(changes):
        raise ValidationError("the change list holds the same id twice; pass diff()'s list as is")
    chosen = set(selected)
    unknown = sorted(chosen - known)
    if unknown:
        raise ValidationError(
            f"unknown change id{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"this diff has {len(known)} change id{'s' if len(known) != 1 else ''}"
        )
    base = normalize_persona(current)
    result = apply_selected(base, changes, chosen)
    if chosen:
        if chosen != known:
            _drop_stray_records(result, base)
        stamp = changes[0].last_updated
        if stamp is None:
            result.pop("lastUpdated", None)
        else:
            result["lastUpdated"] = stamp
    return normalize_persona(result, source="persona with the selected changes")


def _drop_stray_records(result: dict[str, Any], base: dict[str, Any]) -> None:
    extension = result.get(EXTENSION_KEY)
    if not isinstance(extension, dict) or not isinstance(extension.get("items"), list):
        return
    before = base.get(EXTENSION_KEY)
    old_items = before.get("items", []) if isinstance(before, dict) else []
    extension["items"] = [
        record
        for record in extension["items"]
        if record in old_items or not isinstance(record, dict) or record_lands(result, record)
    ]


# ---------------------------------------------------------------------------------------------
# Helpers


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as MetaHuman writes ``lastUpdated``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"expected a timezone-aware time, found naive {moment.isoformat()}")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _check_session(session_id: str) -> None:
    if not isinstance(session_id, str) or not session_id.strip():
        raise ValidationError(f"expected a non-empty session id, found {session_id!r}")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _get(document: Mapping[str, Any], path: Sequence[str]) -> Any:
    node: Any = document
    for token in path:
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


def _ensure(document: dict[str, Any], path: Sequence[str]) -> dict[str, Any]:
    node = document
    for token in path:
        node = node.setdefault(token, {})
    return node


def _without_stamp(persona: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in persona.items() if k != "lastUpdated"}


__all__ = [
    "OWNED_SECTIONS",
    "STRATEGIES",
    "STRATEGY_DESCRIPTIONS",
    "Strategy",
    "apply_changes",
    "draft_to_patch",
    "iso_utc",
    "propose",
    "record_lands",
]
