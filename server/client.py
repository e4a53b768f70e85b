"""A Python client for ``/ws``: the one the terminal tools and integrations use.

It speaks protocol v1 over the ``websockets`` library, authenticates with a token in
``hello``, sends requests with fresh ids and waits for their ``ack``/``error``, and yields
session events exactly once each: after a dropped connection it reconnects with backoff and
resumes every opened session from its ``(epoch, last_seq)``, dropping any event it has
already delivered.

    async with PersonagenClient("ws://127.0.0.1:8000/ws", token) as client:
        session_id = await client.start()
        async for event in client.events():
            ...
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import secrets
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

import anyio
from anyio.abc import TaskGroup
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from server import protocol as p
from server.errors import PersonagenError

log = logging.getLogger("personagen.client")

# Close codes after which reconnecting cannot help.
FINAL_CLOSE_CODES = frozenset(
    {
        p.CLOSE_POLICY,
        p.CLOSE_UNAUTHENTICATED,
        p.CLOSE_FORBIDDEN,
        p.CLOSE_BAD_MESSAGE,
        p.CLOSE_TOO_BIG,
    }
)


class ClientError(PersonagenError):
    """The server answered a request with an error frame (``code``/``retryable`` from it)."""

    code = "client_error"

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(str(frame.get("message", "request failed")))
        self.frame = frame
        self.code = str(frame.get("code", "error"))  # type: ignore[misc]
        self.retryable = bool(frame.get("retryable", False))  # type: ignore[misc]


class ConnectionLost(PersonagenError):
    code = "connection_lost"
    retryable = True


@dataclasses.dataclass
class _Position:
    epoch: str | None = None
    last_seq: int = 0


class PersonagenClient:
    """An auto-reconnecting protocol v1 client. Use as an async context manager."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        reconnect: bool = True,
        max_backoff: float = 10.0,
        request_timeout: float = 300.0,
        client_name: str = "personagen-python",
        open_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.token = token
        self.reconnect = reconnect
        self.max_backoff = max_backoff
        self.request_timeout = request_timeout
        self.client_name = client_name
        self.open_timeout = open_timeout
        self.welcome: dict[str, Any] = {}
        self.positions: dict[str, _Position] = {}
        self._ids = (f"{secrets.token_hex(3)}-{n}" for n in itertools.count(1))
        self._pending: dict[str, anyio.Event] = {}
        self._replies: dict[str, dict[str, Any]] = {}
        self._send_events, self._receive_events = anyio.create_memory_object_stream[dict[str, Any]](
            10_000
        )
        self._ws: ClientConnection | None = None
        self._connected = anyio.Event()
        self._closed = False
        self._fatal: PersonagenError | None = None
        self._group: TaskGroup | None = None
        self._exit_stack: contextlib.AsyncExitStack | None = None
        self.reconnects = 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        stack = contextlib.AsyncExitStack()
        self._group = await stack.enter_async_context(anyio.create_task_group())
        self._exit_stack = stack
        try:
            await self._connect_once()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        self._group.start_soon(self._run)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._group is not None:
            self._group.cancel_scope.cancel()
        if self._exit_stack is not None:
            # The body's own exception propagates unwrapped: the background group is told
            # nothing about it, only cancelled.
            await self._exit_stack.__aexit__(None, None, None)
        self._send_events.close()
        self._receive_events.close()

    async def _connect_once(self) -> None:
        try:
            ws = await connect(self.url, open_timeout=self.open_timeout, max_size=2**24)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise ConnectionLost(f"cannot connect to {self.url}: {exc}") from exc
        hello: dict[str, Any] = {
            "type": "hello",
            "v": p.PROTOCOL_VERSION,
            "token": self.token,
            "client": {"name": self.client_name, "version": "1"},
        }
        try:
            await ws.send(json.dumps(hello))
            raw = await ws.recv()
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else 1006
            reason = exc.rcvd.reason if exc.rcvd else "connection closed"
            error = ConnectionLost(f"the server closed the connection ({code}: {reason})")
            if code in FINAL_CLOSE_CODES:
                self._fatal = error
            raise error from exc
        frame = json.loads(raw)
        if frame.get("type") != "welcome":
            raise ConnectionLost(f"expected a welcome frame, got {frame.get('type')!r}")
        self.welcome = frame
        self._ws = ws
        self._connected.set()
        for session_id, position in self.positions.items():
            await self._send(
                {
                    "type": "session.open",
                    "id": next(self._ids),
                    "session_id": session_id,
                    "epoch": position.epoch,
                    "last_seq": position.last_seq,
                }
            )

    async def _run(self) -> None:
        backoff = 0.2
        while not self._closed:
            ws = self._ws
            assert ws is not None
            try:
                async for raw in ws:
                    backoff = 0.2
                    self._dispatch(json.loads(raw))
                code = ws.close_code
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else 1006
            if self._closed:
                return
            if code in FINAL_CLOSE_CODES or not self.reconnect:
                self._fatal = ConnectionLost(f"the server closed the connection ({code})")
                self._fail_pending()
                self._send_events.close()
                return
            self._connected = anyio.Event()
            self._fail_pending()  # their senders resend the same ids once reconnected
            while not self._closed:
                await anyio.sleep(backoff)
                backoff = min(self.max_backoff, backoff * 2)
                try:
                    await self._connect_once()
                    self.reconnects += 1
                    break
                except ConnectionLost as exc:
                    if self._fatal is not None:
                        self._fail_pending()
                        self._send_events.close()
                        return
                    log.info("reconnect failed: %s", exc.message)

    def _fail_pending(self) -> None:
        for request_id, event in list(self._pending.items()):
            self._replies.setdefault(
                request_id,
                {
                    "type": "error",
                    "id": request_id,
                    "code": "connection_lost",
                    "message": "the connection was closed",
                    "retryable": True,
                },
            )
            event.set()

    def _dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        request_id = frame.get("id")
        waiting = isinstance(request_id, str) and request_id in self._pending
        if kind in ("ack", "error", "sessions") and waiting:
            assert isinstance(request_id, str)
            self._replies[request_id] = frame
            self._pending[request_id].set()
            return
        if kind in ("ack", "sessions", "pong"):
            return  # replies to the client's own resume requests: nothing to deliver
        if kind == "session.snapshot":
            self.positions[frame["session_id"]] = _Position(frame["epoch"], frame["seq"])
            self._send_events.send_nowait(frame)
            return
        seq = frame.get("seq")
        session_id = frame.get("session_id")
        if isinstance(seq, int) and isinstance(session_id, str) and "epoch" in frame:
            position = self.positions.setdefault(session_id, _Position())
            if position.epoch == frame["epoch"] and seq <= position.last_seq:
                return  # already delivered before a reconnect
            position.epoch, position.last_seq = frame["epoch"], seq
        self._send_events.send_nowait(frame)

    # -- requests -------------------------------------------------------------------------------

    async def _send(self, frame: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None:
            raise ConnectionLost("not connected")
        try:
            await ws.send(json.dumps(frame))
        except ConnectionClosed as exc:
            raise ConnectionLost("the connection dropped while sending") from exc

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send one request and wait for its reply; resends the same id after a reconnect.

        Raises ClientError for an error reply, ConnectionLost when the server is gone.
        """
        request_id = str(fields.pop("id", None) or next(self._ids))
        frame = {"type": kind, "id": request_id, **fields}
        with anyio.fail_after(self.request_timeout):
            while True:
                if self._fatal is not None:
                    raise self._fatal
                await self._connected.wait()
                event = self._pending[request_id] = anyio.Event()
                try:
                    await self._send(frame)
                except ConnectionLost:
                    await anyio.sleep(0.1)
                    continue
                await event.wait()
                reply = self._replies.pop(request_id)
                self._pending.pop(request_id, None)
                if reply.get("code") == "connection_lost" and self._fatal is None:
                    continue  # the same id again: the server runs it at most once
                if reply["type"] == "error":
                    raise ClientError(reply)
                return reply

    async def start(self) -> str:
        reply = await self.request("session.start")
        session_id = str(reply["session_id"])
        self.positions.setdefault(session_id, _Position())
        return session_id

    async def open(self, session_id: str) -> dict[str, Any]:
        position = self.positions.get(session_id)
        fields: dict[str, Any] = {"session_id": session_id}
        if position is not None and position.epoch is not None:
            fields.update(epoch=position.epoch, last_seq=position.last_seq)
        reply = await self.request("session.open", **fields)
        self.positions.setdefault(session_id, _Position())
        return reply

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Every session event and snapshot, each once, across reconnects."""
        async for frame in self._receive_events:
            yield frame

    async def next_event(self, *types: str) -> dict[str, Any]:
        """The next event of one of ``types`` (any event if none given); wrap in a deadline."""
        async for frame in self._receive_events:
            if not types or frame.get("type") in types:
                return frame
        raise self._fatal or ConnectionLost("the event stream ended")

    async def drop_connection(self) -> None:
        """Abort the TCP connection without a close handshake (tests, network loss drills)."""
        if self._ws is not None:
            self._ws.transport.abort()
