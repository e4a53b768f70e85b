"""Issue 13, against a real ``personagen serve`` process: each finding of the attack run
reproduced, and shown fixed.

Real sockets and a real server process, because the findings live where the test client does
not reach: uvicorn's header handling, its access log, X-Forwarded-For, other processes writing
``auth.json`` at the same time, and the start-up path of ``serve``.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from server.auth import COOKIE_NAME, Authenticator
from server.store import ProfileStore
from tests.server_process import ServerProcess, create_user

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent


def issue_ticket(profiles: Path, user: str) -> str:
    async def issue() -> str:
        store = ProfileStore(profiles)
        return await Authenticator(store, await store.server_secret()).issue_ticket(user)

    return anyio.run(issue)


def rotate_token(profiles: Path, user: str) -> str:
    async def rotate() -> str:
        store = ProfileStore(profiles)
        return await Authenticator(store, await store.server_secret()).rotate_token(user)

    return anyio.run(rotate)


def request(
    server: ServerProcess,
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    sent = dict(headers or {})
    if body is not None:
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def redeem(server: ServerProcess, ticket: str) -> http.client.HTTPResponse:
    return request(server, "POST", "/login", body=f"ticket={ticket}")


def me(server: ServerProcess, token: str, forwarded_for: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return request(server, "GET", "/api/me", headers=headers).status


def all_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # reported by the caller's asserts
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    return folder


@pytest.fixture
def alice(profiles: Path) -> str:
    return create_user(profiles, "alice")


@pytest.fixture
def server(profiles: Path, alice: str) -> Iterator[ServerProcess]:
    with ServerProcess(profiles) as running:
        yield running


# -- 1. one-time links are used once, and a rotation is never undone ---------------------------


def test_parallel_redemptions_of_one_ticket_give_exactly_one_cookie(
    server: ServerProcess, profiles: Path
) -> None:
    for _ in range(5):
        ticket = issue_ticket(profiles, "alice")
        responses = all_at_once([functools.partial(redeem, server, ticket) for _ in range(8)])
        statuses = sorted(r.status for r in responses if isinstance(r, http.client.HTTPResponse))
        assert statuses == [303] + [401] * 7, responses
        cookies = [
            r
            for r in responses
            if isinstance(r, http.client.HTTPResponse)
            and COOKIE_NAME in (r.getheader("set-cookie") or "")
        ]
        assert len(cookies) == 1


def test_a_rotation_racing_redemptions_in_another_process_is_never_undone(
    server: ServerProcess, profiles: Path
) -> None:
    """The server redeems while this process rotates: only the file lock orders the two."""
    for _ in range(15):
        ticket = issue_ticket(profiles, "alice")
        redeemed, token = all_at_once(
            [functools.partial(redeem, server, ticket), lambda: rotate_token(profiles, "alice")]
        )
        assert isinstance(redeemed, http.client.HTTPResponse) and redeemed.status == 303
        assert isinstance(token, str)
        assert me(server, token) == 200  # the new token's hash was not written back over


# -- 2. one corrupt auth.json refuses one user, not the server ---------------------------------


def test_the_server_starts_and_serves_others_with_one_corrupt_auth_json(
    profiles: Path, alice: str
) -> None:
    bob = create_user(profiles, "bob")
    (profiles / "alice" / "auth.json").write_text("not json\n")
    with ServerProcess(profiles) as server:
        assert me(server, bob) == 200
        assert me(server, alice) == 401
    log = server.log_path.read_text()
    assert "warning: user 'alice' cannot log in: alice/auth.json is not valid JSON" in log
    assert (profiles / "alice" / "auth.json").read_text() == "not json\n"  # left for repair
    check = subprocess.run(
        [sys.executable, "-m", "server", "users", "check", "--profiles-dir", str(profiles)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 1
    assert "alice: alice/auth.json is not valid JSON" in check.stdout
    assert "bob: ok" in check.stdout


# -- 3. lockouts spare the owner; forwarded headers are not believed by default ------------------


def test_a_correct_token_works_during_a_lockout(server: ServerProcess, alice: str) -> None:
    for n in range(10):
        assert me(server, f"pg.alice.guess{n}") == 401
    assert me(server, "pg.alice.guess") == 429
    assert me(server, alice) == 200


def test_a_forged_x_forwarded_for_is_ignored_by_default(server: ServerProcess) -> None:
    statuses = [me(server, f"pg.alice.guess{n}", forwarded_for=f"10.9.0.{n}") for n in range(12)]
    # Every guess counted against 127.0.0.1, the real peer: the header picked no address.
    assert statuses == [401] * 10 + [429] * 2


def test_forwarded_for_is_believed_from_a_named_proxy(profiles: Path, alice: str) -> None:
    env = {"PERSONAGEN_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with ServerProcess(profiles, env=env) as server:
        statuses = [
            me(server, f"pg.alice.guess{n}", forwarded_for=f"10.9.0.{n}") for n in range(12)
        ]
    assert statuses == [401] * 12  # twelve clients behind the proxy, one guess each


# -- 4. slow clients are disconnected ----------------------------------------------------------


def dribble_until_closed(port: int, stop_after: float) -> bool:
    """Send a request line and then one header line every 0.2 s; True once the server closes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.settimeout(0.2)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        give_up = time.monotonic() + stop_after
        n = 0
        while time.monotonic() < give_up:
            try:
                if sock.recv(1024) == b"":
                    return True
            except TimeoutError:
                pass
            except OSError:
                return True  # reset
            try:
                sock.sendall(f"X-Slow-{n}: y\r\n".encode())
            except OSError:
                return True
            n += 1
        return False
    finally:
        sock.close()


