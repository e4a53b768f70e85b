"""The one interface every interviewer backend implements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal, Protocol, runtime_checkable

from server.interview.crisis_frames import Level
from server.interview.model import (
    ExtractionRequest,
    ExtractionResult,
    QuestionEvent,
    QuestionRequest,
)

BackendName = Literal["ollama", "builtin"]


class Interviewer(Protocol):
    """Writes questions (streamed) and extracts a persona draft from a transcript.

    ``stream_question`` yields :class:`QuestionDelta` pieces, possibly a
    :class:`QuestionRestart` (discard what came so far), and always ends with exactly one
    :class:`QuestionFinal` unless it raises an :class:`~server.errors.LLMError`. Cancelling
    the consuming task must stop any upstream generation.

    ``extract`` never returns items without evidence and never raises for bad model output:
    it falls back to the rule-based extractor. It may raise ``LLMError`` only for transport
    failures when no fallback is possible.
    """

    @property
    def name(self) -> BackendName: ...

    @property
    def label(self) -> str:
        """Shown to people: 'Ollama model llama3.1:8b' or 'built-in question bank'."""
        ...

    def stream_question(self, request: QuestionRequest) -> AsyncIterator[QuestionEvent]: ...

    async def extract(self, request: ExtractionRequest) -> ExtractionResult: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class CrisisClassifier(Protocol):
    """A backend that can give a second opinion on crisis content (the Ollama backend).

    ``classify_crisis`` returns the model's verdict on one answer, or None when it could not
    give one (a transport error, an unreadable reply). It never raises: the rule verdict
    then decides alone. Callers join the two so that the model can only raise the verdict.
    """

    async def classify_crisis(self, text: str) -> Level | None: ...
