"""``personagen training review|export|refilter`` on a local folder and against a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.interview.training import POLICY_VERSION
from tests.cli.conftest import Remote
from tests.cli.support import ANSWERS, cli, cli_json

pytestmark = pytest.mark.timeout(120)

WITH_ADDRESS = (
    "Honesty is the value I come back to most often, ever since I grew up at 61 Thornbury "
    "Road. I would rather lose an argument than win it by bending the truth, and I expect "
    "the same from the people I work with every day."
)


def applied_interview(tmp_path: Path, env: dict[str, str]) -> str:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([WITH_ADDRESS, ANSWERS[1], ANSWERS[2]]), encoding="utf-8")
    done = cli("batch", str(answers), "--apply", "merge", env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "personagen training export" in done.stdout  # scripted: nothing written yet
    (session,) = cli_json("sessions", "list", env=env)["sessions"]
    return str(session["session_id"])


def training_file(profiles: Path, user: str, session_id: str) -> Path:
    return profiles / user / "memory" / "training" / "persona" / f"{session_id}.jsonl"


def test_review_then_export_with_an_exclusion_after_a_yes(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    session_id = applied_interview(tmp_path, local_env)
    path = training_file(tmp_path / "profiles", "ada", session_id)
    assert not path.exists()

    review = cli_json("training", "review", "latest", env=local_env)
    assert review["policy_version"] == POLICY_VERSION
    decisions = {turn["question_id"]: turn for turn in review["turns"]}
    assert decisions["q1"]["decision"] == "redact" and decisions["q1"]["reasons"] == ["address"]
    assert "Thornbury" not in json.dumps(review)
    assert not path.exists()  # a review writes nothing

    declined = cli("training", "export", "latest", env=local_env, input="\nn\n")
    assert declined.returncode == 0, declined.stderr
    assert "Nothing was written" in declined.stdout and not path.exists()

    done = cli("training", "export", "latest", env=local_env, input="q2\n\ny\n")
    assert done.returncode == 0, done.stderr
    assert "q2" in done.stdout and "left out (excluded by you)" in done.stdout
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["metadata"]["question_id"] for r in records] == ["q1", "q3"]
    assert "Thornbury" not in path.read_text(encoding="utf-8")
    assert records[0]["metadata"]["redacted"] == ["address"]


def test_a_bad_exclusion_is_refused_with_what_was_expected(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    applied_interview(tmp_path, local_env)
    bad = cli("training", "export", "latest", "--exclude", "second", "--yes", env=local_env)
    assert bad.returncode == 2
    assert "expected question ids such as q2" in bad.stderr and "'second'" in bad.stderr


def test_refilter_cleans_an_export_written_before_the_policy(
    remote: Remote, tmp_path: Path
) -> None:
    session_id = applied_interview(tmp_path, remote.env)
    path = training_file(remote.profiles, remote.user, session_id)
    legacy = [
        {
            "messages": [
                {"role": "system", "content": "You are Ada. Answer as yourself."},
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer},
            ],
            "metadata": {"session_id": session_id, "question_id": qid, "category": "values"},
        }
        for qid, question, answer in (
            ("q1", "What matters most?", WITH_ADDRESS),
            ("q2", "And lately?", "I keep thinking everyone would be better off without me."),
            ("q3", "How do you talk?", ANSWERS[2]),
        )
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in legacy), encoding="utf-8")

    summary = cli_json("training", "refilter", env=remote.env)
    (item,) = summary["exports"]
    assert (item["records_before"], item["records_after"], item["changed"]) == (3, 2, True)
    assert item["excluded"][0]["reasons"] == ["crisis content"]
    text = path.read_text(encoding="utf-8")
    assert "Thornbury" not in text and "better off without me" not in text
    assert all(
        json.loads(line)["metadata"]["policy"] == POLICY_VERSION for line in text.splitlines()
    )

    again = cli("training", "refilter", env=remote.env)
    assert again.returncode == 0, again.stderr
    assert "already filtered" in again.stdout
