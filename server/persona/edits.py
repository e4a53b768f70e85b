"""A person's corrections to the wording of reviewed changes, checked before anything is written.

The review shows each change's new item; the person may reword it before applying. An edit
names a change id and gives new text: a string for an item that is a string (an interest), or
``{field: text}`` for an item that is an object (a value's ``value`` and ``description``). Only
string fields the item already has can be edited, so an edit never changes an item's shape, and
the persona built from the edited changes still goes through ``normalize_persona``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from server.errors import ValidationError
from server.persona.diff import Change

MAX_EDIT_LENGTH: Final = 2000
EditText = str | Mapping[str, str]


def _clean(text: object, where: str) -> str:
    if not isinstance(text, str):
        raise ValidationError(f"{where}: expected text, got {type(text).__name__}")
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > MAX_EDIT_LENGTH:
        raise ValidationError(
            f"{where}: the text needs 1 to {MAX_EDIT_LENGTH} characters, got {len(cleaned)}"
        )
    return cleaned


def _edited_value(change: Change, edit: object) -> Any:
    where = f"edit of change {change.id}"
    if change.kind not in ("add", "update"):
        raise ValidationError(f"{where}: only an added or updated item can be reworded")
    if isinstance(change.new, str):
        return _clean(edit, where)
    if not isinstance(change.new, dict) or not isinstance(edit, Mapping) or not edit:
        raise ValidationError(
            f"{where}: expected {{field: text}} for the item's text fields, got {edit!r:.80}"
        )
    value = dict(change.new)
    for field, text in edit.items():
        if not isinstance(value.get(field), str):
            editable = sorted(k for k, v in change.new.items() if isinstance(v, str))
            raise ValidationError(
                f"{where}: {field!r} is not a text field of this item; expected one of {editable}"
            )
        cleaned = _clean(text, f"{where}, field {field!r}")
        # A value mirrors its label in "name" (MetaHuman's shape): keep the two together.
        if field == "value" and change.new.get("name") == change.new.get("value"):
            value["name"] = cleaned
        value[field] = cleaned
    return value


def apply_edits(
    changes: Sequence[Change], chosen: Collection[str], edits: Mapping[str, object] | None
) -> list[Change]:
    """``changes`` with the edited ones reworded; an edit of an unknown or unchosen id is an
    error (the person would otherwise believe a correction was written)."""
    if not edits:
        return list(changes)
    by_id = {change.id: change for change in changes}
    for change_id in edits:
        if change_id not in by_id:
            raise ValidationError(f"an edit names change {change_id!r}, which this preview lacks")
        if change_id not in chosen:
            raise ValidationError(f"an edit names change {change_id!r}, which is not applied")
    return [
        change.model_copy(update={"new": _edited_value(change, edits[change.id])})
        if change.id in edits
        else change
        for change in changes
    ]


def is_evidence(change: Change) -> bool:
    """A change to the provenance records: kept with the items it supports, never on its own."""
    return change.section.split(".", 1)[0] == "x-personagen"
