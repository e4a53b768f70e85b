"""The real server (``personagen serve`` in a subprocess) over real sockets.

Every scenario here is one a person or an integration meets: a whole interview, a dropped
connection mid-question, a server restart, a kill -9, two tabs, a stopped generation, and
Ollama failing in each of its ways.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import connect

from server.client import PersonagenClient
from tests.fake_ollama import FakeOllama, Reply, unused_port
from tests.protocol_schema import checked_frames  # noqa: F401 (a fixture)
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("checked_frames")]

ANSWER = (
    "I care about honesty and about doing careful work; I would rather be slow and right "
    "than quick and sloppy, and I try to treat people with patience and kindness every day."
)


@pytest.fixture
def server(profiles: Path, token: str) -> Iterator[ServerProcess]:
    with ServerProcess(profiles) as process:
        yield process


async def next_of(client: PersonagenClient, *types: str, within: float = 20) -> dict[str, Any]:
    with anyio.fail_after(within):
        return await client.next_event(*types)


async def answer_current(client: PersonagenClient, session_id: str) -> dict[str, Any]:
    end = await next_of(client, "question.end")
    return await client.request(
        "answer.submit", session_id=session_id, question_id=end["question_id"], text=ANSWER
    )


async def test_whole_interview_over_the_socket(
    server: ServerProcess, token: str, profiles: Path
) -> None:
    async with PersonagenClient(server.ws_url, token) as client:
        assert client.welcome["user"] == "alice"
        assert client.welcome["backend"]["name"] == "builtin"
        session_id = await client.start()
        snapshot = await next_of(client, "session.snapshot")
        assert snapshot["session"]["state"] == "active"
        answered = 0
        while True:
            ack = await answer_current(client, session_id)
            assert ack["type"] == "ack"
            answered += 1
            progress = await next_of(client, "progress")
            if progress["progress"]["complete"]:
                break
        assert answered >= 5
        await client.request("review.request", session_id=session_id, strategy="merge")
        ready = await next_of(client, "review.ready", within=60)
        assert ready["strategy"] == "merge"
        assert ready["changes"], "an interview about values should propose changes"
        ack = await client.request(
            "review.apply",
            session_id=session_id,
            strategy="merge",
            base_digest=ready["base_digest"],
        )
        applied = await next_of(client, "session.applied")
        assert applied["change_ids"] == ack["change_ids"]

        await client.request("training.review", session_id=session_id)
        review = await next_of(client, "training.ready")
        assert [turn["decision"] for turn in review["turns"]] == ["keep"] * answered, json.dumps(
            review["turns"]
        )
        exported = await client.request("training.export", session_id=session_id)

    core = json.loads((profiles / "alice" / "persona" / "core.json").read_text())
    assert core["values"]["core"], core
    training = profiles / "alice" / "memory" / "training" / "persona" / f"{session_id}.jsonl"
    assert len(training.read_text().splitlines()) == answered == exported["training_records"]
    sessions = server.get("/api/sessions", token=token)["sessions"]
    assert sessions[0]["state"] == "applied"


async def test_drop_mid_question_then_resume_without_gap_or_duplicate(
    profiles: Path, token: str
) -> None:
    with ServerProcess(profiles, env={"PERSONAGEN_BUILTIN_PACE": "0.03"}) as server:
        async with PersonagenClient(server.ws_url, token) as client:
            session_id = await client.start()
            await next_of(client, "question.end")
            await client.request(
                "answer.submit", session_id=session_id, question_id="q1", text=ANSWER
            )
            start = await next_of(client, "question.start")
            streamed = ""
            seqs = [start["seq"]]
            first = await next_of(client, "question.delta")
            streamed += first["text"]
            seqs.append(first["seq"])
            await client.drop_connection()  # TCP abort, no close handshake
            while True:
                event = await next_of(client)
                if event["type"] == "session.snapshot":
                    pytest.fail("expected a replay of the missed deltas, got a snapshot")
                if event["type"] == "replay":
                    assert event["from_seq"] == seqs[-1]
                    continue
                seqs.append(event["seq"])
                if event["type"] == "question.delta":
                    streamed += event["text"]
                if event["type"] == "question.end":
                    break
            assert client.reconnects >= 1
            assert streamed == event["text"]
            assert seqs == sorted(set(seqs)), "every event exactly once, in order"


async def test_missed_question_end_is_served_as_a_snapshot(
    server: ServerProcess, token: str
) -> None:
    async with PersonagenClient(server.ws_url, token, reconnect=False) as first:
        session_id = await first.start()
        snapshot = await next_of(first, "session.snapshot")
        epoch = snapshot["epoch"]
        start = await next_of(first, "question.start")
    # The question finishes while nobody is connected; its deltas are compacted away.
    for _ in range(300):  # up to 15 s
        if server.get(f"/api/sessions/{session_id}", token=token)["questions"]:
            break
        await anyio.sleep(0.05)
    async with connect(server.ws_url) as ws:
        resume = {"session_id": session_id, "epoch": epoch, "last_seq": start["seq"]}
        await ws.send(json.dumps({"type": "hello", "token": token, "resume": resume}))
        frames = [json.loads(await ws.recv()) for _ in range(3)]
    assert [f["type"] for f in frames] == ["welcome", "ack", "session.snapshot"]
    view = frames[2]["session"]
    assert view["questions"][0]["text"]
    assert view["pending_question_id"] == "q1"


async def test_restart_gives_a_new_epoch_and_a_snapshot(profiles: Path, token: str) -> None:
    server = ServerProcess(profiles).start()
    try:
        async with PersonagenClient(server.ws_url, token, reconnect=False) as client:
            session_id = await client.start()
            first_epoch = (await next_of(client, "session.snapshot"))["epoch"]
            await answer_current(client, session_id)
            last = await next_of(client, "question.end")
        # uvicorn shuts down gracefully, then re-raises SIGTERM as the exit status.
        assert server.stop() in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in server.log_path.read_text()
        server.start()
        async with PersonagenClient(server.ws_url, token, reconnect=False) as client:
            assert [s["session_id"] for s in client.welcome["incomplete_sessions"]] == [session_id]
            reply = await client.request(
                "session.open", session_id=session_id, epoch=first_epoch, last_seq=last["seq"]
            )
            assert reply["type"] == "ack"
            snapshot = await next_of(client, "session.snapshot")
            assert snapshot["epoch"] != first_epoch
            assert snapshot["session"]["questions"][1]["text"] == last["text"]
    finally:
        server.stop()


async def test_kill_9_loses_no_acknowledged_answer(profiles: Path, token: str) -> None:
    server = ServerProcess(profiles).start()
    acked: list[str] = []
    try:
        async with PersonagenClient(server.ws_url, token, reconnect=False) as client:
            session_id = await client.start()
            for _ in range(3):
                end = await next_of(client, "question.end")
                await client.request(
                    "answer.submit",
                    session_id=session_id,
                    question_id=end["question_id"],
                    text=ANSWER,
                )
                acked.append(end["question_id"])
            server.kill()
        server.start()
        async with PersonagenClient(server.ws_url, token, reconnect=False) as client:
            incomplete = client.welcome["incomplete_sessions"]
            assert [(s["session_id"], s["answered"]) for s in incomplete] == [(session_id, 3)]
            await client.open(session_id)
            view = (await next_of(client, "session.snapshot"))["session"]
            answered = [q["id"] for q in view["questions"] if q["answer"]]
            assert answered == acked
            # The interview continues: the next question comes and can be answered.
            ack = await answer_current(client, session_id)
            assert ack["type"] == "ack"
    finally:
        server.stop()


async def test_two_tabs_see_the_same_events_and_drafts_never_clobber(
    server: ServerProcess, token: str
) -> None:
    async with (
        PersonagenClient(server.ws_url, token) as tab_a,
        PersonagenClient(server.ws_url, token) as tab_b,
    ):
        session_id = await tab_a.start()
        end_a = await next_of(tab_a, "question.end")
        await tab_b.open(session_id)
        view = (await next_of(tab_b, "session.snapshot"))["session"]
        assert view["questions"][0]["text"] == end_a["text"]

        ack = await tab_a.request(
            "draft.update",
            session_id=session_id,
            question_id="q1",
            text="first thoughts",
            base_rev=0,
        )
        assert ack["rev"] == 1
        seen = await next_of(tab_b, "draft.saved")
        assert (seen["text"], seen["rev"]) == ("first thoughts", 1)
        with pytest.raises(Exception, match="draft revision conflict") as caught:
            await tab_b.request(
                "draft.update",
                session_id=session_id,
                question_id="q1",
                text="stale tab",
                base_rev=0,
            )
        assert getattr(caught.value, "code", "") == "conflict"
        await tab_b.request("answer.submit", session_id=session_id, question_id="q1", text=ANSWER)
        recorded = await next_of(tab_a, "answer.recorded")
        assert recorded["text"] == ANSWER


async def test_generation_stop_closes_the_upstream_ollama_stream(
    profiles: Path, token: str, fake_ollama: FakeOllama
) -> None:
    fake_ollama.script(
        Reply("What matters most to you when life gets busy and loud?", token_delay=0.2)
    )
    env = {"PERSONAGEN_BACKEND": "ollama", "PERSONAGEN_OLLAMA_HOST": fake_ollama.url}
    with ServerProcess(profiles, env=env) as server:
        async with PersonagenClient(server.ws_url, token) as client:
            assert client.welcome["backend"]["name"] == "ollama"
            session_id = await client.start()
            await next_of(client, "question.delta")
            ack = await client.request("generation.stop", session_id=session_id)
            assert ack["stopped"] is True
            stopped = await next_of(client, "generation.stopped")
            assert stopped["question_id"] == "q1"
            disconnects = await fake_ollama.wait_for_disconnects(1, within=5)
            assert disconnects[0].path == "/api/chat"
            fake_ollama.script(Reply("What principles guide your biggest decisions?"))
            await client.request("question.next", session_id=session_id)
            end = await next_of(client, "question.end")
            assert end["text"] == "What principles guide your biggest decisions?"


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        ("model_missing", "model_not_available"),
        ("busy", "ollama_busy"),
        ("mid_stream", "ollama_stream_error"),
    ],
)
async def test_ollama_failures_reach_the_client_and_the_session_stays_usable(
    profiles: Path, token: str, fake_ollama: FakeOllama, failure: str, code: str
) -> None:
    env = {"PERSONAGEN_BACKEND": "ollama", "PERSONAGEN_OLLAMA_HOST": fake_ollama.url}
    with ServerProcess(profiles, env=env) as server:
        if failure == "model_missing":
            fake_ollama.models.clear()
            fake_ollama.models.append("other:latest")
        elif failure == "busy":
            fake_ollama.busy()
        else:
            fake_ollama.error_mid_stream(after=2)
        async with PersonagenClient(server.ws_url, token) as client:
            session_id = await client.start()
            error = await next_of(client, "generation.error")
            assert error["code"] == code
            assert error["message"]
            if failure == "model_missing":
                assert "ollama pull" in error["message"]
                fake_ollama.models.append("llama3.1:8b")
            else:
                assert error["retryable"] is True
            fake_ollama.script(Reply("What values guide the choices you are proudest of?"))
            await client.request("question.next", session_id=session_id)
            end = await next_of(client, "question.end")
            assert end["text"] == "What values guide the choices you are proudest of?"


async def test_ollama_down_is_a_retryable_error(profiles: Path, token: str) -> None:
    env = {
        "PERSONAGEN_BACKEND": "ollama",
        "PERSONAGEN_OLLAMA_HOST": f"http://127.0.0.1:{unused_port()}",
        "PERSONAGEN_OLLAMA_CONNECT_TIMEOUT": "1",
    }
    with ServerProcess(profiles, env=env) as server:
        health = server.get("/healthz")
        assert health["status"] == "degraded"
        assert health["ollama"]["reachable"] is False
        async with PersonagenClient(server.ws_url, token) as client:
            await client.start()
            error = await next_of(client, "generation.error")
            assert error["code"] == "ollama_unavailable"
            assert error["retryable"] is True
