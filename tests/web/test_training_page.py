"""The "Training data" step in the browser: after the persona review, see what the export would
hold, leave a turn out, write it, and find exactly that on disk."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.interview.training import POLICY_VERSION
from tests.server_process import ServerProcess
from tests.web.conftest import OpenPage, screenshot
from tests.web.test_persona_page import ANSWER, answer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

WITH_ADDRESS = (
    "Home for me is the flat at 8 Juniper Street, where I learned that small routines carry "
    "you through busy weeks and that patience is worth practising."
)
LEAVE_OUT = (
    "I relax by cooking for friends on Sundays; a slow stew and a long table are my idea of a "
    "perfect evening, and I keep notes on every recipe."
)


def test_training_step_after_the_review_honours_an_exclusion(
    make_server: Callable[..., ServerProcess], open_page: OpenPage, profiles: Path
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.001")
    page = open_page(server.url)
    page.get_by_role("button", name="Start a new interview").click()
    answer(page, WITH_ADDRESS)
    answer(page, LEAVE_OUT)
    for _ in range(5):
        answer(page, ANSWER)
    page.get_by_role("button", name="Finish early").click()
    page.get_by_role("button", name="Review your persona update").click()
    expect(page.locator("#apply-button")).to_be_enabled()
    page.locator("#apply-button").click()
    page.locator("#review-result").get_by_role("button", name="Done").click()

    session_id = page.evaluate("() => document.body.dataset.sessionId || null") or ""
    page.get_by_role("button", name="Review the training data").click()
    dialog = page.locator("#training-dialog")
    expect(dialog).to_be_visible()
    first = dialog.locator('li[data-question-id="q1"]')
    expect(first).to_contain_text("Kept, with parts removed (address)")
    expect(first).to_contain_text("[address]")
    expect(dialog).not_to_contain_text("Juniper")
    expect(page.locator("#training-write")).to_have_text("Write 7 turns to the training file")

    dialog.get_by_label("Include q2 in the training file").uncheck()
    expect(dialog.locator('li[data-question-id="q2"]')).to_contain_text(
        "Left out (excluded by you)"
    )
    expect(page.locator("#training-write")).to_have_text("Write 6 turns to the training file")
    screenshot(page, "training-desktop")
    page.locator("#training-write").click()
    expect(page.locator("#training-result")).to_contain_text("6 turns written to")

    [path] = (profiles / "alice" / "memory" / "training" / "persona").glob("*.jsonl")
    assert not session_id or path.stem == session_id
    text = path.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["metadata"]["question_id"] for r in records] == ["q1", "q3", "q4", "q5", "q6", "q7"]
    assert "Juniper" not in text and "stew" not in text
    assert {r["metadata"]["policy"] for r in records} == {POLICY_VERSION}
