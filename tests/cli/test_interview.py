"""``personagen interview`` against real servers: piped stdin, a pseudo-terminal, Ctrl+C and
``--resume``, a server restart under a running interview, and the offer to resume."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import Remote
from tests.cli.support import ANSWERS, Spawned, answer_block, cli, cli_json
from tests.fake_ollama import FakeOllama

pytestmark = pytest.mark.timeout(120)


def sessions_of(env: dict[str, str]) -> list[dict[str, object]]:
    data = cli_json("sessions", "list", env=env)
    sessions: list[dict[str, object]] = data["sessions"]
    return sessions


def test_a_whole_interview_through_stdin_applies_only_after_yes(remote: Remote) -> None:
    typed = answer_block(*ANSWERS[:3]) + "\n" + "yes\n"  # Enter = merge, then yes
    done = cli("interview", env=remote.env, input=typed)
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert "interviewer: built-in question bank" in out
    assert out.count("Saved.") == 3
    assert re.search(r"values\s+\S+\s+\d+%", out)  # progress per topic between questions
    assert "The interview is complete." in out
    # Summaries are shown; with piped input they are left open (the input holds answers only).
    assert "Summary · So far I have:" in out
    assert "(left open: summaries are answered in a terminal or the web page)" in out
    assert "Proposed changes to core.json with the merge strategy" in out
    assert "Apply with which strategy?" in out and "[y/N]" in out
    assert "Applied" in out
    persona = json.loads(remote.core.read_text())
    assert persona["values"]["core"], persona
    [session] = sessions_of(remote.env)
    assert session["state"] == "applied"


def test_saying_no_applies_nothing_and_keeps_the_interview(remote: Remote) -> None:
    done = cli("interview", env=remote.env, input=answer_block(*ANSWERS[:3]) + "merge\nno\n")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Nothing was applied" in done.stdout
    assert "personagen persona apply" in done.stdout
    assert not remote.core.exists()
    [session] = sessions_of(remote.env)
    assert session["state"] == "finalized"


def test_an_interview_with_the_ollama_backend(
    remote_ollama: Remote, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply("What principles guide the decisions you are proudest of?")
    fake_ollama.reply("Which goal would you most like to reach within the next year?")
    fake_ollama.reply("How would a close friend describe the way you talk with people?")
    done = cli("interview", env=remote_ollama.env, input=answer_block(*ANSWERS[:3]) + "append\ny\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert "interviewer: Ollama" in out
    assert "Which goal would you most like to reach within the next year?" in out
    assert "Applied" in out and "(append)" in out
    assert remote_ollama.core.exists()


def test_pty_interview_ctrl_c_pauses_and_resume_finishes_it(remote: Remote) -> None:
    with Spawned(["interview"], remote.env, tty=True) as terminal:
        terminal.expect(r"Question 1 · values")
        terminal.expect(r"\n> $")
        terminal.send(ANSWERS[0][:120] + "\n")
        terminal.expect(r"\n> $")
        terminal.send(ANSWERS[0][120:] + "\n")
        terminal.expect(r"\n> $")
        terminal.send("\n")
        terminal.expect(r"Saved\.")
        # At the topic change: what the interviewer understood, corrected in the terminal.
        terminal.expect(r"Summary · So far I have: .*Did I get that right\?")
        terminal.expect(r"\n> $")
        terminal.send("Mostly honesty, and patience with people who are still learning.\n")
        terminal.expect(r"\n> $")
        terminal.send("\n")
        terminal.expect(r"Correction saved\.")
        terminal.expect(r"Question 2 · ")
        terminal.expect(r"\n> $")
        terminal.send("/help\n")
        terminal.expect(r"/finish .*\n(.*\n)*> $")
        terminal.send("A first line I typed before pressing Ctrl+C, kept as a draft\n")
        terminal.expect(r"\n> $")
        terminal.interrupt()
        found = terminal.expect(r"Resume with: personagen interview --resume (\S+)")
        session_id = found[1]
        assert terminal.wait() == 130
        assert "Paused. Everything you sent is saved." in terminal.output
        assert "kept as a draft" in terminal.output

    [session] = sessions_of(remote.env)
    assert session["session_id"] == session_id
    assert session["state"] == "paused"
    assert session["answered"] == 1

    typed = "\n" + answer_block(*ANSWERS[1:3]) + "\ny\n"
    done = cli("interview", "--resume", env=remote.env, input=typed)
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert f"Resuming interview {session_id}: 1 answer so far." in out
    assert "You had started this answer:" in out
    assert "A first line I typed before pressing Ctrl+C" in out
    assert "Applied" in out
    view = cli_json("sessions", "show", session_id, env=remote.env)
    assert view["state"] == "applied"
    answers = [q["answer"]["text"] for q in view["questions"] if q["answer"]]
    assert answers[1].startswith("A first line I typed before pressing Ctrl+C")
    corrected = view["summaries"][0]["resolution"]
    assert corrected["verdict"] == "corrected"
    assert corrected["text"].startswith("Mostly honesty, and patience")


def test_an_unfinished_interview_is_offered_on_start(local_env: dict[str, str]) -> None:
    first = cli("interview", env=local_env, input=answer_block(ANSWERS[0]) + "/pause\n")
    assert first.returncode == 0, first.stderr + first.stdout
    assert "Paused." in first.stdout

    again = cli("interview", env=local_env, input="y\n/pause\n")
    assert again.returncode == 0, again.stderr + again.stdout
    assert "You have an unfinished interview:" in again.stdout
    assert "paused · 1 answer" in again.stdout
    assert "Resuming interview" in again.stdout

    fresh = cli("interview", env=local_env, input="n\n/pause\n")
    assert "Started interview" in fresh.stdout
    assert len(sessions_of(local_env)) == 2


def test_a_dropped_connection_resumes_by_itself(remote: Remote) -> None:
    server = remote.server
    with Spawned(["interview"], remote.env, tty=False) as piped:
        piped.expect(r"Question 1 · values\n.*\?\n")
        server.stop()
        server.start()
        piped.send(answer_block(ANSWERS[0]))
        piped.expect(r"Saved\.", timeout=40)
        piped.expect(r"Question 2 · ")
        piped.close_input()
        assert piped.wait() == 0
        assert "(the connection dropped and was resumed)" in piped.output
        assert "Paused." in piped.output
    [session] = sessions_of(remote.env)
    assert session["answered"] == 1


def test_interview_refuses_json_and_unknown_sessions(
    local_env: dict[str, str], tmp_path: Path
) -> None:
    done = cli("interview", "--json", env=local_env)
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["code"] == "usage"
    missing = cli("interview", "--resume", env=local_env)
    assert missing.returncode == 3
    assert "no unfinished interview to resume" in missing.stderr


CRISIS = "Honestly I have been thinking that I want to end my life and nothing seems to matter."


def test_a_crisis_answer_pauses_with_resources_and_resumes_only_on_yes(
    local_env: dict[str, str],
) -> None:
    done = cli("interview", env=local_env, input=answer_block(CRISIS))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Thank you for telling me." in done.stdout
    assert "Are you safe right now?" in done.stdout
    assert "The interview is paused; nothing more will be asked now." in done.stdout
    [session] = sessions_of(local_env)
    assert session["state"] == "paused" and session["pause_reason"] == "crisis"

    declined = cli("sessions", "resume", env=local_env, input="n\n")
    assert declined.returncode == 0, declined.stderr
    assert "Are you safe right now?" in declined.stdout
    assert "Continue the interview now? [y/N] n" in declined.stdout
    assert "The interview stays paused." in declined.stdout
    assert sessions_of(local_env)[0]["state"] == "paused"


def test_a_failing_model_is_retried_and_the_interview_goes_on(
    remote_ollama: Remote, fake_ollama: FakeOllama
) -> None:
    fake_ollama.busy()
    fake_ollama.reply("What principles guide the decisions you are proudest of?")
    done = cli("interview", env=remote_ollama.env, input="/pause\n")
    out = done.stdout
    assert done.returncode == 0, done.stderr + out
    assert "The interviewer could not write the next question:" in out
    assert "Trying again in 2s" in out
    assert "What principles guide the decisions you are proudest of?" in out
    assert "Paused." in out


def test_a_wrong_option_shows_the_usage_of_the_command_typed(local_env: dict[str, str]) -> None:
    done = cli("interview", "--bogus", env=local_env)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: personagen interview ")
    assert "personagen interview: error: unrecognized arguments: --bogus" in done.stderr
    nested = cli("sessions", "list", "--bogus", env=local_env)
    assert nested.stderr.startswith("usage: personagen sessions list ")


def test_resuming_an_unknown_session_prints_only_the_error(local_env: dict[str, str]) -> None:
    cli("interview", env=local_env, input=answer_block(ANSWERS[0]) + "/pause\n")
    done = cli("sessions", "resume", "nope", env=local_env)
    assert done.returncode != 0
    assert "Personagen ·" not in done.stdout + done.stderr, "no banner before the error"
    assert "nope" in done.stderr
