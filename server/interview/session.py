"""The interview session: a sans-I/O state machine, event-sourced.

Every command is split in two steps, so that nothing is acknowledged before it is durable:

1. a *decide* method (``submit_answer``, ``pause``, …) checks the command against the current
   state and returns the :data:`Event` list it would cause, without changing anything;
2. the caller makes those events durable (the journal) and then calls :meth:`Session.apply`.

Recovery is the same ``apply`` over the journal records newer than the last snapshot. Time is
always passed in; nothing here reads a clock, a file or a socket.

States::

    active ──pause──▶ paused ──resume──▶ active
    active ──(coverage or question cap reached, or finish early)──▶ completed
    completed ──finalize(draft)──▶ finalized ──apply──▶ applied
    finalized ──(an answer is edited)──▶ completed
    active | paused | completed | finalized ──discard──▶ discarded

Summaries (the OARS summary of Motivational Interviewing) sit beside the question flow: at a
topic change, and when the interview completes, the server may offer one (``offer_summary``);
it never blocks the next question. The person confirms it or corrects it while the session is
active, paused or completed. A correction is journaled like an answer and becomes a turn of
its own (id ``s<n>``, see :meth:`Session.evidence_turns`), so the draft cites it as evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from server.config import Category, InterviewConfig
from server.errors import (
    AnswerRejected,
    ConflictError,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from server.interview.coverage import ClosedQuestion, Progress, compute_progress
from server.interview.crisis import crisis_verdict
from server.interview.crisis_frames import Level
from server.interview.model import QuestionSource, Turn
from server.interview.summary import without_taken_back
from server.persona.draft import PersonaDraft

State = Literal["active", "paused", "completed", "finalized", "applied", "discarded"]
PauseReason = Literal["user", "crisis"]
SummaryVerdict = Literal["confirmed", "corrected"]
INCOMPLETE_STATES: frozenset[State] = frozenset({"active", "paused"})
OPEN_STATES: frozenset[State] = frozenset({"active", "paused", "completed", "finalized"})
SNAPSHOT_VERSION = 1
# The StateChanged reason of a crisis pause, by verdict. Both set pause_reason "crisis".
_PAUSE: dict[Level, str] = {"crisis": "crisis", "uncertain": "crisis_check", "none": "crisis"}


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Record):
    id: str
    category: Category
    text: str
    source: QuestionSource
    asked_at: datetime
    notes: tuple[str, ...] = ()


class Answer(_Record):
    question_id: str
    answer_id: str
    text: str
    answered_at: datetime
    revision: int = 1
    edited_at: datetime | None = None
    crisis: bool = False


class Summary(_Record):
    """What the interviewer understood about one topic (or several, before finishing)."""

    id: str
    categories: tuple[Category, ...] = Field(min_length=1)
    text: str
    items: tuple[str, ...]
    covers: tuple[str, ...] = Field(description="Ids of the answered turns it summarizes")
    offered_at: datetime


class SummaryResolution(_Record):
    """The person's reply to a summary: confirmed, or corrected with their own words."""

    summary_id: str
    request_id: str
    verdict: SummaryVerdict
    text: str = ""
    resolved_at: datetime
    crisis: bool = False


class AnswerDraft(_Record):
    """Unsent answer text, autosaved; ``rev`` detects two tabs writing over each other."""

    question_id: str
    text: str
    rev: int
    updated_at: datetime


class Review(_Record):
    draft: PersonaDraft
    extraction_source: str
    notes: tuple[str, ...] = ()
    finalized_at: datetime


class Application(_Record):
    strategy: str
    change_ids: tuple[str, ...]
    backup: str | None
    applied_at: datetime


# -- events: the journal records ------------------------------------------------------------


class _Event(_Record):
    n: int = Field(ge=1, description="Position in the session's journal")
    at: datetime


class QuestionAsked(_Event):
    type: Literal["question_asked"] = "question_asked"
    question: Question


class AnswerRecorded(_Event):
    type: Literal["answer_recorded"] = "answer_recorded"
    answer: Answer


class QuestionSkipped(_Event):
    type: Literal["question_skipped"] = "question_skipped"
    question_id: str


class SummaryOffered(_Event):
    type: Literal["summary_offered"] = "summary_offered"
    summary: Summary


