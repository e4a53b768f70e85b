"""The Starlette application: ``/ws`` for interviews, a small authenticated HTTP surface, the page.

Everything here is transport: decoding frames, checking who is calling, and handing requests to
the :class:`~server.manager.SessionManager`. No interview logic lives in this module.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from server import protocol as p
from server.auth import COOKIE_LIFETIME, COOKIE_NAME, Authenticator
from server.config import InterviewConfig, load_config
from server.errors import ConflictError, NotFound, PersonagenError, ValidationError
from server.llm.base import Interviewer
from server.llm.select import AutoInterviewer, choose_interviewer, ollama_status
from server.manager import Connection, Limits, SessionManager
from server.persona.schema import normalize_persona
from server.runner import InterviewRunner
from server.settings import Settings
from server.store import ProfileStore
from server.transcript import transcript_markdown

log = logging.getLogger("personagen.app")

# Installed wheels carry the page inside the package; a source checkout has it beside it.
_PACKAGED_WEB = Path(__file__).resolve().parent / "web"
WEB_DIR = (
    _PACKAGED_WEB if _PACKAGED_WEB.is_dir() else Path(__file__).resolve().parent.parent / "web"
)


@dataclasses.dataclass
class Services:
    settings: Settings
    config: InterviewConfig
    store: ProfileStore
    auth: Authenticator
    interviewer: Interviewer
    runner: InterviewRunner
    manager: SessionManager
    limits: Limits


def create_app(
    settings: Settings,
    *,
    interviewer: Interviewer | None = None,
    config: InterviewConfig | None = None,
    limits: Limits | None = None,
    web_dir: Path | None = None,
) -> Starlette:
    """Build the app. ``interviewer`` overrides the backend choice (tests, embedding)."""
    limits = limits or Limits(max_generations=settings.max_generations)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        interview_config = config or load_config(settings.interview_config)
        store = ProfileStore(settings.profiles_dir)
        auth = Authenticator(store, await store.server_secret())
        chosen = interviewer
        reason = "given by the caller"
        auto: AutoInterviewer | None = None
        if chosen is None and settings.backend == "auto":
            # Ollama is probed in the background: start-up never waits for it.
            chosen = auto = AutoInterviewer(
                settings,
                lambda choice: manager.backend.update(
                    name=choice.interviewer.name,
                    label=choice.interviewer.label,
                    reason=choice.reason,
                ),
            )
            reason = auto.reason
        elif chosen is None:
            choice = await choose_interviewer(settings)
            chosen, reason = choice.interviewer, choice.reason
        runner = InterviewRunner(store, chosen, interview_config)
        manager = SessionManager(runner, limits)
        manager.backend["reason"] = reason
        log.info("interviewer: %s (%s)", chosen.label, reason)
        app.state.services = Services(
            settings, interview_config, store, auth, chosen, runner, manager, limits
        )
        try:
            async with manager.running(), anyio.create_task_group() as probing:
                if auto is not None:
                    probing.start_soon(auto.decide)
                yield
                probing.cancel_scope.cancel()
        finally:
            if interviewer is None:
                await chosen.aclose()

    routes = [
        WebSocketRoute("/ws", websocket_endpoint),
        Route("/healthz", healthz),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/api/me", api_me),
        Route("/api/sessions", api_sessions),
        Route("/api/sessions/{session_id}", api_session, methods=["GET", "DELETE"]),
        Route("/api/persona", api_persona),
        Route("/api/persona/backups", api_backups),
        Route("/api/persona/backups/{name}", api_backup),
        Route("/api/persona/restore", api_restore, methods=["POST"]),
    ]
    directory = web_dir or WEB_DIR
    if directory.is_dir():
        routes.append(Mount("/", StaticFiles(directory=directory, html=True), name="web"))
    return Starlette(routes=routes, lifespan=lifespan)


def services_of(connection: HTTPConnection) -> Services:
    services: Services = connection.app.state.services
    return services


def _client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def origin_allowed(connection: HTTPConnection, settings: Settings) -> bool:
    """Same origin as the Host the browser used, or one listed in ``allowed_origins``."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True  # not a browser: browsers always send Origin on WebSocket handshakes
    host = connection.headers.get("host", "")
    parsed = urlsplit(origin)
    if parsed.scheme in ("http", "https") and parsed.netloc == host:
        return True
    return origin.rstrip("/") in settings.allowed_origins


