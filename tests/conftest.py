"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_ollama import FakeOllama


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
