"""Coverage is what was understood, not words typed; the completion rule matches the message."""

from __future__ import annotations

from server.config import default_config, parse_config
from server.interview.coverage import (
    ITEMS_FOR_FULL_COVERAGE,
    ClosedQuestion,
    compute_progress,
)

CONFIG = default_config()
# Written for these tests: what each answer says, and what a reader understands from it.
RAMBLE = (
    "Well, it is hard to say really, there is a lot going on and I could talk about it for a "
    "long while, but nothing in particular comes to mind when I try to pin it down right now."
)
TWO_VALUES = "Honesty matters a great deal to me, and I believe in generosity."
ONE_VALUE = "Patience is important to me."
GOAL = "I want to learn to sail this summer."
STYLE = "People say I'm warm and direct, and I'm calm when things go wrong."
STORY = "I moved to a fishing town when I was twelve. Losing my first job taught me to save money."
FOCUS = "These days I'm restoring an old rowing boat, and I'm learning to play the cello."
FULL = {
    "values": [TWO_VALUES, ONE_VALUE],
    "goals": [GOAL, "I plan to open a small bakery.", "I hope to run a marathon next year."],
    "style": [STYLE],
    "biography": [STORY, "I started work at a sawmill when I was sixteen."],
    "current_focus": [FOCUS, "Right now I'm training for a triathlon with my sister."],
}


def test_words_typed_without_anything_understood_do_not_count() -> None:
    progress = compute_progress([ClosedQuestion("values", RAMBLE)] * 2, CONFIG)
    item = progress.of("values")
    assert item.answered == 2
    assert item.understood == 0 and item.percent == 0 and not item.covered
    assert item.understood_text == "nothing understood yet"


def test_each_distinct_item_understood_counts_once() -> None:
    one = compute_progress([ClosedQuestion("values", TWO_VALUES)], CONFIG).of("values")
    assert one.understood == 2
    assert one.percent == min(100, 200 // ITEMS_FOR_FULL_COVERAGE)
    assert one.understood_text == "2 items understood"
    # Saying the same values again adds nothing new.
    again = [ClosedQuestion("values", TWO_VALUES), ClosedQuestion("values", TWO_VALUES)]
    assert compute_progress(again, CONFIG).of("values").understood == 2
    more = [ClosedQuestion("values", TWO_VALUES), ClosedQuestion("values", ONE_VALUE)]
    assert compute_progress(more, CONFIG).of("values").understood == 3


def test_an_item_counts_for_the_topic_it_is_about() -> None:
    progress = compute_progress([ClosedQuestion("values", ONE_VALUE + " " + GOAL)], CONFIG)
    assert progress.of("values").understood == 1
    assert progress.of("goals").understood == 1


def test_confirmed_items_count_more() -> None:
    closed = [ClosedQuestion("values", ONE_VALUE)]
    plain = compute_progress(closed, CONFIG).of("values")
    confirmed = compute_progress(closed, CONFIG, confirmed={"values": 1}).of("values")
    assert confirmed.percent > plain.percent
    # Confirming more than was understood changes nothing.
    again = compute_progress(closed, CONFIG, confirmed={"values": 9}).of("values")
    assert again.percent == confirmed.percent


def test_skips_and_crisis_turns_count_toward_the_cap_but_not_coverage() -> None:
    progress = compute_progress([ClosedQuestion("goals", None)] * 3, CONFIG)
    assert progress.closed == 3 and progress.answered == 0
    assert progress.of("goals").percent == 0
    assert progress.questions_remaining == 12


def test_message_says_what_is_understood_and_what_remains() -> None:
    closed = [ClosedQuestion("values", ONE_VALUE), ClosedQuestion("goals", GOAL)]
    progress = compute_progress(closed, CONFIG)
    assert progress.of("goals").remaining_items == 1
    assert progress.message.startswith(
        "Still to go: your values (1 understood, 1 more needed), your goals (1 understood, "
        "1 more needed), how you communicate (0 understood, 2 more needed)"
    )


def test_message_counts_toward_the_minimum_when_topics_are_covered() -> None:
    data = default_config().to_json_dict()
    data["categories"] = ["values"]
    data["categoryDescriptions"] = {}
    data["baselineQuestions"] = []
    data["requireMinimumAnswers"] = 4
    config = parse_config(data)
    closed = [ClosedQuestion("values", TWO_VALUES), ClosedQuestion("values", ONE_VALUE)]
    progress = compute_progress(closed, config)
    assert progress.of("values").covered and not progress.complete
    assert progress.message == "Still to go: 2 more answers on any topic."


def test_complete_when_enough_is_understood_about_every_topic() -> None:
    closed = [ClosedQuestion(c, text) for c, texts in FULL.items() for text in texts]  # type: ignore[arg-type]
    progress = compute_progress(closed, CONFIG)
    not_covered = [(i.category, i.understood) for i in progress.categories if not i.covered]
    assert not not_covered
    assert progress.complete and progress.reason == "coverage"
    assert progress.message == "Interview complete: enough is understood about every topic."
    assert all(item.remaining_answers == 0 for item in progress.categories)


def test_complete_at_the_question_cap_even_when_little_was_understood() -> None:
    progress = compute_progress([ClosedQuestion("values", RAMBLE)] * 15, CONFIG)
    assert progress.complete and progress.reason == "max_questions"
    assert progress.message == "Interview complete: the question limit was reached."


def test_finish_early_allowed_at_the_minimum() -> None:
    six = compute_progress([ClosedQuestion("values", RAMBLE)] * 6, CONFIG)
    seven = compute_progress([ClosedQuestion("values", RAMBLE)] * 7, CONFIG)
    assert not six.can_finish_early
    assert seven.can_finish_early


def test_target_percentage_from_config() -> None:
    data = default_config().to_json_dict()
    data["sessionDefaults"] = {"targetCategoryCompletionPercentage": 50}
    config = parse_config(data)
    assert not compute_progress([ClosedQuestion("values", RAMBLE)], config).of("values").covered
    item = compute_progress([ClosedQuestion("values", ONE_VALUE)], config).of("values")
    assert item.covered and item.percent == 50
