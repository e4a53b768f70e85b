"""Rewording reviewed changes: what a person corrects is what is written, and nothing else."""

from __future__ import annotations

import pytest

from server.errors import ValidationError
from server.persona.diff import Change, diff
from server.persona.edits import apply_edits, is_evidence
from server.persona.merge import apply_changes
from server.persona.schema import empty_persona, normalize_persona


def value_change() -> tuple[dict[str, object], list[Change]]:
    current = normalize_persona(empty_persona())
    proposed = normalize_persona(
        {
            **current,
            "values": {
                "core": [
                    {
                        "value": "honsty",
                        "name": "honsty",
                        "description": "Tell it straight",
                        "priority": 1,
                    }
                ],
                "boundaries": [],
            },
            "personality": {**current["personality"], "interests": ["gardning"]},
        }
    )
    return current, diff(current, proposed)


def test_an_edited_value_is_what_the_persona_gets_with_its_name_kept_in_step() -> None:
    current, changes = value_change()
    value = next(c for c in changes if c.section == "values.core")
    interest = next(c for c in changes if c.section == "personality.interests")
    chosen = [c.id for c in changes]
    edited = apply_edits(
        changes, chosen, {value.id: {"value": "honesty"}, interest.id: "  gardening  "}
    )
    persona = apply_changes(current, edited, chosen)
    assert persona["values"]["core"][0]["value"] == "honesty"
    assert persona["values"]["core"][0]["name"] == "honesty"
    assert persona["values"]["core"][0]["description"] == "Tell it straight"
    assert persona["personality"]["interests"] == ["gardening"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"priority": "high"}, "'priority' is not a text field of this item"),
        ({"value": "   "}, "needs 1 to 2000 characters, got 0"),
        ({"value": "x" * 2001}, "needs 1 to 2000 characters, got 2001"),
        ("honesty", "expected {field: text}"),
    ],
)
def test_a_bad_edit_is_refused_with_what_was_expected(edit: object, message: str) -> None:
    _, changes = value_change()
    value = next(c for c in changes if c.section == "values.core")
    with pytest.raises(ValidationError, match=message.replace("{", r"\{").replace("}", r"\}")):
        apply_edits(changes, [value.id], {value.id: edit})


def test_an_edit_of_an_unticked_or_unknown_change_is_refused() -> None:
    _, changes = value_change()
    value = next(c for c in changes if c.section == "values.core")
    with pytest.raises(ValidationError, match="which is not applied"):
        apply_edits(changes, [], {value.id: {"value": "honesty"}})
    with pytest.raises(ValidationError, match="which this preview lacks"):
        apply_edits(changes, [value.id], {"nope": "honesty"})


def test_evidence_changes_are_recognised() -> None:
    _, changes = value_change()
    assert not any(is_evidence(c) for c in changes)
    record = Change(id="x", path="/x-personagen", kind="add", section="x-personagen", summary="")
    assert is_evidence(record)
