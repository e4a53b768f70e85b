"""The Ollama interviewer over real HTTP, through the official client, against the fake."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import pytest

from server.config import Category, default_config
from server.errors import (
    ConfigError,
    LLMBusy,
    LLMError,
    LLMStreamError,
    LLMUnavailable,
    ModelNotFound,
)
from server.interview.extract_rules import extract_persona
from server.interview.model import (
    ExtractionRequest,
    QuestionDelta,
    QuestionEvent,
    QuestionFinal,
    QuestionRequest,
    QuestionRestart,
    Turn,
)
from server.interview.prompts import (
    estimate_tokens,
    extraction_messages,
    extraction_schema,
    question_messages,
)
from server.interview.question_lint import MAX_QUESTION_LENGTH
from server.llm.base import Interviewer
from server.llm.ollama import SPARE_CONNECTIONS, OllamaInterviewer
from server.llm.select import make_ollama
from server.settings import Settings
from tests.fake_ollama import DEFAULT_MODEL, FakeOllama, Reply, unused_port

CONFIG = default_config()
GOOD = "You said honesty guides you. What does honesty look like in your everyday work?"
ASKED = "What core values guide your most important life decisions?"


def make_interviewer(host: str, **options: Any) -> OllamaInterviewer:
    settings: dict[str, Any] = {
        "model": DEFAULT_MODEL,
        "connect_timeout": 1,
        "read_timeout": 2,
        "question_deadline": 2,
        "num_ctx": 4096,
        **options,
    }
    return OllamaInterviewer(host=host, **settings)


Connect = Callable[..., OllamaInterviewer]


@pytest.fixture
async def connect(fake_ollama: FakeOllama) -> AsyncIterator[Connect]:
    """Make interviewers (for the fake unless ``host=`` says otherwise); all closed after."""
    made: list[OllamaInterviewer] = []

    def make(host: str | None = None, **options: Any) -> OllamaInterviewer:
        made.append(make_interviewer(host or fake_ollama.url, **options))
        return made[-1]

    yield make
    for llm in made:
        await llm.aclose()


@pytest.fixture
def interviewer(connect: Connect) -> OllamaInterviewer:
    return connect(seed=7)


def question_request(*, category: Category = "goals", baseline: bool = False) -> QuestionRequest:
    turns = (
        Turn("q1", "values", ASKED, "Honesty, mostly. I would rather lose a deal than lie."),
        Turn("q2", "style", "How would the people who know you describe you?", None, True),
    )
    return QuestionRequest(
        session_id="s1",
        question_id="q3",
        number=3,
        category=category,
        turns=turns,
        config=CONFIG,
        baseline=CONFIG.baseline_questions[2] if baseline else None,
    )


def extraction_request() -> ExtractionRequest:
    turns = (
        Turn("q1", "values", ASKED, "Honesty, mostly. I would rather lose a deal than lie."),
        Turn("q2", "goals", "What are you hoping for?", "I want to finish my garden app."),
    )
    return ExtractionRequest(session_id="s1", turns=turns, config=CONFIG)


async def collect(events: AsyncGenerator[QuestionEvent, None]) -> list[QuestionEvent]:
    async with contextlib.aclosing(events) as stream:
        return [event async for event in stream]


def streamed_text(events: list[QuestionEvent]) -> str:
    """What a client shows: deltas appended, a restart clears them."""
    text = ""
    for event in events:
        if isinstance(event, QuestionDelta):
            text += event.text
        elif isinstance(event, QuestionRestart):
            text = ""
    return text


def final_of(events: list[QuestionEvent]) -> QuestionFinal:
    assert isinstance(events[-1], QuestionFinal)
    assert sum(isinstance(event, QuestionFinal) for event in events) == 1
    return events[-1]


def test_implements_the_interviewer_protocol() -> None:
    llm: Interviewer = make_interviewer("http://127.0.0.1:1")
    assert llm.name == "ollama"
    assert llm.label == f"Ollama model {DEFAULT_MODEL}"


# -- streaming a question -------------------------------------------------------------------


async def test_streams_a_question_token_by_token(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    chunks: tuple[str, ...] = (
        "\n ",
        " You",
        " said",
        " honesty",
        " guides",
        " you.",
        " What",
        " does",
        " it",
    )
    chunks += (" look", " like", " at", " work", "?", "\n")
    fake_ollama.script(Reply(chunks=chunks, token_delay=0.005))
    events = await collect(interviewer.stream_question(question_request()))

    final = final_of(events)
    deltas = [event.text for event in events if isinstance(event, QuestionDelta)]
    assert "".join(deltas) == final.text
    assert final.text == "You said honesty guides you. What does it look like at work?"
    assert deltas[0] == "You"
    assert (final.source, final.done_reason) == ("ollama", "stop")
    assert final.usage is not None and final.usage.eval_count == len(chunks)
    assert final.usage.total_duration_ms > 0 and final.usage.prompt_eval_count > 0

    [body] = fake_ollama.chat_requests
    assert body["model"] == DEFAULT_MODEL
    assert body["stream"] is True and body["think"] is False
    assert body["keep_alive"] == "30m"
    assert body["options"] == {"temperature": 0.7, "num_ctx": 4096, "num_predict": 200, "seed": 7}
    system, *_, instruction = body["messages"]
    for rule in CONFIG.privacy_guidelines:
        assert rule in system["content"]
    assert CONFIG.description_of("goals") in instruction["content"]
    assert body["messages"][2] == {"role": "user", "content": question_request().turns[0].answer}


async def test_deltas_are_yielded_as_they_arrive(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.script(Reply(GOOD, token_delay=0.03))
    started = time.monotonic()
    arrivals: list[float] = []
    async with contextlib.aclosing(interviewer.stream_question(question_request())) as events:
        async for _ in events:
            arrivals.append(time.monotonic() - started)
    assert arrivals[-1] > 0.3
    assert arrivals[0] < arrivals[-1] / 2


async def test_stop_sequences_are_sent_when_configured(
    fake_ollama: FakeOllama, connect: Connect
) -> None:
    llm = connect(stop=["\n\n"], temperature=0.1, keep_alive="5m")
    fake_ollama.reply(GOOD)
    await collect(llm.stream_question(question_request()))
    [body] = fake_ollama.chat_requests
    assert body["options"]["stop"] == ["\n\n"] and body["options"]["temperature"] == 0.1
    assert "seed" not in body["options"] and body["keep_alive"] == "5m"


async def test_a_rejected_question_restarts_and_retries_with_the_problem(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply("What is your home address? And who do you live with?")
    fake_ollama.reply(GOOD)
    events = await collect(interviewer.stream_question(question_request()))

    restarts = [event for event in events if isinstance(event, QuestionRestart)]
    assert len(restarts) == 1
    assert "address" in restarts[0].reason and "2 questions" in restarts[0].reason
    final = final_of(events)
    assert (final.text, final.source) == (GOOD, "ollama")
    assert final.notes == (restarts[0].reason,)
    assert streamed_text(events) == final.text
    first, retry = fake_ollama.chat_requests
    assert "rejected" not in first["messages"][-1]["content"]
    assert (
        f"Your previous attempt was rejected: {restarts[0].reason}"
        in (retry["messages"][-1]["content"])
    )


async def test_two_rejected_questions_fall_back_to_the_baseline(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply("What is your bank account number?")
    fake_ollama.reply(ASKED)  # a duplicate of the first question
    request = question_request(baseline=True)
    events = await collect(interviewer.stream_question(request))

    assert [type(e) for e in events].count(QuestionRestart) == 2
    final = final_of(events)
    assert request.baseline is not None
    assert final.text == request.baseline.prompt
    assert (final.source, final.done_reason) == ("fallback", "fallback")
    assert len(final.notes) == 2 and "repeats one already asked" in final.notes[1]
    assert streamed_text(events) == final.text
    assert fake_ollama.pending == 0 and len(fake_ollama.chat_requests) == 2


async def test_without_a_baseline_the_fallback_comes_from_the_question_bank(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply("Are you happy?")
    fake_ollama.reply("Are you happy? Really?")
    events = await collect(interviewer.stream_question(question_request(category="biography")))
    final = final_of(events)
    assert final.source == "fallback"
    assert final.text.endswith("?") and final.text not in question_request().asked_questions
    assert streamed_text(events) == final.text


async def test_a_question_cut_off_at_the_length_limit_is_retried(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.script(Reply("What does honesty mean to you when", done_reason="length"))
    fake_ollama.reply(GOOD)
    events = await collect(interviewer.stream_question(question_request()))
    [restart] = [event for event in events if isinstance(event, QuestionRestart)]
    assert "cut off at the length limit" in restart.reason
    assert final_of(events).text == GOOD


async def test_a_runaway_reply_is_cut_at_the_length_limit(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    # 400 words of about 8 characters: far past the 350-character limit for a question.
    runaway = " ".join(f"word{index:03d}" for index in range(400)) + "?"
    fake_ollama.script(Reply(runaway, token_delay=0.002))
    fake_ollama.reply(GOOD)
    events = await collect(interviewer.stream_question(question_request()))

    restart_at = next(i for i, e in enumerate(events) if isinstance(e, QuestionRestart))
    first_attempt = "".join(e.text for e in events[:restart_at] if isinstance(e, QuestionDelta))
    assert MAX_QUESTION_LENGTH < len(first_attempt) <= MAX_QUESTION_LENGTH + len("word000 ")
    assert runaway.startswith(first_attempt)
    restart = events[restart_at]
    assert isinstance(restart, QuestionRestart) and "ran past 350 characters" in restart.reason
    assert final_of(events).text == GOOD
    # The first request was closed at the cut, not read to its end.
    [disconnect] = await fake_ollama.wait_for_disconnects(1)
    assert disconnect.path == "/api/chat" and disconnect.request_index == 0
    assert disconnect.chunks_sent < 400
    retry = fake_ollama.chat_requests[1]
    assert "ran past 350 characters" in retry["messages"][-1]["content"]


async def test_a_failed_retry_falls_back_instead_of_raising(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply("Where do you live exactly?")
    fake_ollama.busy()
    events = await collect(interviewer.stream_question(question_request(baseline=True)))
    final = final_of(events)
    assert final.source == "fallback"
    assert "the retry failed" in final.notes[-1] and "busy" in final.notes[-1]


async def test_a_truncated_prompt_is_noted(fake_ollama: FakeOllama, connect: Connect) -> None:
    # Ollama keeps about num_ctx/2 + 2 tokens of an over-long prompt (ollama/ollama #17427).
    num_ctx = 1200
    assert estimate_tokens(question_messages(question_request(), num_ctx=num_ctx)) > num_ctx / 2
    llm = connect(num_ctx=num_ctx)
    fake_ollama.script(Reply(GOOD, prompt_eval_count=num_ctx // 2 + 2))
    events = await collect(llm.stream_question(question_request()))
    [note] = final_of(events).notes
    assert "evaluated only 602 prompt tokens" in note and "num_ctx 1200" in note


# -- failures -------------------------------------------------------------------------------


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("script", "error", "fragments"),
    [
        (lambda f: f.fail(404), ModelNotFound, ["run `ollama pull llama3.1:8b`"]),
        (lambda f: f.busy(), LLMBusy, ["busy", "maximum pending requests exceeded"]),
        (lambda f: f.fail(500, "runner died"), LLMError, ["HTTP 500", "runner died"]),
        (lambda f: f.error_mid_stream("out of memory"), LLMStreamError, ["out of memory"]),
        (lambda f: f.close_abruptly(after=3), LLMUnavailable, ["incomplete chunked read"]),
        (lambda f: f.stall(5, after=1), LLMUnavailable, ["timed out", "ReadTimeout"]),
    ],
    ids=["404", "503", "500", "mid-stream", "abrupt-close", "stall"],
)
async def test_each_failure_maps_to_its_error(
    fake_ollama: FakeOllama,
    script: Any,
    error: type[LLMError],
    fragments: list[str],
    connect: Connect,
) -> None:
    llm = connect(read_timeout=0.3)
    script(fake_ollama)
    with pytest.raises(LLMError) as caught:
        await collect(llm.stream_question(question_request()))
    assert type(caught.value) is error
    assert fake_ollama.url in caught.value.message
    for fragment in fragments:
        assert fragment in caught.value.message
    assert caught.value.__cause__ is not None


async def test_an_error_mid_stream_comes_after_the_first_deltas(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.error_mid_stream("boom", after=3)
    seen: list[QuestionEvent] = []
    with pytest.raises(LLMStreamError) as caught:
        async with contextlib.aclosing(interviewer.stream_question(question_request())) as events:
            async for event in events:
                seen.append(event)
    assert [type(event) for event in seen] == [QuestionDelta] * 3
    assert caught.value.code == "ollama_stream_error" and caught.value.retryable


async def test_unreachable_ollama_is_unavailable_naming_the_host(connect: Connect) -> None:
    host = f"http://127.0.0.1:{unused_port()}"
    llm = connect(host=host)
    with pytest.raises(LLMUnavailable) as streaming:
        await collect(llm.stream_question(question_request()))
    with pytest.raises(LLMUnavailable) as plain:
        await llm.warm()
    for caught in (streaming, plain):
        assert host in caught.value.message and caught.value.code == "ollama_unavailable"
    assert isinstance(streaming.value.__cause__, httpx.ConnectError)
    assert type(plain.value.__cause__) is ConnectionError


async def test_a_missing_model_is_not_retryable_and_names_the_pull(
    fake_ollama: FakeOllama, connect: Connect
) -> None:
    llm = connect(model="qwen3:4b")
    with pytest.raises(ModelNotFound) as caught:
        await collect(llm.stream_question(question_request()))
    assert "run `ollama pull qwen3:4b`" in caught.value.message
    assert "model 'qwen3:4b' not found" in caught.value.message
    assert caught.value.to_dict()["retryable"] is False


@pytest.mark.timeout(10)
async def test_the_question_deadline_bounds_a_slow_stream(
    fake_ollama: FakeOllama, connect: Connect
) -> None:
    llm = connect(question_deadline=0.4, read_timeout=2)
    fake_ollama.script(Reply(GOOD, token_delay=0.1))
    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as caught:
        await collect(llm.stream_question(question_request()))
    assert time.monotonic() - started < 1.5
    assert "timed out after 0.4 s" in caught.value.message
    assert len(await fake_ollama.wait_for_disconnects(1)) == 1


@pytest.mark.timeout(10)
async def test_the_deadline_never_cancels_the_consumers_own_work(
    fake_ollama: FakeOllama, connect: Connect
) -> None:
    # Generous numbers so a loaded machine still delivers the first token before the deadline.
    llm = connect(question_deadline=1.5)
    fake_ollama.script(Reply(GOOD, token_delay=0.01))
    slept = 0
    with pytest.raises(LLMUnavailable, match=r"timed out after 1\.5 s"):
        async with contextlib.aclosing(llm.stream_question(question_request())) as events:
            async for _ in events:
                await anyio.sleep(0.8)  # the consumer's work between deltas
                slept += 1
    assert slept >= 1


async def test_a_stall_closes_the_upstream_connection(
    fake_ollama: FakeOllama, connect: Connect
) -> None:
    llm = connect(read_timeout=0.3)
    fake_ollama.stall(5, after=1)
    with pytest.raises(LLMUnavailable):
        await collect(llm.stream_question(question_request()))
    [disconnect] = await fake_ollama.wait_for_disconnects(1)
    assert disconnect.chunks_sent == 1


# -- cancellation ---------------------------------------------------------------------------


@pytest.mark.timeout(10)
async def test_cancelling_the_consumer_closes_the_upstream_stream(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.script(Reply(GOOD, token_delay=0.05))
    received: list[QuestionEvent] = []
    first = anyio.Event()

    async def consume() -> None:
        async with contextlib.aclosing(interviewer.stream_question(question_request())) as events:
            async for event in events:
                received.append(event)
                first.set()

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        await first.wait()
        group.cancel_scope.cancel()

    [disconnect] = await fake_ollama.wait_for_disconnects(1)
    assert disconnect.path == "/api/chat"
    assert 1 <= disconnect.chunks_sent < len(GOOD.split())
    assert not any(isinstance(event, QuestionFinal) for event in received)


@pytest.mark.timeout(10)
async def test_closing_the_generator_early_closes_the_upstream_stream(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.script(Reply(GOOD, token_delay=0.05))
    async with contextlib.aclosing(interviewer.stream_question(question_request())) as events:
        async for _ in events:
            break
    assert len(await fake_ollama.wait_for_disconnects(1)) == 1


async def test_a_completed_question_leaves_no_disconnect(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply(GOOD)
    await collect(interviewer.stream_question(question_request()))
    await anyio.sleep(0.05)
    assert fake_ollama.disconnects == []


# -- probe and warm-up ----------------------------------------------------------------------


async def test_probe_finds_ollama_and_the_model(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    status = await interviewer.probe()
    assert (status.reachable, status.model_present, status.ready) == (True, True, True)
    assert status.version == fake_ollama.version
    assert DEFAULT_MODEL in status.detail and fake_ollama.url in status.detail


async def test_probe_reports_ollama_down(connect: Connect) -> None:
    host = f"http://127.0.0.1:{unused_port()}"
    llm = connect(host=host)
    status = await llm.probe()
    assert (status.reachable, status.model_present, status.version) == (False, False, None)
    assert host in status.detail


async def test_probe_reports_a_missing_model(fake_ollama: FakeOllama, connect: Connect) -> None:
    llm = connect(model="qwen3:4b")
    status = await llm.probe()
    assert (status.reachable, status.model_present) == (True, False)
    assert "run `ollama pull qwen3:4b`" in status.detail
    assert [r.path for r in fake_ollama.requests] == ["/api/version", "/api/tags", "/api/show"]


async def test_probe_accepts_a_bare_name_for_the_latest_tag(
    fake_ollama: FakeOllama, connect: Connect
) -> None:
    fake_ollama.models = ["mistral:latest"]
    llm = connect(model="mistral")
    status = await llm.probe()
    assert status.ready


async def test_warm_loads_the_model(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    await interviewer.warm()
    [body] = fake_ollama.chat_requests
    assert body["messages"] == [] and body["keep_alive"] == "30m"
    assert fake_ollama.loaded == {DEFAULT_MODEL}
    assert fake_ollama.pending == 0


# -- extraction -----------------------------------------------------------------------------

EXTRACTED = {
    "values": [
        {
            "value": "honesty",
            "description": "Would rather lose a deal than lie",
            "evidence": ["q1"],
            "confidence": 0.9,
            "quote": "I would rather lose a deal than lie",
        }
    ],
    "goals": [
        {
            "goal": "Finish the garden app",
            "horizon": "shortTerm",
            "evidence": ["q2", "q9"],
            "confidence": 0.8,
            "quote": "finish my garden app",
        },
        {"goal": "Invented", "horizon": "longTerm", "evidence": ["q9"], "confidence": 0.8},
    ],
}


async def test_extracts_json_with_the_schema_as_format(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply_json(EXTRACTED)
    result = await interviewer.extract(extraction_request())
    assert result.source == "ollama" and result.draft.source == "ollama"
    assert [v.value for v in result.draft.values] == ["honesty"]
    assert [g.goal for g in result.draft.goals] == ["Finish the garden app"]
    assert result.draft.goals[0].evidence == ("q2",)
    assert result.notes == ()
    [body] = fake_ollama.chat_requests
    assert body["stream"] is False and body["think"] is False
    assert body["format"] == extraction_schema()
    assert body["options"]["temperature"] == 0.2 and body["options"]["num_ctx"] == 4096
    assert "[q1] Answer: Honesty, mostly." in body["messages"][1]["content"]


async def test_invalid_json_is_repaired_once(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply('{"values": [{"value": "honesty",')
    fake_ollama.reply_json(EXTRACTED)
    result = await interviewer.extract(extraction_request())
    assert result.source == "ollama-repaired" and result.draft.source == "ollama-repaired"
    assert [v.value for v in result.draft.values] == ["honesty"]
    assert "first reply was rejected" in result.notes[0]
    _, repair = fake_ollama.chat_requests
    assert repair["messages"][2] == {
        "role": "assistant",
        "content": '{"values": [{"value": "honesty",',
    }
    assert "found invalid JSON" in repair["messages"][3]["content"]


async def test_invalid_twice_falls_back_to_the_rule_based_extractor(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply("not json at all")
    fake_ollama.reply_json({"values": [{"value": "x", "evidence": ["q1"], "confidence": 7}]})
    result = await interviewer.extract(extraction_request())
    assert result.source == "builtin-fallback" and result.draft.source == "builtin-fallback"
    assert "repaired reply was rejected too" in result.notes[-1]
    assert "rule-based extractor" in result.notes[-1]
    assert set(qid for item in result.draft.items() for qid in item.evidence) <= {"q1", "q2"}


async def test_ollama_down_during_extraction_falls_back(connect: Connect) -> None:
    llm = connect(host=f"http://127.0.0.1:{unused_port()}")
    result = await llm.extract(extraction_request())
    assert result.source == "builtin-fallback"
    assert "ollama_unavailable" in result.notes[-1]


async def test_busy_during_repair_falls_back(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    fake_ollama.reply("[]")
    fake_ollama.busy()
    result = await interviewer.extract(extraction_request())
    assert result.source == "builtin-fallback"
    assert "repair request failed (ollama_busy)" in result.notes[-1]


async def test_an_empty_model_draft_does_not_hide_what_the_rules_found(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    assert not extract_persona(extraction_request()).is_empty()
    # Valid JSON, but its only item cites a question that was never asked.
    fake_ollama.reply_json({"values": [{"value": "x", "evidence": ["q77"], "confidence": 1}]})
    result = await interviewer.extract(extraction_request())
    assert result.source == "builtin-fallback" and not result.draft.is_empty()
    assert "held no item citing an answered question" in result.notes[-1]


async def test_silent_context_truncation_is_noted(
    fake_ollama: FakeOllama, connect: Connect
) -> None:
    num_ctx = 8192
    estimate = estimate_tokens(extraction_messages(extraction_request(), num_ctx=num_ctx))
    seen = estimate // 3  # far below what was sent
    llm = connect(num_ctx=num_ctx)
    fake_ollama.script(Reply(json.dumps(EXTRACTED), prompt_eval_count=seen))
    result = await llm.extract(extraction_request())
    assert result.source == "ollama"
    [note] = result.notes
    assert f"evaluated only {seen} prompt tokens of about {estimate}" in note


async def test_a_plausible_prompt_eval_count_adds_no_note(
    fake_ollama: FakeOllama, interviewer: OllamaInterviewer
) -> None:
    estimate = estimate_tokens(extraction_messages(extraction_request(), num_ctx=4096))
    fake_ollama.script(Reply(json.dumps(EXTRACTED), prompt_eval_count=int(estimate * 0.8)))
    result = await interviewer.extract(extraction_request())
    assert result.notes == ()


# -- the connection pool --------------------------------------------------------------------


@pytest.mark.timeout(20)
async def test_the_http_pool_follows_max_generations(fake_ollama: FakeOllama) -> None:
    settings = Settings(ollama_host=fake_ollama.url, ollama_model=DEFAULT_MODEL, max_generations=2)
    llm = make_ollama(settings)
    pool_size = settings.max_generations + SPARE_CONNECTIONS
    for _ in range(pool_size + 3):
        fake_ollama.script(Reply(GOOD, token_delay=0.15))  # about 2 s per question
    try:
        async with anyio.create_task_group() as group:
            for _ in range(pool_size + 3):
                group.start_soon(collect, llm.stream_question(question_request()))
            for _ in range(250):  # up to 5 s for the first requests to arrive
                if len(fake_ollama.chat_requests) >= pool_size:
                    break
                await anyio.sleep(0.02)
            await anyio.sleep(0.3)
            # The pool is full: the others wait for a connection instead of opening one.
            assert len(fake_ollama.chat_requests) == pool_size
        assert len(fake_ollama.chat_requests) == pool_size + 3
    finally:
        await llm.aclose()


def test_max_generations_is_capped_with_a_clear_error() -> None:
    with pytest.raises(
        ConfigError, match=r"max_generations: expected a whole number from 1 to 100"
    ):
        Settings.from_sources({"PERSONAGEN_MAX_GENERATIONS": "300"})
