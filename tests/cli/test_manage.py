"""``personagen sessions …``, ``persona …``, ``login``/``logout`` and the exit codes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from server.cli import build_parser, main
from tests.cli.conftest import Remote
from tests.cli.support import ANSWERS, answer_block, clean_env, cli, cli_json

pytestmark = pytest.mark.timeout(120)


def batch_file(tmp_path: Path, name: str, answers: list[str]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(answers), encoding="utf-8")
    return str(path)


def test_apply_history_and_restore_round_trip(local_env: dict[str, str], tmp_path: Path) -> None:
    core = tmp_path / "profiles" / "ada" / "persona" / "core.json"
    first = cli(
        "batch", batch_file(tmp_path, "a.json", ANSWERS[:3]), "--apply", "merge", env=local_env
    )
    assert first.returncode == 0, first.stderr + first.stdout
    v1 = core.read_bytes()
    second = cli(
        "batch",
        batch_file(tmp_path, "b.json", [ANSWERS[3], ANSWERS[4], ANSWERS[1]]),
        "--apply",
        "replace",
        env=local_env,
    )
    assert second.returncode == 0, second.stderr + second.stdout
    v2 = core.read_bytes()
    assert v2 != v1
    assert "The previous core.json was saved as ada/persona/archive/core-" in second.stdout

    [backup] = cli_json("persona", "history", env=local_env)["backups"]
    archive = core.parent / "archive"
    assert (archive / backup["name"]).read_bytes() == v1

    restored = cli("persona", "restore", "latest", "--yes", env=local_env)
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert f"Restored {backup['name']} as core.json." in restored.stdout
    assert "Compared with the current core.json:" in restored.stdout
    assert core.read_bytes() == v1
    undo = restored.stdout.split("Undo with: personagen persona restore ")[1].split()[0]
    assert (archive / undo).read_bytes() == v2  # the replaced core.json was backed up first

    again = cli("persona", "restore", undo, "--yes", "--json", env=local_env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["restored"] == undo
    assert core.read_bytes() == v2
    assert len(cli_json("persona", "history", env=local_env)["backups"]) == 3


def test_sessions_list_show_export_discard_and_purge(remote: Remote, tmp_path: Path) -> None:
    env = remote.env
    applied = cli("batch", batch_file(tmp_path, "a.json", ANSWERS[:3]), "--apply", "merge", env=env)
    assert applied.returncode == 0, applied.stderr
    paused = cli("interview", "--new", env=env, input=answer_block(ANSWERS[0]) + "/pause\n")
    assert paused.returncode == 0, paused.stderr
    sessions = cli_json("sessions", "list", env=env)["sessions"]
    assert [s["state"] for s in sessions] == ["paused", "applied"]  # newest first
    done_id, open_id = sessions[1]["session_id"], sessions[0]["session_id"]

    listing = cli("sessions", "list", env=env)
    assert listing.stdout.splitlines()[0].split() == [
        "SESSION",
        "STATE",
        "PROGRESS",
        "ANSWERS",
        "STARTED",
        "LAST",
        "ACTIVE",
    ]
    assert f"{open_id}  paused" in listing.stdout

    shown = cli("sessions", "show", done_id[-8:], env=env)  # a unique part of the id will do
    assert shown.returncode == 0, shown.stderr
    assert f"Interview {done_id} · applied" in shown.stdout
    assert "q1 · values" in shown.stdout and "  A: Honesty is the value" in shown.stdout

    markdown = tmp_path / "t.md"
    exported = cli(
        "sessions", "export", done_id, "--format", "markdown", "-o", str(markdown), env=env
    )
    assert exported.returncode == 0, exported.stderr
    assert markdown.read_text().startswith(f"# Interview {done_id}\n")
    written = cli("training", "export", done_id, "--yes", env=env)  # the reviewed export
    assert written.returncode == 0, written.stderr
    training = cli("sessions", "export", done_id, "--format", "training", env=env)
    on_disk = remote.profiles / remote.user / "memory/training/persona" / f"{done_id}.jsonl"
    assert training.stdout == on_disk.read_text()
    too_early = cli("sessions", "export", open_id, "--format", "training", env=env)
    assert too_early.returncode == 4
    assert "training file is written when the interview is complete" in too_early.stderr

    discarded = cli("sessions", "discard", open_id, "--yes", env=env)
    assert discarded.returncode == 0, discarded.stderr
    assert f"Discarded interview {open_id}." in discarded.stdout
    assert cli("sessions", "discard", open_id, "--yes", env=env).returncode == 4
    unconfirmed = cli("sessions", "discard", done_id, env=env)
    assert unconfirmed.returncode == 4  # an applied interview cannot be discarded

    # Purging on the server's own folder (the server has no purge endpoint yet).
    local = clean_env(tmp_path, PERSONAGEN_USER=remote.user)
    purge = cli(
        "sessions", "purge", open_id, "--profiles-dir", str(remote.profiles), env=local, input=""
    )
    assert purge.returncode == 2 and "pass --yes" in purge.stderr
    purged = cli(
        "sessions",
        "purge",
        open_id,
        "--yes",
        "--json",
        "--profiles-dir",
        str(remote.profiles),
        env=local,
    )
    assert purged.returncode == 0, purged.stderr
    removed = json.loads(purged.stdout)["removed"]
    assert f"{remote.user}/persona/interviews/{open_id}.json" in removed
    assert f"{remote.user}/persona/interviews/{open_id}.jsonl" in removed
    assert not list((remote.profiles / remote.user / "persona/interviews").glob(f"{open_id}*"))


def test_persona_diff_then_apply_a_kept_dry_run(remote: Remote, tmp_path: Path) -> None:
    env = remote.env
    kept = cli("batch", batch_file(tmp_path, "a.json", ANSWERS[:3]), "--dry-run", "--keep", env=env)
    assert kept.returncode == 0, kept.stderr
    assert "Apply it with: personagen persona apply" in kept.stdout
    assert not remote.core.exists()

    shown = cli("persona", "show", env=env)
    assert shown.returncode == 3 and "no persona yet" in shown.stderr

    diff = cli_json("persona", "diff", "latest", "--strategy", "append", env=env)
    assert diff["strategy"] == "append" and diff["changes"]
    applied = cli("persona", "apply", "latest", "--strategy", "append", "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert f"Applied {len(diff['changes'])} changes to core.json (append)." in applied.stdout
    persona = cli_json("persona", "show", env=env)
    assert persona["persona"]["values"]["core"]
    assert persona["digest"] != "absent"
    again = cli("persona", "apply", "latest", "--yes", env=env)
    assert again.returncode == 4 and "already applied" in again.stderr


def test_login_logout_and_the_login_file(remote: Remote, tmp_path: Path) -> None:
    env = clean_env(tmp_path)  # no PERSONAGEN_SERVER, no token: only the login file
    refused = cli("login", "--server", remote.server.url, env=env, input="pg.nobody.wrong\n")
    assert refused.returncode == 5 and "refused this token" in refused.stderr

    done = cli("login", "--server", remote.server.url, env=env, input=remote.token + "\n")
    assert done.returncode == 0, done.stderr
    assert f"Logged in to {remote.server.url} as {remote.user}." in done.stdout
    login_file = tmp_path / "xdg" / "personagen" / "login.json"
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    assert json.loads(login_file.read_text())["default"] == remote.server.url

    listed = cli_json("sessions", "list", env=env)  # the login file's server and token
    assert listed["user"] == remote.user

    os.chmod(login_file, 0o644)
    unsafe = cli("sessions", "list", env=env)
    assert unsafe.returncode == 5
    assert "other users may read it (mode 644)" in unsafe.stderr
    assert f"chmod 600 {login_file}" in unsafe.stderr
    os.chmod(login_file, 0o600)

    out = cli("logout", env=env)
    assert out.returncode == 0 and f"Logged out of {remote.server.url}" in out.stdout
    no_token = cli("sessions", "list", "--server", remote.server.url, env=env)
    assert no_token.returncode == 5
    assert f"personagen login --server {remote.server.url}" in no_token.stderr


def test_errors_have_documented_exit_codes(remote: Remote, tmp_path: Path) -> None:
    missing = cli("sessions", "show", "20200101T000000Z-00000000", env=remote.env)
    assert missing.returncode == 3 and "no interview" in missing.stderr
    bad_token = cli("persona", "show", env={**remote.env, "PERSONAGEN_TOKEN": "pg.x.nope"})
    assert bad_token.returncode == 5 and "refused the token" in bad_token.stderr
    error = cli("persona", "history", "--json", env={**remote.env, "PERSONAGEN_TOKEN": "pg.x.n"})
    assert json.loads(error.stdout)["error"]["exit_code"] == 5
    both = cli("sessions", "list", "--server", "x", "--profiles-dir", "y", env=remote.env)
    assert both.returncode == 2
    down = cli("sessions", "list", "--server", "http://127.0.0.1:9", env=remote.env)
    assert down.returncode == 1 and "cannot reach the server" in down.stderr


COMMANDS = [
    ["interview"],
    ["batch"],
    ["sessions", "list"],
    ["sessions", "show"],
    ["sessions", "resume"],
    ["sessions", "discard"],
    ["sessions", "export"],
    ["sessions", "purge"],
    ["persona", "show"],
    ["persona", "diff"],
    ["persona", "apply"],
    ["persona", "history"],
    ["persona", "restore"],
    ["login"],
    ["logout"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_examples_and_exit_codes(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert "personagen " + " ".join(command) in text
    assert "exit codes:" in text and "130" in text


def test_the_top_level_help_lists_every_command() -> None:
    text = build_parser().format_help()
    for name in ("interview", "batch", "sessions", "persona", "login", "eval", "serve", "users"):
        assert name in text
    assert "exit codes:" in text
