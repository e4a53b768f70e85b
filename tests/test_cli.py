"""The personagen command line, run as a real subprocess where it matters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from server.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_help_lists_the_commands() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert "personagen" in done.stdout
    assert "config" in done.stdout


def test_config_prints_the_validated_default() -> None:
    done = run("config")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["maxQuestionsPerSession"] == 15
    assert data["sessionDefaults"]["autoSaveInterval"] == 30000


def test_config_rejects_a_bad_file_with_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"requireMinimumAnswers": "seven"}))
    done = run("config", "--interview-config", str(path))
    assert done.returncode == 2
    assert "key 'requireMinimumAnswers'" in done.stderr
    assert "'seven'" in done.stderr


def test_bad_setting_from_environment_is_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONAGEN_PORT", "nope")
    assert main(["config"]) == 2
    assert (
        "setting port: expected a whole number from 0 to 65535, found 'nope'"
        in capsys.readouterr().err
    )


def test_eval_hands_its_arguments_to_server_eval_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        calls.append(argv)
        return 7

    module = types.ModuleType("server.eval.cli")
    module.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "server.eval.cli", module)
    assert main(["eval", "--help", "--profiles", "x"]) == 7
    assert calls == [["--help", "--profiles", "x"]]


def test_eval_says_when_it_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "server.eval.cli", None)  # import fails as if absent
    assert main(["eval"]) == 1
    assert "`eval` is not available" in capsys.readouterr().err
