"""Benchmark 5, apply: diff a finalized draft against a large ``core.json`` and apply it.

In-process (no server): the same calls the runner makes for ``review.request`` and
``review.apply`` — read ``core.json`` (``ProfileStore.read_persona``), ``propose`` the merged
persona, ``diff`` it, ``apply_changes`` with every change chosen, ``dump_persona`` and
``ProfileStore.write_persona`` (backup, atomic replace, fsyncs) — on a ``core.json`` of about
1 MB (``--size``) and on an empty one, with the draft of a typical interview.

Baseline in the same run: ``json.loads`` + ``json.dumps`` of the ``core.json`` the apply
starts from (for the empty case: the one it writes) plus one atomic, fsynced write of its
bytes — the least any apply has to do with a file of that size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import common
from bench.common import emit, fmt, median, p99, ratio, table
from server.persona.diff import diff
from server.persona.draft import GoalItem, PersonaDraft, TextItem, TraitItem, ValueItem
from server.persona.merge import apply_changes, propose
from server.persona.schema import dump_persona, empty_persona, normalize_persona
from server.store import ProfileStore, new_session_id

USER = "bench"
WORDS = [
    *("curiosity", "honesty", "patience", "craft", "family", "garden", "music", "teaching"),
    *("trust", "courage", "humour", "care", "focus", "rest", "learning", "community"),
    *("fairness", "freedom", "quiet", "order", "play"),
]


def large_persona(size: int) -> dict[str, Any]:
    """A valid persona of about ``size`` bytes as written: many values, goals and memories."""
    persona = empty_persona()
    persona["identity"] = {"name": "Bench", "role": "tester", "purpose": "benchmarks"}
    n = 0
    while len(dump_persona(persona)) < size:
        n += 1
        word = WORDS[n % len(WORDS)]
        sentence = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(40))
        persona["values"]["core"].append(
            {"value": f"{word} {n}", "description": sentence, "priority": n, "name": f"{word} {n}"}
        )
        persona["goals"]["longTerm"].append({"goal": f"grow {word} number {n}", "status": "open"})
        persona["background"]["keyExperiences"].append(f"memory {n}: {sentence}")
        persona["decisionHeuristics"].append(f"when in doubt about {word} {n}, ask")
    return normalize_persona(persona)


def interview_draft() -> PersonaDraft:
    """The draft of a typical finished interview: a dozen items across the sections."""
    ev = {"evidence": ("q1", "q2"), "confidence": 0.7}
    values = ("honesty", "careful work", "kindness", "learning", "family", "health")
    goals = (
        ("finish the garden project", "shortTerm"),
        ("teach a weekend class", "midTerm"),
        ("maintain an open source tool", "longTerm"),
    )
    return PersonaDraft(
        values=tuple(
            ValueItem(value=v, description=f"{v} matters in daily choices", **ev) for v in values
        ),
        boundaries=(TextItem(text="no work calls after dinner", **ev),),
        goals=tuple(GoalItem(goal=goal, horizon=horizon, **ev) for goal, horizon in goals),
        traits=(TraitItem(trait="openness", score=0.7, **ev),),
        tone=(TextItem(text="direct but kind", **ev),),
        interests=tuple(TextItem(text=t, **ev) for t in ("gardening", "open source")),
        key_experiences=(TextItem(text="moved to a new city at nineteen", **ev),),
        narrative=TextItem(text="A careful, kind maker of things.", **ev),
        current_focus=(TextItem(text="health routine", **ev),),
        projects=(TextItem(text="a small open source tool", **ev),),
        source="bench",
    )


class Clock:
    """Milliseconds per named step of one run."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._started = 0.0

    def start(self) -> None:
        self._started = time.perf_counter()

    def stop(self, name: str) -> None:
        self.times[name] = (time.perf_counter() - self._started) * 1000


