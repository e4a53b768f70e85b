"""Fuzzing the protocol: the parser never fails any other way than ProtocolError, its verdict
agrees with the schema, and a stream of mutated frames never breaks a connection or touches
another user's session."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings, strategies as st

from server import protocol as p
from server.manager import Limits
from tests.protocol_schema import Closed, is_valid_client_frame
from tests.server_process import create_user
from tests.test_app import (
    ANSWER,
    answer,
    make_client,
    opened,
    raw_socket,
    small_config,
    start_session,
)

pytestmark = pytest.mark.timeout(60)

SESSION = "20250101T120000Z-0123abcd"

VALID_FRAMES: list[dict[str, Any]] = [
    {"type": "hello", "v": 1, "token": "pg.alice.x", "client": {"name": "n", "version": "1"}},
    {"type": "hello", "resume": {"session_id": SESSION, "epoch": "e-1", "last_seq": 3}},
    {"type": "ping", "t": 12.5},
    {"type": "session.start", "id": "r1"},
    {"type": "session.open", "id": "r2", "session_id": SESSION, "epoch": "e", "last_seq": 0},
    {"type": "sessions.list", "id": "r3"},
    {"type": "answer.submit", "id": "r4", "session_id": SESSION, "question_id": "q1", "text": "a"},
    {"type": "answer.edit", "id": "r5", "session_id": SESSION, "question_id": "q2", "text": "b"},
    {"type": "answer.skip", "id": "r6", "session_id": SESSION, "question_id": "q3"},
    {
        "type": "draft.update",
        "id": "r7",
        "session_id": SESSION,
        "question_id": "q1",
        "text": "c",
        "base_rev": 0,
    },
    {"type": "session.pause", "id": "r8", "session_id": SESSION},
    {"type": "session.resume", "id": "r9", "session_id": SESSION},
    {"type": "session.finish", "id": "r10", "session_id": SESSION},
    {"type": "session.discard", "id": "r11", "session_id": SESSION},
    {"type": "question.next", "id": "r12", "session_id": SESSION},
    {"type": "generation.stop", "id": "r13", "session_id": SESSION},
    {"type": "review.request", "id": "r14", "session_id": SESSION, "strategy": "append"},
    {
        "type": "review.apply",
        "id": "r15",
        "session_id": SESSION,
        "strategy": "merge",
        "base_digest": "absent",
        "change_ids": ["c1"],
    },
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "q1", "q99999", SESSION, "../../etc", "merge", "hello", "a" * 65])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "type",
        "id",
        "v",
        "t",
        "token",
        "client",
        "resume",
        "session_id",
        "epoch",
        "last_seq",
        "question_id",
        "text",
        "base_rev",
        "strategy",
        "base_digest",
        "change_ids",
        "extra",
    ]
)


@st.composite
def mutated_frames(draw: st.DrawFn) -> dict[str, Any]:
    """A valid frame with a few fields dropped, added, or replaced by arbitrary JSON."""
    frame: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(VALID_FRAMES)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        action = draw(st.sampled_from(["drop", "set", "type"]))
        if action == "drop" and frame:
            frame.pop(draw(st.sampled_from(sorted(frame))))
        elif action == "set":
            frame[draw(field_names)] = draw(json_values)
        else:
            frame["type"] = draw(st.sampled_from([*p.CLIENT_TYPES, "Ping", "", "welcome"]))
    return frame


@st.composite
def mangled_text(draw: st.DrawFn) -> str:
    """The JSON text of a valid frame with characters cut, inserted or replaced."""
    text = json.dumps(draw(st.sampled_from(VALID_FRAMES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        piece = draw(st.text(alphabet='{}[]":,\\0123456789.eE-+ntfrulsa \ud7ff', max_size=3))
        cut = draw(st.integers(min_value=0, max_value=3))
        text = text[:at] + piece + text[at + cut :]
    return text


def parse_or_protocol_error(text: str) -> p.ClientMessage | None:
    """Parse; None for a ProtocolError. Anything else raised fails the test."""
    try:
        return p.parse_client_message(text)
    except p.ProtocolError as exc:
        assert exc.code == "invalid_message"
        assert exc.message
        return None


# -- the parser -----------------------------------------------------------------------------------


@given(st.text(max_size=200))
def test_any_text_parses_or_is_a_protocol_error(text: str) -> None:
    parse_or_protocol_error(text)
    request_id = p.request_id_of(text)
    assert request_id is None or 0 < len(request_id) <= p.MAX_ID_LENGTH


@given(json_values)
def test_any_json_parses_or_is_a_protocol_error(value: Any) -> None:
    parse_or_protocol_error(json.dumps(value))


@given(mangled_text())
def test_mangled_frames_parse_or_are_a_protocol_error(text: str) -> None:
    parse_or_protocol_error(text)
    p.request_id_of(text)


@given(mutated_frames())
@settings(max_examples=300, deadline=None)
def test_the_schema_never_accepts_what_the_parser_refuses(frame: dict[str, Any]) -> None:
    """Schema-valid implies accepted by the server (the server may be more lenient: it
    coerces, e.g., "5" to 5 where the schema asks for an integer)."""
    parsed = parse_or_protocol_error(json.dumps(frame))
    if is_valid_client_frame(frame):
        assert parsed is not None, frame
    if parsed is None:
        assert not is_valid_client_frame(frame)


@given(st.sampled_from(VALID_FRAMES))
@settings(deadline=None)
def test_every_valid_frame_is_valid_for_both(frame: dict[str, Any]) -> None:
    assert is_valid_client_frame(frame)
    assert parse_or_protocol_error(json.dumps(frame)) is not None


@given(st.sampled_from(VALID_FRAMES), st.data())
@settings(deadline=None)
def test_dropping_a_required_field_is_refused_by_both(frame: dict[str, Any], data: Any) -> None:
    model = type(p.parse_client_message(json.dumps(frame)))
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    assume(required)
    name = data.draw(st.sampled_from(required))
    broken = {key: value for key, value in frame.items() if key != name}
    assert parse_or_protocol_error(json.dumps(broken)) is None
    assert not is_valid_client_frame(broken)


# -- a live connection under fuzz -----------------------------------------------------------------


@given(st.data())
@settings(
    max_examples=3,
    deadline=None,
    # No shrinking: replaying a live connection is slow, and the failure names the frame.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_mutated_frames_never_break_the_connection_or_touch_alice(
    tmp_path_factory: pytest.TempPathFactory, data: Any
) -> None:
    profiles = tmp_path_factory.mktemp("fuzz") / "profiles"
    profiles.mkdir()
    alice, bob = create_user(profiles, "alice"), create_user(profiles, "bob")
    limits = Limits(rate_burst=10_000, rate_per_second=10_000.0)
    with make_client(profiles, limits=limits, config=small_config()) as client:
        with opened(client, alice) as ws:
            alice_session, end = start_session(ws, "alice-start")
            answer(ws, alice_session, end["question_id"], ANSWER + " alice-only words")
            ws.receive_type("question.end")
        alice_files = {
            path: path.read_bytes() for path in (profiles / "alice").rglob("*") if path.is_file()
        }
        with opened(client, bob) as ws:
            bob_session, _ = start_session(ws, "bob-start")
            for n in range(60):
                frame = data.draw(mutated_frames(), label=f"frame {n}")
                if "session_id" in frame and data.draw(st.booleans(), label="target"):
                    frame["session_id"] = data.draw(st.sampled_from([alice_session, bob_session]))
                ws.send_text(json.dumps(frame))
                try:
                    # A barrier: requests run in order, so its reply follows every earlier one.
                    barrier = ws.request({"type": "sessions.list", "id": f"barrier-{n}"})
                except Closed as closed:
                    pytest.fail(f"frame {frame!r:.300} closed the connection: {closed}")
                assert barrier["type"] == "sessions"
            frames = ws.received + ws.drain(0.1)
        for frame in frames:
            assert "alice-only words" not in json.dumps(frame)
            assert frame.get("code") != "internal_error", frame
            if "seq" in frame and frame["type"] != "ack":
                assert frame["session_id"] != alice_session, frame
        # Before shutdown, which checkpoints every live session.
        after = {
            path: path.read_bytes() for path in (profiles / "alice").rglob("*") if path.is_file()
        }
        assert after == alice_files
        view = client.get(
            f"/api/sessions/{alice_session}", headers={"Authorization": f"Bearer {alice}"}
        ).json()
    assert view["questions"][0]["answer"]["text"].endswith("alice-only words")
    assert view["state"] == "active"


def test_fuzz_inputs_include_what_once_crashed_the_server(tmp_path: Path) -> None:
    """Regression: these killed the connection without a close frame (or sent invalid JSON)."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    crashers = [
        '{"type": "ping", "t": ' + "9" * 5000 + "}",
        '{"type": "ping", "t": "\\udfff"}',
        '{"type": "ping", "t": 1e999}',
        '{"type": "ping", "t": -Infinity}',
        "{" * 3000,
        '{"type": "answer.submit", "id": "x", "session_id": "s", "question_id": "q1", '
        '"text": "\\ud83d"}',
    ]
    with make_client(profiles) as client, opened(client, token) as ws:
        for text in crashers:
            ws.send_text(text)
            error = ws.receive_type("error")
            assert error["code"] == "invalid_message"
        ws.send({"type": "ping", "t": "\U0001f600"})  # a real emoji (a surrogate pair) is fine
        assert ws.receive_type("pong")["t"] == "\U0001f600"


