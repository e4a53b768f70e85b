"""Users, secret tokens, one-time login links and signed login cookies.

* Each user has one secret token (``pg.<user>.<random>``); only its SHA-256 is stored, in
  ``profiles/<user>/auth.json``. Tokens are 256-bit random, so a fast hash is enough; the
  user name inside the token makes lookup direct without revealing anything secret.
* A login link carries a one-time ticket (``<user>.<random>``, stored hashed with an expiry)
  that is exchanged for a cookie and then forgotten.
* The cookie is ``<user>.<expiry>.<mac>``, an HMAC over the user, the expiry and the current
  token's hash with the server key, so rotating a token logs out every browser of that user.
* Failed attempts are counted per client address; past a threshold they are refused for a
  while, which makes guessing tokens impractical.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
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


@dataclasses.dataclass
class _Attempts:
    failures: list[float] = dataclasses.field(default_factory=list)


class AttemptLimiter:
    """Refuses an address after ``limit`` failures within ``window`` seconds."""

    def __init__(
        self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._by_address: dict[str, _Attempts] = {}

    def _recent(self, address: str) -> list[float]:
        entry = self._by_address.get(address)
        if entry is None:
            return []
        cutoff = self.clock() - self.window
        entry.failures = [at for at in entry.failures if at > cutoff]
        if not entry.failures:
            del self._by_address[address]
            return []
        return entry.failures

    def blocked(self, address: str) -> bool:
        return len(self._recent(address)) >= self.limit

    def failed(self, address: str) -> None:
        self._recent(address)
        self._by_address.setdefault(address, _Attempts()).failures.append(self.clock())
        if len(self._by_address) > 10_000:  # bound memory under a spray of addresses
            oldest = min(self._by_address, key=lambda key: self._by_address[key].failures[-1])
            del self._by_address[oldest]


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
        if await self._record(user) is not None:
            raise ConflictError(
                f"user {user!r} already exists; use `personagen users token {user}`"
            )
        await self.store.ensure_user(user)
        return await self.rotate_token(user, must_exist=False)

    async def rotate_token(self, user: str, *, must_exist: bool = True) -> str:
        """Replace the user's token (every cookie of theirs stops working); returns it."""
        record = await self._record(user)
        if record is None and must_exist:
            raise NotFound(f"no user {user!r}; create it with `personagen users add {user}`")
        token = f"pg.{user}.{_random()}"
        updated = dict(record or {})
        updated["token_sha256"] = _sha256(token)
        updated["created"] = updated.get("created", int(self.clock()))
        updated["rotated"] = int(self.clock())
        await self.store.write_auth(user, updated)
        return token

    async def issue_ticket(self, user: str, lifetime: int = TICKET_LIFETIME) -> str:
        """A one-time login ticket for a link; it expires after ``lifetime`` seconds."""
        record = await self._record(user)
        if record is None:
            raise NotFound(f"no user {user!r}; create it with `personagen users add {user}`")
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

    async def users(self) -> list[str]:
        return [
            user for user in await self.store.list_users() if await self._record(user) is not None
        ]

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
        """The ticket's user, once: the ticket is deleted whether or not it had expired."""
        user = _user_part(ticket)
        if user is None or ticket.startswith("pg."):
            return None
        record = await self._record_to_check(user)
        if record is None:
            return None
        digest = _sha256(ticket)
        now = self.clock()
        tickets = [t for t in record.get("tickets", []) if isinstance(t, dict)]
        match = next(
            (t for t in tickets if hmac.compare_digest(str(t.get("sha256", "")), digest)), None
        )
        if match is None:
            return None
        remaining = [t for t in tickets if t is not match and t.get("expires", 0) > now]
        await self.store.write_auth(user, {**record, "tickets": remaining})
        return user if match.get("expires", 0) > now else None

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
