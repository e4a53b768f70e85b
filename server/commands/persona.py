"""``personagen persona show|diff|apply|history|restore``."""

from __future__ import annotations

import json
from typing import Any

from server.commands.backends import LATEST, Backend
from server.commands.common import (
    EXIT_OK,
    Console,
    conflict,
    not_found,
    plural,
    usage_error,
)
from server.commands.render import backups_table, change_counts, diff_lines, when
from server.commands.review import (
    fetch_review,
    report_outcome,
    review_and_apply,
    show_review,
)
from server.commands.sessions import ask_or_refuse
from server.commands.terminal import LineReader
from server.errors import PersonagenError
from server.persona.diff import diff
from server.persona.schema import empty_persona, normalize_persona

REVIEWABLE = ("completed", "finalized")
PREVIEW_LINES = 12


async def show_persona(backend: Backend, console: Console) -> int:
    data = await backend.read_persona()
    if data.get("persona") is None:
        raise not_found(
            f"{backend.user} has no persona yet (core.json does not exist)",
            hint="an interview creates it: personagen interview",
        )
    if console.json_mode:
        console.emit_json(data)
    else:
        console.print(json.dumps(data["persona"], indent=2, ensure_ascii=False))
    return EXIT_OK


async def _reviewable(backend: Backend, reference: str) -> str:
    summary = await backend.resolve_session(reference)
    session_id = str(summary["session_id"])
    state = summary.get("state")
    if state in ("active", "paused"):
        raise conflict(
            f"interview {session_id} is still {state}; its draft exists once it is complete",
            hint=f"finish it first: personagen interview --resume {session_id} (then /finish)",
        )
    if state == "applied":
        raise conflict(
            f"interview {session_id} was already applied",
            hint="`personagen persona history` lists the backups made before each apply",
        )
    if state not in REVIEWABLE:
        raise conflict(f"interview {session_id} is {state}; it cannot be reviewed")
    await backend.open(session_id)
    return session_id


async def diff_persona(
    backend: Backend, console: Console, reference: str, strategy: str, verbose: bool
) -> int:
    session_id = await _reviewable(backend, reference)
    ready = await fetch_review(backend, session_id, strategy, console)
    if console.json_mode:
        console.emit_json(
            {
                "session_id": session_id,
                "strategy": ready.get("strategy"),
                "base_digest": ready.get("base_digest"),
                "changes": ready.get("changes") or [],
                "notes": ready.get("notes") or [],
            }
        )
        return EXIT_OK
    show_review(ready, console, verbose=verbose)
    console.print()
    console.print(
        f"Apply it with: personagen persona apply {session_id} --strategy {ready.get('strategy')}"
    )
    return EXIT_OK


async def apply_persona(
    backend: Backend,
    console: Console,
    reader: LineReader,
    reference: str,
    strategy: str | None,
    assume_yes: bool,
    verbose: bool,
) -> int:
    session_id = await _reviewable(backend, reference)
    outcome = await review_and_apply(
        backend,
        session_id,
        console,
        reader,
        strategy=strategy,
        assume_yes=assume_yes,
        verbose=verbose,
        show=not console.json_mode,
    )
    if outcome.declined and not assume_yes and reader.closed:
        # No answer at all on stdin is a refusal a script should notice.
        raise usage_error(
            "no answer to the confirmation on stdin; pass --strategy NAME --yes to apply "
            "without asking"
        )
    if console.json_mode:
        console.emit_json(
            {
                "session_id": session_id,
                "applied": outcome.applied,
                "strategy": outcome.strategy,
                "change_ids": outcome.change_ids,
                "backup": outcome.backup,
            }
        )
        return EXIT_OK
    console.print()
    report_outcome(outcome, session_id, console)
    return EXIT_OK


async def persona_history(backend: Backend, console: Console) -> int:
    backups = await backend.backups()
    if console.json_mode:
        console.emit_json({"user": backend.user, "backups": backups})
        return EXIT_OK
    if not backups:
        console.print("No backups yet: one is made before each change to an existing core.json.")
        return EXIT_OK
    for line in backups_table(backups):
        console.print(line)
    console.print()
    console.print(f"Restore one with: personagen persona restore {backups[0]['name']}")
    return EXIT_OK


def _pick_backup(backups: list[dict[str, Any]], reference: str) -> dict[str, Any]:
    if not backups:
        raise not_found("there are no backups of core.json yet")
    if reference.lower() in LATEST:
        return backups[0]
    exact = [item for item in backups if item["name"] == reference]
    found = exact or [item for item in backups if str(item["name"]).startswith(reference)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise not_found(
            f"no backup {reference!r}", hint="`personagen persona history` lists the backups"
        )
    raise usage_error(f"{reference!r} matches {len(found)} backups; give the whole name")


async def restore_persona(
    backend: Backend, console: Console, reader: LineReader, reference: str, assume_yes: bool
) -> int:
    backup = _pick_backup(await backend.backups(), reference)
    name = str(backup["name"])
    current = await backend.read_persona()
    text = await backend.read_backup(name)
    if not console.json_mode:
        console.print(f"Restoring {name} (saved {when(str(backup['stamp']))}).")
        try:
            proposed = normalize_persona(json.loads(text), source=name)
            changes = [
                change.model_dump(mode="json")
                for change in diff(current.get("persona") or empty_persona(), proposed)
            ]
        except (ValueError, PersonagenError) as exc:
            console.warn(f"cannot show what would change: {exc}")
        else:
            console.print(
                f"Compared with the current core.json: {plural(len(changes), 'change')} "
                f"({change_counts(changes)})"
            )
            lines = diff_lines(changes, console)
            for line in lines[:PREVIEW_LINES]:
                console.print(line)
            if len(lines) > PREVIEW_LINES:
                console.print(f"  … and {len(lines) - PREVIEW_LINES} more lines")
    question = f"Replace core.json with {name}? The current core.json is backed up first."
    if not await ask_or_refuse(reader, question, assume_yes):
        console.print("Nothing was changed.")
        return EXIT_OK
    result = await backend.restore(name, str(current.get("digest")))
    if console.json_mode:
        console.emit_json(result)
        return EXIT_OK
    console.print(console.green(f"Restored {name} as core.json."))
    replaced = result.get("backup")
    if replaced:
        short = str(replaced).rsplit("/", 1)[-1]
        console.print(f"The replaced core.json was saved as {replaced}.")
        console.print(f"Undo with: personagen persona restore {short}")
    return EXIT_OK
