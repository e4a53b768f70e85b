"""Item-level differences between two personas, each one reviewable and applicable on its own.

:func:`diff` walks both documents together, descending only into subtrees that differ, and
compares lists by item identity (:func:`~server.persona.schema.item_identity`) rather than by
position: a positional diff (``jsondiff``'s) would call ``{"value": "x"}`` → ``{"value": "z"}``
an update of item 0, while for a persona it is "remove value x, add value z"; and jsondiff's
list diff is quadratic in the list's length (11.5 s on a 1 MiB ``core.json``, see
``docs/benchmarks.md``). A matched item whose content changed is one
``update``; a matched item that changed place is an ``update`` with ``moved_to``.

Paths (RFC 6901) point into the persona a change is read against: ``remove`` and ``update``
into the current persona, ``add`` (and ``moved_to``) into the proposed one. Ids hash the
*identity* path (list items by identity and occurrence, not index), the kind and both values,
so the same diff computed twice has the same ids. ``lastUpdated`` never gets a row: it is
carried on every change and written when at least one change is applied.

:func:`apply_selected` rebuilds, from the current persona and the full change list, a
persona with only the chosen changes applied; :func:`server.persona.merge.apply_changes` is the
public entry point around it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, NoReturn

from pydantic import BaseModel, ConfigDict

from server.errors import ConflictError, CorruptFile, ValidationError
from server.persona.schema import (
    EXTENSION_KEY,
    item_identity,
    item_label,
    normalize_persona,
    pointer,
    split_pointer,
)

ChangeKind = Literal["add", "update", "remove"]
_KIND_ORDER: Final = {"remove": 0, "update": 1, "add": 2}
_STAMP: Final = "lastUpdated"


class Change(BaseModel):
    """One reviewable row of a persona diff."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Stable short hash of identity path, kind, old and new."""
    path: str
    """JSON pointer: into the current persona for remove/update, the proposed one for add."""
    kind: ChangeKind
    old: Any = None
    new: Any = None
    section: str
    """Dotted name of the containing section, e.g. ``values.core`` or ``personality.traits``."""
    summary: str
    """A short sentence for people, e.g. ``Add value “honesty”``."""
    moved_to: str | None = None
    """For a list item that also changes place: its pointer in the proposed persona."""
    last_updated: str | None = None
    """The proposed ``lastUpdated``, written when any change is applied (None: remove it)."""


def diff(current: dict[str, Any], proposed: dict[str, Any]) -> list[Change]:
    """The changes that turn ``normalize_persona(current)`` into ``proposed``, sorted by path.

    ``proposed`` must be canonical (as :func:`server.persona.merge.propose` returns it);
    otherwise :class:`ValidationError`. A corrupt ``current`` raises :class:`CorruptFile`.
    """
    base = normalize_persona(current)
    if not isinstance(proposed, dict):
        raise ValidationError(f"the proposed persona must be a JSON object, found {proposed!r}")
    try:
        canonical = normalize_persona(proposed, source="proposed persona")
    except CorruptFile as error:
        raise ValidationError(error.message) from None
    if canonical != proposed:
        raise ValidationError(
            "the proposed persona is not in canonical form; build it with propose() "
            "or pass it through normalize_persona() first"
        )
    stamp = proposed.get(_STAMP)
    old = {k: v for k, v in base.items() if k != _STAMP}
    new = {k: v for k, v in proposed.items() if k != _STAMP}
    raws: list[_Raw] = []
    _walk_dict(old, new, (), (), raws)
    changes = [_to_change(raw, stamp if isinstance(stamp, str) else None) for raw in raws]
    changes.sort(key=_sort_key)
    return changes


