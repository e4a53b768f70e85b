"""Care and privacy over real sockets (``personagen serve`` in a subprocess).

* A crisis statement pauses the interview with resources, and after the person resumes it is
  in no later question, no draft, no ``core.json`` and no training file.
* An ambiguous statement pauses too, with a gentler check-in; the interview never carries on
  to the next topic by itself.
* With Ollama, a statement the rules miss but the model catches is treated the same; the model
  cannot lower the rules' verdict, and a model failure leaves the rules to decide.
* The training export of an interview holding an address, an ID number, a diagnosis and a
  friend's full name contains none of them, and a turn the person excludes is not written.

Every statement here was written for these tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from server.client import PersonagenClient
from server.interview.crisis import detect_crisis
from tests.fake_ollama import FakeOllama, HttpError
from tests.protocol_schema import checked_frames  # noqa: F401 (a fixture)
from tests.server_process import ServerProcess

pytestmark = [pytest.mark.timeout(180), pytest.mark.usefixtures("checked_frames")]

FILLERS = (
    "Patience matters to me more than speed; I like to understand a thing before I change it, "
    "and I try to leave every workshop tidier than I found it.",
    "I want to finish restoring the old sailing dinghy this year and take it out on the lake "
    "with my nephew before the autumn storms arrive.",
    "I explain things with drawings and examples, and I would rather ask one more question "
    "than guess what somebody meant in a hurry.",
    "Growing up beside a boatyard taught me that small daily care beats heroic repairs, and "
    "that lesson shaped how I run my team now.",
    "These days I mostly think about the new apprenticeship scheme at work and about getting "
    "enough sleep during the busy season.",
)
CRISIS = "Some nights I lie there hoping I just won't wake up, it would be simpler for everyone."
CRISIS_WORDS = ("wake", "simpler for everyone", "hoping I just")


@pytest.fixture
def server(profiles: Path, token: str) -> Iterator[ServerProcess]:
    with ServerProcess(profiles) as process:
        yield process


async def next_of(client: PersonagenClient, *types: str, within: float = 30) -> dict[str, Any]:
    with anyio.fail_after(within):
        return await client.next_event(*types)


async def interview(
    client: PersonagenClient,
    session_id: str,
    answers: Sequence[str],
    questions: list[str],
    *,
    stop_after_pause: bool = False,
) -> dict[str, Any] | None:
    """Answer with ``answers`` (then fillers) until complete; collect every question asked.

    Returns the ``session.state`` paused frame if the session paused (and ``stop_after_pause``),
    else None once complete. Any pause without ``stop_after_pause`` fails the test.
    """
    queue = list(answers)
    turn = 0
    while True:
        end = await next_of(client, "question.end")
        questions.append(end["text"])
        text = queue.pop(0) if queue else FILLERS[turn % len(FILLERS)]
        turn += 1
        await client.request(
            "answer.submit", session_id=session_id, question_id=end["question_id"], text=text
        )
        recorded = await next_of(client, "answer.recorded")
        assert recorded["question_id"] == end["question_id"]
        event = await next_of(client, "progress", "session.state")
        if event["type"] == "session.state" and event["state"] == "paused":
            if stop_after_pause:
                return event
            pytest.fail(f"unexpected pause after {text!r}")
        if event["type"] == "session.state" and event["state"] == "completed":
            return None


async def review_apply_export(
    client: PersonagenClient, session_id: str, excluded: Sequence[str] = ()
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """review → apply → training review → export; returns (review.ready, training.ready, ack)."""
    await client.request("review.request", session_id=session_id, strategy="merge")
    ready = await next_of(client, "review.ready", within=60)
    await client.request(
        "review.apply", session_id=session_id, strategy="merge", base_digest=ready["base_digest"]
    )
    await client.request("training.review", session_id=session_id, excluded=list(excluded))
    training = await next_of(client, "training.ready")
    ack = await client.request("training.export", session_id=session_id, excluded=list(excluded))
    return ready, training, ack


async def still_paused(server: ServerProcess, token: str, session_id: str) -> dict[str, Any]:
    """After a moment, the session is still paused with no question open or streaming: a
    crisis pause never carries on to the next topic by itself."""
    await anyio.sleep(0.5)
    view: dict[str, Any] = server.get(f"/api/sessions/{session_id}", token=token)
    assert view["state"] == "paused" and view["pause_reason"] == "crisis"
    assert view["pending_question_id"] is None and view["generating"] is None
    return view


def stored_files(profiles: Path, session_id: str) -> tuple[str, str]:
    core = (profiles / "alice" / "persona" / "core.json").read_text(encoding="utf-8")
    training = profiles / "alice" / "memory" / "training" / "persona" / f"{session_id}.jsonl"
    return core, training.read_text(encoding="utf-8")


async def test_a_crisis_statement_pauses_and_never_reappears(
    server: ServerProcess, token: str, profiles: Path
) -> None:
    async with PersonagenClient(server.ws_url, token) as client:
        session_id = await client.start()
        questions: list[str] = []
        paused = await interview(
            client, session_id, [FILLERS[0], CRISIS], questions, stop_after_pause=True
        )
        assert paused is not None and paused["reason"] == "crisis"
        assert "988" in paused["crisis_message"]
        await still_paused(server, token, session_id)
        await client.request("session.resume", session_id=session_id)
        assert await interview(client, session_id, [], questions) is None
        ready, training, _ = await review_apply_export(client, session_id)

    crisis_turn = next(t for t in training["turns"] if t["reasons"] == ["crisis content"])
    assert crisis_turn["answer"] == "" and crisis_turn["decision"] == "exclude"
    core, exported = stored_files(profiles, session_id)
    later = questions[2:]
    assert later, "the interview went on after the resume"
    for text in (*later, json.dumps(ready["draft"]), core, exported):
        for words in CRISIS_WORDS:
            assert words not in text, (words, text[:200])


async def test_an_ambiguous_statement_pauses_gently_and_waits(
    server: ServerProcess, token: str
) -> None:
    statement = "To be honest I think about death a lot more than I used to."
    assert detect_crisis(statement).level == "uncertain"
    async with PersonagenClient(server.ws_url, token) as client:
        session_id = await client.start()
        paused = await interview(client, session_id, [statement], [], stop_after_pause=True)
        assert paused is not None and paused["reason"] == "crisis"  # for every client
        assert "make sure I understood" in paused["crisis_message"]
        assert "988" in paused["crisis_message"]
        view = await still_paused(server, token, session_id)
        assert "make sure I understood" in view["crisis_message"]


async def test_the_export_holds_no_address_id_number_diagnosis_or_friends_name(
    server: ServerProcess, token: str, profiles: Path
) -> None:
    disclosures = [
        "Home is the narrow house at 27 Wren Terrace, where I grow tomatoes on the back step "
        "and read on the stairs.",
        "I keep my staff number, 40-771-2398, on a sticky note because the payroll portal "
        "always asks for it, which says a lot about my patience.",
        "Two years ago I was diagnosed with type 1 diabetes. Since then I plan my days more "
        "carefully and I am kinder to myself about rest.",
        "My friend Henrietta Okafor taught me to say no without apologising, and I still hear "
        "her voice when I am tempted to overcommit.",
        "I like long walks in the rain and slow mornings with strong coffee, and I try to keep "
        "weekends free of email.",
    ]
    async with PersonagenClient(server.ws_url, token) as client:
        session_id = await client.start()
        assert await interview(client, session_id, disclosures, []) is None
        _, training, ack = await review_apply_export(client, session_id, excluded=["q5"])

    decisions = {turn["question_id"]: turn for turn in training["turns"]}
    assert decisions["q1"]["reasons"] == ["address"]
    assert "id number" in decisions["q2"]["reasons"] or "phone number" in decisions["q2"]["reasons"]
    assert decisions["q3"]["reasons"] == ["health detail"]
    assert "third-party name" in decisions["q4"]["reasons"]
    assert decisions["q5"] == {
        "question_id": "q5",
        "category": decisions["q5"]["category"],
        "decision": "exclude",
        "reasons": ["excluded by you"],
        "question": "",
        "answer": "",
    }
    _, exported = stored_files(profiles, session_id)
    for secret in (
        "27 Wren",
        "Wren Terrace",
        "40-771-2398",
        "diabetes",
        "diagnosed",
        "Henrietta",
        "Okafor",
        "strong coffee",  # the turn the person excluded
    ):
        assert secret not in exported, secret
    records = [json.loads(line) for line in exported.splitlines()]
    assert len(records) == ack["training_records"]
    assert {record["metadata"]["question_id"] for record in records} >= {"q1", "q3", "q4"}
    assert all(record["metadata"]["policy"] for record in records)
    assert "tomatoes on the back step" in exported  # what is not sensitive stays


# -- the Ollama second opinion ---------------------------------------------------------------


@pytest.fixture
def ollama_server(profiles: Path, token: str, fake_ollama: FakeOllama) -> Iterator[ServerProcess]:
    env = {"PERSONAGEN_BACKEND": "ollama", "PERSONAGEN_OLLAMA_HOST": fake_ollama.url}
    with ServerProcess(profiles, env=env) as process:
        yield process


async def test_a_statement_the_rules_miss_but_the_model_catches_never_reappears(
    ollama_server: ServerProcess, token: str, fake_ollama: FakeOllama
) -> None:
    missed = "Lately the long sleep sounds kinder than another alarm clock, if I am honest."
    assert detect_crisis(missed).level == "none"
    fake_ollama.crisis_script.extend(["none", "crisis"])
    async with PersonagenClient(ollama_server.ws_url, token) as client:
        session_id = await client.start()
        questions: list[str] = []
        paused = await interview(
            client, session_id, [FILLERS[0], missed], questions, stop_after_pause=True
        )
        assert paused is not None and paused["reason"] == "crisis"
        await client.request("session.resume", session_id=session_id)
        await interview(client, session_id, [FILLERS[1], FILLERS[2]], questions)
    screened = [request["messages"][-1]["content"] for request in fake_ollama.crisis_requests]
    assert any(missed in text for text in screened)
    prompts = json.dumps(fake_ollama.chat_requests)
    assert "long sleep" not in prompts  # never sent to the interviewer model again
    for question in questions[2:]:
        assert "long sleep" not in question and "alarm clock" not in question


async def test_the_model_cannot_lower_the_rules_and_its_failure_leaves_them_in_charge(
    ollama_server: ServerProcess, token: str, fake_ollama: FakeOllama
) -> None:
    explicit = "I have been stockpiling my sleeping pills for a while now."
    fake_ollama.crisis_script.extend(["none", HttpError(500, "boom"), "none"])
    async with PersonagenClient(ollama_server.ws_url, token) as client:
        session_id = await client.start()
        paused = await interview(
            client, session_id, [FILLERS[0], FILLERS[1], explicit], [], stop_after_pause=True
        )
        assert paused is not None and paused["reason"] == "crisis"
    assert len(fake_ollama.crisis_requests) == 3
