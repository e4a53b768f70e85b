"""The interviewer policy: which category to explore next, and what a backend is told.

The server, not the model, chooses the category: the least covered one, ties broken by the
config's order, so every topic gets its turn and a model cannot wander off.
"""

from __future__ import annotations

from server.config import BaselineQuestion, Category, InterviewConfig
from server.interview.model import QuestionRequest
from server.interview.session import Session


def next_category(session: Session, config: InterviewConfig) -> Category:
    """The least covered category; among equals, the one asked about least recently."""
    progress = session.progress(config)
    last_asked: dict[Category, int] = {}
    for index, question in enumerate(session.questions):
        last_asked[question.category] = index
    order = {category: position for position, category in enumerate(config.categories)}

    def key(category: Category) -> tuple[int, int, int]:
        item = progress.of(category)
        return (
            1 if item.covered else 0,
            item.percent,
            last_asked.get(category, -1) * 100 + order[category],
        )

    return min(config.categories, key=key)


def unused_baseline(
    session: Session, config: InterviewConfig, category: Category
) -> BaselineQuestion | None:
    """The first baseline question of ``category`` that this session has not asked yet."""
    # A stored question may start with a reflective opener, so look for the prompt inside it.
    asked = [question.text.casefold() for question in session.questions]
    for baseline in config.baseline_questions:
        prompt = baseline.prompt.strip().casefold()
        if baseline.category == category and not any(prompt in text for text in asked):
            return baseline
    return None


def plan_next_question(session: Session, config: InterviewConfig) -> QuestionRequest | None:
    """What to ask next, or None when no question should be asked now."""
    if not session.can_ask(config):
        return None
    baseline: BaselineQuestion | None
    if not session.questions and config.baseline_questions:
        # The interview opens with the config's first baseline question, as MetaHuman does.
        first = config.baseline_questions[0]
        category, baseline = first.category, first
    else:
        category = next_category(session, config)
        baseline = unused_baseline(session, config, category)
    refused = tuple(
        question.text for question in session.questions if question.id in session.skipped
    )
    withheld = tuple(
        question.text
        for question in session.questions
        if (answer := session.answers.get(question.id)) is not None and answer.crisis
    )
    return QuestionRequest(
        session_id=session.session_id,
        question_id=session.next_question_id,
        number=len(session.questions) + 1,
        category=category,
        turns=session.turns(),
        config=config,
        baseline=baseline,
        refused_topics=refused,
        withheld_questions=withheld,
    )
