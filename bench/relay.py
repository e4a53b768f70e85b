"""Benchmark 1, relay efficiency: what the server adds between Ollama and a WebSocket client.

One fake Ollama process streams timestamped tokens. The same stream is consumed two ways,
alternately, run after run:

* **direct** (the baseline, the physical limit): ``ollama.AsyncClient.chat(stream=True)`` in
  this process;
* **through the server**: a WebSocket client of a real ``personagen serve`` whose interviewer
  streams the question from the same fake.

Per stream: tokens/s = tokens / (last token received - first token sent by the fake), so both
paths are timed from the same event; per token: latency = received - sent (the stamp). The
server's added latency is the through-server percentile minus the direct percentile.

Two fake speeds: full speed (no pause between tokens) and a realistic 45 tokens/s (a valid
30-token question). At full speed the default reply is 2,000 tokens, longer than a question may
be: the server cuts it at 350 characters, closes the request and retries once, so through the
server each attempt is about 35 tokens (both are measured). ``--full-tokens 30`` measures a
valid question at full speed instead, the same length on both paths.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from typing import Any

import ollama

from bench import common
from bench.common import (
    MODEL,
    REALISTIC_TOKEN_DELAY,
    FakeProcess,
    cpu_seconds,
    emit,
    fmt,
    median,
    now_us,
    p99,
    percentile,
    ratio,
    table,
)
from bench.loadgen import ANSWERS
from bench.wsclient import BenchSocket, Sink, Tracker


@dataclasses.dataclass
class Stream:
    """One streamed reply as a client saw it."""

    tokens: int
    rate: float  # tokens/s from the fake's first send to the last receipt
    ttft_us: int | None
    latencies_us: list[int]
    frames: int


def _stream_of(tracker: Tracker, frames: int, ttft: int | None) -> Stream | None:
    tokens = tracker.stream_tokens
    if len(tokens) < 2:
        return None
    first_age, first_at = tokens[0]
    first_sent = first_at - first_age
    last_at = tokens[-1][1]
    rate = len(tokens) / max(1e-6, (last_at - first_sent) / 1e6)
    return Stream(len(tokens), rate, ttft, [age for age, _ in tokens], frames)


async def direct_stream(client: ollama.AsyncClient) -> list[Stream]:
    sink = Sink()
    tracker = Tracker(sink)
    tracker.trigger_us = now_us()
    stream = await client.chat(
        model=MODEL,
        messages=[{"role": "user", "content": "Ask me one question about my values."}],
        stream=True,
    )
    async for part in stream:
        tracker.on_delta(now_us(), part.message.content or "")
    found = _stream_of(tracker, sink.delta_frames, sink.ttft_us[0] if sink.ttft_us else None)
    return [found] if found else []


class ServerPath:
    """One WebSocket client answering questions; each question yields its streamed attempts."""

    def __init__(self, url: str, token: str) -> None:
        self.socket = BenchSocket(url, token)
        self.sink = Sink()
        self.tracker = Tracker(self.sink)
        self.streams: list[Stream] = []
        self.frames = 0
        self.ttft: int | None = None
        self.pending: str | None = None
        self.state = "new"
        self.session_id: str | None = None
        self.done = asyncio.Event()

    def _close_stream(self) -> None:
        found = _stream_of(self.tracker, self.frames, self.ttft)
        if found is not None:
            self.streams.append(found)
        self.tracker.restart()
        self.frames = 0
        self.ttft = None

    def on_frame(self, at_us: int, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "question.delta":
            before = len(self.sink.ttft_us)
            self.tracker.on_delta(at_us, str(frame.get("text", "")))
            if len(self.sink.ttft_us) > before:
                self.ttft = self.sink.ttft_us[-1]
            self.frames += 1
        elif kind == "question.start":
            self.tracker.restart()
        elif kind == "question.reset":
            self._close_stream()
        elif kind == "question.end":
            self._close_stream()
            self.pending = str(frame["question_id"])
            self.done.set()
        elif kind == "session.state":
            self.state = str(frame.get("state"))
            self.done.set()
        elif kind == "generation.error":
            self.state = "error"
            self.done.set()

    async def connect(self) -> None:
        self.socket.handler = self.on_frame
        await self.socket.connect()

    async def one_question(self, within: float = 120) -> list[Stream]:
        """Ask for the next question (an answer, or a new session) and return its streams."""
        self.done.clear()
        before = len(self.streams)
        self.tracker.trigger_us = now_us()
        if self.pending is None or self.state not in ("active", "new"):
            reply = await self.socket.request("session.start")
            self.session_id = str(reply["session_id"])
            self.state = "active"
        else:
            question, self.pending = self.pending, None
            await self.socket.request(
                "answer.submit",
                session_id=self.session_id,
                question_id=question,
                text=ANSWERS[len(self.streams) % len(ANSWERS)],
            )
        await asyncio.wait_for(self.done.wait(), within)
        if self.state == "completed":
            self.pending = None
        return self.streams[before:]


def summarize(streams: list[Stream]) -> dict[str, Any]:
    latencies = [lat for s in streams for lat in s.latencies_us]
    return {
        "streams": len(streams),
        "tokens_per_stream": median([s.tokens for s in streams]),
        "rate_median": median([s.rate for s in streams]),
        "rate_min": min((s.rate for s in streams), default=float("nan")),
        "rate_max": max((s.rate for s in streams), default=float("nan")),
        "ttft_ms": median([s.ttft_us / 1000 for s in streams if s.ttft_us is not None]),
        "lat_p50_ms": percentile(latencies, 50) / 1000,
        "lat_p99_ms": p99(latencies) / 1000,
        "tokens_per_frame": sum(s.tokens for s in streams) / max(1, sum(s.frames for s in streams)),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    modes = [
        ("full speed", args.full_tokens, 0.0, args.full_runs),
        ("45 tokens/s", args.tokens, REALISTIC_TOKEN_DELAY, args.runs),
    ]
    if args.only:
        modes = [mode for mode in modes if mode[0].startswith(args.only)]
    results: dict[str, Any] = {"modes": [], "variant": args.server_variant or "current"}
    with common.workdir("relay") as tmp, FakeProcess(tokens=30, token_delay=0.0) as fake:
        profiles = tmp / "profiles"
        (token,) = await common.create_users(profiles, ["bench"])
        server = await common.start_server(
            profiles, common.server_env(fake.url, 1), args.server_variant
        )
        try:
            path = ServerPath(server.ws_url, token)
            await path.connect()
            client = ollama.AsyncClient(host=fake.url)
            for name, tokens, delay, runs in modes:
                fake.configure(tokens=tokens, token_delay=delay)
                await direct_stream(client)  # warm-up, not counted
                await path.one_question()
                direct: list[Stream] = []
                through: list[Stream] = []
                cpu = 0.0
                window = common.MachineWindow([server.process.pid, fake.pid])
                for _ in range(runs):
                    direct += await direct_stream(client)
                    before = cpu_seconds(server.process.pid)
                    through += await path.one_question()
                    cpu += cpu_seconds(server.process.pid) - before
                d, t = summarize(direct), summarize(through)
                machine = window.stop()
                delivered = sum(s.tokens for s in through)
                results["modes"].append(
                    {
                        "mode": name,
                        "token_delay": delay,
                        "direct": d,
                        "through": t,
                        "server_cpu_ms_per_1000_tokens": cpu * 1e6 / max(1, delivered),
                        "machine": machine,
                    }
                )
            await path.socket.close()
        finally:
            server.stop()
    return results


def report(results: dict[str, Any]) -> str:
    notes = [
        f"- {mode['mode']}: machine {fmt(mode['machine']['machine_busy_cores'], 2)} of 2 cores "
        f"busy, {fmt(mode['machine']['others_cores'], 2)} by processes outside the benchmark"
        for mode in results["modes"]
    ]
    rows = []
    for mode in results["modes"]:
        d, t = mode["direct"], mode["through"]
        rows.append(
            [
                mode["mode"],
                "direct (baseline)",
                d["streams"],
                fmt(d["tokens_per_stream"], 0),
                fmt(d["rate_median"]),
                f"{fmt(d['rate_min'])}-{fmt(d['rate_max'])}",
                "1.00",
                fmt(d["ttft_ms"], 2),
                fmt(d["lat_p50_ms"], 2),
                fmt(d["lat_p99_ms"], 2),
                "-",
                "-",
                fmt(d["tokens_per_frame"], 1),
                "-",
            ]
        )
        rows.append(
            [
                mode["mode"],
                "through server",
                t["streams"],
                fmt(t["tokens_per_stream"], 0),
                fmt(t["rate_median"]),
                f"{fmt(t['rate_min'])}-{fmt(t['rate_max'])}",
                fmt(ratio(t["rate_median"], d["rate_median"]), 2),
                f"{fmt(t['ttft_ms'], 2)} ({fmt(ratio(t['ttft_ms'], d['ttft_ms']), 1)}x)",
                fmt(t["lat_p50_ms"], 2),
                fmt(t["lat_p99_ms"], 2),
                fmt(t["lat_p50_ms"] - d["lat_p50_ms"], 2),
                fmt(t["lat_p99_ms"] - d["lat_p99_ms"], 2),
                fmt(t["tokens_per_frame"], 1),
                fmt(mode["server_cpu_ms_per_1000_tokens"], 0),
            ]
        )
    return (
        table(
            [
                "fake speed",
                "path",
                "streams",
                "tokens/stream",
                "tokens/s median",
                "tokens/s min-max",
                "rate vs direct",
                "first token ms",
                "latency p50 ms",
                "latency p99 ms",
                "added p50 ms",
                "added p99 ms",
                "tokens/frame",
                "server CPU ms /1k tokens",
            ],
            rows,
        )
        + f"\n\nserver: {results['variant']}\n"
        + "\n".join(notes)
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=20, help="streams per path at 45 tokens/s")
    parser.add_argument("--full-runs", type=int, default=6, help="questions at full speed")
    parser.add_argument("--tokens", type=int, default=30, help="tokens of a realistic question")
    parser.add_argument("--full-tokens", type=int, default=2000, help="tokens at full speed")
    parser.add_argument("--only", choices=["full", "45"], help="one fake speed only")
    parser.add_argument(
        "--server-variant", help="run bench.server_variant VARIANT (e.g. legacy) instead"
    )
    parser.add_argument("--json", help="also write the results here")


def main(args: argparse.Namespace) -> dict[str, Any]:
    emit(common.header("Relay efficiency"))
    started = time.monotonic()
    results = common.run(lambda: measure(args))
    emit(report(results))
    emit(f"\n({time.monotonic() - started:.0f} s)\n")
    common.save_json(args.json, results)
    return results
