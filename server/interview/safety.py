"""Crisis detection in answers and safety checks on generated questions (pure, rule-based)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

QuestionProblemKind = Literal[
    "empty",
    "not_a_question",
    "multiple_questions",
    "forbidden_topic",
    "duplicate",
    "too_long",
    "leading",
    "closed",
]


@dataclasses.dataclass(frozen=True)
class CrisisAssessment:
    crisis: bool
    cues: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class QuestionProblem:
    kind: QuestionProblemKind
    detail: str


CRISIS_MESSAGE = "TODO"


def detect_crisis(text: str) -> CrisisAssessment:
    raise NotImplementedError


def check_question(text: str, asked: Sequence[str]) -> list[QuestionProblem]:
    raise NotImplementedError