# -- bad unicode anywhere in a frame --------------------------------------------------------------

LONE_SURROGATES = ["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d", "x\\ude00"]


@st.composite
def frames_with_a_lone_surrogate(draw: st.DrawFn) -> str:
    """A valid frame's JSON text with a lone surrogate escape inside one of its strings."""
    text = json.dumps(draw(st.sampled_from(VALID_FRAMES)))
    quotes = [at for at, char in enumerate(text) if char == '"']
    at = draw(st.sampled_from(quotes[::2])) + 1  # just inside an opening quote: a key or value
    return text[:at] + draw(st.sampled_from(LONE_SURROGATES)) + text[at:]


@given(frames_with_a_lone_surrogate())
@settings(max_examples=300)
def test_a_lone_surrogate_anywhere_is_a_protocol_error_and_never_echoed(text: str) -> None:
    assert parse_or_protocol_error(text) is None
    request_id = p.request_id_of(text)
    if request_id is not None:
        request_id.encode("utf-8")  # whatever is echoed can be sent
    error = {"type": "error", "id": request_id, **p.ProtocolError("x").to_dict()}
    p.encode(error).encode("utf-8")


SURROGATE_FRAMES = [
    '{"type": "ping", "id": "\\ud800"}',
    '{"type": "sessions.list", "id": "ok-\\udfff"}',
    '{"type": "\\ud800", "id": "r1"}',
    '{"\\udc00": 1, "type": "ping"}',
    '{"type": "session.start", "id": "r2", "extra": {"deep": ["\\ud83d"]}}',
    '{"type": "hello", "v": 1, "token": "pg.alice.\\ud800"}',
]


@pytest.mark.parametrize("text", SURROGATE_FRAMES)
def test_a_lone_surrogate_before_login_gets_an_error_then_4400(tmp_path: Path, text: str) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    create_user(profiles, "alice")
    with make_client(profiles) as client, raw_socket(client) as ws:
        ws.send_text(text)
        error = ws.receive_type("error")
        assert error["code"] == "invalid_message" and "surrogate" in error["message"]
        assert error["id"] in (None, "r1", "r2")
        assert ws.expect_close().code == p.CLOSE_BAD_MESSAGE


def test_lone_surrogates_after_login_get_errors_and_the_connection_lives(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    with make_client(profiles) as client, opened(client, token) as ws:
        for text in SURROGATE_FRAMES:
            ws.send_text(text)
            error = ws.receive_type("error")
            assert error["code"] == "invalid_message" and "surrogate" in error["message"]
        assert ws.request({"type": "sessions.list", "id": "still-open"})["type"] == "sessions"
