"""The auto backend: chosen in the background, so start-up never waits for Ollama."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.interview.model import QuestionFinal
from server.llm.select import AutoInterviewer, Choice
from server.settings import Settings
from tests.fake_ollama import DEFAULT_MODEL, FakeOllama
from tests.llm.test_ollama import question_request


@pytest.fixture
def silent_ollama() -> Iterator[str]:
    """A port that accepts connections and never answers: the worst Ollama for a probe."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def _health(client: TestClient) -> dict[str, Any]:
    response = client.get("/healthz")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.timeout(20)
def test_start_up_does_not_wait_for_a_silent_ollama(profiles: Path, silent_ollama: str) -> None:
    settings = Settings(
        profiles_dir=profiles, backend="auto", ollama_host=silent_ollama, ollama_read_timeout=60
    )
    with TestClient(create_app(settings)) as client:
        body = _health(client)  # answered while the probe still waits for Ollama
        backend = body["backend"]
        assert isinstance(backend, dict)
        assert backend["reason"].startswith("checking Ollama at " + silent_ollama)
        assert "ollama" not in body


@pytest.mark.timeout(20)
def test_the_welcome_backend_says_ollama_once_the_probe_finds_it(
    profiles: Path, fake_ollama: FakeOllama
) -> None:
    settings = Settings(
        profiles_dir=profiles,
        backend="auto",
        ollama_host=fake_ollama.url,
        ollama_model=DEFAULT_MODEL,
    )
    with TestClient(create_app(settings)) as client:
        for _ in range(200):  # the probe runs in the background; give it up to 10 s
            backend = _health(client)["backend"]
            assert isinstance(backend, dict)
            if backend["name"] == "ollama":
                break
            time.sleep(0.05)
        body = _health(client)
        assert body["backend"] == {
            "name": "ollama",
            "label": f"Ollama model {DEFAULT_MODEL}",
            "reason": f"Ollama at {fake_ollama.url} has {DEFAULT_MODEL}",
        }
        assert body["status"] == "ok" and isinstance(body.get("ollama"), dict)


@pytest.mark.timeout(20)
def test_with_ollama_down_auto_settles_on_the_question_bank(profiles: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    host = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there now
    settings = Settings(profiles_dir=profiles, backend="auto", ollama_host=host)
    with TestClient(create_app(settings)) as client:
        for _ in range(200):
            backend = _health(client)["backend"]
            assert isinstance(backend, dict)
            if backend["reason"].startswith("using the built-in question bank"):
                break
            time.sleep(0.05)
        assert backend["name"] == "builtin"
        assert backend["reason"].startswith("using the built-in question bank: cannot reach")


async def test_a_question_asked_before_the_decision_waits_for_it(profiles: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    host = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    decided: list[Choice] = []
    auto = AutoInterviewer(
        Settings(backend="auto", ollama_host=host, builtin_pace=0), decided.append
    )
    request = question_request()
    events = auto.stream_question(request)  # asked before the probe has run
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(auto.decide)
            received = [event async for event in events]
    finally:
        await auto.aclose()
    assert [choice.interviewer.name for choice in decided] == ["builtin"]
    assert isinstance(received[-1], QuestionFinal) and received[-1].source != "ollama"
    assert auto.label == "built-in question bank"


async def test_a_silent_ollama_counts_as_unreachable_after_a_short_wait(silent_ollama: str) -> None:
    settings = Settings(backend="auto", ollama_host=silent_ollama, ollama_connect_timeout=0.2)
    auto = AutoInterviewer(settings, lambda choice: None)
    try:
        choice = await auto.decide()  # not the 120 s read timeout
    finally:
        await auto.aclose()
    assert choice.interviewer.name == "builtin"
    assert choice.reason.endswith(f"Ollama at {silent_ollama} did not answer within 2.2 s")