async def authenticate(connection: HTTPConnection) -> tuple[str | None, str]:
    """The user behind a request's Bearer token or cookie, and how they were recognised."""
    services = services_of(connection)
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        address = _client_address(connection)
        if services.auth.attempts.blocked(address):
            return None, "blocked"
        user = await services.auth.user_for_token(header[7:].strip())
        if user is None:
            services.auth.attempts.failed(address)
        return user, "bearer"
    cookie = connection.cookies.get(COOKIE_NAME)
    if cookie:
        if not origin_allowed(connection, services.settings):
            return None, "origin"
        return await services.auth.user_for_cookie(cookie), "cookie"
    return None, "none"


def _json_error(status: int, exc: PersonagenError) -> JSONResponse:
    return JSONResponse({"error": exc.to_dict()}, status_code=status)


async def _require_user(request: Request) -> str | JSONResponse:
    user, how = await authenticate(request)
    if user is not None:
        return user
    if how == "blocked":
        return JSONResponse(
            {
                "error": {
                    "code": "rate_limited",
                    "message": "too many failed logins; wait a minute",
                    "retryable": True,
                }
            },
            status_code=429,
        )
    if how == "origin":
        return JSONResponse(
            {
                "error": {
                    "code": "origin_not_allowed",
                    "message": "this origin may not use the login cookie",
                    "retryable": False,
                }
            },
            status_code=403,
        )
    return JSONResponse(
        {
            "error": {
                "code": "unauthenticated",
                "message": "log in, or send Authorization: Bearer <token>",
                "retryable": False,
            }
        },
        status_code=401,
    )


# -- HTTP -------------------------------------------------------------------------------------


async def healthz(request: Request) -> JSONResponse:
    services = services_of(request)
    body: dict[str, Any] = {
        "status": "ok",
        "backend": services.manager.backend,
        "live_sessions": len(services.manager.live),
    }
    status = await ollama_status(services.interviewer)
    if status is not None:
        body["ollama"] = {
            "reachable": status.reachable,
            "model_present": status.model_present,
            "detail": status.detail,
            "version": status.version,
        }
        if not status.ready:
            body["status"] = "degraded"
    return JSONResponse(body)


def _login_response(request: Request, cookie: str) -> Response:
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=COOKIE_LIFETIME,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


