"""Crash drill: SIGKILL the real server at random moments while interviews run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.crash_drill import Drill
from tests.server_process import create_user


@pytest.fixture
def profiles_and_token(tmp_path: Path) -> tuple[Path, str]:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    return profiles, create_user(profiles, "alice")


@pytest.mark.timeout(240)
@pytest.mark.slow
async def test_kill_9_at_random_moments_breaks_no_promise(
    profiles_and_token: tuple[Path, str],
) -> None:
    profiles, token = profiles_and_token
    report = await Drill(profiles, token, clients=3, seed=20261126).run(kills=6)
    assert report.problems == []
    assert report.lost == 0
    assert report.duplicated == 0
    assert report.kills == 6
    assert report.acknowledged > 10, "the drill must actually exercise answers between kills"
