"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_ollama import FakeOllama
from tests.server_process import create_user


@pytest.fixture(scope="session")
def fake_ollama_server() -> Iterator[FakeOllama]:
    """One fake Ollama (uvicorn on 127.0.0.1, random port) for the whole test session."""
    with FakeOllama() as fake:
        yield fake


@pytest.fixture
def fake_ollama(fake_ollama_server: FakeOllama) -> FakeOllama:
    """The running fake Ollama (``.url``), reset: empty script, no records, default models."""
    fake_ollama_server.reset()
    return fake_ollama_server


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    """An empty profiles folder."""
    path = tmp_path / "profiles"
    path.mkdir()
    return path


@pytest.fixture
def token(profiles: Path) -> str:
    """The token of user ``alice``, created in ``profiles``."""
    return create_user(profiles, "alice")
