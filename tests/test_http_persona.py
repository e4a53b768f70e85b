"""The HTTP persona API the command line uses: backups, restore, and purging a session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.auth import Authenticator
from server.llm.builtin import BuiltinInterviewer
from server.settings import Settings
from server.store import ProfileStore

OLD = {"identity": {"name": "Alice"}, "values": {"core": [{"value": "family"}]}}
NEW = {"identity": {"name": "Alice"}, "values": {"core": [{"value": "courage"}]}}


@pytest.fixture
def tokens(profiles: Path) -> dict[str, str]:
    async def make() -> dict[str, str]:
        store = ProfileStore(profiles)
        auth = Authenticator(store, await store.server_secret())
        return {name: await auth.create_user(name) for name in ("alice", "bob")}

    return anyio.run(make)


@pytest.fixture
def client(profiles: Path) -> Iterator[TestClient]:
    app = create_app(Settings(profiles_dir=profiles), interviewer=BuiltinInterviewer(pace=0))
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def write_with_backup(profiles: Path) -> str:
    """core.json = NEW, with OLD in the archive; returns the backup's name."""

    async def write() -> str:
        store = ProfileStore(profiles)
        first = await store.write_persona(
            "alice", json.dumps(OLD), expected_digest="absent", now=_now()
        )
        assert first.backup is None
        second = await store.write_persona(
            "alice", json.dumps(NEW), expected_digest=first.digest, now=_now()
        )
        assert second.backup is not None
        return second.backup.rsplit("/", 1)[-1]

    return anyio.run(write)


def _now() -> datetime:
    return datetime.now(UTC)


def test_backups_are_listed_and_readable(
    client: TestClient, tokens: dict[str, str], profiles: Path
) -> None:
    name = write_with_backup(profiles)
    listing = client.get("/api/persona/backups", headers=bearer(tokens["alice"])).json()
    assert [b["name"] for b in listing["backups"]] == [name]
    body = client.get(f"/api/persona/backups/{name}", headers=bearer(tokens["alice"]))
    assert json.loads(body.text) == OLD
    # Bob has no backups and cannot read Alice's.
    assert client.get("/api/persona/backups", headers=bearer(tokens["bob"])).json() == {
        "backups": []
    }
    assert (
        client.get(f"/api/persona/backups/{name}", headers=bearer(tokens["bob"])).status_code == 404
    )
    assert client.get(
        "/api/persona/backups/..%2F..%2Fauth.json", headers=bearer(tokens["alice"])
    ).status_code in (400, 404)


def test_restore_puts_the_backup_back_and_backs_up_what_it_replaces(
    client: TestClient, tokens: dict[str, str], profiles: Path
) -> None:
    name = write_with_backup(profiles)
    core = profiles / "alice" / "persona" / "core.json"
    current = client.get("/api/persona", headers=bearer(tokens["alice"])).json()
    stale = client.post(
        "/api/persona/restore",
        headers=bearer(tokens["alice"]),
        json={"name": name, "expected_digest": "0" * 64},
    )
    assert stale.status_code == 409
    assert json.loads(core.read_text()) == NEW

    done = client.post(
        "/api/persona/restore",
        headers=bearer(tokens["alice"]),
        json={"name": name, "expected_digest": current["digest"]},
    )
    assert done.status_code == 200, done.text
    assert json.loads(core.read_text()) == OLD
    saved = done.json()["backup"]
    assert json.loads((profiles / saved).read_text()) == NEW
    bad = client.post("/api/persona/restore", headers=bearer(tokens["alice"]), json=["nope"])
    assert bad.status_code == 400
    assert "expected a JSON object" in bad.json()["error"]["message"]


def test_purge_removes_a_session_for_its_owner_only(
    client: TestClient, tokens: dict[str, str], profiles: Path
) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "hello", "token": tokens["alice"]})
        ws.receive_json()
        ws.send_json({"type": "session.start", "id": "s"})
        session_id = ws.receive_json()["session_id"]
    url = f"/api/sessions/{session_id}"
    assert client.delete(url, headers=bearer(tokens["bob"])).status_code == 404
    removed = client.delete(url, headers=bearer(tokens["alice"])).json()["removed"]
    assert f"alice/persona/interviews/{session_id}.json" in removed
    assert not list((profiles / "alice" / "persona" / "interviews").iterdir())
    sessions = client.get("/api/sessions", headers=bearer(tokens["alice"])).json()["sessions"]
    assert sessions == []
    assert client.delete(url, headers=bearer(tokens["alice"])).status_code == 404


def test_download_gives_core_json_as_an_attachment(
    client: TestClient, tokens: dict[str, str], profiles: Path
) -> None:
    missing = client.get("/api/persona/download", headers=bearer(tokens["alice"]))
    assert missing.status_code == 404
    assert "no core.json yet" in missing.json()["error"]["message"]
    write_with_backup(profiles)
    got = client.get("/api/persona/download", headers=bearer(tokens["alice"]))
    assert got.status_code == 200
    assert got.headers["content-disposition"] == 'attachment; filename="alice-core.json"'
    assert json.loads(got.text) == NEW
    assert client.get("/api/persona/download").status_code == 401


def test_setting_the_name_writes_identity_and_keeps_everything_else(
    client: TestClient, tokens: dict[str, str], profiles: Path
) -> None:
    write_with_backup(profiles)
    core = profiles / "alice" / "persona" / "core.json"
    done = client.put(
        "/api/persona/name", headers=bearer(tokens["alice"]), json={"name": "  Alice   Moreau "}
    )
    assert done.status_code == 200, done.text
    data = json.loads(core.read_text())
    assert data["identity"]["name"] == "Alice Moreau"
    assert data["values"] == NEW["values"]
    assert json.loads((profiles / done.json()["backup"]).read_text()) == NEW
    me = client.get("/api/me", headers=bearer(tokens["alice"])).json()
    assert me["name"] == "Alice Moreau"

    for bad, expected in (
        ({"name": ""}, "1 to 80 characters"),
        ({"name": "x" * 81}, "1 to 80 characters"),
        ({"name": "a\u0007b"}, "control characters"),
        (["Alice"], 'expected a JSON object {"name": TEXT}'),
    ):
        refused = client.put("/api/persona/name", headers=bearer(tokens["alice"]), json=bad)
        assert refused.status_code == 400
        assert expected in refused.json()["error"]["message"]
    assert json.loads(core.read_text())["identity"]["name"] == "Alice Moreau"


def test_a_first_name_creates_core_json(
    client: TestClient, tokens: dict[str, str], profiles: Path
) -> None:
    done = client.put("/api/persona/name", headers=bearer(tokens["bob"]), json={"name": "Bob"})
    assert done.status_code == 200, done.text
    assert done.json()["backup"] is None
    data = json.loads((profiles / "bob" / "persona" / "core.json").read_text())
    assert data["identity"]["name"] == "Bob"


def test_server_info_names_the_interviewer_and_ollama_state(
    client: TestClient, tokens: dict[str, str]
) -> None:
    info = client.get("/api/server", headers=bearer(tokens["alice"])).json()
    assert info["backend"]["name"] == "builtin"
    # No Ollama listens on the default address here: unreachable, with the pull hint.
    assert info["ollama"]["reachable"] is False
    assert info["ollama"]["pull_command"] == f"ollama pull {info['ollama']['model']}"
    assert info["live_sessions"] == 0 and info["your_live_sessions"] == []
    assert client.get("/api/server").status_code == 401


def test_favicon_ico_is_served(client: TestClient) -> None:
    got = client.get("/favicon.ico")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("image/svg+xml")
