"""The session state machine: transitions, idempotency, limits, drafts and recovery by replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.config import InterviewConfig, default_config, parse_config
from server.errors import AnswerRejected, ConflictError, InvalidTransition, NotFound
from server.interview.session import (
    Event,
    Session,
    StateChanged,
    parse_event,
)
from server.persona.draft import PersonaDraft, ValueItem

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
RICH = (
    "Honesty matters more to me than being liked, and I try to tell people the truth kindly "
    "even when it is uncomfortable, because trust is what holds my friendships and my work "
    "together over the long run, at home and at work alike."
)


@pytest.fixture
def config() -> InterviewConfig:
    return default_config()


def state_of(session: Session) -> str:
    """The state, read fresh (keeps mypy from narrowing it across commands)."""
    return session.state


def fresh() -> Session:
    return Session.new("20261126T090000Z-0123abcd", "alice", T0, backend="test")


def commit(session: Session, events: list[Event]) -> list[Event]:
    """What the runner does: journal (here: a round trip through JSON), then apply."""
    session.apply([parse_event(event.model_dump(mode="json")) for event in events])
    return events


def ask(session: Session, config: InterviewConfig, category: str = "values") -> str:
    qid = session.next_question_id
    commit(
        session,
        session.ask(qid, category, f"What matters to you about {qid}?", "builtin", T0, config),  # type: ignore[arg-type]
    )
    return qid


def answer(session: Session, config: InterviewConfig, qid: str, text: str = RICH) -> list[Event]:
    return commit(session, session.submit_answer(qid, f"a-{qid}", text, T0, config))


def test_new_session_is_active_with_nothing_asked(config: InterviewConfig) -> None:
    session = fresh()
    assert state_of(session) == "active"
    assert session.pending_question is None
    assert session.can_ask(config)
    assert session.progress(config).answered == 0


def test_answer_closes_the_open_question(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    assert session.pending_question is not None
    answer(session, config, qid)
    assert session.pending_question is None
    assert session.answers[qid].text == RICH
    # Coverage counts what was understood (honesty, trust, ...), not the words typed.
    assert session.progress(config).of("values").understood >= 1


def test_same_answer_id_twice_has_one_effect(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    assert answer(session, config, qid)
    journal_before = session.journal_n
    assert session.submit_answer(qid, f"a-{qid}", RICH, T0, config) == []
    assert session.journal_n == journal_before


def test_same_answer_id_with_other_text_is_a_conflict(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    answer(session, config, qid)
    with pytest.raises(ConflictError, match="already used"):
        session.submit_answer(qid, f"a-{qid}", RICH + " more", T0, config)


def test_new_answer_to_answered_question_must_be_an_edit(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    answer(session, config, qid)
    with pytest.raises(ConflictError, match="edit that answer"):
        session.submit_answer(qid, "other-id", RICH, T0, config)
    commit(
        session,
        session.edit_answer(qid, "edit-1", "An edited answer that is long enough.", T0, config),
    )
    edited = session.answers[qid]
    assert edited.revision == 2
    assert edited.edited_at == T0
    assert edited.text == "An edited answer that is long enough."


@pytest.mark.parametrize(
    ("text", "fragment"), [("too short", "at least 20"), ("x" * 2001, "at most 2000")]
)
def test_answer_length_limits_come_from_the_config(
    config: InterviewConfig, text: str, fragment: str
) -> None:
    session = fresh()
    qid = ask(session, config)
    with pytest.raises(AnswerRejected, match=fragment):
        session.submit_answer(qid, "a", text, T0, config)
    assert qid not in session.answers


def test_custom_length_limits_are_honoured() -> None:
    data = default_config().to_json_dict()
    data["sessionDefaults"] = {"minAnswerLength": 3, "maxAnswerLength": 10}
    config = parse_config(data)
    session = fresh()
    qid = ask(session, config)
    with pytest.raises(AnswerRejected, match="at most 10"):
        session.submit_answer(qid, "a", "eleven chars", T0, config)
    answer(session, config, qid, "yes, fine")
    assert session.answers[qid].text == "yes, fine"


def test_cannot_ask_while_a_question_is_open(config: InterviewConfig) -> None:
    session = fresh()
    ask(session, config)
    assert not session.can_ask(config)
    with pytest.raises(InvalidTransition, match="still open"):
        session.ask("q2", "goals", "What next?", "builtin", T0, config)


def test_question_ids_must_be_sequential(config: InterviewConfig) -> None:
    with pytest.raises(ConflictError, match="expected question id 'q1'"):
        fresh().ask("q7", "goals", "What next?", "builtin", T0, config)


def test_skip_closes_only_the_open_question(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    with pytest.raises(InvalidTransition, match="only the open question"):
        session.skip("q9", T0, config)
    commit(session, session.skip(qid, T0, config))
    assert qid in session.skipped
    assert session.skip(qid, T0, config) == []
    assert session.progress(config).closed == 1
    assert session.progress(config).answered == 0
    with pytest.raises(InvalidTransition, match="skipped"):
        session.submit_answer(qid, "late", RICH, T0, config)


def test_pause_and_resume(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    commit(session, session.pause(T0, config))
    assert state_of(session) == "paused"
    assert session.pause_reason == "user"
    assert session.pause(T0, config) == []
    with pytest.raises(InvalidTransition, match="is paused; cannot answer"):
        session.submit_answer(qid, "a", RICH, T0, config)
    commit(session, session.resume(T0))
    assert state_of(session) == "active"
    assert session.pause_reason is None


def test_pause_refused_when_config_disallows_resume() -> None:
    data = default_config().to_json_dict()
    data["sessionDefaults"] = {"allowResume": False}
    config = parse_config(data)
    with pytest.raises(InvalidTransition, match="allowResume"):
        fresh().pause(T0, config)


def test_crisis_answer_pauses_and_is_excluded(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    events = answer(session, config, qid, "Honestly I keep thinking about ending my life lately.")
    assert isinstance(events[-1], StateChanged)
    assert state_of(session) == "paused"
    assert session.pause_reason == "crisis"
    assert session.answers[qid].crisis
    assert session.progress(config).answered == 0
    assert all(turn.question_id != qid for turn in session.turns())


def test_finish_early_needs_the_minimum_answers(config: InterviewConfig) -> None:
    session = fresh()
    for _ in range(6):
        answer(session, config, ask(session, config))
    with pytest.raises(InvalidTransition, match="at least 7 answers; 6 so far"):
        session.finish_early(T0, config)
    answer(session, config, ask(session, config))
    commit(session, session.finish_early(T0, config))
    assert state_of(session) == "completed"


UNDERSTOOD_BY_CATEGORY = {
    "values": RICH,
    "goals": "I want to learn to sail this summer, and someday I'd like to open a bakery.",
    "style": "People say I'm warm and direct, and I'm calm when things go wrong.",
    "biography": "I moved to a fishing town when I was twelve. Losing my first job taught me "
    "to save money.",
    "current_focus": "These days I'm restoring an old rowing boat, and I'm learning the cello.",
}


def test_completes_when_every_category_is_covered(config: InterviewConfig) -> None:
    session = fresh()
    for category in config.categories:
        for _ in range(2):
            if state_of(session) != "active":
                break
            text = UNDERSTOOD_BY_CATEGORY[category]
            answer(session, config, ask(session, config, category), text)
    assert state_of(session) == "completed"
    progress = session.progress(config)
    assert progress.complete and progress.reason == "coverage"
    assert not session.can_ask(config)


def test_completes_at_the_question_cap(config: InterviewConfig) -> None:
    session = fresh()
    for _ in range(config.max_questions_per_session):
        qid = ask(session, config, "values")
        commit(session, session.skip(qid, T0, config))
    assert state_of(session) == "completed"
    assert session.progress(config).reason == "max_questions"


def _completed(config: InterviewConfig) -> Session:
    session = fresh()
    for _ in range(7):
        answer(session, config, ask(session, config))
    commit(session, session.finish_early(T0, config))
    return session


def _draft(*qids: str) -> PersonaDraft:
    return PersonaDraft(values=(ValueItem(value="honesty", evidence=qids, confidence=0.8),))


def test_finalize_apply_lifecycle(config: InterviewConfig) -> None:
    session = _completed(config)
    with pytest.raises(InvalidTransition, match="is completed; cannot apply"):
        session.mark_applied("merge", [], None, T0)
    commit(session, session.finalize(_draft("q1", "q99"), "builtin", T0))
    assert state_of(session) == "finalized"
    assert session.review is not None
    assert session.review.draft.values[0].evidence == ("q1",)  # invented id dropped
    commit(session, session.mark_applied("merge", ["c1"], "alice/persona/archive/x.json", T0))
    assert state_of(session) == "applied"
    assert session.application is not None and session.application.change_ids == ("c1",)
    with pytest.raises(InvalidTransition, match="is applied; cannot discard"):
        session.discard(T0)


def test_editing_a_finalized_session_sends_it_back_to_review(config: InterviewConfig) -> None:
    session = _completed(config)
    commit(session, session.finalize(_draft("q1"), "builtin", T0))
    commit(session, session.edit_answer("q1", "e1", "A different answer, long enough.", T0, config))
    assert state_of(session) == "completed"
    assert session.review is None


def test_draft_evidence_can_never_cite_crisis_turns(config: InterviewConfig) -> None:
    session = fresh()
    answer(session, config, ask(session, config))
    crisis_q = ask(session, config)
    answer(session, config, crisis_q, "I have a plan to kill myself this weekend.")
    commit(session, session.resume(T0))
    for _ in range(6):
        answer(session, config, ask(session, config))
    commit(session, session.finish_early(T0, config))
    commit(session, session.finalize(_draft(crisis_q), "builtin", T0))
    assert session.review is not None
    assert session.review.draft.is_empty()


def test_discard_from_every_open_state(config: InterviewConfig) -> None:
    for make in (fresh, lambda: _completed(config)):
        session = make()
        commit(session, session.discard(T0))
        assert state_of(session) == "discarded"
        assert session.discard(T0) == []
        with pytest.raises(InvalidTransition, match="is discarded"):
            session.resume(T0)


def test_drafts_detect_conflicting_revisions(config: InterviewConfig) -> None:
    session = fresh()
    qid = ask(session, config)
    commit(session, session.save_draft(qid, "first thoughts", 0, T0, config))
    assert session.draft is not None and session.draft.rev == 1
    commit(session, session.save_draft(qid, "first thoughts, more", 1, T0, config))
    with pytest.raises(ConflictError, match="you edited revision 1, the saved one is 2"):
        session.save_draft(qid, "stale tab text", 1, T0, config)
    assert session.draft is not None and session.draft.text == "first thoughts, more"
    answer(session, config, qid)
    assert session.draft is None


def test_draft_only_for_the_open_question(config: InterviewConfig) -> None:
    session = fresh()
    with pytest.raises(InvalidTransition, match="open question only"):
        session.save_draft("q1", "text", 0, T0, config)


def test_apply_refuses_a_gap_in_the_journal(config: InterviewConfig) -> None:
    session = fresh()
    events = session.ask("q1", "values", "What matters?", "builtin", T0, config)
    shifted = [events[0].model_copy(update={"n": 5})]
    with pytest.raises(ConflictError, match="expected event 1, got 5"):
        session.apply(shifted)


def test_snapshot_plus_journal_replay_rebuilds_the_same_session(config: InterviewConfig) -> None:
    session = fresh()
    snapshot = session.to_snapshot()
    journal: list[dict[str, object]] = []
    for minute in range(4):
        qid = session.next_question_id
        for events in (session.ask(qid, "goals", f"Question {minute}?", "builtin", T0, config),):
            journal += [e.model_dump(mode="json") for e in events]
            session.apply(events)
        later = T0 + timedelta(minutes=minute)
        events = session.submit_answer(qid, f"id{minute}", RICH, later, config)
        journal += [e.model_dump(mode="json") for e in events]
        session.apply(events)
    rebuilt = Session.from_snapshot(snapshot)
    rebuilt.apply([parse_event(record) for record in journal])
    assert rebuilt == session


def test_unknown_question_is_named(config: InterviewConfig) -> None:
    with pytest.raises(NotFound, match="no question 'q3'"):
        fresh().question("q3")
