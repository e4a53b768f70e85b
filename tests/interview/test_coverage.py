"""Coverage shows partial progress, and the completion rule matches the message shown."""

from __future__ import annotations

import pytest

from server.config import default_config, parse_config
from server.interview.coverage import ClosedQuestion, answer_credit, compute_progress

CONFIG = default_config()
WORDS_40 = " ".join(["word"] * 40)
WORDS_5 = "one two three four five"


def test_a_terse_answer_counts_less_than_a_rich_one() -> None:
    assert answer_credit(WORDS_5) < answer_credit(WORDS_40) == 1.0
    assert answer_credit(WORDS_5) > 0.5


def test_partial_progress_is_visible() -> None:
    terse = compute_progress([ClosedQuestion("values", WORDS_5)], CONFIG).of("values")
    rich = compute_progress([ClosedQuestion("values", WORDS_40)], CONFIG).of("values")
    assert 25 < terse.percent < rich.percent == 50
    assert terse.answered == rich.answered == 1


def test_skips_count_toward_the_cap_but_not_coverage() -> None:
    progress = compute_progress([ClosedQuestion("goals", None)] * 3, CONFIG)
    assert progress.closed == 3
    assert progress.answered == 0
    assert progress.of("goals").percent == 0
    assert progress.questions_remaining == 12


def test_message_names_what_remains_per_category() -> None:
    closed = [ClosedQuestion("values", WORDS_40), ClosedQuestion("values", WORDS_40)]
    progress = compute_progress(closed, CONFIG)
    assert progress.of("values").covered
    assert progress.of("goals").remaining_answers == 2
    assert not progress.complete
    assert progress.message == (
        "Still to go: at least 2 more answers about your goals, 2 more answers about how you "
        "communicate, 2 more answers about your story, 2 more answers about what you are "
        "focused on now."
    )


def test_message_counts_toward_the_minimum_when_topics_are_covered() -> None:
    data = default_config().to_json_dict()
    data["categories"] = ["values"]
    data["categoryDescriptions"] = {}
    data["baselineQuestions"] = []
    data["requireMinimumAnswers"] = 4
    config = parse_config(data)
    progress = compute_progress([ClosedQuestion("values", WORDS_40)] * 2, config)
    assert progress.of("values").covered
    assert not progress.complete
    assert progress.message == "Still to go: at least 2 more answers on any topic."


@pytest.mark.parametrize("per_category", [2])
def test_complete_by_coverage(per_category: int) -> None:
    closed = [ClosedQuestion(c, WORDS_40) for c in CONFIG.categories for _ in range(per_category)]
    progress = compute_progress(closed, CONFIG)
    assert progress.complete
    assert progress.reason == "coverage"
    assert progress.message == "Interview complete: every topic is covered."
    assert all(item.remaining_answers == 0 for item in progress.categories)


def test_remaining_answers_is_consistent_with_the_rule() -> None:
    """Giving each category the promised number of full answers always completes it."""
    for answers in range(3):
        closed = [ClosedQuestion("style", WORDS_5)] * answers
        item = compute_progress(closed, CONFIG).of("style")
        extra = [ClosedQuestion("style", WORDS_40)] * item.remaining_answers
        assert compute_progress(closed + extra, CONFIG).of("style").covered


def test_complete_at_the_question_cap() -> None:
    progress = compute_progress([ClosedQuestion("values", WORDS_5)] * 15, CONFIG)
    assert progress.complete
    assert progress.reason == "max_questions"
    assert progress.message == "Interview complete: the question limit was reached."


def test_finish_early_allowed_at_the_minimum() -> None:
    six = compute_progress([ClosedQuestion("values", WORDS_5)] * 6, CONFIG)
    seven = compute_progress([ClosedQuestion("values", WORDS_5)] * 7, CONFIG)
    assert not six.can_finish_early
    assert seven.can_finish_early


def test_target_percentage_from_config() -> None:
    data = default_config().to_json_dict()
    data["sessionDefaults"] = {"targetCategoryCompletionPercentage": 50}
    config = parse_config(data)
    item = compute_progress([ClosedQuestion("values", WORDS_5)], config).of("values")
    assert not item.covered  # 0.5 + a little < 1.0 credit
    item = compute_progress([ClosedQuestion("values", WORDS_40)], config).of("values")
    assert item.covered and item.percent == 50
