"""The server with and without the learned crisis screen: it says which detector runs, and a
session paused by the learned screen keeps the answer out of what follows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import Authenticator
from server.config import default_config
from server.interview.crisis import use_learned_screen
from server.interview.crisis_frames import Level
from server.llm.builtin import BuiltinInterviewer
from server.settings import Settings
from server.store import ProfileStore
from tests.interview.test_session import RICH, T0, ask, commit, fresh

# Written for this test; the rules miss it.
PARAPHRASE = "Lately it feels like my chapter is closing and I have made peace with going."


@pytest.fixture(autouse=True)
def rules_alone_afterwards() -> Iterator[None]:
    yield
    use_learned_screen(None)


def test_server_info_says_which_crisis_detector_runs(profiles: Path) -> None:
    async def make_token() -> str:
        store = ProfileStore(profiles)
        auth = Authenticator(store, await store.server_secret())
        return await auth.create_user("alice")

    token = anyio.run(make_token)
    app = create_app(
        Settings(profiles_dir=profiles), interviewer=BuiltinInterviewer(pace=0), crisis_model=False
    )
    with TestClient(app) as client:
        info = client.get("/api/server", headers={"Authorization": f"Bearer {token}"}).json()
    detector = info["crisis_detector"]
    assert detector["detector"].startswith("rules")
    assert set(detector) == {"detector", "state", "detail"}


def test_a_session_pauses_for_what_only_the_learned_screen_caught() -> None:
    config = default_config()

    def worried(text: str) -> Level:
        return "uncertain" if "chapter is closing" in text else "none"

    session = fresh()
    qid = ask(session, config)
    commit(session, session.submit_answer(qid, f"a-{qid}", RICH, T0, config))
    assert not session.crisis_check
    qid = ask(session, config)
    use_learned_screen(worried)
    commit(session, session.submit_answer(qid, f"a-{qid}", PARAPHRASE, T0, config))
    assert session.state == "paused" and session.crisis_check
    assert [turn.question_id for turn in session.turns()] == ["q1"]  # the paraphrase is set aside
