"""The Persona tab in Debian's Chromium against a real ``personagen serve`` subprocess.

What a person does, end to end: log in, interview, reload, pause, finish, review, apply; plus
the moments that go wrong: a network drop mid-question, two devices typing at once, a crisis,
a stale review, an interviewer stopped halfway.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from playwright.sync_api import Page, expect

from server.client import PersonagenClient
from tests.fake_ollama import FakeOllama, Reply
from tests.server_process import ServerProcess
from tests.web.conftest import (
    DESKTOP,
    PHONE,
    OpenPage,
    PageWatch,
    core_json,
    run_async,
    screenshot,
    stream_log,
)
from tests.web.proxy import CuttableProxy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

ANSWER = (
    "I care about honesty and about doing careful work; I would rather be slow and right "
    "than quick and sloppy, and I try to treat people with patience and kindness every day."
)
MakeServer = Callable[..., ServerProcess]


# -- helpers ------------------------------------------------------------------------------------


def current_question_id(page: Page) -> str:
    """Wait until a question is open for an answer; return its id."""
    page.wait_for_selector("#current[data-state=asked]")
    qid = page.locator("#current-text").get_attribute("data-question-id")
    assert qid
    return qid


def answer(page: Page, text: str = ANSWER) -> str:
    """Answer the open question with the keyboard (Ctrl+Enter); return its id."""
    qid = current_question_id(page)
    box = page.locator("#answer")
    box.fill(text)
    box.press("Control+Enter")
    expect(page.locator(f'#log li[data-question-id="{qid}"] .bubble.answer')).to_be_visible()
    return qid


def server_view(server: ServerProcess, token: str) -> dict[str, Any]:
    """The newest session as the server sees it (GET /api/sessions/{id})."""
    sessions = server.get("/api/sessions", token=token)["sessions"]
    view: dict[str, Any] = server.get(f"/api/sessions/{sessions[0]['session_id']}", token=token)
    return view


def final_text(server: ServerProcess, token: str, qid: str) -> str:
    for question in server_view(server, token)["questions"]:
        if question["id"] == qid:
            return str(question["text"])
    raise AssertionError(f"the server has no question {qid}")


def assert_streamed_as_prefixes(entries: list[dict[str, Any]], qid: str, final: str) -> list[int]:
    """Every text the page showed for ``qid`` was a growing prefix of the final text."""
    shown = [entry["text"] for entry in entries if entry["qid"] == qid]
    assert shown, f"the page never showed {qid}"
    for text in shown:
        assert final.startswith(text), (
            f"{text!r} is not a prefix of {final!r}: duplicated or lost text"
        )
    streamed = [len(e["text"]) for e in entries if e["qid"] == qid and e["state"] == "streaming"]
    assert streamed == sorted(streamed), "streamed text shrank"
    assert shown[-1] == final
    return streamed


def take_screenshots(page: Page, name: str, scroller: str | None = None) -> None:
    """``<name>-desktop``, ``-desktop-dark`` and ``-phone`` from the top of the page or dialog."""

    def to_top() -> None:
        page.evaluate("window.scrollTo(0, 0)")
        if scroller:
            page.locator(scroller).evaluate("node => { node.scrollTop = 0; }")

    to_top()
    screenshot(page, f"{name}-desktop")
    page.emulate_media(color_scheme="dark")
    screenshot(page, f"{name}-desktop-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(PHONE)
    no_horizontal_scroll(page)
    to_top()
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"page is {width}px wide at {viewport['width']}px"


# -- the whole journey ----------------------------------------------------------------------------


def test_whole_interview_in_the_browser(
    make_server: MakeServer, open_page: OpenPage, profiles: Path, token: str
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.08")
    page = open_page(server.url)

    # The shell: who (name and login), which interviewer, connection state, Persona → Interview.
    expect(page.locator("#who-name")).to_have_text("Alice (alice)")
    expect(page.locator("#interviewer-label")).to_have_text("built-in question bank")
    expect(page.locator("#conn")).to_have_text("Connected")
    expect(page.get_by_role("tab", name="Persona", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_role("tab", name="Interview")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#current")).to_have_attribute("aria-live", "polite")

    # Start, and watch the first question stream in.
    page.get_by_role("button", name="Start a new interview").click()
    q1 = current_question_id(page)
    streamed = assert_streamed_as_prefixes(stream_log(page), q1, final_text(server, token, q1))
    assert len(set(streamed)) >= 3, f"the question should appear piece by piece, saw {streamed}"

    # The answer box shows the limits while typing; markup in an answer stays text.
    box = page.locator("#answer")
    box.fill("Too short")
    expect(page.locator("#answer-count")).to_have_text(
        "9 / 2000 characters · at least 20 (11 more)"
    )
    expect(page.get_by_role("button", name="Send answer")).to_be_disabled()
    answer(page)

    # Reload while the second question is streaming: the banner offers to resume, and the
    # question continues where it was, without doubled or missing text.
    page.wait_for_function(
        """() => document.getElementById("current").dataset.state === "streaming"
              && document.getElementById("current-text").dataset.questionId === "q2"
              && document.getElementById("current-text").textContent.length > 5"""
    )
    page.reload()
    banner = page.locator(".banner")
    expect(banner).to_contain_text("You have an unfinished interview (1 of 15 answered)")
    # While it waits, Resume is the main button, not starting another interview.
    expect(banner.get_by_role("button", name="Resume")).to_have_class(re.compile(r"\bprimary\b"))
    another = page.get_by_role("button", name="Start another interview")
    expect(another).to_be_visible()
    expect(another).not_to_have_class(re.compile(r"\bprimary\b"))
    banner.get_by_role("button", name="Resume").click()
    q2 = current_question_id(page)
    assert q2 == "q2"
    entries = stream_log(page)
    assert any(e["qid"] == q2 and e["state"] == "streaming" and e["text"] for e in entries), (
        "the resumed page should pick the question up mid-stream"
    )
    assert_streamed_as_prefixes(entries, q2, final_text(server, token, q2))
    expect(page.locator('#log li[data-question-id="q1"]')).to_have_count(1)
    expect(page.locator("#current-text")).to_have_text(final_text(server, token, q2))

    # A draft is saved while typing and comes back after a reload.
    box.fill("A draft that has to survive a reload")
    expect(page.locator("#draft-status")).to_have_text("Draft saved")
    page.reload()
    page.locator(".banner").get_by_role("button", name="Resume").click()
    expect(page.locator("#answer")).to_have_value("A draft that has to survive a reload")
    answer(page)

    # Screenshots: desktop (light and dark) and phone width.
    current_question_id(page)
    page.locator("#answer").fill("The people I work with would probably say I am")
    take_screenshots(page, "interview")

    # Pause and resume.
    current_question_id(page)
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#session-status")).to_contain_text("Paused by you")
    expect(page.get_by_role("button", name="Send answer")).to_be_disabled()
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#session-status")).to_contain_text("In progress")

    # Answer until finishing early is allowed (requireMinimumAnswers = 7).
    expect(page.get_by_role("button", name="Finish early")).to_be_hidden()
    for _ in range(4):
        answer(page)
    # Each bar says what the server's completion rule says is left for its category.
    progress = server_view(server, token)["progress"]
    for item in progress["categories"]:
        row = page.locator(f'#progress-list li[data-category="{item["category"]}"]')
        expect(row.locator(".percent")).to_have_text(f"{item['percent']} %")
        # Coverage is what was understood, and the row says so.
        got = item["understood"]
        said = f"{got} item{'s' * (got != 1)} understood" if got else "Nothing understood yet"
        left = item["remaining_items"]
        sentence = f"{said} · covered" if item["covered"] else f"{said}; {left} more to cover"
        expect(row.locator(".remaining")).to_contain_text(sentence)
    expect(page.locator("#progress-message")).to_have_text(progress["message"])
    answer(page)
    expect(page.locator("#progress-summary")).to_contain_text("7 of up to 15")

    page.get_by_role("button", name="Finish early").click()
    expect(page.locator("#done-panel")).to_be_visible()
    page.get_by_role("button", name="Review your persona update").click()

    # The review: transcript, evidence, strategies, per-change checkboxes, side-by-side diff.
    dialog = page.locator("#review-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#diff-box")).to_have_attribute("data-strategy", "merge")
    changes = page.locator("#change-list")
    expect(changes).to_contain_text("Add the value honesty")
    expect(changes).not_to_contain_text("curiosity")
    take_screenshots(page, "review", scroller="#review-dialog")
    expect(page.locator("#review-transcript")).to_contain_text(final_text(server, token, "q1"))
    expect(page.locator("#review-transcript")).to_contain_text(ANSWER)
    expect(page.locator("#strategy-set")).to_contain_text("anything it did not mention stays")
    evidence = page.locator("#draft-box details").first
    evidence.locator("summary").click()
    expect(evidence).to_contain_text("Q1 " + final_text(server, token, "q1"))
    merge_summary = page.locator("#diff-summary").text_content()

    page.get_by_label("Replace").check()
    expect(page.locator("#diff-box")).to_have_attribute("data-strategy", "replace")
    expect(changes).to_contain_text("Remove the value curiosity")
    assert page.locator("#diff-summary").text_content() != merge_summary
    expect(page.locator("#diff-box td.old").filter(has_text="curiosity").first).to_be_visible()

    kindness = changes.locator("li", has_text="Add the value kindness").locator("input")
    kindness.uncheck()
    total = changes.locator("input[type=checkbox]").count()
    expect(page.locator("#apply-button")).to_have_text(f"Apply {total - 1} of {total} changes")
    changes.scroll_into_view_if_needed()
    screenshot(page, "review-changes-desktop")
    page.locator("#diff-title").scroll_into_view_if_needed()
    page.locator("#diff-title").evaluate("node => node.scrollIntoView({block: 'start'})")
    screenshot(page, "review-diff-desktop")
    page.set_viewport_size(PHONE)
    page.locator("#diff-title").evaluate("node => node.scrollIntoView({block: 'start'})")
    screenshot(page, "review-diff-phone")
    page.set_viewport_size(DESKTOP)

    page.locator("#apply-button").click()
    result = page.locator("#review-result")
    expect(result).to_contain_text("alice/persona/archive/core-")
    expect(result).to_contain_text("personagen persona restore core-")
    values = [item["value"] for item in core_json(profiles)["values"]["core"]]
    assert "honesty" in values and "patience" in values, values
    assert "kindness" not in values, "the unticked change must not be applied"
    assert "curiosity" not in values, "replace should have removed the old value"
    backups = list((profiles / "alice" / "persona" / "archive").glob("core-*.json"))
    assert len(backups) == 1 and "curiosity" in backups[0].read_text()

    result.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#done-title")).to_have_text("Applied to your persona")
    expect(page.locator("#history-list li").first).to_contain_text("Applied to your persona")


# -- failure and edge paths -----------------------------------------------------------------------


def test_network_drop_mid_question_resumes_by_seq(
    make_server: MakeServer, open_page: OpenPage, token: str
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.1")
    with CuttableProxy(server.port) as proxy:
        page = open_page(proxy.url)
        page.get_by_role("button", name="Start a new interview").click()
        answer(page)
        page.wait_for_function(
            """() => document.getElementById("current").dataset.state === "streaming"
                  && document.getElementById("current-text").textContent.length > 5"""
        )
        assert proxy.cut() >= 1
        page.wait_for_selector("body[data-connection=reconnecting]")
        expect(page.locator("#conn")).to_contain_text("Reconnecting")
        # Reading what is there is never blocked while reconnecting.
        expect(page.locator('#log li[data-question-id="q1"]')).to_be_visible()
        page.wait_for_selector("body[data-connection=connected]")
        qid = current_question_id(page)
        assert qid == "q2"
        entries = stream_log(page)
        assert_streamed_as_prefixes(entries, qid, final_text(server, token, qid))
        replays = page.evaluate("document.body.dataset.replays")
        assert replays and int(replays) >= 1, "the page should resume by seq, not by snapshot"
        expect(page.locator("#log li")).to_have_count(1)
        answer(page)
        expect(page.locator("#progress-summary")).to_contain_text("2 of up to 15")

        # Typing that was not saved yet when the connection dropped is saved after it.
        current_question_id(page)
        box = page.locator("#answer")
        box.fill("Typed before the drop")
        expect(page.locator("#draft-status")).to_have_text("Draft saved")
        box.fill("Typed before the drop, and a little more")
        expect(page.locator("#draft-status")).to_have_text("Unsaved changes")
        proxy.cut()
        page.wait_for_selector("body[data-connection=connected]")
        expect(page.locator("#draft-status")).to_have_text("Draft saved")
        expect(page.locator("#draft-conflict")).to_be_hidden()
        draft = server_view(server, token)["draft"]
        assert draft["text"] == "Typed before the drop, and a little more"


def test_two_devices_share_a_draft_and_a_conflict_is_shown(
    make_server: MakeServer, open_page: OpenPage
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.01")
    laptop = open_page(server.url)
    laptop.get_by_role("button", name="Start a new interview").click()
    current_question_id(laptop)
    phone = open_page(server.url, viewport=PHONE)
    phone.locator(".banner").get_by_role("button", name="Resume").click()
    current_question_id(phone)

    laptop.locator("#answer").fill("First thoughts, typed on the laptop")
    expect(laptop.locator("#draft-status")).to_have_text("Draft saved")
    expect(phone.locator("#answer")).to_have_value("First thoughts, typed on the laptop")
    expect(phone.locator("#draft-status")).to_have_text("Updated from another tab or device")

    # Both type before either has heard of the other: one of them must be told, not overwritten.
    phone.locator("#answer").fill("The phone's version of my answer")
    laptop.locator("#answer").fill("The laptop's version of my answer")
    conflicted = None
    for _ in range(100):
        for page in (laptop, phone):
            if page.locator("#draft-conflict").is_visible():
                conflicted = page
        if conflicted:
            break
        laptop.wait_for_timeout(100)
    assert conflicted is not None, "a concurrent edit must be shown as a conflict"
    other = phone if conflicted is laptop else laptop
    mine = conflicted.locator("#answer").input_value()
    expect(conflicted.locator("#draft-conflict-other")).to_have_text(
        other.locator("#answer").input_value()
    )
    screenshot(conflicted, "draft-conflict")
    conflicted.get_by_role("button", name="Keep mine").click()
    expect(conflicted.locator("#draft-conflict")).to_be_hidden()
    expect(conflicted.locator("#draft-status")).to_have_text("Draft saved")
    expect(other.locator("#answer")).to_have_value(mine)


def test_crisis_answer_pauses_with_resources_and_resumes_only_on_choice(
    make_server: MakeServer, open_page: OpenPage
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.01")
    page = open_page(server.url)
    page.get_by_role("button", name="Start a new interview").click()
    answer(page, "Honestly, lately I feel hopeless and I keep thinking about ending my life.")
    crisis = page.locator("#crisis")
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("988")
    expect(crisis).to_be_focused()
    screenshot(page, "crisis-desktop")
    expect(page.locator("#composer")).to_be_hidden()
    expect(page.get_by_role("button", name="Resume", exact=True)).to_be_hidden()
    page.wait_for_timeout(500)
    expect(page.locator("#current")).to_be_hidden()  # no new question while paused
    page.get_by_role("button", name="I want to continue the interview").click()
    expect(crisis).to_be_hidden()
    assert current_question_id(page) == "q2"


def test_history_read_only_transcript_review_reopen_and_apply_conflict(
    make_server: MakeServer, open_page: OpenPage, profiles: Path, token: str
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0")
    applied_id, finalized_id = run_async(_prepare_two_sessions, server.ws_url, token)

    page = open_page(server.url)
    expect(page.locator(".banner")).to_contain_text(
        "An interview is waiting for your review (7 answered)"
    )
    history = page.locator("#history-list")
    expect(history.locator("li")).to_have_count(2)
    screenshot(page, "banner-and-history-desktop")
    applied = history.locator(f'li[data-session-id="{applied_id}"]')
    expect(applied).to_contain_text("Applied to your persona")
    # Finishing early can race with the next question being asked: take the count from the server.
    summaries = {s["session_id"]: s for s in server.get("/api/sessions", token=token)["sessions"]}
    asked = summaries[applied_id]["asked"]
    expect(applied).to_contain_text(f"7 answered of {asked} asked")

    # A finished interview opens read-only, as a transcript.
    applied.get_by_role("button", name="Read").click()
    transcript = page.locator("#transcript-dialog")
    expect(transcript).to_be_visible()
    expect(transcript.locator("#transcript-list li")).to_have_count(asked)
    expect(transcript).to_contain_text(ANSWER)
    expect(transcript).to_contain_text("personagen persona restore core-")
    transcript.get_by_role("button", name="Close").click()
    expect(transcript).to_be_hidden()

    # A finalized one reopens its review; core.json changing underneath is a conflict.
    # (Edited by hand first, so that the second interview has something left to add.)
    core = profiles / "alice" / "persona" / "core.json"
    core.write_text('{"values": {"core": [{"value": "gardening"}]}}', encoding="utf-8")
    history.locator(f'li[data-session-id="{finalized_id}"]').get_by_role(
        "button", name="Review"
    ).click()
    expect(page.locator("#diff-box")).to_have_attribute("data-strategy", "merge")
    expect(page.locator("#apply-button")).to_be_enabled()
    core.write_text(
        '{"identity": {"name": "Alice"}, "values": {"core": [{"value": "edited by hand"}]}}',
        encoding="utf-8",
    )
    page.locator("#apply-button").click()
    expect(page.locator("#review-conflict")).to_be_visible()
    expect(page.locator("#review-conflict")).to_contain_text("core.json changed")
    page.get_by_role("button", name="Refresh the review").click()
    expect(page.locator("#review-conflict")).to_be_hidden()
    expect(page.locator("#diff-box")).to_contain_text("edited by hand")
    page.locator("#apply-button").click()
    expect(page.locator("#review-result")).to_contain_text("written to your core.json")
    values = [item["value"] for item in core_json(profiles)["values"]["core"]]
    assert "edited by hand" in values and "honesty" in values


async def _prepare_two_sessions(ws_url: str, token: str) -> tuple[str, str]:
    """One applied interview and one finalized, unapplied one, made over the protocol."""
    ids = []
    async with PersonagenClient(ws_url, token) as client:
        for apply in (True, False):
            session_id = await client.start()
            for _ in range(7):
                with anyio.fail_after(20):
                    end = await client.next_event("question.end")
                await client.request(
                    "answer.submit",
                    session_id=session_id,
                    question_id=end["question_id"],
                    text=ANSWER,
                )
            await client.request("session.finish", session_id=session_id)
            await client.request("review.request", session_id=session_id, strategy="merge")
            with anyio.fail_after(20):
                ready = await client.next_event("review.ready")
            if apply:
                await client.request(
                    "review.apply",
                    session_id=session_id,
                    strategy="merge",
                    base_digest=ready["base_digest"],
                )
            ids.append(session_id)
    return ids[0], ids[1]


def test_ollama_interviewer_streams_stops_and_asks_again(
    make_server: MakeServer, open_page: OpenPage, fake_ollama: FakeOllama
) -> None:
    fake_ollama.script(
        Reply(
            "When you think about the choices you are proudest of, what values were guiding "
            "you in those moments?",
            token_delay=0.25,
        )
    )
    server = make_server(PERSONAGEN_BACKEND="ollama", PERSONAGEN_OLLAMA_HOST=fake_ollama.url)
    page = open_page(server.url)
    expect(page.locator("#interviewer-label")).to_have_text("Ollama model llama3.1:8b")
    page.get_by_role("button", name="Start a new interview").click()
    page.wait_for_function(
        """() => document.getElementById("current-text").textContent.split(" ").length >= 3"""
    )
    page.get_by_role("button", name="Stop this question").click()
    expect(page.locator("#current-notice")).to_have_text("You stopped this question.")
    fake_ollama.script(Reply("What principles guide your biggest decisions at work and at home?"))
    page.get_by_role("button", name="Ask again").click()
    assert current_question_id(page) == "q1"
    expect(page.locator("#current-text")).to_have_text(
        "What principles guide your biggest decisions at work and at home?"
    )
    answer(page)
    expect(page.locator("#progress-summary")).to_contain_text("1 of up to 15")

    # The Server tab: Ollama reachable, the models it has, no pull hint, one live interview.
    page.get_by_role("tab", name="Server").click()
    expect(page.locator("#server-backend")).to_have_text("Ollama model llama3.1:8b")
    expect(page.locator("#server-reason")).to_contain_text("backend set to ollama")
    expect(page.locator("#server-ollama")).to_contain_text("Reachable")
    expect(page.locator("#server-models")).to_contain_text("Models pulled: llama3.1:8b")
    expect(page.locator("#server-models")).to_contain_text("(available)")
    expect(page.locator("#server-pull")).to_be_hidden()
    expect(page.locator("#server-live")).to_contain_text("1 interview in memory")
    screenshot(page, "server-tab-ollama-desktop")


def test_logged_out_visitor_gets_a_login_link(
    make_server: MakeServer, open_page: OpenPage, watch: PageWatch
) -> None:
    server = make_server()
    page = open_page(server.url, login=False)
    page.goto(server.url + "/")
    panel = page.locator("#login-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("link", name="log in with your token")).to_have_attribute(
        "href", "/login"
    )
    expect(page.locator("#panel-persona")).to_be_hidden()
    expect(page.locator("#panel-server")).to_be_hidden()
    # A clear "log in", not a dead connection, and no failed request in the console.
    expect(page.locator("#conn")).to_have_text("Not logged in")
    expect(page.locator("body")).not_to_contain_text("Disconnected")
    screenshot(page, "logged-out-desktop")


def test_keyboard_only_start_and_answer(make_server: MakeServer, open_page: OpenPage) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.01")
    page = open_page(server.url)
    start = page.get_by_role("button", name="Start a new interview")
    for _ in range(30):
        page.keyboard.press("Tab")
        if start.evaluate("node => node === document.activeElement"):
            break
    expect(start).to_be_focused()
    page.keyboard.press("Enter")
    current_question_id(page)
    expect(page.locator("#answer")).to_be_focused()  # focus moves to the answer box
    # Markup in an answer is shown as text, never parsed.
    tricky = "<b>Honesty</b> & <img src=x onerror=alert(1)> " + ANSWER
    page.keyboard.type(tricky)
    page.keyboard.press("Control+Enter")
    expect(page.locator('#log li[data-question-id="q1"] .bubble.answer')).to_have_text(
        re.compile(re.escape(tricky))
    )
    assert page.locator("#log b, #log img").count() == 0
