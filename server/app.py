"""The Starlette application: ``/ws`` for interviews, a small authenticated HTTP surface, the page.

Everything here is transport: decoding frames, checking who is calling, and handing requests to
the :class:`~server.manager.SessionManager`. No interview logic lives in this module.
"""

from __future__ import annotations

import dataclasses
import html
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
from server.auth import COOKIE_LIFETIME, COOKIE_NAME, Authenticator, claimed_user
from server.config import InterviewConfig, load_config
from server.errors import ConflictError, NotFound, PersonagenError, ValidationError
from server.llm.base import Interviewer
from server.llm.care import care_status, start_care_model
from server.llm.select import AutoInterviewer, choose_interviewer, make_ollama, ollama_status
from server.manager import Connection, Limits, SessionManager
from server.persona.schema import dump_persona, empty_persona, normalize_persona, persona_name
from server.runner import InterviewRunner, refilter_summary
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
    crisis_model: bool | None = None,
) -> Starlette:
    """Build the app. ``interviewer`` overrides the backend choice (tests, embedding).

    ``crisis_model`` loads the learned crisis screen in the background (``personagen[care]``);
    by default it does when the interviewer is chosen from the settings, not given.
    """
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
        if crisis_model if crisis_model is not None else interviewer is None:
            start_care_model()
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
        Route("/api/sessions/{session_id}/selection", api_selection, methods=["POST"]),
        Route("/api/persona", api_persona),
        Route("/api/persona/backups", api_backups),
        Route("/api/persona/backups/{name}", api_backup),
        Route("/api/persona/restore", api_restore, methods=["POST"]),
        Route("/api/persona/download", api_persona_download),
        Route("/api/persona/name", api_persona_name, methods=["PUT"]),
        Route("/api/server", api_server),
        Route("/api/training/refilter", api_training_refilter, methods=["POST"]),
        Route("/favicon.ico", favicon),
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
        verdict = await services.auth.login_with_token(
            header[7:].strip(), _client_address(connection)
        )
        return verdict.user, "blocked" if verdict.blocked else "bearer"
    cookie = connection.cookies.get(COOKIE_NAME)
    if cookie:
        if not origin_allowed(connection, services.settings):
            return None, "origin"
        return await services.auth.user_for_cookie(cookie), "cookie"
    return None, "none"


def _json_error(status: int, exc: PersonagenError) -> JSONResponse:
    return JSONResponse({"error": exc.to_dict()}, status_code=status)


async def _json_body(request: Request) -> object:
    """The request's JSON body, or None when it is not JSON (the caller names what it expected)."""
    try:
        return await request.json()
    except ValueError:
        return None


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


