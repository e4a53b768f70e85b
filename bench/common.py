"""Shared pieces of the benchmarks: machine facts, statistics, tables, processes, /proc.

Every benchmark runs the real server (``python -m server serve``) and the fake Ollama
(:mod:`bench.fake_ollama_proc`) as separate processes on 127.0.0.1, so that the server's CPU
and memory can be read from ``/proc/<pid>`` without the load generator's share in them.

Token timestamps: the fake writes into every streamed token the moment it sent it, as
CLOCK_MONOTONIC microseconds modulo 10^9 (nine digits). CLOCK_MONOTONIC is one clock for the
whole machine, so a receiver in any process subtracts it from its own reading to get the
token's latency from the fake to itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
STAMP_MODULO = 1_000_000_000  # microseconds: the stamp wraps every 1,000 s
STAMP_RE = re.compile(r"^\d{9}$")
MODEL = "llama3.1:8b"
REALISTIC_TOKEN_DELAY = 1 / 45  # 45 tokens/s: the middle of a realistic 30-60 tokens/s
# PERSONAGEN_MAX_GENERATIONS for N interviews: N, but at most 100. The server's Ollama client
# is an httpx.AsyncClient with httpx's default pool of 100 connections; a 101st stream waits
# inside httpx (PoolTimeout after 5 s), and httpcore rescans every waiting request against
# every connection on each change, which at 1,000 waiting streams stalls the event loop for
# seconds (measured: docs/benchmarks.md). Past 100 the server's own limiter queues instead.
MAX_GENERATIONS = 100

T = TypeVar("T")


# -- clocks and stamps ----------------------------------------------------------------------


def now_us() -> int:
    return time.monotonic_ns() // 1000


def stamp_now() -> str:
    return f"{now_us() % STAMP_MODULO:09d}"


def stamp_age_us(stamp: str, at_us: int) -> int:
    """Microseconds from the stamp to ``at_us`` (a ``now_us()`` reading), modulo wrap-around."""
    return (at_us - int(stamp)) % STAMP_MODULO


def stamped_tokens(text: str) -> list[str]:
    """The timestamp tokens in a piece of streamed text (other words are not counted)."""
    return [word for word in text.split() if STAMP_RE.match(word)]


# -- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (like numpy's default); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def p99(values: Sequence[float]) -> float:
    return percentile(values, 99)


def ratio(value: float, baseline: float) -> float:
    if baseline == 0 or math.isnan(baseline) or math.isnan(value):
        return math.nan
    return value / baseline


def fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown pipe table (it reads fine in a terminal and pastes into the docs)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), separator, *(line(row) for row in cells[1:])])


# -- machine and command --------------------------------------------------------------------


def _meminfo_gib() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return math.nan


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "nproc": nproc or str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory_gib": round(_meminfo_gib(), 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# Set by ``python -m bench quick|all`` while it runs one of its benchmarks.
PART_OF: list[str] | None = None


def command_line() -> str:
    argv = list(getattr(sys, "orig_argv", sys.argv))
    if argv and Path(argv[0]).name.startswith("python"):
        argv[0] = "python"
    if PART_OF is not None:
        return f"python -m bench {' '.join(PART_OF)}"
    return " ".join(argv)


def header(title: str) -> str:
    info = machine()
    return "\n".join(
        [
            f"## {title}",
            "",
            f"- machine: nproc={info['nproc']}, {info['cpu']}, {info['memory_gib']} GiB RAM, "
            f"Linux {info['kernel']}, Python {info['python']}; "
            f"load average at start {info['loadavg_at_start']}",
            f"- command: `cd /work/main && source .venv/bin/activate && {command_line()}`"
            + (" (one part of `python -m bench " + sys.argv[1] + "`)" if PART_OF else ""),
            "",
        ]
    )


def emit(text: str) -> None:
    print(text, flush=True)


def save_json(path: str | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str))


# -- /proc ----------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def io_counters(pid: int) -> dict[str, int]:
    counters = {}
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        name, _, value = line.partition(":")
        counters[name.strip()] = int(value)
    return counters


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


class MachineWindow:
    """How busy the whole machine was over a window, and how much of that was not ours.

    This machine is shared: other people's test suites run on the same two cores. The share
    of CPU taken by processes outside the benchmark is printed with every result so that a
    noisy figure can be recognised as such.
    """

    def __init__(self, pids: Iterable[int]) -> None:
        self.pids = list(pids)
        self.busy0, self.total0 = _machine_jiffies()
        self.ours0 = self._ours()
        self.started = time.monotonic()

    def _ours(self) -> float:
        total = cpu_seconds(os.getpid())
        for pid in self.pids:
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def stop(self) -> dict[str, float]:
        busy1, _ = _machine_jiffies()
        seconds = time.monotonic() - self.started
        busy = (busy1 - self.busy0) / CLOCK_TICKS / seconds
        ours = (self._ours() - self.ours0) / seconds
        return {
            "machine_busy_cores": busy,
            "ours_cores": ours,
            "others_cores": max(0.0, busy - ours),
            "loadavg_1min": os.getloadavg()[0],
        }


def journal_totals(profiles: Path) -> tuple[int, int]:
    """(lines, bytes) over every session journal under a profiles folder."""
    lines = size = 0
    for path in profiles.glob("*/persona/interviews/*.jsonl"):
        with contextlib.suppress(OSError):
            data = path.read_bytes()
            lines += data.count(b"\n")
            size += len(data)
    return lines, size


# -- users ----------------------------------------------------------------------------------


async def create_users(profiles: Path, names: Sequence[str]) -> list[str]:
    """Create users in a profiles folder (as ``personagen users add``); returns their tokens."""
    from server.auth import Authenticator
    from server.store import ProfileStore

    store = ProfileStore(profiles)
    auth = Authenticator(store, await store.server_secret())
    return [await auth.create_user(name) for name in names]


# -- processes ------------------------------------------------------------------------------


@contextlib.contextmanager
def workdir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A scratch folder on the real disk (/tmp is ext4 here, so fsync costs what it costs)."""
    path = Path(tempfile.mkdtemp(prefix=f"personagen-bench-{prefix}-"))
    keep = keep or bool(os.environ.get("BENCH_KEEP"))
    try:
        yield path
    finally:
        if keep:
            print(f"(kept {path})", flush=True)
        else:
            shutil.rmtree(path, ignore_errors=True)


