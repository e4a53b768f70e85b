"""Coverage per category and the completion rule, as one pure function of the answers.

Policy (documented in the README, shown by every client the same way):

* An answered question earns its category *credit*: 0.5 for answering, plus up to 0.5 more
  for depth (linearly up to :data:`DEPTH_WORDS` words). Two full-credit answers make 100 %.
  So coverage moves in small steps and a terse answer counts for less than a rich one.
* A category is covered when its percentage reaches ``targetCategoryCompletionPercentage``.
* The interview is complete when at least ``requireMinimumAnswers`` questions are answered and
  every category is covered, or when ``maxQuestionsPerSession`` questions have been closed
  (answered, skipped or set aside for safety).
* A person may finish early once ``requireMinimumAnswers`` answers are in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

from server.config import Category, InterviewConfig

DEPTH_WORDS = 40
ANSWERS_FOR_FULL_COVERAGE = 2

CATEGORY_NOUNS: dict[Category, str] = {
    "values": "your values",
    "goals": "your goals",
    "style": "how you communicate",
    "biography": "your story",
    "current_focus": "what you are focused on now",
}


@dataclasses.dataclass(frozen=True)
class ClosedQuestion:
    """What coverage needs to know about one closed question."""

    category: Category
    answer: str | None  # None when skipped or set aside


@dataclasses.dataclass(frozen=True)
class CategoryProgress:
    category: Category
    answered: int
    percent: int
    target_percent: int
    remaining_answers: int
    covered: bool

    def to_dict(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data["noun"] = CATEGORY_NOUNS[self.category]
        return data


CompletionReason = Literal["coverage", "max_questions"]


@dataclasses.dataclass(frozen=True)
class Progress:
    categories: tuple[CategoryProgress, ...]
    answered: int
    closed: int
    max_questions: int
    min_answers: int
    complete: bool
    reason: CompletionReason | None
    can_finish_early: bool
    message: str

    @property
    def questions_remaining(self) -> int:
        return max(0, self.max_questions - self.closed)

    def of(self, category: Category) -> CategoryProgress:
        for item in self.categories:
            if item.category == category:
                return item
        raise KeyError(category)

    def to_dict(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data["questions_remaining"] = self.questions_remaining
        return data


def answer_credit(text: str) -> float:
    """Credit one answer earns its category: 0.5 for answering, up to 0.5 more for depth."""
    words = len(text.split())
    return 0.5 + 0.5 * min(1.0, words / DEPTH_WORDS)


def _plural(count: int, word: str) -> str:
    return f"{count} more {word}" + ("" if count == 1 else "s")


def compute_progress(closed: Sequence[ClosedQuestion], config: InterviewConfig) -> Progress:
    """Coverage of every configured category and whether the interview is complete."""
    target_percent = config.session_defaults.target_category_completion_percentage
    target_credit = ANSWERS_FOR_FULL_COVERAGE * target_percent / 100
    credit: dict[Category, float] = dict.fromkeys(config.categories, 0.0)
    answered_in: dict[Category, int] = dict.fromkeys(config.categories, 0)
    answered = 0
    for item in closed:
        if item.answer is None or item.category not in credit:
            continue
        answered += 1
        answered_in[item.category] += 1
        credit[item.category] += answer_credit(item.answer)

    categories = []
    for category in config.categories:
        ratio = min(1.0, credit[category] / ANSWERS_FOR_FULL_COVERAGE)
        # Floor, so a category never shows 80 % before the rule counts it covered.
        percent = math.floor(ratio * 100 + 1e-9)
        covered = percent >= target_percent
        missing = max(0.0, target_credit - credit[category])
        remaining = 0 if covered else max(1, math.ceil(missing - 1e-9))
        categories.append(
            CategoryProgress(
                category, answered_in[category], percent, target_percent, remaining, covered
            )
        )

    max_questions = config.max_questions_per_session
    min_answers = config.require_minimum_answers
    all_covered = all(item.covered for item in categories)
    reason: CompletionReason | None = None
    if answered >= min_answers and all_covered:
        reason = "coverage"
    elif len(closed) >= max_questions:
        reason = "max_questions"
    return Progress(
        categories=tuple(categories),
        answered=answered,
        closed=len(closed),
        max_questions=max_questions,
        min_answers=min_answers,
        complete=reason is not None,
        reason=reason,
        can_finish_early=answered >= min_answers,
        message=_message(categories, answered, min_answers, reason),
    )


def _message(
    categories: Sequence[CategoryProgress],
    answered: int,
    min_answers: int,
    reason: CompletionReason | None,
) -> str:
    if reason == "coverage":
        return "Interview complete: every topic is covered."
    if reason == "max_questions":
        return "Interview complete: the question limit was reached."
    parts = [
        f"{_plural(item.remaining_answers, 'answer')} about {CATEGORY_NOUNS[item.category]}"
        for item in categories
        if not item.covered
    ]
    still_needed = min_answers - answered - sum(item.remaining_answers for item in categories)
    if still_needed > 0:
        parts.append(f"{_plural(still_needed, 'answer')} on any topic")
    return "Still to go: at least " + ", ".join(parts) + "."
