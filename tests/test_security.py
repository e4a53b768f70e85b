"""Isolation between users, cross-site WebSocket hijacking, path traversal, token guessing and
hostile answer text. Every WebSocket frame here is checked against the protocol schema.

Alice owns two sessions (one mid-interview with a draft, one finalized with a review ready) and
a persona; all of them contain ``SECRET``. Bob (and nobody at all) tries every endpoint and
every action on them; no reply may contain ``SECRET`` and none of Alice's files may change.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from server.auth import COOKIE_NAME
from server.cli import main as cli_main
from server.errors import InvalidName, NotFound
from server.store import ProfileStore
from tests.protocol_schema import hello
from tests.server_process import create_user
from tests.test_app import (
    ANSWER,
    answer,
    bearer,
    make_client,
    opened,
    raw_socket,
    small_config,
    start_session,
)

pytestmark = pytest.mark.timeout(60)

SECRET = "ALICE-PRIVATE-7f3a"
SECRET_ANSWER = f"{ANSWER} My private note: {SECRET}."
BACKUP = "core-20250101T120000000000Z.json"


@dataclasses.dataclass
class World:
    profiles: Path
    client: TestClient
    alice: str
    bob: str
    bob_cookie: str
    active: str  # mid-interview, q2 open with a draft
    final: str  # finalized, review ready

    def alice_files(self) -> dict[str, bytes]:
        root = self.profiles / "alice"
        return {
            str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }


def cookie_for(client: TestClient, token: str) -> str:
    response = client.post("/login", data={"token": token}, follow_redirects=False)
    value = response.cookies[COOKIE_NAME]
    client.cookies.clear()
    return value


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    profiles = tmp_path_factory.mktemp("security") / "profiles"
    profiles.mkdir()
    alice, bob = create_user(profiles, "alice"), create_user(profiles, "bob")
    core = profiles / "alice" / "persona" / "core.json"
    core.write_text(json.dumps({"identity": {"name": f"Alice {SECRET}"}}))
    (profiles / "alice" / "persona" / "archive" / BACKUP).write_text(
        json.dumps({"identity": {"name": f"Old Alice {SECRET}"}})
    )
    with make_client(profiles, config=small_config()) as client:
        with opened(client, alice) as ws:
            active, end = start_session(ws, "a-start")
            answer(ws, active, end["question_id"], SECRET_ANSWER, "a-answer")
            second = ws.receive_type("question.end")
            draft = ws.request(
                {
                    "type": "draft.update",
                    "id": "a-draft",
                    "session_id": active,
                    "question_id": second["question_id"],
                    "text": f"half a thought about {SECRET}",
                    "base_rev": 0,
                }
            )
            assert draft["type"] == "ack"

            final, end = start_session(ws, "f-start")
            answer(ws, final, end["question_id"], SECRET_ANSWER, "f-answer")
            ws.request({"type": "session.finish", "id": "f-finish", "session_id": final})
            ws.request({"type": "review.request", "id": "f-review", "session_id": final})
            ws.receive_type("review.ready")
        yield World(profiles, client, alice, bob, cookie_for(client, bob), active, final)


@pytest.fixture
def untouched(world: World) -> Iterator[World]:
    """Fails the test if any of Alice's files changed during it."""
    before = world.alice_files()
    yield world
    assert world.alice_files() == before


def assert_no_secret(text: str) -> None:
    assert SECRET not in text, f"Alice's data leaked: {text[:300]}"


# -- isolation over WebSocket ---------------------------------------------------------------------


def actions_on(session_id: str) -> list[dict[str, Any]]:
    """One request of every type that names a session."""
    common = {"session_id": session_id}
    return [
        {"type": "session.open", **common},
        {"type": "session.open", **common, "epoch": "x", "last_seq": 0},
        {"type": "answer.submit", **common, "question_id": "q2", "text": ANSWER},
        {"type": "answer.edit", **common, "question_id": "q1", "text": ANSWER},
        {"type": "answer.skip", **common, "question_id": "q2"},
        {"type": "draft.update", **common, "question_id": "q2", "text": "bob", "base_rev": 1},
        {"type": "session.pause", **common},
        {"type": "session.resume", **common},
        {"type": "session.finish", **common},
        {"type": "session.discard", **common},
        {"type": "question.next", **common},
        {"type": "generation.stop", **common},
        {"type": "review.request", **common, "strategy": "replace"},
        {"type": "review.apply", **common, "strategy": "merge", "base_digest": "absent"},
    ]


