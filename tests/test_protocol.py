"""server/protocol.py (parsing, request ids, encoding) and the agreement between the code, the
schema (docs/protocol.schema.json) and the prose contract (docs/protocol.md)."""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from pydantic import BaseModel

from server import errors, protocol as p
from server.config import ALL_CATEGORIES
from server.interview.coverage import CategoryProgress, Progress
from server.interview.model import DoneReason, QuestionSource, Usage
from server.interview.session import State
from server.manager import Limits
from server.persona.diff import Change
from server.persona.draft import PersonaDraft
from server.persona.merge import STRATEGIES
from tests.protocol_schema import (
    FrameError,
    client_defs,
    schema,
    schema_errors,
    server_defs,
    validate_client_frame,
    validate_server_frame,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
APP = Path(__file__).resolve().parent.parent / "server" / "app.py"
SESSION = "20250101T120000Z-0123abcd"


def parse(frame: dict[str, Any] | str) -> p.ClientMessage:
    return p.parse_client_message(frame if isinstance(frame, str) else json.dumps(frame))


def refused(frame: dict[str, Any] | str) -> str:
    with pytest.raises(p.ProtocolError) as caught:
        parse(frame)
    assert caught.value.code == "invalid_message"
    assert caught.value.to_dict()["retryable"] is False
    return caught.value.message


def doc_examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    return [json.loads(block) for block in blocks]


# -- parsing --------------------------------------------------------------------------------------


def test_every_client_type_parses_into_its_model() -> None:
    examples: dict[str, dict[str, Any]] = {
        "hello": {"type": "hello"},
        "ping": {"type": "ping"},
        "session.start": {"type": "session.start", "id": "a"},
        "session.open": {"type": "session.open", "id": "a", "session_id": SESSION},
        "sessions.list": {"type": "sessions.list", "id": "a"},
        "answer.submit": {
            "type": "answer.submit",
            "id": "a",
            "session_id": SESSION,
            "question_id": "q1",
            "text": "t",
        },
        "answer.edit": {
            "type": "answer.edit",
            "id": "a",
            "session_id": SESSION,
            "question_id": "q1",
            "text": "t",
        },
        "answer.skip": {
            "type": "answer.skip",
            "id": "a",
            "session_id": SESSION,
            "question_id": "q1",
        },
        "draft.update": {
            "type": "draft.update",
            "id": "a",
            "session_id": SESSION,
            "question_id": "q1",
            "text": "",
            "base_rev": 0,
        },
        "session.pause": {"type": "session.pause", "id": "a", "session_id": SESSION},
        "session.resume": {"type": "session.resume", "id": "a", "session_id": SESSION},
        "session.finish": {"type": "session.finish", "id": "a", "session_id": SESSION},
        "session.discard": {"type": "session.discard", "id": "a", "session_id": SESSION},
        "question.next": {"type": "question.next", "id": "a", "session_id": SESSION},
        "generation.stop": {"type": "generation.stop", "id": "a", "session_id": SESSION},
        "review.request": {"type": "review.request", "id": "a", "session_id": SESSION},
        "review.apply": {
            "type": "review.apply",
            "id": "a",
            "session_id": SESSION,
            "strategy": "merge",
            "base_digest": "absent",
        },
        "summary.confirm": {
            "type": "summary.confirm",
            "id": "a",
            "session_id": SESSION,
            "summary_id": "s1",
        },
        "summary.correct": {
            "type": "summary.correct",
            "id": "a",
            "session_id": SESSION,
            "summary_id": "s1",
            "text": "t",
        },
        "training.review": {"type": "training.review", "id": "a", "session_id": SESSION},
        "training.export": {
            "type": "training.export",
            "id": "a",
            "session_id": SESSION,
            "excluded": ["q2"],
        },
    }
    assert sorted(examples) == sorted(p.CLIENT_TYPES)
    for kind, frame in examples.items():
        message = parse(frame)
        assert message.type == kind
        validate_client_frame(frame)


def test_defaults() -> None:
    hello = parse({"type": "hello"})
    assert isinstance(hello, p.Hello)
    assert (hello.v, hello.token, hello.resume) == (1, None, None)
    assert hello.client == p.ClientInfo(name="", version="")
    review = parse({"type": "review.request", "id": "a", "session_id": "s"})
    assert isinstance(review, p.ReviewRequest) and review.strategy == "merge"
    opened = parse({"type": "session.open", "id": "a", "session_id": "s"})
    assert isinstance(opened, p.SessionOpen) and (opened.epoch, opened.last_seq) == (None, None)
    ping = parse({"type": "ping"})
    assert isinstance(ping, p.Ping) and ping.t is None


def test_hello_with_resume() -> None:
    hello = parse(
        {
            "type": "hello",
            "v": 1,
            "token": "pg.alice.x",
            "client": {"name": "cli", "version": "2"},
            "resume": {"session_id": SESSION, "epoch": "e-1", "last_seq": 7},
        }
    )
    assert isinstance(hello, p.Hello)
    assert hello.resume == p.ResumePoint(session_id=SESSION, epoch="e-1", last_seq=7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "ping"', "found invalid JSON at line 1 column 16"),
        ("", "found invalid JSON at line 1 column 1"),
        ("[]", "expected a JSON object, found a JSON array"),
        ("null", "found a JSON null"),
        ('"hello"', "found a JSON string"),
        ("42", "found a JSON number"),
        ("true", "found a JSON boolean"),
        ('{"type": "welcome"}', "unknown message type 'welcome'; expected one of ['hello'"),
        ('{"type": ["ping"]}', "unknown message type ['ping']"),
        ("{}", "unknown message type None"),
        ('{"type": "hello", "v": 2}', "hello: field 'v': Input should be 1; found 2"),
        ('{"type": "hello", "client": {"kind": "web"}}', "unknown field 'client.kind'"),
        ('{"type": "session.start"}', "session.start: field 'id' is required"),
        ('{"type": "session.start", "id": ""}', "at least 1 character"),
        ('{"type": "session.start", "id": 5}', "field 'id': Input should be a valid string"),
        ('{"type": "session.start", "id": "a b"}', "should match pattern"),
        ('{"type": "session.start", "id": "a\\n"}', "should match pattern"),
        (json.dumps({"type": "session.start", "id": "a" * 65}), "at most 64 characters"),
        ('{"type": "sessions.list", "id": "a", "x": 1}', "sessions.list: unknown field 'x'"),
        (
            '{"type": "answer.skip", "id": "a", "session_id": "s", "question_id": "Q1"}',
            "field 'question_id'",
        ),
        (
            '{"type": "draft.update", "id": "a", "session_id": "s", "question_id": "q1",'
            ' "text": "t", "base_rev": -1}',
            "greater than or equal to 0; found -1",
        ),
        (
            '{"type": "review.apply", "id": "a", "session_id": "s", "strategy": "all",'
            ' "base_digest": "d"}',
            "Input should be 'merge', 'replace' or 'append'; found 'all'",
        ),
        (
            '{"type": "review.apply", "id": "a", "session_id": "s", "strategy": "merge",'
            ' "base_digest": ""}',
            "field 'base_digest'",
        ),
        ('{"type": "ping", "t": NaN}', "expected portable JSON, found NaN is not a JSON number"),
        ('{"type": "ping", "t": Infinity}', "Infinity is not a JSON number"),
        ('{"type": "ping", "t": -Infinity}', "-Infinity is not a JSON number"),
        ('{"type": "ping", "t": 1e400}', "too large for a 64-bit float"),
        ('{"type": "ping", "t": ' + "1" * 4400 + "}", "a number with too many digits"),
        ('{"type": "ping", "t": "\\ud800"}', "unpaired surrogate"),
        ('{"type": "ping", "t": "\\ude00\\ud83d"}', "unpaired surrogate"),
        ('{"type": "ping", "t": {"a": "\\udfff"}}', "unpaired surrogate"),
        ("[" * 100_000, "nested too deeply"),
        ('{"a":' * 100_000, "nested too deeply"),
    ],
)
def test_refusals_name_what_was_expected_and_found(text: str, expected: str) -> None:
    assert expected in refused(text)


