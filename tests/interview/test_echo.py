"""The echo guard: what the interviewer may never say back. Examples written for the test."""

from __future__ import annotations

import pytest

from server.interview.echo import echoed_sensitive, safe_to_echo, sensitive_reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("you started on antidepressants last winter", "health detail"),
        ("you still live at 22 Harbour Road", "an address"),
        ("your number is 07700 900123", "an identifying number or contact detail"),
        ("you wrote to me at sam@example.org", "an identifying number or contact detail"),
        ("your friend Tobias taught you to climb", "another person's name"),
        ("you go to mosque every Friday with your brother", "a special-category detail"),
        ("everyone would be better off without you", "crisis content"),
    ],
)
def test_sensitive_phrases_are_never_said_back(text: str, reason: str) -> None:
    assert sensitive_reason(text) == reason
    assert not safe_to_echo(text)


@pytest.mark.parametrize(
    "text",
    [
        "you restored a 1950s dresser in 2014",
        "you teach woodworking to teenagers on weekends",
        "you keep your emails short and to the point",
    ],
)
def test_ordinary_phrases_may_be_said_back(text: str) -> None:
    assert safe_to_echo(text)


def test_a_written_question_that_repeats_a_name_or_a_health_detail_is_refused() -> None:
    answers = ["My sister Ingrid and I run the bakery; since my diagnosis I work mornings only."]
    assert echoed_sensitive("What does working with Ingrid teach you?", answers) == (
        "the question repeats a name the person mentioned"
    )
    assert echoed_sensitive("How has your diagnosis changed your days?", answers) == (
        "the question repeats a health detail"
    )
    assert echoed_sensitive("What does the bakery mean to you these days?", answers) is None
    for reason in filter(None, [echoed_sensitive("Ingrid?", answers)]):
        assert "Ingrid" not in reason  # a reason may be shown; it never quotes