# strict-origin, not no-referrer: under no-referrer browsers send "Origin: null" with the form's
# POST, which the origin check refuses; strict-origin still keeps the ticket out of Referer.
TICKET_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="strict-origin">
<title>Log in · Personagen</title></head>
<body><main><h1>Log in to Personagen</h1>
<form id="ticket-login" method="post" action="/login">
<input type="hidden" name="ticket" value="{ticket}">
<button type="submit">Log in as {user}</button></form>
<p>This one-time link is used up when you log in.</p>
<script>document.getElementById("ticket-login").submit();</script>
</main></body></html>"""


async def login(request: Request) -> Response:
    """``GET /login``: the token form, or for a link the page that redeems it by POST.

    Only a POST redeems a ticket: link previewers and scanners that fetch the URL do not use it
    up, and the ticket never appears in a logged request line once the page has posted it.
    """
    services = services_of(request)
    if request.method == "GET":
        ticket = request.query_params.get("ticket")
        if not ticket:
            return HTMLResponse(LOGIN_FORM.format(message="Paste the token you were given."))
        user = claimed_user(ticket)
        return HTMLResponse(
            TICKET_PAGE.format(ticket=html.escape(ticket), user=html.escape(user)),
            headers={"Cache-Control": "no-store", "Referrer-Policy": "strict-origin"},
        )
    if not origin_allowed(request, services.settings):
        return PlainTextResponse("origin not allowed", 403)
    fields = await _form_fields(request)
    address = _client_address(request)
    ticket = fields.get("ticket", "")
    if ticket:
        verdict = await services.auth.login_with_ticket(ticket, address)
        failure = "That login link is invalid, expired or already used."
    else:
        verdict = await services.auth.login_with_token(fields.get("token", "").strip(), address)
        failure = "That token is not valid."
    if verdict.user is not None:
        return _login_response(request, await services.auth.make_cookie(verdict.user))
    if verdict.blocked:
        return HTMLResponse(
            LOGIN_FORM.format(message="Too many failed attempts; wait a minute."), 429
        )
    return HTMLResponse(LOGIN_FORM.format(message=failure), 401)


MAX_FORM_BYTES = 4096


async def _form_fields(request: Request) -> dict[str, str]:
    """The fields of a small url-encoded form body (the login forms), without python-multipart.

    Starlette's ``request.form()`` needs the python-multipart package, which is not a
    dependency; reading more than ``MAX_FORM_BYTES`` is pointless for a token.
    """
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        values = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=20)
    except ValueError:  # more fields than that: not our form
        return {}
    return {name: found[0] for name, found in values.items()}


async def logout(request: Request) -> Response:
    if not origin_allowed(request, services_of(request).settings):
        return PlainTextResponse("origin not allowed", 403)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


async def api_me(request: Request) -> Response:
    user = await _require_user(request)
    if isinstance(user, Response):
        # The page asks "who is there?" without logging a failed request in the console.
        if user.status_code == 401 and request.query_params.get("optional") == "1":
            return JSONResponse({"user": None, "name": "", "backend": None})
        return user
    services = services_of(request)
    try:
        name = persona_name((await services.store.read_persona(user)).data, "")
    except PersonagenError:
        name = ""  # a corrupt core.json is reported where it is used; /api/me still answers
    return JSONResponse({"user": user, "name": name, "backend": services.manager.backend})


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


SELECTION_SHAPE = (
    'expected a JSON object {"strategy": "merge"|"replace"|"append", "base_digest": DIGEST, '
    '"change_ids": [ID, ...] or null, "edits": {ID: TEXT or {FIELD: TEXT}} or null}'
)


async def api_selection(request: Request) -> Response:
    """The core.json that ``review.apply`` would write for these ticks and edits; writes nothing.

    The review dialog shows this as its proposed side, so what is shown is what lands.
    """
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    manager = services_of(request).manager
    body = await _json_body(request)
    try:
        if not isinstance(body, dict):
            raise ValidationError(SELECTION_SHAPE)
        strategy, digest = body.get("strategy"), body.get("base_digest")
        change_ids, edits = body.get("change_ids"), body.get("edits")
        if not isinstance(strategy, str) or not isinstance(digest, str):
            raise ValidationError(SELECTION_SHAPE)
        if change_ids is not None and not (
            isinstance(change_ids, list) and all(isinstance(i, str) for i in change_ids)
        ):
            raise ValidationError(SELECTION_SHAPE)
        if edits is not None and not isinstance(edits, dict):
            raise ValidationError(SELECTION_SHAPE)
        live = await manager.get_live(user, request.path_params["session_id"])
        persona, chosen = await manager.runner.selected(
            live.session, strategy, base_digest=digest, change_ids=change_ids, edits=edits
        )
    except NotFound as exc:
        return _json_error(404, exc)
    except ConflictError as exc:
        return _json_error(409, exc)
    except PersonagenError as exc:
        return _json_error(400, exc)
    return JSONResponse({"persona": persona, "change_ids": chosen})


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
    body = await _json_body(request)
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


async def api_persona_download(request: Request) -> Response:
    """``core.json`` as a file to save, every key kept (extension data included)."""
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    try:
        stored = await services_of(request).store.read_persona(user)
    except PersonagenError as exc:
        return _json_error(409, exc)
    if stored.data is None:
        return _json_error(404, NotFound("there is no core.json yet: apply an interview first"))
    return Response(
        dump_persona(stored.data),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{user}-core.json"'},
    )


MAX_NAME_LENGTH = 80


def _checked_name(body: object) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise ValidationError(f'expected a JSON object {{"name": TEXT}}, got {body!r:.80}')
    name = " ".join(body["name"].split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"a name needs 1 to {MAX_NAME_LENGTH} characters, got {len(name)} after trimming"
        )
    if any(not char.isprintable() for char in name):
        raise ValidationError("a name cannot contain control characters")
    return name


async def api_persona_name(request: Request) -> Response:
    """Set ``identity.name``: how the persona (and its training prompt) calls its person."""
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    store = services_of(request).store
    body = await _json_body(request)
    try:
        name = _checked_name(body)
        stored = await store.read_persona(user)
        data = dict(stored.data) if stored.data is not None else empty_persona()
        identity = data.get("identity")
        data["identity"] = {**(identity if isinstance(identity, dict) else {}), "name": name}
        written = await store.write_persona(
            user, dump_persona(data), expected_digest=stored.digest, now=datetime.now(UTC)
        )
    except ConflictError as exc:
        return _json_error(409, exc)
    except ValidationError as exc:
        return _json_error(400, exc)
    except PersonagenError as exc:
        return _json_error(409, exc)
    return JSONResponse({"name": name, "digest": written.digest, "backup": written.backup})


async def api_server(request: Request) -> Response:
    """What the Server tab shows: the interviewer and why, Ollama's state, live sessions."""
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    services = services_of(request)
    settings = services.settings
    from server.llm.ollama import (
        OllamaInterviewer,  # loaded lazily: the builtin backend never needs it
    )

    probe_with = services.interviewer
    temporary = None
    if not isinstance(probe_with, OllamaInterviewer):
        temporary = probe_with = make_ollama(settings)
    try:
        status = await probe_with.probe()
    finally:
        if temporary is not None:
            await temporary.aclose()
    mine = [
        {"session_id": live.session.session_id, "state": live.session.state}
        for (owner, _), live in services.manager.live.items()
        if owner == user
    ]
    return JSONResponse(
        {
            "backend": services.manager.backend,
            "crisis_detector": care_status(),
            "ollama": {
                "host": settings.ollama_host,
                "model": settings.ollama_model,
                "reachable": status.reachable,
                "model_present": status.model_present,
                "version": status.version,
                "detail": status.detail,
                "models": list(status.models),
                "pull_command": None
                if status.model_present
                else f"ollama pull {settings.ollama_model}",
            },
            "live_sessions": len(services.manager.live),
            "your_live_sessions": mine,
            "user": user,
        }
    )


