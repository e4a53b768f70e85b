"""A protocol-faithful fake Ollama: real HTTP on 127.0.0.1, driven by a per-test script.

It speaks the wire format of Ollama's ``/api/chat`` (NDJSON chunks, a ``done`` chunk with
``done_reason`` and nanosecond timings, ``stream: false`` as one JSON object, ``load`` /
``unload`` for empty ``messages``, 404 for an unknown model, 400 without a model) plus
``GET|HEAD /``, ``/api/version``, ``/api/tags``, ``/api/show`` and ``/api/ps``. It is served
by a real uvicorn in a background thread, because ``httpx.ASGITransport`` buffers whole
responses and so cannot show token timing, stalls, abrupt closes or client disconnects.

Each chat request with messages consumes the next step of the script (a default reply when
the script is empty)::

    fake.reply("What matters to you?", token_delay=0.01)   # streamed or not, as asked
    fake.reply_json({"values": []})                          # the content is JSON
    fake.fail(404) / fake.busy() / fake.fail(500, "boom")    # HTTP error {"error": ...}
    fake.error_mid_stream("runner crashed", after=2)         # {"error"} line, status 200
    fake.stall(5, after=1)                                   # headers, then silence
    fake.close_abruptly(after=2)                             # connection dropped mid-body

Every request is recorded in ``fake.requests`` (method, path, parsed JSON body) and every
client that went away before a response was complete in ``fake.disconnects``.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from server.interview.crisis_check import CRISIS_CHECK_TITLE

DEFAULT_MODEL = "llama3.1:8b"
DEFAULT_VERSION = "0.12.6"
DEFAULT_REPLY = "What has been giving you the most energy lately, and why does it matter to you?"
# Ollama's ErrMaxQueue (server/sched.go).
QUEUE_FULL = "server busy, please try again.  maximum pending requests exceeded"
_DEFAULT_ERRORS = {
    400: "model is required",
    499: "request canceled",
    500: "llama runner process has terminated: exit status 2",
    503: QUEUE_FULL,
}
_THREAD_PREFIX = "fake-ollama"
_ABRUPT_LOG = "ASGI callable returned without completing response."


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for "Ollama is down" tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def split_tokens(text: str) -> list[str]:
    """Token-like pieces (" word", ",", trailing whitespace) that concatenate to ``text``."""
    return re.findall(r"\s*\w+|\s*[^\w\s]+|\s+", text)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _canonical(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class _HideAbruptCloses(logging.Filter):
    """uvicorn logs our deliberate abrupt closes as errors; they are the point of the test."""

    def filter(self, record: logging.LogRecord) -> bool:
        scripted = record.threadName is not None and record.threadName.startswith(_THREAD_PREFIX)
        return not (scripted and record.msg == _ABRUPT_LOG)


logging.getLogger("uvicorn.error").addFilter(_HideAbruptCloses())


# -- the script -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Reply:
    """A normal reply: streamed token by token, or one JSON object for ``stream: false``.

    ``chunks`` overrides how ``text`` is split; ``prompt_eval_count`` overrides the fake's
    estimate (characters / 4), e.g. to imitate Ollama's silent prompt truncation.
    """

    text: str = DEFAULT_REPLY
    done_reason: str = "stop"
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    chunks: tuple[str, ...] | None = None
    prompt_eval_count: int | None = None

    def pieces(self) -> list[str]:
        return list(self.chunks) if self.chunks is not None else split_tokens(self.text)


@dataclasses.dataclass(frozen=True)
class HttpError:
    """An HTTP error before any byte of the reply: ``{"error": message}`` with ``status``."""

    status: int
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class MidStreamError:
    """``after`` chunks of ``text``, then an ``{"error": ...}`` line; the status stays 200."""

    message: str = "an error was encountered while running the model: unexpected EOF"
    after: int = 2
    text: str = DEFAULT_REPLY


@dataclasses.dataclass(frozen=True)
class Stall:
    """Response headers and ``after`` chunks, then no bytes for ``seconds``, then the rest."""

    seconds: float
    after: int = 0
    text: str = DEFAULT_REPLY


@dataclasses.dataclass(frozen=True)
class AbruptClose:
    """Headers and ``after`` chunks, then the TCP connection is closed mid-body."""

    after: int = 2
    text: str = DEFAULT_REPLY


Step = Reply | HttpError | MidStreamError | Stall | AbruptClose


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: Any


@dataclasses.dataclass(frozen=True)
class Disconnect:
    """A client went away before the response was complete."""

    path: str
    request_index: int
    chunks_sent: int


# -- the scripted response ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclasses.dataclass(frozen=True)
class _Send:
    """Send bytes, or bytes made when sent (a done chunk whose timings must be real)."""

    data: bytes | Callable[[], bytes]


@dataclasses.dataclass(frozen=True)
class _Headers:
    pass


@dataclasses.dataclass(frozen=True)
class _Close:
    pass


_Action = _Sleep | _Send | _Headers | _Close


class _ScriptedResponse(Response):
    """Plays actions (sleep, send a line, close) while watching for the client leaving."""

    def __init__(
        self,
        fake: FakeOllama,
        actions: Sequence[_Action],
        *,
        media_type: str,
        request_index: int,
        path: str,
    ) -> None:
        super().__init__(status_code=200, media_type=media_type)
        self.fake = fake
        self.actions = list(actions)
        self.request_index = request_index
        self.path = path
        self.started = False
        self.finished = False
        self.sent = 0
        self.generation = fake.generation

    async def _start(self, send: Send) -> None:
        if self.started:
            return
        headers = [(b"content-type", self.media_type.encode() if self.media_type else b"")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        self.started = True

    async def _play(self, send: Send) -> None:
        for action in self.actions:
            if isinstance(action, _Sleep):
                if not await self.fake._sleep(action.seconds):
                    return
            elif isinstance(action, _Headers):
                await self._start(send)
            elif isinstance(action, _Send):
                await self._start(send)
                data = action.data if isinstance(action.data, bytes) else action.data()
                await send({"type": "http.response.body", "body": data, "more_body": True})
                self.sent += 1
            else:
                await self._start(send)
                return  # returning mid-body makes uvicorn close the connection
        await self._start(send)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self.finished = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                message: Message = await receive()
                while message["type"] != "http.disconnect":
                    message = await receive()
                if not self.finished:
                    disconnect = Disconnect(self.path, self.request_index, self.sent)
                    self.fake._record_disconnect(disconnect, self.generation)
                group.cancel_scope.cancel()

            group.start_soon(watch)
            await self._play(send)
            group.cancel_scope.cancel()


# -- the fake server ------------------------------------------------------------------------


class FakeOllama:
    """A fake Ollama served by uvicorn in a thread. Use as a context manager or start/stop."""

    def __init__(
        self,
        *,
        models: Sequence[str] = (DEFAULT_MODEL,),
        version: str = DEFAULT_VERSION,
        default_reply: str = DEFAULT_REPLY,
    ) -> None:
        self._defaults = (tuple(models), version, default_reply)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.url = ""
        self.generation = 0
        self.reset()
        self.app = Starlette(
            routes=[
                Route("/", self._root, methods=["GET", "HEAD"]),
                Route("/api/version", self._version, methods=["GET"]),
                Route("/api/tags", self._tags, methods=["GET"]),
                Route("/api/show", self._show, methods=["POST"]),
                Route("/api/ps", self._ps, methods=["GET"]),
                Route("/api/chat", self._chat, methods=["POST"]),
            ]
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = 5.0) -> Self:
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets whose proto says
        # TCP, and without it Nagle's algorithm adds ~40 ms to every response.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"{_THREAD_PREFIX}-{port}",
            daemon=True,
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        give_up = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > give_up:
                self.stop()
                raise RuntimeError(f"the fake Ollama did not start on port {port}")
            time.sleep(0.005)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget the script, the records and any changed settings (between tests).

        Responses still in flight from before the reset record nothing afterwards.
        """
        with self._lock:
            models, version, default_reply = self._defaults
            self.models: list[str] = list(models)
            self.version = version
            self.default_reply = default_reply
            self.requests: list[RecordedRequest] = []
            self.disconnects: list[Disconnect] = []
            self.loaded: set[str] = set()
            self._script: collections.deque[Step] = collections.deque()
            # Crisis classification calls have their own script and records, so a test that
            # scripts question replies is not shifted by the second opinion after each answer.
            self.crisis_script: collections.deque[str | HttpError] = collections.deque()
            self.crisis_requests: list[dict[str, Any]] = []
            self.generation += 1

    # -- the script ---------------------------------------------------------------------------

    def script(self, *steps: Step) -> None:
        """Append steps; each chat request with messages consumes the next one."""
        with self._lock:
            self._script.extend(steps)

    def clear_script(self) -> int:
        """Drop the steps not consumed yet; returns how many there were."""
        with self._lock:
            dropped = len(self._script)
            self._script.clear()
            return dropped

    def reply(self, text: str = DEFAULT_REPLY, **options: Any) -> None:
        self.script(Reply(text, **options))

    def reply_json(self, data: object, **options: Any) -> None:
        self.script(Reply(json.dumps(data), **options))

    def fail(self, status: int, message: str | None = None) -> None:
        self.script(HttpError(status, message))

    def busy(self) -> None:
        self.script(HttpError(503))

    def error_mid_stream(self, message: str = MidStreamError.message, *, after: int = 2) -> None:
        self.script(MidStreamError(message, after))

    def stall(self, seconds: float, *, after: int = 0) -> None:
        self.script(Stall(seconds, after))

    def close_abruptly(self, *, after: int = 2) -> None:
        self.script(AbruptClose(after))

    @property
    def pending(self) -> int:
        """Script steps not consumed yet."""
        with self._lock:
            return len(self._script)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of every ``POST /api/chat``, in order."""
        return [r.body for r in list(self.requests) if r.path == "/api/chat"]

    async def wait_for_disconnects(self, count: int = 1, within: float = 2.0) -> list[Disconnect]:
        """Wait until ``count`` disconnects are recorded; return them (fewer after ``within`` s)."""

        def wait() -> None:
            with self._changed:
                self._changed.wait_for(lambda: len(self.disconnects) >= count, within)

        await anyio.to_thread.run_sync(wait)
        with self._lock:
            return list(self.disconnects)

    # -- internals ----------------------------------------------------------------------------

    def _next_step(self) -> Step:
        with self._lock:
            return self._script.popleft() if self._script else Reply(self.default_reply)

    def _record_disconnect(self, disconnect: Disconnect, generation: int) -> None:
        with self._changed:
            if generation == self.generation:
                self.disconnects.append(disconnect)
                self._changed.notify_all()

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless the fake is stopping; False means stop now."""
        give_up = time.monotonic() + seconds
        while (left := give_up - time.monotonic()) > 0:
            if self._stopping.is_set():
                return False
            await anyio.sleep(min(left, 0.02))
        return not self._stopping.is_set()

    async def _record(self, request: Request) -> tuple[int, Any]:
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(RecordedRequest(request.method, request.url.path, body))
            return len(self.requests) - 1, body

    def _crisis_check(self, body: dict[str, Any]) -> Response:
        """Answer a crisis classification: the next scripted verdict, else "none"."""
        with self._lock:
            self.crisis_requests.append(body)
            step = self.crisis_script.popleft() if self.crisis_script else "none"
        if isinstance(step, HttpError):
            return self._error(step.status, step.message or "error")
        content = json.dumps({"verdict": step, "reason": "scripted"})
        return JSONResponse(
            {
                "model": body.get("model", ""),
                "created_at": _now(),
                "message": {"role": "assistant", "content": content},
                "done_reason": "stop",
                "done": True,
            }
        )

    def _knows(self, model: str) -> bool:
        return _canonical(model) in {_canonical(name) for name in self.models}

    def _details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "8.0B",
            "quantization_level": "Q4_K_M",
        }

    def _model_entry(self, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": "2025-06-01T10:00:00.000000Z",
            "size": 4_920_753_328,
            "digest": "46e0c10c039e019119339687c3c1757cc81b9da49709a3b3924863ba87ca666e",
            "details": self._details(),
        }

    @staticmethod
    def _error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    # -- routes -------------------------------------------------------------------------------

    async def _root(self, request: Request) -> Response:
        await self._record(request)
        return PlainTextResponse("Ollama is running")

    async def _version(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"version": self.version})

    async def _tags(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"models": [self._model_entry(name) for name in self.models]})

    async def _ps(self, request: Request) -> Response:
        await self._record(request)
        models = [
            {
                **self._model_entry(name),
                "expires_at": "2099-01-01T00:00:00Z",
                "size_vram": 4_920_753_328,
                "context_length": 8192,
            }
            for name in sorted(self.loaded)
        ]
        return JSONResponse({"models": models})

    async def _show(self, request: Request) -> Response:
        _, body = await self._record(request)
        name = (body.get("model") or body.get("name") or "") if isinstance(body, dict) else ""
        if not name:
            return self._error(400, "model is required")
        if not self._knows(name):
            return self._error(404, f"model '{name}' not found")
        return JSONResponse(
            {
                "modelfile": f'# Modelfile generated by "ollama show"\nFROM {name}\n',
                "parameters": 'stop "<|eot_id|>"',
                "template": "{{ .Prompt }}",
                "details": self._details(),
                "model_info": {"general.architecture": "llama", "llama.context_length": 131072},
                "capabilities": ["completion"],
                "modified_at": "2025-06-01T10:00:00.000000Z",
            }
        )

    async def _chat(self, request: Request) -> Response:
        raw = await request.body()  # Starlette keeps it, so _record can read it again
        if CRISIS_CHECK_TITLE.encode() in raw:
            return self._crisis_check(json.loads(raw))
        index, body = await self._record(request)
        if not isinstance(body, dict):
            return self._error(400, "invalid request body")
        model = body.get("model") or ""
        if not isinstance(model, str) or not model:
            return self._error(400, "model is required")
        if not self._knows(model):
            return self._error(404, f"model '{model}' not found")
        messages = body.get("messages") or []
        if not messages:
            unload = body.get("keep_alive") in (0, "0", "0s", "0m")
            if unload:
                self.loaded.discard(model)
            else:
                self.loaded.add(model)
            return JSONResponse(
                {
                    "model": model,
                    "created_at": _now(),
                    "message": {"role": "assistant", "content": ""},
                    "done_reason": "unload" if unload else "load",
                    "done": True,
                }
            )
        self.loaded.add(model)
        step = self._next_step()
        if isinstance(step, HttpError):
            default = f"model '{model}' not found" if step.status == 404 else "error"
            message = step.message or _DEFAULT_ERRORS.get(step.status, default)
            return self._error(step.status, message)
        prompt_tokens = sum(
            math.ceil(len(str(m.get("content", ""))) / 4) + 4
            for m in messages
            if isinstance(m, dict)
        )
        stream = body.get("stream", True) is not False
        if stream:
            return self._streamed(step, model, index, prompt_tokens)
        return self._whole(step, model, index, prompt_tokens)

    def _chunk(self, model: str, content: str) -> bytes:
        chunk = {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": content},
            "done": False,
        }
        return json.dumps(chunk).encode() + b"\n"

    def _done(
        self,
        model: str,
        *,
        content: str,
        done_reason: str,
        eval_count: int,
        prompt_tokens: int,
        load_seconds: float,
        newline: bool,
    ) -> Callable[[], bytes]:
        """The final ``done: true`` object, made when sent so that its timings are real."""
        started = time.monotonic()

        def make() -> bytes:
            load = max(int(load_seconds * 1e9), 500_000)
            elapsed = max(int((time.monotonic() - started) * 1e9) - load, 1_000_000)
            final = {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": content},
                "done_reason": done_reason,
                "done": True,
                "total_duration": elapsed + load,
                "load_duration": load,
                "prompt_eval_count": prompt_tokens,
                "prompt_eval_duration": 2_000_000 + prompt_tokens * 100_000,
                "eval_count": eval_count,
                "eval_duration": elapsed,
            }
            return json.dumps(final).encode() + (b"\n" if newline else b"")

        return make

    def _response(self, actions: Sequence[_Action], index: int, *, stream: bool) -> Response:
        return _ScriptedResponse(
            self,
            actions,
            media_type="application/x-ndjson" if stream else "application/json; charset=utf-8",
            request_index=index,
            path="/api/chat",
        )

    def _streamed(self, step: Step, model: str, index: int, prompt_tokens: int) -> Response:
        actions: list[_Action] = []
        if isinstance(step, Reply):
            pieces = step.pieces()
            for number, piece in enumerate(pieces):
                delay = step.first_token_delay if number == 0 else step.token_delay
                if delay:
                    actions.append(_Sleep(delay))
                actions.append(_Send(self._chunk(model, piece)))
            if step.token_delay and pieces:
                actions.append(_Sleep(step.token_delay))
            done = self._done(
                model,
                content="",
                done_reason=step.done_reason,
                eval_count=len(pieces),
                prompt_tokens=step.prompt_eval_count or prompt_tokens,
                load_seconds=step.first_token_delay,
                newline=True,
            )
            actions.append(_Send(done))
        elif isinstance(step, MidStreamError):
            pieces = split_tokens(step.text)[: step.after]
            actions += [_Send(self._chunk(model, piece)) for piece in pieces]
            actions.append(_Send(json.dumps({"error": step.message}).encode() + b"\n"))
        elif isinstance(step, Stall):
            pieces = split_tokens(step.text)
            actions.append(_Headers())
            actions += [_Send(self._chunk(model, piece)) for piece in pieces[: step.after]]
            actions.append(_Sleep(step.seconds))
            actions += [_Send(self._chunk(model, piece)) for piece in pieces[step.after :]]
            done = self._done(
                model,
                content="",
                done_reason="stop",
                eval_count=len(pieces),
                prompt_tokens=prompt_tokens,
                load_seconds=0,
                newline=True,
            )
            actions.append(_Send(done))
        elif isinstance(step, AbruptClose):
            pieces = split_tokens(step.text)[: step.after]
            actions.append(_Headers())
            actions += [_Send(self._chunk(model, piece)) for piece in pieces]
            actions.append(_Close())
        return self._response(actions, index, stream=True)

    def _whole(self, step: Step, model: str, index: int, prompt_tokens: int) -> Response:
        """``stream: false``: nothing is sent until the reply is complete."""
        if isinstance(step, MidStreamError):
            return self._error(500, step.message)
        if isinstance(step, AbruptClose):
            # Headers and the start of the object, then the connection drops.
            start = json.dumps({"model": model, "created_at": _now()}).encode()[:-1]
            return self._response([_Send(start), _Close()], index, stream=False)
        if isinstance(step, Stall):
            pieces, wait, done_reason, load = split_tokens(step.text), step.seconds, "stop", 0.0
            prompt = prompt_tokens
        else:
            assert isinstance(step, Reply)
            pieces, done_reason, load = step.pieces(), step.done_reason, step.first_token_delay
            wait = step.first_token_delay + step.token_delay * len(pieces)
            prompt = step.prompt_eval_count or prompt_tokens
        done = self._done(
            model,
            content="".join(pieces),
            done_reason=done_reason,
            eval_count=len(pieces),
            prompt_tokens=prompt,
            load_seconds=load,
            newline=False,
        )
        actions: list[_Action] = [_Sleep(wait)] if wait else []
        actions.append(_Send(done))
        return self._response(actions, index, stream=False)