def test_text_is_capped_at_the_protocol_limit() -> None:
    frame = {"type": "answer.submit", "id": "a", "session_id": "s", "question_id": "q1"}
    assert isinstance(parse({**frame, "text": "x" * p.MAX_TEXT_LENGTH}), p.AnswerSubmit)
    assert "at most 16000 characters" in refused({**frame, "text": "x" * (p.MAX_TEXT_LENGTH + 1)})


def test_problems_are_listed_at_most_five_and_inputs_are_cut_short() -> None:
    message = refused(
        {
            "type": "review.apply",
            "a": 1,
            "b": 2,
            "c": 3,
            "d": 4,
            "e": 5,
            "f": 6,
            "strategy": "x" * 500,
        }
    )
    assert message.startswith("review.apply: ")
    assert message.count(";") <= 5
    assert "x" * 58 not in message
    assert len(message) < 600


def test_unicode_beyond_the_bmp_is_fine() -> None:
    ping = parse('{"type": "ping", "t": "\\ud83d\\ude00 and \U0001f600"}')
    assert isinstance(ping, p.Ping) and ping.t == "\U0001f600 and \U0001f600"


def test_a_deeply_nested_but_parseable_frame_is_still_checked() -> None:
    assert "field 't." in refused('{"type": "ping", "t": ' + "[" * 500 + "]" * 500 + "}")