async def one_run(
    store: ProfileStore, core: Path, persona: dict[str, Any] | None, strategy: str, run: int
) -> tuple[Clock, float, int, int]:
    """One apply from scratch; returns its clock, the baseline's ms, bytes and changes."""
    draft = interview_draft()
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=run)
    await asyncio.to_thread(_reset, core, persona)
    floor_ms = await asyncio.to_thread(_floor, core) if persona is not None else math.nan
    session_id = new_session_id(now)
    clock = Clock()

    clock.start()
    stored = await store.read_persona(USER)
    clock.stop("read core.json")
    current = stored.data if stored.data is not None else empty_persona()

    clock.start()
    proposed = propose(normalize_persona(current), draft, session_id, strategy, now)  # type: ignore[arg-type]
    clock.stop("propose")
    base = normalize_persona(current)

    clock.start()
    changes = diff(base, proposed)
    clock.stop("diff")

    clock.start()
    result = apply_changes(base, changes, [change.id for change in changes])
    clock.stop("apply_changes")

    clock.start()
    text = dump_persona(result)
    clock.stop("dump")

    clock.start()
    await store.write_persona(USER, text, expected_digest=stored.digest, now=now)
    clock.stop("write_persona")

    if persona is None:
        floor_ms = await asyncio.to_thread(_floor, core)  # the file the apply created
    return clock, floor_ms, len(text.encode()), len(changes)


async def one_case(
    folder: Path, persona: dict[str, Any] | None, strategy: str, runs: int
) -> dict[str, Any]:
    from server.auth import Authenticator

    (folder / "profiles").mkdir(parents=True, exist_ok=True)
    store = ProfileStore(folder / "profiles")
    await Authenticator(store, await store.server_secret()).create_user(USER)
    core = folder / "profiles" / USER / "persona" / "core.json"
    steps: dict[str, list[float]] = {}
    baseline: list[float] = []
    size = changes = 0
    for run in range(runs + 1):  # the first run warms up and is not counted
        clock, floor_ms, size, changes = await one_run(store, core, persona, strategy, run)
        if run == 0:
            continue
        for name, value in clock.times.items():
            steps.setdefault(name, []).append(value)
        steps.setdefault("total", []).append(sum(clock.times.values()))
        baseline.append(floor_ms)
    return {
        "case": "empty" if persona is None else f"{len(dump_persona(persona)) / 2**20:.2f} MiB",
        "strategy": strategy,
        "bytes_written": size,
        "changes": changes,
        "steps": {name: {"p50": median(v), "p99": p99(v)} for name, v in steps.items()},
        "baseline_p50": median(baseline),
        "runs": runs,
    }


def _reset(core: Path, persona: dict[str, Any] | None) -> None:
    if persona is not None:
        core.write_text(dump_persona(persona), "utf-8")
    elif core.exists():
        core.unlink()


def _floor(core: Path) -> float:
    """The baseline: parse and re-serialize the document, write it atomically (ms)."""
    started = time.perf_counter()
    data = json.loads(core.read_bytes())
    encoded = json.dumps(data, indent=2, ensure_ascii=False).encode()
    _atomic_write(core.with_suffix(".floor"), encoded)
    return (time.perf_counter() - started) * 1000


def _atomic_write(path: Path, data: bytes) -> None:
    temp = path.with_suffix(".tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def report(cases: list[dict[str, Any]]) -> str:
    names = ["read core.json", "propose", "diff", "apply_changes", "dump", "write_persona", "total"]
    rows = []
    for case in cases:
        rows.append(
            [
                case["case"],
                case["strategy"],
                case["changes"],
                *(
                    f"{fmt(case['steps'][n]['p50'], 1)} / {fmt(case['steps'][n]['p99'], 1)}"
                    for n in names
                ),
                f"{fmt(case['baseline_p50'], 1)}",
                fmt(ratio(case["steps"]["total"]["p50"], case["baseline_p50"]), 1),
            ]
        )
    return table(
        [
            "core.json",
            "strategy",
            "changes",
            *(f"{n} ms p50 / p99" for n in names),
            "baseline ms p50 (parse+dump+write)",
            "total x baseline",
        ],
        rows,
    )


async def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    big = large_persona(args.size)
    cases = []
    with common.workdir("apply") as tmp:
        for index, (persona, strategy) in enumerate(
            [(None, "merge"), (big, "merge"), (big, "replace")]
        ):
            cases.append(await one_case(tmp / f"case{index}", persona, strategy, args.runs))
    return cases


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=1_048_576, help="bytes of the large core.json")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", help="also write the results here")


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    emit(common.header("Apply"))
    started = time.monotonic()
    cases = asyncio.run(measure(args))
    emit(report(cases))
    emit(f"\n({time.monotonic() - started:.0f} s)\n")
    common.save_json(args.json, cases)
    return cases
