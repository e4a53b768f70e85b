"""Server settings: flag beats environment beats default; bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import ConfigError
from server.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_sources({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.profiles_dir == Path("profiles")
    assert settings.backend == "auto"
    assert settings.interview_config is None


def test_flag_beats_environment_beats_default() -> None:
    env = {"PERSONAGEN_PORT": "9001", "PERSONAGEN_BACKEND": "builtin"}
    assert Settings.from_sources(env).port == 9001
    assert Settings.from_sources(env, {"port": "9002"}).port == 9002
    assert Settings.from_sources(env).backend == "builtin"


def test_ollama_host_alias_and_scheme() -> None:
    assert (
        Settings.from_sources({"OLLAMA_HOST": "127.0.0.1:1234"}).ollama_host
        == "http://127.0.0.1:1234"
    )
    both = {"OLLAMA_HOST": "http://a:1", "PERSONAGEN_OLLAMA_HOST": "http://b:2/"}
    assert Settings.from_sources(both).ollama_host == "http://b:2"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PERSONAGEN_PORT": "eighty"},
            "setting port: expected a whole number from 0 to 65535, found 'eighty'",
        ),
        ({"PERSONAGEN_PORT": "70000"}, "from 0 to 65535, found '70000'"),
        (
            {"PERSONAGEN_BACKEND": "gpt"},
            "expected one of ['auto', 'ollama', 'builtin'], found 'gpt'",
        ),
        ({"PERSONAGEN_OLLAMA_READ_TIMEOUT": "-1"}, "expected a number >= 0, found '-1'"),
        ({"PERSONAGEN_OLLAMA_NUM_CTX": "100"}, "expected a whole number >= 512, found '100'"),
        ({"PERSONAGEN_OLLAMA_MODEL": " "}, "expected a model name"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_sources(env)
    assert message in caught.value.message