class FakeProcess:
    """``python -m bench.fake_ollama_proc`` in a subprocess; reconfigurable over HTTP."""

    def __init__(self, *, tokens: int, token_delay: float, first_token_delay: float = 0.0) -> None:
        self.args = [
            sys.executable,
            "-m",
            "bench.fake_ollama_proc",
            "--tokens",
            str(tokens),
            "--token-delay",
            repr(token_delay),
            "--first-token-delay",
            repr(first_token_delay),
        ]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 20.0) -> FakeProcess:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=None,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("FAKE_OLLAMA_URL "):
                self.url = line.split()[1]
                return self
        self.stop()
        raise RuntimeError("the fake Ollama process did not start")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def configure(self, **settings: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + "/bench/config",
            data=json.dumps(settings).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/bench/stats", timeout=5) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> FakeProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_env(
    fake_url: str, max_generations: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    return {
        "PERSONAGEN_BACKEND": "ollama",
        "PERSONAGEN_OLLAMA_HOST": fake_url,
        "PERSONAGEN_OLLAMA_MODEL": MODEL,
        "PERSONAGEN_MAX_GENERATIONS": str(max(1, max_generations)),
        **(extra or {}),
    }


def _server_process_class() -> Any:
    from tests.server_process import ServerProcess

    class VariantServer(ServerProcess):
        """ServerProcess, optionally running ``bench.server_variant`` instead of the CLI."""

        variant: str | None = None

        def command(self) -> list[str]:
            if not self.variant:
                return super().command()
            return [sys.executable, "-m", "bench.server_variant", self.variant]

    return VariantServer


def _attach_py_spy(pid: int, prefix: str) -> None:
    """Optional, for finding hot spots: py-spy (not a dependency) samples the server until it
    exits and writes collapsed stacks to ``PREFIX.PID.txt``; ``python -m bench.flame`` reads
    them. Extra py-spy flags come from ``BENCH_PYSPY_FLAGS`` (e.g. ``--gil`` or ``--idle``)."""
    flags = os.environ.get("BENCH_PYSPY_FLAGS", "").split()
    command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "250"]
    subprocess.Popen(
        [*command, "--nonblocking", *flags, "--output", f"{prefix}.{pid}.txt"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def start_server(profiles: Path, env: dict[str, str], variant: str | None = None) -> Any:
    """A real ``personagen serve`` (tests.server_process.ServerProcess), started.

    ``variant`` runs :mod:`bench.server_variant` instead (before/after comparisons).
    """
    server = _server_process_class()(profiles, env=env, log=profiles.parent / "server.log")
    server.variant = variant
    await asyncio.to_thread(server.start, 60)
    profile = os.environ.get("BENCH_PYSPY")
    if profile:
        _attach_py_spy(server.process.pid, profile)
        await asyncio.sleep(0.5)
    return server


def write_config(path: Path, **session_defaults: Any) -> Path:
    """The shipped interview config with some ``sessionDefaults`` overridden."""
    shipped = json.loads((ROOT / "server" / "data" / "persona-generator.json").read_text())
    shipped["sessionDefaults"].update(session_defaults)
    path.write_text(json.dumps(shipped, indent=2))
    return path


# -- event loops ----------------------------------------------------------------------------


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on uvloop (as the server does) when it is installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(main())
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())


@dataclass
class LagProbe:
    """This process's own event-loop lag: how late a 20 ms sleep wakes up (in µs)."""

    interval: float = 0.02
    samples: list[int] | None = None

    async def run(self, until: float) -> list[int]:
        self.samples = []
        while time.monotonic() < until:
            before = time.monotonic_ns()
            await asyncio.sleep(self.interval)
            late = (time.monotonic_ns() - before) // 1000 - int(self.interval * 1e6)
            self.samples.append(max(0, late))
        return self.samples
