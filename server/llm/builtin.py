"""The built-in interviewer: a curated question bank streamed at a natural pace.

No model, no network: :func:`~server.interview.question_bank.plan_question` chooses the text,
this adapter streams it word by word through the same protocol as the Ollama backend, and
:func:`~server.interview.extract_rules.extract_persona` builds the draft.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel

from server.interview.extract_rules import extract_persona
from server.interview.model import (
    ExtractionRequest,
    ExtractionResult,
    QuestionDelta,
    QuestionEvent,
    QuestionFinal,
    QuestionRequest,
)
from server.interview.question_bank import plan_question
from server.llm.base import BackendName


def word_pieces(text: str) -> list[str]:
    """Split ``text`` into streamable pieces, each a word with the whitespace after it.

    Leading whitespace rides on the first piece, so ``"".join(pieces) == text`` exactly.
    """
    pieces = re.findall(r"\s*\S+\s*", text)
    if not pieces:
        return [text] if text else []
    return pieces


class BuiltinInterviewer:
    """The embedded default interviewer (see :class:`server.llm.base.Interviewer`)."""

    def __init__(self, pace: float = 0.015) -> None:
        if pace < 0:
            raise ValueError(f"pace must be zero or more seconds, found {pace}")
        self._pace = pace

    @property
    def name(self) -> BackendName:
        return "builtin"

    @property
    def label(self) -> str:
        return "built-in question bank"

    async def stream_question(self, request: QuestionRequest) -> AsyncIterator[QuestionEvent]:
        planned = plan_question(request)
        for index, piece in enumerate(word_pieces(planned.text)):
            if index:
                if self._pace > 0:
                    await anyio.sleep(self._pace)
                else:
                    await anyio.lowlevel.checkpoint()
            yield QuestionDelta(piece)
        yield QuestionFinal(planned.text, source=planned.source, done_reason="stop")

    async def extract(self, request: ExtractionRequest) -> ExtractionResult:
        await anyio.lowlevel.checkpoint()
        draft = extract_persona(request).keep_evidenced_by(request.answered_ids)
        return ExtractionResult(draft, "builtin")

    async def aclose(self) -> None:
        return None
