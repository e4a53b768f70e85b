"""The interview as a chat: drafts that survive a crash, Enter to send, a composer that stays on
screen, and earlier answers edited in place. Debian's Chromium against a real server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from server.data import __file__ as data_init
from tests.server_process import ServerProcess
from tests.web.conftest import DESKTOP, OpenPage, PageWatch, screenshot
from tests.web.test_persona_page import ANSWER, current_question_id, server_view

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
MakeServer = Callable[..., ServerProcess]


def send_with_enter(page: Page, text: str) -> str:
    """Type an answer and press plain Enter; return the question's id once it is in the log."""
    qid = current_question_id(page)
    box = page.locator("#answer")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(f'#log li[data-question-id="{qid}"] .bubble.answer')).to_be_visible()
    return qid


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"]


# While the server is down the browser itself logs each refused connection attempt.
SERVER_DOWN = r"ERR_CONNECTION_REFUSED|Failed to load resource"


def test_draft_typed_before_kill_9_is_still_in_the_box_after_reconnect(
    make_server: MakeServer, open_page: OpenPage, token: str, watch: PageWatch
) -> None:
    watch.allow(SERVER_DOWN)
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.005")
    page = open_page(server.url)
    page.get_by_role("button", name="Start a new interview").click()
    current_question_id(page)
    typed = "Something I typed just before the server died,\nwith a second line"
    page.locator("#answer").fill(typed)
    expect(page.locator("#draft-status")).to_have_text("Draft saved")

    server.kill()
    page.wait_for_selector("body[data-connection=reconnecting], body[data-connection=offline]")
    server.start()
    page.wait_for_selector("body[data-connection=connected]", timeout=60_000)
    current_question_id(page)
    expect(page.locator("#answer")).to_have_value(typed)
    # "Draft saved" again only once the restarted server has acknowledged the text.
    expect(page.locator("#draft-status")).to_have_text("Draft saved")
    assert server_view(server, token)["draft"]["text"] == typed
    screenshot(page, "draft-after-restart-desktop")

    # A reload keeps it too (the server and this browser agree).
    page.reload()
    page.locator(".banner").get_by_role("button", name="Resume").click()
    expect(page.locator("#answer")).to_have_value(typed)


def test_draft_the_server_never_got_comes_back_from_this_browser(
    make_server: MakeServer, open_page: OpenPage, token: str, watch: PageWatch
) -> None:
    watch.allow(SERVER_DOWN)
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.005")
    page = open_page(server.url)
    page.get_by_role("button", name="Start a new interview").click()
    current_question_id(page)
    page.locator("#answer").fill("The saved beginning")
    expect(page.locator("#draft-status")).to_have_text("Draft saved")
    server.kill()
    # Typed while the server is down: only this browser has it.
    typed = "The saved beginning, and what I added while the server was down"
    page.locator("#answer").fill(typed)
    context = page.context
    page.close()
    server.start()
    # A new tab of the same browser: the server has the older text, this browser the newer.
    again = watch.attach(context.new_page())
    again.goto(server.url)
    again.locator(".banner").get_by_role("button", name="Resume").click()
    page = again
    expect(page.locator("#answer")).to_have_value(typed)
    expect(page.locator("#draft-status")).to_have_text("Draft saved")
    assert server_view(server, token)["draft"]["text"] == typed


def long_interview_config(folder: Path) -> str:
    """The shipped config with room for more than 12 answers before coverage ends it."""
    config: dict[str, Any] = json.loads(
        (Path(data_init).parent / "persona-generator.json").read_text(encoding="utf-8")
    )
    config["maxQuestionsPerSession"] = 20
    config["sessionDefaults"]["targetCategoryCompletionPercentage"] = 100
    path = folder / "long-interview.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return str(path)


