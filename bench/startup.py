"""Benchmark 7, start-up: from ``personagen serve`` to a healthy ``/healthz``.

Spawns ``python -m server serve`` on a free port with an empty profiles folder and polls
``GET /healthz`` every 5 ms until it answers 200; the time from spawn to that answer is one
sample. Three cases: the built-in backend; ``auto`` with nothing listening on the Ollama port
(connection refused at once); and ``auto`` with an Ollama port that accepts connections and
never answers (the worst case for a start-up that waits for its probe).

``--source DIR`` runs the server from another checkout of this repository (for example a
``git worktree`` of an older commit) with the same interpreter, so the server as it was and as
it is can be timed in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import common
from bench.common import emit, fmt, median, table

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def ollama_port(kind: str) -> Iterator[str]:
    """An Ollama URL that refuses connections (``closed``) or never answers (``silent``)."""
    if kind == "closed":
        yield f"http://127.0.0.1:{_free_port()}"
        return
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def time_to_healthy(source: Path, backend: str, ollama_host: str, limit: float) -> float | None:
    """Seconds from spawning the server to its first 200 from /healthz (None: not in time)."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="personagen-bench-startup-") as tmp:
        command = [sys.executable, "-m", "server", "serve", "--backend", backend]
        command += ["--port", str(port), "--profiles-dir", f"{tmp}/profiles"]
        command += ["--ollama-host", ollama_host]
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(source)},
        )
        try:
            while time.perf_counter() - started < limit:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/healthz", timeout=limit
                    ) as response:
                        if response.status == 200:
                            return time.perf_counter() - started
                except OSError:
                    time.sleep(0.005)
            return None
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


CASES = [("builtin", "builtin", "closed"), ("auto", "auto", "closed"), ("auto", "auto", "silent")]


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    sources = [("this checkout", ROOT)]
    if args.source:
        sources.append((f"{args.source}", Path(args.source).resolve()))
    results: list[dict[str, Any]] = []
    for label, backend, ollama in CASES:
        rows: list[dict[str, Any]] = [
            {
                "backend": label,
                "ollama": "refuses connections" if ollama == "closed" else "never answers",
                "server": name,
                "samples": [],
                "missed": 0,
            }
            for name, _ in sources
        ]
        for _ in range(args.runs):  # the sources alternate, run after run
            for row, (_, source) in zip(rows, sources, strict=True):
                with ollama_port(ollama) as host:
                    found = time_to_healthy(source, backend, host, args.limit)
                if found is None:
                    row["missed"] += 1
                else:
                    row["samples"].append(found)
        results += rows
    return results


def report(results: list[dict[str, Any]], limit: float) -> str:
    rows = []
    for row in results:
        samples = row["samples"]
        rows.append(
            [
                row["backend"],
                row["ollama"],
                row["server"],
                len(samples) + row["missed"],
                fmt(median(samples) * 1000, 0) if samples else "-",
                f"{fmt(min(samples) * 1000, 0)}-{fmt(max(samples) * 1000, 0)}" if samples else "-",
                f"{row['missed']} (not healthy within {limit:g} s)" if row["missed"] else "0",
            ]
        )
    return table(
        ["backend", "Ollama", "server", "runs", "to healthy ms p50", "min-max ms", "missed"], rows
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds before giving up")
    parser.add_argument("--source", help="also run the server from this checkout (baseline)")
    parser.add_argument("--json", help="also write the results here")


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    emit(common.header("Start-up"))
    started = time.monotonic()
    results = measure(args)
    emit(report(results, args.limit))
    emit(f"\n({time.monotonic() - started:.0f} s)\n")
    common.save_json(args.json, results)
    return results
