"""The terminal review shows what the extractor held back, so the person can add it."""

from __future__ import annotations

import io

from server.commands.common import Console
from server.commands.review import show_review
from server.config import default_config
from server.interview.extract_rules import extract_persona
from server.interview.model import ExtractionRequest, Turn


def test_the_review_lists_held_back_clauses() -> None:
    turn = Turn("q1", "goals", "Plans?", "I hope to sell the bakery in five years, God willing.")
    draft = extract_persona(ExtractionRequest("s", (turn,), default_config()))
    assert [goal.goal for goal in draft.goals] == ["sell the bakery in five years"]
    out = io.StringIO()
    ready = {"changes": [], "strategy": "merge", "draft": draft.model_dump(mode="json")}
    show_review(ready, Console(out, io.StringIO(), environ={"NO_COLOR": "1"}))
    assert "held back (religion): “God willing”, left out of “sell the bakery in five years”" in (
        out.getvalue()
    )
