"""The Docker files, read as a Linux user would (no Docker engine runs in CI: the files are
parsed and the entry point is run directly with sh)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
ENTRYPOINT = REPO / "scripts" / "docker-entrypoint.sh"


def test_compose_runs_personagen_beside_ollama_with_a_writable_profiles_volume() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["ollama"]["image"].startswith("ollama/ollama")
    personagen = services["personagen"]
    assert personagen["build"] == "."
    assert personagen["environment"]["OLLAMA_HOST"] == "http://ollama:11434"
    assert "./profiles:/data/profiles" in personagen["volumes"]
    assert personagen["user"] == "${PERSONAGEN_UID:-10001}:${PERSONAGEN_GID:-10001}"
    assert "ollama" in personagen["depends_on"]
    assert any(port.endswith(":8000") for port in personagen["ports"])


def test_the_build_context_leaves_out_secrets_and_bulk() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in ("profiles/", ".git", ".venv", "**/__pycache__", "test-artifacts/", ".env"):
        assert entry in ignored


def test_the_readme_gives_linux_users_add_host_and_user() -> None:
    docker = (REPO / "README.md").read_text(encoding="utf-8").split("## Docker", 1)[1]
    assert "--add-host=host.docker.internal:host-gateway" in docker
    assert '--user "$(id -u):$(id -g)"' in docker
    assert "docker compose" in docker
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "ENTRYPOINT" in dockerfile and "scripts/docker-entrypoint.sh" in dockerfile


def run_entrypoint(profiles: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "PERSONAGEN_PROFILES_DIR": str(profiles)}
    return subprocess.run(
        ["sh", str(ENTRYPOINT), "echo", "serving"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_entrypoint_serves_when_the_folder_is_writable(tmp_path: Path) -> None:
    done = run_entrypoint(tmp_path / "profiles")
    assert (done.returncode, done.stdout) == (0, "serving\n")
    assert list((tmp_path / "profiles").iterdir()) == []  # its write probe is gone


def test_the_entrypoint_explains_an_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # unwritable even for root: a file where the folder should be
    done = run_entrypoint(blocker / "profiles")
    assert done.returncode == 77 and done.stdout == ""
    assert f"cannot write to {blocker / 'profiles'}" in done.stderr
    assert '--user "$(id -u):$(id -g)"' in done.stderr
    assert "chown -R 10001:10001" in done.stderr
