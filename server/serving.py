"""Running the app under uvicorn: connection limits, a request deadline, the runtime file.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) and can refuse requests past
``limit_concurrency``, but it has no timeout for a client that sends a request slowly: a
connection dribbling one header line every few seconds is kept forever (uvicorn issue #157,
"--timeout-request-start", open since 2018). :class:`DeadlineProtocol` adds that deadline.

While it runs, the server records where it listens in ``<profiles>/.personagen-server.json``
(removed at a clean stop) so that ``personagen users login`` prints a link with the real port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import resource
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import Settings

log = logging.getLogger("personagen.serving")

_TICKET_RE = re.compile(r"([?&]ticket=)[^&\s\"]*")

RUNTIME_FILE = ".personagen-server.json"

#: Request line plus headers; browsers send a few KiB (nginx's default buffers hold 32 KiB).
MAX_HEAD_BYTES = 64 * 1024
_HEAD_TOO_LARGE_TEXT = b"request line and headers over 64 KiB\n"
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    + f"content-length: {len(_HEAD_TOO_LARGE_TEXT)}\r\n\r\n".encode()
    + _HEAD_TOO_LARGE_TEXT
)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for receiving each whole request.

    The clock starts when the connection opens (and, on a kept-alive connection, at the first
    byte of the next request) and stops once the request line, headers and body have arrived
    or the connection upgrades to a WebSocket. A client that is still sending when it runs out
    is disconnected. Responses, however long they stream, are not limited.
    """

    request_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_head = True  # request line and headers not complete yet
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._reading_head and not self.transport.is_closing():
            # Still no end of headers after this chunk: all of it was request head. httptools
            # sets no limit of its own (a 1 MB header line is accepted), so this one does.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.transport.write(HEAD_TOO_LARGE)
                self.transport.close()

    def _arm(self) -> None:
        if self._deadline is None and self.request_timeout > 0:
            self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            _report_slow_client(self.client[0] if self.client else "?", self.request_timeout)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._reading_head = False
        if self.parser.should_upgrade() and self._should_upgrade():
            self._disarm()  # a WebSocket: its own hello deadline and pings take over
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._reading_head, self._head_bytes = True, 0  # the next request on this connection
        super().on_message_complete()

    def timeout_keep_alive_handler(self) -> None:
        self._disarm()
        super().timeout_keep_alive_handler()


_slow_clients = {"since_report": 0, "reported_at": float("-inf")}


def _report_slow_client(address: str, timeout: float) -> None:
    """One warning per 10 s at most, with a count: a slowloris flood must not flood the log."""
    _slow_clients["since_report"] += 1
    now = time.monotonic()
    if now - _slow_clients["reported_at"] >= 10.0:
        log.warning(
            "closed %d connection(s) with no complete request within %g s (latest from %s)",
            _slow_clients["since_report"],
            timeout,
            address,
        )
        _slow_clients["since_report"] = 0
        _slow_clients["reported_at"] = now


def deadline_protocol(request_timeout: float) -> type[DeadlineProtocol]:
    """A :class:`DeadlineProtocol` class with this deadline (uvicorn takes a class)."""
    return type("DeadlineProtocol", (DeadlineProtocol,), {"request_timeout": request_timeout})


def runtime_file(profiles_dir: Path) -> Path:
    return profiles_dir / RUNTIME_FILE


def read_runtime(profiles_dir: Path) -> dict[str, Any] | None:
    """The running server's record, or None when there is none or its process is gone."""
    try:
        data = json.loads(runtime_file(profiles_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("port"), int):
        return None
    pid = data.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # left behind by a server that was killed
    except PermissionError:
        pass  # alive, under another user id
    return data


class RecordingServer(uvicorn.Server):
    """A uvicorn server that writes the runtime file once its sockets listen."""

    def __init__(self, config: uvicorn.Config, profiles_dir: Path) -> None:
        super().__init__(config)
        self.profiles_dir = profiles_dir
        self.recorded: Path | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            return
        ports = [
            listener.getsockname()[1]
            for server in self.servers
            for listener in server.sockets
            if listener.family in (socket.AF_INET, socket.AF_INET6)
        ]
        if ports:
            self._record(ports[0])

    def _record(self, port: int) -> None:
        path = runtime_file(self.profiles_dir)
        record = {"pid": os.getpid(), "host": self.config.host, "port": port}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not write %s (%s); `users login` will assume the port", path, exc)
            return
        self.recorded = path

    async def shutdown(self, sockets: Sequence[socket.socket] | None = None) -> None:
        if self.recorded is not None:
            with contextlib.suppress(OSError):
                self.recorded.unlink()
            self.recorded = None
        await super().shutdown(sockets)  # type: ignore[arg-type]


class TicketRedactingFilter(logging.Filter):
    """Blanks ``ticket=`` values in access-log lines: an unused login ticket is a credential.

    The landing page redeems tickets by POST, but the GET that shows it carries the ticket in
    its query string, which uvicorn's access log would otherwise keep for anyone who can read
    the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _redact(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        return True


def _redact(text: str) -> str:
    return _TICKET_RE.sub(r"\1[redacted]", text)


def connection_limit(settings: Settings) -> int:
    """``max_connections``, or for 0 half the soft open-file limit (descriptors are the cap)."""
    if settings.max_connections:
        return settings.max_connections
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 4096
    return max(16, soft // 2)


def run_server(app: Starlette, settings: Settings) -> None:
    """Serve ``app`` with the settings' limits until SIGINT or SIGTERM."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=deadline_protocol(settings.request_timeout),
        ws_max_size=65_536,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=connection_limit(settings),
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default; believe only named proxies.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=list(settings.forwarded_allow_ips) or None,
        log_level="info",
    )
    server = RecordingServer(config, settings.profiles_dir)
    logging.getLogger("uvicorn.access").addFilter(TicketRedactingFilter())
    server.run()
