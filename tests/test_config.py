"""The interview config: MetaHuman's shape, every key validated with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.config import default_config, load_config, parse_config
from server.errors import ConfigError


def test_default_config_has_metahuman_values() -> None:
    config = default_config()
    assert config.max_questions_per_session == 15
    assert config.require_minimum_answers == 7
    assert config.categories == ("values", "goals", "style", "biography", "current_focus")
    assert config.session_defaults.min_answer_length == 20
    assert config.session_defaults.max_answer_length == 2000
    assert config.session_defaults.target_category_completion_percentage == 80
    assert config.session_defaults.auto_save_interval == 30000
    assert [q.id for q in config.baseline_questions] == [f"q{n}" for n in range(1, 9)]


def test_round_trips_through_metahuman_json(tmp_path: Path) -> None:
    path = tmp_path / "persona-generator.json"
    path.write_text(json.dumps(default_config().to_json_dict()))
    assert load_config(path) == default_config()


def _with(**changes: object) -> dict[str, object]:
    data = default_config().to_json_dict()
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"maxQuestionsPerSession": "many"}, "key 'maxQuestionsPerSession'"),
        ({"maxQuestionsPerSession": 0}, "greater than or equal to 1; found 0"),
        ({"categories": ["values", "hobbies"]}, "found 'hobbies'"),
        ({"requireMinimumAnswers": 30}, "must not exceed maxQuestionsPerSession"),
        ({"maxQuestionsPerSesion": 15}, "unknown key 'maxQuestionsPerSesion'"),
        (
            {"sessionDefaults": {"minAnswerLength": 50, "maxAnswerLength": 10}},
            "minAnswerLength (50) must not exceed maxAnswerLength (10)",
        ),
        ({"sessionDefaults": {"autoSaveInterval": 10}}, "key 'sessionDefaults.autoSaveInterval'"),
    ],
)
def test_invalid_key_is_named_with_expected_and_found(
    changes: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_with(**changes), "my.json")
    assert caught.value.message.startswith("my.json: ")
    assert fragment in caught.value.message


def test_baseline_question_outside_categories_is_refused() -> None:
    data = _with(categories=["values", "goals"])
    data["categoryDescriptions"] = {}
    with pytest.raises(ConfigError, match="baselineQuestions 'q5' has category 'style'"):
        parse_config(data)


def test_unreadable_and_malformed_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read interview config"):
        load_config(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"maxQuestionsPerSession": 15,,}')
    with pytest.raises(ConfigError, match="line 1 column 31"):
        load_config(broken)
