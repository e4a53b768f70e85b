"""The session manager: one server-owned actor per live interview; connections are views.

A :class:`LiveSession` owns its interview's question generation, its command handling and its
event log. Every event it publishes carries ``session_id``, a per-session monotonic ``seq`` and
the ``epoch`` of its in-memory log, and goes to every attached connection through that
connection's bounded outbox. Disconnecting only detaches a view: generation goes on, and a
client that comes back with ``(epoch, last_seq)`` gets exactly the events it missed, or a
snapshot when the log no longer covers them.

Durability comes from the runner (an answer is acknowledged only after its journal line is
fsynced). Drafts of unsent answers are kept in memory and written every ``autoSaveInterval``,
on pause, when the last connection leaves, and at shutdown; never per keystroke and never from
the send path.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio
from anyio.abc import TaskGroup

from server import protocol as p
from server.errors import (
    InvalidTransition,
    PersonagenError,
    ValidationError,
)
from server.interview.crisis import crisis_message_for
from server.interview.model import QuestionDelta, QuestionFinal, QuestionRestart
from server.interview.session import (
    INCOMPLETE_STATES,
    AnswerDraft,
    AnswerRecorded,
    Applied,
    Event,
    QuestionSkipped,
    Session,
    StateChanged,
    SummaryOffered,
    SummaryResolved,
)
from server.persona.merge import STRATEGY_DESCRIPTIONS
from server.runner import InterviewRunner, Preview
from server.store import validate_session_id

log = logging.getLogger("personagen.manager")

UNFINISHED_STATES = frozenset({"active", "paused", "completed", "finalized"})


@dataclasses.dataclass(frozen=True)
class Limits:
    """Connection and session limits; sent to clients in ``welcome.limits``."""

    max_frame_bytes: int = 65_536
    hello_timeout: float = 10.0
    rate_burst: int = 30
    rate_per_second: float = 10.0
    rate_strikes_before_close: int = 20
    max_connections_per_user: int = 5
    outbox_frames: int = 1024
    log_events: int = 4096
    idle_grace: float = 900.0
    max_generations: int = 1
    delta_interval: float = 0.025
    delta_chars: int = 1024

    def public(self, max_answer_length: int, autosave_ms: int) -> dict[str, Any]:
        return {
            "max_frame_bytes": self.max_frame_bytes,
            "max_answer_chars": max_answer_length,
            "hello_timeout_s": self.hello_timeout,
            "rate_burst": self.rate_burst,
            "rate_per_second": self.rate_per_second,
            "max_connections_per_user": self.max_connections_per_user,
            "autosave_interval_ms": autosave_ms,
        }


class Outbox:
    """A connection's bounded queue of encoded frames; overflow marks a slow consumer.

    It also knows whether its writer is idle (waiting in :meth:`get` with nothing queued),
    so the delta batcher can send a piece at once to an idle socket and coalesce only while
    a write is pending.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._frames: collections.deque[str] = collections.deque()
        self._ready = anyio.Event()
        self._writer_waiting = False
        self._idle_waiters: list[anyio.Event] = []
        self.overflowed = False
        self.closed = False

    def put(self, frame: dict[str, Any]) -> None:
        if self.closed:
            return
        if len(self._frames) >= self.limit:
            self.overflowed = True
            self._ready.set()
            return
        self._frames.append(p.encode(frame))
        self._ready.set()

    async def get(self) -> str | None:
        """The next frame, or None once closed or overflowed (the writer must close 1013)."""
        while True:
            if self.overflowed or self.closed:
                return None
            if self._frames:
                return self._frames.popleft()
            self._ready = anyio.Event()
            self._writer_waiting = True
            self._wake_idle_waiters()
            try:
                await self._ready.wait()
            finally:
                self._writer_waiting = False

    @property
    def idle(self) -> bool:
        """True when everything put so far has been written (or can never be)."""
        if self.closed or self.overflowed:
            return True
        return self._writer_waiting and not self._frames

    def notify_when_idle(self, event: anyio.Event) -> None:
        """Set ``event`` the next time the writer has written everything it was given."""
        if self.idle:
            event.set()
        else:
            self._idle_waiters.append(event)

    def _wake_idle_waiters(self) -> None:
        waiters, self._idle_waiters = self._idle_waiters, []
        for event in waiters:
            event.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()
        self._wake_idle_waiters()

    def __len__(self) -> int:
        return len(self._frames)


