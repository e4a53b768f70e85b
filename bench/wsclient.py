"""A lean protocol v1 client for measuring: raw ``websockets``, a timestamp on every frame.

:class:`server.client.PersonagenClient` is the client people use; it reconnects and queues
events, which is right for an application and wrong for a stopwatch. This one reads every
frame in one reader task, notes ``now_us()`` before parsing it, and hands it to a
:class:`Tracker` that turns timestamped tokens into samples.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import itertools
import json
import secrets
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.common import now_us, stamp_age_us, stamped_tokens

# Request ids are answer ids too, and the server remembers them per user: they must be unique
# across every process that speaks for the same user.
_PREFIX = secrets.token_hex(4)
_ids = itertools.count(1)


@dataclasses.dataclass
class Sink:
    """Samples of one phase of one process (all times in µs)."""

    latency_us: list[int] = dataclasses.field(default_factory=list)  # fake -> this client
    recv_gap_us: list[int] = dataclasses.field(default_factory=list)  # between tokens received
    fake_gap_us: list[int] = dataclasses.field(default_factory=list)  # between tokens sent
    frame_gap_us: list[int] = dataclasses.field(default_factory=list)  # between delta frames
    ttft_us: list[int] = dataclasses.field(default_factory=list)  # request -> first token
    ack_us: list[int] = dataclasses.field(default_factory=list)  # answer.submit -> ack
    draft_ack_us: list[int] = dataclasses.field(default_factory=list)  # draft.update -> ack
    tokens: int = 0
    delta_frames: int = 0
    questions: int = 0
    answers: int = 0
    drafts: int = 0
    resets: int = 0
    queued: int = 0
    gen_errors: int = 0
    sessions: int = 0
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)

    def merge(self, other: dict[str, Any]) -> None:
        for field in dataclasses.fields(self):
            value = other.get(field.name)
            if value is None:
                continue
            mine = getattr(self, field.name)
            if isinstance(mine, list):
                mine.extend(value)
            elif isinstance(mine, collections.Counter):
                mine.update(value)
            else:
                setattr(self, field.name, mine + value)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


class Tracker:
    """Follows one session's question stream and records its samples into ``sink``."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.trigger_us: int | None = None  # when the request that starts a question was sent
        self._last_recv: int | None = None
        self._last_stamp: int | None = None
        self._last_frame: int | None = None
        self.stream_tokens: list[tuple[int, int]] = []  # (stamp age, recv time) of this attempt

    def restart(self) -> None:
        self._last_recv = self._last_stamp = self._last_frame = None
        self.stream_tokens = []

    def on_delta(self, at_us: int, text: str) -> None:
        sink = self.sink
        tokens = stamped_tokens(text)
        if not tokens:
            return
        sink.delta_frames += 1
        if self._last_frame is not None:
            sink.frame_gap_us.append(at_us - self._last_frame)
        self._last_frame = at_us
        if self.trigger_us is not None:
            sink.ttft_us.append(at_us - self.trigger_us)
            self.trigger_us = None
        for token in tokens:
            age = stamp_age_us(token, at_us)
            stamp = int(token)
            sink.latency_us.append(age)
            if self._last_recv is not None and self._last_stamp is not None:
                sink.recv_gap_us.append(at_us - self._last_recv)
                sink.fake_gap_us.append((stamp - self._last_stamp) % 1_000_000_000)
            self._last_recv, self._last_stamp = at_us, stamp
            self.stream_tokens.append((age, at_us))
        sink.tokens += len(tokens)


class BenchSocket:
    """One ``/ws`` connection: hello, requests by id, a reader that timestamps frames."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.ws: ClientConnection | None = None
        self.welcome: dict[str, Any] = {}
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.handler: Any = None  # called as handler(at_us, frame) for every other frame

    async def connect(self, resume: dict[str, Any] | None = None, within: float = 30) -> int:
        """Open, say hello, read the welcome; returns when the welcome arrived (µs)."""
        self.ws = await asyncio.wait_for(
            connect(self.url, compression=None, max_size=2**24, open_timeout=within), within
        )
        hello: dict[str, Any] = {"type": "hello", "v": 1, "token": self.token}
        if resume is not None:
            hello["resume"] = resume
        await self.ws.send(json.dumps(hello))
        raw = await asyncio.wait_for(self.ws.recv(), within)
        at = now_us()
        self.welcome = json.loads(raw)
        if self.welcome.get("type") != "welcome":
            raise RuntimeError(f"expected welcome, got {self.welcome}")
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        return at

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                at = now_us()
                frame = json.loads(raw)
                request_id = frame.get("id")
                if frame.get("type") in ("ack", "error", "sessions") and (
                    future := self._pending.pop(request_id, None)
                ):
                    if not future.done():
                        future.set_result(frame)
                    continue
                if self.handler is not None:
                    self.handler(at, frame)
        except Exception:  # a dropped connection ends the reader; waiters see `closed`
            pass
        finally:
            self.closed.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_result({"type": "error", "code": "connection_lost"})
            self._pending.clear()

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def request(self, kind: str, within: float = 120, **fields: Any) -> dict[str, Any]:
        request_id = f"{_PREFIX}-{next(_ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        await self.send({"type": kind, "id": request_id, **fields})
        return await asyncio.wait_for(future, within)

    def abort(self) -> None:
        """Drop the TCP connection without a close handshake (a network loss)."""
        if self.ws is not None:
            self.ws.transport.abort()

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader


class PingProbe:
    """Server event-loop lag seen from outside: ping/pong round trips on an idle connection.

    The server answers ``ping`` in its receive loop and sends the ``pong`` through the
    connection's writer, so a busy event loop delays the round trip. The probe sends eight
    pings a second (the per-connection limit is ten).
    """

    def __init__(self, socket: BenchSocket, interval: float = 0.125) -> None:
        self.socket = socket
        self.interval = interval
        self.rtt_us: list[int] = []
        self.lost = 0
        self._sent: dict[int, int] = {}
        socket.handler = self._on_frame

    def _on_frame(self, at_us: int, frame: dict[str, Any]) -> None:
        if frame.get("type") == "pong" and isinstance(frame.get("t"), int):
            sent = self._sent.pop(frame["t"], None)
            if sent is not None:
                self.rtt_us.append(at_us - sent)

    async def run(self, seconds: float) -> list[int]:
        self.rtt_us = []
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        n = 0
        while loop.time() < end:
            n += 1
            self._sent[n] = now_us()
            await self.socket.send({"type": "ping", "t": n})
            await asyncio.sleep(self.interval)
        await asyncio.sleep(0.5)
        self.lost += len(self._sent)
        self._sent.clear()
        return self.rtt_us
