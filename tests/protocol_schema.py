"""Check frames against ``docs/protocol.schema.json``, and transports that check every frame.

* :func:`validate_client_frame` / :func:`validate_server_frame` raise :class:`FrameError` (an
  AssertionError) naming the frame type, the JSON path and what is wrong.
* :class:`CheckedSocket` wraps a Starlette ``TestClient`` WebSocket: every frame it sends is
  checked as a client frame (``send_text`` sends deliberately bad ones unchecked), every frame
  it receives as a server frame, and every receive has a deadline.
* The :func:`checked_frames` fixture does the same for real sockets: it wraps the
  ``websockets`` ``connect`` used by :mod:`server.client` (and by the requesting test module,
  if it imports ``connect``), and fails the test at teardown if any frame broke the schema.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import json
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from jsonschema import Draft202012Validator, validators  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from starlette.testclient import WebSocketTestSession
from websockets.asyncio import client as websockets_client

import server.client

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "protocol.schema.json"


class FrameError(AssertionError):
    """A frame that does not match the protocol schema."""


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """``pattern`` with ECMA-262 semantics: a final ``$`` does not match before a newline.

    jsonschema uses Python's ``re.search``, where ``^a$`` also matches ``"a\\n"``; the schema's
    patterns are meant as ECMA-262 (as the spec says), which is also what the server enforces.
    """
    if not validator.is_type(instance, "string"):
        return
    python = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
    if re.search(python, instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})


@functools.cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _checked_schema() -> dict[str, Any]:
    """The schema, once checked against the draft 2020-12 meta-schema."""
    whole = schema()
    Draft202012Validator.check_schema(whole)
    return whole


@functools.cache
def _validator(def_name: str) -> Any:
    """A validator for ``$defs/<def_name>``."""
    whole = _checked_schema()
    if def_name not in whole["$defs"]:
        raise KeyError(f"the schema has no $defs/{def_name}")
    root = {key: value for key, value in whole.items() if key not in ("anyOf", "oneOf")}
    return _Validator({**root, "$ref": f"#/$defs/{def_name}"})


def _defs_by_type(union: str) -> dict[str, str]:
    """``{frame type: $defs name}`` for the members of ``ClientMessage`` or ``ServerFrame``."""
    defs = schema()["$defs"]
    found = {}
    for member in defs[union]["oneOf"]:
        name = member["$ref"].removeprefix("#/$defs/")
        found[defs[name]["properties"]["type"]["const"]] = name
    return found


@functools.cache
def client_defs() -> dict[str, str]:
    return _defs_by_type("ClientMessage")


@functools.cache
def server_defs() -> dict[str, str]:
    return _defs_by_type("ServerFrame")


def schema_errors(instance: Any, def_name: str) -> list[str]:
    """Every way ``instance`` breaks ``$defs/<def_name>``, as readable lines (empty: valid)."""
    problems = []
    errors = _validator(def_name).iter_errors(instance)
    for error in sorted(errors, key=lambda e: [str(part) for part in e.absolute_path]):
        where = "/".join(str(part) for part in error.absolute_path) or "(frame)"
        problems.append(f"{where}: {error.message[:300]}")
    return problems


def _validate(frame: Any, defs: dict[str, str], side: str) -> None:
    if not isinstance(frame, dict):
        raise FrameError(f"{side} frame must be a JSON object, found {frame!r:.200}")
    kind = frame.get("type")
    name = defs.get(kind) if isinstance(kind, str) else None
    if name is None:
        raise FrameError(f"{side} frame has unknown type {kind!r}; the schema knows {sorted(defs)}")
    problems = schema_errors(frame, name)
    if problems:
        shown = json.dumps(frame, ensure_ascii=False)[:600]
        raise FrameError(f"{side} frame {kind!r} breaks $defs/{name}: {problems}\n{shown}")


def validate_client_frame(frame: Any) -> None:
    """Raise FrameError unless ``frame`` is a valid client-to-server frame."""
    _validate(frame, client_defs(), "client")


def validate_server_frame(frame: Any) -> None:
    """Raise FrameError unless ``frame`` is a valid server-to-client frame."""
    _validate(frame, server_defs(), "server")


def is_valid_client_frame(frame: Any) -> bool:
    try:
        validate_client_frame(frame)
    except FrameError:
        return False
    return True


# -- Starlette TestClient ------------------------------------------------------------------------


class Closed(Exception):
    """The server closed the WebSocket."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class CheckedSocket:
    """A TestClient WebSocket whose frames are all schema-checked and whose reads time out.

    Frames skipped while looking for a particular one (:meth:`reply_to`, :meth:`receive_type`)
    stay queued for later reads; :attr:`received` keeps every frame ever read, in order.
    """

    def __init__(self, session: WebSocketTestSession, *, timeout: float = 5.0) -> None:
        self.session = session
        self.timeout = timeout
        self.received: list[dict[str, Any]] = []
        self.pending: collections.deque[dict[str, Any]] = collections.deque()
        self.closed: Closed | None = None

    # sending

    def send(self, frame: dict[str, Any]) -> None:
        validate_client_frame(frame)
        self.session.send_text(json.dumps(frame))

    def send_text(self, text: str) -> None:
        """Send a frame as is, unchecked (for deliberately bad input)."""
        self.session.send_text(text)

    def send_bytes(self, data: bytes) -> None:
        self.session.send_bytes(data)

    # receiving

    async def _next_message(self, seconds: float) -> dict[str, Any]:
        with anyio.fail_after(seconds):
            return dict(await self.session._send_rx.receive())

    def _read(self, timeout: float | None) -> dict[str, Any]:
        """The next frame off the wire (checked). Raises Closed when the server closed."""
        if self.closed is not None:
            raise self.closed
        message = self.session.portal.call(self._next_message, timeout or self.timeout)
        if message["type"] == "websocket.close":
            self.closed = Closed(message.get("code", 1000), message.get("reason") or "")
            raise self.closed
        text = message.get("text")
        if text is None:
            raise FrameError(f"the server sent a non-text frame: {message!r:.200}")
        frame = json.loads(text)
        validate_server_frame(frame)
        assert isinstance(frame, dict)
        self.received.append(frame)
        return frame

    def receive(self, timeout: float | None = None) -> dict[str, Any]:
        """The next frame not read yet: a skipped one first, else one off the wire."""
        if self.pending:
            return self.pending.popleft()
        return self._read(timeout)

    def _find(
        self, match: Callable[[dict[str, Any]], bool], timeout: float | None
    ) -> dict[str, Any]:
        for frame in self.pending:
            if match(frame):
                self.pending.remove(frame)
                return frame
        while True:
            frame = self._read(timeout)
            if match(frame):
                return frame
            self.pending.append(frame)

    def receive_type(self, *types: str, timeout: float | None = None) -> dict[str, Any]:
        """The next frame of one of ``types``; others stay queued."""
        return self._find(lambda frame: frame["type"] in types, timeout)

    def reply_to(self, request_id: str, timeout: float | None = None) -> dict[str, Any]:
        """The ``ack``/``error``/``sessions`` frame answering ``request_id``."""
        return self._find(
            lambda frame: (
                frame["type"] in ("ack", "error", "sessions") and frame.get("id") == request_id
            ),
            timeout,
        )

    def request(self, frame: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        self.send(frame)
        return self.reply_to(str(frame["id"]), timeout)

    def expect_close(self, timeout: float | None = None) -> Closed:
        """Read (and check) frames until the server closes; returns the close."""
        self.pending.clear()
        while True:
            try:
                self._read(timeout)
            except Closed as closed:
                return closed

    def drain(self, quiet: float = 0.2) -> list[dict[str, Any]]:
        """Every frame not read yet, until none has come for ``quiet`` seconds."""
        frames = list(self.pending)
        self.pending.clear()
        while True:
            try:
                frames.append(self._read(quiet))
            except TimeoutError:
                return frames


def hello(token: str | None = None, **fields: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "hello", "v": 1, "client": {"name": "tests", "version": "1"}}
    if token is not None:
        frame["token"] = token
    frame.update(fields)
    return frame


# -- real sockets (websockets) -------------------------------------------------------------------


@dataclasses.dataclass
class FrameLog:
    """Frames seen on real sockets, and every schema problem among them."""

    client: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    server: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    def _check(
        self,
        message: str | bytes,
        side: str,
        into: list[dict[str, Any]],
        check: Callable[..., None],
    ) -> None:
        if isinstance(message, bytes):
            self.problems.append(f"{side} sent a binary frame ({len(message)} bytes)")
            return
        try:
            frame = json.loads(message)
            check(frame)
        except (ValueError, FrameError) as exc:
            self.problems.append(f"{side}: {exc}")
            return
        into.append(frame)

    def saw_client(self, message: str | bytes) -> None:
        self._check(message, "client", self.client, validate_client_frame)

    def saw_server(self, message: str | bytes) -> None:
        self._check(message, "server", self.server, validate_server_frame)


class CheckedConnection:
    """A ``websockets`` client connection that records and checks every frame."""

    def __init__(self, connection: Any, log: FrameLog) -> None:
        self.raw = connection
        self.log = log

    async def send(self, message: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(message, str | bytes):
            self.log.saw_client(message)
        await self.raw.send(message, *args, **kwargs)

    async def recv(self, *args: Any, **kwargs: Any) -> Any:
        message = await self.raw.recv(*args, **kwargs)
        self.log.saw_server(message)
        return message

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        async for message in self.raw:
            self.log.saw_server(message)
            yield message

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class _CheckedConnect:
    """Stands in for ``websockets.asyncio.client.connect(...)``: awaitable and ``async with``."""

    def __init__(self, log: FrameLog, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.log = log
        self.inner = websockets_client.connect(*args, **kwargs)
        self.connection: CheckedConnection | None = None

    def __await__(self) -> Generator[Any, None, CheckedConnection]:
        return self._open().__await__()

    async def _open(self) -> CheckedConnection:
        return CheckedConnection(await self.inner, self.log)

    async def __aenter__(self) -> CheckedConnection:
        self.connection = await self._open()
        return self.connection

    async def __aexit__(self, *exc_info: object) -> None:
        if self.connection is not None:
            await self.connection.raw.close()


def checking_connect(log: FrameLog) -> Callable[..., _CheckedConnect]:
    def connect(*args: Any, **kwargs: Any) -> _CheckedConnect:
        return _CheckedConnect(log, args, kwargs)

    return connect


@pytest.fixture
def checked_frames(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[FrameLog]:
    """Check every frame on real sockets during the test against the protocol schema.

    Covers :class:`server.client.PersonagenClient` and, when the test module does
    ``from websockets.asyncio.client import connect``, that ``connect`` too. Use it with
    ``pytest.mark.usefixtures("checked_frames")`` (import the fixture into the module).
    """
    log = FrameLog()
    connect = checking_connect(log)
    monkeypatch.setattr(server.client, "connect", connect)
    module = request.module
    if getattr(module, "connect", None) is websockets_client.connect:
        monkeypatch.setattr(module, "connect", connect)
    yield log
    assert not log.problems, "frames that break docs/protocol.schema.json:\n" + "\n".join(
        log.problems[:20]
    )
