"""``personagen serve`` names its first user ``me`` or ``--user``; ``users rename`` renames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from server.auth import Authenticator
from server.store import ProfileStore
from tests.server_process import ServerProcess, create_user, free_port

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


def run_cli(*args: str, profiles: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PERSONAGEN_PROFILES_DIR": str(profiles), "PERSONAGEN_PORT": str(port)}
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


def test_rename_moves_the_user_and_gives_a_new_token(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    create_user(profiles, "me")
    core = profiles / "me" / "persona" / "core.json"
    core.write_text('{"identity": {"name": "Sam"}}', encoding="utf-8")
    done = run_cli("users", "rename", "me", "sam", profiles=profiles, port=free_port())
    assert done.returncode == 0, done.stderr
    assert "Renamed user 'me' to 'sam'" in done.stdout
    token = done.stdout.split("no longer work): ", 1)[1].split()[0]
    assert not (profiles / "me").exists()
    assert json.loads((profiles / "sam" / "persona" / "core.json").read_text()) == {
        "identity": {"name": "Sam"}
    }

    async def who() -> str | None:
        store = ProfileStore(profiles)
        return await Authenticator(store, await store.server_secret()).user_for_token(token)

    assert anyio.run(who) == "sam"
    taken = run_cli("users", "rename", "sam", "sam", profiles=profiles, port=free_port())
    assert taken.returncode != 0 and "is taken" in taken.stderr
    missing = run_cli("users", "rename", "nobody", "x", profiles=profiles, port=free_port())
    assert missing.returncode == 2 and "no user 'nobody'" in missing.stderr


def test_rename_refuses_while_the_server_runs(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    create_user(profiles, "me")
    with ServerProcess(profiles) as server:
        refused = run_cli("users", "rename", "me", "sam", profiles=profiles, port=server.port)
    assert refused.returncode == 2
    assert "stop it, rename, then start it again" in refused.stderr
    assert (profiles / "me").is_dir() and not (profiles / "sam").exists()
