"""Fixtures for the command-line tests: real servers (built-in and fake-Ollama backends) shared
by a module, and one fresh user with a clean environment per test."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import SMALL_CONFIG, clean_env
from tests.fake_ollama import FakeOllama
from tests.server_process import ServerProcess, create_user

_names = (f"u{n}" for n in itertools.count(1))


@dataclasses.dataclass
class Remote:
    """A user on a running server, and the environment that points the CLI at it."""

    server: ServerProcess
    profiles: Path
    user: str
    token: str
    env: dict[str, str]

    @property
    def core(self) -> Path:
        return self.profiles / self.user / "persona" / "core.json"


def _start(root: Path, name: str, env: dict[str, str]) -> ServerProcess:
    profiles = root / name
    profiles.mkdir()
    config = root / f"{name}-config.json"
    config.write_text(json.dumps(SMALL_CONFIG))
    return ServerProcess(profiles, env={"PERSONAGEN_INTERVIEW_CONFIG": str(config), **env}).start()


@pytest.fixture(scope="module")
def builtin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = _start(tmp_path_factory.mktemp("builtin"), "profiles", {})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ollama_server(
    tmp_path_factory: pytest.TempPathFactory, fake_ollama_server: FakeOllama
) -> Iterator[ServerProcess]:
    env = {"PERSONAGEN_BACKEND": "ollama", "PERSONAGEN_OLLAMA_HOST": fake_ollama_server.url}
    server = _start(tmp_path_factory.mktemp("ollama"), "profiles", env)
    yield server
    server.stop()


def _remote(server: ServerProcess, home: Path) -> Remote:
    user = next(_names)
    token = create_user(server.profiles, user)
    env = clean_env(home, PERSONAGEN_SERVER=server.url, PERSONAGEN_TOKEN=token)
    return Remote(server, server.profiles, user, token, env)


@pytest.fixture
def remote(builtin_server: ServerProcess, tmp_path: Path) -> Remote:
    """A fresh user on the built-in-backend server."""
    return _remote(builtin_server, tmp_path)


@pytest.fixture
def remote_ollama(ollama_server: ServerProcess, fake_ollama: FakeOllama, tmp_path: Path) -> Remote:
    """A fresh user on the server whose interviewer is the (reset) fake Ollama."""
    return _remote(ollama_server, tmp_path)


@pytest.fixture
def local_env(tmp_path: Path) -> dict[str, str]:
    """The environment for commands on a local folder ``tmp_path/profiles``, user ``ada``,
    with the small interview config."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(SMALL_CONFIG))
    return clean_env(
        tmp_path,
        PERSONAGEN_PROFILES_DIR=str(tmp_path / "profiles"),
        PERSONAGEN_USER="ada",
        PERSONAGEN_INTERVIEW_CONFIG=str(config),
    )