def apply_selected(
    base: dict[str, Any], changes: Sequence[Change], chosen: Collection[str]
) -> dict[str, Any]:
    """``base`` (already normalized) with only the ``chosen`` ids of ``changes`` applied.

    ``changes`` must be the complete list :func:`diff` returned for ``base``: the unselected
    ones are needed to know where the selected list items go. A change that does not fit
    ``base`` (the persona changed since the diff) raises :class:`ConflictError`.
    ``lastUpdated`` is left to the caller.
    """
    result = copy.deepcopy(base)
    lists: dict[tuple[str, ...], list[tuple[int, Change]]] = {}
    for change in changes:
        tokens = split_pointer(change.path)
        if not tokens:
            _conflict(change, "it has no path")
        parent = _resolve(base, tokens[:-1], change)
        key = tokens[-1]
        if isinstance(parent, list):
            lists.setdefault(tuple(tokens[:-1]), []).append((_index(key, change), change))
            continue
        if not isinstance(parent, dict):
            _conflict(change, f"{pointer(tokens[:-1]) or '/'} is not an object or a list")
        if change.kind == "add" and key in parent:
            _conflict(change, f"{change.path} already exists")
        if change.kind != "add" and (key not in parent or parent[key] != change.old):
            _conflict(change, f"{change.path} no longer holds the old value")
        if change.id not in chosen:
            continue
        target = _resolve(result, tokens[:-1], change)
        if not isinstance(target, dict):
            _conflict(change, f"{pointer(tokens[:-1]) or '/'} is gone")
        if change.kind == "remove":
            del target[key]
        else:
            target[key] = copy.deepcopy(change.new)
    for parent_tokens, group in lists.items():
        old_list = _resolve(base, parent_tokens, group[0][1])
        holder = _resolve(result, parent_tokens[:-1], group[0][1])
        if not isinstance(holder, dict) or not isinstance(holder.get(parent_tokens[-1]), list):
            _conflict(group[0][1], f"the list {pointer(parent_tokens)} is gone")
        holder[parent_tokens[-1]] = _apply_list(old_list, parent_tokens, group, chosen)
    return result


# ---------------------------------------------------------------------------------------------
# Walking


IdToken = str | tuple[str, int]


@dataclass(frozen=True)
class _Raw:
    tokens: tuple[str | int, ...]
    ids: tuple[IdToken, ...]
    kind: ChangeKind
    old: Any
    new: Any
    in_list: bool
    moved_to: str | None = None


def _walk_dict(
    old: dict[str, Any],
    new: dict[str, Any],
    tokens: tuple[str | int, ...],
    ids: tuple[IdToken, ...],
    out: list[_Raw],
) -> None:
    # Equal subtrees are skipped by one (C-speed) comparison; only what differs is walked.
    for key, value in old.items():
        here, here_ids = (*tokens, key), (*ids, key)
        if key not in new:
            out.append(_Raw(here, here_ids, "remove", value, None, in_list=False))
        elif value != new[key]:
            before, after = value, new[key]
            if isinstance(before, dict) and isinstance(after, dict):
                _walk_dict(before, after, here, here_ids, out)
            elif isinstance(before, list) and isinstance(after, list):
                _walk_list(before, after, here, here_ids, out)
            else:
                out.append(_Raw(here, here_ids, "update", before, after, in_list=False))
    for key, value in new.items():
        if key not in old:
            out.append(_Raw((*tokens, key), (*ids, key), "add", None, value, in_list=False))


def _occurrences(items: list[Any]) -> list[tuple[str, int]]:
    """(identity, n): the n-th item of that identity, so duplicates pair up in order."""
    seen: dict[str, int] = {}
    keys = []
    for item in items:
        identity = item_identity(item)
        keys.append((identity, seen.get(identity, 0)))
        seen[identity] = seen.get(identity, 0) + 1
    return keys


def _walk_list(
    old: list[Any],
    new: list[Any],
    tokens: tuple[str | int, ...],
    ids: tuple[IdToken, ...],
    out: list[_Raw],
) -> None:
    old_keys, new_keys = _occurrences(old), _occurrences(new)
    where_old = {key: i for i, key in enumerate(old_keys)}
    pairs = [(where_old[key], j) for j, key in enumerate(new_keys) if key in where_old]
    anchored = _longest_increasing(pairs)
    matched_old = {i for i, _ in pairs}
    matched_new = {j for _, j in pairs}
    for i, item in enumerate(old):
        if i not in matched_old:
            out.append(_Raw((*tokens, i), (*ids, old_keys[i]), "remove", item, None, in_list=True))
    for i, j in pairs:
        moved = (i, j) not in anchored
        if moved or old[i] != new[j]:
            out.append(
                _Raw(
                    (*tokens, i),
                    (*ids, old_keys[i]),
                    "update",
                    old[i],
                    new[j],
                    in_list=True,
                    moved_to=pointer((*tokens, j)) if moved else None,
                )
            )
    for j, item in enumerate(new):
        if j not in matched_new:
            out.append(_Raw((*tokens, j), (*ids, new_keys[j]), "add", None, item, in_list=True))


