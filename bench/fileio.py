"""Benchmark 8, file I/O on the event loop: ``aiofiles`` against ``anyio.to_thread``.

The design card names ``aiofiles``; the server does its blocking file work through
``anyio.to_thread`` instead. This measures the two where aiofiles would serve, in-process on
uvloop: reading a ``core.json`` whole, streaming it out in 64 KiB chunks (an export), and a
durable write (write, flush, fsync, which aiofiles cannot do without a thread hop of its own).
Also the event loop's lag while each runs: a ticker task sleeps 1 ms in a loop and records how
late it wakes. aiofiles is not a dependency: ``pip install aiofiles`` to run this.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from bench import common
from bench.common import emit, fmt, median, p99, table

CHUNK = 65_536


async def _ticker(stop: anyio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await anyio.sleep(0.001)
        lags.append(time.perf_counter() - before - 0.001)


async def timed(run: Callable[[], Awaitable[Any]], runs: int) -> tuple[list[float], list[float]]:
    samples: list[float] = []
    lags: list[float] = []
    stop = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(_ticker, stop, lags)
        for _ in range(runs):
            started = time.perf_counter()
            await run()
            samples.append(time.perf_counter() - started)
        stop.set()
    return samples, lags


def _cases(path: Path, out: Path, data: bytes) -> dict[str, Callable[[], Awaitable[Any]]]:
    import aiofiles

    async def aiofiles_read() -> bytes:
        async with aiofiles.open(path, "rb") as file:
            return await file.read()

    async def thread_read() -> bytes:
        return await anyio.to_thread.run_sync(path.read_bytes)

    async def aiofiles_stream() -> int:
        total = 0
        async with aiofiles.open(path, "rb") as file:
            while chunk := await file.read(CHUNK):
                total += len(chunk)
        return total

    async def thread_stream() -> int:
        total = 0
        file = await anyio.to_thread.run_sync(path.open, "rb")
        try:
            while chunk := await anyio.to_thread.run_sync(file.read, CHUNK):
                total += len(chunk)
        finally:
            await anyio.to_thread.run_sync(file.close)
        return total

    async def aiofiles_durable_write() -> None:
        async with aiofiles.open(out, "wb") as file:
            await file.write(data)
            await file.flush()
            await anyio.to_thread.run_sync(os.fsync, file.fileno())  # aiofiles has no fsync

    def write_sync() -> None:
        with out.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())

    async def thread_durable_write() -> None:
        await anyio.to_thread.run_sync(write_sync)

    return {
        "read whole: aiofiles": aiofiles_read,
        "read whole: to_thread": thread_read,
        "stream 64 KiB chunks: aiofiles": aiofiles_stream,
        "stream 64 KiB chunks: to_thread per chunk": thread_stream,
        "durable write: aiofiles + fsync hop": aiofiles_durable_write,
        "durable write: one to_thread": thread_durable_write,
    }


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    data = os.urandom(args.size)
    with tempfile.TemporaryDirectory(prefix="personagen-bench-fileio-") as tmp:
        path, out = Path(tmp) / "core.json", Path(tmp) / "out.json"
        path.write_bytes(data)
        cases = _cases(path, out, data)
        results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in cases}
        for _ in range(args.rounds):  # alternate the cases, round after round
            for name, run in cases.items():
                samples, lags = await timed(run, args.runs)
                results[name][0].extend(samples)
                results[name][1].extend(lags)
    return [
        {"case": name, "ms": [s * 1000 for s in samples], "lag_ms": [lag * 1000 for lag in lags]}
        for name, (samples, lags) in results.items()
    ]


def report(results: list[dict[str, Any]], size: int) -> str:
    rows = [
        [
            row["case"],
            len(row["ms"]),
            fmt(median(row["ms"]), 2),
            fmt(p99(row["ms"]), 2),
            fmt(p99(row["lag_ms"]), 2) if row["lag_ms"] else "-",
        ]
        for row in results
    ]
    return f"file of {size:,} bytes\n\n" + table(
        ["case", "runs", "ms p50", "ms p99", "loop lag ms p99"], rows
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=1_048_576)
    parser.add_argument("--runs", type=int, default=10, help="per case per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the results here")


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    emit(common.header("File I/O: aiofiles against anyio.to_thread"))
    try:
        import aiofiles  # noqa: F401
    except ImportError:
        raise SystemExit("aiofiles is not installed: pip install aiofiles") from None
    results = common.run(lambda: measure(args))
    emit(report(results, args.size))
    common.save_json(args.json, results)
    return results
