"""The LoRA training export: chat-messages JSONL with the person as the assistant."""

from __future__ import annotations

import json

import pytest

from server.errors import ValidationError
from server.interview.model import Turn
from server.interview.training import render_jsonl, system_prompt, training_records

SID = "20250101T120000Z-0123abcd"


def _turns() -> list[Turn]:
    return [
        Turn("q1", "values", "What matters most to you?", "Honesty, even when it costs me."),
        Turn("q2", "goals", "What are you working towards?", None),
        Turn("q3", "style", "How do you talk to friends?", None, skipped=True),
        Turn("q4", "biography", "Where did you grow up?", "  By the sea, in Gdańsk.  "),
    ]


def test_exact_format_of_one_record() -> None:
    records = training_records(SID, "Ada", _turns()[:1])
    assert records == [
        {
            "messages": [
                {
                    "role": "system",
                    "content": "You are Ada. Answer as yourself, in your own words and voice.",
                },
                {"role": "user", "content": "What matters most to you?"},
                {"role": "assistant", "content": "Honesty, even when it costs me."},
            ],
            "metadata": {"session_id": SID, "question_id": "q1", "category": "values"},
        }
    ]
    assert render_jsonl(records) == (
        '{"messages":[{"role":"system","content":"You are Ada. Answer as yourself, in your own '
        'words and voice."},{"role":"user","content":"What matters most to you?"},'
        '{"role":"assistant","content":"Honesty, even when it costs me."}],'
        '"metadata":{"session_id":"20250101T120000Z-0123abcd","question_id":"q1",'
        '"category":"values"}}\n'
    )


def test_person_speaks_as_assistant_interviewer_as_user() -> None:
    for record in training_records(SID, "Ada", _turns()):
        roles = [message["role"] for message in record["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert record["messages"][1]["content"].endswith("?")


def test_unanswered_skipped_and_blank_turns_are_left_out() -> None:
    turns = [*_turns(), Turn("q5", "values", "Anything else?", "   \n ")]
    records = training_records(SID, "Ada", turns)
    assert [r["metadata"]["question_id"] for r in records] == ["q1", "q4"]
    # A skipped turn stays out even if it carries text.
    assert training_records(SID, "Ada", [Turn("q9", "goals", "Q?", "text", skipped=True)]) == []


def test_answers_are_trimmed_and_name_whitespace_normalized() -> None:
    records = training_records(SID, "  Ada   Lovelace ", _turns())
    assert records[1]["messages"][2]["content"] == "By the sea, in Gdańsk."
    assert records[1]["messages"][0]["content"].startswith("You are Ada Lovelace. ")


def test_blank_persona_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="name"):
        system_prompt("  ")


def test_unicode_survives_and_every_line_parses() -> None:
    answer = 'Zażółć gęślą jaźń — 日本語 🙂 "quoted"\nsecond line\u2028after a separator'
    turns = [*_turns(), Turn("q6", "style", "Say something in your words?", answer)]
    text = render_jsonl(training_records(SID, "Zoë", turns))
    assert text.endswith("\n")
    assert "Zażółć" in text and "日本語" in text and "🙂" in text  # not \u-escaped
    lines = text.split("\n")
    assert lines[-1] == ""
    parsed = [json.loads(line) for line in lines[:-1]]
    assert len(parsed) == 3
    assert parsed[-1]["messages"][2]["content"] == answer
    assert parsed[-1]["messages"][0]["content"].startswith("You are Zoë.")
    # Readers that split on every Unicode line break still see one record a line.
    assert len(text.splitlines()) == 3


def test_empty_export_renders_empty() -> None:
    assert training_records(SID, "Ada", []) == []
    assert render_jsonl([]) == ""
