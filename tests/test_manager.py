"""Session manager behaviour a person notices: drafts survive, idle sessions come back,
queued generations say so, and shutdown saves everything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from server.client import PersonagenClient
from server.config import default_config
from server.llm.builtin import BuiltinInterviewer
from server.manager import DeltaBatcher, Limits, Outbox, RequestCache, SessionManager
from server.runner import InterviewRunner
from server.store import ProfileStore
from tests.fake_ollama import FakeOllama, Reply
from tests.server_process import ServerProcess, create_user

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def fast_autosave(tmp_path: Path) -> Path:
    data = default_config().to_json_dict()
    data["sessionDefaults"]["autoSaveInterval"] = 1000
    path = tmp_path / "persona-generator.json"
    path.write_text(json.dumps(data))
    return path


def journal_types(profiles: Path, session_id: str) -> list[str]:
    path = profiles / "alice" / "persona" / "interviews" / f"{session_id}.jsonl"
    return [json.loads(line)["type"] for line in path.read_text().splitlines()]


async def next_of(client: PersonagenClient, *types: str, within: float = 15) -> dict[str, Any]:
    with anyio.fail_after(within):
        return await client.next_event(*types)


async def test_drafts_are_written_on_the_timer_not_per_keystroke(
    profiles: Path, token: str, fast_autosave: Path
) -> None:
    env = {"PERSONAGEN_INTERVIEW_CONFIG": str(fast_autosave)}
    with ServerProcess(profiles, env=env) as server:
        async with PersonagenClient(server.ws_url, token) as client:
            session_id = await client.start()
            await next_of(client, "question.end")
            rev = 0
            words = ["I", "think", "honesty", "matters", "more", "than", "being", "liked"]
            for count in range(1, len(words) + 1):
                rev = (
                    await client.request(
                        "draft.update",
                        session_id=session_id,
                        question_id="q1",
                        text=" ".join(words[:count]),
                        base_rev=rev,
                    )
                )["rev"]
            await anyio.sleep(1.6)
            # Eight edits, but at most one write per autosave tick (two ticks at most here).
            assert 1 <= journal_types(profiles, session_id).count("draft_saved") <= 2
            # kill -9 now: the draft written by the timer survives.
            server.kill()
            server.start()
        async with PersonagenClient(server.ws_url, token) as client:
            await client.open(session_id)
            view = (await next_of(client, "session.snapshot"))["session"]
            assert view["draft"] == {
                "question_id": "q1",
                "text": "I think honesty matters more than being liked",
                "rev": 8,
            }


async def test_draft_is_saved_on_disconnect_and_on_shutdown(profiles: Path, token: str) -> None:
    with ServerProcess(profiles) as server:
        async with PersonagenClient(server.ws_url, token) as client:
            session_id = await client.start()
            await next_of(client, "question.end")
            await client.request(
                "draft.update",
                session_id=session_id,
                question_id="q1",
                text="half a thought",
                base_rev=0,
            )
        for _ in range(200):  # up to 10 s: the server notices the disconnect, then saves
            if journal_types(profiles, session_id).count("draft_saved") >= 1:
                break
            await anyio.sleep(0.05)
        assert journal_types(profiles, session_id).count("draft_saved") == 1

        async with PersonagenClient(server.ws_url, token) as client:
            await client.open(session_id)
            await next_of(client, "session.snapshot")
            await client.request(
                "draft.update",
                session_id=session_id,
                question_id="q1",
                text="half a thought, now longer",
                base_rev=1,
            )
            server.stop()  # graceful: the shutdown flushes the draft while we are connected
        assert journal_types(profiles, session_id).count("draft_saved") == 2


@pytest.fixture
def two_tokens(profiles: Path) -> list[str]:
    return [create_user(profiles, "bob"), create_user(profiles, "carol")]


async def test_queued_generation_is_announced(
    profiles: Path, two_tokens: list[str], fake_ollama: FakeOllama
) -> None:
    tokens = two_tokens
    fake_ollama.script(
        Reply("What guides your choices when things get hard?", token_delay=0.1),
        Reply("What are you hoping to build this year?"),
    )
    env = {
        "PERSONAGEN_BACKEND": "ollama",
        "PERSONAGEN_OLLAMA_HOST": fake_ollama.url,
        "PERSONAGEN_MAX_GENERATIONS": "1",
    }
    with ServerProcess(profiles, env=env) as server:
        async with (
            PersonagenClient(server.ws_url, tokens[0]) as first,
            PersonagenClient(server.ws_url, tokens[1]) as second,
        ):
            await first.start()
            await next_of(first, "question.delta")
            await second.start()
            queued = await next_of(second, "generation.queued")
            assert queued["question_id"] == "q1"
            end = await next_of(second, "question.end")
            assert end["text"] == "What are you hoping to build this year?"


async def test_idle_sessions_leave_memory_and_come_back_from_disk(profiles: Path) -> None:
    runner = InterviewRunner(ProfileStore(profiles), BuiltinInterviewer(pace=0), default_config())
    manager = SessionManager(runner, Limits(idle_grace=60))
    session = await runner.start("alice")
    live = await manager.get_live("alice", session.session_id)
    first_epoch = live.epoch
    assert await manager.evict_idle(now=live.last_used + 30) == 0
    assert await manager.evict_idle(now=live.last_used + 61) == 1
    assert ("alice", session.session_id) not in manager.live
    again = await manager.get_live("alice", session.session_id)
    assert again.session == session
    assert again.epoch != first_epoch, "a reload is a new log: clients must get a snapshot"


async def test_request_cache_runs_each_id_once() -> None:
    cache = RequestCache(size=2)
    calls = 0

    async def run() -> list[dict[str, Any]]:
        nonlocal calls
        calls += 1
        await anyio.sleep(0.01)
        return [{"type": "ack", "n": calls}]

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(cache.once, "same", run)
    replies, repeated = await cache.once("same", run)
    assert calls == 1 and repeated and replies == [{"type": "ack", "n": 1}]
    await cache.once("b", run)
    await cache.once("c", run)
    _, repeated = await cache.once("same", run)  # evicted: bounded memory
    assert not repeated


async def test_delta_batcher_coalesces_fast_tokens_and_flushes_slow_ones() -> None:
    sent: list[str] = []
    batcher = DeltaBatcher(sent.append, interval=0.05, max_chars=10)
    async with anyio.create_task_group() as group:
        group.start_soon(batcher.run)
        for piece in ["ab", "cd", "ef", "gh", "ij", "kl"]:
            batcher.add(piece)
        assert sent == ["abcdefghij"]
        await anyio.sleep(0.12)
        assert sent == ["abcdefghij", "kl"]
        group.cancel_scope.cancel()


def test_outbox_overflow_marks_a_slow_consumer() -> None:
    outbox = Outbox(limit=2)
    for n in range(3):
        outbox.put({"n": n})
    assert outbox.overflowed
    assert len(outbox) == 2
