"""normalize_persona(): legacy shapes in, canonical MetaHuman core.json out, unknown keys kept."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from server.errors import CorruptFile
from server.persona.schema import (
    dump_persona,
    empty_persona,
    item_identity,
    normalize_persona,
    parse_persona,
)
from tests.persona import metahuman_core

# MetaHuman's persona-generator merger output, abridged from the reference study (§2.6 b).
GENERATOR_OUTPUT: dict[str, Any] = {
    "version": "1.0.0",
    "lastUpdated": "2025-11-15T02:30:00.000Z",
    "identity": {"name": "alice", "role": "Digital personality extension", "purpose": "…"},
    "personality": {
        "communicationStyle": {
            "tone": ["direct", "thoughtful"],
            "verbosity": "balanced",
            "vocabulary": ["technical"],
            "preferredPronouns": [],
        },
        "traits": {"openness": 0.75, "conscientiousness": 0.7},
        "bigFive": {"openness": 78, "conscientiousness": 65, "extraversion": 40},
        "interests": ["AI safety", "gardening"],
    },
    "values": {
        "core": [
            {"priority": 1, "value": "honesty", "description": "…"},
            {"value": "autonomy", "description": "…", "priority": 1},
        ],
        "boundaries": ["No deceptive communication"],
    },
    "goals": {"shortTerm": [{"goal": "Ship v1 of my app", "status": "active"}]},
    "context": {"domains": [], "projects": [], "currentFocus": ["Learning user patterns"]},
    "background": "Grew up in a multicultural household; CS degree.",
    "currentFocus": ["Building a persona tool", "learning user patterns", "Marathon training"],
}

# MetaHuman's reset command writes this snake_case tree (DEFAULT_PERSONA, reference §2.6 c).
RESET_DEFAULT: dict[str, Any] = {
    "version": "1.0.0",
    "identity": {
        "name": "",
        "pronouns": [],
        "age": None,
        "location": "",
        "occupation": "",
        "background": "",
    },
    "personality": {
        "traits": {
            "openness": 50,
            "conscientiousness": 50,
            "extraversion": 50,
            "agreeableness": 50,
            "neuroticism": 50,
        },
        "communication_style": {
            "formality": "balanced",
            "verbosity": "moderate",
            "humor": "occasional",
            "directness": "balanced",
            "emotional_expression": "moderate",
        },
        "cognitive_patterns": {"decision_making": "balanced"},
    },
    "values": {"core_values": ["honesty"], "ethical_principles": [], "priorities": []},
    "goals": {"short_term": ["Finish the thesis"], "long_term": [], "aspirations": ["Sail"]},
    "interests": {"hobbies": ["chess"], "topics_of_interest": ["history"], "skills": ["SQL"]},
    "context": {
        "daily_routine": "",
        "current_projects": ["thesis"],
        "relationships": [],
        "challenges": [],
    },
    "metadata": {
        "created_at": "2025-11-01T00:00:00.000Z",
        "last_updated": "2025-11-01T00:00:00.000Z",
        "sources": ["system_default"],
        "confidence": 0,
    },
}


# ---------------------------------------------------------------------------------------------
# Canonical input


def test_canonical_metahuman_file_normalizes_to_itself() -> None:
    core = metahuman_core()
    assert normalize_persona(core) == core


def test_normalize_keeps_key_order_of_a_canonical_file() -> None:
    core = metahuman_core()
    assert dump_persona(normalize_persona(core)) == dump_persona(core)


def test_unknown_keys_survive_at_every_level() -> None:
    core = metahuman_core()
    core["identity"]["x-pronunciation"] = "AH-dah"
    core["goals"]["shortTerm"][0]["x-note"] = {"deep": [None, {"z": 1}]}
    core["writingStyle"]["cadence"] = ["short", 3]
    normalized = normalize_persona(core)
    assert normalized["$schema"] == core["$schema"]
    assert normalized["notes"] == "Edited by hand in November."
    assert normalized["x-other-tool"] == {"keep": [1, 2, {"a": None}]}
    assert normalized["identity"]["x-pronunciation"] == "AH-dah"
    assert normalized["goals"]["shortTerm"][0]["x-note"] == {"deep": [None, {"z": 1}]}
    assert normalized["context"]["x-weather"] == {"city": None}
    assert normalized["writingStyle"]["cadence"] == ["short", 3]
    assert normalized["personality"]["narrativeStyle"] == "understates achievements"


def test_normalize_does_not_modify_its_argument() -> None:
    legacy = copy.deepcopy(GENERATOR_OUTPUT)
    normalize_persona(legacy)
    assert legacy == GENERATOR_OUTPUT


def test_empty_object_becomes_the_empty_skeleton() -> None:
    assert normalize_persona({}) == empty_persona()


def test_empty_persona_is_canonical_and_invents_no_scores() -> None:
    skeleton = empty_persona()
    assert normalize_persona(skeleton) == skeleton
    assert skeleton["personality"]["traits"] == {}
    assert "lastUpdated" not in skeleton
    assert skeleton is not empty_persona()


def test_missing_sections_are_filled_and_present_ones_kept() -> None:
    normalized = normalize_persona({"identity": {"name": "Ada"}, "values": {"core": []}})
    assert normalized["identity"] == {"name": "Ada", "role": "", "purpose": ""}
    assert normalized["values"] == {"core": [], "boundaries": []}
    assert normalized["goals"] == {"shortTerm": [], "midTerm": [], "longTerm": []}
    assert normalized["version"] == "1.0.0"


# ---------------------------------------------------------------------------------------------
# Legacy shapes


def test_big_five_on_0_100_becomes_traits_on_0_1_and_is_removed() -> None:
    normalized = normalize_persona({"personality": {"bigFive": {"openness": 78, "neuroticism": 5}}})
    assert normalized["personality"]["traits"] == {"openness": 0.78, "neuroticism": 0.05}
    assert "bigFive" not in normalized["personality"]


def test_existing_traits_win_over_big_five() -> None:
    normalized = normalize_persona(GENERATOR_OUTPUT)
    assert normalized["personality"]["traits"] == {
        "openness": 0.75,
        "conscientiousness": 0.7,
        "extraversion": 0.4,
    }


def test_unknown_keys_inside_big_five_are_kept_there() -> None:
    normalized = normalize_persona({"personality": {"bigFive": {"openness": 60, "source": "llm"}}})
    assert normalized["personality"]["bigFive"] == {"source": "llm"}
    assert normalized["personality"]["traits"] == {"openness": 0.6}


def test_top_level_current_focus_moves_into_context_as_ordered_union() -> None:
    normalized = normalize_persona(GENERATOR_OUTPUT)
    assert "currentFocus" not in normalized
    assert normalized["context"]["currentFocus"] == [
        "Learning user patterns",
        "Building a persona tool",
        "Marathon training",
    ]


def test_string_background_becomes_narrative() -> None:
    normalized = normalize_persona(GENERATOR_OUTPUT)
    assert normalized["background"] == {
        "narrative": "Grew up in a multicultural household; CS degree.",
        "keyExperiences": [],
        "formativeEvents": [],
    }


def test_goal_strings_become_goal_objects_with_status_by_bucket() -> None:
    normalized = normalize_persona(
        {"goals": {"shortTerm": ["Ship it"], "midTerm": "Learn Rust", "longTerm": ["Sail"]}}
    )
    assert normalized["goals"] == {
        "shortTerm": [{"goal": "Ship it", "status": "active"}],
        "midTerm": [{"goal": "Learn Rust", "status": "active"}],
        "longTerm": [{"goal": "Sail", "status": "aspirational"}],
    }


def test_value_strings_become_value_objects_ranked_by_position() -> None:
    normalized = normalize_persona({"values": {"core": ["honesty", {"value": "care"}, "craft"]}})
    assert normalized["values"]["core"] == [
        {"value": "honesty", "description": "", "priority": 1},
        {"value": "care"},
        {"value": "craft", "description": "", "priority": 3},
    ]


def test_values_given_as_a_bare_list_become_values_core() -> None:
    normalized = normalize_persona({"values": ["honesty"]})
    assert normalized["values"] == {
        "core": [{"value": "honesty", "description": "", "priority": 1}],
        "boundaries": [],
    }


def test_value_object_with_only_a_name_gets_its_value() -> None:
    normalized = normalize_persona({"values": {"core": [{"name": "care", "priority": 2}]}})
    assert normalized["values"]["core"] == [{"value": "care", "name": "care", "priority": 2}]


def test_lone_string_where_a_list_belongs_becomes_a_list() -> None:
    normalized = normalize_persona(
        {"personality": {"communicationStyle": {"tone": "warm"}, "interests": "chess"}}
    )
    assert normalized["personality"]["communicationStyle"]["tone"] == ["warm"]
    assert normalized["personality"]["interests"] == ["chess"]


def test_snake_case_keys_become_canonical_keys() -> None:
    normalized = normalize_persona(
        {
            "personality": {"communication_style": {"tone": ["calm"], "verbosity": "terse"}},
            "values": {"core_values": ["honesty"]},
            "goals": {"short_term": ["a"], "mid_term": ["b"], "long_term": ["c"]},
            "context": {"current_focus": ["d"]},
            "current_focus": ["e"],
        }
    )
    assert normalized["personality"]["communicationStyle"] == {
        "tone": ["calm"],
        "verbosity": "terse",
    }
    assert [v["value"] for v in normalized["values"]["core"]] == ["honesty"]
    assert [g["goal"] for g in normalized["goals"]["shortTerm"]] == ["a"]
    assert [g["goal"] for g in normalized["goals"]["midTerm"]] == ["b"]
    assert normalized["goals"]["longTerm"] == [{"goal": "c", "status": "aspirational"}]
    assert normalized["context"]["currentFocus"] == ["d", "e"]
    assert "current_focus" not in normalized
    assert "communication_style" not in normalized["personality"]


def test_canonical_key_wins_over_its_snake_case_twin() -> None:
    normalized = normalize_persona(
        {
            "personality": {
                "communicationStyle": {"verbosity": "concise"},
                "communication_style": {"verbosity": "moderate", "humor": "dry"},
            },
            "values": {"core": [{"value": "Honesty", "priority": 1}], "core_values": ["honesty"]},
        }
    )
    style = normalized["personality"]["communicationStyle"]
    assert style["verbosity"] == "concise"
    assert style["humor"] == "dry"
    assert normalized["values"]["core"] == [{"value": "Honesty", "priority": 1}]


def test_reset_default_tree_is_read_as_far_as_it_maps() -> None:
    normalized = normalize_persona(RESET_DEFAULT)
    personality = normalized["personality"]
    assert personality["traits"] == dict.fromkeys(
        ["openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"], 0.5
    )
    assert personality["communicationStyle"] == {
        "formality": "balanced",
        "verbosity": "moderate",
        "humor": "occasional",
        "directness": "balanced",
        "emotionalExpression": "moderate",
        "tone": [],
    }
    assert personality["interests"] == ["chess", "history"]
    assert normalized["interests"] == {"skills": ["SQL"]}
    assert normalized["values"]["core"] == [{"value": "honesty", "description": "", "priority": 1}]
    assert normalized["values"]["ethical_principles"] == []
    assert normalized["goals"]["shortTerm"] == [{"goal": "Finish the thesis", "status": "active"}]
    assert normalized["goals"]["longTerm"] == [{"goal": "Sail", "status": "aspirational"}]
    assert normalized["context"]["projects"] == ["thesis"]
    assert normalized["context"]["daily_routine"] == ""
    # Kept as they were: no canonical home.
    assert normalized["metadata"] == RESET_DEFAULT["metadata"]
    assert normalized["identity"]["pronouns"] == []
    assert personality["cognitive_patterns"] == {"decision_making": "balanced"}


@pytest.mark.parametrize(
    "legacy",
    [GENERATOR_OUTPUT, RESET_DEFAULT, {}, {"background": "x", "currentFocus": "y"}],
    ids=["generator-output", "reset-default", "empty", "strings"],
)
def test_normalize_is_idempotent(legacy: dict[str, Any]) -> None:
    once = normalize_persona(legacy)
    assert normalize_persona(once) == once


def test_normalize_is_idempotent_on_the_canonical_fixture() -> None:
    once = normalize_persona(metahuman_core())
    assert normalize_persona(once) == once


# ---------------------------------------------------------------------------------------------
# Corrupt shapes


@pytest.mark.parametrize(
    ("data", "where", "expected", "found"),
    [
        ({"values": {"core": 3}}, "/values/core", "expected a list of values", "found 3"),
        (
            {"personality": {"traits": {"openness": "high"}}},
            "/personality/traits/openness",
            "expected a number",
            'found "high"',
        ),
        (
            {"personality": {"traits": {"neuroticism": 1.5}}},
            "/personality/traits/neuroticism",
            "less than or equal to 1",
            "found 1.5",
        ),
        (
            {"personality": {"traits": {"openness": 75}}},
            "/personality/traits/openness",
            "less than or equal to 1",
            "found 75",
        ),
        (
            {"personality": {"traits": {"openness": True}}},
            "/personality/traits/openness",
            "expected a number",
            "found true",
        ),
        (
            {"personality": {"bigFive": {"openness": 150}}},
            "/personality/bigFive/openness",
            "a number from 0 to 100",
            "found 150",
        ),
        ({"personality": "curious"}, "/personality", "an object", 'found "curious"'),
        ({"goals": ["ship"]}, "/goals", "{shortTerm, midTerm, longTerm}", 'found ["ship"]'),
        ({"goals": {"shortTerm": [7]}}, "/goals/shortTerm/0", "a goal", "found 7"),
        ({"goals": {"midTerm": [{"goal": " "}]}}, "/goals/midTerm/0/goal", "non-empty", '" "'),
        (
            {"values": {"core": [{"description": "no value"}]}},
            "/values/core/0",
            "the key 'value'",
            "no value",
        ),
        (
            {"values": {"core": [{"value": "x", "priority": "1"}]}},
            "/values/core/0/priority",
            "",
            '"1"',
        ),
        ({"values": 4}, "/values", "an object", "found 4"),
        ({"context": {"projects": [3]}}, "/context/projects/0", "a project", "found 3"),
        ({"context": {"currentFocus": {"a": 1}}}, "/context/currentFocus", "a list", '{"a": 1}'),
        ({"background": 12}, "/background", "an object", "found 12"),
        ({"identity": {"name": 3}}, "/identity/name", "a string", "found 3"),
        ({"lastUpdated": 20251115}, "/lastUpdated", "a string", "found 20251115"),
        ({"decisionHeuristics": "ask"}, "/decisionHeuristics", "a list", '"ask"'),
        (
            {"x-personagen": {"schemaVersion": 1, "items": [{"path": "/a"}]}},
            "/x-personagen/items/0",
            "",
            "",
        ),
    ],
)
def test_impossible_shape_is_corrupt_file_naming_path_expected_and_found(
    data: dict[str, Any], where: str, expected: str, found: str
) -> None:
    with pytest.raises(CorruptFile) as caught:
        normalize_persona(data, source="alice/core.json")
    message = caught.value.message
    assert message.startswith(f"alice/core.json: {where}")
    assert expected in message
    assert found in message


def test_reset_tree_traits_above_100_are_corrupt() -> None:
    broken = copy.deepcopy(RESET_DEFAULT)
    broken["personality"]["traits"]["openness"] = 250
    with pytest.raises(
        CorruptFile, match=r"/personality/traits/openness: expected a number from 0"
    ):
        normalize_persona(broken)


def test_top_level_array_is_corrupt() -> None:
    with pytest.raises(CorruptFile, match=r"core.json: /: expected a JSON object, found \[\]"):
        normalize_persona([])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Text in and out


def test_parse_persona_reports_where_the_json_breaks() -> None:
    with pytest.raises(CorruptFile, match=r"core.json: not valid JSON at line 2, column 1"):
        parse_persona('{"version": "1.0.0",\n}')


def test_parse_persona_normalizes() -> None:
    assert parse_persona(json.dumps(GENERATOR_OUTPUT)) == normalize_persona(GENERATOR_OUTPUT)


def test_dump_persona_is_indented_utf8_with_trailing_newline() -> None:
    core = metahuman_core()
    text = dump_persona(core)
    assert text.endswith("}\n")
    assert '\n  "identity": {\n    "name": "Ada",' in text
    assert "🌿" in text
    assert json.loads(text) == core


def test_item_identity_ignores_case_and_whitespace_and_item_shape() -> None:
    assert item_identity(" Honesty ") == item_identity("honesty")
    assert item_identity({"value": "HONESTY", "priority": 1}) == item_identity("honesty")
    assert item_identity({"goal": "ship  it"}) == item_identity("Ship it")
    assert item_identity({"name": "garden app"}) == item_identity("Garden App")
    assert item_identity({"signal": "a"}) != item_identity({"signal": "b"})
    assert item_identity(1) != item_identity("1")


# ---------------------------------------------------------------------------------------------
# Property: any readable variant normalizes idempotently and keeps what it does not know

_word = st.sampled_from(["a", "A ", "b", "c d"])
_words = st.lists(_word, max_size=3) | _word
_goal_entry = _word | st.fixed_dictionaries({"goal": _word}, optional={"status": _word})
_value_entry = _word | st.fixed_dictionaries(
    {"value": _word}, optional={"priority": st.integers(0, 3)}
)
_legacy = st.fixed_dictionaries(
    {},
    optional={
        "personality": st.fixed_dictionaries(
            {},
            optional={
                "bigFive": st.dictionaries(
                    st.sampled_from(["openness", "extraversion", "note"]),
                    st.integers(0, 100),
                ),
                "traits": st.dictionaries(
                    st.sampled_from(["openness", "agreeableness"]), st.floats(0, 1)
                ),
                "communication_style": st.fixed_dictionaries({}, optional={"tone": _words}),
                "interests": _words,
            },
        ),
        "values": st.lists(_value_entry, max_size=3)
        | st.fixed_dictionaries(
            {},
            optional={
                "core": st.lists(_value_entry, max_size=3),
                "core_values": st.lists(_value_entry, max_size=3),
                "boundaries": _words,
            },
        ),
        "goals": st.fixed_dictionaries(
            {},
            optional={
                key: st.lists(_goal_entry, max_size=3) | _word
                for key in ["shortTerm", "short_term", "midTerm", "longTerm", "aspirations"]
            },
        ),
        "context": st.fixed_dictionaries(
            {}, optional={"current_focus": _words, "currentFocus": _words, "extra": _words}
        ),
        "currentFocus": _words,
        "background": _word | st.fixed_dictionaries({"narrative": _word}),
        "x-unknown": st.lists(st.integers() | st.none(), max_size=2),
    },
)


@settings(max_examples=200, deadline=None)
@given(data=_legacy)
def test_every_legacy_variant_normalizes_idempotently(data: dict[str, Any]) -> None:
    once = normalize_persona(data)
    assert normalize_persona(once) == once
    assert "currentFocus" not in once
    assert "bigFive" not in once["personality"] or "note" in once["personality"]["bigFive"]
    if "x-unknown" in data:
        assert once["x-unknown"] == data["x-unknown"]
