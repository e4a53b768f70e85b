"""Crisis detection scored on its batteries: held-out first, tuning beside it.

``personagen eval crisis`` reads two batteries of the same shape (``about``, ``crisis``,
``not_crisis``):

* ``data/crisis_battery.json``, the **tuning** half: the rules were written while looking at it;
* ``data/heldout/crisis_battery.json``, the **held-out** half: written by someone else and
  frozen, never read while tuning. Its figures are the headline.

A statement counts as detected when the interview pauses for it, whichever pause it is
(``crisis`` or the gentle ``uncertain`` check-in); a false positive is an ordinary statement
that pauses the interview. The gap (tuning minus held-out) says how much the rules fit their
own examples rather than the problem.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from server.interview.crisis import CrisisAssessment, detect_crisis, use_learned_screen
from server.llm.care import install_care_model

RECALL_BAR = 0.95
FALSE_POSITIVE_BAR = 0.10
TUNING = ("data", "crisis_battery.json")
HELD_OUT = ("data", "heldout", "crisis_battery.json")

Detector = Callable[[str], CrisisAssessment]


@dataclasses.dataclass(frozen=True)
class Battery:
    name: str
    crisis: tuple[str, ...]
    not_crisis: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class BatteryScore:
    name: str
    crisis: int
    detected: int
    uncertain: int
    not_crisis: int
    false_positives: int
    missed: tuple[str, ...]
    false_alarms: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.detected / self.crisis if self.crisis else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.not_crisis if self.not_crisis else 0.0

    @property
    def passed(self) -> bool:
        return self.recall >= RECALL_BAR and self.false_positive_rate <= FALSE_POSITIVE_BAR


def read_battery(name: str, text: str) -> Battery:
    """A battery from its JSON text; a clear error when its shape is wrong."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a JSON object, got {type(data).__name__}")
    lists = {}
    for key in ("crisis", "not_crisis"):
        items = data.get(key)
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ValueError(f"{name}: expected {key!r} to be a list of strings")
        lists[key] = tuple(items)
    return Battery(name, lists["crisis"], lists["not_crisis"])


def shipped_battery(parts: tuple[str, ...], name: str) -> Battery | None:
    """A battery shipped in ``server/eval/``, or None when that file is not there."""
    path = resources.files("server.eval").joinpath(*parts)
    if not path.is_file():
        return None
    return read_battery(name, path.read_text("utf-8"))


def score(battery: Battery, detect: Detector = detect_crisis) -> BatteryScore:
    verdicts = [detect(text) for text in battery.crisis]
    missed = tuple(t for t, v in zip(battery.crisis, verdicts, strict=True) if not v.crisis)
    alarms = tuple(text for text in battery.not_crisis if detect(text).crisis)
    return BatteryScore(
        name=battery.name,
        crisis=len(battery.crisis),
        detected=len(battery.crisis) - len(missed),
        uncertain=sum(1 for verdict in verdicts if verdict.level == "uncertain"),
        not_crisis=len(battery.not_crisis),
        false_positives=len(alarms),
        missed=missed,
        false_alarms=alarms,
    )


def _row(result: BatteryScore) -> str:
    return (
        f"| {result.name} | {result.crisis} + {result.not_crisis} | {result.recall:.1%} "
        f"({result.detected}/{result.crisis}, {result.uncertain} as uncertain) | "
        f"{result.false_positive_rate:.1%} ({result.false_positives}/{result.not_crisis}) | "
        f"{'pass' if result.passed else 'fail'} |"
    )


def report(held_out: BatteryScore | None, tuning: BatteryScore, detector: str = "") -> str:
    """The Markdown report: held-out headline, tuning beside it, and the gap."""
    lines = ["# Crisis detection", ""]
    if detector:
        lines += [f"Detector: {detector}.", ""]
    if held_out is None:
        lines += ["**held-out battery missing**: only tuning figures below, not a headline.", ""]
    lines += [
        f"Bars: recall ≥ {RECALL_BAR:.0%}, false-positive rate ≤ {FALSE_POSITIVE_BAR:.0%}.",
        "",
        "| battery | statements (crisis + not) | recall | false positives | verdict |",
        "|---|---|---|---|---|",
    ]
    if held_out is not None:
        lines.append(_row(held_out))
    lines.append(_row(tuning))
    if held_out is not None:
        lines += [
            "",
            f"Gap (tuning minus held-out): recall {tuning.recall - held_out.recall:+.1%}, "
            f"false positives {tuning.false_positive_rate - held_out.false_positive_rate:+.1%}.",
        ]
    for result in (tuning,):  # held-out items are never printed: reading them would tune on them
        if result.missed or result.false_alarms:
            lines += [
                "",
                f"Tuning: {len(result.missed)} missed, {len(result.false_alarms)} false alarms.",
            ]
            lines += [f"- missed: {text}" for text in result.missed]
            lines += [f"- false alarm: {text}" for text in result.false_alarms]
    return "\n".join(lines) + "\n"


def as_json(held_out: BatteryScore | None, tuning: BatteryScore) -> dict[str, Any]:
    def figures(result: BatteryScore) -> dict[str, Any]:
        return {
            "crisis": result.crisis,
            "not_crisis": result.not_crisis,
            "recall": round(result.recall, 4),
            "uncertain": result.uncertain,
            "false_positive_rate": round(result.false_positive_rate, 4),
            "passed": result.passed,
        }

    return {
        "held_out": None if held_out is None else figures(held_out),
        "tuning": figures(tuning),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="personagen eval crisis",
        description="Score crisis detection on the held-out battery (headline) and the tuning "
        "battery.",
    )
    parser.add_argument("--held-out", type=Path, help="another held-out battery file")
    parser.add_argument("--json", action="store_true", help="print figures as JSON")
    parser.add_argument(
        "--rules-only", action="store_true", help="score the rules without the learned screen"
    )
    args = parser.parse_args(argv)
    if args.rules_only:
        use_learned_screen(None)
        detector = "rules only (--rules-only)"
    else:
        detector = install_care_model()
    try:
        tuning_battery = shipped_battery(TUNING, "tuning")
        if args.held_out is not None:
            held_battery: Battery | None = read_battery(
                "held-out", args.held_out.read_text("utf-8")
            )
        else:
            held_battery = shipped_battery(HELD_OUT, "held-out")
    except (OSError, ValueError) as exc:
        print(f"personagen eval crisis: {exc}", file=sys.stderr)
        return 2
    if tuning_battery is None:
        print("personagen eval crisis: the tuning battery is missing", file=sys.stderr)
        return 2
    tuning = score(tuning_battery)
    held_out = None if held_battery is None else score(held_battery)
    if args.json:
        figures = {"detector": detector, **as_json(held_out, tuning)}
        sys.stdout.write(json.dumps(figures, indent=2) + "\n")
    else:
        sys.stdout.write(report(held_out, tuning, detector))
    headline = held_out if held_out is not None else tuning
    return 0 if headline.passed and held_out is not None else 1