def test_slowloris_clients_are_closed_within_the_request_timeout(
    profiles: Path, alice: str
) -> None:
    env = {"PERSONAGEN_REQUEST_TIMEOUT": "1"}
    with ServerProcess(profiles, env=env) as server:
        # 30 s is a test timeout only: with a 1 s deadline the server closes far sooner.
        closed = all_at_once(
            [lambda: dribble_until_closed(server.port, stop_after=30.0) for _ in range(20)]
        )
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        assert silent.recv(1) == b""  # a connection that never sends anything is closed too
        silent.close()
        assert me(server, alice) == 200  # and real requests are served meanwhile
    assert closed == [True] * 20
    assert "with no complete request within 1 s" in server.log_path.read_text()


def test_a_request_head_over_64_kib_gets_431(server: ServerProcess, alice: str) -> None:
    for size, expected in ((60_000, b"HTTP/1.1 200 "), (1_000_000, b"HTTP/1.1 431 ")):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
            with contextlib.suppress(OSError):  # the server may close before all is sent
                sock.sendall(head)
            assert sock.recv(100).startswith(expected)
    assert me(server, alice) == 200


def test_a_slow_client_is_kept_with_the_timeout_off(profiles: Path, alice: str) -> None:
    """The control: the same dribble against a server without the deadline stays open."""
    env = {"PERSONAGEN_REQUEST_TIMEOUT": "0"}
    with ServerProcess(profiles, env=env) as server:
        assert dribble_until_closed(server.port, stop_after=3.0) is False


# -- 5. a surrogate in a frame gets a clean error ----------------------------------------------