# -- request ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "nope", "id": "r-1"}', "r-1"),
        ('{"type": "answer.submit", "id": "r 2"}', "r 2"),  # echoed even when it is invalid
        ('{"id": "' + "a" * 64 + '"}', "a" * 64),
        ('{"id": "' + "a" * 65 + '"}', None),
        ('{"id": ""}', None),
        ('{"id": 7}', None),
        ('{"id": null}', None),
        ('["id"]', None),
        ('{"id": "r-3"', None),
        ('{"id": "r", "n": ' + "9" * 5000 + "}", None),
        ("[" * 100_000, None),
        ('{"type": "ping", "id": "r-4", "t": NaN}', "r-4"),
    ],
)
def test_request_id_of(text: str, expected: str | None) -> None:
    assert p.request_id_of(text) == expected


# -- encoding -------------------------------------------------------------------------------------


def test_encode_is_compact_utf8_json() -> None:
    when = datetime(2026, 1, 5, 9, 15, tzinfo=UTC)
    text = p.encode({"type": "pong", "t": "héllo ✓", "at": when})
    assert text == '{"type":"pong","t":"héllo ✓","at":"2026-01-05 09:15:00+00:00"}'


# -- the code, the schema and the document agree --------------------------------------------------


def _literal(model: type[BaseModel]) -> str:
    (value,) = typing.get_args(model.model_fields["type"].annotation)
    assert isinstance(value, str)
    return value


CLIENT_MODELS: list[type[BaseModel]] = list(typing.get_args(typing.get_args(p.ClientMessage)[0]))


def test_the_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_client_types_models_and_schema_agree() -> None:
    assert [_literal(model) for model in CLIENT_MODELS] == list(p.CLIENT_TYPES)
    assert sorted(client_defs()) == sorted(p.CLIENT_TYPES)
    assert not set(client_defs()) & set(server_defs()), "client and server types overlap"


def _check_fields(model: type[BaseModel], def_name: str) -> None:
    definition = schema()["$defs"][def_name]
    assert definition["additionalProperties"] is False, def_name
    assert sorted(definition["properties"]) == sorted(model.model_fields), def_name
    required = sorted(name for name, field in model.model_fields.items() if field.is_required())
    assert sorted(definition["required"]) == required, def_name


@pytest.mark.parametrize("model", CLIENT_MODELS, ids=_literal)
def test_each_client_model_matches_its_schema_definition(model: type[BaseModel]) -> None:
    _check_fields(model, client_defs()[_literal(model)])


def test_nested_client_models_match_the_schema() -> None:
    _check_fields(p.ClientInfo, "ClientInfo")
    _check_fields(p.ResumePoint, "ResumePoint")


def _enum(def_name: str) -> list[Any]:
    values: list[Any] = schema()["$defs"][def_name]["enum"]
    return values


def test_enumerations_match_the_code() -> None:
    assert _enum("SessionStateName") == list(typing.get_args(State))
    assert _enum("Category") == list(ALL_CATEGORIES)
    assert _enum("Strategy") == list(STRATEGIES)
    assert _enum("QuestionSource") == list(typing.get_args(QuestionSource))
    assert _enum("DoneReason") == list(typing.get_args(DoneReason))


def _server_errors(cls: type[errors.PersonagenError]) -> list[type[errors.PersonagenError]]:
    """The error classes the server raises: those of server.errors and server.protocol (the
    client's and the command line's own errors never travel over the wire)."""
    found = [cls] if cls.__module__ in ("server.errors", "server.protocol") else []
    for sub in cls.__subclasses__():
        found += _server_errors(sub)
    return found


