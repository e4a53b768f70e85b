"""Tokens, login links, cookies and the failed-attempt limiter (server/auth.py), and how the
HTTP and WebSocket doors use them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from starlette.testclient import TestClient

from server.auth import COOKIE_LIFETIME, COOKIE_NAME, AttemptLimiter, Authenticator, Verdict
from server.errors import ConflictError, InvalidName, NotFound
from server.store import ProfileStore
from tests.protocol_schema import hello
from tests.server_process import create_user
from tests.test_app import bearer, make_client, opened, raw_socket

pytestmark = pytest.mark.timeout(30)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def authenticator(root: Path, clock: Clock | None = None) -> Authenticator:
    store = ProfileStore(root)
    return Authenticator(store, await store.server_secret(), clock=clock or Clock())


def every_file_bytes(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


# -- tokens ---------------------------------------------------------------------------------------


async def test_tokens_are_stored_hashed_only(profiles: Path) -> None:
    auth = await authenticator(profiles)
    token = await auth.create_user("alice")
    prefix, user, secret = token.split(".")
    assert (prefix, user) == ("pg", "alice")
    assert len(secret) >= 43  # 256 random bits
    stored = every_file_bytes(profiles)
    assert token.encode() not in stored
    assert secret.encode() not in stored
    record = json.loads((profiles / "alice" / "auth.json").read_text())
    assert record["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert await auth.user_for_token(token) == "alice"


async def test_wrong_tokens_are_refused_without_raising(profiles: Path) -> None:
    auth = await authenticator(profiles)
    alice = await auth.create_user("alice")
    await auth.create_user("bob")
    secret = alice.split(".")[2]
    for wrong in [
        "",
        "pg",
        alice[:-1],
        alice + "x",
        alice.upper(),
        f"pg.bob.{secret}",  # alice's secret under bob's name
        f"pg.carol.{secret}",  # no such user
        secret,
        f"alice.{secret}",  # a ticket-shaped string
        f"pg.alice.{secret}.extra",
        f"pg.../../etc.{secret}",
        f"pg./etc/passwd.{secret}",
        f"pg.alice\x00.{secret}",
        "pg." + "a" * 10_000 + ".x",
    ]:
        assert await auth.user_for_token(wrong) is None, wrong


async def test_rotation_invalidates_the_old_token_and_every_cookie(profiles: Path) -> None:
    auth = await authenticator(profiles)
    old = await auth.create_user("alice")
    cookie = await auth.make_cookie("alice")
    assert await auth.user_for_cookie(cookie) == "alice"
    new = await auth.rotate_token("alice")
    assert new != old
    assert await auth.user_for_token(old) is None
    assert await auth.user_for_token(new) == "alice"
    assert await auth.user_for_cookie(cookie) is None
    assert await auth.user_for_cookie(await auth.make_cookie("alice")) == "alice"


async def test_user_management_errors(profiles: Path) -> None:
    auth = await authenticator(profiles)
    await auth.create_user("alice")
    with pytest.raises(ConflictError):
        await auth.create_user("alice")
    with pytest.raises(NotFound):
        await auth.rotate_token("nobody")
    with pytest.raises(NotFound):
        await auth.issue_ticket("nobody")
    for name in ["../evil", "Alice", "", "a/b", "a" * 33, "1abc"]:
        with pytest.raises(InvalidName):
            await auth.create_user(name)
    assert await auth.users() == ["alice"]


# -- one-time login tickets -----------------------------------------------------------------------


async def test_a_ticket_works_once(profiles: Path) -> None:
    auth = await authenticator(profiles)
    token = await auth.create_user("alice")
    ticket = await auth.issue_ticket("alice")
    assert ticket.encode() not in every_file_bytes(profiles)
    assert await auth.user_for_token(ticket) is None  # a ticket is not a token
    assert await auth.redeem_ticket(token) is None  # nor a token a ticket
    assert await auth.redeem_ticket(ticket) == "alice"
    assert await auth.redeem_ticket(ticket) is None


async def test_an_expired_ticket_fails_and_is_forgotten(profiles: Path) -> None:
    clock = Clock()
    auth = await authenticator(profiles, clock)
    await auth.create_user("alice")
    ticket = await auth.issue_ticket("alice", lifetime=30)
    clock.now += 31
    assert await auth.redeem_ticket(ticket) is None
    record = await auth.store.read_auth("alice")
    assert record is not None
    assert record["tickets"] == []


async def test_tickets_are_bound_to_their_user(profiles: Path) -> None:
    auth = await authenticator(profiles)
    await auth.create_user("alice")
    await auth.create_user("bob")
    ticket = await auth.issue_ticket("alice")
    secret = ticket.split(".", 1)[1]
    assert await auth.redeem_ticket(f"bob.{secret}") is None
    assert await auth.redeem_ticket(ticket) == "alice"


async def test_only_the_newest_tickets_are_kept(profiles: Path) -> None:
    auth = await authenticator(profiles)
    await auth.create_user("alice")
    tickets = [await auth.issue_ticket("alice") for _ in range(22)]
    assert await auth.redeem_ticket(tickets[0]) is None
    assert await auth.redeem_ticket(tickets[-1]) == "alice"


# -- cookies --------------------------------------------------------------------------------------


async def test_tampered_or_expired_cookies_fail(profiles: Path) -> None:
    clock = Clock()
    auth = await authenticator(profiles, clock)
    await auth.create_user("alice")
    await auth.create_user("bob")
    cookie = await auth.make_cookie("alice")
    user, expires, mac = cookie.split(".")
    assert (user, int(expires)) == ("alice", int(clock.now) + COOKIE_LIFETIME)
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for tampered in [
        f"bob.{expires}.{mac}",
        f"alice.{int(expires) + 1000}.{mac}",
        f"alice.{expires}.{flipped}",
        f"alice.{expires}.",
        f"alice.{expires}",
        f"alice.{expires}.{mac}.x",
        f"alice.soon.{mac}",
        f"../alice.{expires}.{mac}",
        "",
    ]:
        assert await auth.user_for_cookie(tampered) is None, tampered
    assert await auth.user_for_cookie(cookie) == "alice"
    clock.now += COOKIE_LIFETIME + 1
    assert await auth.user_for_cookie(cookie) is None


async def test_a_cookie_from_another_server_key_fails(profiles: Path) -> None:
    auth = await authenticator(profiles)
    await auth.create_user("alice")
    cookie = await auth.make_cookie("alice")
    other = Authenticator(auth.store, b"another server's key, 32 bytes!!")
    assert await other.user_for_cookie(cookie) is None


# -- the failed-attempt limiter -------------------------------------------------------------------


def test_the_limiter_blocks_after_n_failures_per_address_and_user_for_a_window() -> None:
    clock = Clock(0.0)
    limiter = AttemptLimiter(limit=3, window=60.0, clock=clock)
    for _ in range(2):
        limiter.failed("10.0.0.1", "alice")
    assert not limiter.blocked("10.0.0.1", "alice")
    limiter.failed("10.0.0.1", "alice")
    assert limiter.blocked("10.0.0.1", "alice")
    assert not limiter.blocked("10.0.0.2", "alice")  # another address
    assert not limiter.blocked("10.0.0.1", "bob")  # another user behind the same address
    clock.now = 59.0
    assert limiter.blocked("10.0.0.1", "alice")
    clock.now = 60.5
    assert not limiter.blocked("10.0.0.1", "alice")


def test_the_limiter_forgets_the_oldest_pair_beyond_ten_thousand() -> None:
    clock = Clock(0.0)
    limiter = AttemptLimiter(limit=1, window=3600.0, clock=clock)
    for n in range(10_001):
        clock.now = float(n)
        limiter.failed(f"addr-{n}", "alice")
    assert not limiter.blocked("addr-0", "alice")
    assert limiter.blocked("addr-10000", "alice")


async def test_a_lockout_blocks_guesses_but_never_the_right_token(profiles: Path) -> None:
    auth = await authenticator(profiles)
    token = await auth.create_user("alice")
    for n in range(10):
        verdict = await auth.login_with_token(f"pg.alice.guess{n}", "10.0.0.9")
        assert (verdict.user, verdict.blocked) == (None, False)
    assert await auth.login_with_token("pg.alice.guess", "10.0.0.9") == Verdict(None, True)
    assert await auth.login_with_token(token, "10.0.0.9") == Verdict("alice")
    assert auth.attempts.blocked("10.0.0.9", "alice") is False  # the owner's login cleared it


# -- through HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def alice(profiles: Path) -> str:
    return create_user(profiles, "alice")


@pytest.fixture
def client(profiles: Path, alice: str) -> Iterator[TestClient]:
    with make_client(profiles) as test_client:
        yield test_client


def login_link(profiles: Path, user: str) -> str:
    async def issue() -> str:
        return await (await authenticator(profiles)).issue_ticket(user)

    return f"/login?ticket={anyio.run(issue)}"


def test_a_login_link_sets_a_strict_http_only_cookie_once(
    client: TestClient, profiles: Path
) -> None:
    link = login_link(profiles, "alice")
    ticket = link.split("=", 1)[1]
    for _ in range(3):  # a link previewer fetching the page does not use the ticket up
        page = client.get(link, follow_redirects=False)
        assert page.status_code == 200 and COOKIE_NAME not in page.cookies
        assert f'name="ticket" value="{ticket}"' in page.text and 'method="post"' in page.text
        assert page.headers["cache-control"] == "no-store"
        # no-referrer would make browsers post "Origin: null", refused by the origin check
        assert page.headers["referrer-policy"] == "strict-origin"
    response = client.post("/login", data={"ticket": ticket}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=alice.")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", f"Max-Age={COOKIE_LIFETIME}"):
        assert attribute in set_cookie
    assert "Secure" not in set_cookie  # plain http here; set over https
    cookie = response.cookies[COOKIE_NAME]
    client.cookies.clear()
    me = client.get("/api/me", headers={"Cookie": f"{COOKIE_NAME}={cookie}"})
    assert me.json()["user"] == "alice"

    again = client.post("/login", data={"ticket": ticket}, follow_redirects=False)
    assert again.status_code == 401
    assert "invalid, expired or already used" in again.text
    assert COOKIE_NAME not in again.headers.get("set-cookie", "")


def test_login_form_with_a_token(client: TestClient, alice: str) -> None:
    form = client.get("/login")
    assert form.status_code == 200
    assert 'name="token"' in form.text
    wrong = client.post("/login", data={"token": "pg.alice.wrong"}, follow_redirects=False)
    assert wrong.status_code == 401
    right = client.post("/login", data={"token": alice}, follow_redirects=False)
    assert right.status_code == 303
    assert COOKIE_NAME in right.cookies
    # Odd bodies are a failed login, never a server error.
    for body in [b"", b"token", "&".join(f"f{n}=1" for n in range(50)).encode(), b"t" * 10_000]:
        odd = client.post(
            "/login",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        assert odd.status_code == 401, body[:40]


def test_logout_clears_the_cookie(client: TestClient, alice: str) -> None:
    response = client.post("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert f'{COOKIE_NAME}=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]


def test_rotating_a_token_logs_out_http_clients(
    client: TestClient, alice: str, profiles: Path
) -> None:
    cookie = client.post("/login", data={"token": alice}, follow_redirects=False).cookies[
        COOKIE_NAME
    ]
    client.cookies.clear()
    cookie_header = {"Cookie": f"{COOKIE_NAME}={cookie}"}
    assert client.get("/api/me", headers=cookie_header).status_code == 200

    async def rotate() -> str:
        return await (await authenticator(profiles)).rotate_token("alice")

    new = anyio.run(rotate)
    assert client.get("/api/me", headers=bearer(alice)).status_code == 401
    assert client.get("/api/me", headers=cookie_header).status_code == 401
    assert client.get("/api/me", headers=bearer(new)).status_code == 200


def test_failed_bearer_attempts_are_limited_with_429_but_the_owner_gets_in(
    client: TestClient, alice: str, profiles: Path
) -> None:
    bob = create_user(profiles, "bob")
    for n in range(10):
        assert client.get("/api/me", headers=bearer(f"pg.alice.guess{n}")).status_code == 401
    blocked = client.get("/api/me", headers=bearer("pg.alice.guess"))
    assert blocked.status_code == 429
    assert blocked.json()["error"] == {
        "code": "rate_limited",
        "message": "too many failed logins; wait a minute",
        "retryable": True,
    }
    assert client.post("/login", data={"token": "pg.alice.guess"}).status_code == 429
    # The right token works during the lockout, and other users behind the address are untouched.
    assert client.get("/api/me", headers=bearer(bob)).json()["user"] == "bob"
    assert client.get("/api/me", headers=bearer(alice)).json()["user"] == "alice"
    assert client.post("/login", data={"token": alice}, follow_redirects=False).status_code == 303


def test_a_corrupt_credential_file_refuses_that_user_only(
    client: TestClient, alice: str, profiles: Path
) -> None:
    bob = create_user(profiles, "bob")
    record = profiles / "alice" / "auth.json"
    record.write_text("{broken")
    assert client.get("/api/me", headers=bearer(alice)).status_code == 401
    with raw_socket(client) as ws:
        ws.send(hello(alice))
        assert ws.expect_close().code == 4401
    assert client.post("/login", data={"ticket": "alice.whatever"}).status_code == 401
    assert client.get("/api/me", headers=bearer(bob)).json()["user"] == "bob"
    assert record.read_text() == "{broken"


# -- through the WebSocket ------------------------------------------------------------------------


def test_the_three_ways_to_authenticate_a_websocket(
    client: TestClient, alice: str, profiles: Path
) -> None:
    with opened(client, alice) as ws:  # token in hello
        assert ws.received[0]["user"] == "alice"
    with opened(client, headers=bearer(alice)) as ws:  # Authorization: Bearer, bare hello
        assert ws.received[0]["user"] == "alice"
    cookie = client.post("/login", data={"token": alice}, follow_redirects=False).cookies[
        COOKIE_NAME
    ]
    client.cookies.clear()
    headers = {"Cookie": f"{COOKIE_NAME}={cookie}", "Origin": "http://testserver"}
    with opened(client, headers=headers) as ws:  # login cookie from our own page
        assert ws.received[0]["user"] == "alice"


def test_a_token_in_hello_is_ignored_when_the_handshake_authenticated(
    client: TestClient, alice: str, profiles: Path
) -> None:
    bob = create_user(profiles, "bob")
    with opened(client, bob, headers=bearer(alice)) as ws:
        assert ws.received[0]["user"] == "alice"


@pytest.mark.parametrize(
    "token", [None, "", "pg.alice.wrong", "not-a-token", "pg.nobody.x"], ids=repr
)
def test_a_missing_or_wrong_hello_token_closes_4401(client: TestClient, token: str | None) -> None:
    with raw_socket(client) as ws:
        ws.send(hello(token))
        closed = ws.expect_close()
    assert closed.code == 4401
    assert closed.reason == "log in, or send a valid token in hello"


def test_a_hello_without_a_token_is_not_counted_as_a_guess(client: TestClient, alice: str) -> None:
    for _ in range(12):  # a logged-out page reloading, more often than the lockout allows
        with raw_socket(client) as ws:
            ws.send(hello())
            assert ws.expect_close().code == 4401
    with opened(client, alice) as ws:
        assert ws.received[0]["user"] == "alice"


def test_a_wrong_bearer_header_closes_4401_before_hello(client: TestClient) -> None:
    with raw_socket(client, headers=bearer("pg.alice.wrong")) as ws:
        closed = ws.expect_close()
    assert (closed.code, closed.reason) == (4401, "invalid token")


def test_a_bad_cookie_needs_a_token_in_hello(client: TestClient, alice: str) -> None:
    headers = {"Cookie": f"{COOKIE_NAME}=alice.9999999999.forged", "Origin": "http://testserver"}
    with raw_socket(client, headers=headers) as ws:
        ws.send(hello())
        assert ws.expect_close().code == 4401
    with opened(client, alice, headers=headers) as ws:
        assert ws.received[0]["user"] == "alice"


def test_failed_websocket_logins_are_limited_with_4429(client: TestClient, alice: str) -> None:
    for n in range(10):
        with raw_socket(client) as ws:
            ws.send(hello(f"pg.alice.guess{n}"))
            assert ws.expect_close().code == 4401
    with raw_socket(client) as ws:
        ws.send(hello("pg.alice.guess"))
        closed = ws.expect_close()
    assert (closed.code, closed.reason) == (4429, "too many failed logins")
    with raw_socket(client, headers=bearer("pg.alice.guess")) as ws:
        assert ws.expect_close().code == 4429
    with opened(client, alice) as ws:  # the owner's token still opens a session
        assert ws.received[0]["user"] == "alice"
    with opened(client, headers=bearer(alice)) as ws:
        assert ws.received[0]["user"] == "alice"


def entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def test_credentials_naming_unknown_users_leave_no_trace(profiles: Path) -> None:
    auth = await authenticator(profiles)
    await auth.create_user("alice")
    before = entries(profiles)
    for name in ("zed", "mallory", "x1"):
        assert await auth.redeem_ticket(f"{name}.guess") is None
        assert await auth.user_for_token(f"pg.{name}.guess") is None
        assert (await auth.login_with_ticket(f"{name}.guess", "10.0.0.1")).user is None
    assert entries(profiles) == before
    with pytest.raises(NotFound, match="users add zed"):
        await auth.issue_ticket("zed")
    with pytest.raises(NotFound, match="users add zed"):
        await auth.rotate_token("zed")
    assert entries(profiles) == before
