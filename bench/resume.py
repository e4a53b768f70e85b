"""Benchmark 3, resume: how long a dropped client waits to be back in its session.

With N sessions live (``--sessions``, default 10 and 1,000; their clients run the interview
workload of the concurrency benchmark in load-generator processes), one more client, the
*resumer*, repeatedly loses its connection and comes back:

* **replay**: while a question streams, the resumer drops its TCP connection without a close
  handshake (after the first token), waits ``--gap`` seconds (tokens keep coming to nobody),
  and reconnects with ``hello.resume`` = its ``(epoch, last_seq)``. Measured from the start of
  the reconnect: the ``welcome``, the ``replay`` header and the first replayed event.
* **snapshot**: with a question waiting for an answer, the resumer drops and reconnects with a
  position the server cannot replay from (an unknown epoch, as after a server restart), and
  gets a full ``session.snapshot``. Measured: reconnect to snapshot, and the snapshot's size.

Baseline in the same run: a plain reconnect (``hello`` -> ``welcome``, nothing to resume).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from typing import Any

from bench import common
from bench.common import (
    REALISTIC_TOKEN_DELAY,
    FakeProcess,
    emit,
    fmt,
    now_us,
    p99,
    percentile,
    ratio,
    table,
)
from bench.concurrency import USERS_PER_CONNECTION_LIMIT, worker_count
from bench.loadgen import ANSWERS, Workers
from bench.wsclient import BenchSocket


class Resumer:
    """One client of one session that drops and comes back, recording every frame's time."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.socket: BenchSocket | None = None
        self.frames: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
        self.session_id = ""
        self.epoch = ""
        self.last_seq = 0
        self.pending: str | None = None
        self.answered = 0

    def _on_frame(self, at_us: int, frame: dict[str, Any]) -> None:
        if "seq" in frame and "epoch" in frame:
            self.epoch = str(frame["epoch"])
            self.last_seq = max(self.last_seq, int(frame["seq"]))
        if frame.get("type") == "question.end":
            self.pending = str(frame["question_id"])
        elif frame.get("type") == "session.snapshot":
            self.pending = frame["session"].get("pending_question_id")
        self.frames.put_nowait((at_us, frame))

    async def connect(self, resume: dict[str, Any] | None = None) -> tuple[int, int]:
        """(start, welcome) times of a fresh connection."""
        self.frames = asyncio.Queue()
        self.socket = BenchSocket(self.url, self.token)
        self.socket.handler = self._on_frame
        started = now_us()
        welcomed = await self.socket.connect(resume=resume)
        return started, welcomed

    async def next_frame(self, *kinds: str, within: float = 60) -> tuple[int, dict[str, Any]]:
        end = time.monotonic() + within
        while True:
            at, frame = await asyncio.wait_for(self.frames.get(), max(0.01, end - time.monotonic()))
            if not kinds or frame.get("type") in kinds:
                return at, frame

    async def start(self) -> None:
        await self.connect()
        assert self.socket is not None
        reply = await self.socket.request("session.start")
        self.session_id = str(reply["session_id"])
        await self.next_frame("question.end")

    async def ask_next(self) -> None:
        """Answer the waiting question (or start over when the session is complete)."""
        assert self.socket is not None
        if self.pending is None:
            reply = await self.socket.request("session.start")
            self.session_id = str(reply["session_id"])
            self.last_seq = 0
            return
        question, self.pending = self.pending, None
        await self.socket.request(
            "answer.submit",
            session_id=self.session_id,
            question_id=question,
            text=ANSWERS[self.answered % len(ANSWERS)],
        )
        self.answered += 1

    async def drop(self) -> None:
        assert self.socket is not None
        self.socket.abort()
        await self.socket.close()


async def replay_trial(resumer: Resumer, gap: float) -> dict[str, Any] | None:
    await resumer.ask_next()
    _, frame = await resumer.next_frame("question.delta", "session.state")
    if frame["type"] != "question.delta":
        resumer.pending = None  # completed: the next trial starts a new session
        return None
    await resumer.drop()
    position = {
        "session_id": resumer.session_id,
        "epoch": resumer.epoch,
        "last_seq": resumer.last_seq,
    }
    await asyncio.sleep(gap)
    started, welcomed = await resumer.connect(resume=position)
    at, header = await resumer.next_frame("replay", "session.snapshot")
    result: dict[str, Any] = {
        "welcome_us": welcomed - started,
        "mode": header["type"],
        "header_us": at - started,
    }
    if header["type"] == "replay":
        result["count"] = header["count"]
        if header["count"]:
            first, _ = await resumer.next_frame()
            result["first_event_us"] = first - started
    await resumer.next_frame("question.end")
    return result


async def snapshot_trial(resumer: Resumer) -> dict[str, Any]:
    await resumer.drop()
    position = {"session_id": resumer.session_id, "epoch": "stale-epoch", "last_seq": 0}
    started, welcomed = await resumer.connect(resume=position)
    at, frame = await resumer.next_frame("session.snapshot")
    return {
        "welcome_us": welcomed - started,
        "snapshot_us": at - started,
        "bytes": len(json.dumps(frame, separators=(",", ":"))),
    }


async def plain_trial(resumer: Resumer) -> int:
    """A bare reconnect (hello -> welcome); then the session is opened again from scratch."""
    await resumer.drop()
    started, welcomed = await resumer.connect()
    assert resumer.socket is not None
    await resumer.socket.request("session.open", session_id=resumer.session_id)
    await resumer.next_frame("session.snapshot")
    return welcomed - started


