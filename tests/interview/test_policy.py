"""The server chooses the category: least covered first, the config's opener first."""

from __future__ import annotations

from datetime import UTC, datetime

from server.config import default_config
from server.interview.policy import next_category, plan_next_question
from server.interview.session import Session

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CONFIG = default_config()
LONG = " ".join(["thought"] * 40)


def run(session: Session, category: str, text: str | None = LONG) -> None:
    qid = session.next_question_id
    session.apply(session.ask(qid, category, f"Tell me more, {qid}?", "builtin", T0, CONFIG))  # type: ignore[arg-type]
    if text is None:
        session.apply(session.skip(qid, T0, CONFIG))
    else:
        session.apply(session.submit_answer(qid, qid, text, T0, CONFIG))


def test_first_question_is_the_configured_opener() -> None:
    request = plan_next_question(Session.new("s", "alice", T0), CONFIG)
    assert request is not None
    assert request.question_id == "q1"
    assert request.baseline is not None and request.baseline.id == "q1"
    assert request.category == "values"


def test_least_covered_category_comes_next() -> None:
    session = Session.new("s", "alice", T0)
    run(session, "values")
    assert next_category(session, CONFIG) == "goals"
    for category in ("goals", "style", "biography", "current_focus"):
        run(session, category)
    # All at 50 %: the one asked longest ago comes first.
    assert next_category(session, CONFIG) == "values"


def test_plan_passes_history_baseline_and_refusals() -> None:
    session = Session.new("s", "alice", T0)
    run(session, "values")
    run(session, "goals", None)
    request = plan_next_question(session, CONFIG)
    assert request is not None
    assert request.question_id == "q3"
    assert [turn.question_id for turn in request.turns] == ["q1", "q2"]
    assert request.refused_topics == ("Tell me more, q2?",)
    assert request.baseline is not None and request.baseline.category == request.category


def test_nothing_planned_while_paused_or_open() -> None:
    session = Session.new("s", "alice", T0)
    session.apply(session.ask("q1", "values", "What matters?", "baseline", T0, CONFIG))
    assert plan_next_question(session, CONFIG) is None
    session.apply(session.pause(T0, CONFIG))
    assert plan_next_question(session, CONFIG) is None


# -- the interview never loops ---------------------------------------------------------------

# Answers written for these tests: one teaches the extractor something, one teaches nothing.
RICH = {
    "values": "Loyalty matters most to me; I stick with people through the rough patches.",
    "goals": "I want to build a small wooden boat with my nephew over the next year.",
    "style": "People say I'm patient and calm, even when a meeting goes sideways.",
    "biography": "When I was twenty I moved to the coast and that changed my life for good.",
    "current_focus": "These days I'm working on a community garden with my neighbours.",
}
EMPTY = "Hard to say really, nothing comes to mind about that one right now."


def categories_asked(session: Session) -> list[str]:
    return [question.category for question in session.questions]


def longest_run(categories: list[str]) -> int:
    best = run = 0
    previous = None
    for category in categories:
        run = run + 1 if category == previous else 1
        previous = category
        best = max(best, run)
    return best


def test_a_skip_moves_to_another_topic() -> None:
    session = Session.new("s", "alice", T0)
    run(session, "values", None)  # the person skips the opener
    assert next_category(session, CONFIG) != "values"


def test_a_declining_answer_moves_to_another_topic() -> None:
    session = Session.new("s", "alice", T0)
    run(session, "goals", "I'd rather not go into my plans, thank you.")
    assert next_category(session, CONFIG) != "goals"


def test_an_answer_that_taught_something_keeps_the_topic_once() -> None:
    session = Session.new("s", "alice", T0)
    run(session, "goals", RICH["goals"])
    assert next_category(session, CONFIG) == "goals"  # depth before breadth
    run(session, "goals", "I would also like to learn to sail it along the river by the autumn.")
    assert next_category(session, CONFIG) != "goals"  # never three in a row


def test_an_answer_that_taught_nothing_moves_on() -> None:
    session = Session.new("s", "alice", T0)
    run(session, "style", EMPTY)
    assert next_category(session, CONFIG) != "style"


def test_a_declined_topic_comes_after_the_others() -> None:
    session = Session.new("s", "alice", T0)
    run(session, "values", None)
    for category in ("goals", "style", "biography", "current_focus"):
        run(session, category, EMPTY)
    # Every topic is at 0 or half covered; the one the person skipped waits behind them all.
    assert next_category(session, CONFIG) != "values"
    assert "values" not in categories_asked(session)[1:]


def planned_interview(answer_for: dict[str, str | None], limit: int = 15) -> list[str]:
    """Drive the policy to the end with a fixed answer (None: skip) per topic."""
    session = Session.new("s", "alice", T0)
    for _ in range(limit):
        request = plan_next_question(session, CONFIG)
        if request is None:
            break
        run(session, request.category, answer_for[request.category])
    return categories_asked(session)


def test_a_person_who_skips_one_topic_every_time_is_never_stuck() -> None:
    answers: dict[str, str | None] = dict(RICH)
    answers["values"] = None
    asked = planned_interview(answers)
    assert longest_run(asked) <= 2
    assert asked.count("values") <= 3, asked  # asked, declined, and tried again rarely
    assert set(asked) == set(CONFIG.categories)


def test_no_topic_three_times_in_a_row_whatever_the_answers() -> None:
    for answers in (
        dict.fromkeys(RICH, EMPTY),
        dict.fromkeys(RICH),
        dict(RICH),
        {**dict.fromkeys(RICH), "current_focus": RICH["current_focus"]},
    ):
        asked = planned_interview(answers)  # type: ignore[arg-type]
        assert longest_run(asked) <= 2, asked
