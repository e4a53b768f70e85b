"""``personagen training review|export|refilter``, and the training step after an interview.

Nothing reaches the training file unseen: :func:`review_training` shows every answered turn as
the export policy would write it (kept, redacted with the reasons, or left out with the
reason), lets the person leave out more turns, and writes only after a yes (or ``--yes``).
``refilter`` applies the current policy to exports written before it.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Sequence
from typing import Any

from server.commands.backends import Backend, LocalBackend, RemoteBackend
from server.commands.common import EXIT_OK, EXIT_USAGE, CliError, Console, conflict, plural
from server.commands.review import confirm
from server.commands.terminal import LineReader

EXPORTABLE = ("finalized", "applied")
_QUESTION_ID = re.compile(r"^q[0-9]{1,4}$")


@dataclasses.dataclass
class TrainingOutcome:
    ready: dict[str, Any]
    excluded: list[str]
    written: bool = False
    path: str | None = None
    records: int = 0


def parse_exclusions(text: str) -> list[str]:
    """``"q2, q5 q7"`` -> ``["q2", "q5", "q7"]``; a clear error for anything else."""
    ids = [part for part in re.split(r"[\s,]+", text.strip()) if part]
    wrong = [part for part in ids if not _QUESTION_ID.match(part)]
    if wrong:
        raise CliError(
            f"expected question ids such as q2 or q5, got {', '.join(map(repr, wrong))}",
            EXIT_USAGE,
        )
    return list(dict.fromkeys(ids))


async def _wait_for(backend: Backend, session_id: str, kind: str) -> dict[str, Any]:
    while True:
        event = await backend.next_event(kind)
        if event.get("session_id") == session_id:
            return event


async def fetch_training(
    backend: Backend, session_id: str, excluded: Sequence[str] = ()
) -> dict[str, Any]:
    """The ``training.ready`` frame: every answered turn's decision under the policy."""
    await backend.request("training.review", session_id=session_id, excluded=list(excluded))
    return await _wait_for(backend, session_id, "training.ready")


def show_training(ready: dict[str, Any], console: Console) -> None:
    """Every turn as it would be written; excluded turns with their reason only."""
    turns = ready.get("turns") or []
    kept = sum(1 for turn in turns if turn["decision"] != "exclude")
    console.print(
        console.bold(f"Training data ({ready.get('policy_version')}): ")
        + f"{plural(kept, 'turn')} of {len(turns)} would be written."
    )
    for turn in turns:
        label = f"{turn['question_id']:>4}  {turn['category']}"
        if turn["decision"] == "exclude":
            why = "; ".join(turn["reasons"])
            console.print(console.dim(f"{label}: left out ({why})"))
            continue
        note = "" if turn["decision"] == "keep" else f" (removed: {', '.join(turn['reasons'])})"
        console.print(console.bold(label) + console.yellow(note))
        for text in (turn["question"], turn["answer"]):
            console.print(textwrap.indent(textwrap.fill(text, 90), "      "))


async def review_training(
    backend: Backend,
    session_id: str,
    console: Console,
    reader: LineReader,
    *,
    excluded: Sequence[str] = (),
    assume_yes: bool = False,
) -> TrainingOutcome:
    """Show the export, let the person leave turns out, and write it only after a yes."""
    chosen = list(excluded)
    ready = await fetch_training(backend, session_id, chosen)
    if not console.json_mode:
        show_training(ready, console)
    while not assume_yes:
        line = await reader.readline(
            "Question ids to leave out of the training file (e.g. q2 q5), or Enter to go on: "
        )
        if not line or not line.strip():
            break
        try:
            chosen = list(dict.fromkeys([*chosen, *parse_exclusions(line)]))
            ready = await fetch_training(backend, session_id, chosen)
        except CliError as exc:
            console.warn(exc.message)
            continue
        show_training(ready, console)
    outcome = TrainingOutcome(ready, chosen)
    count = sum(1 for turn in ready.get("turns") or [] if turn["decision"] != "exclude")
    if not assume_yes:
        answer = await confirm(reader, f"Write {plural(count, 'turn')} to the training file?")
        if not answer:
            console.print(f"Nothing was written. Later: personagen training export {session_id}")
            return outcome
    ack = await backend.request("training.export", session_id=session_id, excluded=chosen)
    outcome.written, outcome.path = True, ack.get("training_path")
    outcome.records = int(ack.get("training_records") or 0)
    if not console.json_mode:
        console.print(f"Wrote {plural(outcome.records, 'turn')} to {outcome.path}.")
    return outcome


async def _exportable(backend: Backend, reference: str) -> str:
    summary = await backend.resolve_session(reference)
    session_id = str(summary["session_id"])
    if summary.get("state") not in EXPORTABLE:
        raise conflict(
            f"interview {session_id} is {summary.get('state')}; its training data is reviewed "
            "after the persona review",
            hint=f"finish and review it first: personagen persona apply {session_id}",
        )
    return session_id


async def training_command(
    backend: Backend,
    console: Console,
    reader: LineReader,
    action: str,
    reference: str,
    exclude: str | None,
    assume_yes: bool,
) -> int:
    """``training review SESSION`` shows; ``training export SESSION`` shows, asks, writes."""
    session_id = await _exportable(backend, reference)
    excluded = parse_exclusions(exclude or "")
    await backend.open(session_id)
    await backend.next_event("session.snapshot")
    if action == "review":
        ready = await fetch_training(backend, session_id, excluded)
        if console.json_mode:
            console.emit_json({"session_id": session_id, **_public(ready)})
        else:
            show_training(ready, console)
        return EXIT_OK
    outcome = await review_training(
        backend, session_id, console, reader, excluded=excluded, assume_yes=assume_yes
    )
    if console.json_mode:
        console.emit_json(
            {
                "session_id": session_id,
                "written": outcome.written,
                "path": outcome.path,
                "records": outcome.records,
                "excluded": outcome.excluded,
                **_public(outcome.ready),
            }
        )
    return EXIT_OK


def _public(ready: dict[str, Any]) -> dict[str, Any]:
    return {"policy_version": ready.get("policy_version"), "turns": ready.get("turns") or []}


async def refilter_command(backend: Backend, console: Console) -> int:
    """Apply the current policy to every training export already written."""
    if isinstance(backend, LocalBackend):
        from server.runner import refilter_summary

        assert backend.manager is not None
        results = await backend.manager.runner.refilter_training(backend.user)
        summary = refilter_summary(results)
    elif isinstance(backend, RemoteBackend):
        response = await backend._http(  # the backend's HTTP door; no method of its own yet
            "POST",
            "/api/training/refilter",
            feature="re-filtering training exports",
            command="training refilter",
        )
        summary = response.json()
    else:  # pragma: no cover - every backend is one of the two
        raise CliError(f"cannot re-filter through {type(backend).__name__}")
    if console.json_mode:
        console.emit_json(summary)
        return EXIT_OK
    exports = summary["exports"]
    if not exports:
        console.print("No training exports to re-filter.")
        return EXIT_OK
    for item in exports:
        status = "rewritten" if item["changed"] else "already filtered"
        console.print(
            f"{item['session_id']}: {item['records_before']} -> {item['records_after']} "
            f"records, {len(item['redacted'])} redacted ({status})"
        )
    console.print(f"Policy: {summary['policy_version']}.")
    return EXIT_OK
