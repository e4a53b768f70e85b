"""The README stays true: its settings table is the settings table."""

from __future__ import annotations

import re
from pathlib import Path

from server.settings import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def _table_rows() -> dict[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    rows = {}
    for line in block.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


def test_every_setting_is_documented_with_its_flag_env_and_default() -> None:
    rows = _table_rows()
    assert list(rows) == [setting.name for setting in SETTINGS]
    for setting in SETTINGS:
        _, flag, env, default, meaning = rows[setting.name]
        assert flag == f"`{setting.flag}`"
        assert f"`{setting.env}`" in env
        for alias in setting.env_aliases:
            assert f"`{alias}`" in env
        assert default == f"`{setting.default}`"
        assert meaning == setting.help


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"^(python -m pytest[^\n]*)$", README.read_text(encoding="utf-8"), re.M)
    assert commands, "the README must give the test command"
    assert any(command in ci for command in commands)
