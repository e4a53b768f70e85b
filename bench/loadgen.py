"""Load generator: many interview clients in one process, driven by the benchmark over pipes.

A benchmark starts one or more of these (``python -m bench.loadgen``) so that the client's CPU
is never counted as the server's. The parent writes one JSON line of settings, then commands;
the worker answers with JSON lines:

    parent -> {"url", "tokens": [...], "mode": "interview"|"drafts", "think": [lo, hi],
               "ramp_per_s", "seed", "draft_period"}
    worker -> {"type": "ready", "clients", "failed", "ramp": <Sink>, "lag_us": [...]}
    parent -> {"cmd": "go", "duration": seconds}
    worker -> {"type": "result", "active": <Sink>, "lag_us": [...]}
    parent -> {"cmd": "quit"}

Each client opens its own connection, starts a session and waits for the first question
(the *ramp* phase), then idles until ``go``. In ``interview`` mode each client then thinks for
a random time in ``think``, submits an answer and waits for the next question, again and
again; a completed session is followed by a new one. In ``drafts`` mode each client edits its
answer draft every ``draft_period`` seconds and never sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from typing import Any

from bench.common import ROOT, LagProbe, now_us, run
from bench.wsclient import BenchSocket, Sink, Tracker

ANSWERS = (
    "Honesty matters a great deal to me, even when the truth is awkward to say out loud.",
    "I want to finish the garden project this year and then teach a weekend class about it.",
    "People say I am direct but kind; I prefer short messages and clear next steps.",
    "Moving to a new city at nineteen taught me to ask for help and to listen carefully.",
    "These days I am focused on my health routine and on a small open source tool I maintain.",
)
QUESTION_TIMEOUT = 120.0


class LoadClient:
    def __init__(self, url: str, token: str, rng: random.Random) -> None:
        self.socket = BenchSocket(url, token)
        self.rng = rng
        self.sink = Sink()
        self.tracker = Tracker(self.sink)
        self.session_id: str | None = None
        self.pending_qid: str | None = None
        self.state = "new"
        self.changed = asyncio.Event()
        self.rev = 0

    def use(self, sink: Sink) -> None:
        self.sink = sink
        self.tracker.sink = sink

    def on_frame(self, at_us: int, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        sink = self.sink
        if kind == "question.delta":
            self.tracker.on_delta(at_us, str(frame.get("text", "")))
        elif kind == "question.start":
            self.tracker.restart()
            self.pending_qid = None
        elif kind == "question.reset":
            sink.resets += 1
            self.tracker.restart()
        elif kind == "question.end":
            sink.questions += 1
            self.pending_qid = str(frame["question_id"])
            self.changed.set()
        elif kind == "generation.queued":
            sink.queued += 1
        elif kind == "generation.error":
            sink.gen_errors += 1
            sink.errors[f"generation.error:{frame.get('code')}"] += 1
            self.state = "gen_error"
            self.changed.set()
        elif kind == "session.state":
            self.state = str(frame.get("state"))
            self.changed.set()
        elif kind == "session.snapshot":
            view = frame.get("session") or {}
            self.state = str(view.get("state", self.state))
            self.pending_qid = view.get("pending_question_id") or self.pending_qid
            draft = view.get("draft")
            self.rev = int(draft["rev"]) if draft else self.rev
        elif kind == "error":
            sink.errors[f"error:{frame.get('code')}"] += 1

    async def wait_question(self, deadline: float) -> bool:
        """Wait for a pending question (True), a finished session or an error (False)."""
        while self.pending_qid is None:
            if self.socket.closed.is_set():
                raise ConnectionError("connection closed")
            if self.state in ("completed", "finalized", "applied", "discarded"):
                return False
            if self.state == "gen_error":
                self.state = "active"
                await asyncio.sleep(1.0)
                if self.session_id is not None:
                    await self.socket.request("question.next", session_id=self.session_id)
                continue
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no question in time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
        return True

    async def new_session(self) -> None:
        self.pending_qid = None
        self.state = "new"
        self.tracker.trigger_us = now_us()
        reply = await self.socket.request("session.start")
        if reply.get("type") != "ack":
            raise RuntimeError(f"session.start failed: {reply}")
        self.session_id = str(reply["session_id"])
        self.sink.sessions += 1
        self.state = "active"

    async def setup(self) -> None:
        self.socket.handler = self.on_frame
        await self.socket.connect()
        await self.new_session()
        await self.wait_question(time.monotonic() + QUESTION_TIMEOUT)

    async def interview(self, until: float, think: tuple[float, float]) -> None:
        # Staggered start: every client already holds a question, received some time ago, so
        # the first answer comes after a random part of a thinking time, not a whole one.
        pause = self.rng.uniform(0, think[1])
        while True:
            if time.monotonic() + pause >= until:
                await asyncio.sleep(max(0.0, until - time.monotonic()))
                return
            await asyncio.sleep(pause)
            pause = self.rng.uniform(*think)
            if self.pending_qid is None and not await self.wait_question(
                time.monotonic() + QUESTION_TIMEOUT
            ):
                await self.new_session()
                continue
            question_id, self.pending_qid = self.pending_qid, None
            sent = now_us()
            self.tracker.trigger_us = sent
            reply = await self.socket.request(
                "answer.submit",
                session_id=self.session_id,
                question_id=question_id,
                text=self.rng.choice(ANSWERS),
            )
            if reply.get("type") != "ack":
                self.sink.errors[f"answer:{reply.get('code')}"] += 1
                self.tracker.trigger_us = None
                await self.new_session()
                continue
            self.sink.ack_us.append(now_us() - sent)
            self.sink.answers += 1
            if not await self.wait_question(time.monotonic() + QUESTION_TIMEOUT):
                await self.new_session()
                await self.wait_question(time.monotonic() + QUESTION_TIMEOUT)

    async def drafts(self, until: float, period: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, period))
        text = "I keep coming back to one thing:"
        n = 0
        while time.monotonic() < until:
            n += 1
            text += f" word{n}"
            sent = now_us()
            reply = await self.socket.request(
                "draft.update",
                session_id=self.session_id,
                question_id=self.pending_qid,
                text=text[-1500:],
                base_rev=self.rev,
            )
            if reply.get("type") == "ack":
                self.sink.draft_ack_us.append(now_us() - sent)
                self.sink.drafts += 1
                self.rev = int(reply.get("rev", self.rev))
            else:
                self.sink.errors[f"draft:{reply.get('code')}"] += 1
            await asyncio.sleep(max(0.0, period - (now_us() - sent) / 1e6))


async def drive(client: LoadClient, settings: dict[str, Any], until: float, sink: Sink) -> None:
    """One client's active phase; a failure is counted, never raised."""
    try:
        if settings.get("mode", "interview") == "drafts":
            await client.drafts(until, float(settings.get("draft_period", 1.0)))
        else:
            low, high = settings.get("think", (5.0, 15.0))
            await client.interview(until, (float(low), float(high)))
    except Exception as exc:
        sink.errors[f"client:{type(exc).__name__}"] += 1


