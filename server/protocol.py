"""Protocol v1 of ``/ws``: the client messages, their parsing, and the fixed vocabulary.

Pure: parsing and encoding only. The full contract, with examples, is ``docs/protocol.md``;
the machine-readable JSON Schema is ``docs/protocol.schema.json``, maintained by hand beside
these models and kept from drifting by ``tests/test_protocol.py``, while the protocol tests
validate every frame they send and receive against it.
"""

from __future__ import annotations

import json
import math
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
SummaryRef = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^s[0-9]{1,4}$")]


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


class SummaryConfirm(_SessionRequest):
    """The person says the interviewer's summary is right."""

    type: Literal["summary.confirm"]
    summary_id: SummaryRef


class SummaryCorrect(_SessionRequest):
    """The person corrects the summary in their own words (kept as evidence)."""

    type: Literal["summary.correct"]
    summary_id: SummaryRef
    text: Text


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
    edits: dict[str, str | dict[str, str]] | None = Field(default=None, max_length=2000)
    """Rewordings by change id: text for a string item, ``{field: text}`` for an object."""


QuestionIds = list[Annotated[str, Field(max_length=64)]]


class TrainingReview(_SessionRequest):
    """Show what the training export would write, turn by turn (nothing is written)."""

    type: Literal["training.review"]
    excluded: QuestionIds = Field(default_factory=list, max_length=2000)


class TrainingExport(_SessionRequest):
    """Write the training export, leaving out the turns the person excluded."""

    type: Literal["training.export"]
    excluded: QuestionIds = Field(default_factory=list, max_length=2000)


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
    | ReviewApply
    | SummaryConfirm
    | SummaryCorrect
    | TrainingReview
    | TrainingExport,
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
    "summary.confirm",
    "summary.correct",
    "training.review",
    "training.export",
)


class _NotPortableJSON(ValueError):
    """JSON that Python accepts but other JSON parsers do not, or that cannot be sent back."""


def _reject_constant(name: str) -> Any:
    raise _NotPortableJSON(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotPortableJSON(f"the number {text[:20]} is too large for a 64-bit float")
    return value


def _loads(text: str) -> Any:
    """``json.loads`` restricted to portable JSON: finite numbers, no lone surrogates.

    Raises ProtocolError for anything else, including nesting too deep to parse and integers
    with more digits than Python converts (both are ValueError/RecursionError, not
    JSONDecodeError).
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ProtocolError(
            f"expected a JSON object, found invalid JSON at line {exc.lineno} column {exc.colno}: "
            f"{exc.msg}"
        ) from None
    except RecursionError:
        raise ProtocolError("expected a JSON object, found JSON nested too deeply") from None
    except _NotPortableJSON as exc:
        raise ProtocolError(f"expected portable JSON, found {exc}") from None
    except ValueError:  # int(): more digits than sys.get_int_max_str_digits()
        raise ProtocolError("expected portable JSON, found a number with too many digits") from None
    try:
        # A "\ud800" escape decodes to a lone surrogate, which cannot be encoded as UTF-8: it
        # would break every frame that echoes it (pong, draft.saved, answer.recorded).
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError(
            "expected text in UTF-8, found an unpaired surrogate escape (\\ud800-\\udfff)"
        ) from None
    except RecursionError:
        raise ProtocolError("expected a JSON object, found JSON nested too deeply") from None
    return data


_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def parse_client_message(text: str) -> ClientMessage:
    """Parse one text frame. Raises ProtocolError naming what was expected and what came."""
    data = _loads(text)
    if not isinstance(data, dict):
        found = _JSON_TYPE_NAMES.get(type(data), type(data).__name__)
        raise ProtocolError(f"expected a JSON object, found a JSON {found}")
    kind = data.get("type")
    if kind not in CLIENT_TYPES:
        raise ProtocolError(f"unknown message type {kind!r}; expected one of {list(CLIENT_TYPES)}")
    try:
        return CLIENT_ADAPTER.validate_python(data)
    except pydantic.ValidationError as exc:
        raise ProtocolError(f"{kind}: {_describe(exc)}") from None


def request_id_of(text: str) -> str | None:
    """Best effort: the ``id`` of a frame that failed to parse, so the error can echo it.

    An id with a lone surrogate (from a ``"\\ud800"`` escape) is not echoed: it cannot be
    sent back as UTF-8, and trying would end the connection with 1011.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError, or an integer with too many digits
        return None
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and _is_utf8(value):
            return value
    return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
