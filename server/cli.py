"""The ``personagen`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from server.config import load_config
from server.errors import PersonagenError
from server.settings import SETTINGS, Settings


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    for setting in SETTINGS:
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
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "config",
        help="validate the interview config and print it",
        description="Validate the settings and interview config, then print the config as JSON.",
    )
    _add_setting_flags(check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    overrides = {s.name: getattr(args, s.name, None) for s in SETTINGS}
    try:
        settings = Settings.from_sources(os.environ, overrides)
        if args.command == "config":
            config = load_config(settings.interview_config)
            json.dump(config.to_json_dict(), sys.stdout, indent=2)
            sys.stdout.write("\n")
            return 0
    except PersonagenError as exc:
        print(f"personagen: {exc.message}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command!r}")
    return 2