ACTION_TYPES = [action["type"] for action in actions_on("x")]


@pytest.mark.parametrize("index", range(len(ACTION_TYPES)), ids=lambda n: ACTION_TYPES[n])
@pytest.mark.parametrize("credential", ["hello-token", "bearer", "cookie"])
def test_bob_cannot_act_on_alices_sessions_over_websocket(
    untouched: World, index: int, credential: str
) -> None:
    world = untouched
    headers = {
        "hello-token": {},
        "bearer": bearer(world.bob),
        "cookie": {"Cookie": f"{COOKIE_NAME}={world.bob_cookie}"},
    }[credential]
    token = world.bob if credential == "hello-token" else None
    with opened(world.client, token, headers=headers) as ws:
        assert ws.received[0]["user"] == "bob"
        for n, session_id in enumerate((world.active, world.final)):
            # Ids are unique per user: a repeated one would replay the first reply.
            request = {**actions_on(session_id)[index], "id": f"{credential}-{index}-{n}"}
            reply = ws.request(request)
            assert reply["type"] == "error", reply
            assert (reply["code"], reply["retryable"]) == ("not_found", False)
            assert reply["message"] == f"no session {session_id} for user bob"
            barrier = ws.request({"type": "sessions.list", "id": f"{credential}-list-{index}-{n}"})
            assert barrier["type"] == "sessions"
        for frame in ws.received:
            assert_no_secret(json.dumps(frame))
            assert frame["type"] not in ("session.snapshot", "replay")


def test_bob_cannot_resume_into_alices_session(untouched: World) -> None:
    world = untouched
    resume = {"session_id": world.active, "epoch": "x", "last_seq": 0}
    with raw_socket(world.client) as ws:
        ws.send(hello(world.bob, resume=resume))
        assert ws.receive()["type"] == "welcome"
        error = ws.receive()
        assert (error["type"], error["code"]) == ("error", "not_found")
        ws.send({"type": "ping"})
        ws.receive_type("pong")
    for frame in ws.received:
        assert_no_secret(json.dumps(frame))


def test_bob_lists_only_his_own_sessions(untouched: World) -> None:
    world = untouched
    with opened(world.client, world.bob) as ws:
        welcome = ws.received[0]
        assert welcome["incomplete_sessions"] == []
        listed = ws.request({"type": "sessions.list", "id": "bob-list"})["sessions"]
    assert all(item["session_id"] not in (world.active, world.final) for item in listed)
    with opened(world.client, world.alice) as ws:
        mine = ws.request({"type": "sessions.list", "id": "alice-list"})["sessions"]
    assert {item["session_id"] for item in mine} >= {world.active, world.final}


def test_alices_live_events_never_reach_bob(world: World) -> None:
    with opened(world.client, world.bob) as bob, opened(world.client, world.alice) as alice:
        alice.request({"type": "session.open", "id": "watch", "session_id": world.active})
        view = alice.receive_type("session.snapshot")["session"]
        alice.request(
            {
                "type": "draft.update",
                "id": "watch-draft",
                "session_id": world.active,
                "question_id": view["draft"]["question_id"],
                "text": f"more about {SECRET}",
                "base_rev": view["draft"]["rev"],
            }
        )
        assert alice.receive_type("draft.saved")["text"] == f"more about {SECRET}"
        bob.send({"type": "ping", "t": "sync"})
        bob.receive_type("pong")
        assert bob.drain(0.3) == []


def test_anonymous_and_forged_credentials_never_get_a_welcome(untouched: World) -> None:
    world = untouched
    forged_cookie = world.bob_cookie.replace("bob.", "alice.", 1)
    for headers, token in [
        ({}, None),
        ({}, world.bob + "x"),
        ({"Cookie": f"{COOKIE_NAME}={forged_cookie}"}, None),
    ]:
        with raw_socket(world.client, headers=headers) as ws:
            ws.send(hello(token, resume={"session_id": world.active, "epoch": "x", "last_seq": 0}))
            assert ws.expect_close().code == 4401
            assert ws.received == []


# -- isolation over HTTP --------------------------------------------------------------------------


def http_targets(world: World) -> list[str]:
    return [
        "/api/me",
        "/api/sessions",
        "/api/persona",
        *(f"/api/sessions/{sid}" for sid in (world.active, world.final)),
        *(f"/api/sessions/{sid}?format=markdown" for sid in (world.active, world.final)),
    ]


