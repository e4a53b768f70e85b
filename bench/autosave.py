"""Benchmark 4, autosave: the cost of saving 1,000 changing drafts.

1,000 clients (``--sessions``) each start a session, receive the first question, and then
change their answer draft once a second (``draft.update``; the server keeps drafts in memory
and writes the changed ones every ``autoSaveInterval``). Two runs, identical but for the
interview config (``PERSONAGEN_INTERVIEW_CONFIG``):

* **autosave on**: ``autoSaveInterval`` = ``--interval-ms`` (30,000, the shipped default);
* **autosave off** (the baseline): ``autoSaveInterval`` = 3,600,000 (an hour: never, here).

Measured over ``--duration`` seconds: the server's event-loop lag (ping/pong round trips on an
idle connection, minus the idle round trip), draft acknowledgement time, journal records and
bytes written (counted in the journals), the bytes the server process caused to be written to
storage (``write_bytes`` in ``/proc/<pid>/io``), the busiest second of journal growth, and
server CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from pathlib import Path
from typing import Any

from bench import common
from bench.common import (
    REALISTIC_TOKEN_DELAY,
    FakeProcess,
    cpu_seconds,
    emit,
    fmt,
    io_counters,
    journal_totals,
    p99,
    percentile,
    ratio,
    rss_mib,
    table,
)
from bench.concurrency import USERS_PER_CONNECTION_LIMIT, worker_count
from bench.loadgen import Workers
from bench.wsclient import BenchSocket, PingProbe, Sink

NEVER_MS = 3_600_000


def journal_bytes(profiles: Path) -> int:
    total = 0
    for path in profiles.glob("*/persona/interviews/*.jsonl"):
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


async def timeline(profiles: Path, seconds: float) -> list[int]:
    """Journal bytes written in each second of the window."""
    growth = []
    last = await asyncio.to_thread(journal_bytes, profiles)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(1.0)
        now = await asyncio.to_thread(journal_bytes, profiles)
        growth.append(now - last)
        last = now
    return growth


async def one_run(
    fake: FakeProcess, sessions: int, interval_ms: int, args: argparse.Namespace
) -> dict[str, Any]:
    with common.workdir(f"autosave{interval_ms}") as tmp:
        profiles = tmp / "profiles"
        config = common.write_config(tmp / "interview.json", autoSaveInterval=interval_ms)
        users = math.ceil(sessions / USERS_PER_CONNECTION_LIMIT)
        tokens = await common.create_users(
            profiles, [f"u{i:04d}" for i in range(users)] + ["probe"]
        )
        client_tokens = [tokens[i // USERS_PER_CONNECTION_LIMIT] for i in range(sessions)]
        server = await common.start_server(
            profiles,
            common.server_env(
                fake.url,
                args.max_generations or min(sessions, common.MAX_GENERATIONS),
                {"PERSONAGEN_INTERVIEW_CONFIG": str(config)},
            ),
            args.server_variant,
        )
        pid = server.process.pid
        probe_socket = BenchSocket(server.ws_url, tokens[-1])
        workers: Workers | None = None
        try:
            await probe_socket.connect()
            probe = PingProbe(probe_socket)
            idle_rtt = await probe.run(3.0)
            workers = await Workers.start(
                worker_count(sessions, args.workers),
                client_tokens,
                {"url": server.ws_url, "mode": "drafts", "draft_period": 1.0, "ramp_per_s": 50},
            )
            ready = await workers.ready(within=sessions / 50 + 180)
            failed = sum(message["failed"] for message in ready)
            await asyncio.sleep(2.0)
            lines_before, bytes_before = await asyncio.to_thread(journal_totals, profiles)
            io_before = io_counters(pid)
            rss_before = rss_mib(pid)
            cpu_before = cpu_seconds(pid)
            started = time.monotonic()
            window = common.MachineWindow([pid, fake.pid, *workers.pids])
            await workers.go(args.duration)
            growth_task = asyncio.create_task(timeline(profiles, args.duration))
            rtt = await probe.run(args.duration)
            growth = await growth_task
            elapsed = time.monotonic() - started
            machine = window.stop()
            cpu = cpu_seconds(pid) - cpu_before
            io_after = io_counters(pid)
            rss_after = rss_mib(pid)
            lines_after, bytes_after = await asyncio.to_thread(journal_totals, profiles)
            results = await workers.results(within=120)
            sink = Sink()
            for message in results:
                sink.merge(message["active"])
        finally:
            await probe_socket.close()
            if workers is not None:
                await workers.quit()
            server.stop()
    floor = percentile(idle_rtt, 50)
    lag = [max(0.0, r - floor) for r in rtt]
    return {
        "interval_ms": interval_ms,
        "sessions": sessions,
        "failed": failed,
        "seconds": elapsed,
        "drafts_per_s": sink.drafts / elapsed,
        "draft_ack_ms_p50": percentile(sink.draft_ack_us, 50) / 1000,
        "draft_ack_ms_p99": p99(sink.draft_ack_us) / 1000,
        "lag_ms_p50": percentile(lag, 50) / 1000,
        "lag_ms_p99": p99(lag) / 1000,
        "lag_ms_max": max(lag, default=0) / 1000,
        "journal_records_per_s": (lines_after - lines_before) / elapsed,
        "journal_kib_per_s": (bytes_after - bytes_before) / elapsed / 1024,
        "busiest_second_kib": max(growth, default=0) / 1024,
        "write_kib_per_s": (io_after["write_bytes"] - io_before["write_bytes"]) / elapsed / 1024,
        "write_syscalls_per_s": (io_after["syscw"] - io_before["syscw"]) / elapsed,
        "cpu_share": cpu / elapsed,
        "machine": machine,
        "rss_before_mib": rss_before,
        "rss_after_mib": rss_after,
        "errors": dict(sink.errors),
    }


def _times(value: float, baseline: float) -> str:
    """``2.5x``, or the baseline itself when it is zero (nothing to divide by)."""
    if not baseline:
        return "off: 0" if value else "1.0x"
    return f"{fmt(ratio(value, baseline), 1)}x"


def report(runs: list[dict[str, Any]]) -> str:
    off = next((r for r in runs if r["interval_ms"] == NEVER_MS), runs[-1])
    rows = []
    for r in runs:
        name = (
            "off (baseline)"
            if r["interval_ms"] == NEVER_MS
            else f"every {r['interval_ms'] / 1000:g} s"
        )
        rows.append(
            [
                name,
                fmt(r["sessions"]),
                fmt(r["drafts_per_s"], 0),
                f"{fmt(r['lag_ms_p50'], 2)} / {fmt(r['lag_ms_p99'], 1)} / "
                f"{fmt(r['lag_ms_max'], 1)} "
                f"(p99 {fmt(ratio(r['lag_ms_p99'], off['lag_ms_p99']), 1)}x)",
                f"{fmt(r['draft_ack_ms_p50'], 2)} / {fmt(r['draft_ack_ms_p99'], 1)}",
                f"{fmt(r['journal_records_per_s'], 1)} ({fmt(r['journal_kib_per_s'], 1)} KiB/s)",
                fmt(r["busiest_second_kib"], 0),
                f"{fmt(r['write_kib_per_s'], 0)} "
                f"({_times(r['write_kib_per_s'], off['write_kib_per_s'])})",
                f"{100 * r['cpu_share']:.0f}% ({fmt(ratio(r['cpu_share'], off['cpu_share']), 2)}x)",
                f"{fmt(r['rss_before_mib'], 0)} -> {fmt(r['rss_after_mib'], 0)}",
                ", ".join(f"{k}={v}" for k, v in r["errors"].items()) or "none",
            ]
        )
    notes = [
        f"- autosave {r['interval_ms']} ms: machine {fmt(r['machine']['machine_busy_cores'], 2)} "
        f"of 2 cores busy, {fmt(r['machine']['others_cores'], 2)} by processes outside the "
        "benchmark"
        for r in runs
    ]
    return (
        table(
            [
                "autosave",
                "sessions",
                "draft updates/s",
                "loop lag ms p50 / p99 / max (x off)",
                "draft ack ms p50 / p99",
                "journal records/s",
                "busiest second KiB",
                "storage writes KiB/s (x off)",
                "server CPU (x off)",
                "RSS MiB start -> end",
                "errors",
            ],
            rows,
        )
        + "\n\n"
        + "\n".join(notes)
    )


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    runs = []
    with FakeProcess(tokens=30, token_delay=REALISTIC_TOKEN_DELAY) as fake:
        for interval in (args.interval_ms, NEVER_MS):
            runs.append(await one_run(fake, args.sessions, interval, args))
            emit(f"  autosave {interval} ms: done")
    return runs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=70, help="seconds measured per run")
    parser.add_argument("--interval-ms", type=int, default=30_000, help="autoSaveInterval when on")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--max-generations", type=int)
    parser.add_argument(
        "--server-variant", help="run bench.server_variant VARIANT (e.g. gclog) instead"
    )
    parser.add_argument("--json", help="also write the results here")


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    emit(common.header("Autosave"))
    started = time.monotonic()
    runs = common.run(lambda: measure(args))
    emit("")
    emit(report(runs))
    emit(f"\n({time.monotonic() - started:.0f} s)\n")
    common.save_json(args.json, runs)
    return runs
