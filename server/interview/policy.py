"""The interviewer policy: which topic to explore next, and what a backend is told.

The server, not the model, chooses the topic, so every topic gets its turn, a model cannot
wander off, and the interview never loops:

* **Stay for depth**: after an answer that taught something new (the rule extractor found an
  item in it), the same topic is asked once more if it is not covered yet.
* **Never three in a row**: no topic is asked more than :data:`MAX_IN_A_ROW` times in a row;
  a topic whose last question was skipped or declined, or whose last answer taught nothing,
  is not asked next either. Only when no other topic is left may it come back.
* **Lower priority, not a ban**: among the other topics, the uncovered come first (a topic
  whose questions went nowhere :data:`FRUITLESS_TO_SET_ASIDE` times ranks with the covered
  ones); then the fewest declines (skips and "I'd rather not say" answers), the fewest
  answers that taught nothing, a topic whose question bank still has questions, the lowest
  coverage, the one asked longest ago, and the config's order.
"""

from __future__ import annotations

import collections
import dataclasses
import re

from server.config import BaselineQuestion, Category, InterviewConfig
from server.interview.extract_rules import extract_persona, understood_keys
from server.interview.model import ExtractionRequest, QuestionRequest, Turn
from server.interview.question_bank import bank_left
from server.interview.session import Session
from server.interview.summary import PlannedSummary, plan_summary

MAX_IN_A_ROW = 2
# Questions that went nowhere (declined, or answered with nothing about the topic) after
# which a topic ranks with the covered ones: asking it first again would only loop.
FRUITLESS_TO_SET_ASIDE = 2

# An answer that declines the question: short and saying so.
_DECLINE = re.compile(
    r"\b(?:rather not|prefer not|not comfortable|don'?t want to (?:talk|say|share|go into|"
    r"answer)|not something i (?:talk|share)|pass on (?:this|that)|skip (?:this|that)|"
    r"no comment|none of your business|let'?s move on|next question)\b",
    re.IGNORECASE,
)
_DECLINE_MAX_WORDS = 25


def is_decline(answer: str) -> bool:
    """Whether an answer declines its question ("I'd rather not go into that.")."""
    return len(answer.split()) <= _DECLINE_MAX_WORDS and bool(_DECLINE.search(answer))


# Memo of taught_something: the policy asks about every answer each time it plans, and an
# answer never changes under its key (an edit is a new Turn). Bounded, oldest dropped first.
_TAUGHT: collections.OrderedDict[tuple[Turn, int], bool] = collections.OrderedDict()
_TAUGHT_LIMIT = 4096


def taught_something(turn: Turn, config: InterviewConfig) -> bool:
    """Whether the rule extractor understood something about the turn's own topic from it.

    An answer about another topic (a batch leftover, a person who drifts) teaches this topic
    nothing, so it does not keep the topic first.
    """
    if not turn.answered or not turn.answer:
        return False
    key = (turn, id(config))
    known = _TAUGHT.get(key)
    if known is None:
        request = ExtractionRequest("policy", (turn,), config)
        understood = understood_keys(extract_persona(request))
        known = _TAUGHT[key] = any(category == turn.category for category, _ in understood)
        if len(_TAUGHT) > _TAUGHT_LIMIT:
            _TAUGHT.popitem(last=False)
    return known


@dataclasses.dataclass(frozen=True)
class TopicStatus:
    """How one topic has gone so far, for choosing the next one."""

    declined: int = 0
    dry: int = 0
    last_went_nowhere: bool = False
    last_taught: bool = False


def topic_statuses(session: Session, config: InterviewConfig) -> dict[Category, TopicStatus]:
    """Per topic: declines, answers that taught nothing, and how its last question went."""
    found = {category: TopicStatus() for category in config.categories}
    withheld = {qid for qid, answer in session.answers.items() if answer.crisis}
    turns = {turn.question_id: turn for turn in session.turns()}
    for question in session.questions:
        if question.category not in found or question.id in withheld:
            continue
        status = found[question.category]
        turn = turns.get(question.id)
        if question.id in session.skipped or (
            turn is not None and turn.answer is not None and is_decline(turn.answer)
        ):
            status = dataclasses.replace(
                status, declined=status.declined + 1, last_went_nowhere=True, last_taught=False
            )
        elif turn is not None and turn.answered:
            taught = taught_something(turn, config)
            status = dataclasses.replace(
                status,
                dry=status.dry + (0 if taught else 1),
                last_went_nowhere=not taught,
                last_taught=taught,
            )
        found[question.category] = status
    return found


def current_run(session: Session) -> tuple[Category | None, int]:
    """The topic of the last question and how many questions in a row were about it."""
    if not session.questions:
        return None, 0
    last = session.questions[-1].category
    count = 0
    for question in reversed(session.questions):
        if question.category != last:
            break
        count += 1
    return last, count


def next_category(session: Session, config: InterviewConfig) -> Category:
    """The topic of the next question (see the module docstring)."""
    progress = session.progress(config)
    statuses = topic_statuses(session, config)
    last, run = current_run(session)
    if last is not None and last in statuses:
        status = statuses[last]
        stay = run < MAX_IN_A_ROW and status.last_taught and not progress.of(last).covered
        if stay:
            return last
    asked = [question.text for question in session.questions]
    last_asked: dict[Category, int] = {}
    for index, question in enumerate(session.questions):
        last_asked[question.category] = index
    order = {category: position for position, category in enumerate(config.categories)}

    def blocked(category: Category) -> bool:
        if category != last:
            return False
        return run >= MAX_IN_A_ROW or statuses[category].last_went_nowhere

    def key(category: Category) -> tuple[int, ...]:
        item, status = progress.of(category), statuses[category]
        set_aside = status.declined + status.dry >= FRUITLESS_TO_SET_ASIDE
        return (
            1 if blocked(category) else 0,
            1 if item.covered or set_aside else 0,
            status.declined,
            status.dry,
            0 if bank_left(category, asked) else 1,
            item.percent,
            last_asked.get(category, -1),
            order[category],
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


def summary_due(session: Session, config: InterviewConfig) -> PlannedSummary | None:
    """The MI summary to offer now, if any (see :mod:`server.interview.summary`).

    Offered between questions only: at a topic change, or once the interview is complete
    (before its review).
    """
    if session.pending_question is not None or session.review is not None:
        return None
    if session.state == "completed":
        return plan_summary(session.turns(), session.summarized_ids(), None, True, config)
    if session.state != "active" or not session.questions:
        return None
    request = plan_next_question(session, config)
    upcoming = request.category if request is not None else None
    complete = session.progress(config).complete
    return plan_summary(session.turns(), session.summarized_ids(), upcoming, complete, config)