async def favicon(request: Request) -> Response:
    """Browsers ask for ``/favicon.ico`` whatever the page links; answer with the SVG icon."""
    path = WEB_DIR / "favicon.svg"
    if not path.is_file():
        return PlainTextResponse("not found", 404)
    return Response(path.read_bytes(), media_type="image/svg+xml")


async def api_training_refilter(request: Request) -> Response:
    """Apply the current export policy to every training export of the user already written."""
    user = await _require_user(request)
    if isinstance(user, Response):
        return user
    try:
        results = await services_of(request).manager.runner.refilter_training(user)
    except PersonagenError as exc:
        return _json_error(400 if isinstance(exc, ValidationError) else 500, exc)
    return JSONResponse(refilter_summary(results))


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
        if hello.token is None:  # a logged-out page load is not a guess
            await _close(
                websocket, p.CLOSE_UNAUTHENTICATED, "log in, or send a valid token in hello"
            )
            return
        verdict = await services.auth.login_with_token(hello.token, _client_address(websocket))
        if verdict.blocked:
            await _close(websocket, p.CLOSE_RATE_LIMITED, "too many failed logins")
            return
        if verdict.user is None:
            await _close(
                websocket, p.CLOSE_UNAUTHENTICATED, "log in, or send a valid token in hello"
            )
            return
        user = verdict.user

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
    # UnicodeEncodeError: a frame that cannot be UTF-8 is not sent (request_id_of keeps
    # surrogates out of echoed ids; this is the last guard, never a 1011 and a traceback).
    with suppress(RuntimeError, OSError, WebSocketDisconnect, UnicodeEncodeError):
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
            if len(text.encode("utf-8", "surrogatepass")) > limits.max_frame_bytes:
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
