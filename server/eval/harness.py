"""Runs simulated interviews through the real :class:`~server.runner.InterviewRunner`.

Each persona gets its own user in a throw-away :class:`~server.store.ProfileStore`, and the
interview goes exactly as it would for a person at the web client: plan and stream a
question, read it from ``session.pending_question``, answer it (``submit_answer``) or, when
the persona declines, skip it (``skip``; a refusal is shorter than ``minAnswerLength``), until
the session completes; then ``finalize`` extracts the draft.

A crisis disclosure pauses the session (the server does that, not the harness). The harness
records the pause and then does what the persona's ``crisis.then`` says a person would do:
``resume`` (the person reads the resources, later clicks *resume* and carries on; the crisis
turn is never shown to the interviewer or the extractor again) or ``stop`` (the person leaves;
with enough answers the interview is finished early and finalized, otherwise it is left
paused and has no draft). An answer that pauses the session without being a disclosure is a
false crisis pause; the harness resumes and carries on.

A clock that ticks seven seconds per call keeps the journals deterministic.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server.config import Category, InterviewConfig
from server.eval.interviewee import Reply, ScriptedInterviewee
from server.eval.profiles import Persona
from server.interview.model import QuestionFinal
from server.interview.session import Session
from server.llm.base import Interviewer
from server.persona.draft import PersonaDraft
from server.runner import InterviewRunner
from server.store import ProfileStore

# A runaway guard only: the config's question cap ends every interview long before this.
MAX_TURNS = 200


class TickingClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now


@dataclasses.dataclass(frozen=True)
class TurnRecord:
    """One interviewer turn and what the simulated person did with it."""

    question_id: str
    category: Category
    question: str
    source: str
    reply: Reply
    answered: bool
    skipped: bool
    paused_for_crisis: bool


@dataclasses.dataclass(frozen=True)
class InterviewRecord:
    persona_id: str
    turns: tuple[TurnRecord, ...]
    final_state: str
    completion: str
    draft: PersonaDraft | None
    extraction_source: str | None
    answered_ids: tuple[str, ...]

    @property
    def answers(self) -> int:
        return sum(1 for turn in self.turns if turn.answered and not turn.paused_for_crisis)

    def answer_texts(self) -> dict[str, str]:
        """Answers the interviewer and extractor may use (crisis turns left out), by id."""
        return {
            turn.question_id: turn.reply.text
            for turn in self.turns
            if turn.answered and not turn.paused_for_crisis
        }


InterviewerFactory = Callable[[], Interviewer]


async def _ask(runner: InterviewRunner, session: Session) -> str | None:
    """Stream the next question; return its source, or None when none was asked."""
    source: str | None = None
    async for event in runner.stream_question(session):
        if isinstance(event, QuestionFinal):
            source = event.source
    return source


async def interview(runner: InterviewRunner, persona: Persona, seed: int) -> InterviewRecord:
    """One whole interview of ``persona``, from start to the finalized draft."""
    person = ScriptedInterviewee(persona, seed)
    session = await runner.start(persona.id)
    turns: list[TurnRecord] = []
    completion = ""
    while len(turns) < MAX_TURNS:
        if session.state == "paused":
            if session.pause_reason == "crisis" and _stops_after_crisis(persona, turns):
                completion = "stopped after a crisis disclosure"
                break
            await runner.resume(session)
        if session.state != "active":
            break
        source = await _ask(runner, session)
        question = session.pending_question
        if source is None or question is None:
            break
        reply = person.reply(question.text, question.category)
        if reply.kind == "refusal":
            await runner.skip(session, question.id)
        else:
            await runner.submit_answer(session, question.id, f"a-{question.id}", reply.text)
        paused = _paused_for_crisis(session)
        turns.append(
            TurnRecord(
                question_id=question.id,
                category=question.category,
                question=question.text,
                source=source,
                reply=reply,
                answered=reply.kind != "refusal",
                skipped=reply.kind == "refusal",
                paused_for_crisis=paused,
            )
        )
    config = runner.config
    if session.state in ("active", "paused") and session.progress(config).can_finish_early:
        await runner.finish_early(session)
        completion = completion or "finished early"
    draft: PersonaDraft | None = None
    extraction_source: str | None = None
    if session.state == "completed":
        if not completion:
            completion = session.progress(config).reason or "completed"
        review = await runner.finalize(session)
        draft, extraction_source = review.draft, review.extraction_source
    answered_ids = tuple(turn.question_id for turn in session.turns() if turn.answered)
    return InterviewRecord(
        persona_id=persona.id,
        turns=tuple(turns),
        final_state=session.state,
        completion=completion or session.state,
        draft=draft,
        extraction_source=extraction_source,
        answered_ids=answered_ids,
    )


def _paused_for_crisis(session: Session) -> bool:
    """Read fresh (a command just changed the state, which mypy cannot see)."""
    state: str = session.state
    return state == "paused" and session.pause_reason == "crisis"


def _stops_after_crisis(persona: Persona, turns: Sequence[TurnRecord]) -> bool:
    disclosed = bool(turns) and turns[-1].reply.kind == "crisis"
    return disclosed and persona.crisis is not None and persona.crisis.then == "stop"


async def run_interviews(
    make_interviewer: InterviewerFactory,
    personas: Sequence[Persona],
    config: InterviewConfig,
    seed: int,
    root: Path | None = None,
) -> list[InterviewRecord]:
    """Interview every persona in turn (one interviewer, closed at the end)."""
    interviewer = make_interviewer()
    try:
        with tempfile.TemporaryDirectory(prefix="personagen-eval-") as scratch:
            store = ProfileStore(root if root is not None else Path(scratch))
            runner = InterviewRunner(store, interviewer, config, clock=TickingClock())
            return [await interview(runner, persona, seed) for persona in personas]
    finally:
        await interviewer.aclose()
