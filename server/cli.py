"""The ``personagen`` command line."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Sequence

import anyio

from server.auth import Authenticator
from server.config import load_config
from server.errors import PersonagenError
from server.settings import SETTINGS, Settings
from server.store import ProfileStore, validate_user

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

EPILOG = """\
examples:
  personagen serve                          start on http://127.0.0.1:8000
  personagen serve --backend builtin        interview with the built-in question bank
  personagen users add alice                create a user; prints a token and a login link
  personagen users token alice              new token (logs alice out everywhere) and link
  personagen users login alice              a fresh one-time login link
  personagen config                         validate and print the interview config
"""


def _add_setting_flags(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    for setting in SETTINGS:
        if names is not None and setting.name not in names:
            continue
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            default=None,
            metavar=setting.name.upper(),
            help=f"{setting.help} (env {setting.env}; default {setting.default!r})",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="personagen",
        description="Personagen: a reflective interview that turns a conversation into a persona.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the interview server (WebSocket /ws, the web page, the HTTP API)",
        description="Run the server. On a fresh profiles folder it creates a local user and "
        "prints a one-time login link.",
    )
    _add_setting_flags(serve)

    config = commands.add_parser(
        "config",
        help="validate the interview config and print it",
        description="Validate the settings and interview config, then print the config as JSON.",
    )
    _add_setting_flags(config)

    users = commands.add_parser("users", help="manage users and their tokens")
    users_commands = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    for name, text in (
        ("add", "create a user; prints its token and a one-time login link"),
        ("token", "replace a user's token (logs them out everywhere); prints the new one"),
        ("login", "print a fresh one-time login link for a user"),
    ):
        action = users_commands.add_parser(name, help=text, description=text)
        action.add_argument("name", help="user name: lowercase letters, digits, - and _")
        _add_setting_flags(action, ("profiles_dir", "host", "port"))
    listing = users_commands.add_parser("list", help="list users")
    _add_setting_flags(listing, ("profiles_dir",))
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    return Settings.from_sources(os.environ, overrides)


def login_url(settings: Settings, ticket: str) -> str:
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/login?ticket={ticket}"


def default_user_name() -> str:
    try:
        name = re.sub(r"[^a-z0-9_-]", "", getpass.getuser().lower())
        return validate_user(name)
    except (PersonagenError, OSError, KeyError):
        return "me"


async def _ensure_first_user(settings: Settings) -> tuple[str, str, str] | None:
    """On a profiles folder with no users, create one; returns (user, token, ticket)."""
    store = ProfileStore(settings.profiles_dir)
    auth = Authenticator(store, await store.server_secret())
    if await auth.users():
        return None
    user = default_user_name()
    token = await auth.create_user(user)
    return user, token, await auth.issue_ticket(user)


def _serve(settings: Settings) -> int:
    import uvicorn  # only the server command needs it

    from server.app import create_app

    load_config(settings.interview_config)  # fail fast, before binding the port
    first = anyio.run(_ensure_first_user, settings)
    if first is not None:
        user, token, ticket = first
        print(f"Created user {user!r} in {settings.profiles_dir}/.")
        print(f"  API token (shown once; for Authorization: Bearer): {token}")
        print(f"  Open this one-time link to log in: {login_url(settings, ticket)}")
    else:
        print(
            f"Serving on http://{settings.host}:{settings.port}/ "
            "(`personagen users login NAME` prints a login link)"
        )
    sys.stdout.flush()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ws_max_size=65_536,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=10,
        log_level="info",
    )
    return EXIT_OK


async def _users(args: argparse.Namespace, settings: Settings) -> int:
    store = ProfileStore(settings.profiles_dir)
    auth = Authenticator(store, await store.server_secret())
    if args.users_command == "list":
        for user in await auth.users():
            print(user)
        return EXIT_OK
    name = validate_user(args.name)
    if args.users_command == "add":
        token = await auth.create_user(name)
        print(f"Created user {name!r}.")
        print(f"  API token (shown once): {token}")
    elif args.users_command == "token":
        token = await auth.rotate_token(name)
        print(f"New token for {name!r} (the old one and its logins no longer work): {token}")
    print(f"  One-time login link: {login_url(settings, await auth.issue_ticket(name))}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        settings = _settings(args)
        if args.command == "config":
            config = load_config(settings.interview_config)
            json.dump(config.to_json_dict(), sys.stdout, indent=2)
            sys.stdout.write("\n")
            return EXIT_OK
        if args.command == "serve":
            return _serve(settings)
        if args.command == "users":
            return anyio.run(_users, args, settings)
    except PersonagenError as exc:
        print(f"personagen: {exc.message}", file=sys.stderr)
        return EXIT_USAGE if exc.code in ("invalid_config", "invalid_name") else EXIT_ERROR
    parser.error(f"unknown command {args.command!r}")
    return EXIT_USAGE
