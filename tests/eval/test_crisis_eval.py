"""``personagen eval crisis``: held-out figures as the headline, tuning beside them, the gap."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server.eval import crisis
from server.eval.cli import main as eval_main

# A tiny stand-in for a held-out file, written for this test (the real one is never read here).
HELD_OUT = {
    "about": "test battery",
    "crisis": ["I want to kill myself.", "My favourite colour is blue."],
    "not_crisis": ["I love my garden.", "I went swimming on Sunday."],
}


def test_without_the_held_out_file_the_report_says_so() -> None:
    tuning = crisis.score(crisis.Battery("tuning", ("I want to kill myself.",), ("I love tea.",)))
    text = crisis.report(None, tuning)
    assert "held-out battery missing" in text
    assert "| tuning | 1 + 1 | 100.0%" in text


def test_the_held_out_row_comes_first_with_the_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "heldout.json"
    path.write_text(json.dumps(HELD_OUT), encoding="utf-8")
    code = eval_main(["crisis", "--held-out", str(path)])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("| held-out", "| tuning"))]
    assert rows[0].startswith("| held-out | 2 + 2 | 50.0% (1/2")
    assert rows[1].startswith("| tuning |")
    tuning_recall = float(re.search(r"\| tuning \| [^|]+\| ([\d.]+)%", rows[1]).group(1))  # type: ignore[union-attr]
    assert f"Gap (tuning minus held-out): recall {tuning_recall - 50:+.1f}%" in out
    assert "blue" not in out  # held-out statements are never printed
    assert code == 1  # 50 % recall fails the bar


def test_json_output_carries_both_halves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "heldout.json"
    path.write_text(json.dumps({**HELD_OUT, "crisis": HELD_OUT["crisis"][:1]}), encoding="utf-8")
    assert eval_main(["crisis", "--held-out", str(path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["held_out"]["recall"] == 1.0 and figures["held_out"]["passed"]
    assert figures["tuning"]["crisis"] >= 150


def test_a_malformed_battery_is_refused_with_what_was_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"crisis": "not a list", "not_crisis": []}), encoding="utf-8")
    assert eval_main(["crisis", "--held-out", str(path)]) == 2
    assert "expected 'crisis' to be a list of strings" in capsys.readouterr().err


def test_the_shipped_tuning_battery_has_both_kinds() -> None:
    battery = crisis.shipped_battery(crisis.TUNING, "tuning")
    assert battery is not None
    assert len(battery.crisis) >= 150 and len(battery.not_crisis) >= 150
    assert not set(battery.crisis) & set(battery.not_crisis)
