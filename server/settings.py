"""Server settings: one table feeds the environment parsing, the CLI flags and the README.

Each setting is read from a ``--flag`` first, then from ``PERSONAGEN_<NAME>`` (``OLLAMA_HOST`` is
also honoured, as the Ollama tools use it), then its default. No other module reads the
environment: :meth:`Settings.from_sources` takes the mapping as an argument.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from server.errors import ConfigError

Backend = Literal["auto", "ollama", "builtin"]
BACKENDS: tuple[Backend, ...] = ("auto", "ollama", "builtin")
# Beyond this, generations wait in the server's queue anyway (Ollama runs a handful at once),
# and every one holds an open HTTP connection to Ollama.
MAX_GENERATIONS_CAP = 100


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    env_aliases: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return "PERSONAGEN_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Address the server binds to."),
    Setting("port", "8000", "TCP port the server listens on."),
    Setting("profiles_dir", "profiles", "Folder holding one sub-folder per user."),
    Setting(
        "interview_config",
        "",
        "Path to a persona-generator.json of your own; empty means the shipped default.",
    ),
    Setting(
        "backend",
        "auto",
        "Interviewer: `ollama`, `builtin` (curated question bank), or `auto` "
        "(Ollama when it answers and has the model, else builtin).",
    ),
    Setting(
        "ollama_host",
        "http://127.0.0.1:11434",
        "Base URL of the Ollama server.",
        env_aliases=("OLLAMA_HOST",),
    ),
    Setting("ollama_model", "llama3.1:8b", "Model that writes questions and extracts the persona."),
    Setting("ollama_connect_timeout", "3", "Seconds to wait for a TCP connection to Ollama."),
    Setting(
        "ollama_read_timeout",
        "120",
        "Seconds Ollama may stay silent (between streamed tokens, or for a whole extraction).",
    ),
    Setting("ollama_question_deadline", "180", "Seconds one streamed question may take in total."),
    Setting("ollama_num_ctx", "8192", "Context window requested from Ollama (`num_ctx`)."),
    Setting("ollama_temperature", "0.7", "Sampling temperature for questions."),
    Setting(
        "allowed_origins",
        "",
        "Extra browser origins (comma-separated, e.g. https://me.example) allowed to use the "
        "login cookie; the server's own origin is always allowed.",
    ),
    Setting(
        "max_generations",
        "1",
        f"Questions generated at once (1 to {MAX_GENERATIONS_CAP}); match Ollama's "
        "OLLAMA_NUM_PARALLEL. The rest wait in the server's queue; the HTTP pool to Ollama "
        "is sized from it.",
    ),
    Setting("builtin_pace", "0.015", "Seconds between streamed words of the built-in interviewer."),
    Setting(
        "forwarded_allow_ips",
        "",
        "Reverse proxies (comma-separated IPs or networks, or `*`) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty trusts none, so a client cannot pick its address.",
    ),
    Setting(
        "request_timeout",
        "10",
        "Seconds a client has to send a whole request (line, headers, body); slower ones are "
        "disconnected. 0 turns it off.",
    ),
    Setting(
        "keep_alive_timeout",
        "5",
        "Seconds an idle HTTP keep-alive connection is kept open.",
    ),
    Setting(
        "max_connections",
        "0",
        "Connections served at once; past it new requests get 503. 0 means half of the "
        "process's open-file limit.",
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _positive_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"setting {name}: expected a number, found {raw!r}") from None
    if value < 0:
        raise ConfigError(f"setting {name}: expected a number >= 0, found {raw!r}")
    return value


def _integer(low: int, high: int | None = None) -> Callable[[str, str], int]:
    """A parser for a whole number in ``[low, high]`` whose errors name the setting."""
    expected = (
        f"a whole number >= {low}" if high is None else f"a whole number from {low} to {high}"
    )

    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"setting {name}: expected {expected}, found {raw!r}") from None
        if value < low or (high is not None and value > high):
            raise ConfigError(f"setting {name}: expected {expected}, found {raw!r}")
        return value

    return parse


def _backend(name: str, raw: str) -> Backend:
    if raw not in BACKENDS:
        raise ConfigError(f"setting {name}: expected one of {list(BACKENDS)}, found {raw!r}")
    return raw


def _ollama_host(name: str, raw: str) -> str:
    host = raw.strip().rstrip("/")
    if not host:
        raise ConfigError(
            f"setting {name}: expected a URL such as http://127.0.0.1:11434, found ''"
        )
    if "://" not in host:
        host = "http://" + host
    return host


@dataclasses.dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    profiles_dir: Path = Path("profiles")
    interview_config: Path | None = None
    backend: Backend = "auto"
    ollama_host: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.1:8b"
    ollama_connect_timeout: float = 3.0
    ollama_read_timeout: float = 120.0
    ollama_question_deadline: float = 180.0
    ollama_num_ctx: int = 8192
    ollama_temperature: float = 0.7
    allowed_origins: tuple[str, ...] = ()
    max_generations: int = 1
    builtin_pace: float = 0.015
    forwarded_allow_ips: tuple[str, ...] = ()
    request_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_connections: int = 0

    @classmethod
    def from_sources(
        cls, environ: Mapping[str, str], overrides: Mapping[str, str | None] | None = None
    ) -> Settings:
        """Resolve every setting from flags (``overrides``), then environment, then default."""
        raw: dict[str, str] = {}
        for setting in SETTINGS:
            value: str | None = (overrides or {}).get(setting.name)
            if value is None:
                value = environ.get(setting.env)
            for alias in setting.env_aliases:
                if value is None:
                    value = environ.get(alias)
            raw[setting.name] = setting.default if value is None else value

        parsers: dict[str, Callable[[str, str], object]] = {
            "port": _integer(0, 65535),
            "backend": _backend,
            "ollama_host": _ollama_host,
            "ollama_connect_timeout": _positive_float,
            "ollama_read_timeout": _positive_float,
            "ollama_question_deadline": _positive_float,
            "ollama_temperature": _positive_float,
            "builtin_pace": _positive_float,
            "ollama_num_ctx": _integer(512),
            "max_generations": _integer(1, MAX_GENERATIONS_CAP),
            "request_timeout": _positive_float,
            "keep_alive_timeout": _integer(1, 3600),
            "max_connections": _integer(0),
        }
        values: dict[str, object] = {}
        for name, text in raw.items():
            parser = parsers.get(name)
            values[name] = parser(name, text) if parser else text
        values["profiles_dir"] = Path(raw["profiles_dir"])
        values["allowed_origins"] = tuple(
            origin.strip().rstrip("/")
            for origin in raw["allowed_origins"].split(",")
            if origin.strip()
        )
        values["forwarded_allow_ips"] = tuple(
            address.strip() for address in raw["forwarded_allow_ips"].split(",") if address.strip()
        )
        values["interview_config"] = (
            Path(raw["interview_config"]) if raw["interview_config"] else None
        )
        if not raw["ollama_model"].strip():
            raise ConfigError(
                "setting ollama_model: expected a model name such as llama3.1:8b, found ''"
            )
        return cls(**values)  # type: ignore[arg-type]


def setting(name: str) -> Setting:
    return _BY_NAME[name]