class SummaryResolved(_Event):
    type: Literal["summary_resolved"] = "summary_resolved"
    resolution: SummaryResolution


class StateChanged(_Event):
    type: Literal["state_changed"] = "state_changed"
    state: State
    reason: str = ""


class DraftSaved(_Event):
    type: Literal["draft_saved"] = "draft_saved"
    draft: AnswerDraft


class Finalized(_Event):
    type: Literal["finalized"] = "finalized"
    review: Review


class Applied(_Event):
    type: Literal["applied"] = "applied"
    application: Application


Event = Annotated[
    QuestionAsked
    | AnswerRecorded
    | QuestionSkipped
    | SummaryOffered
    | SummaryResolved
    | StateChanged
    | DraftSaved
    | Finalized
    | Applied,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(record: dict[str, object]) -> Event:
    """A journal record back to its event. Raises pydantic's ValidationError if malformed."""
    return EVENT_ADAPTER.validate_python(record)


# -- the session ----------------------------------------------------------------------------


class Session(BaseModel):
    """One interview. Mutated only through :meth:`apply`; everything else is a query."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    format: Literal["personagen.session"] = "personagen.session"
    version: int = SNAPSHOT_VERSION
    session_id: str
    user: str
    created_at: datetime
    updated_at: datetime
    backend: str = ""
    state: State = "active"
    pause_reason: PauseReason | None = None
    # A crisis pause for an uncertain verdict: the gentle check-in instead of the alert.
    crisis_check: bool = False
    questions: list[Question] = []
    answers: dict[str, Answer] = {}
    skipped: list[str] = []
    answer_ids: dict[str, str] = {}
    draft: AnswerDraft | None = None
    review: Review | None = None
    application: Application | None = None
    summaries: list[Summary] = []
    resolutions: dict[str, SummaryResolution] = {}
    journal_n: int = 0

    @classmethod
    def new(cls, session_id: str, user: str, now: datetime, backend: str = "") -> Session:
        return cls(
            session_id=session_id, user=user, created_at=now, updated_at=now, backend=backend
        )

    # -- queries ----------------------------------------------------------------------------

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise NotFound(
            f"session {self.session_id} has no question {question_id!r}; "
            f"its questions are {[q.id for q in self.questions]}"
        )

    @property
    def pending_question(self) -> Question | None:
        """The asked question still waiting for an answer or a skip."""
        if not self.questions:
            return None
        last = self.questions[-1]
        if last.id in self.answers or last.id in self.skipped:
            return None
        return last

    def closed_questions(self) -> list[ClosedQuestion]:
        closed = []
        for question in self.questions:
            answer = self.answers.get(question.id)
            if answer is not None:
                closed.append(
                    ClosedQuestion(question.category, None if answer.crisis else answer.text)
                )
            elif question.id in self.skipped:
                closed.append(ClosedQuestion(question.category, None))
        return closed

    def progress(self, config: InterviewConfig) -> Progress:
        return compute_progress(self.closed_questions(), config, self.confirmed_items())

    def confirmed_items(self) -> dict[Category, int]:
        """Per topic, how many understood items the person confirmed in a summary of that topic.

        A summary before finishing spans several topics and its items are not told apart, so
        only one-topic summaries count.
        """
        confirmed: dict[Category, int] = {}
        for summary in self.summaries:
            resolution = self.resolutions.get(summary.id)
            if resolution is None or resolution.verdict != "confirmed":
                continue
            if len(summary.categories) == 1:
                [category] = summary.categories
                confirmed[category] = confirmed.get(category, 0) + len(summary.items)
        return confirmed

    def turns(self) -> tuple[Turn, ...]:
        """The interview as backends may see it: crisis turns left out entirely."""
        turns = []
        for question in self.questions:
            answer = self.answers.get(question.id)
            if answer is not None and answer.crisis:
                continue
            turns.append(
                Turn(
                    question_id=question.id,
                    category=question.category,
                    question=question.text,
                    answer=answer.text if answer else None,
                    skipped=question.id in self.skipped,
                )
            )
        return tuple(turns)

    def evidence_turns(self) -> tuple[Turn, ...]:
        """The turns extraction reads: :meth:`turns` plus every summary correction.

        A correction is a turn of the summary's first topic whose question is the summary and
        whose answer is the person's correction, so draft items cite it (``s1``) as evidence.
        """
        corrections = []
        for summary in self.summaries:
            resolution = self.resolutions.get(summary.id)
            if resolution is None or resolution.verdict != "corrected" or resolution.crisis:
                continue
            corrections.append(
                Turn(
                    question_id=summary.id,
                    category=summary.categories[0],
                    question=summary.text,
                    answer=resolution.text,
                )
            )
        return self.turns() + tuple(corrections)

    def corrections(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each summary correction with the answers its summary covered (crisis ones left out)."""
        found = []
        for summary in self.summaries:
            resolution = self.resolutions.get(summary.id)
            if (
                resolution is not None
                and resolution.verdict == "corrected"
                and not resolution.crisis
            ):
                found.append((resolution.text, summary.covers))
        return found

    def summarized_ids(self) -> set[str]:
        """Ids of the answered turns some summary already covered."""
        return {question_id for summary in self.summaries for question_id in summary.covers}

    def summary(self, summary_id: str) -> Summary:
        for summary in self.summaries:
            if summary.id == summary_id:
                return summary
        raise NotFound(
            f"session {self.session_id} has no summary {summary_id!r}; "
            f"its summaries are {[s.id for s in self.summaries]}"
        )

    @property
    def next_summary_id(self) -> str:
        return f"s{len(self.summaries) + 1}"

    @property
    def answered_count(self) -> int:
        return sum(1 for answer in self.answers.values() if not answer.crisis)

    @property
    def next_question_id(self) -> str:
        return f"q{len(self.questions) + 1}"

    def can_ask(self, config: InterviewConfig) -> bool:
        """Whether a new question may be generated now."""
        if self.state != "active" or self.pending_question is not None:
            return False
        return not self.progress(config).complete

    # -- decide: each returns the events a command causes, changing nothing -------------------

    def _event_n(self, offset: int = 0) -> int:
        return self.journal_n + 1 + offset

    def _require(self, action: str, *allowed: State) -> None:
        if self.state not in allowed:
            raise InvalidTransition(
                f"session {self.session_id} is {self.state}; cannot {action} "
                f"(allowed when {' or '.join(allowed)})"
            )

    def ask(
        self,
        question_id: str,
        category: Category,
        text: str,
        source: QuestionSource,
        now: datetime,
        config: InterviewConfig,
        notes: Sequence[str] = (),
    ) -> list[Event]:
        """Record a newly generated question."""
        self._require("ask a question", "active")
        if self.pending_question is not None:
            raise InvalidTransition(
                f"question {self.pending_question.id} is still open; answer or skip it first"
            )
        if question_id != self.next_question_id:
            raise ConflictError(
                f"expected question id {self.next_question_id!r}, got {question_id!r}"
            )
        if self.progress(config).complete:
            raise InvalidTransition("the interview is complete; no more questions are asked")
        if not text.strip():
            raise ValidationError("a question needs text; got an empty string")
        question = Question(
            id=question_id,
            category=category,
            text=text.strip(),
            source=source,
            asked_at=now,
            notes=tuple(notes),
        )
        return [QuestionAsked(n=self._event_n(), at=now, question=question)]

    def _checked_text(self, text: str, config: InterviewConfig) -> str:
        limits = config.session_defaults
        cleaned = text.strip()
        if len(cleaned) < limits.min_answer_length:
            raise AnswerRejected(
                f"answers need at least {limits.min_answer_length} characters; "
                f"this one has {len(cleaned)}"
            )
        if len(cleaned) > limits.max_answer_length:
            raise AnswerRejected(
                f"answers may have at most {limits.max_answer_length} characters; "
                f"this one has {len(cleaned)}"
            )
        return cleaned

    def _duplicate(self, answer_id: str, question_id: str, text: str) -> bool:
        """True when this answer id was already recorded with the same content (a no-op)."""
        known = self.answer_ids.get(answer_id)
        if known is None:
            return False
        answer = self.answers.get(known)
        if known != question_id or answer is None or answer.text != text.strip():
            # Checked before length limits so a retried request gets the same outcome.
            raise ConflictError(
                f"answer id {answer_id!r} was already used for question {known!r} with different "
                "text; send a new id for a new answer"
            )
        return True

    def submit_answer(
        self,
        question_id: str,
        answer_id: str,
        text: str,
        now: datetime,
        config: InterviewConfig,
        second_opinion: Level | None = None,
    ) -> list[Event]:
        """Answer the open question. A repeat of the same ``answer_id`` returns no events.

        ``second_opinion`` is a model's crisis verdict on the answer (None when there is no
        model or it failed); it can raise the rule verdict, never lower it. A crisis or an
        uncertain verdict pauses the interview and keeps the answer out of everything after.
        """
        if self._duplicate(answer_id, question_id, text):
            return []
        self._require("answer", "active")
        question = self.question(question_id)
        if question_id in self.answers:
            raise ConflictError(
                f"question {question_id} already has an answer; edit that answer to change it"
            )
        if question_id in self.skipped:
            raise InvalidTransition(f"question {question_id} was skipped")
        cleaned = self._checked_text(text, config)
        level = crisis_verdict(cleaned, second_opinion)
        crisis = level != "none"
        answer = Answer(
            question_id=question.id,
            answer_id=answer_id,
            text=cleaned,
            answered_at=now,
            crisis=crisis,
        )
        events: list[Event] = [AnswerRecorded(n=self._event_n(), at=now, answer=answer)]
        if crisis:
            events.append(
                StateChanged(n=self._event_n(1), at=now, state="paused", reason=_PAUSE[level])
            )
        elif self._complete_after(events, config):
            events.append(
                StateChanged(n=self._event_n(1), at=now, state="completed", reason="coverage")
            )
        return events

    def edit_answer(
        self,
        question_id: str,
        answer_id: str,
        text: str,
        now: datetime,
        config: InterviewConfig,
        second_opinion: Level | None = None,
    ) -> list[Event]:
        """Replace an earlier answer. Editing a finalized session sends it back to review."""
        if self._duplicate(answer_id, question_id, text):
            return []
        self._require("edit an answer", "active", "paused", "completed", "finalized")
        previous = self.answers.get(question_id)
        if previous is None:
            raise NotFound(f"question {question_id} has no answer to edit; submit one instead")
        cleaned = self._checked_text(text, config)
        level = crisis_verdict(cleaned, second_opinion)
        crisis = level != "none"
        answer = previous.model_copy(
            update={
                "answer_id": answer_id,
                "text": cleaned,
                "revision": previous.revision + 1,
                "edited_at": now,
                "crisis": previous.crisis or crisis,
            }
        )
        events: list[Event] = [AnswerRecorded(n=self._event_n(), at=now, answer=answer)]
        if crisis and self.state == "active":
            events.append(
                StateChanged(n=self._event_n(1), at=now, state="paused", reason=_PAUSE[level])
            )
        elif self.state == "finalized":
            events.append(
                StateChanged(n=self._event_n(1), at=now, state="completed", reason="answer edited")
            )
        return events

    def skip(self, question_id: str, now: datetime, config: InterviewConfig) -> list[Event]:
        self._require("skip a question", "active")
        pending = self.pending_question
        if pending is None or pending.id != question_id:
            if question_id in self.skipped:
                return []  # skipping twice has one effect
            raise InvalidTransition(
                f"only the open question can be skipped; {question_id!r} is not open"
            )
        events: list[Event] = [QuestionSkipped(n=self._event_n(), at=now, question_id=question_id)]
        if self._complete_after(events, config):
            events.append(
                StateChanged(n=self._event_n(1), at=now, state="completed", reason="max_questions")
            )
        return events

    def next_draft(
        self,
        question_id: str,
        text: str,
        base_rev: int,
        now: datetime,
        config: InterviewConfig,
        *,
        current: AnswerDraft | None = None,
    ) -> AnswerDraft | None:
        """Check a draft edit against the newest draft (``current``, default the durable one).

        Returns the new draft (one revision up), or None when the text is unchanged. Raises
        ConflictError when ``base_rev`` is not the newest revision: another tab or device
        wrote in between, and overwriting its text would lose it.
        """
        self._require("save a draft", "active", "paused")
        pending = self.pending_question
        if pending is None or pending.id != question_id:
            raise InvalidTransition(
                f"drafts are kept for the open question only, not {question_id!r}"
            )
        limit = config.session_defaults.max_answer_length
        if len(text) > limit:
            raise AnswerRejected(
                f"drafts may have at most {limit} characters; this one has {len(text)}"
            )
        newest = current if current is not None else self.draft
        if newest is not None and newest.question_id != question_id:
            newest = None
        newest_rev = newest.rev if newest else 0
        if base_rev != newest_rev:
            raise ConflictError(
                f"draft revision conflict: you edited revision {base_rev}, the saved one is "
                f"{newest_rev} (changed in another tab or device)"
            )
        if newest is not None and newest.text == text:
            return None
        return AnswerDraft(question_id=question_id, text=text, rev=newest_rev + 1, updated_at=now)

    def record_draft(self, draft: AnswerDraft, now: datetime) -> list[Event]:
        """Make a draft produced by :meth:`next_draft` durable (the autosave)."""
        pending = self.pending_question
        if (
            pending is None
            or pending.id != draft.question_id
            or self.state not in INCOMPLETE_STATES
        ):
            return []  # answered, skipped or closed since: the draft has nothing left to save
        durable = self.draft
        stale = (
            durable is not None
            and durable.question_id == draft.question_id
            and draft.rev <= durable.rev
        )
        if stale:
            return []  # an older revision than the one already saved
        return [DraftSaved(n=self._event_n(), at=now, draft=draft)]

    def save_draft(
        self, question_id: str, text: str, base_rev: int, now: datetime, config: InterviewConfig
    ) -> list[Event]:
        """Check and record a draft in one step (for callers without an autosave timer)."""
        draft = self.next_draft(question_id, text, base_rev, now, config)
        return [] if draft is None else self.record_draft(draft, now)

    def pause(self, now: datetime, config: InterviewConfig) -> list[Event]:
        if self.state == "paused":
            return []
        self._require("pause", "active")
        if not config.session_defaults.allow_resume:
            raise InvalidTransition(
                "this interview config sets sessionDefaults.allowResume to false, so interviews "
                "cannot be paused and resumed"
            )
        return [StateChanged(n=self._event_n(), at=now, state="paused", reason="user")]

    def resume(self, now: datetime) -> list[Event]:
        if self.state == "active":
            return []
        self._require("resume", "paused")
        return [StateChanged(n=self._event_n(), at=now, state="active", reason="resumed")]

    def finish_early(self, now: datetime, config: InterviewConfig) -> list[Event]:
        if self.state == "completed":
            return []
        self._require("finish early", "active", "paused")
        progress = self.progress(config)
        if not progress.can_finish_early:
            raise InvalidTransition(
                f"finishing early needs at least {progress.min_answers} answers; "
                f"{progress.answered} so far"
            )
        return [StateChanged(n=self._event_n(), at=now, state="completed", reason="finished early")]

    def offer_summary(
        self,
        categories: Sequence[Category],
        text: str,
        items: Sequence[str],
        covers: Sequence[str],
        now: datetime,
    ) -> list[Event]:
        """Record a summary offered to the person (see :mod:`server.interview.summary`)."""
        self._require("offer a summary", "active", "completed")
        if not text.strip() or not categories:
            raise ValidationError("a summary needs text and at least one topic")
        summary = Summary(
            id=self.next_summary_id,
            categories=tuple(categories),
            text=text.strip(),
            items=tuple(items),
            covers=tuple(covers),
            offered_at=now,
        )
        return [SummaryOffered(n=self._event_n(), at=now, summary=summary)]

    def resolve_summary(
        self,
        summary_id: str,
        request_id: str,
        correction: str | None,
        now: datetime,
        config: InterviewConfig,
    ) -> list[Event]:
        """Confirm (``correction`` None) or correct a summary. A repeated request is a no-op."""
        summary = self.summary(summary_id)
        known = self.resolutions.get(summary.id)
        if known is not None and known.request_id == request_id:
            return []
        self._require("answer a summary", "active", "paused", "completed")
        if known is not None:
            raise ConflictError(
                f"summary {summary_id} was already {known.verdict}; "
                "edit the answers to change anything more"
            )
        text = "" if correction is None else correction.strip()
        if correction is not None and not text:
            raise AnswerRejected("a correction needs text; to accept the summary, confirm it")
        limit = config.session_defaults.max_answer_length
        if len(text) > limit:
            raise AnswerRejected(
                f"corrections may have at most {limit} characters; this one has {len(text)}"
            )
        level: Level = crisis_verdict(text, None) if text else "none"
        crisis = level != "none"
        resolution = SummaryResolution(
            summary_id=summary.id,
            request_id=request_id,
            verdict="corrected" if correction is not None else "confirmed",
            text=text,
            resolved_at=now,
            crisis=crisis,
        )
        events: list[Event] = [SummaryResolved(n=self._event_n(), at=now, resolution=resolution)]
        if crisis and self.state == "active":
            events.append(
                StateChanged(n=self._event_n(1), at=now, state="paused", reason=_PAUSE[level])
            )
        return events

    def finalize(
        self,
        draft: PersonaDraft,
        extraction_source: str,
        now: datetime,
        notes: Sequence[str] = (),
    ) -> list[Event]:
        """Store the reviewed-to-be draft. Crisis and skipped turns can never be evidence."""
        self._require("finalize", "completed")
        allowed = [turn.question_id for turn in self.evidence_turns() if turn.answered]
        review = Review(
            draft=without_taken_back(draft.keep_evidenced_by(allowed), self.corrections()),
            extraction_source=extraction_source,
            notes=tuple(notes),
            finalized_at=now,
        )
        return [
            Finalized(n=self._event_n(), at=now, review=review),
            StateChanged(n=self._event_n(1), at=now, state="finalized", reason=extraction_source),
        ]

    def mark_applied(
        self, strategy: str, change_ids: Sequence[str], backup: str | None, now: datetime
    ) -> list[Event]:
        self._require("apply", "finalized")
        application = Application(
            strategy=strategy, change_ids=tuple(change_ids), backup=backup, applied_at=now
        )
        return [
            Applied(n=self._event_n(), at=now, application=application),
            StateChanged(n=self._event_n(1), at=now, state="applied", reason=strategy),
        ]

    def discard(self, now: datetime) -> list[Event]:
        if self.state == "discarded":
            return []
        self._require("discard", "active", "paused", "completed", "finalized")
        return [StateChanged(n=self._event_n(), at=now, state="discarded", reason="discarded")]

    def _complete_after(self, events: Sequence[Event], config: InterviewConfig) -> bool:
        trial = self.model_copy(deep=True)
        trial.apply(events)
        return trial.progress(config).complete

    # -- apply: the only mutation ----------------------------------------------------------------

    def apply(self, events: Iterable[Event]) -> None:
        """Fold events into the state. Events must continue the journal without a gap."""
        for event in events:
            if event.n != self.journal_n + 1:
                raise ConflictError(
                    f"journal gap in session {self.session_id}: expected event "
                    f"{self.journal_n + 1}, got {event.n}"
                )
            self._fold(event)
            self.journal_n = event.n
            self.updated_at = max(self.updated_at, event.at)

    def _fold(self, event: Event) -> None:
        match event:
            case QuestionAsked(question=question):
                self.questions.append(question)
                self.draft = None
            case AnswerRecorded(answer=answer):
                self.answers[answer.question_id] = answer
                self.answer_ids[answer.answer_id] = answer.question_id
                if self.draft and self.draft.question_id == answer.question_id:
                    self.draft = None
            case QuestionSkipped(question_id=question_id):
                self.skipped.append(question_id)
                self.draft = None
            case DraftSaved(draft=draft):
                self.draft = draft
            case StateChanged(state=state, reason=reason):
                if state == "paused":
                    self.pause_reason = "crisis" if reason in _PAUSE.values() else "user"
                    self.crisis_check = reason == _PAUSE["uncertain"]
                else:
                    self.pause_reason, self.crisis_check = None, False
                if state in ("active", "completed") and self.review is not None:
                    self.review = None  # an edit invalidated the draft under review
                self.state = state
            case SummaryOffered(summary=summary):
                self.summaries.append(summary)
            case SummaryResolved(resolution=resolution):
                self.resolutions[resolution.summary_id] = resolution
            case Finalized(review=review):
                self.review = review
            case Applied(application=application):
                self.application = application

    # -- persistence shape --------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, object]:
        return self.model_dump(mode="json")

    @classmethod
    def from_snapshot(cls, data: dict[str, object]) -> Session:
        return cls.model_validate(data)
