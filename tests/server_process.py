"""A real ``personagen serve`` in a subprocess on 127.0.0.1, for tests that need a real
transport, a restart or a kill -9."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import anyio

from server.auth import Authenticator
from server.store import ProfileStore


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def create_user(profiles: Path, name: str) -> str:
    """Create a user directly in a profiles folder; returns its token."""

    async def make() -> str:
        store = ProfileStore(profiles)
        return await Authenticator(store, await store.server_secret()).create_user(name)

    return anyio.run(make)


class ServerProcess:
    def __init__(
        self, profiles: Path, *, env: dict[str, str] | None = None, log: Path | None = None
    ) -> None:
        self.profiles = profiles
        self.port = free_port()
        self.env = {
            **os.environ,
            "PERSONAGEN_PROFILES_DIR": str(profiles),
            "PERSONAGEN_PORT": str(self.port),
            "PERSONAGEN_HOST": "127.0.0.1",
            "PERSONAGEN_BACKEND": "builtin",
            "PERSONAGEN_BUILTIN_PACE": "0.002",
            **(env or {}),
        }
        self.log_path = log or profiles.parent / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def command(self) -> list[str]:
        """The server's command line; a subclass may run a variant of the server."""
        return [sys.executable, "-m", "server", "serve"]

    def start(self, timeout: float = 20.0) -> Self:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            cwd=Path(__file__).resolve().parent.parent,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                self.get("/healthz", timeout=1)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-3000:]}")

    def get(self, path: str, *, token: str | None = None, timeout: float = 5) -> Any:
        request = urllib.request.Request(self.url + path)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def stop(self, timeout: float = 15.0) -> int:
        """Graceful shutdown (SIGTERM, as uvicorn expects); returns the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def kill(self) -> None:
        """kill -9: no shutdown hooks, no flush."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
