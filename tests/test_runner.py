"""Whole interviews driven from Python, with real files: question to applied core.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.config import InterviewConfig, default_config
from server.errors import ConflictError, InvalidTransition
from server.interview.model import QuestionDelta, QuestionFinal, QuestionRestart
from server.interview.session import Session
from server.llm.base import Interviewer
from server.llm.builtin import BuiltinInterviewer
from server.llm.ollama import OllamaInterviewer
from server.runner import InterviewRunner
from server.store import ProfileStore
from tests.fake_ollama import FakeOllama, Reply

ANSWERS = {
    "values": [
        "Honesty is the value I come back to most. I would rather lose an argument than win it "
        "by bending the truth, and I expect the same from the people I work with.",
        "Curiosity and kindness. I ask a lot of questions because I love understanding how "
        "things work, and I try to stay kind even when I am tired.",
    ],
    "goals": [
        "I want to finish my first novel this year; I have a draft and I am rewriting the middle "
        "chapters every morning before work.",
        "Eventually I hope to start a small workshop that teaches teenagers woodworking and the "
        "patience that comes with it.",
    ],
    "style": [
        "People say I am direct but warm. I get to the point quickly, and I follow up with a "
        "joke so nobody feels attacked.",
        "I think on paper. I write lists, cross things out, and talk it through with a friend "
        "before I decide anything important.",
    ],
    "biography": [
        "Moving countries at twelve shaped me most. I had to learn a new language fast and "
        "learned that being an outsider can be a strength.",
        "My first job in a busy kitchen taught me to stay calm under pressure and to respect "
        "people who do hard physical work.",
    ],
    "current_focus": [
        "These days I am focused on the novel and on training for a half marathon in spring; "
        "most of my energy goes into those two.",
        "I am also working on a small garden app for my neighbourhood allotment group, mostly "
        "on weekends.",
    ],
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now


def state_of(session: Session) -> str:
    """The state, read fresh (keeps mypy from narrowing it across commands)."""
    return session.state


def make_runner(root: Path, interviewer: Interviewer, config: InterviewConfig) -> InterviewRunner:
    return InterviewRunner(ProfileStore(root), interviewer, config, clock=Clock())


async def ask_next(runner: InterviewRunner, session: Session) -> tuple[str, str]:
    """Stream one question; return its final text and what the deltas spelled out."""
    streamed = ""
    final = ""
    async for event in runner.stream_question(session):
        if isinstance(event, QuestionDelta):
            streamed += event.text
        elif isinstance(event, QuestionRestart):
            streamed = ""
        elif isinstance(event, QuestionFinal):
            final = event.text
    return final, streamed


async def interview_until_complete(
    runner: InterviewRunner, session: Session, pick: Callable[[str, int], str]
) -> int:
    asked = 0
    used: dict[str, int] = {}
    while session.state == "active":
        final, streamed = await ask_next(runner, session)
        assert final and streamed.strip() == final
        question = session.pending_question
        assert question is not None and question.text == final
        count = used.get(question.category, 0)
        used[question.category] = count + 1
        await runner.submit_answer(
            session, question.id, f"answer-{question.id}", pick(question.category, count)
        )
        asked += 1
    return asked


def from_bank(category: str, count: int) -> str:
    options = ANSWERS[category]
    return options[count % len(options)] + ("" if count < len(options) else f" (again, {count})")


async def test_builtin_interview_from_start_to_applied_core_json(tmp_path: Path) -> None:
    config = default_config()
    runner = make_runner(tmp_path, BuiltinInterviewer(pace=0), config)
    user_dir = tmp_path / "alice" / "persona"
    user_dir.mkdir(parents=True)
    existing = {
        "version": "1.0.0",
        "identity": {"name": "Alice", "role": "Personal AI", "icon": "sparkles"},
        "values": {
            "core": [{"value": "family", "description": "Close to my sister", "priority": 1}]
        },
        "x-other-tool": {"keep": [1, 2, {"a": None}]},
    }
    (user_dir / "core.json").write_text(json.dumps(existing), encoding="utf-8")

    session = await runner.start("alice")
    asked = await interview_until_complete(runner, session, from_bank)
    assert state_of(session) == "completed"
    # Coverage counts understood items: these answers say two or more things each.
    assert config.require_minimum_answers <= asked < config.max_questions_per_session
    assert session.progress(config).reason == "coverage"

    review = await runner.finalize(session)
    assert state_of(session) == "finalized"
    assert not review.draft.is_empty()
    answered = {turn.question_id for turn in session.turns() if turn.answered}
    assert all(set(item.evidence) <= answered for item in review.draft.items())

    preview = await runner.preview(session, "merge")
    assert preview.changes
    result = await runner.apply(session, "merge", base_digest=preview.base_digest)
    assert state_of(session) == "applied"

    written = json.loads((user_dir / "core.json").read_text(encoding="utf-8"))
    assert written == result.persona
    assert written["x-other-tool"] == {"keep": [1, 2, {"a": None}]}
    assert written["identity"]["icon"] == "sparkles"
    values = [item["value"].casefold() for item in written["values"]["core"]]
    assert "family" in values and "honesty" in values

    backups = list((user_dir / "archive").glob("core-*.json"))
    assert len(backups) == 1
    assert json.loads(backups[0].read_text(encoding="utf-8")) == existing

    training = (
        tmp_path / "alice" / "memory" / "training" / "persona" / f"{session.session_id}.jsonl"
    )
    assert not training.exists()  # nothing is exported before the person reviewed it
    exported = await runner.export_training(session)
    lines = [json.loads(line) for line in training.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == exported.records == asked
    first = lines[0]["messages"]
    assert [m["role"] for m in first] == ["system", "user", "assistant"]
    assert "Alice" in first[0]["content"]
    assert first[2]["content"] == session.answers["q1"].text


async def test_acknowledged_answers_survive_a_restart(tmp_path: Path) -> None:
    config = default_config()
    runner = make_runner(tmp_path, BuiltinInterviewer(pace=0), config)
    session = await runner.start("bob")
    for _ in range(3):
        await ask_next(runner, session)
        question = session.pending_question
        assert question is not None
        await runner.submit_answer(
            session, question.id, f"id-{question.id}", from_bank(question.category, 0)
        )
    await ask_next(runner, session)

    # A new runner (a restarted process) sees exactly the same session.
    fresh_runner = make_runner(tmp_path, BuiltinInterviewer(pace=0), config)
    loaded = await fresh_runner.load("bob", session.session_id)
    assert loaded.session == session
    assert loaded.torn_tail is None
    assert loaded.session.pending_question is not None
    # A retried submit of an acknowledged answer is a no-op after the restart too.
    assert (
        await fresh_runner.submit_answer(loaded.session, "q1", "id-q1", session.answers["q1"].text)
        == []
    )


async def test_apply_refuses_when_core_json_changed_since_preview(tmp_path: Path) -> None:
    config = default_config()
    runner = make_runner(tmp_path, BuiltinInterviewer(pace=0), config)
    session = await runner.start("carol")
    await interview_until_complete(runner, session, from_bank)
    await runner.finalize(session)
    preview = await runner.preview(session, "append")
    core = tmp_path / "carol" / "persona" / "core.json"
    core.write_text(json.dumps({"identity": {"name": "Changed elsewhere"}}), encoding="utf-8")
    with pytest.raises(ConflictError, match="changed since the preview"):
        await runner.apply(session, "append", base_digest=preview.base_digest)
    assert json.loads(core.read_text(encoding="utf-8")) == {
        "identity": {"name": "Changed elsewhere"}
    }
    assert state_of(session) == "finalized"


async def test_apply_a_chosen_subset_of_changes(tmp_path: Path) -> None:
    config = default_config()
    runner = make_runner(tmp_path, BuiltinInterviewer(pace=0), config)
    session = await runner.start("dana")
    await interview_until_complete(runner, session, from_bank)
    await runner.finalize(session)
    preview = await runner.preview(session, "merge")
    assert len(preview.changes) >= 2
    keep = [change.id for change in preview.changes[1:]]
    result = await runner.apply(session, "merge", base_digest=preview.base_digest, change_ids=keep)
    assert result.change_ids == tuple(keep)
    assert result.backup is None  # there was no core.json to back up
    dropped = preview.changes[0]
    assert result.persona != preview.proposed or dropped.kind == "update"


async def test_discard_removes_the_training_export(tmp_path: Path) -> None:
    config = default_config()
    runner = make_runner(tmp_path, BuiltinInterviewer(pace=0), config)
    session = await runner.start("erin")
    await interview_until_complete(runner, session, from_bank)
    await runner.finalize(session)
    await runner.export_training(session)
    training = tmp_path / "erin" / "memory" / "training" / "persona" / f"{session.session_id}.jsonl"
    assert training.exists()
    await runner.discard(session)
    assert not training.exists()
    assert state_of(session) == "discarded"
    with pytest.raises(InvalidTransition):
        await runner.preview(session, "merge")


OLLAMA_QUESTIONS = [
    "What principles do you lean on when a decision really matters to you?",
    "You mentioned honesty. What does living by it look like on an ordinary day?",
    "What are you hoping to have finished by this time next year?",
    "How would a close friend describe the way you talk through a problem?",
    "Which experience from your past shaped you the most, and how?",
    "What is taking most of your attention these days?",
    "Looking further ahead, what would you like your work to be about?",
    "When you disagree with someone, how do you usually handle it?",
    "What part of your story do people often not see at first?",
    "Which project are you most excited to spend time on right now?",
    "What would you like to be remembered for by the people around you?",
    "What habits help you keep going when progress is slow?",
    "How do you like others to give you feedback?",
    "What turning point changed how you see yourself?",
    "What are you learning at the moment, and why that?",
]


async def test_ollama_interview_from_start_to_applied_core_json(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    """The real ollama.AsyncClient over HTTP to the fake: streamed questions, JSON extraction."""
    config = default_config()
    fake_ollama.script(*(Reply(text) for text in OLLAMA_QUESTIONS))
    interviewer = OllamaInterviewer(host=fake_ollama.url, model="llama3.1:8b", read_timeout=5)
    runner = make_runner(tmp_path, interviewer, config)
    (tmp_path / "frank" / "persona").mkdir(parents=True)
    existing = {
        "identity": {"name": "Frank"},
        "goals": {"shortTerm": [{"goal": "Run a marathon", "status": "active", "id": "g1"}]},
    }
    (tmp_path / "frank" / "persona" / "core.json").write_text(
        json.dumps(existing), encoding="utf-8"
    )
    try:
        session = await runner.start("frank")
        asked = await interview_until_complete(runner, session, from_bank)
        sources = {question.source for question in session.questions}
        assert sources == {"ollama"}
        assert [q.text for q in session.questions] == OLLAMA_QUESTIONS[:asked]

        assert fake_ollama.clear_script() == len(OLLAMA_QUESTIONS) - asked
        novel = next(qid for qid, answer in session.answers.items() if "first novel" in answer.text)
        fake_ollama.reply_json(
            {
                "values": [
                    {
                        "value": "honesty",
                        "description": "Would rather lose an argument than bend the truth",
                        "evidence": ["q1"],
                        "confidence": 0.9,
                        "sensitivity": "none",
                        "quote": "Honesty is the value I come back to most",
                    },
                    {
                        "value": "made up",
                        "evidence": ["q42"],
                        "confidence": 0.9,
                        "sensitivity": "none",
                    },
                ],
                "goals": [
                    {
                        "goal": "Finish my first novel",
                        "horizon": "shortTerm",
                        "evidence": [novel],
                        "confidence": 0.8,
                        "sensitivity": "none",
                        "quote": "I want to finish my first novel this year",
                    },
                ],
            }
        )
        review = await runner.finalize(session)
        assert review.extraction_source == "ollama"
        assert [item.value for item in review.draft.values] == [
            "honesty"
        ]  # invented evidence dropped
        extraction = fake_ollama.chat_requests[-1]
        assert extraction["stream"] is False
        assert extraction["format"]["type"] == "object"

        preview = await runner.preview(session, "merge")
        await runner.apply(session, "merge", base_digest=preview.base_digest)
        await runner.export_training(session)
    finally:
        await interviewer.aclose()

    written = json.loads((tmp_path / "frank" / "persona" / "core.json").read_text(encoding="utf-8"))
    goals = written["goals"]["shortTerm"]
    assert goals[0] == {"goal": "Run a marathon", "status": "active", "id": "g1"}
    assert any(goal["goal"] == "Finish my first novel" for goal in goals)
    assert [v["value"] for v in written["values"]["core"]] == ["honesty"]
    assert len(list((tmp_path / "frank" / "persona" / "archive").glob("core-*.json"))) == 1
    training = (
        tmp_path / "frank" / "memory" / "training" / "persona" / f"{session.session_id}.jsonl"
    )
    assert len(training.read_text(encoding="utf-8").splitlines()) == asked