@dataclasses.dataclass(eq=False)
class Connection:
    """One attached WebSocket (or any transport): who it is and where its frames go."""

    user: str
    outbox: Outbox
    id: str = dataclasses.field(default_factory=lambda: secrets.token_hex(4))
    opened: set[str] = dataclasses.field(default_factory=set)

    def send(self, frame: dict[str, Any]) -> None:
        self.outbox.put(frame)


@dataclasses.dataclass
class Generation:
    question_id: str
    category: str
    number: int
    text: str = ""
    scope: anyio.CancelScope = dataclasses.field(default_factory=anyio.CancelScope)
    done: anyio.Event = dataclasses.field(default_factory=anyio.Event)
    stopped: bool = False


class DeltaBatcher:
    """Coalesces streamed pieces into deltas only while a write is pending.

    A piece goes out on the next turn of the event loop (joined with any piece parsed in the
    same turn) when every connection watching the session has written all it was given. While
    one of them is still writing, pieces are joined until the writes finish, at most
    ``interval`` seconds (so a slow reader cannot hold back the others for longer), or until
    ``max_chars`` are waiting. With nobody watching, pieces are joined for ``interval``. A slow
    model's tokens each go out at once; a fast model's become one frame per write.
    """

    def __init__(
        self,
        publish: Callable[[str], None],
        interval: float,
        max_chars: int,
        watchers: Callable[[], Iterable[Outbox]] = tuple,
    ) -> None:
        self.publish = publish
        self.interval = interval
        self.max_chars = max_chars
        self.watchers = watchers
        self.buffer = ""
        self._wake = anyio.Event()

    def add(self, text: str) -> None:
        self.buffer += text
        if len(self.buffer) >= self.max_chars:
            self.flush()
        else:
            self._wake.set()

    def flush(self) -> None:
        if self.buffer:
            text, self.buffer = self.buffer, ""
            self.publish(text)

    def drop(self) -> None:
        self.buffer = ""

    def _busy_watchers(self) -> list[Outbox] | None:
        """The watchers still writing, or None when nobody watches."""
        outboxes = list(self.watchers())
        if not outboxes:
            return None
        return [outbox for outbox in outboxes if not outbox.idle]

    async def _until_written(self) -> None:
        """Return once no watcher has a write pending, or after ``interval`` at most."""
        busy = self._busy_watchers()
        if busy == []:
            return  # the common case at a model's pace: send at once
        with anyio.move_on_after(self.interval):
            while self.buffer and busy != []:
                if busy is None:
                    await anyio.sleep(self.interval)  # nobody watching: join for the interval
                    return
                drained = anyio.Event()
                busy[0].notify_when_idle(drained)
                await drained.wait()
                busy = self._busy_watchers()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            await self._until_written()
            self.flush()