@pytest.mark.parametrize("caller", ["bob-bearer", "bob-cookie", "anonymous", "forged-cookie"])
def test_bob_and_strangers_never_read_alices_data_over_http(untouched: World, caller: str) -> None:
    world = untouched
    forged = world.bob_cookie.replace("bob.", "alice.", 1)
    headers = {
        "bob-bearer": bearer(world.bob),
        "bob-cookie": {"Cookie": f"{COOKIE_NAME}={world.bob_cookie}"},
        "anonymous": {},
        "forged-cookie": {"Cookie": f"{COOKIE_NAME}={forged}"},
    }[caller]
    for url in http_targets(world):
        response = world.client.get(url, headers=headers)
        assert_no_secret(response.text)
        if caller in ("anonymous", "forged-cookie"):
            assert response.status_code == 401, url
        elif "/api/sessions/" in url:
            assert response.status_code == 404, url
            assert response.json()["error"]["code"] == "not_found"
        else:
            assert response.status_code == 200, url
            assert world.active not in response.text and world.final not in response.text


def test_alice_herself_sees_her_data(untouched: World) -> None:
    """The control for the test above: the secret is there to be found by its owner."""
    world = untouched
    for url in http_targets(world)[2:]:
        response = world.client.get(url, headers=bearer(world.alice))
        assert response.status_code == 200, url
        assert SECRET in response.text, url


def has_route(client: TestClient, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in client.app.routes)  # type: ignore[attr-defined]


@pytest.mark.parametrize("caller", ["bob-bearer", "bob-cookie", "anonymous"])
def test_bob_cannot_delete_alices_sessions_or_touch_her_backups(
    untouched: World, caller: str
) -> None:
    world = untouched
    if not has_route(world.client, "/api/persona/backups"):
        pytest.skip("no backup endpoints in this version of server/app.py")
    headers = {
        "bob-bearer": bearer(world.bob),
        "bob-cookie": {"Cookie": f"{COOKIE_NAME}={world.bob_cookie}"},
        "anonymous": {},
    }[caller]
    expected = 401 if caller == "anonymous" else 404
    client = world.client
    for session_id in (world.active, world.final):
        response = client.delete(f"/api/sessions/{session_id}", headers=headers)
        assert response.status_code == expected
        assert_no_secret(response.text)
    response = client.get(f"/api/persona/backups/{BACKUP}", headers=headers)
    assert response.status_code == expected
    assert_no_secret(response.text)
    response = client.post("/api/persona/restore", json={"name": BACKUP}, headers=headers)
    assert response.status_code == expected
    assert_no_secret(response.text)
    listing = client.get("/api/persona/backups", headers=headers)
    assert_no_secret(listing.text)
    if caller != "anonymous":
        assert listing.json() == {"backups": []}
    assert not (world.profiles / "bob" / "persona" / "core.json").exists()


# -- cross-site WebSocket hijacking ---------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    """A server that also allows https://me.example; yields the client, a cookie, a token."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    with make_client(profiles, allowed_origins=("https://me.example",)) as client:
        yield client, cookie_for(client, token), token


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://evil.example", False),
        ("null", False),
        ("http://testserver.evil.example", False),
        ("http://testserver:8080", False),
        ("ws://testserver", False),
        ("https://me.example.evil", False),
        ("http://testserver", True),
        ("https://testserver", True),
        ("https://me.example", True),
        ("https://me.example/", True),
        (None, True),  # not a browser: browsers always send Origin on WebSocket handshakes
    ],
)
def test_the_login_cookie_only_works_from_allowed_origins(
    site: tuple[TestClient, str, str], origin: str | None, allowed: bool
) -> None:
    client, cookie, _ = site
    headers = {"Cookie": f"{COOKIE_NAME}={cookie}"}
    if origin is not None:
        headers["Origin"] = origin
    with raw_socket(client, headers=headers) as ws:
        if allowed:
            ws.send(hello())
            assert ws.receive()["user"] == "alice"
        else:
            closed = ws.expect_close()
            assert (closed.code, closed.reason) == (1008, "origin not allowed")
            assert ws.received == []
    response = client.get("/api/me", headers=headers)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "origin_not_allowed"


