"""``personagen batch``: the three formats, both backends, problems by line, ``--dry-run``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import Remote
from tests.cli.support import ANSWERS, cli, cli_json
from tests.fake_ollama import FakeOllama

pytestmark = pytest.mark.timeout(120)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_json_by_question_id_category_and_order_on_the_builtin_server(
    remote: Remote, tmp_path: Path
) -> None:
    answers = {
        "answers": [
            {"question": "q1", "answer": ANSWERS[0]},
            {"category": "style", "answer": ANSWERS[2]},
            ANSWERS[1],
        ]
    }
    path = write(tmp_path / "answers.json", json.dumps(answers, indent=2))
    done = cli("batch", str(path), "--apply", "merge", env=remote.env)
    assert done.returncode == 0, done.stderr + done.stdout
    # Progress goes to stderr, one line per question, then the coverage.
    assert "q1   values         answered with line 3 (question q1)" in done.stderr
    assert "q2   goals          answered with line 11 (in order)" in done.stderr
    assert "q3   style          answered with line 7 (category style)" in done.stderr
    assert "% covered)" in done.stderr
    assert "Proposed changes to core.json with the merge strategy" in done.stdout
    assert "Applied" in done.stdout
    assert json.loads(remote.core.read_text())["values"]["core"]


def test_yaml_on_the_ollama_server_with_a_json_report(
    remote_ollama: Remote, fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    fake_ollama.reply("What principles guide the decisions you are proudest of?")
    fake_ollama.reply("Which goal would you most like to reach within the next year?")
    fake_ollama.reply("How would a close friend describe the way you talk with people?")
    text = (
        "# category: answer, or a list of answers\n"
        f"values: |\n  {ANSWERS[0]}\n"
        f"goals:\n  - >\n    {ANSWERS[1]}\n"
        f"style: {ANSWERS[2]}\n"
    )
    path = write(tmp_path / "answers.yaml", text)
    report = cli_json("batch", str(path), "--apply", "append", env=remote_ollama.env)
    assert [item["line"] for item in report["answered"]] == [2, 5, 7]
    assert [item["category"] for item in report["answered"]] == ["values", "goals", "style"]
    assert report["applied"] is True
    assert report["strategy"] == "append"
    assert report["unmatched"] == []
    assert report["changes"]
    assert remote_ollama.core.exists()


def test_markdown_on_a_local_folder_asks_before_applying(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    text = (
        "# My answers\n\nIgnored preamble.\n\n"
        f"## Values: what guides me\n\n{ANSWERS[0][:80]}\n{ANSWERS[0][80:]}\n\n"
        f"## goals\n{ANSWERS[1]}\n\n"
        f"## Anything at all\n{ANSWERS[2]}\n"
    )
    path = write(tmp_path / "answers.md", text)
    done = cli("batch", str(path), env=local_env, input="replace\ny\n")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "answered with line 5 (category values)" in done.stderr
    assert "answered with line 10 (category goals)" in done.stderr
    assert "answered with line 13 (in order)" in done.stderr
    assert "Apply with which strategy?" in done.stderr  # prompts go to stderr
    assert "Applied" in done.stdout and "(replace)" in done.stdout
    core = tmp_path / "profiles" / "ada" / "persona" / "core.json"
    assert core.exists()
    view = cli_json("sessions", "show", "latest", env=local_env)
    first = view["questions"][0]["answer"]["text"]
    assert "\n" not in first  # a Markdown paragraph's lines are joined, as Markdown reads them


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "broken.json",
            '{\n  "answers": [\n    {"answer": "one"}\n    {"answer": "two"}\n  ]\n}\n',
            ["broken.json:4: not valid JSON (column 5): Expecting ',' delimiter"],
        ),
        (
            "broken.yaml",
            "answers:\n  - answer: fine and long enough to be an answer\n"
            "    catgory: values\n  - category: valeus\n    answer: x\n  - question: q3\n"
            "values: [unterminated\n",
            ["broken.yaml:7: not valid YAML: expected ',' or ']', but got '<stream end>'"],
        ),
        (
            "shapes.yaml",
            "answers:\n  - answer: fine and long enough to be an answer\n"
            "    catgory: values\n  - category: valeus\n    answer: some words here\n"
            "  - question: q3\n  - 42\n",
            [
                "shapes.yaml:3: unknown key 'catgory'",
                "shapes.yaml:4: unknown category 'valeus'",
                "shapes.yaml:6: answer 3: the entry has no 'answer' text",
                "shapes.yaml:7: answer 4: expected an answer text or an object, found 42",
            ],
        ),
        (
            "empty.md",
            "# Title\n\n## values\n\n## goals\nA goal that is long enough to count.\n",
            ["empty.md:3: the heading 'values' has no answer under it"],
        ),
    ],
)
def test_malformed_files_are_reported_by_line_and_start_nothing(
    local_env: dict[str, str], tmp_path: Path, name: str, text: str, expected: list[str]
) -> None:
    path = write(tmp_path / name, text)
    done = cli("batch", str(path), "--apply", "merge", env=local_env)
    assert done.returncode == 2, done.stderr + done.stdout
    assert "nothing was started" in done.stderr
    for line in expected:
        assert f"{tmp_path}/{line}" in done.stderr, done.stderr
    assert not (tmp_path / "profiles").exists()


def test_answers_outside_the_limits_are_reported_by_line(remote: Remote, tmp_path: Path) -> None:
    entries = [
        {"category": "values", "answer": ANSWERS[0]},
        {"category": "goals", "answer": "too short"},
        {"category": "style", "answer": "x" * 2001},
        {"category": "biography", "answer": ANSWERS[3]},
        {"question": "q9", "answer": ANSWERS[4]},
    ]
    path = write(tmp_path / "limits.json", json.dumps(entries, indent=1))
    done = cli("batch", str(path), "--dry-run", env=remote.env)
    assert done.returncode == 2, done.stderr + done.stdout
    assert "limits.json:6: the answer is too short: 9 characters, at least 20" in done.stderr
    assert "limits.json:10: the answer is too long: 2001 characters, at most 2000" in done.stderr
    assert "limits.json:14: category 'biography' is not part of this interview" in done.stderr
    assert "limits.json:18: q9 is never asked: an interview has at most 5 questions" in done.stderr
    assert cli_json("sessions", "list", env=remote.env)["sessions"] == []


def test_dry_run_leaves_core_json_untouched_and_reports_unused_entries(
    remote: Remote, tmp_path: Path
) -> None:
    first = write(tmp_path / "first.json", json.dumps(ANSWERS[:3]))
    applied = cli("batch", str(first), "--apply", "merge", env=remote.env)
    assert applied.returncode == 0, applied.stderr + applied.stdout
    before = remote.core.read_bytes()
    archive = remote.core.parent / "archive"
    backups = sorted(archive.iterdir()) if archive.exists() else []

    # Each of the first three answers says something understood about its topic, so the
    # interview is complete (coverage) before q5 or a second values question is asked.
    entries = [
        {"category": "values", "answer": ANSWERS[0]},
        {"category": "goals", "answer": ANSWERS[1]},
        {"category": "style", "answer": ANSWERS[2]},
        {"question": "q5", "answer": ANSWERS[3]},
        {"category": "values", "answer": ANSWERS[4]},
    ]
    second = write(tmp_path / "second.json", json.dumps(entries, indent=1))
    done = cli("batch", str(second), "--dry-run", "--apply", "replace", env=remote.env)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Proposed changes to core.json with the replace strategy" in done.stdout
    assert "Dry run: core.json was not changed." in done.stdout
    assert "second.json:14: not used: the interview never asked q5" in done.stderr
    assert "second.json:18: not used: the interview asked no further question about values" in (
        done.stderr
    )
    assert remote.core.read_bytes() == before
    assert (sorted(archive.iterdir()) if archive.exists() else []) == backups
    states = sorted(s["state"] for s in cli_json("sessions", "list", env=remote.env)["sessions"])
    # The trial is deleted where the server can purge (DELETE /api/sessions/{id}), else discarded.
    assert states in (["applied"], ["applied", "discarded"])


def test_dry_run_on_a_local_folder_leaves_no_trace(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    path = write(tmp_path / "a.json", json.dumps(ANSWERS[:3]))
    report = cli_json("batch", str(path), "--dry-run", env=local_env)
    assert report["dry_run"] is True and report["applied"] is False
    assert report["changes"]
    assert len(report["removed"]) == 2  # the trial's snapshot and journal
    assert not (tmp_path / "profiles" / "ada" / "persona" / "core.json").exists()
    assert cli_json("sessions", "list", env=local_env)["sessions"] == []


def test_a_failed_dry_run_deletes_its_trial_interview(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    core = tmp_path / "profiles" / "ada" / "persona" / "core.json"
    core.parent.mkdir(parents=True, exist_ok=True)
    core.write_text("{ not json", encoding="utf-8")
    path = write(tmp_path / "a.json", json.dumps(ANSWERS[:3]))
    done = cli("batch", str(path), "--dry-run", env=local_env)
    assert done.returncode != 0, done.stdout
    assert "core.json" in done.stderr
    assert cli_json("sessions", "list", env=local_env)["sessions"] == []
    assert core.read_text(encoding="utf-8") == "{ not json"


# -- the interview never loops in a batch run -------------------------------------------------

# Written for these tests: distinct, substantial answers per topic (none about values).
TOPIC_ANSWERS = {
    "goals": [
        "I want to build a small wooden sailing boat with my nephew over the next two years.",
        "I'd like to learn to weld properly, so I can repair my own bicycle frames next spring.",
        "Someday I hope to run a weekend repair cafe where neighbours fix things together.",
    ],
    "style": [
        "People say I'm patient and calm; I listen first and only then say what I think.",
        "I keep my emails short and to the point, and I prefer a phone call for hard news.",
        "I'm direct with friends but gentle with strangers, and I use a lot of jokes.",
    ],
    "biography": [
        "When I was nineteen I moved to the coast and worked on fishing boats for six years.",
        "Losing my first workshop in a flood taught me that I could start over from nothing.",
        "I grew up above my grandfather's hardware shop and learned every tool by its sound.",
    ],
    "current_focus": [
        "These days I'm restoring an old oak dresser that belonged to a neighbour.",
        "Right now I am teaching an evening class on basic carpentry at the community centre.",
        "Lately I'm busy planning a vegetable garden on the roof of our building.",
    ],
}


def default_config_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """``env`` with the shipped interview config (five topics, 15 questions, 7 answers)."""
    shipped = Path(__file__).resolve().parents[2] / "server" / "data" / "persona-generator.json"
    return {**env, "PERSONAGEN_INTERVIEW_CONFIG": str(shipped)}


def asked_in_order(report: dict[str, object]) -> list[tuple[int, str, bool]]:
    """(question number, topic, answered) for every question the run closed."""
    closed = [(item, True) for item in report["answered"]]  # type: ignore[attr-defined]
    closed += [(item, False) for item in report["skipped"]]  # type: ignore[attr-defined]
    return sorted((int(item["question_id"][1:]), item["category"], done) for item, done in closed)


def longest_run(topics: list[str]) -> int:
    best = run = 0
    for index, topic in enumerate(topics):
        run = run + 1 if index and topics[index - 1] == topic else 1
        best = max(best, run)
    return best


def test_a_person_who_skips_a_topic_is_not_stuck_on_it(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    entries = [
        {"category": topic, "answer": answer}
        for topic, answers in TOPIC_ANSWERS.items()
        for answer in answers
    ]  # nothing about values: the opener about values is skipped
    path = write(tmp_path / "no-values.json", json.dumps(entries, indent=1))
    report = cli_json("batch", str(path), "--dry-run", env=default_config_env(local_env, tmp_path))
    closed = asked_in_order(report)
    topics = [topic for _, topic, _ in closed]
    assert closed[0][1:] == ("values", False)  # skipped: the file has no answer for it
    assert topics[1] != "values"  # the next question is about something else
    assert longest_run(topics) <= 2, topics
    assert topics.count("values") <= 2, topics
    assert report["unmatched"] == []  # every answer found its question


def test_answers_left_over_for_a_topic_are_offered_to_the_questions_that_remain(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    entries = [{"category": "goals", "answer": answer} for answer in TOPIC_ANSWERS["goals"]]
    entries += [{"category": "style", "answer": answer} for answer in TOPIC_ANSWERS["style"]]
    entries += [{"answer": TOPIC_ANSWERS["biography"][0]}]
    entries += [{"category": "goals", "answer": TOPIC_ANSWERS["current_focus"][0]}]
    path = write(tmp_path / "leftovers.json", json.dumps(entries, indent=1))
    done = cli("batch", str(path), "--dry-run", env=default_config_env(local_env, tmp_path))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "a leftover)" in done.stderr  # a goals answer went to a question on another topic
    assert "not used" not in done.stderr
    topics = re.findall(r"q\d+\s+(\S+(?: \S+)?)\s{2,}", done.stderr)
    assert longest_run(topics) <= 2, done.stderr
