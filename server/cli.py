"""The ``personagen`` command line: argument parsing and dispatch.

The server commands (``serve``, ``users``, ``config``) live here; the client commands
(``interview``, ``batch``, ``sessions``, ``persona``, ``login``) are in :mod:`server.commands`,
imported only when used so that ``--help`` stays fast. ``eval`` hands its arguments to
``server.eval.cli``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from server.auth import Authenticator
from server.commands.common import (
    EXIT_CODES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Console,
    exit_code_for,
)
from server.commands.login import default_user_name
from server.config import load_config
from server.errors import PersonagenError
from server.settings import SETTINGS, Settings
from server.store import ProfileStore, validate_user

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "default_user_name", "main"]

STRATEGY_CHOICES = ("merge", "replace", "append")
LOCAL_SETTINGS = ("profiles_dir", "interview_config")
INTERVIEWER_SETTINGS = (
    "backend",
    "ollama_host",
    "ollama_model",
    "ollama_connect_timeout",
    "ollama_read_timeout",
    "ollama_question_deadline",
    "ollama_num_ctx",
    "ollama_temperature",
    "builtin_pace",
)


def _exit_codes_text() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES)


EPILOG = f"""\
interviews:
  personagen interview                       answer one question at a time in the terminal
  personagen interview --resume              go on with your latest unfinished interview
  personagen batch answers.md                answer from a file (Markdown, JSON or YAML)
  personagen batch answers.md --dry-run      only show what would change in core.json

your data:
  personagen sessions list                   interviews with their state, progress and dates
  personagen sessions show latest            the transcript of the latest interview
  personagen persona show                    the current core.json
  personagen persona history                 backups of core.json (`persona restore NAME`)

running a server:
  personagen serve                           start on http://127.0.0.1:8000
  personagen serve --backend builtin         interview with the built-in question bank
  personagen users add alice                 create a user; prints a token and a login link
  personagen users token alice               new token (logs alice out everywhere) and link
  personagen users login alice               a fresh one-time login link
  personagen config                          validate and print the interview config
  personagen login --server http://host:8000 save a token: the client commands then use it

