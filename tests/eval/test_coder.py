"""The MI coder agrees with its hand-labelled examples (the figures docs/quality.md cites)."""

from __future__ import annotations

import pytest

from server.eval.coder import (
    CODES,
    code_turn,
    code_utterance,
    labelled_examples,
    split_utterances,
    validate,
)

# Pinned: a change to the rules or the examples that lowers these must be deliberate.
ACCURACY = 0.95
HELDOUT_ACCURACY = 0.86


def test_there_are_enough_labelled_examples_of_every_code() -> None:
    examples = labelled_examples()
    assert len(examples) >= 60
    for code in CODES:
        assert sum(1 for e in examples if e.code == code) >= 8, code
    heldout = [e for e in examples if e.split == "heldout"]
    assert len(heldout) >= 30
    assert sum(1 for e in examples if e.leading) >= 5


def test_accuracy_on_the_labelled_examples_is_pinned() -> None:
    every = validate()
    assert every.accuracy >= ACCURACY, every.mistakes
    assert every.leading_accuracy == 1.0
    heldout = validate([e for e in labelled_examples() if e.split == "heldout"])
    assert heldout.accuracy >= HELDOUT_ACCURACY, heldout.mistakes
    dev = validate([e for e in labelled_examples() if e.split == "dev"])
    assert dev.accuracy == 1.0, dev.mistakes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("What matters most to you?", "open_question"),
        ("When you're stressed, what helps?", "open_question"),
        ("Looking back, was it worth it?", "closed_question"),
        ("How many siblings do you have?", "closed_question"),
        ("You said honesty matters most to you.", "simple_reflection"),
        ("On the one hand you love it, and on the other it drains you.", "complex_reflection"),
        ("So far you've told me that you cook, and that you run.", "complex_reflection"),
        ("You should talk to your boss.", "non_adherent"),
        ("That took courage.", "affirm"),
        ("Thank you.", "other"),
        ("Think of a time you stood by something.", "other"),
    ],
)
def test_rules_in_brief(text: str, code: str) -> None:
    assert code_utterance(text).code == code


def test_context_decides_whether_a_meaning_was_added() -> None:
    reflection = "It sounds like honesty matters to you."
    assert code_utterance(reflection, "Honesty matters to me.").code == "simple_reflection"
    assert code_utterance(reflection, "I hate being lied to.").code == "complex_reflection"
    assert code_utterance(reflection).code == "complex_reflection"


def test_a_turn_is_coded_sentence_by_sentence() -> None:
    turn = "You said you keep it short. What makes that work for you? And why?"
    assert split_utterances(turn) == [
        "You said you keep it short.",
        "What makes that work for you?",
        "And why?",
    ]
    assert [c.code for c in code_turn(turn)] == [
        "simple_reflection",
        "open_question",
        "open_question",
    ]
    assert code_utterance("You love your job, right?").leading