def _write(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _read_command() -> dict[str, Any]:
    line = await asyncio.to_thread(sys.stdin.readline)
    if not line:
        return {"cmd": "quit"}
    command: dict[str, Any] = json.loads(line)
    return command


async def worker(settings: dict[str, Any]) -> None:
    rng = random.Random(settings.get("seed", 1))
    clients = [
        LoadClient(settings["url"], token, random.Random(rng.random()))
        for token in settings["tokens"]
    ]
    ramp = Sink()
    for client in clients:
        client.use(ramp)
    ramp_per_s = float(settings.get("ramp_per_s", 50))
    started = time.monotonic()
    failed: list[str] = []

    async def bring_up(index: int, client: LoadClient) -> None:
        await asyncio.sleep(max(0.0, started + index / ramp_per_s - time.monotonic()))
        try:
            await client.setup()
        except Exception as exc:
            failed.append(f"{type(exc).__name__}: {exc}"[:200])

    probe = LagProbe()
    setup_done = asyncio.Event()

    async def lag_until_done() -> list[int]:
        samples: list[int] = []
        while not setup_done.is_set():
            samples += await probe.run(time.monotonic() + 1.0)
        return samples

    lag_task = asyncio.create_task(lag_until_done())
    await asyncio.gather(*(bring_up(i, c) for i, c in enumerate(clients)))
    setup_done.set()
    ramp_lag = await lag_task
    _write(
        {
            "type": "ready",
            "clients": len(clients),
            "failed": len(failed),
            "failures": failed[:5],
            "ramp": ramp.to_dict(),
            "lag_us": ramp_lag,
        }
    )
    live = [c for c in clients if c.session_id is not None and not c.socket.closed.is_set()]
    while True:
        command = await _read_command()
        if command["cmd"] == "quit":
            break
        if command["cmd"] != "go":
            continue
        active = Sink()
        for client in live:
            client.use(active)
        until = time.monotonic() + float(command["duration"])
        lag = asyncio.create_task(LagProbe().run(until))
        await asyncio.gather(*(drive(client, settings, until, active) for client in live))
        # Samples recorded after the window (a question still streaming) are not counted.
        frozen = Sink()
        for client in live:
            client.use(frozen)
        _write({"type": "result", "active": active.to_dict(), "lag_us": await lag})
    await asyncio.gather(*(c.socket.close() for c in clients), return_exceptions=True)


# -- the parent side --------------------------------------------------------------------------


class Workers:
    """Start load-generator processes, split clients among them, and collect their reports."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    @classmethod
    async def start(cls, count: int, tokens: list[str], settings: dict[str, Any]) -> Workers:
        processes = []
        # Contiguous shares: the connections of one user stay in one process.
        size = -(-len(tokens) // count)
        shares = [tokens[i * size : (i + 1) * size] for i in range(count)]
        for index, share in enumerate(shares):
            if not share:
                continue
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.loadgen",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                cwd=str(ROOT),
                limit=2**30,
            )
            worker_settings = {
                **settings,
                "tokens": share,
                "seed": settings.get("seed", 1) * 1000 + index,
                "ramp_per_s": float(settings.get("ramp_per_s", 50)) / count,
            }
            await cls._send(process, worker_settings)
            processes.append(process)
        return cls(processes)

    @staticmethod
    async def _send(process: asyncio.subprocess.Process, message: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write((json.dumps(message) + "\n").encode())
        await process.stdin.drain()

    async def _collect(self, kind: str, within: float) -> list[dict[str, Any]]:
        async def one(process: asyncio.subprocess.Process) -> dict[str, Any]:
            assert process.stdout is not None
            while True:
                line = await process.stdout.readline()
                if not line:
                    raise RuntimeError("a load generator exited early")
                message: dict[str, Any] = json.loads(line)
                if message.get("type") == kind:
                    return message

        return await asyncio.wait_for(asyncio.gather(*(one(p) for p in self.processes)), within)

    async def ready(self, within: float) -> list[dict[str, Any]]:
        return await self._collect("ready", within)

    async def go(self, duration: float) -> None:
        for process in self.processes:
            await self._send(process, {"cmd": "go", "duration": duration})

    async def results(self, within: float) -> list[dict[str, Any]]:
        return await self._collect("result", within)

    async def kill(self) -> None:
        """Stop at once, reporting nothing (for background load)."""
        for process in self.processes:
            if process.returncode is None:
                process.terminate()
        for process in self.processes:
            await process.wait()

    async def quit(self) -> None:
        for process in self.processes:
            with contextlib.suppress(Exception):
                await self._send(process, {"cmd": "quit"})
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def main() -> int:
    settings = json.loads(sys.stdin.readline())
    run(lambda: worker(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
