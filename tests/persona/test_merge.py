"""draft_to_patch(), propose() under each strategy, and apply_changes() of a reviewed subset."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from server.errors import ValidationError
from server.persona.diff import diff
from server.persona.draft import GoalItem, PersonaDraft, TextItem, TraitItem, ValueItem
from server.persona.merge import (
    OWNED_SECTIONS,
    STRATEGIES,
    STRATEGY_DESCRIPTIONS,
    Strategy,
    apply_changes,
    draft_to_patch,
    iso_utc,
    propose,
)
from server.persona.schema import normalize_persona
from tests.persona import NOW, NOW_TEXT, UNKNOWN_TOP_LEVEL, interview_draft, metahuman_core


def _text(text: str) -> TextItem:
    return TextItem(text=text, evidence=("q1",), confidence=0.8)


def _records(persona: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = persona["x-personagen"]["items"]
    return items


def _keys(persona: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["path"], r["key"]) for r in _records(persona)}


# ---------------------------------------------------------------------------------------------
# draft_to_patch


def test_patch_puts_each_draft_section_in_its_canonical_place() -> None:
    patch = draft_to_patch(interview_draft(), "s1")
    assert patch["values"]["core"][1] == {
        "value": "curiosity",
        "name": "curiosity",
        "description": "Following questions wherever they lead.",
    }
    assert patch["values"]["boundaries"] == ["No work on Sundays"]
    assert patch["goals"] == {
        "shortTerm": [{"goal": "ship v1 of the garden app", "status": "active"}],
        "midTerm": [{"goal": "Run a marathon", "status": "active"}],
        "longTerm": [{"goal": "Write a book", "status": "aspirational"}],
    }
    assert patch["personality"] == {
        "traits": {"openness": 0.82},
        "communicationStyle": {"tone": ["Warm", "playful"], "verbosity": "concise"},
        "interests": ["ai safety", "bouldering"],
    }
    assert patch["context"] == {
        "domains": ["gardening"],
        "projects": [
            {"name": "garden app", "status": "active", "summary": ""},
            {"name": "persona tool", "status": "active", "summary": ""},
        ],
        "currentFocus": ["Marathon training"],
    }
    assert patch["background"] == {
        "keyExperiences": ["First job at a bakery"],
        "narrative": "Raised by my grandmother; I learned to build things early.",
    }


def test_patch_values_carry_name_equal_to_value() -> None:
    patch = draft_to_patch(interview_draft(), "s1")
    assert all(v["name"] == v["value"] for v in patch["values"]["core"])


def test_special_category_items_are_left_out_with_their_evidence() -> None:
    patch = draft_to_patch(interview_draft(), "s1")
    assert "faith" not in str(patch)
    assert "Therapy" not in str(patch)
    assert all(r["sensitivity"] != "special_category" for r in patch["x-personagen"]["items"])


def test_patch_extension_has_one_record_per_written_item() -> None:
    patch = draft_to_patch(interview_draft(), "s1")
    extension = patch["x-personagen"]
    assert extension["schemaVersion"] == 1
    assert extension["sessions"] == ["s1"]
    assert len(extension["items"]) == 18
    assert extension["items"][0] == {
        "path": "/personality/traits",
        "key": "openness",
        "setTo": 0.82,
        "session": "s1",
        "evidence": ["q3"],
        "confidence": 0.4,
        "sensitivity": "none",
        "source": "builtin",
    }
    curiosity = next(r for r in extension["items"] if r["key"] == "curiosity")
    assert curiosity["path"] == "/values/core"
    assert curiosity["evidence"] == ["q1", "q3"]


def test_draft_duplicates_are_written_once_but_each_keeps_its_record() -> None:
    draft = PersonaDraft(interests=(_text("Chess"), _text("chess "), _text("go")))
    patch = draft_to_patch(draft, "s1")
    assert patch["personality"]["interests"] == ["Chess", "go"]
    assert len(patch["x-personagen"]["items"]) == 3


def test_stated_priority_is_kept_in_the_patch() -> None:
    draft = PersonaDraft(
        values=(ValueItem(value="care", priority=4, evidence=("q1",), confidence=0.5),)
    )
    assert draft_to_patch(draft, "s1")["values"]["core"][0]["priority"] == 4


def test_empty_draft_gives_an_empty_patch() -> None:
    assert draft_to_patch(PersonaDraft(), "s1") == {}


def test_blank_session_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="session id"):
        draft_to_patch(interview_draft(), "  ")


# ---------------------------------------------------------------------------------------------
# propose: common to every strategy


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_unknown_keys_survive_every_strategy(strategy: Strategy) -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", strategy, NOW)
    for key, value in UNKNOWN_TOP_LEVEL.items():
        assert proposed[key] == value
    assert proposed["context"]["x-weather"] == {"city": None}
    assert proposed["personality"]["narrativeStyle"] == "understates achievements"
    assert proposed["personality"]["communicationStyle"]["humor"] == "dry"
    assert proposed["personality"]["communicationStyle"]["emphasis"] == "clarity and usefulness"
    assert proposed["personality"]["traits"]["notes"] == "self-rated, 2025"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_identity_version_heuristics_and_writing_style_are_never_touched(
    strategy: Strategy,
) -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", strategy, NOW)
    for key in ("identity", "version", "decisionHeuristics", "writingStyle"):
        assert proposed[key] == core[key]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_special_category_items_never_reach_the_persona(strategy: Strategy) -> None:
    proposed = propose(metahuman_core(), interview_draft(), "s1", strategy, NOW)
    assert "faith" not in str(proposed)
    assert "Therapy" not in str(proposed)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_proposal_is_canonical_and_stamped_with_now_in_utc(strategy: Strategy) -> None:
    proposed = propose(metahuman_core(), interview_draft(), "s1", strategy, NOW)
    assert normalize_persona(proposed) == proposed
    assert proposed["lastUpdated"] == NOW_TEXT


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_applying_every_change_of_a_proposal_gives_the_proposal(strategy: Strategy) -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", strategy, NOW)
    changes = diff(core, proposed)
    assert apply_changes(core, changes, [c.id for c in changes]) == proposed


def test_draft_that_changes_nothing_keeps_last_updated() -> None:
    core = metahuman_core()
    assert propose(core, PersonaDraft(), "s1", "merge", NOW) == normalize_persona(core)


def test_legacy_file_is_written_back_canonical() -> None:
    legacy = metahuman_core()
    legacy["personality"]["bigFive"] = {"openness": 10, "extraversion": 90}
    legacy["currentFocus"] = "Job search"
    legacy["background"] = "Short story."
    proposed = propose(legacy, interview_draft(), "s1", "merge", NOW)
    assert "bigFive" not in proposed["personality"]
    assert "currentFocus" not in proposed
    assert proposed["context"]["currentFocus"][-2:] == ["Job search", "Marathon training"]
    assert proposed["personality"]["traits"]["extraversion"] == 0.4  # existing trait won


def test_now_in_another_timezone_is_written_in_utc() -> None:
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    assert iso_utc(tokyo) == NOW_TEXT
    assert iso_utc(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000Z"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        propose(metahuman_core(), interview_draft(), "s1", "merge", datetime(2026, 1, 1))


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValidationError, match="expected one of merge, replace, append"):
        propose(metahuman_core(), interview_draft(), "s1", "overwrite", NOW)  # type: ignore[arg-type]


def test_strategy_descriptions_are_one_line_each() -> None:
    assert set(STRATEGY_DESCRIPTIONS) == set(STRATEGIES) == {"merge", "replace", "append"}
    assert all(text and "\n" not in text for text in STRATEGY_DESCRIPTIONS.values())


# ---------------------------------------------------------------------------------------------
# merge


def test_merge_keeps_matched_goal_with_its_id_status_and_approval() -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", "merge", NOW)
    assert proposed["goals"]["shortTerm"] == core["goals"]["shortTerm"]


def test_merge_keeps_matched_value_fields_and_only_fills_gaps() -> None:
    core = metahuman_core()
    draft = PersonaDraft(
        values=(
            ValueItem(value="HONESTY", description="x", priority=9, evidence=("q1",), confidence=1),
            ValueItem(
                value="autonomy", description="Deciding for myself.", evidence=("q2",), confidence=1
            ),
        )
    )
    honesty, autonomy = propose(core, draft, "s1", "merge", NOW)["values"]["core"]
    assert honesty == {**core["values"]["core"][0], "name": "honesty"}
    assert autonomy == {
        **core["values"]["core"][1],
        "description": "Deciding for myself.",
        "name": "autonomy",
    }


def test_merge_appends_new_items_after_existing_ones() -> None:
    proposed = propose(metahuman_core(), interview_draft(), "s1", "merge", NOW)
    assert [g["goal"] for g in proposed["goals"]["midTerm"]] == ["Learn Rust", "Run a marathon"]
    assert proposed["personality"]["interests"] == ["AI safety", "woodworking", "bouldering"]
    assert proposed["personality"]["communicationStyle"]["tone"] == ["direct", "warm", "playful"]
    assert proposed["context"]["projects"][1] == "home server"
    assert proposed["context"]["projects"][2] == {
        "name": "persona tool",
        "status": "active",
        "summary": "",
    }


def test_merge_ranks_a_new_value_without_priority_after_the_others() -> None:
    curiosity = propose(metahuman_core(), interview_draft(), "s1", "merge", NOW)["values"]["core"][
        2
    ]
    assert curiosity["value"] == "curiosity"
    assert curiosity["priority"] == 3


def test_merge_replaces_scalars_the_draft_provides() -> None:
    proposed = propose(metahuman_core(), interview_draft(), "s1", "merge", NOW)
    assert proposed["personality"]["traits"]["openness"] == 0.82
    assert proposed["personality"]["communicationStyle"]["verbosity"] == "concise"
    assert proposed["background"]["narrative"].startswith("Raised by my grandmother")


def test_merge_changes_nothing_the_draft_does_not_mention() -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", "merge", NOW)
    assert proposed["personality"]["archetypes"] == core["personality"]["archetypes"]
    assert proposed["personality"]["traits"]["neuroticism"] == 0.3
    assert proposed["values"]["core"][1] == core["values"]["core"][1]
    assert proposed["background"]["formativeEvents"] == []


# ---------------------------------------------------------------------------------------------
# replace


def test_owned_sections_are_published() -> None:
    assert OWNED_SECTIONS == (
        "personality.communicationStyle.tone",
        "personality.interests",
        "values.core",
        "values.boundaries",
        "goals.shortTerm",
        "goals.midTerm",
        "goals.longTerm",
        "context.domains",
        "context.projects",
        "context.currentFocus",
        "background.keyExperiences",
        "personality.traits.openness",
        "personality.traits.conscientiousness",
        "personality.traits.extraversion",
        "personality.traits.agreeableness",
        "personality.traits.neuroticism",
        "personality.communicationStyle.verbosity",
        "background.narrative",
    )


def test_replace_makes_values_exactly_the_drafts_values() -> None:
    proposed = propose(metahuman_core(), interview_draft(), "s1", "replace", NOW)
    assert proposed["values"]["core"] == [
        {
            "value": "Honesty",
            "name": "Honesty",
            "description": "Telling the truth even when it costs me.",
            "priority": 1,
        },
        {
            "value": "curiosity",
            "name": "curiosity",
            "description": "Following questions wherever they lead.",
            "priority": 2,
        },
    ]


def test_replace_keeps_goal_buckets_the_draft_says_nothing_about() -> None:
    core = metahuman_core()
    draft = PersonaDraft(
        goals=(GoalItem(goal="Run a marathon", horizon="midTerm", evidence=("q4",), confidence=1),)
    )
    proposed = propose(core, draft, "s1", "replace", NOW)
    assert proposed["goals"]["midTerm"] == [{"goal": "Run a marathon", "status": "active"}]
    assert proposed["goals"]["shortTerm"] == core["goals"]["shortTerm"]
    assert proposed["goals"]["longTerm"] == core["goals"]["longTerm"]


def test_replace_leaves_sections_without_draft_content_alone() -> None:
    core = metahuman_core()
    draft = PersonaDraft(domains=(_text("music"),))
    proposed = propose(core, draft, "s1", "replace", NOW)
    assert proposed["context"]["domains"] == ["music"]
    without = {
        k: v for k, v in proposed.items() if k not in ("context", "lastUpdated", "x-personagen")
    }
    assert without == {k: v for k, v in core.items() if k not in ("context", "lastUpdated")}
    assert proposed["context"]["projects"] == core["context"]["projects"]


def test_replace_sets_only_the_traits_the_draft_scores() -> None:
    core = metahuman_core()
    draft = PersonaDraft(
        traits=(TraitItem(trait="extraversion", score=0.1, evidence=("q1",), confidence=0.3),)
    )
    traits = propose(core, draft, "s1", "replace", NOW)["personality"]["traits"]
    assert traits == {**core["personality"]["traits"], "extraversion": 0.1}


# ---------------------------------------------------------------------------------------------
# append


def _assert_only_additions(before: Any, after: Any, where: str = "") -> None:
    if isinstance(before, dict):
        assert isinstance(after, dict), where
        for key, value in before.items():
            assert key in after, f"{where}/{key} was removed"
            _assert_only_additions(value, after[key], f"{where}/{key}")
    elif isinstance(before, list):
        assert after[: len(before)] == before, f"{where} was modified"
    elif before not in (None, ""):
        assert after == before, f"{where} was modified"


def test_append_never_modifies_or_removes_anything() -> None:
    core = normalize_persona(metahuman_core())
    proposed = propose(core, interview_draft(), "s1", "append", NOW)
    _assert_only_additions({k: v for k, v in core.items() if k != "lastUpdated"}, proposed)
    assert proposed["values"]["core"][0] == core["values"]["core"][0]  # no "name" added
    assert proposed["personality"]["traits"]["openness"] == 0.75
    assert proposed["personality"]["communicationStyle"]["verbosity"] == "balanced"


def test_append_diff_only_adds() -> None:
    core = metahuman_core()
    changes = diff(core, propose(core, interview_draft(), "s1", "append", NOW))
    assert {c.kind for c in changes} == {"add"}


def test_append_writes_scalars_only_where_missing_or_empty() -> None:
    core = metahuman_core()
    del core["personality"]["traits"]["openness"]
    core["personality"]["communicationStyle"]["verbosity"] = ""
    proposed = propose(core, interview_draft(), "s1", "append", NOW)
    assert proposed["personality"]["traits"]["openness"] == 0.82
    assert proposed["personality"]["communicationStyle"]["verbosity"] == "concise"
    assert proposed["background"]["narrative"] == core["background"]["narrative"]


def test_append_adds_new_items_not_already_present() -> None:
    proposed = propose(metahuman_core(), interview_draft(), "s1", "append", NOW)
    assert proposed["values"]["boundaries"] == ["No deceptive communication", "No work on Sundays"]
    assert [v["value"] for v in proposed["values"]["core"]] == ["honesty", "autonomy", "curiosity"]
    assert proposed["personality"]["interests"] == ["AI safety", "woodworking", "bouldering"]


# ---------------------------------------------------------------------------------------------
# The extension key


def test_records_are_kept_only_for_items_that_landed() -> None:
    appended = propose(metahuman_core(), interview_draft(), "s1", "append", NOW)
    keys = _keys(appended)
    assert ("/personality/communicationStyle", "verbosity") not in keys  # not written
    assert ("/personality/traits", "openness") not in keys
    assert ("/values/core", "Honesty") in keys  # already there: the interview supports it
    assert ("/values/core", "curiosity") in keys


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_extension_accumulates_sessions_and_records(strategy: Strategy) -> None:
    first = propose(metahuman_core(), interview_draft(), "s1", "merge", NOW)
    draft = PersonaDraft(interests=(_text("sailing"),))
    second = propose(first, draft, "s2", strategy, NOW + timedelta(days=1))
    assert second["x-personagen"]["sessions"] == ["s1", "s2"]
    assert _records(second)[: len(_records(first))] == _records(first)
    assert _records(second)[-1]["key"] == "sailing"


def test_proposing_the_same_session_twice_adds_no_duplicate_records() -> None:
    once = propose(metahuman_core(), interview_draft(), "s1", "merge", NOW)
    twice = propose(once, interview_draft(), "s1", "merge", NOW)
    assert twice == once


def test_unknown_keys_inside_the_extension_are_kept() -> None:
    core = metahuman_core()
    core["x-personagen"] = {"schemaVersion": 1, "sessions": [], "items": [], "future": {"a": 1}}
    proposed = propose(core, interview_draft(), "s1", "merge", NOW)
    assert proposed["x-personagen"]["future"] == {"a": 1}


# ---------------------------------------------------------------------------------------------
# apply_changes: a reviewed subset


def test_deselected_value_is_not_added_and_loses_its_record() -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", "merge", NOW)
    changes = diff(core, proposed)
    skip = next(c for c in changes if c.summary == "Add value “curiosity”")
    applied = apply_changes(core, changes, [c.id for c in changes if c is not skip])
    assert [v["value"] for v in applied["values"]["core"]] == ["honesty", "autonomy"]
    assert ("/values/core", "curiosity") not in _keys(applied)
    assert ("/values/boundaries", "No work on Sundays") in _keys(applied)
    assert normalize_persona(applied) == applied


def test_deselected_score_keeps_the_old_score_and_drops_its_record() -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", "merge", NOW)
    changes = diff(core, proposed)
    skip = next(c for c in changes if c.path == "/personality/traits/openness")
    applied = apply_changes(core, changes, [c.id for c in changes if c is not skip])
    assert applied["personality"]["traits"]["openness"] == 0.75
    assert ("/personality/traits", "openness") not in _keys(applied)


def test_deselected_goal_merge_keeps_metadata_either_way() -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", "replace", NOW)
    changes = diff(core, proposed)
    skip = next(c for c in changes if c.section == "goals.shortTerm")
    applied = apply_changes(core, changes, [c.id for c in changes if c is not skip])
    assert applied["goals"]["shortTerm"] == core["goals"]["shortTerm"]


def test_applying_only_the_bookkeeping_row_records_nothing_unapplied() -> None:
    core = metahuman_core()
    changes = diff(core, propose(core, interview_draft(), "s1", "merge", NOW))
    [bookkeeping] = [c for c in changes if c.section == "x-personagen"]
    applied = apply_changes(core, changes, [bookkeeping.id])
    # Only records whose items were already in the persona (corroborated) remain.
    assert _keys(applied) == {
        ("/personality/communicationStyle/tone", "Warm"),
        ("/personality/interests", "ai safety"),
        ("/values/core", "Honesty"),
        ("/goals/shortTerm", "ship v1 of the garden app"),
        ("/context/projects", "garden app"),
    }


def test_selected_as_one_string_is_refused() -> None:
    core = metahuman_core()
    changes = diff(core, propose(core, interview_draft(), "s1", "merge", NOW))
    with pytest.raises(ValidationError, match="collection of change ids"):
        apply_changes(core, changes, changes[0].id)


def test_apply_does_not_modify_its_arguments() -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", "merge", NOW)
    changes = diff(core, proposed)
    snapshot = (copy.deepcopy(core), [c.model_copy(deep=True) for c in changes])
    applied = apply_changes(core, changes, [c.id for c in changes])
    applied["values"]["core"][0]["value"] = "mutated"
    assert (core, changes) == snapshot


# ---------------------------------------------------------------------------------------------
# Properties over generated drafts

_WORDS = ["Honesty", "honesty ", "care", "chess", "Ship v1 of the garden app", "gardening", "x y"]
_evidence = st.lists(st.sampled_from(["q1", "q2", "q3"]), min_size=1, max_size=2).map(tuple)
_sensitivity = st.sampled_from(["none", "personal", "special_category"])


def _items(build: Any) -> Any:
    return st.lists(build, max_size=3).map(tuple)


_text_item = st.builds(
    TextItem,
    text=st.sampled_from(_WORDS),
    evidence=_evidence,
    confidence=st.floats(0, 1),
    sensitivity=_sensitivity,
)
_drafts = st.builds(
    PersonaDraft,
    values=_items(
        st.builds(
            ValueItem,
            value=st.sampled_from(_WORDS),
            description=st.sampled_from(["", "d"]),
            priority=st.none() | st.integers(1, 5),
            evidence=_evidence,
            confidence=st.floats(0, 1),
            sensitivity=_sensitivity,
        )
    ),
    goals=_items(
        st.builds(
            GoalItem,
            goal=st.sampled_from(_WORDS),
            horizon=st.sampled_from(["shortTerm", "midTerm", "longTerm"]),
            evidence=_evidence,
            confidence=st.floats(0, 1),
        )
    ),
    traits=_items(
        st.builds(
            TraitItem,
            trait=st.sampled_from(["openness", "extraversion"]),
            score=st.floats(0, 1),
            evidence=_evidence,
            confidence=st.floats(0, 1),
        )
    ),
    tone=_items(_text_item),
    verbosity=st.none() | _text_item,
    interests=_items(_text_item),
    projects=_items(_text_item),
    narrative=st.none() | _text_item,
    boundaries=_items(_text_item),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draft=_drafts, strategy=st.sampled_from(STRATEGIES), legacy=st.booleans())
def test_every_proposal_is_canonical_reviewable_and_stable(
    draft: PersonaDraft, strategy: Strategy, legacy: bool
) -> None:
    core = metahuman_core()
    if legacy:
        core["personality"]["bigFive"] = {"openness": 10}
        core["currentFocus"] = ["Job search"]
    proposed = propose(core, draft, "s1", strategy, NOW)
    assert normalize_persona(proposed) == proposed
    for key, value in UNKNOWN_TOP_LEVEL.items():
        assert proposed[key] == value
    assert "special_category" not in str(proposed)
    changes = diff(core, proposed)
    assert apply_changes(core, changes, [c.id for c in changes]) == proposed
    assert propose(proposed, draft, "s1", strategy, NOW) == proposed  # proposing again: no-op
    if strategy == "append":
        base = normalize_persona(core)
        _assert_only_additions({k: v for k, v in base.items() if k != "lastUpdated"}, proposed)