def test_cookie_forms_refuse_foreign_origins(site: tuple[TestClient, str, str]) -> None:
    client, _, _ = site
    foreign = {"Origin": "http://evil.example"}
    assert client.post("/logout", headers=foreign).status_code == 403
    login = client.post("/login", data={"token": "x"}, headers=foreign, follow_redirects=False)
    assert login.status_code == 403


def test_a_bearer_token_needs_no_origin_check(site: tuple[TestClient, str, str]) -> None:
    """Pages cannot set Authorization on a WebSocket handshake: Bearer is not ambient."""
    client, _, token = site
    headers = {**bearer(token), "Origin": "http://evil.example"}
    with opened(client, headers=headers) as ws:
        assert ws.received[0]["user"] == "alice"


# -- path traversal -------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "../../etc",
    "..%2F..%2Fetc",
    "%2e%2e",
    "..",
    "/etc/passwd",
    "..\\..\\windows",
    "20200101T000000Z-0000abcd/../../bob",
    "20200101T000000Z-0000abcd\x00",
    "\x00",
    "a" * 64,
]


def outside(profiles: Path) -> list[str]:
    """Every path under the test's folder that is not inside the profiles folder."""
    root = profiles.parent
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if profiles not in path.parents and path != profiles
    )


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_hostile_session_ids_are_invalid_names_over_websocket(tmp_path: Path, name: str) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    before = outside(profiles)
    with make_client(profiles) as client, opened(client, token) as ws:
        for n, action in enumerate(actions_on(name)):
            reply = ws.request({**action, "id": f"hostile-{n}"})
            assert (reply["type"], reply["code"]) == ("error", "invalid_name"), reply
            assert reply["session_id"] == name
    assert outside(profiles) == before


