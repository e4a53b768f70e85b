"""Plain-text renderings of a session view (the dict ``LiveSession.view`` returns), shared by
the HTTP export and the command line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CATEGORY_NAMES = {
    "values": "values",
    "goals": "goals",
    "style": "style",
    "biography": "biography",
    "current_focus": "current focus",
}
STATE_TEXT = {
    "active": "in progress",
    "paused": "paused",
    "completed": "complete, not reviewed",
    "finalized": "waiting for your review",
    "applied": "applied",
    "discarded": "discarded",
    "unreadable": "unreadable",
}


def category_name(category: str) -> str:
    return CATEGORY_NAMES.get(category, category.replace("_", " "))


def transcript_markdown(view: Mapping[str, Any]) -> str:
    """The transcript as Markdown (``sessions export --format markdown``)."""
    state = str(view.get("state"))
    lines = [
        f"# Interview {view['session_id']}",
        "",
        f"- State: {STATE_TEXT.get(state, state)}",
        f"- Started: {view.get('created_at') or ''}",
        f"- Last active: {view.get('updated_at') or ''}",
        f"- Interviewer: {view.get('backend') or ''}",
        "",
    ]
    for question in view.get("questions") or []:
        lines += [f"## {question['id']} · {category_name(question['category'])}", ""]
        lines += [f"**Q:** {question['text']}", ""]
        answer = question.get("answer")
        if question.get("skipped"):
            lines += ["*(skipped)*", ""]
        elif answer is None:
            lines += ["*(not answered yet)*", ""]
        elif answer.get("crisis"):
            lines += ["*(set aside for safety; not used for the persona)*", ""]
        else:
            lines += [f"**A:** {answer['text']}", ""]
    return "\n".join(lines).rstrip() + "\n"
