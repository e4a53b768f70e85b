"""The shared text toolkit: examples written for these tests."""

from __future__ import annotations

from server.interview.text import second_person


def test_first_person_becomes_second_person() -> None:
    assert (
        second_person("I wasn't sure my plan would work") == "you weren't sure your plan would work"
    )
    assert second_person("I\u2019m proud of myself") == "you're proud of yourself"
    # Words that only contain a pronoun's letters are left alone.
    assert second_person("Ideas in Miami") == "Ideas in Miami"
