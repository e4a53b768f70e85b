"""The fake Ollama of ``tests/fake_ollama.py``, served standalone for the benchmarks.

    python -m bench.fake_ollama_proc --tokens 30 --token-delay 0.0222 [--first-token-delay 0]

prints ``FAKE_OLLAMA_URL http://127.0.0.1:PORT`` once it listens and serves until SIGTERM.

Every streamed ``/api/chat`` reply is ``"What"``, then ``--tokens`` tokens, then
``" matters most to you?"``. Each of the ``--tokens`` tokens is the moment the fake sent it:
`` %09d`` of CLOCK_MONOTONIC in microseconds modulo 10^9 (see :mod:`bench.common`), written
into the chunk when it is sent, not when the reply is planned. With 30 tokens the reply is a
valid 325-character question; much longer replies stream in full but fail the server's length
check, so the server retries once and then falls back to a built-in question.

``--token-delay`` is the pause before each token (0: as fast as the fake can write).
``POST /bench/config`` with any of ``{"tokens", "token_delay", "first_token_delay"}`` changes
the reply for later requests; ``GET /bench/stats`` counts requests, streams and tokens sent.

It runs on uvloop + httptools (as ``personagen serve`` does), in its own process, so that its
CPU is neither the server's nor the load generator's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import anyio
import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.common import stamp_now
from tests.fake_ollama import (
    DEFAULT_REPLY,
    Disconnect,
    FakeOllama,
    Reply,
    Step,
    _Action,
    _Send,
    _Sleep,
)

HEAD = "What"
TAIL = (" matters", " most", " to", " you?")


@dataclasses.dataclass(frozen=True)
class StampedReply(Reply):
    """A reply whose middle tokens are send timestamps."""

    tokens: int = 30


class BenchOllama(FakeOllama):
    """FakeOllama with timestamped streamed replies, no request history and counters."""

    def __init__(self, *, tokens: int, token_delay: float, first_token_delay: float) -> None:
        super().__init__()
        self.settings = {
            "tokens": tokens,
            "token_delay": token_delay,
            "first_token_delay": first_token_delay,
        }
        self.counts = {
            "chat_requests": 0,
            "streams_started": 0,
            "streams_finished": 0,
            "tokens_sent": 0,
            "disconnects": 0,
        }
        self.app.router.routes.append(Route("/bench/config", self._configure, methods=["POST"]))
        self.app.router.routes.append(Route("/bench/stats", self._stats, methods=["GET"]))

    # -- the control surface ----------------------------------------------------------------

    async def _configure(self, request: Request) -> Response:
        changes = json.loads(await request.body() or b"{}")
        for name, value in changes.items():
            if name not in self.settings:
                return JSONResponse({"error": f"unknown setting {name!r}"}, status_code=400)
            self.settings[name] = type(self.settings[name])(value)
        return JSONResponse(self.settings)

    async def _stats(self, request: Request) -> Response:
        return JSONResponse({**self.counts, **self.settings})

    # -- overrides of FakeOllama ------------------------------------------------------------

    async def _record(self, request: Request) -> tuple[int, Any]:
        """Parse the body but keep no history: a long benchmark must not grow the fake."""
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        if request.url.path == "/api/chat":
            self.counts["chat_requests"] += 1
        return 0, body

    def _record_disconnect(self, disconnect: Disconnect, generation: int) -> None:
        self.counts["disconnects"] += 1

    def _next_step(self) -> Step:
        return StampedReply(
            text=DEFAULT_REPLY,
            token_delay=float(self.settings["token_delay"]),
            first_token_delay=float(self.settings["first_token_delay"]),
            tokens=int(self.settings["tokens"]),
        )

    async def _sleep(self, seconds: float) -> bool:
        # One timer per pause (FakeOllama polls every 20 ms so that tests can stop it early).
        if self._stopping.is_set():
            return False
        await anyio.sleep(seconds)
        return not self._stopping.is_set()

    def _streamed(self, step: Step, model: str, index: int, prompt_tokens: int) -> Response:
        if not isinstance(step, StampedReply):
            return super()._streamed(step, model, index, prompt_tokens)
        self.counts["streams_started"] += 1
        counts = self.counts

        def token(text: str | None) -> _Send:
            def make() -> bytes:
                if text is None:
                    counts["tokens_sent"] += 1
                    return self._chunk(model, " " + stamp_now())
                return self._chunk(model, text)

            return _Send(make)

        actions: list[_Action] = []
        if step.first_token_delay:
            actions.append(_Sleep(step.first_token_delay))
        actions.append(token(HEAD))
        pieces: Sequence[str | None] = [None] * step.tokens + list(TAIL)
        for piece in pieces:
            if step.token_delay:
                actions.append(_Sleep(step.token_delay))
            actions.append(token(piece))
        done = self._done(
            model,
            content="",
            done_reason=step.done_reason,
            eval_count=1 + len(pieces),
            prompt_tokens=step.prompt_eval_count or prompt_tokens,
            load_seconds=step.first_token_delay,
            newline=True,
        )

        def finish() -> bytes:
            counts["streams_finished"] += 1
            return done()

        actions.append(_Send(finish))
        return self._response(actions, index, stream=True)

    # -- serving ----------------------------------------------------------------------------

    def serve_forever(self, port: int = 0) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            http="httptools",
            loop="uvloop",
            backlog=4096,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        give_up = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > give_up:
                raise SystemExit("the fake Ollama did not start")
            time.sleep(0.01)
        print(f"FAKE_OLLAMA_URL http://127.0.0.1:{port}", flush=True)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.wait(0.5) and thread.is_alive():
            pass
        self._stopping.set()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_ollama_proc")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tokens", type=int, default=30, help="timestamped tokens per reply")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds before each token")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    fake = BenchOllama(
        tokens=args.tokens, token_delay=args.token_delay, first_token_delay=args.first_token_delay
    )
    fake.serve_forever(args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
