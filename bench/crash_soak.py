"""Crash soak: the CI crash drill (``tests/reliability/crash_drill.py``), for many kills.

    python -m bench crash-soak --kills 200 --clients 3 --seed 1

Interviews run against a real server that is killed with SIGKILL at random moments and
restarted, ``--kills`` times; after every restart and at the end every promise is checked
against the files on disk (no acknowledged answer lost, none duplicated, every file parses,
every session loads, ``core.json`` always whole). Prints the drill's report; exits 1 if any
promise was broken.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from typing import Any

from bench import common
from bench.common import emit, table


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    from tests.reliability.crash_drill import Drill

    with common.workdir("crash") as tmp:
        profiles = tmp / "profiles"
        profiles.mkdir()
        (token,) = await common.create_users(profiles, ["alice"])  # the drill's user
        drill = Drill(profiles, token, clients=args.clients, seed=args.seed)
        report = await drill.run(kills=args.kills)
    return dataclasses.asdict(report)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the report here")


def main(args: argparse.Namespace) -> dict[str, Any]:
    emit(common.header("Crash soak"))
    started = time.monotonic()
    report = asyncio.run(soak(args))
    seconds = time.monotonic() - started
    fields = [k for k in report if k != "problems"]
    emit(
        table(
            ["seconds", *fields, "problems"],
            [[f"{seconds:.0f}", *(report[k] for k in fields), len(report["problems"])]],
        )
    )
    for problem in report["problems"][:50]:
        emit(f"- {problem}")
    emit("")
    common.save_json(args.json, {**report, "seconds": seconds})
    if report["problems"] or report["lost"] or report["duplicated"]:
        raise SystemExit(1)
    return report
