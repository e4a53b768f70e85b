"""The interviewer's summary in the page: offered at a topic change, corrected by the person,
kept by the server; and a summary never says back what must not be echoed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.conftest import OpenPage
from tests.web.test_persona_page import MakeServer, answer, server_view

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

# Written for this test: a value the extractor understands, then an answer that teaches
# nothing, so the interviewer leaves the topic and summarizes it.
FIRST = "Patience matters a great deal to me; my neighbour Rosalind says I never rush anyone."
SECOND = "Hard to pick one moment, honestly, nothing specific comes to mind about it now."
CORRECTION = "Nearly: loyalty matters more to me than patience does."


def test_a_summary_is_corrected_in_the_page(
    make_server: MakeServer, open_page: OpenPage, profiles: Path, token: str
) -> None:
    server = make_server(PERSONAGEN_BUILTIN_PACE="0.002")
    page = open_page(server.url)
    page.get_by_role("button", name="Start a new interview").click()
    answer(page, FIRST)
    answer(page, SECOND)

    card = page.locator("#summaries .summary")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("So far I have: patience matters to you")
    expect(card).not_to_contain_text("Rosalind")  # another person's name is never echoed
    card.get_by_role("button", name="Correct it").click()
    box = card.get_by_label("Your correction, in your own words")
    box.fill(CORRECTION)
    # The next question ends meanwhile; the correction being typed keeps the focus and text.
    expect(page.locator("#current[data-state=asked]")).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_value(CORRECTION)
    card.get_by_role("button", name="Save correction").click()
    # The card leaves on summary.resolved (a shared machine may be slow: a longer wait).
    expect(page.locator("#summaries .summary")).to_have_count(0, timeout=15_000)

    summary = server_view(server, token)["summaries"][0]
    assert summary["resolution"]["verdict"] == "corrected"
    assert summary["resolution"]["text"] == CORRECTION

    # After a reload the answered summary stays answered.
    page.reload()
    page.locator(".banner").get_by_role("button", name="Resume").click()
    expect(page.locator("#current[data-state=asked]")).to_be_visible()
    expect(page.locator("#summaries .summary")).to_have_count(0)
