"""What the review writes: the selection endpoint and ``review.apply`` with ticks and edits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server_process import create_user
from tests.test_app import (
    answer as submit_answer,
    bearer,
    make_client,
    opened,
    small_config,
    start_session,
)

VALUES_ANSWER = (
    "I care about honesty and about doing careful work; I treat people with patience and "
    "kindness every day."
)


@pytest.fixture
def alice(profiles: Path) -> str:
    return create_user(profiles, "alice")


@pytest.fixture
def client(profiles: Path, alice: str) -> Iterator[TestClient]:
    with make_client(profiles, config=small_config()) as test_client:
        yield test_client


def finalized_review(client: TestClient, alice: str) -> tuple[str, dict[str, Any]]:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        submit_answer(ws, session_id, end["question_id"], VALUES_ANSWER)
        ws.request({"type": "session.finish", "id": "finish", "session_id": session_id})
        ws.request({"type": "review.request", "id": "review", "session_id": session_id})
        return session_id, ws.receive_type("review.ready")


def value_change(ready: dict[str, Any], value: str) -> dict[str, Any]:
    return next(
        c
        for c in ready["changes"]
        if c["section"] == "values.core"
        and isinstance(c["new"], dict)
        and c["new"]["value"] == value
    )


def values_of(persona: dict[str, Any]) -> list[str]:
    return [item["value"] for item in persona["values"]["core"]]


def test_selection_shows_what_apply_writes_and_apply_writes_it(
    client: TestClient, alice: str, profiles: Path
) -> None:
    session_id, ready = finalized_review(client, alice)
    honesty, kindness = value_change(ready, "honesty"), value_change(ready, "kindness")
    visible = [c["id"] for c in ready["changes"] if not c["section"].startswith("x-personagen")]
    chosen = [i for i in visible if i != kindness["id"]]
    body = {
        "strategy": "merge",
        "base_digest": ready["base_digest"],
        "change_ids": chosen,
        "edits": {honesty["id"]: {"value": "plain honesty"}},
    }
    url = f"/api/sessions/{session_id}/selection"
    selection = client.post(url, headers=bearer(alice), json=body)
    assert selection.status_code == 200, selection.text
    shown = selection.json()["persona"]
    assert "plain honesty" in values_of(shown) and "kindness" not in values_of(shown)
    # The evidence changes were added without being asked for.
    assert len(selection.json()["change_ids"]) > len(chosen)
    assert not (profiles / "alice" / "persona" / "core.json").exists(), "a selection writes nothing"

    with opened(client, alice) as ws:
        ws.request({"type": "session.open", "id": "open", "session_id": session_id})
        ack = ws.request({"type": "review.apply", "id": "apply", "session_id": session_id, **body})
        assert ack["type"] == "ack", ack
    written = json.loads((profiles / "alice" / "persona" / "core.json").read_text())
    assert values_of(written) == values_of(shown)
    assert written["values"]["core"] == shown["values"]["core"]
    assert written["x-personagen"]["items"], "the evidence is written with the items"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"priority": "x"}, "'priority' is not a text field"),
        ({"value": ""}, "needs 1 to 2000 characters"),
    ],
)
def test_bad_edits_are_refused_and_nothing_is_written(
    client: TestClient, alice: str, profiles: Path, edit: dict[str, str], message: str
) -> None:
    session_id, ready = finalized_review(client, alice)
    honesty = value_change(ready, "honesty")
    body = {
        "strategy": "merge",
        "base_digest": ready["base_digest"],
        "change_ids": None,
        "edits": {honesty["id"]: edit},
    }
    refused = client.post(f"/api/sessions/{session_id}/selection", headers=bearer(alice), json=body)
    assert refused.status_code == 400
    assert message in refused.json()["error"]["message"]
    with opened(client, alice) as ws:
        ws.request({"type": "session.open", "id": "open", "session_id": session_id})
        reply = ws.request(
            {"type": "review.apply", "id": "apply", "session_id": session_id, **body}
        )
    assert reply["code"] == "invalid_input" and message in reply["message"]
    assert not (profiles / "alice" / "persona" / "core.json").exists()
    shape = client.post(f"/api/sessions/{session_id}/selection", headers=bearer(alice), json=[])
    assert shape.status_code == 400 and "expected a JSON object" in shape.text
