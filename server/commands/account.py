"""``personagen login`` and ``personagen logout``: the token a command line uses for a server."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Mapping
from typing import TextIO

import httpx

from server.commands.common import EXIT_OK, CliError, Console, auth_error, usage_error
from server.commands.login import forget_login, normalize_server, remember_login
from server.commands.terminal import is_terminal


def read_token(server: str, stdin: TextIO | None = None) -> str:
    """The token, from a hidden prompt on a terminal or the first line of piped stdin."""
    stream = stdin or sys.stdin
    if is_terminal(stream):
        token = getpass.getpass(f"Token for {server} (input hidden): ")
    else:
        token = stream.readline()
    token = token.strip()
    if not token:
        raise usage_error(
            "no token given",
            hint="`personagen users add NAME` or `personagen users token NAME` on the server "
            "prints one",
        )
    return token


def check_token(server: str, token: str) -> str:
    """The user a token belongs to, asked of the server (``GET /api/me``)."""
    try:
        response = httpx.get(
            server + "/api/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(20.0, connect=10.0),
        )
    except httpx.HTTPError as exc:
        raise CliError(
            f"cannot reach the server at {server}: {exc}",
            hint="is `personagen serve` running there?",
        ) from None
    if response.status_code in (401, 403):
        raise auth_error(f"the server at {server} refused this token")
    if response.status_code == 429:
        raise auth_error(f"the server at {server} refused this token: too many failed logins")
    if response.status_code != 200:
        raise CliError(f"{server}/api/me answered HTTP {response.status_code}")
    try:
        return str(response.json()["user"])
    except (ValueError, KeyError, TypeError):
        raise CliError(f"{server} does not look like a Personagen server") from None


def login(server_url: str, environ: Mapping[str, str], console: Console) -> int:
    server = normalize_server(server_url)
    token = read_token(server)
    user = check_token(server, token)
    path = remember_login(environ, server, token, user)
    if console.json_mode:
        console.emit_json({"server": server, "user": user, "login_file": str(path)})
    else:
        console.print(f"Logged in to {server} as {user}.")
        console.print(f"The token is saved in {path} (readable only by you).")
    return EXIT_OK


def logout(server_url: str | None, environ: Mapping[str, str], console: Console) -> int:
    server = normalize_server(server_url) if server_url else None
    path, removed = forget_login(environ, server)
    if console.json_mode:
        console.emit_json({"server": removed, "login_file": str(path)})
    elif removed is None:
        console.print(f"Not logged in{' to ' + server if server else ''}; nothing to do.")
    else:
        console.print(f"Logged out of {removed} (its token was removed from {path}).")
    return EXIT_OK
