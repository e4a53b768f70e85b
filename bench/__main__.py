"""``python -m bench NAME [options]``: run one benchmark, or ``quick`` / ``all``.

    python -m bench quick          # every benchmark with small counts, under five minutes
    python -m bench all            # every benchmark with the counts of docs/benchmarks.md
    python -m bench relay -h       # one benchmark and its options

Each benchmark starts its own server and fake Ollama on 127.0.0.1, prints the machine, the
exact command and a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from types import ModuleType

from bench import (
    apply,
    autosave,
    common,
    concurrency,
    crash_soak,
    fileio,
    relay,
    resume,
    startup,
)

BENCHMARKS: dict[str, tuple[ModuleType, str]] = {
    "relay": (relay, "relay efficiency vs direct Ollama (full speed and 45 tokens/s)"),
    "concurrency": (concurrency, "1 to 1,000 simultaneous interviews"),
    "resume": (resume, "reconnect to replay or snapshot with 10 and 1,000 sessions live"),
    "autosave": (autosave, "1,000 changing drafts, autosave on vs off"),
    "apply": (apply, "diff and apply a draft into a 1 MB core.json (in-process)"),
    "crash-soak": (crash_soak, "the kill -9 drill, many times"),
    "fileio": (fileio, "aiofiles against anyio.to_thread (needs pip install aiofiles)"),
    "startup": (startup, "serve to a healthy /healthz: builtin, auto with Ollama down or silent"),
}

# Small counts: a developer's quick profile. Every figure is noisier than the full run's.
QUICK: list[list[str]] = [
    ["relay", "--runs", "8", "--full-runs", "2"],
    ["concurrency", "--clients", "1", "10", "100", "--duration", "15", "--think", "2:6"],
    ["resume", "--sessions", "10", "100", "--trials", "8"],
    ["autosave", "--sessions", "100", "--duration", "12", "--interval-ms", "5000"],
    ["apply", "--size", "262144", "--runs", "3"],
    ["crash-soak", "--kills", "5"],
    ["startup", "--runs", "2", "--limit", "5"],
]

HUMAN_PACE = ["concurrency", "--clients", "1000", "--think", "30:90", "--duration", "90"]

FULL_SPEED_QUESTION = ["relay", "--only", "full", "--full-tokens", "30", "--full-runs", "20"]

# The documented run (docs/benchmarks.md): about 30 minutes. "before16" is the relay as it was
# before issue 16 (bench/before16.py), measured in the same run for the before/after figures.
ALL: list[list[str]] = [
    ["relay"],
    ["relay", "--server-variant", "before16"],
    FULL_SPEED_QUESTION,
    [*FULL_SPEED_QUESTION, "--server-variant", "before16"],
    ["concurrency"],
    HUMAN_PACE,
    [*HUMAN_PACE, "--server-variant", "before16"],
    ["resume"],
    ["autosave"],
    ["apply"],
    ["crash-soak"],
    ["startup"],
]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="name", required=True)
    for name, (module, text) in BENCHMARKS.items():
        sub = commands.add_parser(name, help=text, description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(module=module)
    commands.add_parser("quick", help="every benchmark with small counts (< 5 minutes)")
    commands.add_parser("all", help="every benchmark with the documented counts (long)")
    return top


def run_many(plan: list[list[str]]) -> int:
    started = time.monotonic()
    failures = 0
    for argv in plan:
        common.PART_OF = argv
        args = parser().parse_args(argv)
        try:
            args.module.main(args)
        except SystemExit as exit:
            failures += exit.code not in (0, None)
    common.emit(f"all done in {time.monotonic() - started:.0f} s; {failures} failed")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.name == "quick":
        return run_many(QUICK)
    if args.name == "all":
        return run_many(ALL)
    args.module.main(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
