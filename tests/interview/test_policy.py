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
