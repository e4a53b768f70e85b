"""Plain data the interview core hands to interviewer backends, and what they hand back.

These types are the contract between the sans-I/O core (:mod:`server.interview`) and the
backends in :mod:`server.llm`. They carry no behaviour beyond small derived views.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from server.config import BaselineQuestion, Category, InterviewConfig
from server.persona.draft import PersonaDraft

QuestionSource = Literal["baseline", "builtin", "ollama", "fallback"]
DoneReason = Literal["stop", "length", "cancelled", "error", "fallback"]


@dataclasses.dataclass(frozen=True)
class Turn:
    """One asked question and what came of it, as a backend may see it."""

    question_id: str
    category: Category
    question: str
    answer: str | None = None
    skipped: bool = False

    @property
    def answered(self) -> bool:
        return self.answer is not None


@dataclasses.dataclass(frozen=True)
class QuestionRequest:
    """Everything a backend needs to write the next question.

    The core has already chosen ``category`` (the least covered one). ``turns`` holds the
    interview so far in order, with crisis turns left out: they are never sent to a model
    nor probed for material; only their question texts are passed, in ``withheld_questions``,
    so they are not asked twice. ``baseline`` is the config's unused baseline question for this
    category, if any: a good opener and the fallback when a generated question fails checks.
    """

    session_id: str
    question_id: str
    number: int
    category: Category
    turns: tuple[Turn, ...]
    config: InterviewConfig
    baseline: BaselineQuestion | None = None
    refused_topics: tuple[str, ...] = ()
    withheld_questions: tuple[str, ...] = ()

    @property
    def asked_questions(self) -> tuple[str, ...]:
        """Every question asked so far, including those whose answers are withheld (crisis
        turns), so a backend never asks one of them again."""
        return tuple(turn.question for turn in self.turns) + self.withheld_questions

    @property
    def last_answered(self) -> Turn | None:
        for turn in reversed(self.turns):
            if turn.answered:
                return turn
        return None


@dataclasses.dataclass(frozen=True)
class QuestionDelta:
    """A piece of question text to append to what was streamed so far."""

    text: str


@dataclasses.dataclass(frozen=True)
class QuestionRestart:
    """Throw away the text streamed so far: it failed a check and a new attempt follows."""

    reason: str


@dataclasses.dataclass(frozen=True)
class Usage:
    prompt_eval_count: int = 0
    eval_count: int = 0
    eval_duration_ms: float = 0.0
    load_duration_ms: float = 0.0
    total_duration_ms: float = 0.0


@dataclasses.dataclass(frozen=True)
class QuestionFinal:
    """The authoritative question text; always the last event of a stream."""

    text: str
    source: QuestionSource
    done_reason: DoneReason = "stop"
    usage: Usage | None = None
    notes: tuple[str, ...] = ()


QuestionEvent = QuestionDelta | QuestionRestart | QuestionFinal


@dataclasses.dataclass(frozen=True)
class ExtractionRequest:
    """The answered, non-crisis turns of a session, for persona extraction."""

    session_id: str
    turns: tuple[Turn, ...]
    config: InterviewConfig

    @property
    def answered_ids(self) -> tuple[str, ...]:
        return tuple(turn.question_id for turn in self.turns if turn.answered)


ExtractionSource = Literal["builtin", "ollama", "ollama-repaired", "builtin-fallback"]


@dataclasses.dataclass(frozen=True)
class ExtractionResult:
    draft: PersonaDraft
    source: ExtractionSource
    notes: tuple[str, ...] = ()
