"""Disk faults: a full or failing disk is a clear, retryable error; nothing saved is damaged."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient, WebSocketTestSession

from server.app import create_app
from server.llm.builtin import BuiltinInterviewer
from server.settings import Settings

ANSWER = "Honesty matters most to me, and I value patience at home and at work."


@pytest.fixture
def client(profiles: Path) -> Iterator[TestClient]:
    app = create_app(Settings(profiles_dir=profiles), interviewer=BuiltinInterviewer(pace=0))
    with TestClient(app) as test_client:
        yield test_client


def receive_until(
    ws: WebSocketTestSession, kind: str, request_id: str | None = None
) -> dict[str, Any]:
    for _ in range(200):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind and (request_id is None or frame.get("id") == request_id):
            return frame
    raise AssertionError(f"no {kind} frame")


def failing_fsync(code: int) -> Any:
    def fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    return fsync


@pytest.mark.timeout(30)
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_failed_journal_write_is_a_retryable_error_and_loses_nothing(
    client: TestClient, token: str, profiles: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "token": token})
        receive_until(ws, "welcome")
        ws.send_json({"type": "session.start", "id": "s1"})
        session_id = receive_until(ws, "ack", "s1")["session_id"]
        receive_until(ws, "question.end")
        journal = profiles / "alice" / "persona" / "interviews" / f"{session_id}.jsonl"
        before = journal.read_bytes()

        monkeypatch.setattr("server.store.os.fsync", failing_fsync(code))
        ws.send_json(
            {
                "type": "answer.submit",
                "id": "a1",
                "session_id": session_id,
                "question_id": "q1",
                "text": ANSWER,
            }
        )
        error = receive_until(ws, "error", "a1")
        assert error["code"] == "storage_error"
        assert error["retryable"] is True
        assert errno.errorcode[code] in error["message"]
        assert str(profiles) not in error["message"], "no absolute server paths in errors"
        assert journal.read_bytes() == before, "a failed append is cut back, not half-written"

        monkeypatch.undo()
        ws.send_json(
            {
                "type": "answer.submit",
                "id": "a2",
                "session_id": session_id,
                "question_id": "q1",
                "text": ANSWER,
            }
        )
        ack = receive_until(ws, "ack", "a2")
        assert ack["session_id"] == session_id
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    answers = [line for line in lines if line["type"] == "answer_recorded"]
    assert [a["answer"]["text"] for a in answers] == [ANSWER]


@pytest.mark.timeout(30)
def test_failed_persona_write_keeps_the_old_core_json(
    client: TestClient, token: str, profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = profiles / "alice" / "persona" / "core.json"
    core.parent.mkdir(parents=True, exist_ok=True)
    original = json.dumps({"identity": {"name": "Alice"}, "values": {"core": []}})
    core.write_text(original)
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "token": token})
        welcome = receive_until(ws, "welcome")
        minimum = welcome["config"]["min_answers"]
        ws.send_json({"type": "session.start", "id": "s1"})
        session_id = receive_until(ws, "ack", "s1")["session_id"]
        for number in range(1, minimum + 1):
            end = receive_until(ws, "question.end")
            ws.send_json(
                {
                    "type": "answer.submit",
                    "id": f"a{number}",
                    "session_id": session_id,
                    "question_id": end["question_id"],
                    "text": ANSWER,
                }
            )
            receive_until(ws, "ack", f"a{number}")
        ws.send_json({"type": "session.finish", "id": "f", "session_id": session_id})
        receive_until(ws, "ack", "f")
        ws.send_json(
            {"type": "review.request", "id": "r", "session_id": session_id, "strategy": "merge"}
        )
        ready = receive_until(ws, "review.ready")

        real_replace = os.replace

        def replace(source: Any, target: Any) -> None:
            if str(target).endswith("core.json"):
                raise OSError(errno.ENOSPC, "No space left on device")
            real_replace(source, target)

        monkeypatch.setattr("server.store.os.replace", replace)
        ws.send_json(
            {
                "type": "review.apply",
                "id": "p",
                "session_id": session_id,
                "strategy": "merge",
                "base_digest": ready["base_digest"],
            }
        )
        error = receive_until(ws, "error", "p")
        assert error["code"] == "storage_error"
        assert core.read_text() == original
        assert not [p for p in core.parent.iterdir() if p.name.startswith(".core.json")]
        monkeypatch.undo()

        ws.send_json(
            {
                "type": "review.apply",
                "id": "p2",
                "session_id": session_id,
                "strategy": "merge",
                "base_digest": ready["base_digest"],
            }
        )
        assert receive_until(ws, "ack", "p2")["backup"]
    assert ready["changes"]
    assert json.loads(core.read_text())["values"]["core"]