async def one_level(fake: FakeProcess, sessions: int, args: argparse.Namespace) -> dict[str, Any]:
    with common.workdir(f"resume{sessions}") as tmp:
        profiles = tmp / "profiles"
        users = math.ceil(sessions / USERS_PER_CONNECTION_LIMIT)
        names = [f"u{i:04d}" for i in range(users)] + ["resumer"]
        tokens = await common.create_users(profiles, names)
        client_tokens = [tokens[i // USERS_PER_CONNECTION_LIMIT] for i in range(sessions)]
        server = await common.start_server(
            profiles,
            common.server_env(
                fake.url, args.max_generations or min(sessions + 1, common.MAX_GENERATIONS)
            ),
            args.server_variant,
        )
        workers: Workers | None = None
        resumer = Resumer(server.ws_url, tokens[-1])
        try:
            workers = await Workers.start(
                worker_count(sessions, None),
                client_tokens,
                {"url": server.ws_url, "mode": "interview", "think": args.think, "ramp_per_s": 50},
            )
            await workers.ready(within=sessions / 50 + 180)
            await workers.go(3600)  # the background keeps interviewing until it is stopped
            await resumer.start()
            window = common.MachineWindow([server.process.pid, fake.pid, *workers.pids])
            replays: list[dict[str, Any]] = []
            snapshots: list[dict[str, Any]] = []
            plains: list[int] = []
            for _ in range(args.trials):
                found = await replay_trial(resumer, args.gap)
                if found is not None:
                    replays.append(found)
                if resumer.pending is not None:
                    snapshots.append(await snapshot_trial(resumer))
                    plains.append(await plain_trial(resumer))
            await resumer.drop()
            machine = window.stop()
        finally:
            if workers is not None:
                await workers.kill()
            server.stop()
    replayed = [r for r in replays if r["mode"] == "replay"]
    return {
        "sessions": sessions,
        "trials": len(replays),
        "replay_fallbacks": len(replays) - len(replayed),
        "plain_welcome_ms_p50": percentile(plains, 50) / 1000,
        "plain_welcome_ms_p99": p99(plains) / 1000,
        "welcome_ms_p50": percentile([r["welcome_us"] for r in replays], 50) / 1000,
        "first_replayed_ms_p50": percentile(
            [r["first_event_us"] for r in replayed if "first_event_us" in r], 50
        )
        / 1000,
        "first_replayed_ms_p99": p99(
            [r["first_event_us"] for r in replayed if "first_event_us" in r]
        )
        / 1000,
        "replayed_events_p50": percentile([r["count"] for r in replayed], 50),
        "snapshot_ms_p50": percentile([s["snapshot_us"] for s in snapshots], 50) / 1000,
        "snapshot_ms_p99": p99([s["snapshot_us"] for s in snapshots]) / 1000,
        "snapshot_kib": percentile([s["bytes"] for s in snapshots], 50) / 1024,
        "snapshots": len(snapshots),
        "machine": machine,
    }


def report(levels: list[dict[str, Any]]) -> str:
    notes = [
        f"- {r['sessions'] + 1} sessions live: machine "
        f"{fmt(r['machine']['machine_busy_cores'], 2)} of 2 cores busy, "
        f"{fmt(r['machine']['others_cores'], 2)} by processes outside the benchmark"
        for r in levels
    ]
    return (
        table(
            [
                "sessions live",
                "trials",
                "plain reconnect -> welcome ms p50 / p99 (baseline)",
                "reconnect -> first replayed event ms p50 / p99 (x baseline p50)",
                "events replayed p50",
                "reconnect -> full snapshot ms p50 / p99 (x baseline p50)",
                "snapshot KiB",
                "replay fell back to snapshot",
            ],
            [
                [
                    fmt(r["sessions"] + 1),
                    r["trials"],
                    f"{fmt(r['plain_welcome_ms_p50'], 2)} / {fmt(r['plain_welcome_ms_p99'], 2)}",
                    f"{fmt(r['first_replayed_ms_p50'], 2)} / {fmt(r['first_replayed_ms_p99'], 2)} "
                    f"({fmt(ratio(r['first_replayed_ms_p50'], r['plain_welcome_ms_p50']), 2)}x)",
                    fmt(r["replayed_events_p50"], 0),
                    f"{fmt(r['snapshot_ms_p50'], 2)} / {fmt(r['snapshot_ms_p99'], 2)} "
                    f"({fmt(ratio(r['snapshot_ms_p50'], r['plain_welcome_ms_p50']), 2)}x)",
                    fmt(r["snapshot_kib"], 1),
                    r["replay_fallbacks"],
                ]
                for r in levels
            ],
        )
        + "\n\n"
        + "\n".join(notes)
    )


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    levels = []
    with FakeProcess(tokens=30, token_delay=REALISTIC_TOKEN_DELAY) as fake:
        for sessions in args.sessions:
            levels.append(await one_level(fake, sessions, args))
            emit(f"  {sessions + 1} sessions live: done")
    return levels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from bench.concurrency import _think

    parser.add_argument(
        "--sessions", type=int, nargs="+", default=[10, 1000], help="background sessions"
    )
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.1, help="seconds disconnected (replay)")
    parser.add_argument("--think", type=_think, default=[30.0, 90.0], help="LOW:HIGH seconds")
    parser.add_argument("--max-generations", type=int)
    parser.add_argument(
        "--server-variant", help="run bench.server_variant VARIANT (e.g. gclog) instead"
    )
    parser.add_argument("--json", help="also write the results here")


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    emit(common.header("Resume"))
    started = time.monotonic()
    levels = common.run(lambda: measure(args))
    emit("")
    emit(report(levels))
    emit(f"\n({time.monotonic() - started:.0f} s)\n")
    common.save_json(args.json, levels)
    return levels
