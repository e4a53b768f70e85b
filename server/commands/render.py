"""Protocol frames and views as text for people: progress, tables, transcripts, diffs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from server.commands.common import Console, plural
from server.transcript import STATE_TEXT, category_name

KIND_MARK = {"add": "+", "update": "~", "remove": "-"}


def when(stamp: str | None) -> str:
    """An ISO time as local ``YYYY-MM-DD HH:MM``; empty for none."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def bar(percent: int, console: Console, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    full, empty = ("█", "░") if console.unicode else ("#", "-")
    return full * filled + empty * (width - filled)


def overall_percent(progress: Mapping[str, Any]) -> int:
    items = progress.get("categories") or []
    if not items:
        return 0
    return round(sum(int(item["percent"]) for item in items) / len(items))


def progress_lines(progress: Mapping[str, Any], console: Console) -> list[str]:
    """One line per topic with a bar, then what is still needed."""
    lines = []
    for item in progress.get("categories") or []:
        percent = int(item["percent"])
        mark = console.green(" ✓" if console.unicode else " ok") if item.get("covered") else ""
        name = category_name(str(item["category"]))
        understood = item.get("understood")
        told = f"  {understood} understood" if isinstance(understood, int) else ""
        lines.append(f"  {name:<14} {bar(percent, console)} {percent:>3}%{told}{mark}")
    answered = int(progress.get("answered", 0))
    limit = int(progress.get("max_questions", 0))
    summary = f"  {plural(answered, 'answer')}"
    if limit:
        summary += (
            f" · at most {plural(int(progress.get('questions_remaining', 0)), 'question')} left"
        )
    lines.append(summary)
    message = progress.get("message")
    if message:
        lines.append(console.dim(f"  {message}"))
    return lines


def progress_inline(progress: Mapping[str, Any]) -> str:
    """``values 100% · goals 56% · …``: one line, for batch runs."""
    return " · ".join(
        f"{category_name(str(item['category']))} {item['percent']}%"
        for item in progress.get("categories") or []
    )


def session_line(summary: Mapping[str, Any]) -> str:
    """One unfinished interview, as offered for resuming."""
    state = STATE_TEXT.get(str(summary.get("state")), str(summary.get("state")))
    answered = int(summary.get("answered", 0))
    parts = [str(summary["session_id"]), state, plural(answered, "answer")]
    if "percent" in summary:
        parts.append(f"{summary['percent']}% covered")
    if summary.get("updated_at"):
        parts.append(f"last active {when(summary.get('updated_at'))}")
    return " · ".join(parts)


def sessions_table(sessions: Sequence[Mapping[str, Any]]) -> list[str]:
    header = ("SESSION", "STATE", "PROGRESS", "ANSWERS", "STARTED", "LAST ACTIVE")
    rows = [header]
    for item in sessions:
        if item.get("state") == "unreadable":
            rows.append((str(item["session_id"]), "unreadable", "", "", "", ""))
            continue
        answers = f"{item.get('answered', 0)}/{item.get('max_questions', '?')}"
        rows.append(
            (
                str(item["session_id"]),
                str(item.get("state", "")),
                f"{item.get('percent', 0)}%",
                answers,
                when(item.get("created_at")),
                when(item.get("updated_at")),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def transcript_lines(view: Mapping[str, Any], console: Console) -> list[str]:
    """A session's questions and answers, for reading in a terminal."""
    state = str(view.get("state"))
    head = f"Interview {view['session_id']} · {STATE_TEXT.get(state, state)}"
    lines = [console.bold(head)]
    details = [f"started {when(view.get('created_at'))}"]
    if view.get("updated_at"):
        details.append(f"last active {when(view.get('updated_at'))}")
    if view.get("backend"):
        details.append(f"interviewer: {view['backend']}")
    lines.append(console.dim(" · ".join(details)))
    if view.get("pause_reason") == "crisis" and view.get("crisis_message"):
        lines += ["", console.yellow(str(view["crisis_message"]))]
    for question in view.get("questions") or []:
        lines += ["", console.bold(f"{question['id']} · {category_name(question['category'])}")]
        lines.append(f"  Q: {question['text']}")
        answer = question.get("answer")
        if question.get("skipped"):
            lines.append(console.dim("  (skipped)"))
        elif answer is None:
            lines.append(console.dim("  (not answered yet)"))
        elif answer.get("crisis"):
            lines.append(console.dim("  (set aside for your safety; not used for the persona)"))
        else:
            text = str(answer["text"]).replace("\n", "\n     ")
            lines.append(f"  A: {text}")
    progress = view.get("progress")
    if isinstance(progress, dict):
        lines += ["", "Progress:", *progress_lines(progress, console)]
    return lines


def _short(value: Any, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diff_lines(
    changes: Sequence[Mapping[str, Any]], console: Console, *, verbose: bool = False
) -> list[str]:
    """The review diff: one line per change, grouped by section."""
    if not changes:
        return ["  (no changes: core.json already says all of this)"]
    lines: list[str] = []
    section = None
    for change in changes:
        if change.get("section") != section:
            section = change.get("section")
            lines.append(console.bold(f"  {section}"))
        kind = str(change.get("kind"))
        mark = KIND_MARK.get(kind, "?")
        colour = {"+": console.green, "-": console.red, "~": console.yellow}.get(mark)
        text = f"    {mark} {change.get('summary')}"
        lines.append(colour(text) if colour else text)
        if verbose:
            if kind in ("update", "remove"):
                lines.append(console.dim(f"        was: {_short(change.get('old'))}"))
            if kind in ("update", "add"):
                lines.append(console.dim(f"        now: {_short(change.get('new'))}"))
    return lines


def change_counts(changes: Iterable[Mapping[str, Any]]) -> str:
    counts = {"add": 0, "update": 0, "remove": 0}
    for change in changes:
        counts[str(change.get("kind"))] = counts.get(str(change.get("kind")), 0) + 1
    return f"{counts['add']} to add, {counts['update']} to update, {counts['remove']} to remove"


def backups_table(backups: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = [("BACKUP", "SAVED", "SIZE")]
    for item in backups:
        rows.append((str(item["name"]), when(str(item["stamp"])), f"{item['size']} bytes"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
