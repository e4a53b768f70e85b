"""Users, secret tokens, one-time login links and signed login cookies.

* Each user has one secret token (``pg.<user>.<random>``); only its SHA-256 is stored, in
  ``profiles/<user>/auth.json``. Tokens are 256-bit random, so a fast hash is enough; the
  user name inside the token makes lookup direct without revealing anything secret.
* A login link carries a one-time ticket (``<user>.<random>``, stored hashed with an expiry)
  that is exchanged for a cookie and then forgotten.
* The cookie is ``<user>.<expiry>.<mac>``, an HMAC over the user, the expiry and the current
  token's hash with the server key, so rotating a token logs out every browser of that user.
* Failed attempts are counted per (client address, claimed user); past a threshold further
  wrong credentials for that pair get "too many attempts" for a while. A correct credential is
  always accepted: the 256-bit secrets are what stop guessing, the limit tells a misbehaving
  client to stop and keeps one attacker from locking out everyone behind the same address.
* Every read-check-write of a credential record (redeeming a ticket, issuing one, rotating a
  token) holds the user's lock (:meth:`ProfileStore.auth_locked`), across processes too.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from server.errors import ConflictError, CorruptFile, InvalidName, NotFound
from server.store import ProfileStore, validate_user

log = logging.getLogger("personagen.auth")

COOKIE_NAME = "personagen_login"
COOKIE_LIFETIME = 30 * 24 * 3600
TICKET_LIFETIME = 3600


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _random() -> str:
    return secrets.token_urlsafe(32)


def _user_part(credential: str) -> str | None:
    """The user named by a token (``pg.<user>.<secret>``) or a ticket (``<user>.<secret>``)."""
    parts = credential.split(".")
    if len(parts) == 3 and parts[0] == "pg":
        name = parts[1]
    elif len(parts) == 2:
        name = parts[0]
    else:
        return None
    try:
        return validate_user(name)
    except InvalidName:
        return None


AttemptKey = tuple[str, str]


class AttemptLimiter:
    """Counts failures per (address, claimed user); ``limit`` within ``window`` s is a lockout."""

    def __init__(
        self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[AttemptKey, list[float]] = {}

    def _recent(self, key: AttemptKey) -> list[float]:
        failures = self._failures.get(key)
        if failures is None:
            return []
        cutoff = self.clock() - self.window
        failures[:] = [at for at in failures if at > cutoff]
        if not failures:
            del self._failures[key]
        return failures

    def blocked(self, address: str, user: str) -> bool:
        return len(self._recent((address, user))) >= self.limit

    def failed(self, address: str, user: str) -> None:
        key = (address, user)
        failures = self._failures.setdefault(key, self._recent(key))
        failures.append(self.clock())
        del failures[: -self.limit]  # enough to know it is blocked; bounded under a flood
        if len(self._failures) > 10_000:  # bound memory under a spray of addresses and names
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]

    def succeeded(self, address: str, user: str) -> None:
        self._failures.pop((address, user), None)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of one login attempt: the user, or why not (``blocked`` means 429)."""

    user: str | None
    blocked: bool = False


def claimed_user(credential: str) -> str:
    """The user a credential claims to be (the limiter's key), or ``?`` for a shapeless one."""
    return _user_part(credential) or "?"


