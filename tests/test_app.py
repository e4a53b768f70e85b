"""Protocol v1 in detail, through Starlette's TestClient (and one real uvicorn for frame size).

Every frame sent and received here is checked against ``docs/protocol.schema.json`` by
:class:`~tests.protocol_schema.CheckedSocket`; every receive has a deadline.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.app import create_app
from server.config import InterviewConfig, load_config
from server.llm.builtin import BuiltinInterviewer
from server.manager import Limits
from server.settings import Settings
from tests.protocol_schema import (
    CheckedSocket,
    FrameLog,
    checked_frames,
    hello,
    schema_errors,
)
from tests.server_process import ServerProcess, create_user

__all__ = ["checked_frames"]  # a fixture, used by name

pytestmark = pytest.mark.timeout(30)

ANSWER = (
    "I care about honesty and about doing careful work; I try to treat people with patience "
    "and kindness, even on the busy days."
)


def small_config(**overrides: Any) -> InterviewConfig:
    """The shipped config with two questions and one required answer: quick to finish."""
    data = load_config(None).to_json_dict()
    data.update(maxQuestionsPerSession=2, requireMinimumAnswers=1, **overrides)
    return InterviewConfig.model_validate(data)


def make_client(
    profiles: Path,
    *,
    limits: Limits | None = None,
    config: InterviewConfig | None = None,
    pace: float = 0.0,
    allowed_origins: tuple[str, ...] = (),
) -> TestClient:
    settings = Settings(profiles_dir=profiles, allowed_origins=allowed_origins)
    app = create_app(
        settings, interviewer=BuiltinInterviewer(pace=pace), config=config, limits=limits
    )
    return TestClient(app)


@contextlib.contextmanager
def opened(
    client: TestClient, token: str | None = None, *, headers: dict[str, str] | None = None
) -> Iterator[CheckedSocket]:
    """A checked WebSocket on ``/ws`` after hello and welcome."""
    with client.websocket_connect("/ws", headers=headers or {}) as session:
        ws = CheckedSocket(session)
        ws.send(hello(token))
        welcome = ws.receive()
        assert welcome["type"] == "welcome", welcome
        yield ws


@contextlib.contextmanager
def raw_socket(
    client: TestClient, headers: dict[str, str] | None = None
) -> Iterator[CheckedSocket]:
    """A checked WebSocket on ``/ws`` before hello."""
    with client.websocket_connect("/ws", headers=headers or {}) as session:
        yield CheckedSocket(session)


def start_session(ws: CheckedSocket, request_id: str = "start-1") -> tuple[str, dict[str, Any]]:
    """Start a session; returns its id and the first question's ``question.end``."""
    ack = ws.request({"type": "session.start", "id": request_id})
    assert ack["type"] == "ack", ack
    end = ws.receive_type("question.end")
    return str(ack["session_id"]), end


