"""MI summaries over a real socket (``personagen serve`` in a subprocess): offered at a topic
change, corrected by the person, durable across kill -9, and the correction is in the draft."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from server.client import PersonagenClient
from tests.protocol_schema import checked_frames  # noqa: F401 (a fixture)
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.timeout(180), pytest.mark.usefixtures("checked_frames")]

# Written for this test. The first teaches the extractor a value, so the interviewer stays on
# values once; the second teaches nothing, so it moves on and summarizes values first.
FIRST = "Patience matters a great deal to me; I would rather wait than rush a good thing."
SECOND = "Hard to pick one moment, honestly, nothing specific comes to mind about it now."
CORRECTION = "Close, but loyalty matters most to me, more than anything else in my life."
FILLER = (
    "I spend my evenings restoring old wooden furniture, and I want to open a small workshop "
    "someday where I can teach other people how to repair what they already own."
)


async def next_of(client: PersonagenClient, *types: str, within: float = 30) -> dict[str, Any]:
    with anyio.fail_after(within):
        return await client.next_event(*types)


async def answer_next(client: PersonagenClient, session_id: str, text: str) -> dict[str, Any]:
    end = await next_of(client, "question.end")
    await client.request(
        "answer.submit", session_id=session_id, question_id=end["question_id"], text=text
    )
    return end


async def test_a_summary_at_a_topic_change_is_corrected_and_the_draft_follows(
    profiles: Path, token: str
) -> None:
    server = ServerProcess(profiles).start()
    try:
        async with PersonagenClient(server.ws_url, token, reconnect=False) as client:
            session_id = await client.start()
            first = await answer_next(client, session_id, FIRST)
            second = await answer_next(client, session_id, SECOND)
            assert first["category"] == second["category"] == "values"
            offered = await next_of(client, "summary.offered")
            assert offered["categories"] == ["values"]
            assert offered["question_ids"] == [first["question_id"], second["question_id"]]
            assert offered["text"].startswith("So far I have:")
            assert "patience matters to you" in offered["text"]
            following = await next_of(client, "question.start")
            assert following["category"] != "values"  # the summary came at the topic change
            assert following["seq"] > offered["seq"]

            ack = await client.request(
                "summary.correct",
                session_id=session_id,
                summary_id=offered["summary_id"],
                text=CORRECTION,
            )
            assert ack["type"] == "ack"
            resolved = await next_of(client, "summary.resolved")
            assert (resolved["verdict"], resolved["text"]) == ("corrected", CORRECTION)
        server.kill()  # kill -9 right after the ack: the correction must be on disk

        server.start()
        async with PersonagenClient(server.ws_url, token, reconnect=False) as client:
            await client.open(session_id)
            view = (await next_of(client, "session.snapshot"))["session"]
            summary = view["summaries"][0]
            assert summary["resolution"]["verdict"] == "corrected"
            assert summary["resolution"]["text"] == CORRECTION
            while not view["progress"]["complete"]:
                await answer_next(client, session_id, FILLER)
                view["progress"] = (await next_of(client, "progress"))["progress"]
            await client.request("review.request", session_id=session_id, strategy="merge")
            ready = await next_of(client, "review.ready", within=60)
        values = {item["value"]: item["evidence"] for item in ready["draft"]["values"]}
        assert "s1" in values.get("loyalty", []), values
    finally:
        server.stop()
