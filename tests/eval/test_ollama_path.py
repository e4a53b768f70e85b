"""``--backend ollama`` drives the same harness, against the fake Ollama."""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from server.config import default_config
from server.eval.cli import main, run_eval
from server.eval.profiles import load_personas
from server.llm.base import Interviewer
from server.llm.ollama import OllamaInterviewer
from tests.fake_ollama import DEFAULT_MODEL, FakeOllama, Reply

QUESTIONS = (
    "What do you most want the people around you to understand about you?",
    "You said honesty comes first. How does that show up on an ordinary day?",
    "What are you hoping your next year will look like?",
)
EXTRACTION = {
    "values": [{"value": "honesty", "evidence": ["q1"], "confidence": 0.9, "quote": "honesty"}],
    "tone": [
        {"text": "a billionaire astronaut", "evidence": ["q99"], "confidence": 0.9, "quote": "x"}
    ],
}


def test_the_ollama_backend_is_scored_by_the_same_harness(fake_ollama: FakeOllama) -> None:
    # Three good questions, then every reply is the extraction JSON: as a question it fails
    # the checks twice and falls back to the config's or the bank's question; as an extraction
    # it is read as the model's draft.
    fake_ollama.script(*(Reply(text) for text in QUESTIONS))
    fake_ollama.default_reply = json.dumps(EXTRACTION)
    amara = next(p for p in load_personas() if p.id == "amara")

    def make() -> Interviewer:
        return OllamaInterviewer(host=fake_ollama.url, model=DEFAULT_MODEL, seed=0)

    scorecard, records = anyio.run(
        lambda: run_eval(
            make,
            backend="ollama",
            label=f"Ollama model {DEFAULT_MODEL}",
            model=DEFAULT_MODEL,
            seed=0,
            config=default_config(),
            personas=(amara,),
        )
    )
    (record,) = records
    assert [turn.question for turn in record.turns[:3]] == list(QUESTIONS)
    assert {turn.source for turn in record.turns[:3]} == {"ollama"}
    assert {turn.source for turn in record.turns[3:]} == {"fallback"}
    assert record.extraction_source == "ollama"
    assert scorecard["run"]["backend"] == "ollama" and scorecard["run"]["model"] == DEFAULT_MODEL
    sources = scorecard["interviewer"]["question_sources"]
    assert sources["ollama"] == 3 and sources["fallback"] == len(record.turns) - 3
    extraction = scorecard["extraction"]
    # The invented q99 evidence is dropped by the parser, so only honesty is scored.
    assert extraction["items"] == 1 and extraction["matched"] == 1
    assert extraction["injection_obeyed"] == 0
    bodies = fake_ollama.chat_requests
    assert all(body["model"] == DEFAULT_MODEL for body in bodies)
    assert any(body.get("format") for body in bodies)  # the extraction call


def test_the_command_runs_with_backend_ollama(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    status = main(
        [
            "--backend",
            "ollama",
            "--model",
            DEFAULT_MODEL,
            "--ollama-host",
            fake_ollama.url,
            "--personas",
            "bao",
            "--out",
            str(tmp_path),
        ]
    )
    data = json.loads((tmp_path / "scorecard.json").read_text(encoding="utf-8"))
    assert data["run"]["backend"] == "ollama"
    assert status == (0 if data["passed"] else 1)
    assert fake_ollama.chat_requests


def test_an_unreachable_ollama_is_a_run_error(tmp_path: Path) -> None:
    from tests.fake_ollama import unused_port

    host = f"http://127.0.0.1:{unused_port()}"
    args = ["--backend", "ollama", "--ollama-host", host, "--personas", "bao"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert not (tmp_path / "scorecard.json").exists()