def test_every_error_code_the_server_can_send_is_in_the_schema_and_the_document() -> None:
    classes = _server_errors(errors.PersonagenError)
    codes = {cls.code for cls in classes} | {"rate_limited"}
    codes -= {"invalid_config"}  # raised at startup only, never sent
    assert codes == set(_enum("ErrorCode"))
    table = DOC.read_text(encoding="utf-8").split("## Error codes")[1].split("## Close codes")[0]
    # The base class is never raised as such; internal_error is sent (retryable) by the app.
    for cls in classes[1:]:
        if cls.code in codes:
            row = f"| `{cls.code}` | {'yes' if cls.retryable else 'no'} |"
            assert row in table, f"docs/protocol.md has no row {row!r}"
    assert "| `internal_error` | yes |" in table
    assert "| `rate_limited` | yes |" in table


def test_every_close_code_the_app_uses_is_documented() -> None:
    used = set(re.findall(r"p\.(CLOSE_[A-Z_]+)", APP.read_text(encoding="utf-8")))
    assert used, "server/app.py closes with protocol constants"
    table = DOC.read_text(encoding="utf-8").split("## Close codes")[1].split("## Limits")[0]
    documented = {int(code) for code in re.findall(r"^\| (\d{4}) \|", table, re.M)}
    for name in used:
        assert getattr(p, name) in documented, name
    assert 1012 in documented  # sent by uvicorn at shutdown


def test_server_shapes_match_the_code() -> None:
    defs = schema()["$defs"]
    assert sorted(defs["Limits"]["properties"]) == sorted(Limits().public(2000, 30_000))
    assert sorted(defs["PersonaDraft"]["properties"]) == sorted(PersonaDraft.model_fields)
    assert sorted(defs["Change"]["properties"]) == sorted(Change.model_fields)
    assert sorted(defs["Usage"]["properties"]) == sorted(f.name for f in dataclasses.fields(Usage))
    progress_fields = [f.name for f in dataclasses.fields(Progress)] + ["questions_remaining"]
    assert sorted(defs["Progress"]["properties"]) == sorted(progress_fields)
    assert sorted(defs["CategoryProgress"]["properties"]) == sorted(
        f.name for f in dataclasses.fields(CategoryProgress)
    )


EVENT_TYPES = [
    "question.start",
    "question.delta",
    "question.reset",
    "question.end",
    "generation.queued",
    "generation.stopped",
    "generation.error",
    "answer.recorded",
    "question.skipped",
    "draft.saved",
    "progress",
    "session.state",
    "review.extracting",
    "review.ready",
    "session.applied",
    "summary.offered",
    "summary.resolved",
    "training.ready",
    "training.exported",
]


def test_session_events_require_session_id_seq_and_epoch() -> None:
    defs = schema()["$defs"]
    sequenced = {
        kind
        for kind, name in server_defs().items()
        if {"session_id", "seq", "epoch"} <= set(defs[name]["required"])
    }
    assert sequenced == {*EVENT_TYPES, "session.snapshot"}
    listed = DOC.read_text(encoding="utf-8").split("## Session events, seq and epoch")[1]
    for kind in EVENT_TYPES:
        assert f"`{kind}`" in listed.split("- `seq` counts")[0], kind


def test_every_doc_example_is_valid_and_every_type_has_one() -> None:
    examples = doc_examples()
    seen = set()
    for example in examples:
        kind = example["type"]
        seen.add(kind)
        if kind in client_defs():
            validate_client_frame(example)
            parse(example)
        else:
            validate_server_frame(example)
    assert set(client_defs()) <= seen, sorted(set(client_defs()) - seen)
    assert set(server_defs()) <= seen, sorted(set(server_defs()) - seen)


def test_the_schema_catches_a_missing_or_renamed_field_in_every_frame() -> None:
    by_type: dict[str, dict[str, Any]] = {}
    for example in doc_examples():
        by_type.setdefault(example["type"], example)
    defs = schema()["$defs"]
    for kind, example in by_type.items():
        name = {**client_defs(), **server_defs()}[kind]
        assert schema_errors(example, name) == []
        for field in defs[name]["required"]:
            if field == "type":
                continue
            missing = {key: value for key, value in example.items() if key != field}
            assert schema_errors(missing, name), f"{kind} without {field}"
            renamed = {**missing, field + "_": example[field]}
            assert schema_errors(renamed, name), f"{kind} with {field} renamed"


def test_validators_explain_what_is_wrong() -> None:
    with pytest.raises(FrameError, match="unknown type 'nope'"):
        validate_server_frame({"type": "nope"})
    with pytest.raises(FrameError, match=r"'seq' is a required property"):
        validate_server_frame(
            {
                "type": "question.delta",
                "session_id": SESSION,
                "epoch": "e",
                "question_id": "q1",
                "text": "x",
            }
        )
    with pytest.raises(FrameError, match="must be a JSON object"):
        validate_client_frame(["ping"])
