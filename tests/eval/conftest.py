"""Built-in evaluation runs (seed 0) shared by the tests of this folder.

``builtin_run`` is the whole corpus, as ``personagen eval`` runs it: its headline is the frozen
held-out split, whose figures are reported in docs/quality.md, not gated here (the rules were
never tuned on them; issue 11 tracks the shortfall). ``tuning_run`` is the tuning split alone:
the figures the rules were tuned to, which these tests hold so a change cannot quietly lose them.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from server.config import default_config
from server.eval.cli import run_eval
from server.eval.harness import InterviewRecord
from server.eval.profiles import Persona, load_splits
from server.llm.base import Interviewer
from server.llm.builtin import BuiltinInterviewer


def builtin() -> Interviewer:
    return BuiltinInterviewer(pace=0)


def run_builtin(
    seed: int, personas: tuple[Persona, ...] | None = None
) -> tuple[dict[str, Any], list[InterviewRecord]]:
    return anyio.run(
        lambda: run_eval(
            builtin,
            backend="builtin",
            label="built-in question bank",
            model=None,
            seed=seed,
            config=default_config(),
            personas=personas,
        )
    )


def run_tuning(seed: int) -> tuple[dict[str, Any], list[InterviewRecord]]:
    return run_builtin(seed, load_splits()["tuning"])


@pytest.fixture(scope="session")
def builtin_run() -> tuple[dict[str, Any], list[InterviewRecord]]:
    return run_builtin(0)


@pytest.fixture(scope="session")
def tuning_run() -> tuple[dict[str, Any], list[InterviewRecord]]:
    return run_tuning(0)
