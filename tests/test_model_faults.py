"""Model faults under load: Ollama stalls, breaks mid-stream, is busy, drops connections and
returns garbage for extraction, at random, while several interviews run at once. Every
session must still end applied, and every fault must reach its client as a clear error."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from server.client import PersonagenClient
from tests.fake_ollama import AbruptClose, FakeOllama, HttpError, MidStreamError, Reply, Stall
from tests.server_process import ServerProcess, create_user

DOCUMENTED_CODES = {"ollama_unavailable", "ollama_busy", "ollama_stream_error", "llm_error"}
ANSWER = (
    "I value honesty and patience, and I want to finish my novel this year while keeping "
    "weekends for my family and long walks."
)
QUESTIONS = [
    "What principles guide you when a choice is hard?",
    "What are you hoping to achieve over the next year?",
    "How do the people close to you describe the way you talk?",
    "Which experience shaped you the most, and how?",
    "What is taking most of your attention these days?",
    "What would you like your work to be about in ten years?",
    "How do you prefer to receive feedback from others?",
    "What turning point changed how you see yourself?",
    "Which project are you most excited about right now?",
    "What do you do to recharge after a demanding week?",
]


@pytest.fixture
def setup(tmp_path: Path, fake_ollama: FakeOllama) -> Iterator[tuple[ServerProcess, list[str]]]:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    tokens = [create_user(profiles, f"user{n}") for n in range(4)]
    env = {
        "PERSONAGEN_BACKEND": "ollama",
        "PERSONAGEN_OLLAMA_HOST": fake_ollama.url,
        "PERSONAGEN_OLLAMA_READ_TIMEOUT": "1",
        "PERSONAGEN_OLLAMA_QUESTION_DEADLINE": "5",
        "PERSONAGEN_MAX_GENERATIONS": "4",
    }
    with ServerProcess(profiles, env=env) as server:
        yield server, tokens


def faulty_script(rng: random.Random, count: int) -> list[Any]:
    steps: list[Any] = []
    for index in range(count):
        roll = rng.random()
        question = QUESTIONS[index % len(QUESTIONS)]
        if roll < 0.12:
            steps.append(Stall(3.0, after=2))
        elif roll < 0.24:
            steps.append(MidStreamError("model runner crashed", 2))
        elif roll < 0.36:
            steps.append(HttpError(503))
        elif roll < 0.48:
            steps.append(AbruptClose(after=1))
        else:
            steps.append(Reply(question, token_delay=0.005))
    return steps


async def interview(client: PersonagenClient, errors: list[dict[str, Any]]) -> str:
    session_id = await client.start()
    answered = 0
    while True:
        with anyio.fail_after(30):
            event = await client.next_event("question.end", "generation.error")
        if event["type"] == "generation.error":
            errors.append(event)
            await client.request("question.next", session_id=session_id)
            continue
        await client.request(
            "answer.submit", session_id=session_id, question_id=event["question_id"], text=ANSWER
        )
        answered += 1
        if answered >= 7:
            break
    await client.request("session.finish", session_id=session_id)
    await client.request("review.request", session_id=session_id, strategy="append")
    with anyio.fail_after(30):
        ready = await client.next_event("review.ready")
    await client.request(
        "review.apply", session_id=session_id, strategy="append", base_digest=ready["base_digest"]
    )
    return str(ready["extraction_source"])


@pytest.mark.timeout(180)
@pytest.mark.slow
async def test_every_session_ends_applied_despite_random_model_faults(
    setup: tuple[ServerProcess, list[str]], fake_ollama: FakeOllama
) -> None:
    server, tokens = setup
    rng = random.Random(1126)
    fake_ollama.script(*faulty_script(rng, 60))
    errors: dict[int, list[dict[str, Any]]] = {n: [] for n in range(len(tokens))}
    sources: dict[int, str] = {}

    async def run(index: int) -> None:
        async with PersonagenClient(server.ws_url, tokens[index]) as client:
            sources[index] = await interview(client, errors[index])

    async with anyio.create_task_group() as group:
        for index in range(len(tokens)):
            group.start_soon(run, index)

    all_errors = [error for found in errors.values() for error in found]
    assert all_errors, "the script injects faults; some must have reached the clients"
    assert {error["code"] for error in all_errors} >= {
        "ollama_busy",
        "ollama_stream_error",
        "ollama_unavailable",
    }
    for error in all_errors:
        assert error["code"] in DOCUMENTED_CODES, error
        assert error["retryable"] is True
        assert len(error["message"]) > 20
    # Extraction got the default (non-JSON) reply or garbage: the rule extractor took over.
    assert set(sources.values()) <= {"ollama", "ollama-repaired", "builtin-fallback"}
    for index in range(len(tokens)):
        sessions = server.get("/api/sessions", token=tokens[index])["sessions"]
        assert [s["state"] for s in sessions] == ["applied"]
