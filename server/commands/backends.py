"""The two places a command can run: a server, or a local ``profiles/`` folder in-process.

Both give a command the same things: the ``welcome`` frame, protocol v1 requests with their
``ack``/``error`` replies, the session events in order, and a few reads (session list, one
session's view, the persona, its backups). Remotely, requests and events travel over the
auto-reconnecting :class:`~server.client.PersonagenClient` and reads over the HTTP API with a
Bearer token. Locally, a :class:`~server.manager.SessionManager` runs in this process on the
folder and a connection of its own receives the same frames, so an interview or a batch run
behaves identically in both places.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import anyio
import httpx

from server.commands.common import (
    EXIT_AUTH,
    EXIT_CONFLICT,
    EXIT_ERROR,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    CliError,
    not_found,
    usage_error,
)
from server.commands.login import Target, default_user_name, websocket_url
from server.settings import Settings
from server.store import ProfileStore, validate_backup_name, validate_session_id, validate_user

if TYPE_CHECKING:  # imported when used: a command loads only what it needs, and starts fast
    from server.client import PersonagenClient
    from server.llm.base import Interviewer
    from server.manager import Connection, SessionManager

# Session references people can type instead of a full id.
LATEST = ("latest", "last")


class Backend:
    """What every command talks to; see the module docstring."""

    where: str = ""
    user: str = ""
    welcome: dict[str, Any]
    local: bool = False

    def __init__(self) -> None:
        self.welcome = {}
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Self:
        try:
            await self._enter()
        except BaseException:
            await self._stack.aclose()  # whatever _enter opened before it failed
            raise
        return self

    async def _enter(self) -> None:
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raise NotImplementedError

    # protocol v1

    @property
    def reconnects(self) -> int:
        return 0

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def start(self) -> str:
        reply = await self.request("session.start")
        return str(reply["session_id"])

    async def open(self, session_id: str) -> dict[str, Any]:
        return await self.request("session.open", session_id=session_id)

    async def next_event(self, *types: str) -> dict[str, Any]:
        raise NotImplementedError

    # reads and the few things protocol v1 has no message for

    async def list_sessions(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def view(self, session_id: str) -> dict[str, Any]:
        raise NotImplementedError

    async def read_persona(self) -> dict[str, Any]:
        """``{"persona": <normalized dict or None>, "digest": <sha256 or "absent">}``."""
        raise NotImplementedError

    async def backups(self) -> list[dict[str, Any]]:
        """``[{"name", "stamp", "size"}]``, newest first."""
        raise NotImplementedError

    async def read_backup(self, name: str) -> str:
        raise NotImplementedError

    async def restore(self, name: str, expected_digest: str) -> dict[str, Any]:
        """Write a backup back as ``core.json`` (the current one is backed up first)."""
        raise NotImplementedError

    async def purge(self, session_id: str) -> list[str]:
        """Delete a session and everything derived from it; the paths removed."""
        raise NotImplementedError

    # shared helpers

    @property
    def backend_label(self) -> str:
        backend = self.welcome.get("backend") or {}
        return str(backend.get("label") or backend.get("name") or "the interviewer")

    @property
    def config(self) -> dict[str, Any]:
        config = self.welcome.get("config")
        return config if isinstance(config, dict) else {}

    async def resolve_session(self, reference: str) -> dict[str, Any]:
        """The summary of the session ``reference`` names: ``latest``, an id, or a unique part
        of one."""
        sessions = await self.list_sessions()
        ref = reference.strip()
        if not sessions:
            raise not_found(
                f"{self.user} has no interviews yet", hint="start one with `personagen interview`"
            )
        if ref.lower() in LATEST:
            return sessions[0]
        matches = [item for item in sessions if item["session_id"] == ref]
        if not matches and ref:
            matches = [item for item in sessions if ref in item["session_id"]]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise not_found(
                f"no interview {ref!r} for {self.user}",
                hint="`personagen sessions list` shows them",
            )
        raise usage_error(
            f"{ref!r} matches {len(matches)} interviews: "
            + ", ".join(item["session_id"] for item in matches[:5]),
            hint="give more of the id",
        )


# -- local ----------------------------------------------------------------------------------


async def pick_user(store: ProfileStore, requested: str | None, *, create: bool) -> str:
    """The user a local command acts for: the one asked for, the only one, or (to create)
    the login name."""
    if requested:
        return validate_user(requested)
    users = await store.list_users()
    if len(users) == 1:
        return users[0]
    if not users:
        if create:
            return default_user_name()
        raise not_found(
            f"{store.root}/ has no users yet",
            hint="start with `personagen interview`, or pass --user NAME",
        )
    raise usage_error(
        f"{store.root}/ has several users ({', '.join(users)}); say which with --user NAME "
        "or PERSONAGEN_USER"
    )


class LocalBackend(Backend):
    """A session manager in this process, on ``settings.profiles_dir``."""

    local = True

    def __init__(
        self,
        settings: Settings,
        user: str | None,
        *,
        interviewer: bool = False,
        create_user: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.requested_user = user
        self.wants_interviewer = interviewer
        self.create_user = create_user
        self.where = f"profiles folder {settings.profiles_dir}/"
        self._ids = (f"cli-{secrets.token_hex(3)}-{n}" for n in itertools.count(1))
        self._pending: dict[str, anyio.Event] = {}
        self._replies: dict[str, dict[str, Any]] = {}
        self._send, self._receive = anyio.create_memory_object_stream[dict[str, Any]](10_000)
        self.store = ProfileStore(settings.profiles_dir)
        self.manager: SessionManager | None = None
        self.connection: Connection | None = None

    async def _enter(self) -> None:
        from server.config import load_config
        from server.llm.builtin import BuiltinInterviewer
        from server.manager import Limits, SessionManager
        from server.runner import InterviewRunner

        settings = self.settings
        config = load_config(settings.interview_config)
        self.user = await pick_user(self.store, self.requested_user, create=self.create_user)
        interviewer: Interviewer
        if self.wants_interviewer and settings.backend != "builtin":
            from server.llm.select import choose_interviewer  # imports the ollama client

            choice = await choose_interviewer(settings)
            interviewer, reason = choice.interviewer, choice.reason
        elif self.wants_interviewer:
            interviewer = BuiltinInterviewer(pace=settings.builtin_pace)
            reason = "backend set to builtin"
        else:
            interviewer, reason = BuiltinInterviewer(pace=settings.builtin_pace), "reads only"
        self._stack.push_async_callback(interviewer.aclose)
        runner = InterviewRunner(self.store, interviewer, config)
        manager = SessionManager(runner, Limits(max_generations=settings.max_generations))
        manager.backend["reason"] = reason
        await self._stack.enter_async_context(manager.running())
        connection = manager.connect(self.user)
        assert connection is not None
        self.manager, self.connection = manager, connection
        self.welcome = await manager.welcome(connection)
        group = await self._stack.enter_async_context(anyio.create_task_group())
        group.start_soon(self._pump, connection)
        self._stack.callback(group.cancel_scope.cancel)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.manager is not None and self.connection is not None:
            with anyio.CancelScope(shield=True):
                await self.manager.disconnect(self.connection)
        # Not inside a new cancel scope: the stack holds task groups entered outside it.
        await self._stack.aclose()
        self._send.close()

    async def _pump(self, connection: Connection) -> None:
        while (text := await connection.outbox.get()) is not None:
            frame = json.loads(text)
            kind, request_id = frame.get("type"), frame.get("id")
            if kind in ("ack", "error", "sessions") and request_id in self._pending:
                self._replies[request_id] = frame
                self._pending.pop(request_id).set()
            elif kind not in ("ack", "sessions", "pong"):
                self._send.send_nowait(frame)

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        from server import protocol as p
        from server.client import ClientError

        assert self.manager is not None and self.connection is not None
        request_id = next(self._ids)
        try:
            message = p.parse_client_message(json.dumps({"type": kind, "id": request_id, **fields}))
        except p.ProtocolError as exc:  # what a server would answer with an error frame
            raise ClientError({"type": "error", "id": request_id, **exc.to_dict()}) from None
        event = self._pending[request_id] = anyio.Event()
        await self.manager.handle(self.connection, message)
        await event.wait()
        reply = self._replies.pop(request_id)
        if reply["type"] == "error":
            raise ClientError(reply)
        return reply

    async def next_event(self, *types: str) -> dict[str, Any]:
        async for frame in self._receive:
            if not types or frame.get("type") in types:
                return frame
        raise CliError("the local session manager stopped")

    async def list_sessions(self) -> list[dict[str, Any]]:
        assert self.manager is not None
        return await self.manager.list_sessions(self.user)

    async def view(self, session_id: str) -> dict[str, Any]:
        assert self.manager is not None
        live = await self.manager.get_live(self.user, validate_session_id(session_id))
        return live.view()

    async def read_persona(self) -> dict[str, Any]:
        from server.persona.schema import normalize_persona

        stored = await self.store.read_persona(self.user)
        persona = normalize_persona(stored.data) if stored.data is not None else None
        return {"persona": persona, "digest": stored.digest}

    async def backups(self) -> list[dict[str, Any]]:
        return [
            {
                "name": info.name,
                "stamp": info.stamp.isoformat().replace("+00:00", "Z"),
                "size": info.size,
            }
            for info in await self.store.list_backups(self.user)
        ]

    async def read_backup(self, name: str) -> str:
        return await self.store.read_backup(self.user, validate_backup_name(name))

    async def restore(self, name: str, expected_digest: str) -> dict[str, Any]:
        text = await self.read_backup(name)
        written = await self.store.write_persona(
            self.user, text, expected_digest=expected_digest, now=datetime.now(UTC)
        )
        return {"restored": name, "backup": written.backup, "digest": written.digest}

    async def purge(self, session_id: str) -> list[str]:
        assert self.manager is not None
        validate_session_id(session_id)
        # Forget it in memory first, or the manager's shutdown would write it back.
        self.manager.live.pop((self.user, session_id), None)
        self.manager.summaries.get(self.user, {}).pop(session_id, None)
        return await self.store.delete_session(self.user, session_id)


# -- remote ---------------------------------------------------------------------------------

_EXIT_BY_STATUS = {400: EXIT_USAGE, 401: EXIT_AUTH, 403: EXIT_AUTH, 404: EXIT_NOT_FOUND}


class RemoteBackend(Backend):
    """A running server: the HTTP API for reads, the WebSocket client for everything else."""

    def __init__(self, server: str, token: str, user: str | None, *, events: bool) -> None:
        super().__init__()
        self.server = server
        self.token = token
        self.requested_user = user
        self.events = events
        self.where = f"server {server}"
        self.http: httpx.AsyncClient | None = None
        self.client: PersonagenClient | None = None

    async def _enter(self) -> None:
        self.http = await self._stack.enter_async_context(
            httpx.AsyncClient(
                base_url=self.server,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=httpx.Timeout(60.0, connect=10.0),
            )
        )
        me = (await self._http("GET", "/api/me")).json()
        self.user = str(me["user"])
        if self.requested_user and self.requested_user != self.user:
            raise usage_error(
                f"the token is {self.user}'s, not {self.requested_user}'s",
                hint="on a server the token decides the user; drop --user or use their token",
            )
        self.welcome = {"user": self.user, "backend": me.get("backend") or {}}
        if self.events:
            from server.client import PersonagenClient

            client = PersonagenClient(
                websocket_url(self.server),
                self.token,
                request_timeout=3600.0,
                max_backoff=5.0,
                client_name="personagen-cli",
            )
            self.client = await self._stack.enter_async_context(client)
            self.welcome = client.welcome

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    def _local_hint(self, command: str) -> str:
        return (
            f"run `personagen {command} --profiles-dir DIR --user {self.user}` on the server's "
            "machine instead"
        )

    async def _http(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        feature: str = "",
        command: str = "",
    ) -> httpx.Response:
        assert self.http is not None
        try:
            response = await self.http.request(method, path, json=body)
        except httpx.TimeoutException:
            raise CliError(f"the server at {self.server} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise CliError(
                f"cannot reach the server at {self.server}: {exc}",
                hint="is `personagen serve` running there?",
            ) from None
        if response.status_code < 300:
            return response
        error: dict[str, Any] | None = None
        with contextlib.suppress(ValueError):
            data = response.json()
            if isinstance(data, dict) and isinstance(data.get("error"), dict):
                error = data["error"]
        if error is None and response.status_code in (404, 405) and feature:
            raise CliError(
                f"the server at {self.server} does not offer {feature} ({method} {path})",
                hint=self._local_hint(command),
            )
        message = str((error or {}).get("message") or f"HTTP {response.status_code}")
        status = response.status_code
        exit_code = _EXIT_BY_STATUS.get(status, EXIT_CONFLICT if status == 409 else EXIT_ERROR)
        if exit_code == EXIT_AUTH:
            raise CliError(
                f"the server at {self.server} refused the token ({message})",
                exit_code,
                hint=f"log in again with `personagen login --server {self.server}`, or set "
                "PERSONAGEN_TOKEN",
            )
        raise CliError(f"{self.server}: {message}", exit_code)

    # protocol v1

    @property
    def reconnects(self) -> int:
        return self.client.reconnects if self.client else 0

    def _events(self) -> PersonagenClient:
        if self.client is None:
            raise RuntimeError("this command did not open the event connection")
        return self.client

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        return await self._events().request(kind, **fields)

    async def start(self) -> str:
        return await self._events().start()

    async def open(self, session_id: str) -> dict[str, Any]:
        return await self._events().open(session_id)

    async def next_event(self, *types: str) -> dict[str, Any]:
        return await self._events().next_event(*types)

    # reads

    async def list_sessions(self) -> list[dict[str, Any]]:
        sessions: list[dict[str, Any]] = (await self._http("GET", "/api/sessions")).json()[
            "sessions"
        ]
        return sessions

    async def view(self, session_id: str) -> dict[str, Any]:
        validate_session_id(session_id)
        view: dict[str, Any] = (await self._http("GET", f"/api/sessions/{session_id}")).json()
        return view

    async def read_persona(self) -> dict[str, Any]:
        data: dict[str, Any] = (await self._http("GET", "/api/persona")).json()
        return data

    async def backups(self) -> list[dict[str, Any]]:
        response = await self._http(
            "GET", "/api/persona/backups", feature="the persona history", command="persona history"
        )
        backups: list[dict[str, Any]] = response.json()["backups"]
        return backups

    async def read_backup(self, name: str) -> str:
        validate_backup_name(name)
        response = await self._http(
            "GET",
            f"/api/persona/backups/{name}",
            feature="persona backups",
            command=f"persona restore {name}",
        )
        return response.text

    async def restore(self, name: str, expected_digest: str) -> dict[str, Any]:
        response = await self._http(
            "POST",
            "/api/persona/restore",
            body={"name": validate_backup_name(name), "expected_digest": expected_digest},
            feature="restoring backups",
            command=f"persona restore {name}",
        )
        data: dict[str, Any] = response.json()
        return data

    async def purge(self, session_id: str) -> list[str]:
        validate_session_id(session_id)
        response = await self._http(
            "DELETE",
            f"/api/sessions/{session_id}",
            feature="purging sessions",
            command=f"sessions purge {session_id}",
        )
        removed: list[str] = response.json()["removed"]
        return removed


@contextlib.asynccontextmanager
async def open_backend(
    target: Target,
    *,
    events: bool = False,
    interviewer: bool = False,
    create_user: bool = False,
) -> AsyncIterator[Backend]:
    """The backend for ``target``. ``events``: the command sends requests and reads events;
    ``interviewer``: it may ask questions or extract (locally, the real backend is chosen);
    ``create_user``: locally, a folder without users may get its first one."""
    backend: Backend
    if target.server is not None:
        assert target.token is not None
        backend = RemoteBackend(target.server, target.token, target.user, events=events)
    else:
        backend = LocalBackend(
            target.settings, target.user, interviewer=interviewer, create_user=create_user
        )
    async with backend:
        yield backend
