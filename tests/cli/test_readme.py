"""The README's "Command line" section stays true: its examples are run and their output checked.

In the section, a ```console block is a shell session: ``$ personagen …`` runs the command
(``python -m server …``) in a fresh folder holding a copy of ``examples/``; ``$ export A=b``
sets environment variables; lines starting with ``>`` are what the person types (sent on stdin);
every other line is expected output. Expected lines must appear in order (other lines may come
in between); ``…`` stands for any text, and session ids, backup names and times are compared by
shape. ``# exits with N`` after a command gives its exit code (default 0). A block preceded by
``<!-- file: NAME -->`` is written to NAME first.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.commands.batch import read_entries
from server.commands.common import EXIT_CODES
from tests.cli.support import REPO, clean_env

pytestmark = pytest.mark.timeout(120)

README = REPO / "README.md"
SHAPES = (
    (re.compile(r"core-\d{8}T\d{12}Z(?:-\d+)?\.json"), "<backup>"),
    (re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{8}"), "<session>"),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"), "<time>"),
)


def cli_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("<!-- cli:start -->")[1].split("<!-- cli:end -->")[0]


def blocks(text: str) -> list[tuple[str, str, str | None]]:
    """(language, body, file name) of every fenced block, in order."""
    found = []
    pattern = re.compile(r"(?:<!-- file: (\S+) -->\n)?```(\w*)\n(.*?)\n```", re.S)
    for match in pattern.finditer(text):
        found.append((match[2], match[3], match[1]))
    return found


def shape(line: str) -> str:
    for regex, placeholder in SHAPES:
        line = regex.sub(placeholder, line)
    return line.rstrip()


def matches(expected: str, actual: str) -> bool:
    expected, actual = shape(expected), shape(actual)
    if "…" not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, actual) is not None


def check_output(command: str, expected: list[str], output: str) -> None:
    lines = output.splitlines()
    position = 0
    for want in expected:
        if want.strip() in ("", "…"):
            continue
        for index in range(position, len(lines)):
            if matches(want, lines[index]):
                position = index + 1
                break
        else:
            raise AssertionError(
                f"README: `{command}` should print\n  {want}\n(after line {position}); "
                f"it printed:\n{output}"
            )


def run_session(body: str, cwd: Path, env: dict[str, str]) -> int:
    """Run one console block; returns how many commands ran."""
    commands: list[tuple[str, list[str], list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], [], []))
        elif line == ">" or line.startswith("> "):
            commands[-1][1].append(line[2:])
        else:
            commands[-1][2].append(line)
    for command, typed, expected in commands:
        code = 0
        shell = command
        if "# exits with " in command:
            shell, _, code_text = command.partition("# exits with ")
            code = int(code_text)
        words = shlex.split(shell)
        if words[0] == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                env[name] = value
            continue
        assert words[0] == "personagen", f"README runs only personagen commands: {command}"
        done = subprocess.run(
            [sys.executable, "-m", "server", *words[1:]],
            input="".join(f"{line}\n" for line in typed),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
            timeout=60,
            check=False,
        )
        assert done.returncode == code, f"`{command}` exited {done.returncode}:\n{done.stdout}"
        check_output(command, expected, done.stdout)
    return len(commands)


def test_the_command_line_examples_run_as_documented(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    env = clean_env(tmp_path, PYTHONIOENCODING="utf-8")
    env.pop("PERSONAGEN_BACKEND")  # the README exports it
    ran = 0
    for language, body, name in blocks(cli_section()):
        if name is not None:
            (tmp_path / name).write_text(body + "\n", encoding="utf-8")
        if language == "console":
            ran += run_session(body, tmp_path, env)
    assert ran >= 12


def test_the_documented_formats_parse_as_described(tmp_path: Path) -> None:
    files = {name: body for _, body, name in blocks(cli_section()) if name}
    for name, body in files.items():
        (tmp_path / name).write_text(body + "\n", encoding="utf-8")
    entries = read_entries(tmp_path / "answers.json")
    assert [(e.question, e.category) for e in entries] == [
        ("q1", None),
        (None, "goals"),
        (None, None),
    ]
    entries = read_entries(tmp_path / "answers.yaml")
    assert [(e.line, e.question, e.category) for e in entries] == [
        (2, None, "values"),
        (3, None, "values"),
        (4, None, "goals"),
        (7, "q5", None),
    ]
    assert "\n" not in entries[2].text  # YAML's folded block
    example = read_entries(REPO / "examples" / "answers.md")
    assert len(example) == 10
    assert {entry.category for entry in example} == {
        "values",
        "goals",
        "style",
        "biography",
        "current_focus",
    }


def test_the_exit_code_table_is_the_one_the_code_uses() -> None:
    block = cli_section().split("<!-- exit-codes:start -->")[1].split("<!-- exit-codes:end -->")[0]
    rows = [line.strip().strip("|").split("|") for line in block.strip().splitlines()[2:]]
    assert [(int(code), text.strip()) for code, text in rows] == list(EXIT_CODES)


def test_json_examples_in_the_section_are_valid() -> None:
    for language, body, _ in blocks(cli_section()):
        if language == "json":
            json.loads(body)
