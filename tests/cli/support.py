"""Running ``personagen`` as a real subprocess: one-shot, through pipes, or in a pseudo-terminal.

Every wait has a deadline: one-shot runs use ``subprocess.run(timeout=...)`` and interactive
ones :meth:`Spawned.expect` (which fails with the output seen so far) and :meth:`Spawned.wait`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
TIMEOUT = 60

# At least 40 words each: one such answer covers a topic of the small interview config.
ANSWERS = [
    "Honesty is the value I come back to most often. I would rather lose an argument than win "
    "it by bending the truth, and I expect the same from the people I work with every day, "
    "because trust is slow to build and quick to lose.",
    "This year I want to finish the first draft of my novel. I write every morning before work "
    "and I am rewriting the middle chapters, which is slow, but getting them right matters a "
    "lot to me and keeps me going.",
    "People who know me say I am direct but warm. I get to the point quickly, then I follow up "
    "with a joke or a question so that nobody feels attacked or left out of the conversation "
    "we are having together.",
    "Moving to another country at twelve shaped me most. I had to learn a new language fast "
    "and I learned that being an outsider can be a real strength, because you notice what "
    "others around you take for granted every single day.",
    "These days most of my energy goes into the novel and into training for a half marathon "
    "in the spring. Both need steady daily work, and I am slowly learning to protect my quiet "
    "early mornings for them, before the rest of the day begins.",
]

# Three topics, three questions suffice: keeps interviews short and the suite fast.
SMALL_CONFIG = {
    "maxQuestionsPerSession": 5,
    "requireMinimumAnswers": 3,
    "categories": ["values", "goals", "style"],
    "sessionDefaults": {"targetCategoryCompletionPercentage": 50},
}


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a person with no login and no Personagen settings, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PERSONAGEN_") and key not in ("OLLAMA_HOST", "NO_COLOR")
    }
    env.update(
        XDG_CONFIG_HOME=str(home / "xdg"),
        HOME=str(home),
        PERSONAGEN_BACKEND="builtin",
        PERSONAGEN_BUILTIN_PACE="0",
        PYTHONUNBUFFERED="1",
        COLUMNS="100",
    )
    env.update(extra)
    return env


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def cli(
    *args: str,
    env: dict[str, str],
    input: str | None = None,
    timeout: float = TIMEOUT,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """``python -m server ARGS`` to completion; stdout and stderr kept apart."""
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def cli_json(*args: str, env: dict[str, str], input: str | None = None) -> Any:
    done = cli(*args, "--json", env=env, input=input)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def answer_block(*answers: str) -> str:
    """Answers as typed: each followed by the empty line that sends it."""
    return "".join(f"{answer}\n\n" for answer in answers)


class Spawned:
    """An interactive ``personagen`` process, through a pseudo-terminal or pipes."""

    def __init__(
        self, args: Sequence[str], env: dict[str, str], *, tty: bool, cwd: Path = REPO
    ) -> None:
        self.tty = tty
        self.raw = b""
        self.position = 0
        command = [sys.executable, "-m", "server", *args]
        if tty:
            master, slave = os.openpty()
            self.process = subprocess.Popen(
                command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd
            )
            os.close(slave)
            self.fd = master
        else:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
            )
            assert self.process.stdout is not None
            self.fd = self.process.stdout.fileno()
        self.eof = False

    @property
    def output(self) -> str:
        return strip_ansi(self.raw.decode("utf-8", errors="replace"))

    def _read(self, wait: float) -> None:
        if self.eof:
            time.sleep(min(wait, 0.05))
            return
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the terminal's other side is gone
            chunk = b""
        if not chunk:
            self.eof = True
        self.raw += chunk

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Wait for ``pattern`` (a regex) in the output after the last match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.output, self.position)
            if found:
                self.position = found.end()
                return found
            if time.monotonic() > deadline or (self.eof and self.process.poll() is not None):
                raise AssertionError(
                    f"did not see {pattern!r} within {timeout}s; output:\n{self.output}"
                )
            self._read(0.1)

    def send(self, text: str) -> None:
        data = text.encode("utf-8")
        if self.tty:
            os.write(self.fd, data.replace(b"\n", b"\r"))
        else:
            assert self.process.stdin is not None
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def interrupt(self) -> None:
        """Ctrl+C, as the terminal delivers it: SIGINT to the process."""
        self.process.send_signal(signal.SIGINT)

    def close_input(self) -> None:
        if self.tty:
            os.write(self.fd, b"\x04")
        elif self.process.stdin is not None:
            self.process.stdin.close()

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout)
        deadline = time.monotonic() + 2
        while not self.eof and time.monotonic() < deadline:
            self._read(0.05)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.tty:
            with contextlib.suppress(OSError):
                os.close(self.fd)
        else:
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