def _longest_increasing(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The largest set of pairs (sorted by j) whose i also increase: items that stay put."""
    tails: list[int] = []  # index into pairs of the smallest tail of each length
    previous: list[int] = [-1] * len(pairs)
    for index, (i, _) in enumerate(pairs):
        low, high = 0, len(tails)
        while low < high:
            middle = (low + high) // 2
            if pairs[tails[middle]][0] < i:
                low = middle + 1
            else:
                high = middle
        previous[index] = tails[low - 1] if low else -1
        if low == len(tails):
            tails.append(index)
        else:
            tails[low] = index
    kept: set[tuple[int, int]] = set()
    cursor = tails[-1] if tails else -1
    while cursor != -1:
        kept.add(pairs[cursor])
        cursor = previous[cursor]
    return kept


# ---------------------------------------------------------------------------------------------
# Rows for people


_ABSENT: Final = object()

_NOUNS: Final = {
    "values.core": "value",
    "values.boundaries": "boundary",
    "goals.shortTerm": "short-term goal",
    "goals.midTerm": "mid-term goal",
    "goals.longTerm": "long-term goal",
    "personality.communicationStyle.tone": "tone",
    "personality.interests": "interest",
    "personality.archetypes": "archetype",
    "personality.aesthetic": "aesthetic",
    "background.keyExperiences": "key experience",
    "background.formativeEvents": "formative event",
    "context.currentFocus": "current focus",
    "context.projects": "project",
    "context.domains": "domain",
    "decisionHeuristics": "decision heuristic",
    "identity.aliases": "alias",
    "x-personagen.items": "provenance record",
    "x-personagen.sessions": "interview session",
}

_NAMES: Final = {
    "personality.traits.openness": "openness",
    "personality.traits.conscientiousness": "conscientiousness",
    "personality.traits.extraversion": "extraversion",
    "personality.traits.agreeableness": "agreeableness",
    "personality.traits.neuroticism": "neuroticism",
    "personality.communicationStyle.verbosity": "verbosity",
    "personality.communicationStyle.emphasis": "emphasis",
    "background.narrative": "background narrative",
}


def _to_change(raw: _Raw, stamp: str | None) -> Change:
    keys = [str(t) for t in raw.tokens if isinstance(t, str)]
    # A list item belongs to its list; a key to the object holding it (a top-level key: itself).
    section = ".".join(keys) if raw.in_list else (".".join(keys[:-1]) or keys[0])
    return Change(
        id=_change_id(raw),
        path=pointer(raw.tokens),
        kind=raw.kind,
        old=copy.deepcopy(raw.old),
        new=copy.deepcopy(raw.new),
        section=section,
        summary=_summary(raw, section, ".".join(keys)),
        moved_to=raw.moved_to,
        last_updated=stamp,
    )


def _change_id(raw: _Raw) -> str:
    identity_path = [list(t) if isinstance(t, tuple) else t for t in raw.ids]
    text = json.dumps(
        [identity_path, raw.kind, raw.old, raw.new],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _summary(raw: _Raw, section: str, dotted: str) -> str:
    special = _extension_summary(raw, section, dotted)
    if special:
        return special
    if raw.in_list:
        noun = _NOUNS.get(section, f"item of {section}")
        if raw.kind == "add":
            return f"Add {noun} “{item_label(raw.new)}”"
        if raw.kind == "remove":
            return f"Remove {noun} “{item_label(raw.old)}”"
        label = item_label(raw.old)
        moved = raw.moved_to is not None
        if raw.old == raw.new:
            return f"Move {noun} “{label}”"
        verb = "Move and update" if moved else "Update"
        if isinstance(raw.old, dict) and isinstance(raw.new, dict):
            fields = [
                k
                for k in dict.fromkeys([*raw.old, *raw.new])
                if raw.old.get(k, _ABSENT) != raw.new.get(k, _ABSENT)
            ]
            return f"{verb} {noun} “{label}”: {', '.join(fields)}"
        if isinstance(raw.old, str) and isinstance(raw.new, str):
            verb = "Move and change" if moved else "Change"
            return f"{verb} {noun} “{label}” to “{item_label(raw.new)}”"
        return f"{verb} {noun} “{label}”"
    name = _NAMES.get(dotted, dotted)
    if raw.kind == "add":
        if isinstance(raw.new, dict | list):
            return f"Add {name}"
        return f"Set {name} to {_short(raw.new)}"
    if raw.kind == "remove":
        return f"Remove {name}"
    if isinstance(raw.old, dict | list) or isinstance(raw.new, dict | list):
        return f"Replace {name}"
    if raw.old is None or raw.old == "":
        return f"Set {name} to {_short(raw.new)}"
    return f"Change {name} from {_short(raw.old)} to {_short(raw.new)}"


def _extension_summary(raw: _Raw, section: str, dotted: str) -> str | None:
    """Rows of Personagen's own bookkeeping key, in words."""
    value = raw.new if raw.kind == "add" else raw.old
    if dotted == EXTENSION_KEY and raw.kind == "add" and isinstance(value, dict):
        items = value.get("items")
        count = len(items) if isinstance(items, list) else 0
        return f"Record the interview's evidence for {count} item{'s' if count != 1 else ''}"
    if section == f"{EXTENSION_KEY}.items" and isinstance(value, dict) and "key" in value:
        where = f"“{item_label(str(value['key']))}” at {value.get('path')}"
        if raw.kind == "add":
            return f"Record evidence for {where}"
        if raw.kind == "remove":
            return f"Remove the evidence record for {where}"
        return f"Update the evidence record for {where}"
    return None


def _short(value: Any) -> str:
    if isinstance(value, str):
        text = " ".join(value.split())
        return "“" + (text if len(text) <= 40 else text[:39] + "…") + "”"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 40 else text[:39] + "…"


def _sort_key(change: Change) -> tuple[tuple[tuple[int, int | str], ...], int]:
    tokens = split_pointer(change.path)
    shape = tuple((0, int(t)) if t.isdigit() else (1, t) for t in tokens)
    return shape, _KIND_ORDER[change.kind]


# ---------------------------------------------------------------------------------------------
# Applying


def _conflict(change: Change, reason: str) -> NoReturn:
    raise ConflictError(
        f"change {change.id} ({change.summary}) does not fit the persona as it is now: "
        f"{reason}; compute the diff again"
    )


def _resolve(document: Any, tokens: Sequence[str], change: Change) -> Any:
    node = document
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        else:
            _conflict(change, f"{pointer(tokens) or '/'} does not exist")
    return node


def _index(token: str, change: Change) -> int:
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        _conflict(change, f"{token!r} is not a list index")
    return int(token)


def _apply_list(
    old: list[Any],
    parent: tuple[str, ...],
    group: list[tuple[int, Change]],
    chosen: Collection[str],
) -> list[Any]:
    removes: dict[int, Change] = {}
    updates: dict[int, Change] = {}
    adds: dict[int, Change] = {}
    moves: dict[int, int] = {}  # place in the proposed list -> index in the old one
    for index, change in group:
        if change.kind == "add":
            if index in adds:
                _conflict(change, f"two changes add at {change.path}")
            adds[index] = change
            continue
        if index >= len(old) or old[index] != change.old or index in removes or index in updates:
            _conflict(change, f"{change.path} no longer holds the old item")
        if change.kind == "remove":
            removes[index] = change
            continue
        updates[index] = change
        if change.moved_to is not None:
            target = split_pointer(change.moved_to)
            if tuple(target[:-1]) != parent or not target:
                _conflict(change, f"it moves to another list ({change.moved_to})")
            moves[_index(target[-1], change)] = index
    size = len(old) - len(removes) + len(adds)
    placed = set(adds) | set(moves)
    if len(placed) != len(adds) + len(moves) or any(j >= size for j in placed):
        _conflict(group[0][1], "its list changes do not add up")
    free = [j for j in range(size) if j not in placed]
    staying = [i for i in range(len(old)) if i not in removes and i not in moves.values()]
    if len(free) != len(staying):
        _conflict(group[0][1], "its list changes do not add up")

    # Walk the old and the proposed order together: between two items that stay put come the
    # old items that leave (kept unless their change is chosen), then the proposed items that
    # arrive (kept only if their change is chosen).
    out: list[Any] = []
    previous_i, previous_j = -1, -1
    for i, j in [*zip(staying, free, strict=True), (len(old), size)]:
        for leaving in range(previous_i + 1, i):
            change = removes.get(leaving) or updates[leaving]
            if change.id not in chosen:
                out.append(copy.deepcopy(old[leaving]))
        for arriving in range(previous_j + 1, j):
            change = adds[arriving] if arriving in adds else updates[moves[arriving]]
            if change.id in chosen:
                out.append(copy.deepcopy(change.new))
        if i < len(old):
            update = updates.get(i)
            chosen_update = update is not None and update.id in chosen
            out.append(copy.deepcopy(update.new if update and chosen_update else old[i]))
        previous_i, previous_j = i, j
    return out
