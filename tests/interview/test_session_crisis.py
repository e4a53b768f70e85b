"""The session's crisis handling: both pauses, the model's second opinion, and what the
answer that caused a pause is kept out of."""

from __future__ import annotations

import pytest

from server.config import InterviewConfig, default_config
from server.interview.crisis import crisis_message_for
from server.interview.session import Session, StateChanged
from tests.interview.test_session import RICH, T0, ask, commit, fresh


@pytest.fixture
def config() -> InterviewConfig:
    return default_config()


def submit(
    session: Session, config: InterviewConfig, text: str, opinion: str | None = None
) -> list[StateChanged]:
    qid = ask(session, config)
    events = commit(
        session,
        session.submit_answer(qid, f"a-{qid}", text, T0, config, second_opinion=opinion),  # type: ignore[arg-type]
    )
    return [event for event in events if isinstance(event, StateChanged)]


def test_an_uncertain_answer_pauses_with_the_check_in_and_is_set_aside(
    config: InterviewConfig,
) -> None:
    session = fresh()
    submit(session, config, RICH)
    [paused] = submit(session, config, "I think about dying more than I would like to admit.")
    assert (paused.state, paused.reason) == ("paused", "crisis_check")
    assert session.pause_reason == "crisis" and session.crisis_check
    assert crisis_message_for("crisis_check" if session.crisis_check else None) is not None
    assert [turn.question_id for turn in session.turns()] == ["q1"]  # q2 is set aside
    assert not session.can_ask(config)  # nothing more is asked until the person resumes
    commit(session, session.resume(T0))
    assert session.state == "active" and not session.crisis_check


def test_the_model_raises_an_ordinary_looking_answer_to_a_crisis(config: InterviewConfig) -> None:
    session = fresh()
    [paused] = submit(session, config, RICH, opinion="crisis")
    assert (paused.state, paused.reason) == ("paused", "crisis")
    assert session.answers["q1"].crisis and session.turns() == ()


def test_the_model_cannot_lower_the_rules(config: InterviewConfig) -> None:
    session = fresh()
    explicit = "I have a plan to kill myself this weekend and nobody knows about it yet."
    [paused] = submit(session, config, explicit, opinion="none")
    assert paused.reason == "crisis" and session.answers["q1"].crisis


def test_no_opinion_leaves_the_rules_to_decide(config: InterviewConfig) -> None:
    session = fresh()
    assert submit(session, config, RICH, opinion=None) == []
    assert session.state == "active" and not session.answers["q1"].crisis


def test_an_edit_that_reveals_a_crisis_pauses_and_sets_the_answer_aside(
    config: InterviewConfig,
) -> None:
    session = fresh()
    submit(session, config, RICH)
    edited = "Honestly I keep hoping I just won't wake up, and I have said my goodbyes."
    events = commit(session, session.edit_answer("q1", "edit-1", edited, T0, config))
    assert any(isinstance(e, StateChanged) and e.reason == "crisis" for e in events)
    assert session.answers["q1"].crisis and session.turns() == ()
