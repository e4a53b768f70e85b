"""The review a person can trust, "Your persona", the Server tab and the name, in Chromium
against a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.server_process import ServerProcess
from tests.web.conftest import SEED_PERSONA, OpenPage, core_json, screenshot
from tests.web.test_chat import send_with_enter
from tests.web.test_persona_page import ANSWER

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
MakeServer = Callable[..., ServerProcess]


def interview_to_review(page: Page) -> None:
    """Seven answers, finish early, open the review and wait for its changes."""
    page.get_by_role("button", name="Start a new interview").click()
    for _ in range(7):
        send_with_enter(page, ANSWER)
    page.get_by_role("button", name="Finish early").click()
    page.get_by_role("button", name="Review your persona update").click()
    expect(page.locator("#change-list li.change").first).to_be_visible()


def test_review_rows_ticks_rewording_apply_and_restore(
    make_server: MakeServer, open_page: OpenPage, profiles: Path
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.0005")
    page = open_page(server.url)
    interview_to_review(page)
    changes = page.locator("#change-list")

    # Rows read as sentences with where they come from; the JSON path is a detail.
    found = changes.locator("li.change", has_text="Add the value honesty")
    honesty = changes.locator(f'li[data-change-id="{found.get_attribute("data-change-id")}"]')
    expect(honesty).to_contain_text("from your answers to questions 1")
    expect(honesty.locator("details.path")).not_to_have_attribute("open", "")
    expect(honesty.locator("details.path code")).to_be_hidden()
    expect(changes).not_to_contain_text("Record the interview's evidence")
    expect(changes).to_contain_text("saved with it automatically")
    assert changes.locator("li.change", has_text="x-personagen").count() == 0

    # Unticking removes the change from the proposed side.
    diff = page.locator("#diff-box")
    expect(diff.locator("td.new").filter(has_text='"value": "kindness"').first).to_be_visible()
    kindness = changes.locator("li.change", has_text="Add the value kindness")
    kindness.locator("input[type=checkbox]").uncheck()
    expect(diff).to_have_attribute("data-selection", "chosen")
    expect(diff.locator("td.new").filter(has_text='"value": "kindness"')).to_have_count(0)
    total = changes.locator("li.change").count()
    expect(page.locator("#apply-button")).to_have_text(f"Apply {total - 1} of {total} changes")

    # Reword an item; the proposed side shows the new wording.
    honesty.get_by_role("button", name="Edit the wording").click()
    honesty.get_by_role("textbox", name="Value").fill("plain honesty")
    expect(diff.locator("td.new").filter(has_text='"value": "plain honesty"').first).to_be_visible()
    honesty.get_by_role("button", name="Done editing").click()
    expect(honesty).to_contain_text("Reworded by you")
    screenshot(page, "review-rows-desktop")

    page.locator("#apply-button").click()
    result = page.locator("#review-result")
    expect(result).to_contain_text("Applied: your persona is updated")
    expect(result).to_contain_text("1 item in your own wording")
    expect(page.locator("#review-note")).to_be_hidden()
    backup_link = result.locator("a.backup-link")
    expect(backup_link).to_contain_text("alice/persona/archive/core-")
    screenshot(page, "review-applied-desktop")

    written = core_json(profiles)
    values = [item["value"] for item in written["values"]["core"]]
    assert "plain honesty" in values and "honesty" not in values, values
    assert "kindness" not in values, "the unticked change must not be written"
    evidence = written["x-personagen"]["items"]
    assert evidence, "the evidence is kept without a checkbox"

    # "See your persona": what was applied, by section, and the history with restore.
    result.get_by_role("button", name="See your persona").click()
    sections = page.locator("#profile-sections")
    expect(sections.locator('[data-section="values"]')).to_contain_text("plain honesty")
    expect(page.locator("#backups-list li")).to_have_count(1)
    download = page.locator("#profile-download")
    expect(download).to_have_attribute("href", "/api/persona/download")
    screenshot(page, "persona-view-desktop")
    page.locator("#backups-list li").get_by_role("button", name="Restore").click()
    expect(page.locator("#restore-status")).to_contain_text("Restored core-")
    expect(sections.locator('[data-section="values"]')).not_to_contain_text("plain honesty")
    expect(sections.locator('[data-section="values"]')).to_contain_text("curiosity")
    assert core_json(profiles)["values"] == SEED_PERSONA["values"]
    expect(page.locator("#backups-list li")).to_have_count(2)


def test_first_interview_asks_the_name_and_strategies_explain_an_empty_persona(
    make_server: MakeServer, open_page: OpenPage, profiles: Path
) -> None:
    (profiles / "alice" / "persona" / "core.json").unlink()
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.0005")
    page = open_page(server.url)
    expect(page.locator("#who-name")).to_have_text("alice")
    name_box = page.get_by_label("What is your name?")
    expect(name_box).to_be_visible()
    name_box.fill("Sam Rivera")
    screenshot(page, "start-with-name-desktop")
    interview_to_review(page)
    expect(page.locator("#who-name")).to_have_text("Sam Rivera (alice)")
    assert core_json(profiles)["identity"]["name"] == "Sam Rivera"
    note = page.locator("#strategy-same")
    expect(note).to_contain_text("Your persona is empty so far")
    page.get_by_label("Append").check()
    expect(page.locator("#diff-box")).to_have_attribute("data-strategy", "append")
    expect(note).to_contain_text("Merge, Replace and Append all give the same result")

    # The training prompt uses the name, not the login: apply, then write the training data.
    page.locator("#apply-button").click()
    page.locator("#review-result").get_by_role("button", name="Done").click()
    page.get_by_role("button", name="Review the training data").click()
    page.locator("#training-write").click()
    expect(page.locator("#training-result")).to_contain_text("written to")
    page.locator("#training-dialog").get_by_role("button", name="Close").click()
    training = next((profiles / "alice" / "memory" / "training" / "persona").glob("*.jsonl"))
    first = json.loads(training.read_text(encoding="utf-8").splitlines()[0])
    assert "Sam Rivera" in json.dumps(first)
    assert "You are alice" not in json.dumps(first)

    # Renaming later, in "Your persona".
    page.get_by_role("tab", name="Your persona").click()
    page.get_by_label("Your name, as your persona uses it").fill("Sam R.")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#name-status")).to_have_text("Saved: your persona calls you Sam R..")
    expect(page.locator("#who-name")).to_have_text("Sam R. (alice)")


def test_tabs_are_real_server_tab_and_no_placeholder(
    make_server: MakeServer, open_page: OpenPage
) -> None:
    server = make_server()
    page = open_page(server.url)
    tabs = page.locator("#main-tabs [role=tab]")
    expect(tabs).to_have_text(["Persona", "Server"])
    expect(page.locator("body")).not_to_contain_text("Not built yet")
    page.get_by_role("tab", name="Server").click()
    expect(page.locator("#server-backend")).to_have_text("built-in question bank")
    expect(page.locator("#server-reason")).to_contain_text("Why:")
    expect(page.locator("#server-ollama")).to_contain_text("Not reachable")
    expect(page.locator("#server-pull")).to_contain_text("ollama pull llama3.1:8b")
    expect(page.locator("#server-live")).to_contain_text("in memory on this server")
    screenshot(page, "server-tab-desktop")
    page.get_by_role("tab", name="Persona", exact=True).click()
    page.get_by_role("tab", name="Your persona").click()
    expect(page.locator("#profile-sections")).to_contain_text("curiosity")
    for text in (page.content(),):
        assert "Not built yet" not in text
    favicon = page.request.get(f"{server.url}/favicon.ico")
    assert favicon.status == 200
