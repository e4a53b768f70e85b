"""The Ollama backend's second opinion on crisis content, against the fake Ollama."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.interview.crisis_check import CRISIS_CHECK_TITLE
from server.llm.base import CrisisClassifier
from server.llm.builtin import BuiltinInterviewer
from server.llm.ollama import OllamaInterviewer
from tests.fake_ollama import FakeOllama, HttpError, unused_port
from tests.llm.test_ollama import make_interviewer


@pytest.fixture
async def ollama(fake_ollama: FakeOllama) -> AsyncIterator[OllamaInterviewer]:
    llm = make_interviewer(fake_ollama.url, seed=3)
    yield llm
    await llm.aclose()


def test_only_the_ollama_backend_offers_a_second_opinion() -> None:
    assert issubclass(OllamaInterviewer, CrisisClassifier)
    assert not isinstance(BuiltinInterviewer(pace=0), CrisisClassifier)


async def test_the_verdict_comes_from_a_json_schema_call(
    fake_ollama: FakeOllama, ollama: OllamaInterviewer
) -> None:
    fake_ollama.crisis_script.extend(["uncertain"])
    assert await ollama.classify_crisis("The long sleep sounds kind lately.") == "uncertain"
    [body] = fake_ollama.crisis_requests
    assert body["format"]["title"] == CRISIS_CHECK_TITLE and body["stream"] is False
    assert body["options"]["temperature"] == 0
    assert "The long sleep sounds kind lately." in body["messages"][-1]["content"]
    assert fake_ollama.chat_requests == []  # the question script is untouched


async def test_a_failure_is_no_opinion(fake_ollama: FakeOllama, ollama: OllamaInterviewer) -> None:
    fake_ollama.crisis_script.extend([HttpError(500, "boom"), HttpError(503, "busy")])
    assert await ollama.classify_crisis("An answer.") is None
    assert await ollama.classify_crisis("Another answer.") is None


async def test_an_unreachable_ollama_is_no_opinion() -> None:
    llm = make_interviewer(f"http://127.0.0.1:{unused_port()}")
    try:
        assert await llm.classify_crisis("An answer.") is None
    finally:
        await llm.aclose()
