"""``personagen serve`` on a fresh profiles folder names its first user ``me`` or ``--user``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.server_process import ServerProcess

pytestmark = pytest.mark.timeout(60)


class NamedServe(ServerProcess):
    def __init__(self, profiles: Path, extra: list[str]) -> None:
        super().__init__(profiles, env={"PERSONAGEN_USER": ""})
        self.extra = extra

    def command(self) -> list[str]:
        return [sys.executable, "-m", "server", "serve", *self.extra]


@pytest.mark.parametrize(("extra", "expected"), [([], "me"), (["--user", "sam"], "sam")])
def test_first_user_is_me_or_the_given_name(
    tmp_path: Path, extra: list[str], expected: str
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    with NamedServe(profiles, extra) as server:
        pass
    log = server.log_path.read_text()  # after the exit, so the output is flushed
    assert f"Created user {expected!r}" in log
    assert (profiles / expected / "auth.json").exists()
    assert not (profiles / "root").exists()