def test_enter_sends_and_the_composer_stays_in_view_after_12_answers(
    make_server: MakeServer, open_page: OpenPage, tmp_path: Path
) -> None:
    server = make_server(
        PERSONAGEN_BUILTIN_PACE="0.0005",
        PERSONAGEN_INTERVIEW_CONFIG=long_interview_config(tmp_path),
    )
    page = open_page(server.url)
    page.get_by_role("button", name="Start a new interview").click()
    expect(page.locator("#answer-help")).to_contain_text(
        "Enter sends your answer; Shift+Enter starts a new line."
    )
    # Shift+Enter breaks the line and sends nothing.
    current_question_id(page)
    box = page.locator("#answer")
    box.fill("First line of my answer")
    box.press("Shift+Enter")
    box.type("second line of it")
    expect(box).to_have_value("First line of my answer\nsecond line of it")
    expect(page.locator("#log li")).to_have_count(0)
    box.press("Enter")
    answer_bubble = page.locator('#log li[data-question-id="q1"] .bubble.answer')
    expect(answer_bubble).to_contain_text("First line of my answer\nsecond line of it")
    # The line break is kept as text, not markup: two lines on screen, no <br> from the answer.
    assert answer_bubble.evaluate("node => node.querySelectorAll('br').length") == 0
    # Two lines tall once laid out (the log may redraw the bubble as the next frames arrive).
    page.wait_for_function(
        """() => {
            const node = document.querySelector('#log li[data-question-id="q1"] .bubble.answer');
            return node !== null && node.getBoundingClientRect().height > 40;
        }"""
    )

    for number in range(2, 13):
        send_with_enter(page, f"Answer number {number}: {ANSWER}")
    expect(page.locator("#log li .bubble.answer")).to_have_count(12)
    page.wait_for_selector("#current[data-state=asked]")
    assert in_viewport(page, "#composer"), "the composer must stay on screen"
    assert in_viewport(page, "#submit-button")
    # The page no longer grows with the conversation (it was ~2,500 px by question 9).
    assert page.evaluate("document.documentElement.scrollHeight") <= DESKTOP["height"] + 120
    conversation = page.locator("#conversation")
    assert conversation.evaluate("node => node.scrollHeight > node.clientHeight")
    screenshot(page, "chat-12-answers-desktop")

    # The setting: Ctrl+Enter sends, Enter is a new line.
    page.get_by_label("Send with Ctrl+Enter instead").check()
    expect(page.locator("#send-hint")).to_have_text(
        "Ctrl+Enter (⌘+Enter on a Mac) sends your answer; Enter starts a new line."
    )
    box.fill("With the setting on")
    box.press("Enter")
    expect(box).to_have_value("With the setting on\n")
    expect(page.locator("#log li .bubble.answer")).to_have_count(12)
    page.reload()
    expect(page.get_by_label("Send with Ctrl+Enter instead")).to_be_checked()


def test_an_earlier_answer_edited_from_the_page_changes_the_draft(
    make_server: MakeServer, open_page: OpenPage, token: str
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.0005")
    page = open_page(server.url)
    page.get_by_role("button", name="Start a new interview").click()
    for _ in range(7):
        send_with_enter(page, ANSWER)
    page.get_by_role("button", name="Finish early").click()
    page.get_by_role("button", name="Review your persona update").click()
    changes = page.locator("#change-list")
    expect(changes).to_contain_text("honesty")
    expect(changes).not_to_contain_text("generosity")
    page.locator("#review-close").click()

    q1 = page.locator('#log li[data-question-id="q1"]')
    q1.get_by_role("button", name="Edit your answer to question 1").click()
    edited = (
        "Generosity matters most to me: I give my time and attention freely to the people "
        "around me."
    )
    page.locator("#edit-text").fill(edited)
    page.get_by_role("button", name="Save the edit").click()
    expect(q1.locator(".bubble.answer")).to_have_text("Your answer: " + edited)
    expect(q1.locator(".edit-note")).to_contain_text("Edited (version 2)")
    expect(q1.locator(".edit-note")).to_contain_text("out of date")
    screenshot(page, "answer-edited-desktop")
    view = server_view(server, token)
    assert view["questions"][0]["answer"]["text"] == edited

    page.get_by_role("button", name="Review your persona update").click()
    expect(changes).to_contain_text("generosity")
