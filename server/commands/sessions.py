"""``personagen sessions list|show|discard|export|purge`` (``resume`` is the interview's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio

from server.commands.backends import Backend
from server.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Console,
    conflict,
    plural,
)
from server.commands.render import sessions_table, transcript_lines
from server.commands.review import confirm
from server.commands.terminal import LineReader
from server.interview.model import Turn
from server.interview.training import render_jsonl, training_records
from server.persona.schema import persona_name
from server.transcript import transcript_markdown

EXPORT_FORMATS = ("json", "markdown", "training")


async def list_sessions(backend: Backend, console: Console) -> int:
    sessions = await backend.list_sessions()
    if console.json_mode:
        console.emit_json({"user": backend.user, "sessions": sessions})
        return EXIT_OK
    if not sessions:
        console.print(f"No interviews yet for {backend.user}. Start one: personagen interview")
        return EXIT_OK
    for line in sessions_table(sessions):
        console.print(line)
    return EXIT_OK


async def show_session(backend: Backend, console: Console, reference: str) -> int:
    summary = await backend.resolve_session(reference)
    view = await backend.view(summary["session_id"])
    if console.json_mode:
        console.emit_json(view)
        return EXIT_OK
    for line in transcript_lines(view, console):
        console.print(line)
    return EXIT_OK


async def ask_or_refuse(reader: LineReader, question: str, assume_yes: bool) -> bool:
    """A yes/no question for destructive commands; no input at all is a usage error."""
    if assume_yes:
        return True
    answer = await confirm(reader, question)
    if answer is None:
        raise CliError(
            "no answer to the confirmation on stdin; pass --yes to go ahead without asking",
            EXIT_USAGE,
        )
    return answer


async def discard_session(
    backend: Backend, console: Console, reader: LineReader, reference: str, assume_yes: bool
) -> int:
    summary = await backend.resolve_session(reference)
    session_id = summary["session_id"]
    if summary.get("state") in ("applied", "discarded"):
        raise conflict(
            f"interview {session_id} is {summary['state']}; only unfinished interviews can be "
            "discarded",
            hint=f"to delete its files, use: personagen sessions purge {session_id}",
        )
    question = (
        f"Discard interview {session_id} ({summary.get('state')}, "
        f"{plural(int(summary.get('answered', 0)), 'answer')})? It can no longer be resumed "
        "or applied; its training file is removed."
    )
    if not await ask_or_refuse(reader, question, assume_yes):
        console.print("Nothing was changed.")
        return EXIT_OK
    await backend.request("session.discard", session_id=session_id)
    if console.json_mode:
        console.emit_json({"session_id": session_id, "state": "discarded"})
    else:
        console.print(f"Discarded interview {session_id}.")
        console.print(
            f"Its answers stay on disk; delete them with: personagen sessions purge {session_id}"
        )
    return EXIT_OK


async def purge_session(
    backend: Backend, console: Console, reader: LineReader, reference: str, assume_yes: bool
) -> int:
    summary = await backend.resolve_session(reference)
    session_id = summary["session_id"]
    question = (
        f"Delete interview {session_id} ({summary.get('state')}) for good: its answers, "
        "journal and training file?"
    )
    if not await ask_or_refuse(reader, question, assume_yes):
        console.print("Nothing was removed.")
        return EXIT_OK
    removed = await backend.purge(session_id)
    if console.json_mode:
        console.emit_json({"session_id": session_id, "removed": removed})
        return EXIT_OK
    console.print(f"Purged interview {session_id}. Removed:")
    for path in removed:
        console.print(f"  {path}")
    if summary.get("state") == "applied":
        console.print(
            "Its changes to core.json stay; `personagen persona history` lists the backups."
        )
    return EXIT_OK


def _turns(view: dict[str, Any]) -> list[Turn]:
    """The session's turns as the training export sees them: crisis turns left out."""
    turns = []
    for question in view.get("questions") or []:
        answer = question.get("answer")
        if answer is not None and answer.get("crisis"):
            continue
        turns.append(
            Turn(
                question_id=question["id"],
                category=question["category"],
                question=question["text"],
                answer=None if answer is None else answer["text"],
                skipped=bool(question.get("skipped")),
            )
        )
    return turns


async def export_session(
    backend: Backend,
    console: Console,
    reference: str,
    fmt: str,
    output: Path | None,
) -> int:
    summary = await backend.resolve_session(reference)
    session_id = summary["session_id"]
    view = await backend.view(session_id)
    if fmt == "json":
        text = json.dumps(view, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "markdown":
        text = transcript_markdown(view)
    else:
        if view.get("state") not in ("finalized", "applied"):
            raise conflict(
                f"interview {session_id} is {view.get('state')}: its training file is written "
                "when the interview is complete and extracted",
                hint=f"finish it (personagen interview --resume {session_id}) and review it",
            )
        persona = (await backend.read_persona()).get("persona")
        records = training_records(session_id, persona_name(persona, backend.user), _turns(view))
        text = render_jsonl(records)
    if output is None:
        console.write(text)
        return EXIT_OK
    try:
        await anyio.Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from None
    console.note(f"Wrote {output} ({fmt}, {len(text.encode('utf-8'))} bytes).")
    return EXIT_OK
