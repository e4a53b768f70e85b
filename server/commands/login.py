"""Where a command runs: against a server (with a token) or on a local ``profiles/`` folder.

The choice, first match wins:

1. ``--server URL`` → that server;
2. ``--profiles-dir DIR`` → that folder, in this process;
3. ``PERSONAGEN_SERVER`` → that server;
4. the default server of the login file (written by ``personagen login``);
5. otherwise the local folder of ``PERSONAGEN_PROFILES_DIR`` (default ``profiles``).

A server's token comes from ``PERSONAGEN_TOKEN``, else from the login file's entry for that
server. The login file (``$XDG_CONFIG_HOME/personagen/login.json``, by default
``~/.config/personagen/login.json``) is written with mode 0600, and refused when other users
can read it, as ssh does with private keys.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.commands.common import EXIT_AUTH, CliError, auth_error, usage_error
from server.errors import PersonagenError
from server.settings import Settings
from server.store import validate_user

LOGIN_FILE = "login.json"


def default_user_name() -> str:
    """The login name of whoever runs the command, if it is a valid user name; else ``me``."""
    try:
        name = re.sub(r"[^a-z0-9_-]", "", getpass.getuser().lower())
        return validate_user(name)
    except (PersonagenError, OSError, KeyError):
        return "me"


def login_file(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base else Path(environ.get("HOME") or Path.home()) / ".config"
    return root / "personagen" / LOGIN_FILE


def normalize_server(url: str) -> str:
    """``http(s)://host:port`` from what a person types (``host:port``, a ``ws://…/ws`` URL)."""
    text = url.strip().rstrip("/")
    if not text:
        raise usage_error("expected a server URL such as http://127.0.0.1:8000, found ''")
    if "://" not in text:
        text = "http://" + text
    scheme, rest = text.split("://", 1)
    scheme = {"ws": "http", "wss": "https"}.get(scheme.lower(), scheme.lower())
    if scheme not in ("http", "https") or not rest:
        raise usage_error(f"expected an http:// or https:// server URL, found {url!r}")
    if rest.endswith("/ws"):
        rest = rest[: -len("/ws")]
    return f"{scheme}://{rest}".rstrip("/")


def websocket_url(server: str) -> str:
    scheme, rest = server.split("://", 1)
    return ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"


@dataclasses.dataclass
class Logins:
    """The login file's content: a default server and one token per server."""

    path: Path
    default: str | None = None
    servers: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def token(self, server: str) -> str | None:
        entry = self.servers.get(server)
        token = entry.get("token") if entry else None
        return token if isinstance(token, str) and token else None


def read_logins(path: Path) -> Logins:
    """The login file, or an empty one; refuses a file other users can read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return Logins(path)
    except OSError as exc:
        raise auth_error(f"cannot read {path}: {exc.strerror}") from None
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise auth_error(
            f"{path} holds your token but other users may read it (mode {mode:o})",
            hint=f"run: chmod 600 {path}",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise auth_error(
            f"cannot read {path}: {exc}", hint="log in again with `personagen login --server URL`"
        ) from None
    servers = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise auth_error(
            f"{path} is not a Personagen login file (no 'servers' object)",
            hint="remove it and log in again with `personagen login --server URL`",
        )
    default = data.get("default")
    return Logins(
        path,
        default if isinstance(default, str) else None,
        {key: value for key, value in servers.items() if isinstance(value, dict)},
    )


def write_logins(logins: Logins) -> None:
    """Atomically write the login file with mode 0600 (its folder 0700)."""
    path = logins.path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps(
        {"default": logins.default, "servers": logins.servers}, indent=2, ensure_ascii=False
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, (data + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CliError(f"cannot write {path}: {exc.strerror}") from None


def remember_login(environ: Mapping[str, str], server: str, token: str, user: str) -> Path:
    path = login_file(environ)
    logins = read_logins(path)
    logins.servers[server] = {
        "token": token,
        "user": user,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    logins.default = server
    write_logins(logins)
    return path


def forget_login(environ: Mapping[str, str], server: str | None) -> tuple[Path, str | None]:
    """Remove a server's entry (the default one when ``server`` is None)."""
    path = login_file(environ)
    logins = read_logins(path)
    target = server or logins.default
    if target is None or target not in logins.servers:
        return path, None
    del logins.servers[target]
    if logins.default == target:
        logins.default = next(iter(logins.servers), None)
    write_logins(logins)
    return path, target


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a command runs: ``server`` and ``token``, or the local ``settings.profiles_dir``."""

    settings: Settings
    server: str | None = None
    token: str | None = None
    user: str | None = None
    how: str = ""

    @property
    def local(self) -> bool:
        return self.server is None


def resolve_target(
    settings: Settings,
    environ: Mapping[str, str],
    *,
    server_flag: str | None,
    profiles_flag: bool,
    user: str | None,
) -> Target:
    """Choose the server or the local folder (see the module docstring for the order)."""
    if server_flag and profiles_flag:
        raise usage_error(
            "--server and --profiles-dir exclude each other: a command runs either against a "
            "server or on a local folder"
        )
    requested = user or environ.get("PERSONAGEN_USER") or None
    if requested is not None:
        validate_user(requested)
    server: str | None = None
    how = ""
    logins: Logins | None = None
    if server_flag:
        server, how = normalize_server(server_flag), "--server"
    elif not profiles_flag:
        if environ.get("PERSONAGEN_SERVER"):
            server, how = normalize_server(environ["PERSONAGEN_SERVER"]), "PERSONAGEN_SERVER"
        else:
            logins = read_logins(login_file(environ))
            if logins.default:
                server, how = normalize_server(logins.default), f"the login file {logins.path}"
    if server is None:
        return Target(settings=settings, user=requested, how="local folder")
    token = environ.get("PERSONAGEN_TOKEN") or None
    if token is None:
        logins = logins or read_logins(login_file(environ))
        token = logins.token(server)
    if token is None:
        raise CliError(
            f"no token for {server}",
            EXIT_AUTH,
            hint=f"log in with `personagen login --server {server}` (the token is read from "
            "stdin or a prompt), or set PERSONAGEN_TOKEN",
        )
    return Target(settings=settings, server=server, token=token, user=requested, how=how)
