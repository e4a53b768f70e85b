"""Drives interviews from Python: the async shell around the sans-I/O session.

The runner is the one place that performs an interview's effects: it asks the policy what to
ask, streams the question from the interviewer backend, makes every event durable in the
journal *before* folding it into the session (so whatever a caller acknowledges survives
kill -9), extracts the draft, previews and applies it to ``core.json`` with a backup, and
writes the training export the person reviewed. The WebSocket session manager and the command
line sit on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import anyio

from server.config import InterviewConfig
from server.errors import ConflictError, CorruptFile, InvalidTransition, ValidationError
from server.interview.crisis_frames import Level
from server.interview.model import (
    ExtractionRequest,
    QuestionEvent,
    QuestionFinal,
    QuestionRequest,
    Turn,
)
from server.interview.policy import plan_next_question, summary_due
from server.interview.session import Event, Review, Session, StateChanged, parse_event
from server.interview.training import (
    POLICY_VERSION,
    Refiltered,
    TurnDecision,
    export_records,
    refilter_jsonl,
    render_jsonl,
    review_turns,
)
from server.llm.base import CrisisClassifier, Interviewer
from server.persona.diff import Change, diff
from server.persona.edits import apply_edits, is_evidence
from server.persona.merge import STRATEGIES, Strategy, apply_changes, propose
from server.persona.schema import dump_persona, empty_persona, normalize_persona, persona_name
from server.store import ProfileStore, TornTail, new_session_id

# Write a full snapshot after this many journal records even without a state change, so
# recovery never has to replay a long journal.
SNAPSHOT_EVERY = 25


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass(frozen=True)
class Loaded:
    session: Session
    torn_tail: TornTail | None
    replayed: int


@dataclasses.dataclass(frozen=True)
class Preview:
    """What applying the draft with ``strategy`` would change, against ``base_digest``."""

    strategy: Strategy
    base_digest: str
    current: dict[str, Any]
    proposed: dict[str, Any]
    changes: tuple[Change, ...]


@dataclasses.dataclass(frozen=True)
class TrainingReview:
    """Every answered turn's export decision, for the person to check before writing."""

    session_id: str
    persona_name: str
    decisions: tuple[TurnDecision, ...]
    policy_version: str = POLICY_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "turns": [decision.to_dict() for decision in self.decisions],
        }


@dataclasses.dataclass(frozen=True)
class Exported:
    path: str
    records: int
    review: TrainingReview


@dataclasses.dataclass(frozen=True)
class ApplyResult:
    persona: dict[str, Any]
    digest: str
    backup: str | None
    change_ids: tuple[str, ...]
    events: tuple[Event, ...] = ()