LOGIN_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Personagen</title></head>
<body><main><h1>Log in to Personagen</h1><p>{message}</p>
<form method="post" action="/login"><label for="token">Your token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form>
<p>Lost it? Run <code>personagen users token YOUR_NAME</code> on the server for a new one.</p>
</main></body></html>"""


async def login(request: Request) -> Response:
    services = services_of(request)
    address = _client_address(request)
    if services.auth.attempts.blocked(address):
        return HTMLResponse(
            LOGIN_FORM.format(message="Too many failed attempts; wait a minute."), 429
        )
    if request.method == "GET":
        ticket = request.query_params.get("ticket")
        if not ticket:
            return HTMLResponse(LOGIN_FORM.format(message="Paste the token you were given."))
        user = await services.auth.redeem_ticket(ticket)
        if user is None:
            services.auth.attempts.failed(address)
            return HTMLResponse(
                LOGIN_FORM.format(message="That login link is invalid, expired or already used."),
                401,
            )
        return _login_response(request, await services.auth.make_cookie(user))
    if not origin_allowed(request, services.settings):
        return PlainTextResponse("origin not allowed", 403)
    token = await _form_field(request, "token")
    user = await services.auth.user_for_token(token.strip())
    if user is None:
        services.auth.attempts.failed(address)
        return HTMLResponse(LOGIN_FORM.format(message="That token is not valid."), 401)
    return _login_response(request, await services.auth.make_cookie(user))


MAX_FORM_BYTES = 4096


async def _form_field(request: Request, name: str) -> str:
    """One field of a small url-encoded form body (the login form), without python-multipart.

    Starlette's ``request.form()`` needs the python-multipart package, which is not a
    dependency; reading more than ``MAX_FORM_BYTES`` is pointless for a token.
    """
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return ""
    try:
        values = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=20)
    except ValueError:  # more fields than that: not our form
        return ""
    return values.get(name, [""])[0]


async def logout(request: Request) -> Response:
    if not origin_allowed(request, services_of(request).settings):
        return PlainTextResponse("origin not allowed", 403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


async def api_me(request: Request) -> Response:
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    return JSONResponse({"user": user, "backend": services_of(request).manager.backend})


async def api_sessions(request: Request) -> Response:
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    return JSONResponse({"sessions": await services_of(request).manager.list_sessions(user)})


async def api_session(request: Request) -> Response:
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    manager = services_of(request).manager
    if request.method == "DELETE":
        try:
            removed = await manager.purge(user, request.path_params["session_id"])
        except NotFound as exc:
            return _json_error(404, exc)
        except PersonagenError as exc:
            return _json_error(400, exc)
        return JSONResponse({"removed": removed})
    try:
        live = await manager.get_live(user, request.path_params["session_id"])
    except NotFound as exc:
        return _json_error(404, exc)
    except PersonagenError as exc:
        return _json_error(400, exc)
    view = live.view()
    if request.query_params.get("format") == "markdown":
        return PlainTextResponse(
            transcript_markdown(view), media_type="text/markdown; charset=utf-8"
        )
    return JSONResponse(view)


async def api_persona(request: Request) -> Response:
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    try:
        stored = await services_of(request).store.read_persona(user)
        persona = normalize_persona(stored.data) if stored.data is not None else None
    except PersonagenError as exc:
        return _json_error(409, exc)
    return JSONResponse({"persona": persona, "digest": stored.digest})


async def api_backups(request: Request) -> Response:
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    backups = await services_of(request).store.list_backups(user)
    return JSONResponse(
        {
            "backups": [
                {
                    "name": b.name,
                    "stamp": b.stamp.isoformat().replace("+00:00", "Z"),
                    "size": b.size,
                }
                for b in backups
            ]
        }
    )


async def api_backup(request: Request) -> Response:
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    try:
        text = await services_of(request).store.read_backup(user, request.path_params["name"])
    except NotFound as exc:
        return _json_error(404, exc)
    except PersonagenError as exc:
        return _json_error(400, exc)
    return Response(text, media_type="application/json")


async def api_restore(request: Request) -> Response:
    """Put a backup back as ``core.json``; the file it replaces is backed up first."""
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    store = services_of(request).store
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        return _json_error(
            400,
            ValidationError('expected a JSON object {"name": BACKUP, "expected_digest": DIGEST}'),
        )
    try:
        text = await store.read_backup(user, body["name"])
        expected = body.get("expected_digest")
        if not isinstance(expected, str):
            expected = (await store.read_persona(user)).digest
        written = await store.write_persona(
            user, text, expected_digest=expected, now=datetime.now(UTC)
        )
    except NotFound as exc:
        return _json_error(404, exc)
    except ConflictError as exc:
        return _json_error(409, exc)
    except PersonagenError as exc:
        return _json_error(400 if isinstance(exc, ValidationError) else 500, exc)
    return JSONResponse(
        {"restored": body["name"], "backup": written.backup, "digest": written.digest}
    )


# -- WebSocket --------------------------------------------------------------------------------


class RateLimiter:
    """Token bucket per connection: bursts allowed, floods refused."""

    def __init__(self, burst: int, per_second: float) -> None:
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.rate = per_second
        self.updated = time.monotonic()
        self.strikes = 0

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.strikes = 0
            return True
        self.strikes += 1
        return False


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with suppress(RuntimeError, OSError, WebSocketDisconnect):
        await websocket.close(code=code, reason=reason[:120])


async def websocket_endpoint(websocket: WebSocket) -> None:
    services = services_of(websocket)
    limits = services.limits
    user, how = await authenticate(websocket)
    # Accept first, then close with a code: a browser cannot see why a refused handshake failed.
    await websocket.accept()
    if how == "origin":
        await _close(websocket, p.CLOSE_POLICY, "origin not allowed")
        return
    if how == "blocked":
        await _close(websocket, p.CLOSE_RATE_LIMITED, "too many failed logins")
        return
    if how == "bearer" and user is None:
        await _close(websocket, p.CLOSE_UNAUTHENTICATED, "invalid token")
        return

    hello = await _receive_hello(websocket, limits)
    if hello is None:
        return
    if user is None:
        address = _client_address(websocket)
        if services.auth.attempts.blocked(address):
            await _close(websocket, p.CLOSE_RATE_LIMITED, "too many failed logins")
            return
        user = await services.auth.user_for_token(hello.token or "")
        if user is None:
            if hello.token is not None:  # a logged-out page load is not a guess
                services.auth.attempts.failed(address)
            await _close(
                websocket, p.CLOSE_UNAUTHENTICATED, "log in, or send a valid token in hello"
            )
            return

    manager = services.manager
    connection = manager.connect(user)
    if connection is None:
        await _close(websocket, p.CLOSE_RATE_LIMITED, "too many connections for this user")
        return
    try:
        connection.send(await manager.welcome(connection))
        if hello.resume is not None:
            resume = p.SessionOpen(
                type="session.open",
                id=f"resume-{connection.id}",
                session_id=hello.resume.session_id,
                epoch=hello.resume.epoch,
                last_seq=hello.resume.last_seq,
            )
            await manager.handle(connection, resume)
        await _serve(websocket, connection, manager, limits)
    finally:
        await manager.disconnect(connection)


async def _receive_hello(websocket: WebSocket, limits: Limits) -> p.Hello | None:
    text: str | None = None
    with anyio.move_on_after(limits.hello_timeout):
        try:
            message = await websocket.receive()
        except WebSocketDisconnect:
            return None
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None:
            await _close(websocket, p.CLOSE_BAD_MESSAGE, "expected a JSON text frame")
            return None
    if text is None:
        await _close(websocket, p.CLOSE_HELLO_TIMEOUT, "no hello within the deadline")
        return None
    try:
        parsed = p.parse_client_message(text)
    except p.ProtocolError as exc:
        await _send_now(websocket, {"type": "error", "id": p.request_id_of(text), **exc.to_dict()})
        await _close(websocket, p.CLOSE_BAD_MESSAGE, "the first frame must be a valid hello")
        return None
    if not isinstance(parsed, p.Hello):
        error = p.ProtocolError(f"expected 'hello' as the first message, found {parsed.type!r}")
        await _send_now(
            websocket, {"type": "error", "id": getattr(parsed, "id", None), **error.to_dict()}
        )
        await _close(websocket, p.CLOSE_BAD_MESSAGE, "the first frame must be hello")
        return None
    return parsed


async def _send_now(websocket: WebSocket, frame: dict[str, Any]) -> None:
    with suppress(RuntimeError, OSError, WebSocketDisconnect):
        await websocket.send_text(p.encode(frame))


async def _serve(
    websocket: WebSocket, connection: Connection, manager: SessionManager, limits: Limits
) -> None:
    """Three loops: receive (parse, rate-limit, pong), work (commands in order), write."""
    send_work, receive_work = anyio.create_memory_object_stream[p.ClientMessage](64)
    close_code: list[tuple[int, str]] = []

    async def receiver() -> None:
        bucket = RateLimiter(limits.rate_burst, limits.rate_per_second)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                connection.send(
                    _protocol_error(None, "expected JSON text frames, found a binary frame")
                )
                continue
            if len(text.encode("utf-8")) > limits.max_frame_bytes:
                close_code.append((p.CLOSE_TOO_BIG, "frame too big"))
                return
            if not bucket.allow():
                if bucket.strikes >= limits.rate_strikes_before_close:
                    close_code.append((p.CLOSE_RATE_LIMITED, "too many messages"))
                    return
                connection.send(
                    {
                        "type": "error",
                        "id": p.request_id_of(text),
                        "code": "rate_limited",
                        "message": f"more than {limits.rate_per_second:g} messages a second; "
                        "slow down",
                        "retryable": True,
                    }
                )
                continue
            try:
                parsed = p.parse_client_message(text)
            except p.ProtocolError as exc:
                connection.send({"type": "error", "id": p.request_id_of(text), **exc.to_dict()})
                continue
            if isinstance(parsed, p.Ping):
                connection.send({"type": "pong", "t": parsed.t})
                continue
            try:
                send_work.send_nowait(parsed)
            except anyio.WouldBlock:
                connection.send(
                    {
                        "type": "error",
                        "id": getattr(parsed, "id", None),
                        "code": "rate_limited",
                        "message": "too many requests waiting; wait for replies first",
                        "retryable": True,
                    }
                )

    async def worker() -> None:
        async for parsed in receive_work:
            try:
                await manager.handle(connection, parsed)
            except Exception:
                log.exception("request failed on connection %s", connection.id)
                connection.send(
                    {
                        "type": "error",
                        "id": getattr(parsed, "id", None),
                        "code": "internal_error",
                        "message": "the server failed to handle this request",
                        "retryable": True,
                    }
                )

    async def writer() -> None:
        while True:
            text = await connection.outbox.get()
            if text is None:
                if connection.outbox.overflowed:
                    close_code.append((p.CLOSE_SLOW_CONSUMER, "too slow to read; resume by seq"))
                return
            await websocket.send_text(text)

    with send_work, receive_work:
        async with anyio.create_task_group() as group:

            async def run_then_stop(loop: Any) -> None:
                try:
                    await loop()
                except (WebSocketDisconnect, OSError):
                    pass  # the peer went away
                except Exception:
                    log.exception("connection %s failed", connection.id)
                    close_code.append((p.CLOSE_INTERNAL, "server error; reconnect and resume"))
                group.cancel_scope.cancel()

            group.start_soon(run_then_stop, receiver)
            group.start_soon(run_then_stop, writer)
            group.start_soon(worker)
    if close_code:
        await _close(websocket, *close_code[0])


def _protocol_error(request_id: str | None, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, **p.ProtocolError(message).to_dict()}
