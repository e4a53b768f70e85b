"""The built-in interviewer streams bank questions word by word and extracts with rules."""

from __future__ import annotations

import time

import anyio
import pytest

from server.config import default_config
from server.interview.model import (
    ExtractionRequest,
    QuestionDelta,
    QuestionEvent,
    QuestionFinal,
    QuestionRequest,
    Turn,
)
from server.interview.question_bank import plan_builtin_question
from server.interview.question_lint import check_question
from server.llm.base import Interviewer
from server.llm.builtin import BuiltinInterviewer, word_pieces

CONFIG = default_config()


def make_request(turns: tuple[Turn, ...] = (), with_baseline: bool = False) -> QuestionRequest:
    baseline = CONFIG.baseline_questions[2] if with_baseline else None
    return QuestionRequest(
        session_id="s1",
        question_id=f"q{len(turns) + 1}",
        number=len(turns) + 1,
        category="goals",
        turns=turns,
        config=CONFIG,
        baseline=baseline,
    )


HISTORY = (
    Turn(
        "q1",
        "goals",
        "What are you hoping for?",
        "I'd like to finish my degree this year, and I worry about the exams.",
    ),
)


async def collect(interviewer: BuiltinInterviewer, request: QuestionRequest) -> list[QuestionEvent]:
    return [event async for event in interviewer.stream_question(request)]


def test_it_is_an_interviewer() -> None:
    interviewer: Interviewer = BuiltinInterviewer()
    assert interviewer.name == "builtin"
    assert interviewer.label == "built-in question bank"


def test_negative_pace_is_refused() -> None:
    with pytest.raises(ValueError, match="pace"):
        BuiltinInterviewer(pace=-1)


@pytest.mark.parametrize(
    "text", ["", "One", "  leading and trailing  ", "What is it?\nSecond  line?", "a  b\tc"]
)
def test_word_pieces_rejoin_exactly(text: str) -> None:
    assert "".join(word_pieces(text)) == text


async def test_deltas_concatenate_to_the_final_text() -> None:
    interviewer = BuiltinInterviewer(pace=0)
    request = make_request(HISTORY)
    events = await collect(interviewer, request)
    deltas = [event for event in events if isinstance(event, QuestionDelta)]
    final = events[-1]
    assert isinstance(final, QuestionFinal)
    assert sum(isinstance(event, QuestionFinal) for event in events) == 1
    assert len(deltas) > 5
    assert "".join(delta.text for delta in deltas) == final.text
    assert final.text == plan_builtin_question(request)
    assert final.source == "builtin" and final.done_reason == "stop"
    assert check_question(final.text, request.asked_questions) == []


async def test_baseline_source_is_reported() -> None:
    events = await collect(BuiltinInterviewer(pace=0), make_request(with_baseline=True))
    final = events[-1]
    assert isinstance(final, QuestionFinal)
    assert final.source == "baseline"
    assert final.text == CONFIG.baseline_questions[2].prompt


async def test_pace_spaces_out_the_words() -> None:
    interviewer = BuiltinInterviewer(pace=0.01)
    request = make_request(HISTORY)
    words = len(word_pieces(plan_builtin_question(request)))
    started = time.monotonic()
    await collect(interviewer, request)
    assert time.monotonic() - started >= 0.01 * (words - 1) * 0.8


async def test_cancelling_mid_stream_stops_it() -> None:
    interviewer = BuiltinInterviewer(pace=0.05)
    received: list[QuestionEvent] = []
    with anyio.move_on_after(0.12) as scope:
        async for event in interviewer.stream_question(make_request(HISTORY)):
            received.append(event)
    assert scope.cancelled_caught
    assert received and all(isinstance(event, QuestionDelta) for event in received)
    assert len(received) < len(word_pieces(plan_builtin_question(make_request(HISTORY))))


async def test_cancelling_the_consumer_task_stops_the_stream() -> None:
    interviewer = BuiltinInterviewer(pace=0.05)
    received: list[QuestionEvent] = []

    async def consume() -> None:
        async for event in interviewer.stream_question(make_request(HISTORY)):
            received.append(event)

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        await anyio.sleep(0.08)
        group.cancel_scope.cancel()
    assert 0 < len(received) < 6
    assert not any(isinstance(event, QuestionFinal) for event in received)


async def test_extraction_cites_answers_only() -> None:
    turns = (
        Turn("q1", "values", "What matters?", "Honesty matters most to me."),
        Turn("q2", "goals", "What next?", None, skipped=True),
        Turn("q3", "current_focus", "What now?", "I'm working on a small garden app."),
    )
    interviewer = BuiltinInterviewer(pace=0)
    result = await interviewer.extract(ExtractionRequest("s1", turns, CONFIG))
    assert result.source == "builtin"
    assert result.draft.source == "builtin"
    assert [value.value for value in result.draft.values] == ["honesty"]
    assert result.draft.values[0].evidence == ("q1",)
    assert [item.text for item in result.draft.projects] == ["a small garden app"]
    for item in result.draft.items():
        assert set(item.evidence) <= {"q1", "q3"}
    await interviewer.aclose()


async def test_extraction_of_nothing_is_an_empty_draft() -> None:
    result = await BuiltinInterviewer().extract(ExtractionRequest("s1", (), CONFIG))
    assert result.draft.is_empty()
