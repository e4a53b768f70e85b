"""MI summaries: offered at a topic change and at the end, never echoing anything sensitive,
and a correction that becomes evidence in the draft. Examples written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.config import default_config
from server.errors import AnswerRejected, ConflictError, NotFound
from server.interview.extract_rules import extract_persona
from server.interview.model import ExtractionRequest, Turn
from server.interview.policy import summary_due
from server.interview.session import Event, Session, parse_event
from server.interview.summary import plan_summary, summarize

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CONFIG = default_config()


def commit(session: Session, events: list[Event], journal: list[dict[str, object]]) -> None:
    journal.extend(event.model_dump(mode="json") for event in events)
    session.apply(events)


def answered(
    session: Session, category: str, text: str | None, journal: list[dict[str, object]]
) -> str:
    qid = session.next_question_id
    commit(session, session.ask(qid, category, f"Question {qid}?", "builtin", T0, CONFIG), journal)  # type: ignore[arg-type]
    if text is None:
        commit(session, session.skip(qid, T0, CONFIG), journal)
    else:
        commit(session, session.submit_answer(qid, f"a-{qid}", text, T0, CONFIG), journal)
    return qid


def test_a_topic_change_brings_a_summary_of_the_topic_just_left() -> None:
    turns = (
        Turn("q1", "values", "What matters?", "Patience and fairness matter a great deal to me."),
    )
    planned = plan_summary(turns, set(), "goals", False, CONFIG)
    assert planned is not None
    assert planned.categories == ("values",)
    assert planned.covers == ("q1",)
    assert planned.text.startswith("So far I have: ")
    assert planned.text.endswith("Did I get that right?")
    assert "patience and fairness matter to you" in planned.text
    # Staying on the topic: no summary yet. Already summarized: none again.
    assert plan_summary(turns, set(), "values", False, CONFIG) is None
    assert plan_summary(turns, {"q1"}, "goals", False, CONFIG) is None


def test_at_the_end_every_unsummarized_topic_is_summarized_once() -> None:
    turns = (
        Turn("q1", "values", "Q?", "Patience matters a great deal to me."),
        Turn("q2", "goals", "Q?", "I want to build a wooden boat next summer."),
        Turn("q3", "goals", "Q?", None, skipped=True),
    )
    planned = plan_summary(turns, {"q1"}, None, True, CONFIG)
    assert planned is not None
    assert planned.categories == ("goals",)
    assert "you want to build a wooden boat next summer" in planned.text


def test_when_nothing_was_understood_the_summary_invites_the_persons_own_words() -> None:
    planned = summarize(("style",), (Turn("q1", "style", "Q?", "Hmm, hard to say."),), CONFIG)
    assert planned.items == ()
    assert "anything specific about how you communicate" in planned.text


@pytest.mark.parametrize(
    ("answer", "never"),
    [
        ("I want to support my friend Marguerite through her recovery this year.", "Marguerite"),
        ("I want to get off my antidepressants by the spring.", "antidepressant"),
        ("I want to finally sell the flat at 14 Elm Street next year.", "Elm Street"),
        ("I want to call 0161 496 0732 every week to check on my uncle.", "0161"),
        ("I want to stop feeling like everyone would be better off without me.", "better off"),
    ],
)
def test_a_summary_never_says_back_a_name_a_health_detail_an_address_or_a_number(
    answer: str, never: str
) -> None:
    planned = summarize(("goals",), (Turn("q1", "goals", "Q?", answer),), CONFIG)
    assert never.lower() not in planned.text.lower()
    for item in planned.items:
        assert never.lower() not in item.lower()


def test_a_correction_is_evidence_for_the_draft_and_survives_replay() -> None:
    journal: list[dict[str, object]] = []
    session = Session.new("s", "alice", T0)
    answered(session, "goals", "I want to open a bicycle repair shop in a few years.", journal)
    answered(session, "goals", "I'd also like to get better at welding frames.", journal)
    commit(
        session,
        session.offer_summary(("goals",), "So far I have: ...", ("x",), ("q1", "q2"), T0),
        journal,
    )
    summary_id = session.summaries[0].id
    assert summary_id == "s1"
    correction = "Not a shop: I want to teach bicycle repair to teenagers at the youth club."
    events = session.resolve_summary(summary_id, "fix-1", correction, T0, CONFIG)
    commit(session, events, journal)
    # The same request again has one effect; another answer to it is a conflict.
    assert session.resolve_summary(summary_id, "fix-1", correction, T0, CONFIG) == []
    with pytest.raises(ConflictError):
        session.resolve_summary(summary_id, "fix-2", None, T0, CONFIG)
    with pytest.raises(NotFound):
        session.resolve_summary("s9", "fix-3", None, T0, CONFIG)

    turns = session.evidence_turns()
    assert turns[-1].question_id == "s1" and turns[-1].answer == correction
    draft = extract_persona(ExtractionRequest("s", turns, CONFIG))
    cited = [goal for goal in draft.goals if "s1" in goal.evidence]
    assert cited and "teach bicycle repair" in cited[0].goal
    assert session.turns()[-1].question_id == "q2"  # training and backends see no summary turn

    # Rebuilt from the journal alone (what recovery after kill -9 does): the same state.
    rebuilt = Session.new("s", "alice", T0)
    rebuilt.apply(parse_event(record) for record in journal)
    assert rebuilt.resolutions == session.resolutions
    assert rebuilt.evidence_turns() == turns


def test_an_empty_correction_is_refused_and_a_crisis_correction_pauses() -> None:
    journal: list[dict[str, object]] = []
    session = Session.new("s", "alice", T0)
    answered(session, "values", "Kindness matters a great deal to me, always has.", journal)
    commit(
        session, session.offer_summary(("values",), "So far I have: ...", (), ("q1",), T0), journal
    )
    with pytest.raises(AnswerRejected):
        session.resolve_summary("s1", "c-1", "   ", T0, CONFIG)
    events = session.resolve_summary(
        "s1", "c-2", "None of it matters, I want to end my life.", T0, CONFIG
    )
    commit(session, events, journal)
    assert session.state == "paused" and session.pause_reason == "crisis"
    assert all(turn.question_id != "s1" for turn in session.evidence_turns())


def test_summary_due_follows_the_policy_and_never_after_a_crisis() -> None:
    journal: list[dict[str, object]] = []
    session = Session.new("s", "alice", T0)
    answered(session, "values", "Hard to say really, nothing comes to mind right now.", journal)
    due = summary_due(session, CONFIG)  # the policy moves on: the topic is summarized
    assert due is not None and due.categories == ("values",)
    commit(
        session, session.offer_summary(due.categories, due.text, due.items, due.covers, T0), journal
    )
    assert summary_due(session, CONFIG) is None
    answered(session, "goals", "Some days I don't want to wake up at all anymore.", journal)
    assert session.state == "paused"
    assert summary_due(session, CONFIG) is None


def test_a_correction_that_takes_an_item_back_removes_it_from_the_review() -> None:
    journal: list[dict[str, object]] = []
    session = Session.new("s", "alice", T0)
    answered(session, "goals", "I want to open a bicycle repair shop in a few years.", journal)
    commit(
        session, session.offer_summary(("goals",), "So far I have: ...", (), ("q1",), T0), journal
    )
    correction = "Not a shop, really. I want to teach bicycle repair to teenagers instead."
    commit(session, session.resolve_summary("s1", "c-1", correction, T0, CONFIG), journal)
    commit(
        session,
        session.finish_early(T0, CONFIG.model_copy(update={"require_minimum_answers": 1})),
        journal,
    )
    draft = extract_persona(ExtractionRequest("s", session.evidence_turns(), CONFIG))
    assert any("shop" in goal.goal for goal in draft.goals)  # the answer still says so
    commit(session, session.finalize(draft, "builtin", T0), journal)
    assert session.review is not None
    goals = [goal.goal for goal in session.review.draft.goals]
    assert not any("shop" in goal for goal in goals), goals
    assert any("teach bicycle repair" in goal for goal in goals), goals


def test_summary_phrases_are_second_person_and_grouped_by_kind() -> None:
    answer = "These days I'm restoring an old dresser. I'm working on a quilt for my niece."
    planned = summarize(("current_focus",), (Turn("q1", "current_focus", "Q?", answer),), CONFIG)
    assert planned.items == (
        "right now you're focused on restoring an old dresser and a quilt for your niece",
    )
    assert planned.text == f"So far I have: {planned.items[0]}. Did I get that right?"


def test_a_confirmed_summary_counts_towards_its_topics_coverage() -> None:
    session = Session.new("s", "alice", T0)
    journal: list[dict[str, object]] = []
    answered(session, "values", "Patience matters a great deal to me.", journal)
    before = session.progress(CONFIG).of("values").percent
    assert 0 < before < 100
    commit(
        session,
        session.offer_summary(("values",), "So far I have: patience.", ("patience",), ("q1",), T0),
        journal,
    )
    assert session.progress(CONFIG).of("values").percent == before  # offered is not confirmed
    commit(session, session.resolve_summary("s1", "r1", None, T0, CONFIG), journal)
    assert session.progress(CONFIG).of("values").percent > before
