"""The built-in question bank: curated open-ended questions, follow-ups and reflections."""

from __future__ import annotations

from collections.abc import Sequence

from server.config import Category
from server.interview.model import QuestionRequest


def plan_builtin_question(request: QuestionRequest) -> str:
    raise NotImplementedError


def fallback_question(category: Category, asked: Sequence[str]) -> str:
    raise NotImplementedError