def answer(
    ws: CheckedSocket, session_id: str, question_id: str, text: str = ANSWER, request_id: str = ""
) -> dict[str, Any]:
    return ws.request(
        {
            "type": "answer.submit",
            "id": request_id or f"answer-{question_id}",
            "session_id": session_id,
            "question_id": question_id,
            "text": text,
        }
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_open(ws: CheckedSocket) -> None:
    """The socket still answers."""
    ws.send({"type": "ping", "t": "still-there"})
    assert ws.receive_type("pong")["t"] == "still-there"


@pytest.fixture
def alice(profiles: Path) -> str:
    return create_user(profiles, "alice")


@pytest.fixture
def client(profiles: Path, alice: str) -> Iterator[TestClient]:
    with make_client(profiles, config=small_config()) as test_client:
        yield test_client


# -- hello and welcome ---------------------------------------------------------------------------


def test_hello_gets_a_welcome_with_limits_config_and_no_sessions(
    client: TestClient, alice: str
) -> None:
    with raw_socket(client) as ws:
        ws.send(hello(alice))
        welcome = ws.receive()
    assert welcome["type"] == "welcome"
    assert (welcome["v"], welcome["user"]) == (1, "alice")
    assert welcome["backend"]["name"] == "builtin"
    assert welcome["limits"] == Limits().public(2000, 30_000)
    assert welcome["config"]["max_questions"] == 2
    assert welcome["config"]["min_answers"] == 1
    assert welcome["config"]["categories"] == [
        "values",
        "goals",
        "style",
        "biography",
        "current_focus",
    ]
    assert welcome["incomplete_sessions"] == []


def test_welcome_lists_incomplete_sessions_as_the_reconnect_notice(
    client: TestClient, alice: str
) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        answer(ws, session_id, end["question_id"])
    with raw_socket(client) as ws:
        ws.send(hello(alice))
        welcome = ws.receive()
    [notice] = welcome["incomplete_sessions"]
    assert notice["session_id"] == session_id
    assert (notice["state"], notice["answered"], notice["resumable"]) == ("active", 1, True)

    with opened(client, alice) as ws:
        ack = ws.request({"type": "session.discard", "id": "discard", "session_id": session_id})
        assert ack["type"] == "ack"
    with raw_socket(client) as ws:
        ws.send(hello(alice))
        assert ws.receive()["incomplete_sessions"] == []


def test_a_second_hello_is_an_error_and_the_socket_stays_open(
    client: TestClient, alice: str
) -> None:
    with opened(client, alice) as ws:
        ws.send(hello(alice))
        error = ws.receive_type("error")
        assert error["code"] == "invalid_message"
        assert "already" in error["message"]
        assert_open(ws)


@pytest.mark.parametrize("stamp", [7, 1.5, "abc", None])
def test_ping_is_answered_by_pong_echoing_t(client: TestClient, alice: str, stamp: Any) -> None:
    with opened(client, alice) as ws:
        ws.send({"type": "ping"} if stamp is None else {"type": "ping", "t": stamp})
        assert ws.receive() == {"type": "pong", "t": stamp}


# -- bad input after hello: an error frame, and the socket stays open ---------------------------

BAD_FRAMES = [
    pytest.param('{"type": "ping"', None, ["invalid JSON", "line 1 column 16"], id="invalid-json"),
    pytest.param("[1, 2]", None, ["expected a JSON object", "found a JSON array"], id="array"),
    pytest.param(
        '{"type": "answer.send", "id": "r1"}',
        "r1",
        ["unknown message type 'answer.send'", "expected one of", "'answer.submit'"],
        id="unknown-type",
    ),
    pytest.param('{"id": "r1"}', "r1", ["unknown message type None"], id="no-type"),
    pytest.param(
        '{"type": "answer.submit", "id": "r2", "session_id": "x", "question_id": "q1"}',
        "r2",
        ["answer.submit", "field 'text' is required"],
        id="missing-field",
    ),
    pytest.param(
        '{"type": "draft.update", "id": "r3", "session_id": "x", "question_id": "q1",'
        ' "text": "t", "base_rev": "first"}',
        "r3",
        ["field 'base_rev'", "valid integer", "found 'first'"],
        id="wrong-type",
    ),
    pytest.param(
        '{"type": "session.pause", "id": "r4", "session_id": "x", "force": true}',
        "r4",
        ["unknown field 'force'"],
        id="unknown-field",
    ),
    pytest.param(
        '{"type": "sessions.list", "id": "no spaces here"}',
        "no spaces here",
        ["field 'id'", "pattern", "found 'no spaces here'"],
        id="bad-request-id",
    ),
    pytest.param(
        json.dumps(
            {
                "type": "answer.submit",
                "id": "r5",
                "session_id": "x",
                "question_id": "q1",
                "text": "x" * 16_001,
            }
        ),
        "r5",
        ["field 'text'", "at most 16000 characters"],
        id="text-over-protocol-limit",
    ),
    pytest.param('{"type": "ping", "t": NaN}', None, ["NaN is not a JSON number"], id="nan"),
    pytest.param('{"type": "ping", "t": "\\ud800"}', None, ["unpaired surrogate"], id="surrogate"),
    pytest.param("[" * 5000, None, ["nested too deeply"], id="deep-nesting"),
]


@pytest.mark.parametrize(("text", "request_id", "fragments"), BAD_FRAMES)
def test_bad_frames_get_invalid_message_naming_expected_and_found(
    client: TestClient, alice: str, text: str, request_id: str | None, fragments: list[str]
) -> None:
    with opened(client, alice) as ws:
        ws.send_text(text)
        error = ws.receive()
        assert error["type"] == "error"
        assert (error["code"], error["retryable"], error["id"]) == (
            "invalid_message",
            False,
            request_id,
        )
        for fragment in fragments:
            assert fragment in error["message"]
        assert_open(ws)


def test_a_binary_frame_is_an_error_not_a_close(client: TestClient, alice: str) -> None:
    with opened(client, alice) as ws:
        ws.send_bytes(b'{"type": "ping"}')
        error = ws.receive()
        assert (error["type"], error["code"]) == ("error", "invalid_message")
        assert "binary" in error["message"]
        assert_open(ws)


def test_an_answer_over_the_configured_limit_is_rejected(client: TestClient, alice: str) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        error = answer(ws, session_id, end["question_id"], "y" * 2001)
        assert error["type"] == "error"
        assert (error["code"], error["retryable"]) == ("answer_rejected", False)
        assert error["session_id"] == session_id
        assert "at most 2000 characters" in error["message"]
        assert "2001" in error["message"]
        # Too short is rejected the same way; a proper answer still goes through.
        short = answer(ws, session_id, end["question_id"], "ok", request_id="short")
        assert short["code"] == "answer_rejected"
        ack = answer(ws, session_id, end["question_id"], request_id="proper")
        assert ack["type"] == "ack"


def test_a_draft_over_the_configured_limit_is_rejected(client: TestClient, alice: str) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        error = ws.request(
            {
                "type": "draft.update",
                "id": "long-draft",
                "session_id": session_id,
                "question_id": end["question_id"],
                "text": "z" * 2001,
                "base_rev": 0,
            }
        )
        assert error["code"] == "answer_rejected"


# -- closes: hello deadline, first frame, frame size, flood, connection count --------------------


def test_no_hello_within_the_deadline_closes_4408(profiles: Path, alice: str) -> None:
    with (
        make_client(profiles, limits=Limits(hello_timeout=0.3)) as client,
        raw_socket(client) as ws,
    ):
        began = time.monotonic()
        closed = ws.expect_close(timeout=5)
        assert closed.code == 4408
        assert 0.25 < time.monotonic() - began < 3


@pytest.mark.parametrize(
    ("first", "request_id"),
    [
        ({"type": "ping"}, None),
        ({"type": "sessions.list", "id": "early"}, "early"),
        ({"type": "session.start", "id": "early"}, "early"),
    ],
)
def test_a_first_frame_other_than_hello_closes_4400(
    client: TestClient, first: dict[str, Any], request_id: str | None
) -> None:
    with raw_socket(client) as ws:
        ws.send(first)
        error = ws.receive()
        assert (error["type"], error["code"], error["id"]) == (
            "error",
            "invalid_message",
            request_id,
        )
        assert f"expected 'hello' as the first message, found {first['type']!r}" == error["message"]
        assert ws.expect_close().code == 4400


def test_an_invalid_hello_closes_4400_after_saying_why(client: TestClient, alice: str) -> None:
    with raw_socket(client) as ws:
        ws.send_text(json.dumps({"type": "hello", "v": 2, "token": alice}))
        error = ws.receive()
        assert error["code"] == "invalid_message"
        assert "field 'v'" in error["message"]
        assert ws.expect_close().code == 4400
    with raw_socket(client) as ws:
        ws.send_bytes(json.dumps(hello(alice)).encode())
        assert ws.expect_close().code == 4400


def test_a_frame_over_the_size_limit_closes_1009_and_others_are_served(
    client: TestClient, alice: str
) -> None:
    with opened(client, alice) as ws:
        ws.send_text(json.dumps({"type": "ping", "t": "x" * (1 << 20)}))
        assert ws.expect_close().code == 1009
    with opened(client, alice) as ws:
        assert_open(ws)


async def test_a_1_mb_frame_through_real_uvicorn_closes_1009(
    profiles: Path, alice: str, checked_frames: FrameLog
) -> None:
    with ServerProcess(profiles) as server:
        async with connect(server.ws_url, max_size=None) as ws:
            await ws.send(json.dumps(hello(alice)))
            assert json.loads(await ws.recv())["type"] == "welcome"
            # The server may close while the frame is still being written: the close then
            # surfaces from send rather than recv; either way it must be 1009.
            with anyio.fail_after(10), pytest.raises(ConnectionClosed) as caught:
                await ws.send(json.dumps({"type": "ping", "t": "x" * (1 << 20)}))
                await ws.recv()
            assert caught.value.rcvd is not None
            assert caught.value.rcvd.code == 1009
        # The server goes on serving: a new connection and the HTTP surface both answer.
        async with connect(server.ws_url) as ws:
            await ws.send(json.dumps(hello(alice)))
            assert json.loads(await ws.recv())["type"] == "welcome"
        health = await anyio.to_thread.run_sync(server.get, "/healthz")
        assert health["status"] == "ok"
    assert [frame["type"] for frame in checked_frames.server] == ["welcome", "welcome"]


def test_a_flood_gets_rate_limited_errors_then_close_4429(profiles: Path, alice: str) -> None:
    limits = Limits(rate_burst=5, rate_per_second=0.5, rate_strikes_before_close=5)
    with make_client(profiles, limits=limits) as client, opened(client, alice) as ws:
        for n in range(30):
            ws.send({"type": "sessions.list", "id": f"flood-{n}"})
        closed = ws.expect_close()
        assert closed.code == 4429
    replies = [frame for frame in ws.received if frame["type"] == "sessions"]
    errors = [frame for frame in ws.received if frame["type"] == "error"]
    assert 1 <= len(replies) <= 6
    assert 1 <= len(errors) <= 5
    for error in errors:
        assert (error["code"], error["retryable"]) == ("rate_limited", True)
        assert error["id"].startswith("flood-")


def test_too_many_connections_for_one_user_closes_4429(profiles: Path, alice: str) -> None:
    limits = Limits(max_connections_per_user=1)
    with make_client(profiles, limits=limits) as client, opened(client, alice) as first:
        with raw_socket(client) as second:
            second.send(hello(alice))
            assert second.expect_close().code == 4429
        assert_open(first)


# -- request ids: one effect, the same reply ------------------------------------------------------


def test_a_repeated_answer_id_has_one_effect_and_the_same_reply(
    client: TestClient, alice: str, profiles: Path
) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        first = answer(ws, session_id, end["question_id"], request_id="answer-once")
        again = answer(ws, session_id, end["question_id"], request_id="answer-once")
        changed = answer(
            ws, session_id, end["question_id"], ANSWER + " More.", request_id="answer-once"
        )
        ws.drain()
    assert first["type"] == "ack" and "repeated" not in first
    assert again == {**first, "repeated": True}
    assert changed == again
    recorded = [frame for frame in ws.received if frame["type"] == "answer.recorded"]
    assert [frame["answer_id"] for frame in recorded] == ["answer-once"]
    view = client.get(f"/api/sessions/{session_id}", headers=bearer(alice)).json()
    assert view["questions"][0]["answer"]["text"] == ANSWER
    journal = profiles / "alice" / "persona" / "interviews" / f"{session_id}.jsonl"
    assert journal.read_text().count('"answer_recorded"') == 1


def test_a_repeated_failed_request_gets_the_same_error(client: TestClient, alice: str) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        first = answer(ws, session_id, end["question_id"], "too short", request_id="bad-once")
        again = answer(ws, session_id, end["question_id"], ANSWER, request_id="bad-once")
    assert first["code"] == "answer_rejected"
    assert again == first


def test_a_repeated_session_start_or_open_id_gets_the_same_ack_and_one_session(
    client: TestClient, alice: str
) -> None:
    with opened(client, alice) as ws:
        first = ws.request({"type": "session.start", "id": "start-once"})
        again = ws.request({"type": "session.start", "id": "start-once"})
        assert again == {**first, "repeated": True}
        assert ws.receive_type("session.snapshot")["session_id"] == first["session_id"]
        opened_once = ws.request(
            {"type": "session.open", "id": "open-once", "session_id": first["session_id"]}
        )
        opened_again = ws.request(
            {"type": "session.open", "id": "open-once", "session_id": first["session_id"]}
        )
        assert opened_again == {**opened_once, "repeated": True}
        sessions = ws.request({"type": "sessions.list", "id": "list"})["sessions"]
    assert [item["session_id"] for item in sessions] == [first["session_id"]]


# -- seq, epoch, replay and snapshot --------------------------------------------------------------


def test_open_with_epoch_and_last_seq_replays_exactly_the_missed_events(
    client: TestClient, alice: str
) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        epoch, seen = end["epoch"], end["seq"]
        ack = ws.request(
            {
                "type": "draft.update",
                "id": "draft-1",
                "session_id": session_id,
                "question_id": end["question_id"],
                "text": "first thoughts",
                "base_rev": 0,
            }
        )
        assert (ack["rev"], ack["seq"]) == (1, seen + 1)

        with opened(client, alice) as other:
            reply = other.request(
                {
                    "type": "session.open",
                    "id": "open-1",
                    "session_id": session_id,
                    "epoch": epoch,
                    "last_seq": seen,
                }
            )
            assert reply == {"type": "ack", "id": "open-1", "session_id": session_id}
            replay = other.receive()
            assert replay == {
                "type": "replay",
                "session_id": session_id,
                "epoch": epoch,
                "from_seq": seen,
                "to_seq": seen + 1,
                "count": 1,
            }
            missed = other.receive()
            assert (missed["type"], missed["seq"], missed["text"]) == (
                "draft.saved",
                seen + 1,
                "first thoughts",
            )

            # Up to date: an empty replay. Another epoch, or a position before the compaction
            # at question.end: a snapshot instead.
            for request_id, position, expected in [
                ("open-2", {"epoch": epoch, "last_seq": seen + 1}, "replay"),
                ("open-3", {"epoch": "another-epoch", "last_seq": seen + 1}, "session.snapshot"),
                ("open-4", {"epoch": epoch, "last_seq": 1}, "session.snapshot"),
                ("open-5", {}, "session.snapshot"),
            ]:
                other.request(
                    {"type": "session.open", "id": request_id, "session_id": session_id} | position
                )
                frame = other.receive()
                assert frame["type"] == expected, (request_id, frame)
                if expected == "replay":
                    assert frame["count"] == 0
                else:
                    assert frame["seq"] == seen + 1
                    assert frame["session"]["draft"]["text"] == "first thoughts"


def test_hello_resume_acks_with_a_resume_id_then_replays(client: TestClient, alice: str) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
    resume = {"session_id": session_id, "epoch": end["epoch"], "last_seq": end["seq"]}
    with raw_socket(client) as ws:
        ws.send(hello(alice, resume=resume))
        welcome = ws.receive()
        ack = ws.receive()
        assert ack == {
            "type": "ack",
            "id": f"resume-{welcome['connection_id']}",
            "session_id": session_id,
        }
        assert ws.receive()["type"] == "replay"
    missing = {"session_id": "20200101T000000Z-0000abcd", "epoch": "x", "last_seq": 0}
    with raw_socket(client) as ws:
        ws.send(hello(alice, resume=missing))
        welcome = ws.receive()
        error = ws.receive()
        assert (error["code"], error["id"]) == ("not_found", f"resume-{welcome['connection_id']}")
        assert_open(ws)


def test_session_events_carry_consecutive_seqs_and_one_epoch(
    client: TestClient, alice: str
) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        answer(ws, session_id, end["question_id"])
        ws.receive_type("question.end")
    events = [frame for frame in ws.received if "seq" in frame and frame["type"] != "ack"]
    snapshot, rest = events[0], events[1:]
    assert snapshot["type"] == "session.snapshot" and snapshot["seq"] == 0
    assert [frame["seq"] for frame in rest] == list(range(1, len(rest) + 1))
    assert {frame["epoch"] for frame in events} == {snapshot["epoch"]}
    types = [frame["type"] for frame in rest]
    assert types[0] == "question.start"
    assert types.index("question.end") < types.index("answer.recorded") < types.index("progress")


# -- commands -------------------------------------------------------------------------------------


def test_drafts_are_shared_and_a_stale_base_rev_is_a_conflict(
    client: TestClient, alice: str
) -> None:
    with opened(client, alice) as tab_a, opened(client, alice) as tab_b:
        session_id, end = start_session(tab_a)
        tab_b.request({"type": "session.open", "id": "open", "session_id": session_id})
        draft = {
            "type": "draft.update",
            "session_id": session_id,
            "question_id": end["question_id"],
        }
        ack = tab_a.request({**draft, "id": "d1", "text": "from tab a", "base_rev": 0})
        assert ack["rev"] == 1
        saved = tab_b.receive_type("draft.saved")
        assert (saved["text"], saved["rev"]) == ("from tab a", 1)
        conflict = tab_b.request({**draft, "id": "d2", "text": "stale tab b", "base_rev": 0})
        assert (conflict["code"], conflict["retryable"]) == ("conflict", False)
        assert "draft revision conflict" in conflict["message"]
        ack = tab_b.request({**draft, "id": "d3", "text": "tab b, rebased", "base_rev": 1})
        assert ack["rev"] == 2
        # Unchanged text: no new revision.
        same = tab_b.request({**draft, "id": "d4", "text": "tab b, rebased", "base_rev": 2})
        assert same["rev"] == 2


def test_pause_blocks_answers_until_resume(client: TestClient, alice: str) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        ws.request({"type": "session.pause", "id": "pause", "session_id": session_id})
        state = ws.receive_type("session.state")
        assert (state["state"], state["reason"], state["crisis_message"]) == (
            "paused",
            "user",
            None,
        )
        refused = answer(ws, session_id, end["question_id"])
        assert refused["code"] == "invalid_state"
        ws.request({"type": "session.resume", "id": "resume", "session_id": session_id})
        assert ws.receive_type("session.state")["state"] == "active"
        assert answer(ws, session_id, end["question_id"], request_id="after")["type"] == "ack"


def test_generation_stop_then_question_next(profiles: Path, alice: str) -> None:
    with make_client(profiles, pace=0.05) as client, opened(client, alice) as ws:
        ack = ws.request({"type": "session.start", "id": "start"})
        session_id = ack["session_id"]
        ws.receive_type("question.delta")
        stop = ws.request({"type": "generation.stop", "id": "stop", "session_id": session_id})
        assert stop["stopped"] is True
        stopped = ws.receive_type("generation.stopped")
        assert stopped["question_id"] == "q1"
        again = ws.request({"type": "generation.stop", "id": "stop-2", "session_id": session_id})
        assert again["stopped"] is False
        nxt = ws.request({"type": "question.next", "id": "next", "session_id": session_id})
        assert nxt["generating"] is True
        end = ws.receive_type("question.end", timeout=10)
        assert end["question_id"] == "q1"


def test_review_and_apply_refuse_a_stale_base_digest(
    client: TestClient, alice: str, profiles: Path
) -> None:
    core = profiles / "alice" / "persona" / "core.json"
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        answer(ws, session_id, end["question_id"])
        early = ws.request({"type": "review.request", "id": "early", "session_id": session_id})
        assert early["code"] == "invalid_state"
        ws.request({"type": "session.finish", "id": "finish", "session_id": session_id})
        ws.request({"type": "review.request", "id": "review-1", "session_id": session_id})
        ready = ws.receive_type("review.ready")
        assert (ready["strategy"], ready["base_digest"]) == ("merge", "absent")
        types = [frame["type"] for frame in ws.received]
        assert types.index("review.extracting") < types.index("review.ready")

        core.parent.mkdir(parents=True, exist_ok=True)
        core.write_text('{"identity": {"name": "Alice"}}\n')
        before = core.read_bytes()
        stale = ws.request(
            {
                "type": "review.apply",
                "id": "apply-stale",
                "session_id": session_id,
                "strategy": "merge",
                "base_digest": ready["base_digest"],
            }
        )
        assert (stale["code"], stale["retryable"]) == ("conflict", False)
        assert "changed since the preview" in stale["message"]
        assert core.read_bytes() == before

        ws.request({"type": "review.request", "id": "review-2", "session_id": session_id})
        fresh = ws.receive_type("review.ready")
        assert fresh["base_digest"] == hashlib.sha256(before).hexdigest()
        unknown = ws.request(
            {
                "type": "review.apply",
                "id": "apply-unknown",
                "session_id": session_id,
                "strategy": "merge",
                "base_digest": fresh["base_digest"],
                "change_ids": ["no-such-change"],
            }
        )
        assert unknown["code"] == "invalid_input"
        applied_ack = ws.request(
            {
                "type": "review.apply",
                "id": "apply",
                "session_id": session_id,
                "strategy": "merge",
                "base_digest": fresh["base_digest"],
            }
        )
        assert applied_ack["type"] == "ack"
        applied = ws.receive_type("session.applied")
        assert applied["change_ids"] == applied_ack["change_ids"]
        assert applied["backup"] == applied_ack["backup"]
        states = [frame["state"] for frame in ws.drain() if frame["type"] == "session.state"]
        assert states[-1] == "applied"
    assert applied["backup"] is not None
    assert (profiles / applied["backup"]).read_bytes() == before
    assert json.loads(core.read_text())["identity"]["name"] == "Alice"


# -- HTTP -----------------------------------------------------------------------------------------

API_PATHS = ["/api/me", "/api/sessions", "/api/sessions/{sid}", "/api/persona"]


@pytest.mark.parametrize("path", API_PATHS)
def test_http_api_needs_auth(client: TestClient, alice: str, path: str) -> None:
    with opened(client, alice) as ws:
        session_id, _ = start_session(ws)
    url = path.format(sid=session_id)
    for headers in ({}, bearer("pg.alice.wrong"), {"Cookie": "personagen_login=alice.1.x"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json() == {
            "error": {
                "code": "unauthenticated",
                "message": "log in, or send Authorization: Bearer <token>",
                "retryable": False,
            }
        }
    response = client.get(url, headers=bearer(alice))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


def test_http_api_answers_with_bearer(client: TestClient, alice: str) -> None:
    assert client.get("/api/me", headers=bearer(alice)).json() == {
        "user": "alice",
        "name": "",
        "backend": {
            "name": "builtin",
            "label": "built-in question bank",
            "reason": "given by the caller",
        },
    }
    with opened(client, alice) as ws:
        session_id, _ = start_session(ws)
    [summary] = client.get("/api/sessions", headers=bearer(alice)).json()["sessions"]
    assert summary["session_id"] == session_id
    assert schema_errors(summary, "SessionSummary") == []


def test_healthz_needs_no_auth(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["backend"]["name"] == "builtin"
    assert body["live_sessions"] == 0
    assert "ollama" not in body  # only reported when Ollama interviews


def test_transcript_export_as_json_and_markdown(client: TestClient, alice: str) -> None:
    with opened(client, alice) as ws:
        session_id, end = start_session(ws)
        answer(ws, session_id, end["question_id"])
        second = ws.receive_type("question.end")
        ws.request(
            {
                "type": "answer.skip",
                "id": "skip",
                "session_id": session_id,
                "question_id": second["question_id"],
            }
        )
        assert ws.receive_type("session.state")["state"] == "completed"
    view = client.get(f"/api/sessions/{session_id}", headers=bearer(alice)).json()
    assert schema_errors(view, "SessionView") == []
    assert view["state"] == "completed"
    first_q, second_q = view["questions"]
    assert (first_q["answer"]["text"], first_q["skipped"]) == (ANSWER, False)
    assert (second_q["answer"], second_q["skipped"]) == (None, True)

    response = client.get(f"/api/sessions/{session_id}?format=markdown", headers=bearer(alice))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    assert text.startswith(f"# Interview {session_id}\n")
    assert "- State: complete, not reviewed" in text
    assert f"**Q:** {first_q['text']}" in text
    assert f"**A:** {ANSWER}" in text
    assert f"**Q:** {second_q['text']}" in text
    assert "*(skipped)*" in text


def test_persona_endpoint_absent_present_and_corrupt(
    client: TestClient, alice: str, profiles: Path
) -> None:
    core = profiles / "alice" / "persona" / "core.json"
    assert client.get("/api/persona", headers=bearer(alice)).json() == {
        "persona": None,
        "digest": "absent",
    }

    core.parent.mkdir(parents=True, exist_ok=True)
    core.write_text('{"identity": {"name": "Alice"}, "myOwnKey": [1, 2]}')
    body = client.get("/api/persona", headers=bearer(alice)).json()
    assert body["digest"] == hashlib.sha256(core.read_bytes()).hexdigest()
    assert body["persona"]["identity"]["name"] == "Alice"
    assert body["persona"]["myOwnKey"] == [1, 2]

    core.write_bytes(b'{"identity": {"name": "Ali')
    before = core.read_bytes()
    stamp = os.stat(core).st_mtime_ns
    response = client.get("/api/persona", headers=bearer(alice))
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["retryable"]) == ("corrupt_file", False)
    assert "alice/persona/core.json is not valid JSON" in error["message"]
    assert "left unchanged" in error["message"]
    assert str(profiles) not in error["message"]  # relative paths only
    assert core.read_bytes() == before
    assert os.stat(core).st_mtime_ns == stamp
    assert list((profiles / "alice" / "persona" / "archive").iterdir()) == []


def test_an_invalid_session_id_over_http_is_400_invalid_name(
    client: TestClient, alice: str
) -> None:
    response = client.get("/api/sessions/not-a-session", headers=bearer(alice))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_name"
    response = client.get("/api/sessions/20200101T000000Z-0000abcd", headers=bearer(alice))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