class RequestCache:
    """Replies by client request id, so a repeated id has one effect and the same reply."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._done: collections.OrderedDict[str, list[dict[str, Any]]] = collections.OrderedDict()
        self._running: dict[str, anyio.Event] = {}

    async def once(
        self, request_id: str, run: Callable[[], Awaitable[list[dict[str, Any]]]]
    ) -> tuple[list[dict[str, Any]], bool]:
        """Run ``run`` once per id; returns its reply frames and whether this was a repeat."""
        while request_id in self._running:
            await self._running[request_id].wait()
        if request_id in self._done:
            self._done.move_to_end(request_id)
            return self._done[request_id], True
        event = self._running[request_id] = anyio.Event()
        try:
            replies = await run()
            if any(reply["type"] == "error" and reply.get("retryable") for reply in replies):
                return replies, False  # not remembered: the same id may be sent again
            self._done[request_id] = replies
            while len(self._done) > self.size:
                self._done.popitem(last=False)
            return replies, False
        finally:
            del self._running[request_id]
            event.set()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class LiveSession:
    """The in-memory actor of one interview."""

    def __init__(self, manager: SessionManager, session: Session, epoch: str) -> None:
        self.manager = manager
        self.session = session
        self.epoch = epoch
        self.seq = 0
        self.log: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=manager.limits.log_events
        )
        self.subscribers: set[Connection] = set()
        self.lock = anyio.Lock()
        self.generation: Generation | None = None
        self.hold = False  # after an error or a stop, wait for question.next
        self.live_draft: AnswerDraft | None = None
        self.draft_dirty = False
        self.last_used = time.monotonic()
        self.review: Preview | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.session.user, self.session.session_id)

    # -- events -----------------------------------------------------------------------------

    def publish(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        frame = {
            "type": kind,
            "session_id": self.session.session_id,
            "seq": self.seq,
            "epoch": self.epoch,
            **fields,
        }
        self.log.append(frame)
        for connection in list(self.subscribers):
            connection.send(frame)
        return frame

    def attach(self, connection: Connection, epoch: str | None, last_seq: int | None) -> str:
        """Subscribe, then send what the client lacks. Returns "replay" or "snapshot".

        Runs without awaiting, so no event can fall between the catch-up and the live feed.
        """
        self.subscribers.add(connection)
        connection.opened.add(self.session.session_id)
        self.last_used = time.monotonic()
        floor = self.log[0]["seq"] if self.log else self.seq + 1
        if epoch == self.epoch and last_seq is not None and floor - 1 <= last_seq <= self.seq:
            missed = [frame for frame in self.log if frame["seq"] > last_seq]
            connection.send(
                {
                    "type": "replay",
                    "session_id": self.session.session_id,
                    "epoch": self.epoch,
                    "from_seq": last_seq,
                    "to_seq": self.seq,
                    "count": len(missed),
                }
            )
            for frame in missed:
                connection.send(frame)
            return "replay"
        connection.send(self.snapshot_frame())
        return "snapshot"

    def detach(self, connection: Connection) -> None:
        self.subscribers.discard(connection)
        self.last_used = time.monotonic()

    def snapshot_frame(self) -> dict[str, Any]:
        return {
            "type": "session.snapshot",
            "session_id": self.session.session_id,
            "epoch": self.epoch,
            "seq": self.seq,
            "session": self.view(),
        }

    def view(self) -> dict[str, Any]:
        """Everything a client needs to draw the session from scratch."""
        session = self.session
        config = self.manager.runner.config
        questions = []
        for question in session.questions:
            answer = session.answers.get(question.id)
            questions.append(
                {
                    "id": question.id,
                    "category": question.category,
                    "text": question.text,
                    "source": question.source,
                    "asked_at": _iso(question.asked_at),
                    "answer": None
                    if answer is None
                    else {
                        "text": answer.text,
                        "revision": answer.revision,
                        "answered_at": _iso(answer.answered_at),
                        "edited_at": _iso(answer.edited_at),
                        "crisis": answer.crisis,
                    },
                    "skipped": question.id in session.skipped,
                }
            )
        draft = self.live_draft or session.draft
        generation = self.generation
        return {
            "session_id": session.session_id,
            "state": session.state,
            "pause_reason": session.pause_reason,
            "crisis_message": crisis_message_for(
                "crisis_check" if session.crisis_check else session.pause_reason
            ),
            "created_at": _iso(session.created_at),
            "updated_at": _iso(session.updated_at),
            "backend": session.backend,
            "questions": questions,
            "pending_question_id": session.pending_question.id
            if session.pending_question
            else None,
            "generating": None
            if generation is None
            else {
                "question_id": generation.question_id,
                "category": generation.category,
                "number": generation.number,
                "text": generation.text,
            },
            "draft": None
            if draft is None
            else {"question_id": draft.question_id, "text": draft.text, "rev": draft.rev},
            "progress": session.progress(config).to_dict(),
            "review": self.review_fields() if session.state == "finalized" else None,
            "application": None
            if session.application is None
            else {
                "strategy": session.application.strategy,
                "change_ids": list(session.application.change_ids),
                "backup": session.application.backup,
                "restore_hint": _restore_hint(session.application.backup),
                "applied_at": _iso(session.application.applied_at),
            },
            "held": self.hold,
            "summaries": [_summary_view(session, summary.id) for summary in session.summaries],
        }

    def review_fields(self) -> dict[str, Any] | None:
        review = self.session.review
        if review is None:
            return None
        fields: dict[str, Any] = {
            "draft": review.draft.model_dump(mode="json"),
            "extraction_source": review.extraction_source,
            "notes": list(review.notes),
            "strategies": dict(STRATEGY_DESCRIPTIONS),
        }
        if self.review is not None:
            preview = self.review
            fields.update(
                strategy=preview.strategy,
                base_digest=preview.base_digest,
                current=preview.current,
                proposed=preview.proposed,
                changes=[change.model_dump(mode="json") for change in preview.changes],
            )
        return fields

    def publish_events(self, events: Iterable[Event]) -> None:
        """Turn committed session events into protocol events."""
        config = self.manager.runner.config
        progress_changed = False
        for event in events:
            match event:
                case AnswerRecorded(answer=answer):
                    self.publish(
                        "answer.recorded",
                        question_id=answer.question_id,
                        answer_id=answer.answer_id,
                        text=answer.text,
                        revision=answer.revision,
                        crisis=answer.crisis,
                    )
                    progress_changed = True
                case QuestionSkipped(question_id=question_id):
                    self.publish("question.skipped", question_id=question_id)
                    progress_changed = True
                case StateChanged(state=state, reason=reason):
                    self.publish(
                        "session.state",
                        state=state,
                        # Both crisis pauses are "crisis" to clients; the message tells them apart.
                        reason="crisis" if reason == "crisis_check" else reason,
                        crisis_message=crisis_message_for(reason),
                    )
                case SummaryOffered(summary=summary):
                    self.publish("summary.offered", **_summary_view(self.session, summary.id))
                case SummaryResolved(resolution=resolution):
                    self.publish(
                        "summary.resolved",
                        summary_id=resolution.summary_id,
                        verdict=resolution.verdict,
                        text=resolution.text or None,
                        crisis=resolution.crisis,
                    )
                    progress_changed = True  # a confirmed item counts more
                case Applied(application=application):
                    self.publish(
                        "session.applied",
                        strategy=application.strategy,
                        change_ids=list(application.change_ids),
                        backup=application.backup,
                        restore_hint=_restore_hint(application.backup),
                    )
                case _:
                    pass
        if progress_changed:
            self.publish("progress", progress=self.session.progress(config).to_dict())
        self.manager.remember(self)


class SessionManager:
    """Owns every live session of the process and the background work around them."""

    def __init__(self, runner: InterviewRunner, limits: Limits | None = None) -> None:
        self.runner = runner
        self.limits = limits or Limits()
        self.boot = secrets.token_hex(4)
        self._loads = 0
        self.live: dict[tuple[str, str], LiveSession] = {}
        self.connections: dict[str, set[Connection]] = collections.defaultdict(set)
        self.requests: dict[str, RequestCache] = collections.defaultdict(RequestCache)
        self.summaries: dict[str, dict[str, dict[str, Any]]] = {}
        self.limiter = anyio.CapacityLimiter(self.limits.max_generations)
        self._group: TaskGroup | None = None
        self.backend: dict[str, str] = {
            "name": runner.interviewer.name,
            "label": runner.interviewer.label,
            "reason": "",
        }

    # -- lifecycle ------------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SessionManager]:
        """Run the autosave and eviction timers; on exit, flush and checkpoint everything."""
        async with anyio.create_task_group() as group:
            self._group = group
            group.start_soon(self._autosave_loop)
            group.start_soon(self._evict_loop)
            try:
                yield self
            finally:
                with anyio.CancelScope(shield=True):
                    await self.shutdown()
                group.cancel_scope.cancel()
                self._group = None

    async def shutdown(self) -> None:
        for live in list(self.live.values()):
            if live.generation is not None:
                live.generation.stopped = True
                live.generation.scope.cancel()
            try:
                await self._flush_draft(live)
                await self.runner.checkpoint(live.session)
            except PersonagenError:
                log.exception("could not save session %s at shutdown", live.session.session_id)
        for connections in self.connections.values():
            for connection in connections:
                connection.outbox.close()

    def _new_epoch(self) -> str:
        self._loads += 1
        return f"{self.boot}-{self._loads}"

    # -- connections ----------------------------------------------------------------------------

    def connect(self, user: str) -> Connection | None:
        """Register a connection, or None when the user already has too many."""
        if len(self.connections[user]) >= self.limits.max_connections_per_user:
            return None
        connection = Connection(user=user, outbox=Outbox(self.limits.outbox_frames))
        self.connections[user].add(connection)
        return connection

    async def disconnect(self, connection: Connection) -> None:
        self.connections[connection.user].discard(connection)
        connection.outbox.close()
        for session_id in list(connection.opened):
            live = self.live.get((connection.user, session_id))
            if live is None:
                continue
            live.detach(connection)
            if not live.subscribers:
                try:
                    await self._flush_draft(live)
                except PersonagenError:
                    log.exception("could not autosave the draft of %s", session_id)

    async def welcome(self, connection: Connection) -> dict[str, Any]:
        config = self.runner.config
        return {
            "type": "welcome",
            "v": p.PROTOCOL_VERSION,
            "user": connection.user,
            "connection_id": connection.id,
            "epoch": self.boot,
            "server_time": _iso(datetime.now(UTC)),
            "backend": self.backend,
            "limits": self.limits.public(
                config.session_defaults.max_answer_length,
                config.session_defaults.auto_save_interval,
            ),
            "config": {
                "categories": list(config.categories),
                "category_descriptions": {c: config.description_of(c) for c in config.categories},
                "min_answer_length": config.session_defaults.min_answer_length,
                "max_answer_length": config.session_defaults.max_answer_length,
                "max_questions": config.max_questions_per_session,
                "min_answers": config.require_minimum_answers,
                "allow_resume": config.session_defaults.allow_resume,
            },
            "incomplete_sessions": [
                summary
                for summary in await self.list_sessions(connection.user)
                if summary["state"] in UNFINISHED_STATES
            ],
        }

    # -- session summaries (derived from the folder, cached in memory) -------------------------

    def remember(self, live: LiveSession) -> None:
        self.summaries.setdefault(live.session.user, {})[live.session.session_id] = _summary(
            live.session, self.runner
        )

    async def list_sessions(self, user: str) -> list[dict[str, Any]]:
        known = self.summaries.get(user)
        if known is None:
            known = {}
            for session_id in await self.runner.store.list_session_ids(user):
                try:
                    loaded = await self.runner.load(user, session_id)
                except PersonagenError as exc:
                    known[session_id] = {
                        "session_id": session_id,
                        "state": "unreadable",
                        "error": exc.message,
                    }
                    continue
                known[session_id] = _summary(loaded.session, self.runner)
            self.summaries[user] = known
        return sorted(
            known.values(), key=lambda item: str(item.get("updated_at", "")), reverse=True
        )

    # -- live sessions --------------------------------------------------------------------------

    async def get_live(self, user: str, session_id: str) -> LiveSession:
        validate_session_id(session_id)
        live = self.live.get((user, session_id))
        if live is None:
            loaded = await self.runner.load(user, session_id)  # NotFound for another user's id
            live = self.live.get((user, session_id))
            if live is None:
                live = LiveSession(self, loaded.session, self._new_epoch())
                self.live[live.key] = live
                if loaded.torn_tail is not None:
                    log.warning(
                        "session %s: ignored a torn journal line %d (%s)",
                        session_id,
                        loaded.torn_tail.line,
                        loaded.torn_tail.reason,
                    )
        live.last_used = time.monotonic()
        return live

    async def purge(self, user: str, session_id: str) -> list[str]:
        """Delete a session and everything derived from it; returns the removed files."""
        validate_session_id(session_id)
        live = self.live.get((user, session_id))
        if live is not None:
            await self.stop_generation(live)
            for connection in list(live.subscribers):
                live.detach(connection)
            del self.live[(user, session_id)]
        removed = await self.runner.store.delete_session(user, session_id)
        self.summaries.get(user, {}).pop(session_id, None)
        return removed

    async def start_session(self, connection: Connection) -> LiveSession:
        session = await self.runner.start(connection.user)
        live = LiveSession(self, session, self._new_epoch())
        self.live[live.key] = live
        self.remember(live)
        return live

    # -- generation -------------------------------------------------------------------------------

    def maybe_generate(self, live: LiveSession) -> None:
        """Start generating the next question if one is due and nothing holds it back."""
        if live.generation is not None or live.hold or self._group is None:
            return
        request = self.runner.plan(live.session)
        if request is None:
            return
        generation = Generation(request.question_id, request.category, request.number)
        live.generation = generation
        self._group.start_soon(self._generate, live, generation)

    async def _generate(self, live: LiveSession, generation: Generation) -> None:
        # Planned again when the task runs: a command may have paused or closed the session
        # between scheduling and now.
        request = self.runner.plan(live.session)
        try:
            with generation.scope:
                if request is None or request.question_id != generation.question_id:
                    return
                if self.limiter.available_tokens < 1:
                    live.publish("generation.queued", question_id=generation.question_id)
                async with self.limiter:
                    await self._stream(live, generation, request)
            if generation.scope.cancelled_caught:
                live.hold = True
                live.publish(
                    "generation.stopped",
                    question_id=generation.question_id,
                    text=generation.text,
                )
        except PersonagenError as exc:  # the model's failures, and refusals by the session
            live.hold = True
            live.publish("generation.error", question_id=generation.question_id, **exc.to_dict())
        except Exception:
            log.exception("question generation failed in session %s", live.session.session_id)
            live.hold = True
            live.publish(
                "generation.error",
                question_id=generation.question_id,
                code="internal_error",
                message="the question could not be generated because of a server error",
                retryable=True,
            )
        finally:
            live.generation = None
            generation.done.set()

    async def _stream(self, live: LiveSession, generation: Generation, request: Any) -> None:
        live.publish(
            "question.start",
            question_id=generation.question_id,
            category=generation.category,
            number=generation.number,
        )

        def publish_delta(text: str) -> None:
            generation.text += text
            live.publish("question.delta", question_id=generation.question_id, text=text)

        batcher = DeltaBatcher(
            publish_delta,
            self.limits.delta_interval,
            self.limits.delta_chars,
            watchers=lambda: [connection.outbox for connection in live.subscribers],
        )
        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(batcher.run)
            try:
                async for event in self.runner.stream_question(live.session, request):
                    if isinstance(event, QuestionDelta):
                        batcher.add(event.text)
                    elif isinstance(event, QuestionRestart):
                        batcher.drop()
                        generation.text = ""
                        live.publish(
                            "question.reset",
                            question_id=generation.question_id,
                            reason=event.reason,
                        )
                    elif isinstance(event, QuestionFinal):
                        batcher.flush()
                        usage = dataclasses.asdict(event.usage) if event.usage else None
                        live.publish(
                            "question.end",
                            question_id=generation.question_id,
                            category=generation.category,
                            text=event.text,
                            source=event.source,
                            done_reason=event.done_reason,
                            usage=usage,
                        )
                        # The turn is on disk now: compact its deltas out of the replay log.
                        # A client that missed part of it gets a snapshot with the final text.
                        live.log.clear()
                        self.remember(live)
            except Exception as exc:  # re-raised below, outside the group: no ExceptionGroup
                failure = exc
            finally:
                batcher.flush()
                group.cancel_scope.cancel()
        if failure is not None:
            raise failure

    async def stop_generation(self, live: LiveSession) -> bool:
        generation = live.generation
        if generation is None:
            return False
        generation.stopped = True
        generation.scope.cancel()
        await generation.done.wait()
        return True

    # -- commands -------------------------------------------------------------------------------

    async def handle(self, connection: Connection, message: p.ClientMessage) -> None:
        """Run one client request and send its replies; errors become error frames."""
        if isinstance(message, p.Ping):
            connection.send({"type": "pong", "t": message.t})
            return
        if isinstance(message, p.Hello):
            connection.send(
                _error_frame(None, p.ProtocolError("hello was already received on this connection"))
            )
            return
        request_id = message.id
        cache = self.requests[connection.user]

        async def run() -> list[dict[str, Any]]:
            try:
                return await self._dispatch(connection, message)
            except PersonagenError as exc:
                return [_error_frame(request_id, exc, getattr(message, "session_id", None))]

        replies, repeated = await cache.once(request_id, run)
        for reply in replies:
            if repeated and reply["type"] == "ack":
                connection.send({**reply, "repeated": True})
            else:
                connection.send(reply)
        if isinstance(message, p.SessionOpen | p.SessionStart) and replies[0]["type"] == "ack":
            # After the ack, in order: the catch-up (replay or snapshot), then live events.
            # A repeated start or open attaches too: the client may be on a new connection.
            live = await self.get_live(connection.user, replies[0]["session_id"])
            epoch = message.epoch if isinstance(message, p.SessionOpen) else None
            last_seq = message.last_seq if isinstance(message, p.SessionOpen) else None
            live.attach(connection, epoch, last_seq)
            if live.session.state == "active":
                self.maybe_generate(live)

    async def _dispatch(
        self, connection: Connection, message: p.ClientMessage
    ) -> list[dict[str, Any]]:
        request_id = message.id  # type: ignore[union-attr]
        if isinstance(message, p.SessionsList):
            return [
                {
                    "type": "sessions",
                    "id": request_id,
                    "sessions": await self.list_sessions(connection.user),
                }
            ]
        if isinstance(message, p.SessionStart):
            live = await self.start_session(connection)
            return [{"type": "ack", "id": request_id, "session_id": live.session.session_id}]
        assert not isinstance(message, p.Hello | p.Ping)
        live = await self.get_live(connection.user, message.session_id)
        if isinstance(message, p.SessionOpen):
            return [{"type": "ack", "id": request_id, "session_id": live.session.session_id}]
        async with live.lock:
            replies = await self._command(connection, live, message)
        self.remember(live)
        if live.session.state == "active":
            self.maybe_generate(live)
        return replies

    async def _command(
        self, connection: Connection, live: LiveSession, message: p.ClientMessage
    ) -> list[dict[str, Any]]:
        runner, session = self.runner, live.session
        request_id = message.id  # type: ignore[union-attr]
        ack: dict[str, Any] = {"type": "ack", "id": request_id, "session_id": session.session_id}
        events: list[Event] = []
        match message:
            case p.AnswerSubmit(question_id=question_id, text=text):
                events = await runner.submit_answer(session, question_id, request_id, text)
                if events:
                    live.live_draft, live.draft_dirty = None, False
            case p.AnswerEdit(question_id=question_id, text=text):
                events = await runner.edit_answer(session, question_id, request_id, text)
                if events and session.state != "finalized":
                    live.review = None
            case p.AnswerSkip(question_id=question_id):
                events = await runner.skip(session, question_id)
                if events:
                    live.live_draft, live.draft_dirty = None, False
            case p.DraftUpdate(question_id=question_id, text=text, base_rev=base_rev):
                draft = session.next_draft(
                    question_id,
                    text,
                    base_rev,
                    datetime.now(UTC),
                    runner.config,
                    current=live.live_draft,
                )
                if draft is not None:
                    live.live_draft, live.draft_dirty = draft, True
                    live.publish(
                        "draft.saved",
                        question_id=draft.question_id,
                        text=draft.text,
                        rev=draft.rev,
                        by=connection.id,
                    )
                current = live.live_draft or session.draft
                ack["rev"] = current.rev if current else 0
            case p.SessionPause():
                session.pause(datetime.now(UTC), runner.config)  # refuse before stopping anything
                await self.stop_generation(live)
                live.hold = False
                await self._flush_draft_locked(live)
                events = await runner.pause(session)
                await runner.checkpoint(session)
            case p.SessionResume():
                events = await runner.resume(session)
                live.hold = False
            case p.SessionFinish():
                session.finish_early(datetime.now(UTC), runner.config)  # refuse first
                await self.stop_generation(live)
                events = await runner.finish_early(session)
                live.hold = False
            case p.SessionDiscard():
                session.discard(datetime.now(UTC))  # refuse first
                await self.stop_generation(live)
                events = await runner.discard(session)
                live.live_draft, live.draft_dirty, live.review = None, False, None
            case p.QuestionNext():
                if session.state != "active":
                    raise InvalidTransition(
                        f"session {session.session_id} is {session.state}; questions are asked "
                        "only while it is active"
                    )
                live.hold = False
                ack["generating"] = live.generation is not None or runner.plan(session) is not None
            case p.GenerationStop():
                ack["stopped"] = await self.stop_generation(live)
            case p.ReviewRequest(strategy=strategy):
                if session.state == "completed":
                    live.publish("review.extracting", backend=self.backend["label"])
                    review = await runner.finalize(session)
                    live.publish(
                        "session.state",
                        state=session.state,
                        reason=review.extraction_source,
                        crisis_message=None,
                    )
                live.review = await runner.preview(session, strategy)
                live.publish("review.ready", **(live.review_fields() or {}))
            case p.ReviewApply(
                strategy=strategy, base_digest=base_digest, change_ids=change_ids, edits=edits
            ):
                result = await runner.apply(
                    session, strategy, base_digest=base_digest, change_ids=change_ids, edits=edits
                )
                live.review = None
                ack["backup"] = result.backup
                ack["change_ids"] = list(result.change_ids)
                events = list(result.events)
            case p.SummaryConfirm(summary_id=summary_id):
                events = await runner.resolve_summary(session, summary_id, request_id, None)
            case p.SummaryCorrect(summary_id=summary_id, text=text):
                events = await runner.resolve_summary(session, summary_id, request_id, text)
            case p.TrainingReview(excluded=excluded):
                training = await runner.training_review(session, excluded)
                live.publish("training.ready", **training.to_dict())
            case p.TrainingExport(excluded=excluded):
                exported = await runner.export_training(session, excluded)
                live.publish(
                    "training.exported",
                    path=exported.path,
                    records=exported.records,
                    **exported.review.to_dict(),
                )
                ack["training_path"] = exported.path
                ack["training_records"] = exported.records
            case _:
                raise ValidationError(f"unsupported request {message.type!r}")
        live.publish_events(events)
        if events and isinstance(message, p.AnswerSubmit | p.AnswerSkip | p.SessionFinish):
            # At a topic change or at the end: what the interviewer understood, to correct.
            live.publish_events(await runner.offer_summary(session))
        ack["seq"] = live.seq
        return [ack]

    # -- autosave and eviction --------------------------------------------------------------------

    async def _flush_draft(self, live: LiveSession) -> None:
        async with live.lock:
            await self._flush_draft_locked(live)

    async def _flush_draft_locked(self, live: LiveSession) -> None:
        draft = live.live_draft
        if draft is None or not live.draft_dirty:
            return
        events = live.session.record_draft(draft, datetime.now(UTC))
        await self.runner.commit(live.session, events)
        live.draft_dirty = False

    async def flush_drafts(self) -> int:
        """Write every changed draft now; returns how many were written."""
        written = 0
        for live in list(self.live.values()):
            if live.draft_dirty:
                try:
                    await self._flush_draft(live)
                    written += 1
                except PersonagenError:
                    log.exception("autosave failed for session %s", live.session.session_id)
        return written

    async def _autosave_loop(self) -> None:
        interval = self.runner.config.session_defaults.auto_save_interval / 1000
        while True:
            await anyio.sleep(interval)
            await self.flush_drafts()

    async def evict_idle(self, now: float | None = None) -> int:
        """Drop sessions nobody has used for the grace period (they reload from disk)."""
        now = time.monotonic() if now is None else now
        evicted = 0
        for key, live in list(self.live.items()):
            if live.subscribers or live.generation is not None:
                continue
            if now - live.last_used < self.limits.idle_grace:
                continue
            try:
                await self._flush_draft(live)
                await self.runner.checkpoint(live.session)
            except PersonagenError:
                log.exception("could not save idle session %s; keeping it", key[1])
                continue
            del self.live[key]
            evicted += 1
        return evicted

    async def _evict_loop(self) -> None:
        while True:
            await anyio.sleep(min(60.0, max(1.0, self.limits.idle_grace / 4)))
            await self.evict_idle()


def _summary_view(session: Session, summary_id: str) -> dict[str, Any]:
    """A summary as clients see it (``summary.offered`` and the session view)."""
    summary = session.summary(summary_id)
    resolution = session.resolutions.get(summary_id)
    return {
        "summary_id": summary.id,
        "categories": list(summary.categories),
        "text": summary.text,
        "items": list(summary.items),
        "question_ids": list(summary.covers),
        "offered_at": _iso(summary.offered_at),
        "resolution": None
        if resolution is None
        else {
            "verdict": resolution.verdict,
            "text": resolution.text or None,
            "resolved_at": _iso(resolution.resolved_at),
        },
    }


def _restore_hint(backup: str | None) -> str | None:
    """The command that puts the backup written by an apply back in place."""
    if backup is None:
        return None
    return f"personagen persona restore {backup.rsplit('/', 1)[-1]}"


def _summary(session: Session, runner: InterviewRunner) -> dict[str, Any]:
    progress = session.progress(runner.config)
    return {
        "session_id": session.session_id,
        "state": session.state,
        "pause_reason": session.pause_reason,
        "created_at": _iso(session.created_at),
        "updated_at": _iso(session.updated_at),
        "answered": progress.answered,
        "asked": len(session.questions),
        "max_questions": progress.max_questions,
        "complete": progress.complete,
        "percent": round(
            sum(item.percent for item in progress.categories) / max(1, len(progress.categories))
        ),
        "backend": session.backend,
        "resumable": session.state in INCOMPLETE_STATES,
    }


def _error_frame(
    request_id: str | None, exc: PersonagenError, session_id: str | None = None
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "id": request_id, **exc.to_dict()}
    if session_id is not None:
        frame["session_id"] = session_id
    return frame
