"""Coverage per category and the completion rule, as one pure function of the answers.

Coverage is what was *understood*, not how much was typed (policy documented in the README,
shown by every client the same way):

* Every closed answer is read by the rule-based extractor (:mod:`server.interview.extract_rules`,
  cached per answer); each distinct item it finds (a value, a goal, a style word, a key
  experience, a current focus, ...) is *understood* and counts 1 toward the category of its
  section, whichever question it answered. Items the extractor holds back as special-category
  count too: they were understood, only not kept. Words that yield no item count for nothing.
* An item the person *confirmed* (the summary step may pass ``confirmed``) counts
  :data:`CONFIRMED_WEIGHT` instead of 1.
* :data:`ITEMS_FOR_FULL_COVERAGE` understood items make a category 100 %; it is covered when its
  percentage reaches ``targetCategoryCompletionPercentage``.
* The interview is complete when at least ``requireMinimumAnswers`` questions are answered and
  every category is covered, or when ``maxQuestionsPerSession`` questions have been closed
  (answered, skipped or set aside for safety).
* A person may finish early once ``requireMinimumAnswers`` answers are in.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Literal

from server.config import Category, InterviewConfig, default_config
from server.interview.extract_rules import extract_persona, understood_keys
from server.interview.model import ExtractionRequest, Turn

ITEMS_FOR_FULL_COVERAGE = 2
CONFIRMED_WEIGHT = 1.5

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
    # Answers still needed at the usual pace of one understood item per answer.
    remaining_answers: int
    covered: bool
    understood: int = 0  # distinct items understood in this category
    remaining_items: int = 0  # understood items still needed to cover it

    @property
    def understood_text(self) -> str:
        """ "1 item understood", "nothing understood yet": what the page and CLI show."""
        if not self.understood:
            return "nothing understood yet"
        return f"{self.understood} item{'' if self.understood == 1 else 's'} understood"

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


@lru_cache(maxsize=4096)
def _understood_in(category: Category, answer: str) -> frozenset[tuple[Category, str]]:
    """(category, item key) of every item the rule extractor understands in one answer."""
    turn = Turn("q", category, "", answer)
    request = ExtractionRequest("coverage", (turn,), default_config())
    return understood_keys(extract_persona(request))


def understood_items(closed: Sequence[ClosedQuestion]) -> dict[Category, set[str]]:
    """Distinct understood items by category over the closed answers (crisis turns excluded)."""
    found: dict[Category, set[str]] = {}
    for item in closed:
        if item.answer is None or not item.answer.strip():
            continue
        for category, key in _understood_in(item.category, item.answer):
            found.setdefault(category, set()).add(key)
    return found


def _plural(count: int, word: str) -> str:
    return f"{count} more {word}" + ("" if count == 1 else "s")


def compute_progress(
    closed: Sequence[ClosedQuestion],
    config: InterviewConfig,
    confirmed: Mapping[Category, int] | None = None,
) -> Progress:
    """Coverage of every configured category and whether the interview is complete.

    ``confirmed``: how many of each category's understood items the person confirmed (from
    the summary step); each counts :data:`CONFIRMED_WEIGHT` instead of 1.
    """
    target_percent = config.session_defaults.target_category_completion_percentage
    target_credit = ITEMS_FOR_FULL_COVERAGE * target_percent / 100
    answered_in: dict[Category, int] = dict.fromkeys(config.categories, 0)
    answered = 0
    for item in closed:
        if item.answer is None or item.category not in answered_in:
            continue
        answered += 1
        answered_in[item.category] += 1
    understood = understood_items(closed)

    categories = []
    for category in config.categories:
        count = len(understood.get(category, ()))
        sure = min(count, (confirmed or {}).get(category, 0))
        credit = count + sure * (CONFIRMED_WEIGHT - 1)
        ratio = min(1.0, credit / ITEMS_FOR_FULL_COVERAGE)
        # Floor, so a category never shows 80 % before the rule counts it covered.
        percent = math.floor(ratio * 100 + 1e-9)
        covered = percent >= target_percent
        missing = max(0.0, target_credit - credit)
        remaining = 0 if covered else max(1, math.ceil(missing - 1e-9))
        categories.append(
            CategoryProgress(
                category,
                answered_in[category],
                percent,
                target_percent,
                remaining,
                covered,
                understood=count,
                remaining_items=remaining,
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
        return "Interview complete: enough is understood about every topic."
    if reason == "max_questions":
        return "Interview complete: the question limit was reached."
    parts = [
        f"{CATEGORY_NOUNS[item.category]} ({item.understood} understood, "
        f"{item.remaining_items} more needed)"
        for item in categories
        if not item.covered
    ]
    still_needed = min_answers - answered - sum(item.remaining_answers for item in categories)
    if still_needed > 0:
        parts.append(f"{_plural(still_needed, 'answer')} on any topic")
    return "Still to go: " + ", ".join(parts) + "."
