"""Benchmark 2, concurrency: 1, 10, 100 and 1,000 simultaneous interviews on one server.

For each count N, a fresh server and profiles folder; the fake Ollama streams timestamped
30-token questions at 45 tokens/s. N clients (five per user: the per-user connection limit)
run in separate load-generator processes:

1. **ramp**: clients connect at ``--ramp`` per second, each starts a session and receives its
   first question (time to first token here includes creating the session);
2. **idle**: every session waits for an answer; the server's RSS is read (memory per idle
   session = (RSS now - RSS before any client) / N);
3. **active** for ``--duration`` seconds: each client thinks for a random 5-15 s (``--think``),
   submits an answer, and receives the next question; a finished session is followed by a new
   one. Measured: time from answer to first token, per-token latency fake -> client, the gaps
   between tokens as received vs as the fake sent them, answer acknowledgement time, server
   CPU seconds per 1,000 tokens delivered (``/proc/<pid>/stat``), RSS, and the server's
   event-loop lag seen through ping/pong round trips on a separate idle connection (minus the
   round trip measured before any client connected).

Baseline, measured in the same run before the clients start: the same fake stream consumed
directly with ``ollama.AsyncClient`` (its per-token latency and its first-token time).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from typing import Any

import ollama

from bench import common
from bench.common import (
    REALISTIC_TOKEN_DELAY,
    FakeProcess,
    cpu_seconds,
    emit,
    fmt,
    median,
    p99,
    percentile,
    ratio,
    rss_mib,
    table,
)
from bench.loadgen import Workers
from bench.relay import direct_stream
from bench.wsclient import BenchSocket, PingProbe, Sink

USERS_PER_CONNECTION_LIMIT = 5


async def baseline(fake_url: str, streams: int) -> dict[str, Any]:
    client = ollama.AsyncClient(host=fake_url)
    await direct_stream(client)
    found = []
    for _ in range(streams):
        found += await direct_stream(client)
    latencies = [lat for s in found for lat in s.latencies_us]
    return {
        "lat_p50_ms": percentile(latencies, 50) / 1000,
        "lat_p99_ms": p99(latencies) / 1000,
        "ttft_ms": median([s.ttft_us / 1000 for s in found if s.ttft_us is not None]),
    }


def worker_count(clients: int, requested: int | None) -> int:
    if requested:
        return requested
    return 1 if clients <= 100 else 2


async def sample_rss(pid: int, seconds: float, every: float = 1.0) -> list[float]:
    samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        samples.append(rss_mib(pid))
        await asyncio.sleep(min(every, max(0.0, end - time.monotonic())))
    return samples


async def one_level(
    fake: FakeProcess, clients: int, args: argparse.Namespace, seed: int
) -> dict[str, Any]:
    direct = await baseline(fake.url, args.baseline_streams)
    with common.workdir(f"conc{clients}") as tmp:
        profiles = tmp / "profiles"
        users = math.ceil(clients / USERS_PER_CONNECTION_LIMIT)
        names = [f"u{i:04d}" for i in range(users)] + ["probe"]
        tokens = await common.create_users(profiles, names)
        client_tokens = [tokens[i // USERS_PER_CONNECTION_LIMIT] for i in range(clients)]
        server = await common.start_server(
            profiles,
            common.server_env(
                fake.url, args.max_generations or min(clients, common.MAX_GENERATIONS)
            ),
            args.server_variant,
        )
        pid = server.process.pid
        workers: Workers | None = None
        probe_socket = BenchSocket(server.ws_url, tokens[-1])
        try:
            await probe_socket.connect()
            probe = PingProbe(probe_socket)
            idle_cpu = cpu_seconds(pid)
            idle_rtt = await probe.run(args.idle_probe)
            idle_cpu_share = (cpu_seconds(pid) - idle_cpu) / (args.idle_probe + 0.5)
            rss_base = median(await sample_rss(pid, 1.0, 0.25))
            ramp_started = time.monotonic()
            workers = await Workers.start(
                worker_count(clients, args.workers),
                client_tokens,
                {
                    "url": server.ws_url,
                    "mode": "interview",
                    "think": args.think,
                    "ramp_per_s": args.ramp,
                    "seed": seed,
                },
            )
            ready = await workers.ready(within=clients / args.ramp + 180)
            ramp_seconds = time.monotonic() - ramp_started
            ramp = Sink()
            for message in ready:
                ramp.merge(message["ramp"])
            failed = sum(message["failed"] for message in ready)
            await asyncio.sleep(1.0)
            rss_idle = median(await sample_rss(pid, 1.0, 0.25))
            cpu_before = cpu_seconds(pid)
            started = time.monotonic()
            window = common.MachineWindow([pid, fake.pid, *workers.pids])
            await workers.go(args.duration)
            rss_task = asyncio.create_task(sample_rss(pid, args.duration, 1.0))
            rtt = await probe.run(args.duration)
            rss_active = await rss_task
            cpu = cpu_seconds(pid) - cpu_before
            elapsed = time.monotonic() - started
            machine = window.stop()
            results = await workers.results(within=300)
            active = Sink()
            client_lag: list[int] = []
            for message in results:
                active.merge(message["active"])
                client_lag += message["lag_us"]
        finally:
            await probe_socket.close()
            if workers is not None:
                await workers.quit()
            server.stop()
    idle_floor = median(idle_rtt)
    lag = [max(0, r - idle_floor) for r in rtt]
    return {
        "clients": clients,
        "variant": args.server_variant or "current",
        "machine": machine,
        "direct": direct,
        "ramp_seconds": ramp_seconds,
        "failed": failed,
        "ramp_ttft_ms_p50": percentile(ramp.ttft_us, 50) / 1000,
        "ramp_ttft_ms_p99": p99(ramp.ttft_us) / 1000,
        "ttft_ms_p50": percentile(active.ttft_us, 50) / 1000,
        "ttft_ms_p99": p99(active.ttft_us) / 1000,
        "lat_ms_p50": percentile(active.latency_us, 50) / 1000,
        "lat_ms_p99": p99(active.latency_us) / 1000,
        "added_ms_p50": percentile(active.latency_us, 50) / 1000 - direct["lat_p50_ms"],
        "added_ms_p99": p99(active.latency_us) / 1000 - direct["lat_p99_ms"],
        "gap_ms_p50": percentile(active.recv_gap_us, 50) / 1000,
        "gap_ms_p99": p99(active.recv_gap_us) / 1000,
        "fake_gap_ms_p50": percentile(active.fake_gap_us, 50) / 1000,
        "fake_gap_ms_p99": p99(active.fake_gap_us) / 1000,
        "ack_ms_p50": percentile(active.ack_us, 50) / 1000,
        "ack_ms_p99": p99(active.ack_us) / 1000,
        "idle_rtt_ms": idle_floor / 1000,
        "lag_ms_p50": percentile(lag, 50) / 1000,
        "lag_ms_p99": p99(lag) / 1000,
        "lag_ms_max": max(lag, default=0) / 1000,
        "client_lag_ms_p99": p99(client_lag) / 1000,
        "tokens": active.tokens,
        "tokens_per_s": active.tokens / elapsed,
        "tokens_per_frame": active.tokens / max(1, active.delta_frames),
        "questions": active.questions,
        "answers": active.answers,
        "cpu_s": cpu,
        "cpu_share": cpu / elapsed,
        "idle_cpu_share": idle_cpu_share,
        "cpu_s_per_1000_tokens": cpu * 1000 / max(1, active.tokens),
        "rss_base_mib": rss_base,
        "rss_idle_mib": rss_idle,
        "rss_active_mib": median(rss_active),
        "rss_active_max_mib": max(rss_active, default=math.nan),
        "kib_per_idle_session": (rss_idle - rss_base) * 1024 / clients,
        "kib_per_active_session": (median(rss_active) - rss_base) * 1024 / clients,
        "resets": active.resets,
        "queued": active.queued,
        "gen_errors": active.gen_errors,
        "errors": dict(active.errors + ramp.errors),
        "probe_lost": probe.lost,
    }


def report(levels: list[dict[str, Any]]) -> str:
    latency = table(
        [
            "interviews",
            "tokens/s delivered",
            "first token ms p50 / p99 (direct)",
            "latency ms p50 / p99 (direct)",
            "added ms p50 / p99",
            "gap ms p50 / p99 (fake's)",
            "answer ack ms p50 / p99",
            "loop lag ms p50 / p99 / max",
        ],
        [
            [
                fmt(r["clients"]),
                fmt(r["tokens_per_s"], 0),
                f"{fmt(r['ttft_ms_p50'])} / {fmt(r['ttft_ms_p99'])} "
                f"({fmt(r['direct']['ttft_ms'])})",
                f"{fmt(r['lat_ms_p50'])} / {fmt(r['lat_ms_p99'])} "
                f"({fmt(r['direct']['lat_p50_ms'], 2)} / {fmt(r['direct']['lat_p99_ms'], 2)})",
                f"{fmt(r['added_ms_p50'])} / {fmt(r['added_ms_p99'])}",
                f"{fmt(r['gap_ms_p50'])} / {fmt(r['gap_ms_p99'])} "
                f"({fmt(r['fake_gap_ms_p50'])} / {fmt(r['fake_gap_ms_p99'])})",
                f"{fmt(r['ack_ms_p50'])} / {fmt(r['ack_ms_p99'])}",
                f"{fmt(r['lag_ms_p50'], 2)} / {fmt(r['lag_ms_p99'])} / {fmt(r['lag_ms_max'])}",
            ]
            for r in levels
        ],
    )
    first = levels[0]
    cost = table(
        [
            "interviews",
            "server CPU (share of 1 core)",
            "CPU s / 1k tokens (x at 1)",
            "RSS MiB base / idle / active",
            "KiB per idle session",
            "KiB per active session",
            "ramp s (first token p50 / p99 ms)",
            "questions / answers",
            "errors",
        ],
        [
            [
                fmt(r["clients"]),
                f"{100 * r['cpu_share']:.0f}% (idle {100 * r['idle_cpu_share']:.0f}%)",
                f"{fmt(r['cpu_s_per_1000_tokens'], 2)} "
                f"({fmt(ratio(r['cpu_s_per_1000_tokens'], first['cpu_s_per_1000_tokens']), 2)}x)",
                f"{fmt(r['rss_base_mib'])} / {fmt(r['rss_idle_mib'])} / {fmt(r['rss_active_mib'])}",
                fmt(r["kib_per_idle_session"], 0),
                fmt(r["kib_per_active_session"], 0),
                f"{fmt(r['ramp_seconds'], 0)} ({fmt(r['ramp_ttft_ms_p50'], 0)} / "
                f"{fmt(r['ramp_ttft_ms_p99'], 0)})",
                f"{fmt(r['questions'])} / {fmt(r['answers'])}",
                ", ".join(f"{k}={v}" for k, v in r["errors"].items()) or "none",
            ]
            for r in levels
        ],
    )
    notes = [
        f"- {r['clients']} interviews: {fmt(r['tokens'])} tokens in the window, "
        f"{fmt(r['tokens_per_frame'], 2)} tokens per delta frame, {r['resets']} resets, "
        f"{r['queued']} queued, {r['failed']} clients failed to start, "
        f"load-generator loop lag p99 {fmt(r['client_lag_ms_p99'], 1)} ms, "
        f"idle ping round trip {fmt(r['idle_rtt_ms'], 2)} ms; machine: "
        f"{fmt(r['machine']['machine_busy_cores'], 2)} of 2 cores busy, "
        f"{fmt(r['machine']['others_cores'], 2)} by processes outside the benchmark"
        for r in levels
    ]
    return latency + "\n\n" + cost + "\n\n" + "\n".join(notes)


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    levels = []
    with FakeProcess(tokens=args.tokens, token_delay=REALISTIC_TOKEN_DELAY) as fake:
        for index, clients in enumerate(args.clients):
            level = await one_level(fake, clients, args, seed=index + 1)
            levels.append(level)
            emit(
                f"  {clients} interviews: {fmt(level['tokens_per_s'], 0)} tokens/s, added latency "
                f"p99 {fmt(level['added_ms_p99'])} ms, CPU {100 * level['cpu_share']:.0f}%"
            )
    return levels


def _think(text: str) -> list[float]:
    low, _, high = text.partition(":")
    return [float(low), float(high or low)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--duration", type=float, default=60, help="seconds of the active phase")
    parser.add_argument("--think", type=_think, default=[5.0, 15.0], help="LOW:HIGH seconds")
    parser.add_argument("--ramp", type=float, default=50, help="new clients per second")
    parser.add_argument("--tokens", type=int, default=30, help="tokens per question")
    parser.add_argument("--workers", type=int, help="load-generator processes (default 1 or 2)")
    parser.add_argument(
        "--max-generations",
        type=int,
        help="PERSONAGEN_MAX_GENERATIONS (default: the number of clients, at most 100)",
    )
    parser.add_argument(
        "--server-variant", help="run bench.server_variant VARIANT (e.g. legacy) instead"
    )
    parser.add_argument("--idle-probe", type=float, default=3.0, help="seconds of idle pings")
    parser.add_argument("--baseline-streams", type=int, default=5)
    parser.add_argument("--json", help="also write the results here")


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    emit(common.header("Concurrency"))
    started = time.monotonic()
    levels = common.run(lambda: measure(args))
    emit("")
    emit(report(levels))
    emit(f"\n({time.monotonic() - started:.0f} s)\n")
    common.save_json(args.json, levels)
    return levels
