"""Protocol v1 of ``/ws``: the client messages, their parsing, and the fixed vocabulary.

Pure: parsing and encoding only. The full contract, with examples, is ``docs/protocol.md``;
the machine-readable schema ``docs/protocol.schema.json`` is generated from these models plus
the server frames in :mod:`server.frames` (``personagen protocol-schema``) and tests validate
every frame against it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from server.errors import PersonagenError

PROTOCOL_VERSION = 1

# Close codes (RFC 6455 §7.4 plus the private 4000-4999 range).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008  # Origin not allowed
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012
CLOSE_SLOW_CONSUMER = 1013
CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_HELLO_TIMEOUT = 4408
CLOSE_RATE_LIMITED = 4429

# Text limits inside frames (the frame size itself is capped by uvicorn's ws_max_size).
MAX_ID_LENGTH = 64
MAX_TEXT_LENGTH = 16_000

ClientId = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[A-Za-z0-9_.:-]+$")
]
SessionRef = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
QuestionRef = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^q[0-9]{1,4}$")]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]


class ProtocolError(PersonagenError):
    """A frame that is not valid protocol v1: error code ``invalid_message``."""

    code = "invalid_message"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClientInfo(_Message):
    name: str = Field(default="", max_length=100)
    version: str = Field(default="", max_length=50)


class ResumePoint(_Message):
    session_id: SessionRef
    epoch: str = Field(max_length=64)
    last_seq: int = Field(ge=0)


class Hello(_Message):
    type: Literal["hello"]
    v: Literal[1] = 1
    token: str | None = Field(default=None, max_length=200)
    client: ClientInfo = ClientInfo()
    resume: ResumePoint | None = None


class Ping(_Message):
    type: Literal["ping"]
    t: float | int | str | None = None


class _Request(_Message):
    id: ClientId


class _SessionRequest(_Request):
    session_id: SessionRef


class SessionStart(_Request):
    type: Literal["session.start"]


class SessionOpen(_SessionRequest):
    """Attach to a session; with ``epoch`` and ``last_seq`` it resumes where the client was."""

    type: Literal["session.open"]
    epoch: str | None = Field(default=None, max_length=64)
    last_seq: int | None = Field(default=None, ge=0)


class SessionsList(_Request):
    type: Literal["sessions.list"]


class AnswerSubmit(_SessionRequest):
    type: Literal["answer.submit"]
    question_id: QuestionRef
    text: Text


class AnswerEdit(_SessionRequest):
    type: Literal["answer.edit"]
    question_id: QuestionRef
    text: Text


class AnswerSkip(_SessionRequest):
    type: Literal["answer.skip"]
    question_id: QuestionRef


class DraftUpdate(_SessionRequest):
    type: Literal["draft.update"]
    question_id: QuestionRef
    text: Text
    base_rev: int = Field(ge=0)


class SessionPause(_SessionRequest):
    type: Literal["session.pause"]


class SessionResume(_SessionRequest):
    type: Literal["session.resume"]


class SessionFinish(_SessionRequest):
    """Finish early (needs ``requireMinimumAnswers`` answers)."""

    type: Literal["session.finish"]


class SessionDiscard(_SessionRequest):
    type: Literal["session.discard"]


class QuestionNext(_SessionRequest):
    """Ask for the next question again, e.g. after a generation error or a stop."""

    type: Literal["question.next"]


class GenerationStop(_SessionRequest):
    type: Literal["generation.stop"]


Strategy = Literal["merge", "replace", "append"]


class ReviewRequest(_SessionRequest):
    """Extract the draft if needed and preview it under ``strategy``."""

    type: Literal["review.request"]
    strategy: Strategy = "merge"


class ReviewApply(_SessionRequest):
    type: Literal["review.apply"]
    strategy: Strategy
    base_digest: str = Field(min_length=1, max_length=80)
    change_ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=2000
    )


ClientMessage = Annotated[
    Hello
    | Ping
    | SessionStart
    | SessionOpen
    | SessionsList
    | AnswerSubmit
    | AnswerEdit
    | AnswerSkip
    | DraftUpdate
    | SessionPause
    | SessionResume
    | SessionFinish
    | SessionDiscard
    | QuestionNext
    | GenerationStop
    | ReviewRequest
    | ReviewApply,
    Field(discriminator="type"),
]
CLIENT_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
CLIENT_TYPES: tuple[str, ...] = (
    "hello",
    "ping",
    "session.start",
    "session.open",
    "sessions.list",
    "answer.submit",
    "answer.edit",
    "answer.skip",
    "draft.update",
    "session.pause",
    "session.resume",
    "session.finish",
    "session.discard",
    "question.next",
    "generation.stop",
    "review.request",
    "review.apply",
)


def parse_client_message(text: str) -> ClientMessage:
    """Parse one text frame. Raises ProtocolError naming what was expected and what came."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(
            f"expected a JSON object, found invalid JSON at line {exc.lineno} column {exc.colno}: "
            f"{exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a JSON object, found {type(data).__name__}")
    kind = data.get("type")
    if kind not in CLIENT_TYPES:
        raise ProtocolError(f"unknown message type {kind!r}; expected one of {list(CLIENT_TYPES)}")
    try:
        return CLIENT_ADAPTER.validate_python(data)
    except pydantic.ValidationError as exc:
        raise ProtocolError(f"{kind}: {_describe(exc)}") from None


def request_id_of(text: str) -> str | None:
    """Best effort: the ``id`` of a frame that failed to parse, so the error can echo it."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH:
            return value
    return None


def _describe(exc: pydantic.ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False)[:5]:
        field = ".".join(str(part) for part in error["loc"][1:] or error["loc"])
        if error["type"] == "missing":
            problems.append(f"field {field!r} is required")
        elif error["type"] == "extra_forbidden":
            problems.append(f"unknown field {field!r}")
        else:
            found = repr(error.get("input"))
            if len(found) > 60:
                found = found[:57] + "..."
            problems.append(f"field {field!r}: {error['msg']}; found {found}")
    return "; ".join(problems)


def encode(frame: dict[str, Any]) -> str:
    """One server frame as compact JSON text."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=str)