class InterviewRunner:
    def __init__(
        self,
        store: ProfileStore,
        interviewer: Interviewer,
        config: InterviewConfig,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.interviewer = interviewer
        self.config = config
        self.clock = clock
        self._locks: dict[str, anyio.Lock] = {}

    def _lock(self, session: Session) -> anyio.Lock:
        return self._locks.setdefault(f"{session.user}/{session.session_id}", anyio.Lock())

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, user: str) -> Session:
        now = self.clock()
        session = Session.new(new_session_id(now), user, now, backend=self.interviewer.label)
        await self.store.create_session(user, session.session_id, session.to_snapshot())
        return session

    async def load(self, user: str, session_id: str) -> Loaded:
        """Rebuild a session from its snapshot plus the journal records written after it."""
        stored = await self.store.load_session(user, session_id)
        session = Session.from_snapshot(stored.snapshot)
        newer = [parse_event(record) for record in stored.records]
        newer = [event for event in newer if event.n > session.journal_n]
        session.apply(newer)
        return Loaded(session, stored.torn_tail, len(newer))

    async def commit(self, session: Session, events: Sequence[Event]) -> None:
        """Make events durable, then fold them in. Only after this returns may they be acked."""
        if not events:
            return
        # Shielded: a cancelled caller (a dropped connection, a stopped generation) must not
        # leave an event on disk that the in-memory session never folded in.
        with anyio.CancelScope(shield=True):
            await self._commit(session, events)

    async def _commit(self, session: Session, events: Sequence[Event]) -> None:
        async with self._lock(session):
            await self.store.append_journal(
                session.user,
                session.session_id,
                [event.model_dump(mode="json") for event in events],
            )
            session.apply(events)
            state_changed = any(isinstance(event, StateChanged) for event in events)
            if state_changed or session.journal_n % SNAPSHOT_EVERY == 0:
                await self.store.write_snapshot(
                    session.user, session.session_id, session.to_snapshot()
                )

    async def checkpoint(self, session: Session) -> None:
        """Write a snapshot now (on pause, disconnect and shutdown)."""
        async with self._lock(session):
            await self.store.write_snapshot(session.user, session.session_id, session.to_snapshot())

    # -- questions ----------------------------------------------------------------------------

    def plan(self, session: Session) -> QuestionRequest | None:
        """What the next question will be about, or None when none should be asked now."""
        return plan_next_question(session, self.config)

    async def stream_question(
        self, session: Session, request: QuestionRequest | None = None
    ) -> AsyncIterator[QuestionEvent]:
        """Stream the next question; it is recorded when its final text arrives.

        ``request`` comes from :meth:`plan` (planned now when omitted). Yields nothing when no
        question should be asked. Raises :class:`~server.errors.LLMError` if the backend
        fails; nothing is recorded then and the same call may be retried.
        """
        if request is None:
            request = self.plan(session)
        if request is None:
            return
        async for event in self.interviewer.stream_question(request):
            if isinstance(event, QuestionFinal):
                events = session.ask(
                    request.question_id,
                    request.category,
                    event.text,
                    event.source,
                    self.clock(),
                    self.config,
                    notes=event.notes,
                )
                await self.commit(session, events)
            yield event

    # -- commands -----------------------------------------------------------------------------

    async def second_opinion(self, text: str) -> Level | None:
        """The backend model's crisis verdict on an answer, when the backend can give one."""
        if isinstance(self.interviewer, CrisisClassifier):
            return await self.interviewer.classify_crisis(text)
        return None

    async def submit_answer(
        self, session: Session, question_id: str, answer_id: str, text: str
    ) -> list[Event]:
        opinion = await self.second_opinion(text)
        events = session.submit_answer(
            question_id, answer_id, text, self.clock(), self.config, second_opinion=opinion
        )
        await self.commit(session, events)
        return events

    async def edit_answer(
        self, session: Session, question_id: str, answer_id: str, text: str
    ) -> list[Event]:
        opinion = await self.second_opinion(text)
        events = session.edit_answer(
            question_id, answer_id, text, self.clock(), self.config, second_opinion=opinion
        )
        await self.commit(session, events)
        return events

    async def skip(self, session: Session, question_id: str) -> list[Event]:
        events = session.skip(question_id, self.clock(), self.config)
        await self.commit(session, events)
        return events

    async def offer_summary(self, session: Session) -> list[Event]:
        """Offer the MI summary due now (at a topic change or at the end), if any."""
        planned = summary_due(session, self.config)
        if planned is None:
            return []
        events = session.offer_summary(
            planned.categories, planned.text, planned.items, planned.covers, self.clock()
        )
        await self.commit(session, events)
        return events

    async def resolve_summary(
        self, session: Session, summary_id: str, request_id: str, correction: str | None
    ) -> list[Event]:
        """Confirm a summary (``correction`` None) or correct it; durable before it returns."""
        events = session.resolve_summary(
            summary_id, request_id, correction, self.clock(), self.config
        )
        await self.commit(session, events)
        return events

    async def save_draft(
        self, session: Session, question_id: str, text: str, base_rev: int
    ) -> list[Event]:
        events = session.save_draft(question_id, text, base_rev, self.clock(), self.config)
        await self.commit(session, events)
        return events

    async def pause(self, session: Session) -> list[Event]:
        events = session.pause(self.clock(), self.config)
        await self.commit(session, events)
        return events

    async def resume(self, session: Session) -> list[Event]:
        events = session.resume(self.clock())
        await self.commit(session, events)
        return events

    async def finish_early(self, session: Session) -> list[Event]:
        events = session.finish_early(self.clock(), self.config)
        await self.commit(session, events)
        return events

    async def discard(self, session: Session) -> list[Event]:
        """Discard the session; a training export written for it is removed with it."""
        events = session.discard(self.clock())
        await self.commit(session, events)
        if events:
            await self.store.delete_training(session.user, session.session_id)
        return events

    # -- review and apply ---------------------------------------------------------------------

    async def finalize(self, session: Session) -> Review:
        """Extract the draft and store it for review (the training export waits for its own
        review: :meth:`training_review`, :meth:`export_training`)."""
        if session.state != "completed":
            raise InvalidTransition(
                f"session {session.session_id} is {session.state}; finalize needs a completed "
                "interview (answer until complete, or finish early)"
            )
        # Summary corrections are turns too: the person's own words, cited as evidence.
        request = ExtractionRequest(session.session_id, session.evidence_turns(), self.config)
        result = await self.interviewer.extract(request)
        events = session.finalize(result.draft, result.source, self.clock(), notes=result.notes)
        await self.commit(session, events)
        assert session.review is not None
        return session.review

    # -- training export ------------------------------------------------------------------------

    async def _persona_name(self, user: str) -> str:
        try:
            return persona_name((await self.store.read_persona(user)).data, user)
        except CorruptFile:
            return user  # the review will report the corrupt file; naming can fall back

    async def training_review(
        self, session: Session, excluded: Sequence[str] = ()
    ) -> TrainingReview:
        """What the export would write under the policy, turn by turn, before anything is."""
        if session.state not in ("finalized", "applied"):
            raise InvalidTransition(
                f"session {session.session_id} is {session.state}; the training export is "
                "reviewed after the persona review (finalize the interview first)"
            )
        unknown = sorted(set(excluded) - {question.id for question in session.questions})
        if unknown:
            raise ValidationError(
                f"cannot exclude {unknown}: session {session.session_id} has no such question"
            )
        name = await self._persona_name(session.user)
        crisis_turns = [
            Turn(question.id, question.category, "", None)
            for question in session.questions
            if (answer := session.answers.get(question.id)) is not None and answer.crisis
        ]
        decisions = review_turns(
            session.turns(),
            own_names=(name, session.user),
            excluded=frozenset(excluded),
            crisis_turns=crisis_turns,
        )
        return TrainingReview(session.session_id, name, tuple(decisions))

    async def export_training(self, session: Session, excluded: Sequence[str] = ()) -> Exported:
        """Write the reviewed export: the policy applied, the person's exclusions honoured."""
        review = await self.training_review(session, excluded)
        records = export_records(session.session_id, review.persona_name, review.decisions)
        path = await self.store.write_training(
            session.user, session.session_id, render_jsonl(records)
        )
        return Exported(path, len(records), review)

    async def refilter_training(self, user: str) -> list[tuple[str, Refiltered]]:
        """Apply the current policy to every training export of ``user`` already written.

        Exports written before the policy existed (or under an older one) are rewritten in
        place; only records are taken away or redacted, so earlier exclusions hold.
        """
        name = await self._persona_name(user)
        results = []
        for session_id in await self.store.list_session_ids(user):
            text = await self.store.read_training(user, session_id)
            if text is None:
                continue
            refiltered = refilter_jsonl(text, own_names=(name, user))
            if refiltered.changed:
                await self.store.write_training(user, session_id, refiltered.text)
            results.append((session_id, refiltered))
        return results

    async def preview(self, session: Session, strategy: str) -> Preview:
        """The diff of the draft against the current ``core.json`` under ``strategy``."""
        if session.state != "finalized" or session.review is None:
            raise InvalidTransition(
                f"session {session.session_id} is {session.state}; a preview needs a finalized "
                "session"
            )
        checked = _strategy(strategy)
        stored = await self.store.read_persona(session.user)
        draft, now = session.review.draft, self.clock()

        def compute() -> Preview:
            current = normalize_persona(stored.data) if stored.data is not None else empty_persona()
            proposed = propose(current, draft, session.session_id, checked, now)
            return Preview(
                checked, stored.digest, current, proposed, tuple(diff(current, proposed))
            )

        # A large core.json takes seconds to diff: off the event loop, so other interviews
        # keep streaming meanwhile.
        return await anyio.to_thread.run_sync(compute)

    async def selected(
        self,
        session: Session,
        strategy: str,
        *,
        base_digest: str,
        change_ids: Sequence[str] | None = None,
        edits: Mapping[str, object] | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """The persona that applying would write, and the change ids it applies.

        The provenance records (``x-personagen``) go with the items they support: when some
        changes are chosen, the evidence changes are added to them, so a person never has to
        tick them. Raises ConflictError when ``core.json`` changed since ``base_digest``.
        """
        preview = await self.preview(session, strategy)
        if preview.base_digest != base_digest:
            raise ConflictError(
                "core.json changed since the preview was made; review the new diff and apply again"
            )
        if change_ids is None:
            chosen = [change.id for change in preview.changes]
        else:
            chosen = list(dict.fromkeys(change_ids))
            if chosen:
                picked = set(chosen)
                chosen += [c.id for c in preview.changes if is_evidence(c) and c.id not in picked]
        changes = apply_edits(preview.changes, chosen, edits)
        persona = await anyio.to_thread.run_sync(apply_changes, preview.current, changes, chosen)
        return persona, chosen

    async def apply(
        self,
        session: Session,
        strategy: str,
        *,
        base_digest: str,
        change_ids: Sequence[str] | None = None,
        edits: Mapping[str, object] | None = None,
    ) -> ApplyResult:
        """Apply the previewed changes (all, or the chosen ids, reworded by ``edits``).

        Raises ConflictError when ``core.json`` changed since the preview that produced
        ``base_digest``; the person must look at a fresh preview first.
        """
        persona, chosen = await self.selected(
            session, strategy, base_digest=base_digest, change_ids=change_ids, edits=edits
        )
        written = await self.store.write_persona(
            session.user, dump_persona(persona), expected_digest=base_digest, now=self.clock()
        )
        events = session.mark_applied(_strategy(strategy), chosen, written.backup, self.clock())
        await self.commit(session, events)
        return ApplyResult(persona, written.digest, written.backup, tuple(chosen), tuple(events))


def refilter_summary(results: Sequence[tuple[str, Refiltered]]) -> dict[str, Any]:
    """The JSON answer of a refilter: per export, records before and after, and what changed."""
    return {
        "policy_version": POLICY_VERSION,
        "exports": [
            {
                "session_id": session_id,
                "records_before": refiltered.before,
                "records_after": refiltered.after,
                "changed": refiltered.changed,
                "excluded": [d.to_dict() for d in refiltered.decisions if not d.exported],
                "redacted": [
                    {"question_id": d.question_id, "reasons": list(d.reasons)}
                    for d in refiltered.decisions
                    if d.decision == "redact"
                ],
            }
            for session_id, refiltered in results
        ],
    }


def _strategy(name: str) -> Strategy:
    for strategy in STRATEGIES:
        if strategy == name:
            return strategy
    raise ValidationError(f"unknown strategy {name!r}; expected one of {list(STRATEGIES)}")
