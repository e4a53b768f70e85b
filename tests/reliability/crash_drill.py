"""Kill -9 drill: interviews run while the server is killed at random moments and restarted.

Used by the CI test (a few kills) and by ``bench/crash_soak.py`` (many). After every restart
and at the end, every promise is checked against the files on disk:

* every acknowledged answer is there, with the text that was acknowledged;
* no answer is recorded twice, and the journal has no gap;
* every session file and journal parses (a torn last journal line is tolerated and reported);
* every session can be loaded and continued;
* ``core.json`` always parses: it is the old or the new version, never a mix.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import anyio

from server.client import ClientError, ConnectionLost, PersonagenClient
from server.config import default_config
from server.llm.builtin import BuiltinInterviewer
from server.persona.schema import normalize_persona
from server.runner import InterviewRunner
from server.store import ProfileStore
from tests.server_process import ServerProcess

ANSWERS = [
    "Honesty matters a great deal to me, even when the truth is awkward to say out loud.",
    "I want to finish the garden project this year and then teach a weekend class about it.",
    "People say I am direct but kind; I prefer short messages and clear next steps.",
    "Moving to a new city at nineteen taught me to ask for help and to listen carefully.",
    "These days I am focused on my health routine and on a small open source tool I maintain.",
]


@dataclasses.dataclass
class DrillReport:
    kills: int = 0
    restarts: int = 0
    acknowledged: int = 0
    sessions: int = 0
    completed: int = 0
    applied: int = 0
    torn_tails: int = 0
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = dataclasses.field(default_factory=list)


class Drill:
    def __init__(self, profiles: Path, token: str, *, clients: int, seed: int) -> None:
        self.profiles = profiles
        self.token = token
        self.clients = clients
        self.random = random.Random(seed)
        self.server = ServerProcess(profiles)
        self.acked: dict[str, dict[str, str]] = {}  # session -> question -> acknowledged text
        self.current: dict[int, str | None] = {}  # client index -> its session in progress
        self.report = DrillReport()
        self.stop = False

    async def run(self, kills: int) -> DrillReport:
        self.server.start()
        try:
            async with anyio.create_task_group() as group:
                for index in range(self.clients):
                    group.start_soon(self._client_loop, index)
                for _ in range(kills):
                    await anyio.sleep(self.random.uniform(0.05, 0.6))
                    self.server.kill()
                    self.report.kills += 1
                    await anyio.sleep(self.random.uniform(0.0, 0.2))
                    await anyio.to_thread.run_sync(self.server.start)
                    self.report.restarts += 1
                    await self.check_files()
                await anyio.sleep(0.5)
                self.stop = True
        finally:
            self.server.stop()
        await self.check_files(final=True)
        return self.report

    async def _client_loop(self, index: int) -> None:
        while not self.stop:
            try:
                await self._drive(index)
            except (ConnectionLost, OSError, TimeoutError):
                await anyio.sleep(0.05)
            except ClientError as exc:
                if exc.code in ("connection_lost", "internal_error"):
                    await anyio.sleep(0.05)
                    continue
                if exc.code == "invalid_state":
                    self.current[index] = None  # finished in the meantime: start another
                    continue
                self.report.problems.append(f"client {index}: {exc.code}: {exc.message}")
                return

    async def _drive(self, index: int) -> None:
        async with PersonagenClient(
            self.server.ws_url, self.token, reconnect=False, request_timeout=10, open_timeout=3
        ) as client:
            session_id = self.current.get(index)
            if session_id is None:
                session_id = await client.start()
                self.current[index] = session_id
                self.acked[session_id] = {}
                self.report.sessions += 1
            else:
                await client.open(session_id)
            with anyio.fail_after(10):
                view = (await client.next_event("session.snapshot"))["session"]
            while not self.stop:
                state = view["state"]
                if state in ("completed", "finalized"):
                    await self._review_and_apply(client, session_id, state)
                    self.report.completed += 1
                    self.current[index] = None
                    return
                if state in ("applied", "discarded"):
                    self.current[index] = None
                    return
                if state == "paused":
                    await client.request("session.resume", session_id=session_id)
                question_id = view.get("pending_question_id")
                if question_id is None:
                    with anyio.fail_after(10):
                        end = await client.next_event("question.end", "generation.error")
                    if end["type"] == "generation.error":
                        await client.request("question.next", session_id=session_id)
                        continue
                    question_id = end["question_id"]
                # Deterministic per question: a retry after a crash resends the same answer.
                text = f"{ANSWERS[int(question_id[1:]) % len(ANSWERS)]} ({question_id})"
                reply = await client.request(
                    "answer.submit",
                    id=f"{session_id}-{question_id}",
                    session_id=session_id,
                    question_id=question_id,
                    text=text,
                )
                if not reply.get("repeated"):
                    self.acked[session_id].setdefault(question_id, text)
                self.report.acknowledged += 1
                with anyio.fail_after(10):
                    progress = await client.next_event("progress", "session.state")
                view = {
                    "state": progress.get("state", "active")
                    if progress["type"] == "session.state"
                    else ("completed" if progress["progress"]["complete"] else "active"),
                    "pending_question_id": None,
                }

    async def _review_and_apply(
        self, client: PersonagenClient, session_id: str, state: str
    ) -> None:
        await client.request("review.request", session_id=session_id, strategy="merge")
        with anyio.fail_after(20):
            ready = await client.next_event("review.ready")
        await client.request(
            "review.apply",
            session_id=session_id,
            strategy="merge",
            base_digest=ready["base_digest"],
        )
        self.report.applied += 1

    async def check_files(self, *, final: bool = False) -> None:
        store = ProfileStore(self.profiles)
        runner = InterviewRunner(store, BuiltinInterviewer(pace=0), default_config())
        core = self.profiles / "alice" / "persona" / "core.json"
        if core.exists():
            try:
                normalize_persona(json.loads(core.read_text(encoding="utf-8")))
            except Exception as exc:  # any failure here is a broken promise
                self.report.problems.append(f"core.json does not parse: {exc}")
        for session_id in await store.list_session_ids("alice"):
            try:
                loaded = await runner.load("alice", session_id)
            except Exception as exc:
                self.report.problems.append(f"session {session_id} cannot be loaded: {exc}")
                continue
            if final and loaded.torn_tail is not None:
                self.report.torn_tails += 1
            session = loaded.session
            journal = _journal(self.profiles, session_id)
            # A first answer (revision 1) recorded twice for one question would be a duplicate.
            firsts: dict[str, int] = {}
            for record in journal:
                if record.get("type") == "answer_recorded" and record["answer"]["revision"] == 1:
                    question_id = record["answer"]["question_id"]
                    firsts[question_id] = firsts.get(question_id, 0) + 1
            self.report.duplicated += sum(count - 1 for count in firsts.values())
            for question_id, text in self.acked.get(session_id, {}).items():
                stored = session.answers.get(question_id)
                if stored is None or stored.text != text:
                    self.report.lost += 1
                    self.report.problems.append(
                        f"acknowledged answer {session_id}/{question_id} is missing or changed"
                    )
            ids = [record["n"] for record in journal]
            if ids != sorted(set(ids)):
                self.report.problems.append(f"journal of {session_id} repeats or reorders events")


def _journal(profiles: Path, session_id: str) -> list[dict[str, Any]]:
    path = profiles / "alice" / "persona" / "interviews" / f"{session_id}.jsonl"
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line, reported by load_session
    return records