def test_a_session_id_over_the_protocol_limit_is_invalid_message(
    tmp_path: Path,
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    with make_client(profiles) as client, opened(client, token) as ws:
        ws.send_text(json.dumps({"type": "session.open", "id": "long", "session_id": "a" * 65}))
        reply = ws.reply_to("long")
        assert reply["code"] == "invalid_message"


@pytest.mark.parametrize(
    "path",
    [
        "/api/sessions/..%2F..%2Fetc%2Fpasswd",
        "/api/sessions/%2e%2e",
        "/api/sessions/..",
        "/api/sessions/%2Fetc%2Fpasswd",
        "/api/sessions/..%5C..%5Cwindows",
        "/api/sessions/abc%00",
        "/api/sessions/" + "a" * 5000,
        "/api/sessions/20200101T000000Z-0000abcd%2F..%2F..%2Fbob",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fprofiles%2falice%2fauth.json",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_hostile_paths_over_http_reveal_nothing(world: World, path: str) -> None:
    response = world.client.get(path, headers=bearer(world.bob))
    assert_no_secret(response.text)
    assert "root:" not in response.text
    assert "token_sha256" not in response.text
    if response.status_code == 200:  # ".." resolved inside the web folder: the page itself
        assert response.headers["content-type"].startswith("text/html")
    else:
        assert response.status_code in (400, 404), response.status_code
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "invalid_name"


@pytest.mark.parametrize(
    "name",
    ["../../evil", "/tmp/evil", "..", "evil/../../x", "Evil", "evil\x00", "e" * 33],
    ids=repr,
)
@pytest.mark.parametrize("action", ["add", "token", "login"])
def test_hostile_user_names_are_refused_by_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, action: str
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    before = outside(profiles)
    code = cli_main(["users", action, name, "--profiles-dir", str(profiles)])
    assert code == 2
    assert "a user name must be 1 to 32 characters" in capsys.readouterr().err
    assert outside(profiles) == before
    assert sorted(path.name for path in profiles.iterdir() if path.is_dir()) == []


@pytest.mark.parametrize(
    "name",
    [
        "../core.json",
        "../../auth.json",
        "/etc/passwd",
        "core-20250101T120000000000Z.json/../../../auth.json",
        "core-20250101T120000000000Z.json\x00",
        "core-20250101T120000000000Z-0.json",
        "core.json",
        "",
    ],
    ids=repr,
)
async def test_hostile_backup_names_are_invalid(tmp_path: Path, name: str) -> None:
    profiles = tmp_path / "profiles"
    store = ProfileStore(profiles)
    await store.ensure_user("alice")
    before = outside(profiles)
    with pytest.raises(InvalidName):
        await store.read_backup("alice", name)
    with pytest.raises(NotFound):
        await store.read_backup("alice", "core-20250101T120000000000Z.json")
    assert outside(profiles) == before


@pytest.mark.parametrize(
    "name",
    ["..%2Fauth.json", "..%2F..%2Fbob%2Fauth.json", "%2e%2e", "core.json", "core-1.json%00"],
)
def test_hostile_backup_names_over_http_reveal_and_change_nothing(
    tmp_path: Path, name: str
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    core = profiles / "alice" / "persona" / "core.json"
    core.write_text('{"identity": {"name": "Alice"}}')
    before = outside(profiles)
    with make_client(profiles) as client:
        if not has_route(client, "/api/persona/backups"):
            pytest.skip("no backup endpoints in this version of server/app.py")
        response = client.get(f"/api/persona/backups/{name}", headers=bearer(token))
        assert response.status_code in (400, 404), response.text
        assert "token_sha256" not in response.text
        decoded = urllib.parse.unquote(name)
        restore = client.post("/api/persona/restore", json={"name": decoded}, headers=bearer(token))
        assert restore.status_code in (400, 404), restore.text
        assert restore.json()["error"]["code"] in ("invalid_name", "not_found")
    assert core.read_text() == '{"identity": {"name": "Alice"}}'
    assert outside(profiles) == before


# -- token guessing -------------------------------------------------------------------------------


def test_guessing_is_limited_across_http_and_websocket(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    with make_client(profiles) as client:
        for n in range(5):
            assert client.get("/api/me", headers=bearer(f"pg.alice.{n}")).status_code == 401
        for n in range(5):
            with raw_socket(client) as ws:
                ws.send(hello(f"pg.alice.ws{n}"))
                assert ws.expect_close().code == 4401
        assert client.get("/api/me", headers=bearer("pg.alice.x")).status_code == 429
        with raw_socket(client) as ws:
            ws.send(hello("pg.alice.y"))
            assert ws.expect_close().code == 4429
        login = client.post("/login", data={"ticket": "alice.guess"}, follow_redirects=False)
        assert login.status_code == 429
        assert client.get("/api/me", headers=bearer(token)).json()["user"] == "alice"


# -- hostile answer text --------------------------------------------------------------------------

HOSTILE_TEXT = (
    '<script>alert("owned")</script><img src=x onerror="alert(1)"> '
    "</textarea><!-- & \"quotes\" 'single' \u2028 ${7*7} {{7*7}} `rm -rf` -->"
    " and a real answer about honesty and careful work."
)


def test_html_and_script_in_answers_are_stored_and_returned_verbatim(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    token = create_user(profiles, "alice")
    with make_client(profiles, config=small_config()) as client:
        with opened(client, token) as ws:
            session_id, end = start_session(ws)
            draft = {
                "type": "draft.update",
                "id": "draft",
                "session_id": session_id,
                "question_id": end["question_id"],
                "text": HOSTILE_TEXT,
                "base_rev": 0,
            }
            ws.request(draft)
            assert ws.receive_type("draft.saved")["text"] == HOSTILE_TEXT
            assert answer(ws, session_id, end["question_id"], HOSTILE_TEXT)["type"] == "ack"
            assert ws.receive_type("answer.recorded")["text"] == HOSTILE_TEXT
        response = client.get(f"/api/sessions/{session_id}", headers=bearer(token))
        assert response.headers["content-type"] == "application/json"
        assert response.json()["questions"][0]["answer"]["text"] == HOSTILE_TEXT
        markdown = client.get(f"/api/sessions/{session_id}?format=markdown", headers=bearer(token))
        assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
        assert f"**A:** {HOSTILE_TEXT}\n" in markdown.text
    # On disk, one JSON object per "\n"-terminated line (U+2028 is not a line break there),
    # and a fresh server reads the same text back.
    journal = profiles / "alice" / "persona" / "interviews" / f"{session_id}.jsonl"
    texts = [
        record["answer"]["text"]
        for record in map(json.loads, journal.read_bytes().splitlines())
        if record["type"] == "answer_recorded"
    ]
    assert texts == [HOSTILE_TEXT]
    with make_client(profiles, config=small_config()) as client:
        view = client.get(f"/api/sessions/{session_id}", headers=bearer(token)).json()
    assert view["questions"][0]["answer"]["text"] == HOSTILE_TEXT
