"""One built-in evaluation run (seed 0) shared by the tests of this folder."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from server.config import default_config
from server.eval.cli import run_eval
from server.eval.harness import InterviewRecord
from server.llm.base import Interviewer
from server.llm.builtin import BuiltinInterviewer


def builtin() -> Interviewer:
    return BuiltinInterviewer(pace=0)


def run_builtin(seed: int) -> tuple[dict[str, Any], list[InterviewRecord]]:
    return anyio.run(
        lambda: run_eval(
            builtin,
            backend="builtin",
            label="built-in question bank",
            model=None,
            seed=seed,
            config=default_config(),
        )
    )


@pytest.fixture(scope="session")
def builtin_run() -> tuple[dict[str, Any], list[InterviewRecord]]:
    return run_builtin(0)
