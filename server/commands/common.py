"""Exit codes, the command-line error, and the console every command writes through."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from server.errors import PersonagenError

EXIT_OK = 0
EXIT_ERROR = 1  # the server, the disk or the model failed; the connection was lost
EXIT_USAGE = 2  # bad arguments, an invalid file or answer, a bad setting
EXIT_NOT_FOUND = 3  # no such session, backup, user or persona
EXIT_CONFLICT = 4  # the session's state does not allow it, or core.json changed meanwhile
EXIT_AUTH = 5  # no token, a refused token, or an unsafe login file
EXIT_INTERRUPTED = 130  # Ctrl+C (an interview is paused first and stays resumable)

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_ERROR, "runtime error: server unreachable, connection lost, disk or model failure"),
    (EXIT_USAGE, "usage or validation error: bad arguments, an invalid batch file or answer"),
    (EXIT_NOT_FOUND, "not found: no such session, backup, user or persona"),
    (EXIT_CONFLICT, "conflict: the session's state does not allow it, or core.json changed"),
    (EXIT_AUTH, "not logged in: no token, a refused token, or an unsafe login file"),
    (EXIT_INTERRUPTED, "interrupted by Ctrl+C (an interview is paused and can be resumed)"),
)

# Stable error codes (server frames, PersonagenError.code) to exit codes.
_EXIT_BY_CODE: Mapping[str, int] = {
    "invalid_config": EXIT_USAGE,
    "invalid_input": EXIT_USAGE,
    "invalid_name": EXIT_USAGE,
    "answer_rejected": EXIT_USAGE,
    "invalid_message": EXIT_USAGE,
    "usage": EXIT_USAGE,
    "not_found": EXIT_NOT_FOUND,
    "conflict": EXIT_CONFLICT,
    "invalid_state": EXIT_CONFLICT,
    "unauthenticated": EXIT_AUTH,
    "auth": EXIT_AUTH,
}


_CODE_BY_EXIT: Mapping[int, str] = {
    EXIT_USAGE: "usage",
    EXIT_NOT_FOUND: "not_found",
    EXIT_CONFLICT: "conflict",
    EXIT_AUTH: "auth",
}


def exit_code_for(code: str) -> int:
    return _EXIT_BY_CODE.get(code, EXIT_ERROR)


class CliError(PersonagenError):
    """An error a command reports and exits with; ``hint`` says what to do next."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR, *, hint: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.hint = hint
        self.code = _CODE_BY_EXIT.get(exit_code, "error")  # type: ignore[misc]


def usage_error(message: str, hint: str = "") -> CliError:
    return CliError(message, EXIT_USAGE, hint=hint)


def not_found(message: str, hint: str = "") -> CliError:
    return CliError(message, EXIT_NOT_FOUND, hint=hint)


def conflict(message: str, hint: str = "") -> CliError:
    return CliError(message, EXIT_CONFLICT, hint=hint)


def auth_error(message: str, hint: str = "") -> CliError:
    return CliError(message, EXIT_AUTH, hint=hint)


def _wants_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    if "NO_COLOR" in environ or environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _unicode_ok(stream: TextIO) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf16", "utf32")


class Console:
    """Where a command's output goes.

    Results go to ``out`` (stdout); progress, prompts of non-interactive runs, warnings and
    errors go to ``err`` (stderr), so ``--json`` output on stdout stays one clean document.
    """

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        *,
        json_mode: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.json_mode = json_mode
        env = os.environ if environ is None else environ
        self.color = _wants_color(self.out, env)
        self.err_color = _wants_color(self.err, env)
        self.unicode = _unicode_ok(self.out)

    # styles (no-ops without a colour terminal)

    def _style(self, code: str, text: str, *, err: bool = False) -> str:
        enabled = self.err_color if err else self.color
        return f"\x1b[{code}m{text}\x1b[0m" if enabled and text else text

    def bold(self, text: str, *, err: bool = False) -> str:
        return self._style("1", text, err=err)

    def dim(self, text: str, *, err: bool = False) -> str:
        return self._style("2", text, err=err)

    def green(self, text: str, *, err: bool = False) -> str:
        return self._style("32", text, err=err)

    def yellow(self, text: str, *, err: bool = False) -> str:
        return self._style("33", text, err=err)

    def red(self, text: str, *, err: bool = False) -> str:
        return self._style("31", text, err=err)

    # writing

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def note(self, text: str = "") -> None:
        """Progress and remarks: stderr."""
        self.err.write(text + "\n")
        self.err.flush()

    def warn(self, text: str) -> None:
        self.note(self.yellow("warning: ", err=True) + text)

    def error(self, text: str, hint: str = "") -> None:
        self.note(self.red("personagen: ", err=True) + text)
        if hint:
            self.note("  " + hint)

    def emit_json(self, data: Any) -> None:
        json.dump(data, self.out, indent=2, ensure_ascii=False, default=str)
        self.out.write("\n")
        self.out.flush()


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"