class Authenticator:
    """Checks tokens, tickets and cookies against the credential records in the store."""

    def __init__(
        self, store: ProfileStore, secret: bytes, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.secret = secret
        self.clock = clock
        self.attempts = AttemptLimiter()

    # -- managing users ---------------------------------------------------------------------

    async def _record(self, user: str) -> dict[str, Any] | None:
        return await self.store.read_auth(user)

    async def _record_to_check(self, user: str) -> dict[str, Any] | None:
        """The record a credential is checked against; a corrupt one matches nothing.

        Refusing the credential (and logging why) beats failing the request with a server
        error; the file is left as it is for the operator to repair or remove.
        """
        try:
            return await self._record(user)
        except CorruptFile as exc:
            log.error("refusing credentials of %s: %s", user, exc.message)
            return None

    async def create_user(self, user: str) -> str:
        """Create a user with a fresh token; returns the token (shown once, stored hashed)."""
        validate_user(user)
        await self.store.ensure_user(user)
        async with self.store.auth_locked(user):
            if await self._record(user) is not None:
                raise ConflictError(
                    f"user {user!r} already exists; use `personagen users token {user}`"
                )
            return await self._rotate(user, None)

    async def rotate_token(self, user: str) -> str:
        """Replace the user's token (every cookie of theirs stops working); returns it."""
        await self._require_record(user)  # before locking: the lock needs the user's folder
        async with self.store.auth_locked(user):
            return await self._rotate(user, await self._require_record(user))

    async def _require_record(self, user: str) -> dict[str, Any]:
        record = await self._record(user)
        if record is None:
            raise NotFound(f"no user {user!r}; create it with `personagen users add {user}`")
        return record

    async def _rotate(self, user: str, record: dict[str, Any] | None) -> str:
        token = f"pg.{user}.{_random()}"
        updated = dict(record or {})
        updated["token_sha256"] = _sha256(token)
        updated["created"] = updated.get("created", int(self.clock()))
        updated["rotated"] = int(self.clock())
        await self.store.write_auth(user, updated)
        return token

    async def issue_ticket(self, user: str, lifetime: int = TICKET_LIFETIME) -> str:
        """A one-time login ticket for a link; it expires after ``lifetime`` seconds."""
        await self._require_record(user)  # before locking: the lock needs the user's folder
        async with self.store.auth_locked(user):
            record = await self._require_record(user)
            ticket = f"{user}.{_random()}"
            now = self.clock()
            tickets = [
                t
                for t in record.get("tickets", [])
                if isinstance(t, dict) and t.get("expires", 0) > now
            ]
            tickets.append({"sha256": _sha256(ticket), "expires": int(now + lifetime)})
            await self.store.write_auth(user, {**record, "tickets": tickets[-20:]})
            return ticket

    async def survey(self) -> tuple[list[str], list[tuple[str, str]]]:
        """Usable users, and ``(user, problem)`` for each credential record that is not usable.

        A bad record refuses only its own user: the server starts and serves the others.
        """
        usable: list[str] = []
        problems: list[tuple[str, str]] = []
        for user in await self.store.list_users():
            try:
                record = await self._record(user)
            except CorruptFile as exc:
                problems.append((user, exc.message))
                continue
            if record is None:
                continue  # a folder without credentials is not a user
            if not isinstance(record.get("token_sha256"), str):
                problems.append(
                    (user, f"{user}/auth.json has no token hash ('token_sha256' is missing)")
                )
                continue
            usable.append(user)
        return usable, problems

    async def users(self) -> list[str]:
        """Users whose credential records are usable (see :meth:`survey` for the others)."""
        return (await self.survey())[0]

    # -- checking credentials ---------------------------------------------------------------

    async def user_for_token(self, token: str) -> str | None:
        user = _user_part(token)
        if user is None or not token.startswith("pg."):
            return None
        record = await self._record_to_check(user)
        stored = record.get("token_sha256") if record else None
        if isinstance(stored, str) and hmac.compare_digest(stored, _sha256(token)):
            return user
        return None

    async def redeem_ticket(self, ticket: str) -> str | None:
        """The ticket's user, once: the ticket is deleted whether or not it had expired.

        Read, check and delete happen under the user's lock, so of any number of parallel
        redemptions (a link previewer and the user, two tabs) exactly one succeeds.
        """
        user = _user_part(ticket)
        if user is None or ticket.startswith("pg."):
            return None
        if await self._record_to_check(user) is None:
            return None  # no such user (or an unusable record): nothing to lock or change
        async with self.store.auth_locked(user):
            record = await self._record_to_check(user)
            if record is None:
                return None
            digest = _sha256(ticket)
            now = self.clock()
            tickets = [t for t in record.get("tickets", []) if isinstance(t, dict)]
            match = next(
                (t for t in tickets if hmac.compare_digest(str(t.get("sha256", "")), digest)),
                None,
            )
            if match is None:
                return None
            remaining = [t for t in tickets if t is not match and t.get("expires", 0) > now]
            await self.store.write_auth(user, {**record, "tickets": remaining})
            return user if match.get("expires", 0) > now else None

    # -- attempts, limited per (address, claimed user) ------------------------------------------

    async def login_with_token(self, token: str, address: str) -> Verdict:
        """Check a token; a wrong one counts against (address, claimed user)."""
        return await self._attempt(token, address, self.user_for_token)

    async def login_with_ticket(self, ticket: str, address: str) -> Verdict:
        """Redeem a ticket; a wrong one counts against (address, claimed user)."""
        return await self._attempt(ticket, address, self.redeem_ticket)

    async def _attempt(
        self, credential: str, address: str, check: Callable[[str], Awaitable[str | None]]
    ) -> Verdict:
        claimed = claimed_user(credential)
        user = await check(credential)  # checked even during a lockout: owners get in
        if user is not None:
            self.attempts.succeeded(address, claimed)
            return Verdict(user)
        blocked = self.attempts.blocked(address, claimed)
        self.attempts.failed(address, claimed)
        if not blocked and self.attempts.blocked(address, claimed):
            log.warning("login attempts for %r from %s are now limited", claimed, address)
        return Verdict(None, blocked=blocked)

    def _mac(self, user: str, expires: int, token_hash: str) -> str:
        message = f"{user}.{expires}.{token_hash}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    async def make_cookie(self, user: str) -> str:
        record = await self._record(user)
        if record is None:
            raise NotFound(f"no user {user!r}")
        expires = int(self.clock()) + COOKIE_LIFETIME
        return f"{user}.{expires}.{self._mac(user, expires, str(record.get('token_sha256', '')))}"

    async def user_for_cookie(self, value: str) -> str | None:
        parts = value.split(".")
        if len(parts) != 3:
            return None
        user, expires_text, mac = parts
        try:
            validate_user(user)
            expires = int(expires_text)
        except (InvalidName, ValueError):
            return None
        if expires < self.clock():
            return None
        record = await self._record_to_check(user)
        if record is None:
            return None
        expected = self._mac(user, expires, str(record.get("token_sha256", "")))
        return user if hmac.compare_digest(expected, mac) else None