def test_a_surrogate_id_gets_an_error_and_4400_not_1011(server: ServerProcess, alice: str) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(server.ws_url) as ws:  # before login
        ws.send('{"type": "ping", "id": "\\ud800"}')
        error = json.loads(ws.recv(timeout=10))
        assert (error["type"], error["code"], error["id"]) == ("error", "invalid_message", None)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    with connect(server.ws_url) as ws:  # after login the connection stays open
        ws.send(json.dumps({"type": "hello", "v": 1, "token": alice}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        ws.send('{"type": "sessions.list", "id": "\\udc00"}')
        error = json.loads(ws.recv(timeout=10))
        assert (error["code"], error["id"]) == ("invalid_message", None)
        ws.send(json.dumps({"type": "sessions.list", "id": "after"}))
        assert json.loads(ws.recv(timeout=10))["id"] == "after"
    assert "Traceback" not in server.log_path.read_text()


# -- 6. tickets stay out of the log ------------------------------------------------------------


def test_no_ticket_appears_in_the_server_log(server: ServerProcess, profiles: Path) -> None:
    used, unused = issue_ticket(profiles, "alice"), issue_ticket(profiles, "alice")
    page = request(server, "GET", f"/login?ticket={used}")  # the link as a browser opens it
    assert page.status == 200
    assert request(server, "GET", f"/login?foo=1&ticket={unused}").status == 200  # a previewer
    assert redeem(server, used).status == 303  # the page's form posts it
    assert redeem(server, unused).status == 303  # the previewer's GET did not use it up
    server.stop()
    log = server.log_path.read_text()
    assert "GET /login?ticket=[redacted]" in log  # the requests were logged, not their tickets
    for ticket in (used, unused):
        assert ticket.split(".", 1)[1] not in log


# -- 8. users login prints the running server's port -------------------------------------------


def test_users_login_prints_the_running_servers_port(server: ServerProcess, profiles: Path) -> None:
    command = [sys.executable, "-m", "server", "users", "login", "alice"]
    env = {"PERSONAGEN_PROFILES_DIR": str(profiles), "PATH": "/usr/bin:/bin"}
    printed = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert f"http://127.0.0.1:{server.port}/login?ticket=alice." in printed
    assert "server running as process" in printed
    ticket = printed.split("ticket=", 1)[1].split()[0]
    assert redeem(server, ticket).status == 303  # the printed link works on that server
    server.stop()
    assert not (profiles / ".personagen-server.json").exists()
    printed = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "http://127.0.0.1:8000/login?ticket=" in printed
    assert "port 8000 is from the settings" in printed


# -- 7. a damaged acknowledged journal line is kept and reported -------------------------------


def ws_request(ws: Any, frame: dict[str, Any], want: str) -> dict[str, Any]:
    """Send a frame; the first reply of type ``want`` or ``error`` to its id (others skipped)."""
    ws.send(json.dumps(frame))
    while True:
        reply = json.loads(ws.recv(timeout=30))
        if reply.get("id") == frame.get("id") and reply["type"] in (want, "error"):
            return dict(reply)


def answer_first_question(server: ServerProcess, token: str) -> tuple[str, str]:
    """Start a session and answer its first question; (session id, the acknowledged text)."""
    from websockets.sync.client import connect

    text = "I care about honest work and I like to finish what I start, step by step."
    with connect(server.ws_url) as ws:
        ws.send(json.dumps({"type": "hello", "v": 1, "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        ack = ws_request(ws, {"type": "session.start", "id": "start"}, "ack")
        session_id = ack["session_id"]
        while (frame := json.loads(ws.recv(timeout=30)))["type"] != "question.end":
            pass
        submit = {
            "type": "answer.submit",
            "id": "a1",
            "session_id": session_id,
            "question_id": frame["question_id"],
            "text": text,
        }
        assert ws_request(ws, submit, "ack")["type"] == "ack"
    return session_id, text


def test_a_damaged_acknowledged_line_is_kept_and_the_session_is_read_only(
    profiles: Path, alice: str
) -> None:
    from websockets.sync.client import connect

    server = ServerProcess(profiles).start()
    session_id, text = answer_first_question(server, alice)
    server.kill()  # no shutdown checkpoint: the answer lives only in the journal
    journal = profiles / "alice" / "persona" / "interviews" / f"{session_id}.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    answered = next(i for i, line in enumerate(lines) if text.encode() in line)
    assert answered == len(lines) - 1, "the acknowledged answer is the last line"
    damaged = b"".join(lines[:-1]) + lines[-1][:20] + b"\x00garbage\n"  # newline intact
    journal.write_bytes(damaged)

    with ServerProcess(profiles) as server:
        view = json.loads(
            request_body(server, f"/api/sessions/{session_id}", alice)
        )  # it opens: read-only
        assert view["session_id"] == session_id
        with connect(server.ws_url) as ws:
            ws.send(json.dumps({"type": "hello", "v": 1, "token": alice}))
            assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
            opened = {"type": "session.open", "id": "o1", "session_id": session_id}
            ws_request(ws, {**opened, "epoch": None, "last_seq": 0}, "ack")
            skip = {"type": "session.pause", "id": "p1", "session_id": session_id}
            error = ws_request(ws, skip, "ack")
        assert error["type"] == "error" and error["code"] == "corrupt_file"
        assert (
            f"alice/persona/interviews/{session_id}.jsonl line {answered + 1}" in error["message"]
        )
        assert "read-only" in error["message"]
    assert journal.read_bytes() == damaged  # nothing truncated, nothing appended
    kept = journal.with_name(journal.name + ".damaged")
    assert kept.read_bytes() == damaged
    assert f"{session_id}.jsonl line {answered + 1} held an acknowledged record" in (
        server.log_path.read_text()
    )


def request_body(server: ServerProcess, path: str, token: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 200, body
    return body
