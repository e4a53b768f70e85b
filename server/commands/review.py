"""The end of every interview: the diff against ``core.json``, the strategy, and the apply.

Nothing is written without consent: :func:`review_and_apply` applies only with a strategy
given on the command line together with ``--yes``/``--apply``, or after the person answers
"yes" to a question that states how many changes will be written.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import anyio

from server.client import ClientError
from server.commands.backends import Backend
from server.commands.common import (
    EXIT_CONFLICT,
    EXIT_USAGE,
    CliError,
    Console,
    plural,
)
from server.commands.render import change_counts, diff_lines
from server.commands.terminal import LineReader, is_terminal

STRATEGIES = ("merge", "replace", "append")


def check_strategy(name: str) -> str:
    if name not in STRATEGIES:
        raise CliError(
            f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)}", EXIT_USAGE
        )
    return name


@dataclasses.dataclass
class ReviewOutcome:
    ready: dict[str, Any]
    applied: bool = False
    strategy: str | None = None
    backup: str | None = None
    change_ids: list[str] = dataclasses.field(default_factory=list)
    declined: bool = False


async def _ticker(console: Console, label: str) -> None:
    """``Extracting … 12s`` on a terminal, rewritten in place every second."""
    started = time.monotonic()
    while True:
        seconds = int(time.monotonic() - started)
        console.err.write(f"\r{label} {seconds}s ")
        console.err.flush()
        await anyio.sleep(1)


async def fetch_review(
    backend: Backend, session_id: str, strategy: str, console: Console
) -> dict[str, Any]:
    """Ask for the preview under ``strategy`` and return its ``review.ready`` frame.

    If the interview still has to be extracted, says so and shows the time it takes.
    """
    ready: dict[str, Any] = {}
    label = f"Extracting your persona with {backend.backend_label}…"
    started = time.monotonic()

    async def wait_for_ready(done: anyio.Event) -> None:
        ticking: anyio.CancelScope | None = None
        async with anyio.create_task_group() as group:
            while True:
                event = await backend.next_event()
                if event.get("session_id") != session_id:
                    continue
                if event["type"] == "review.extracting":
                    if is_terminal(console.err):
                        ticking = anyio.CancelScope()

                        async def tick(scope: anyio.CancelScope = ticking) -> None:
                            with scope:
                                await _ticker(console, label)

                        group.start_soon(tick)
                    else:
                        console.note(label)
                elif event["type"] == "review.ready":
                    ready.update(event)
                    break
            if ticking is not None:
                ticking.cancel()
                console.err.write("\r" + " " * (len(label) + 8) + "\r")
                console.note(f"Extracted in {time.monotonic() - started:.0f}s.")
        done.set()

    async with anyio.create_task_group() as group:
        done = anyio.Event()
        group.start_soon(wait_for_ready, done)
        try:
            await backend.request("review.request", session_id=session_id, strategy=strategy)
        except BaseException:
            group.cancel_scope.cancel()
            raise
        await done.wait()
    return ready


def show_review(ready: dict[str, Any], console: Console, *, verbose: bool = False) -> None:
    changes = ready.get("changes") or []
    strategy = ready.get("strategy", "merge")
    console.print()
    console.print(
        console.bold(f"Proposed changes to core.json with the {strategy} strategy: ")
        + f"{plural(len(changes), 'change')} ({change_counts(changes)})"
    )
    for line in diff_lines(changes, console, verbose=verbose):
        console.print(line)
    for held in (ready.get("draft") or {}).get("held_back") or []:
        # A special-category clause left out of an item; the rest of the item is kept.
        kinds = ", ".join(held.get("categories") or [])
        console.print(
            console.dim(f"  held back ({kinds}): “{held['clause']}”, left out of “{held['item']}”")
        )
    for note in ready.get("notes") or []:
        console.print(console.dim(f"  note: {note}"))


def show_strategies(ready: dict[str, Any], console: Console) -> None:
    descriptions = ready.get("strategies") or {}
    console.print()
    console.print("Strategies:")
    for name in STRATEGIES:
        console.print(f"  {name:<8} {descriptions.get(name, '')}")


async def _ask_strategy(reader: LineReader, console: Console) -> str | None:
    while True:
        line = await reader.readline(
            "Apply with which strategy? [merge/replace/append, Enter = merge, n = not now] "
        )
        if line is None:
            return None
        answer = line.strip().lower()
        if answer in ("n", "no", "not now", "q", "quit"):
            return None
        if not answer:
            return "merge"
        for name in STRATEGIES:
            if name.startswith(answer):
                return name
        console.print(f"Please answer merge, replace, append or n (not {line.strip()!r}).")


async def confirm(reader: LineReader, question: str) -> bool | None:
    """True for yes, False for anything else, None when there is no more input."""
    line = await reader.readline(f"{question} [y/N] ")
    if line is None:
        return None
    return line.strip().lower() in ("y", "yes")


async def review_and_apply(
    backend: Backend,
    session_id: str,
    console: Console,
    reader: LineReader,
    *,
    strategy: str | None = None,
    assume_yes: bool = False,
    verbose: bool = False,
    show: bool = True,
) -> ReviewOutcome:
    """Show the diff, settle the strategy, ask, apply. Returns what happened."""
    ready = await fetch_review(backend, session_id, strategy or "merge", console)
    if show:
        show_review(ready, console, verbose=verbose)
    chosen = strategy
    if chosen is None:
        show_strategies(ready, console)
        chosen = await _ask_strategy(reader, console)
        if chosen is None:
            return ReviewOutcome(ready, declined=True)
        if chosen != ready.get("strategy"):
            ready = await fetch_review(backend, session_id, chosen, console)
            if show:
                show_review(ready, console, verbose=verbose)
    count = len(ready.get("changes") or [])
    if not assume_yes:
        question = (
            f"Apply {plural(count, 'change')} to core.json with {chosen}?"
            if count
            else "There is nothing to change; mark this interview as applied?"
        )
        if not await confirm(reader, question):
            return ReviewOutcome(ready, strategy=chosen, declined=True)
    try:
        ack = await backend.request(
            "review.apply",
            session_id=session_id,
            strategy=chosen,
            base_digest=ready["base_digest"],
        )
    except ClientError as exc:
        if exc.code == "conflict":
            raise CliError(
                f"core.json changed since this diff was made: {exc.message}",
                EXIT_CONFLICT,
                hint=f"look at the new diff: personagen persona diff {session_id}",
            ) from None
        raise
    return ReviewOutcome(
        ready,
        applied=True,
        strategy=chosen,
        backup=ack.get("backup"),
        change_ids=list(ack.get("change_ids") or []),
    )


def restore_hint(backup: str | None) -> str:
    if not backup:
        return ""
    return f"personagen persona restore {backup.rsplit('/', 1)[-1]}"


def report_outcome(outcome: ReviewOutcome, session_id: str, console: Console) -> None:
    if outcome.applied:
        console.print(
            console.green(
                f"Applied {plural(len(outcome.change_ids), 'change')} to core.json "
                f"({outcome.strategy})."
            )
        )
        if outcome.backup:
            console.print(f"The previous core.json was saved as {outcome.backup}.")
            console.print(f"Undo with: {restore_hint(outcome.backup)}")
    else:
        console.print("Nothing was applied. The interview is kept for review; apply it later with:")
        console.print(f"  personagen persona apply {session_id} --strategy merge")