where the client commands run: against a server with --server URL (or PERSONAGEN_SERVER, or
the server of `personagen login`), with the token of PERSONAGEN_TOKEN or the login file;
otherwise directly on the local profiles folder (--profiles-dir, PERSONAGEN_PROFILES_DIR,
default ./profiles) for --user NAME (PERSONAGEN_USER, or the folder's only user).

{_exit_codes_text()}
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


def _where_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("where it runs")
    group.add_argument(
        "--server",
        metavar="URL",
        help="a running server, e.g. http://127.0.0.1:8000 (env PERSONAGEN_SERVER; default: "
        "the server of `personagen login`, else the local folder)",
    )
    group.add_argument(
        "--user",
        metavar="NAME",
        help="local folder only: whose interviews (env PERSONAGEN_USER; default: the "
        "folder's only user)",
    )
    for setting in SETTINGS:
        if setting.name in LOCAL_SETTINGS:
            group.add_argument(
                setting.flag,
                dest=setting.name,
                default=None,
                metavar=setting.name.upper(),
                help=f"local folder only: {setting.help} (env {setting.env})",
            )
    parent.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    return parent


def _interviewer_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("interviewer (local folder only; a server uses its own)")
    for setting in SETTINGS:
        if setting.name in INTERVIEWER_SETTINGS:
            group.add_argument(
                setting.flag,
                dest=setting.name,
                default=None,
                metavar=setting.name.upper(),
                help=f"{setting.help} (env {setting.env}; default {setting.default!r})",
            )
    return parent


def _sub(
    commands: Any,
    name: str,
    text: str,
    examples: str,
    parents: Sequence[argparse.ArgumentParser] = (),
    description: str | None = None,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=text,
        description=description or text,
        epilog="examples:\n" + examples.rstrip() + "\n\n" + _exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=list(parents),
    )
    return parser


INTERVIEW_HELP = """\
An interview in the terminal. Questions stream in as the interviewer writes them; after each
answer you see how far each topic is covered. An answer can span several lines: send it with
an empty line (or Ctrl+D). Commands, each on a line of its own: /skip, /pause, /finish,
/progress, /clear, /help. Ctrl+C pauses the interview (it stays resumable); a dropped
connection is resumed automatically. At the end you see the changes to core.json and choose
a strategy; nothing is written until you answer yes.

On start you are told about unfinished interviews and offered to resume one."""

BATCH_HELP = """\
An interview answered from a file of pre-written answers: JSON, YAML or Markdown (see the
README, "Command line"). For each question the interviewer asks, the answer is taken from the
entry with that question id (q3), else the next entry of that category (goals), else the
next entry without either. Questions nothing matches are skipped; when the file is used up the
interview is finished. Problems in the file are reported with their line numbers before
anything starts. Nothing is applied without --apply STRATEGY or your yes."""


def _training_parser(commands: Any, where: argparse.ArgumentParser) -> None:
    training = commands.add_parser(
        "training",
        help="review, export or re-filter the training data of your interviews",
        description="The LoRA training export, memory/training/persona/<session>.jsonl: see "
        "what the export policy would write, leave turns out, write it; re-filter old exports.",
        epilog="examples:\n  personagen training review latest\n  personagen training export "
        f"latest --exclude q3,q5\n  personagen training refilter\n\n{_exit_codes_text()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = training.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (
        ("review", "show what the export would write, turn by turn (writes nothing)"),
        ("export", "show the export, leave turns out, and write it after your yes"),
    ):
        action = _sub(actions, name, text, f"  personagen training {name} latest", (where,))
        action.add_argument("session", metavar="SESSION")
        action.add_argument(
            "--exclude", metavar="IDS", help="question ids to leave out, e.g. q3,q5"
        )
        action.add_argument("--yes", action="store_true", help="write without asking")
    _sub(
        actions,
        "refilter",
        "apply the current export policy to every training export already written",
        "  personagen training refilter\n  personagen training refilter --json",
        (where,),
    )


def _wide_formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=24, width=100)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="personagen",
        description="Personagen: a reflective interview that turns a conversation into a persona.",
        epilog=EPILOG,
        formatter_class=_wide_formatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    where = _where_parent()
    interviewer = _interviewer_parent()

    # -- client commands ------------------------------------------------------------------

    interview = _sub(
        commands,
        "interview",
        "an interview in the terminal (new, or resume one)",
        """\
  personagen interview                          new interview, or resume an unfinished one
  personagen interview --resume                 resume the latest unfinished interview
  personagen interview --resume 20260101T120000Z-ab12cd34
  personagen interview --new --server http://127.0.0.1:8000
  personagen interview --profiles-dir profiles --user alice --backend builtin""",
        (where, interviewer),
        INTERVIEW_HELP,
    )
    interview.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="SESSION",
        help="resume this interview (an id, a unique part of one, or nothing for the latest)",
    )
    interview.add_argument(
        "--new", action="store_true", help="start a new interview without asking"
    )
    interview.add_argument(
        "--verbose", action="store_true", help="show old and new values in the diff"
    )

    batch = _sub(
        commands,
        "batch",
        "an interview answered from a file (JSON, YAML or Markdown)",
        """\
  personagen batch examples/answers.md                   answer, show the diff, ask to apply
  personagen batch examples/answers.md --dry-run         only show the diff; core.json untouched
  personagen batch answers.yaml --apply merge            apply without asking
  personagen batch answers.json --json --apply append    a report for scripts
  personagen batch notes.txt --format markdown --skip-invalid""",
        (where, interviewer),
        BATCH_HELP,
    )
    batch.add_argument("file", type=Path, metavar="FILE", help="the answers")
    batch.add_argument(
        "--format",
        choices=("json", "yaml", "markdown"),
        help="the file's format (default: from its extension)",
    )
    batch.add_argument(
        "--apply",
        choices=STRATEGY_CHOICES,
        metavar="STRATEGY",
        help="apply with this strategy (merge, replace or append) without asking",
    )
    batch.add_argument(
        "--dry-run",
        action="store_true",
        help="show the resulting diff only; core.json is not touched and the interview is "
        "discarded afterwards",
    )
    batch.add_argument(
        "--keep",
        action="store_true",
        help="with --dry-run: keep the interview, to apply later with `persona apply`",
    )
    batch.add_argument(
        "--skip-invalid",
        action="store_true",
        help="leave out entries that break the interview's limits (warn) instead of stopping",
    )
    batch.add_argument("--verbose", action="store_true", help="show old and new values in the diff")

    sessions = commands.add_parser(
        "sessions",
        help="list, show, resume, discard, export or purge interviews",
        description="Your interviews. SESSION is an id, a unique part of one, or `latest`.",
        epilog=f"examples:\n  personagen sessions list\n  personagen sessions show latest\n\n"
        f"{_exit_codes_text()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sessions_commands = sessions.add_subparsers(dest="action", metavar="ACTION", required=True)
    _sub(
        sessions_commands,
        "list",
        "interviews with state, progress and dates (newest first)",
        "  personagen sessions list\n  personagen sessions list --json",
        (where,),
    )
    show = _sub(
        sessions_commands,
        "show",
        "the transcript of one interview",
        "  personagen sessions show latest\n  personagen sessions show ab12cd34 --json",
        (where,),
    )
    show.add_argument("session", metavar="SESSION")
    resume = _sub(
        sessions_commands,
        "resume",
        "resume an interview in the terminal (same as `interview --resume`)",
        "  personagen sessions resume\n  personagen sessions resume ab12cd34",
        (where, interviewer),
    )
    resume.add_argument("session", metavar="SESSION", nargs="?", default="latest")
    resume.add_argument(
        "--verbose", action="store_true", help="show old and new values in the diff"
    )
    discard = _sub(
        sessions_commands,
        "discard",
        "give up an unfinished interview (it can no longer be resumed or applied)",
        "  personagen sessions discard ab12cd34\n  personagen sessions discard latest --yes",
        (where,),
    )
    discard.add_argument("session", metavar="SESSION")
    discard.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    export = _sub(
        sessions_commands,
        "export",
        "write an interview's transcript (JSON, Markdown) or its training file",
        """\
  personagen sessions export latest --format markdown -o interview.md
  personagen sessions export ab12cd34 --format training > train.jsonl""",
        (where,),
    )
    export.add_argument("session", metavar="SESSION")
    export.add_argument(
        "--format",
        choices=("json", "markdown", "training"),
        default="json",
        help="json (the full transcript), markdown, or training (chat JSONL; default json)",
    )
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here, not stdout")
    purge = _sub(
        sessions_commands,
        "purge",
        "delete an interview and everything derived from it; lists what was removed",
        "  personagen sessions purge ab12cd34\n  personagen sessions purge latest --yes --json",
        (where,),
    )
    purge.add_argument("session", metavar="SESSION")
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    persona = commands.add_parser(
        "persona",
        help="show, diff, apply, list backups of and restore core.json",
        description="Your persona, profiles/<user>/persona/core.json, and its backups.",
        epilog=f"examples:\n  personagen persona show\n  personagen persona history\n\n"
        f"{_exit_codes_text()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    persona_commands = persona.add_subparsers(dest="action", metavar="ACTION", required=True)
    _sub(
        persona_commands,
        "show",
        "print the current core.json",
        "  personagen persona show\n  personagen persona show --json",
        (where,),
    )
    pdiff = _sub(
        persona_commands,
        "diff",
        "what a complete interview would change in core.json",
        "  personagen persona diff latest\n  personagen persona diff ab12cd34 --strategy append",
        (where, interviewer),
    )
    pdiff.add_argument("session", metavar="SESSION")
    pdiff.add_argument("--strategy", choices=STRATEGY_CHOICES, default="merge")
    pdiff.add_argument("--verbose", action="store_true", help="show old and new values")
    papply = _sub(
        persona_commands,
        "apply",
        "apply a complete interview to core.json (a backup is made first)",
        """\
  personagen persona apply latest                       show the diff, ask strategy and yes
  personagen persona apply ab12cd34 --strategy merge --yes""",
        (where, interviewer),
    )
    papply.add_argument("session", metavar="SESSION")
    papply.add_argument("--strategy", choices=STRATEGY_CHOICES, help="merge, replace or append")
    papply.add_argument(
        "--yes", action="store_true", help="apply without asking (strategy merge if none given)"
    )
    papply.add_argument("--verbose", action="store_true", help="show old and new values")
    _sub(
        persona_commands,
        "history",
        "the backups of core.json, newest first",
        "  personagen persona history\n  personagen persona history --json",
        (where,),
    )
    restore = _sub(
        persona_commands,
        "restore",
        "put a backup back as core.json (the current one is backed up first)",
        "  personagen persona restore latest\n"
        "  personagen persona restore core-20260101T120000123456Z.json --yes",
        (where,),
    )
    restore.add_argument("backup", metavar="BACKUP", help="a backup name, or latest")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    _training_parser(commands, where)

    login = _sub(
        commands,
        "login",
        "save a server's token for the client commands (read from stdin or a prompt)",
        """\
  personagen login --server http://127.0.0.1:8000             prompts for the token
  echo "$TOKEN" | personagen login --server https://me.example""",
        description="Check a token against a server and save it, with the server as the "
        "default, in $XDG_CONFIG_HOME/personagen/login.json (~/.config/personagen/login.json), "
        "readable only by you. The token is read from a hidden prompt, or from stdin.",
    )
    login.add_argument("--server", metavar="URL", help="default: http://127.0.0.1:8000")
    login.add_argument("--json", action="store_true", help="machine-readable output")
    logout = _sub(
        commands,
        "logout",
        "forget a server's token",
        "  personagen logout\n  personagen logout --server http://127.0.0.1:8000",
    )
    logout.add_argument("--server", metavar="URL", help="default: the default server")
    logout.add_argument("--json", action="store_true", help="machine-readable output")

    commands.add_parser(
        "eval",
        help="offline evaluation of interview quality (`personagen eval --help`)",
        add_help=False,
    )

    # -- server commands ------------------------------------------------------------------

    serve = commands.add_parser(
        "serve",
        help="run the interview server (WebSocket /ws, the web page, the HTTP API)",
        description="Run the server. On a fresh profiles folder it creates a local user and "
        "prints a one-time login link.",
    )
    _add_setting_flags(serve)
    serve.add_argument(
        "--user",
        metavar="NAME",
        help="name of the user created on a fresh profiles folder (env PERSONAGEN_USER; "
        "default: me)",
    )

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
    rename_text = (
        "rename a user (moves their folder; prints a new token and login link, as the old "
        "ones name the old user); run it while the server is stopped"
    )
    rename = users_commands.add_parser("rename", help=rename_text, description=rename_text)
    rename.add_argument("name", help="the user's current name")
    rename.add_argument("new_name", help="the new name: lowercase letters, digits, - and _")
    _add_setting_flags(rename, ("profiles_dir", "host", "port"))
    listing = users_commands.add_parser("list", help="list users")
    _add_setting_flags(listing, ("profiles_dir",))
    check = users_commands.add_parser(
        "check",
        help="report every user whose credential file is unusable (exit 1 if any)",
        description="Read every user's auth.json and report those that cannot be used; the "
        "server refuses only these users and serves the others.",
    )
    _add_setting_flags(check, ("profiles_dir",))
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    return Settings.from_sources(os.environ, overrides)


def login_url(settings: Settings, ticket: str, port: int | None = None) -> str:
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port if port is None else port}/login?ticket={ticket}"


def _running_link(settings: Settings, ticket: str) -> str:
    """A login link with the running server's port, and where that port came from."""
    from server.serving import read_runtime, runtime_file

    running = read_runtime(settings.profiles_dir)
    if running is None:
        return (
            f"{login_url(settings, ticket)}\n  (no running server recorded in "
            f"{runtime_file(settings.profiles_dir)}; port {settings.port} is from the settings)"
        )
    host = running.get("host")
    where = dataclasses.replace(settings, host=host) if isinstance(host, str) else settings
    return (
        f"{login_url(where, ticket, running['port'])}\n  (port {running['port']} of the "
        f"server running as process {running.get('pid')}, from "
        f"{runtime_file(settings.profiles_dir)})"
    )


def _warn_unusable_users(problems: Sequence[tuple[str, str]]) -> None:
    for user, problem in problems:
        print(
            f"warning: user {user!r} cannot log in: {problem}. The other users are served; "
            "`personagen users check` lists every problem.",
            file=sys.stderr,
        )


FIRST_USER = "me"


async def _ensure_first_user(
    settings: Settings, name: str | None = None
) -> tuple[str, str, str] | None:
    """On a profiles folder with no users, create one; returns (user, token, ticket).

    Named ``name`` (``--user``) or ``me``, never after the OS login: a server often runs as
    ``root`` or a service account, and the person's own name is asked by the page instead.
    A user whose credential file is unusable is reported and refused, not fatal, and still
    counts as a user (the folder is not fresh).
    """
    store = ProfileStore(settings.profiles_dir)
    auth = Authenticator(store, await store.server_secret())
    usable, problems = await auth.survey()
    _warn_unusable_users(problems)
    if usable or problems:
        return None
    user = validate_user(name) if name else FIRST_USER
    token = await auth.create_user(user)
    return user, token, await auth.issue_ticket(user)


def _serve(settings: Settings, first_user: str | None = None) -> int:
    from server.app import create_app

    load_config(settings.interview_config)  # fail fast, before binding the port
    first = anyio.run(_ensure_first_user, settings, first_user)
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
    from server.serving import run_server

    run_server(create_app(settings), settings)
    return EXIT_OK


async def _users(args: argparse.Namespace, settings: Settings) -> int:
    store = ProfileStore(settings.profiles_dir)
    auth = Authenticator(store, await store.server_secret())
    if args.users_command == "list":
        for user in await auth.users():
            print(user)
        return EXIT_OK
    if args.users_command == "check":
        usable, problems = await auth.survey()
        for user in usable:
            print(f"{user}: ok")
        for user, problem in problems:
            print(f"{user}: {problem}")
        return EXIT_OK if not problems else EXIT_ERROR
    name = validate_user(args.name)
    if args.users_command == "rename":
        return await _rename_user(auth, store, settings, name, validate_user(args.new_name))
    if args.users_command == "add":
        token = await auth.create_user(name)
        print(f"Created user {name!r}.")
        print(f"  API token (shown once): {token}")
    elif args.users_command == "token":
        token = await auth.rotate_token(name)
        print(f"New token for {name!r} (the old one and its logins no longer work): {token}")
    print(f"  One-time login link: {_running_link(settings, await auth.issue_ticket(name))}")
    return EXIT_OK


async def _rename_user(
    auth: Authenticator, store: ProfileStore, settings: Settings, old: str, new: str
) -> int:
    """Move ``old``'s folder to ``new``; a running server would keep writing the old one."""
    if await anyio.to_thread.run_sync(_server_answers, settings):
        raise CliError(
            f"a personagen server answers at {settings.host}:{settings.port}; it keeps live "
            "interviews in memory under the old name",
            EXIT_USAGE,
            hint="stop it, rename, then start it again",
        )
    if old not in await auth.users():
        raise CliError(f"no user {old!r} in {settings.profiles_dir}", EXIT_USAGE)
    await store.rename_user(old, new)
    token = await auth.rotate_token(new)
    print(f"Renamed user {old!r} to {new!r}; their interviews and persona moved with them.")
    print(f"  New API token (the old token and logins no longer work): {token}")
    print(f"  One-time login link: {login_url(settings, await auth.issue_ticket(new))}")
    return EXIT_OK


def _server_answers(settings: Settings) -> bool:
    """Whether a personagen server answers ``/healthz`` at the configured address."""
    import urllib.error
    import urllib.request

    url = login_url(settings, "").split("/login", 1)[0] + "/healthz"
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return "backend" in json.loads(response.read() or b"{}")
    except (OSError, ValueError, urllib.error.URLError):
        return False


# -- client commands --------------------------------------------------------------------------

# command -> (needs protocol events, may interview or extract, may create the local user)
_NEEDS: dict[tuple[str, str | None], tuple[bool, bool, bool]] = {
    ("interview", None): (True, True, True),
    ("batch", None): (True, True, True),
    ("sessions", "list"): (False, False, False),
    ("sessions", "show"): (False, False, False),
    ("sessions", "resume"): (True, True, False),
    ("sessions", "discard"): (True, False, False),
    ("sessions", "export"): (False, False, False),
    ("sessions", "purge"): (False, False, False),
    ("persona", "show"): (False, False, False),
    ("persona", "diff"): (True, True, False),
    ("persona", "apply"): (True, True, False),
    ("persona", "history"): (False, False, False),
    ("persona", "restore"): (False, False, False),
    ("training", "review"): (True, False, False),
    ("training", "export"): (True, False, False),
    ("training", "refilter"): (False, False, False),
}


def _client(args: argparse.Namespace, console: Console) -> int:
    from server.commands.login import resolve_target

    if args.command == "interview" and args.json:
        raise CliError(
            "the interview is interactive and has no --json output; for scripts use "
            "`personagen batch FILE --json`",
            EXIT_USAGE,
        )
    entries = None
    if args.command == "batch":
        from server.commands.batch import read_entries

        entries = read_entries(args.file, args.format)  # file problems stop before connecting
    settings = _settings(args)
    target = resolve_target(
        settings,
        os.environ,
        server_flag=args.server,
        profiles_flag=args.profiles_dir is not None,
        user=args.user,
    )
    key = (args.command, getattr(args, "action", None))
    events, interviewer, create_user = _NEEDS[key]

    async def run() -> int:
        from server.commands.backends import open_backend
        from server.commands.terminal import LineReader

        prompts = console.out if args.command in ("interview",) or key[1] == "resume" else None
        reader = LineReader(prompts=prompts or console.err)
        async with open_backend(
            target, events=events, interviewer=interviewer, create_user=create_user
        ) as backend:
            return await _dispatch(args, key, backend, console, reader, entries)

    if key in (("interview", None), ("sessions", "resume")):
        from server.commands.terminal import terminal_restored

        with terminal_restored():
            return anyio.run(run)
    return anyio.run(run)


async def _dispatch(
    args: argparse.Namespace,
    key: tuple[str, str | None],
    backend: Any,
    console: Console,
    reader: Any,
    entries: Any,
) -> int:
    from server.commands import batch, persona, sessions
    from server.commands.interview import run_interview

    command, action = key
    if command == "interview":
        return await run_interview(
            backend, console, reader, resume=args.resume, new=args.new, verbose=args.verbose
        )
    if command == "batch":
        usable = batch.check_entries(entries, backend.config, args.file, lenient=args.skip_invalid)
        if len(usable) < len(entries):
            for entry in entries:
                if entry not in usable:
                    console.warn(f"{args.file}:{entry.line}: left out (--skip-invalid)")
        if not usable:
            raise CliError(f"{args.file}: no usable answers left", EXIT_USAGE)
        return await batch.run_batch(
            backend,
            console,
            reader,
            usable,
            args.file,
            apply=args.apply,
            dry_run=args.dry_run,
            keep=args.keep,
            verbose=args.verbose,
        )
    if command == "sessions":
        if action == "list":
            return await sessions.list_sessions(backend, console)
        if action == "show":
            return await sessions.show_session(backend, console, args.session)
        if action == "resume":
            return await run_interview(
                backend, console, reader, resume=args.session, new=False, verbose=args.verbose
            )
        if action == "discard":
            return await sessions.discard_session(backend, console, reader, args.session, args.yes)
        if action == "export":
            return await sessions.export_session(
                backend, console, args.session, args.format, args.output
            )
        return await sessions.purge_session(backend, console, reader, args.session, args.yes)
    if command == "training":
        from server.commands import training

        if action == "refilter":
            return await training.refilter_command(backend, console)
        return await training.training_command(
            backend, console, reader, action or "", args.session, args.exclude, args.yes
        )
    if action == "show":
        return await persona.show_persona(backend, console)
    if action == "diff":
        return await persona.diff_persona(
            backend, console, args.session, args.strategy, args.verbose
        )
    if action == "apply":
        strategy = args.strategy or ("merge" if args.yes else None)
        return await persona.apply_persona(
            backend, console, reader, args.session, strategy, args.yes, args.verbose
        )
    if action == "history":
        return await persona.persona_history(backend, console)
    return await persona.restore_persona(backend, console, reader, args.backup, args.yes)


def _eval(argv: Sequence[str]) -> int:
    try:
        module = importlib.import_module("server.eval.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in ("server.eval", "server.eval.cli"):
            raise
        print("personagen: `eval` is not available in this installation", file=sys.stderr)
        return EXIT_ERROR
    run: Callable[[list[str]], int] = module.main
    return int(run(list(argv)))


def _report(error: BaseException, console: Console) -> int:
    """Print an error the way people and scripts expect; return its exit code."""
    from server.client import ClientError, ConnectionLost

    if isinstance(error, CliError):
        code, exit_code, hint = error.code, error.exit_code, error.hint
    elif isinstance(error, ClientError):
        code, exit_code, hint = error.code, exit_code_for(error.code), ""
    elif isinstance(error, ConnectionLost):
        code, exit_code = error.code, EXIT_ERROR
        hint = (
            "is the server running? An interview already started stays saved there; "
            "`personagen interview --resume` continues it"
        )
    elif isinstance(error, PersonagenError):
        code, exit_code, hint = error.code, exit_code_for(error.code), ""
    else:
        raise error
    message = error.message
    console.error(message, hint)
    if console.json_mode:
        json.dump(
            {"error": {"code": code, "message": message, "exit_code": exit_code}},
            console.out,
            ensure_ascii=False,
        )
        console.out.write("\n")
        console.out.flush()
    return exit_code


def _innermost_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The (sub)parser of the command line's deepest subcommand, for its usage line."""
    current = parser
    while True:
        chooser = next(
            (a for a in current._actions if isinstance(a, argparse._SubParsersAction)), None
        )
        chosen = getattr(args, chooser.dest, None) if chooser is not None else None
        if chooser is None or chosen not in chooser.choices:
            return current
        current = chooser.choices[chosen]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["eval"]:
        return _eval(arguments[1:])
    parser = build_parser()
    args, extra = parser.parse_known_args(arguments)
    if extra:
        # The usage of the command that was typed, not the top-level one.
        _innermost_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    console = Console(json_mode=bool(getattr(args, "json", False)))
    try:
        if args.command == "login":
            from server.commands.account import login

            server = args.server or os.environ.get("PERSONAGEN_SERVER") or "http://127.0.0.1:8000"
            return login(server, os.environ, console)
        if args.command == "logout":
            from server.commands.account import logout

            return logout(args.server, os.environ, console)
        if args.command in ("interview", "batch", "sessions", "persona", "training"):
            return _client(args, console)
        settings = _settings(args)
        if args.command == "config":
            config = load_config(settings.interview_config)
            json.dump(config.to_json_dict(), sys.stdout, indent=2)
            sys.stdout.write("\n")
            return EXIT_OK
        if args.command == "serve":
            return _serve(settings, args.user or os.environ.get("PERSONAGEN_USER"))
        if args.command == "users":
            return anyio.run(_users, args, settings)
    except KeyboardInterrupt:
        console.note("\ninterrupted")
        return EXIT_INTERRUPTED
    except BaseException as exc:
        from server.commands.terminal import unwrap

        error = unwrap(exc)
        if isinstance(error, KeyboardInterrupt):
            console.note("\ninterrupted")
            return EXIT_INTERRUPTED
        if isinstance(error, TimeoutError):
            console.error("timed out waiting for the server")
            return EXIT_ERROR
        if error is exc and not isinstance(exc, PersonagenError):
            raise
        return _report(error, console)
    parser.error(f"unknown command {args.command!r}")
    return EXIT_USAGE
