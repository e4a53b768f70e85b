"""diff(): item-level rows matched by identity; every row applies on its own."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings, strategies as st

from server.errors import ConflictError, ValidationError
from server.persona.diff import Change, diff
from server.persona.merge import apply_changes, propose
from server.persona.schema import normalize_persona
from tests.persona import NOW, NOW_TEXT, interview_draft, metahuman_core


def _ids(changes: list[Change]) -> list[str]:
    return [change.id for change in changes]


def _with(persona: dict[str, Any], **edits: Any) -> dict[str, Any]:
    out = normalize_persona(persona)
    out.update(edits)
    return out


# ---------------------------------------------------------------------------------------------
# Realistic cases


def test_identical_personas_have_no_changes() -> None:
    core = metahuman_core()
    assert diff(core, normalize_persona(core)) == []


def test_last_updated_alone_is_not_a_change() -> None:
    core = metahuman_core()
    assert diff(core, _with(core, lastUpdated="2030-01-01T00:00:00.000Z")) == []


def test_renamed_value_is_a_remove_and_an_add_not_an_update() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["values"]["core"][1] = {"value": "freedom", "description": "", "priority": 2}
    changes = diff(core, proposed)
    assert [(c.kind, c.path, c.summary) for c in changes] == [
        ("remove", "/values/core/1", "Remove value “autonomy”"),
        ("add", "/values/core/1", "Add value “freedom”"),
    ]
    assert changes[0].old["value"] == "autonomy"
    assert changes[1].new["value"] == "freedom"
    assert {c.section for c in changes} == {"values.core"}


def test_changed_field_of_same_value_is_one_update_of_that_item() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["values"]["core"][1]["description"] = "Deciding for myself."
    [change] = diff(core, proposed)
    assert change.kind == "update"
    assert change.path == "/values/core/1"
    assert change.summary == "Update value “autonomy”: description"
    assert change.old["description"] == ""
    assert change.new["description"] == "Deciding for myself."


def test_identity_ignores_case_and_whitespace() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["personality"]["interests"][0] = "ai   Safety"
    [change] = diff(core, proposed)
    assert change.kind == "update"
    assert change.summary == "Change interest “AI safety” to “ai Safety”"


def test_trait_score_change_points_at_the_trait() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["personality"]["traits"]["openness"] = 0.9
    [change] = diff(core, proposed)
    assert change.path == "/personality/traits/openness"
    assert change.section == "personality.traits"
    assert change.summary == "Change openness from 0.75 to 0.9"


def test_reordered_item_is_a_move_that_applies_alone() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["personality"]["interests"] = ["woodworking", "AI safety"]
    [change] = diff(core, proposed)
    assert change.kind == "update"
    assert change.moved_to is not None
    assert change.summary.startswith("Move interest")
    applied = apply_changes(core, [change], [change.id])
    assert applied["personality"]["interests"] == ["woodworking", "AI safety"]
    assert apply_changes(core, [change], []) == normalize_persona(core)


def test_inserting_at_the_front_moves_nothing() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["personality"]["aesthetic"].insert(0, "wabi-sabi")
    [change] = diff(core, proposed)
    assert (change.kind, change.path, change.moved_to) == ("add", "/personality/aesthetic/0", None)


def test_reversing_three_items_moves_two() -> None:
    core = metahuman_core()
    core["personality"]["archetypes"] = ["gardener", "maker", "teacher"]
    proposed = normalize_persona(core)
    proposed["personality"]["archetypes"].reverse()
    changes = diff(core, proposed)
    assert [c.kind for c in changes] == ["update", "update"]
    assert all(c.moved_to is not None for c in changes)
    only_first = apply_changes(core, changes, [changes[0].id])
    assert sorted(only_first["personality"]["archetypes"]) == ["gardener", "maker", "teacher"]
    assert apply_changes(core, changes, _ids(changes)) == proposed


def test_duplicate_items_pair_up_in_order() -> None:
    core = metahuman_core()
    core["personality"]["aesthetic"] = ["plain", "Plain", "bold"]
    proposed = normalize_persona(core)
    proposed["personality"]["aesthetic"] = ["plain", "bold"]
    [change] = diff(core, proposed)
    assert (change.kind, change.path, change.old) == ("remove", "/personality/aesthetic/1", "Plain")


def test_the_diff_of_a_long_list_is_exact() -> None:
    core = metahuman_core()
    core["personality"]["interests"] = [f"interest {n:04d}" for n in range(3000)]
    proposed = normalize_persona(core)
    interests = proposed["personality"]["interests"]
    del interests[2500]  # remove one near the end
    interests.insert(10, "interest new")  # add one near the front
    interests.append(interests.pop(1001))  # move "interest 1000" to the end
    interests[20] = "Interest 0019"  # the same identity (case-insensitive): a change in place
    changes = diff(core, proposed)
    assert [(c.kind, c.path, c.moved_to) for c in changes] == [
        ("add", "/personality/interests/10", None),
        ("update", "/personality/interests/19", None),
        ("update", "/personality/interests/1000", "/personality/interests/2999"),
        ("remove", "/personality/interests/2500", None),
    ]
    assert apply_changes(core, changes, _ids(changes)) == proposed
    only_the_move = [c.id for c in changes if c.moved_to is not None]
    moved = apply_changes(core, changes, only_the_move)["personality"]["interests"]
    assert moved[-1] == "interest 1000" and len(moved) == 3000


def test_keys_starting_with_dollar_are_diffed_like_any_key() -> None:
    core = metahuman_core()
    proposed = _with(core, **{"$schema": "v2", "$insert": 1})
    changes = diff(core, proposed)
    assert sorted((c.kind, c.path) for c in changes) == [
        ("add", "/$insert"),
        ("update", "/$schema"),
    ]
    assert apply_changes(core, changes, _ids(changes)) == proposed


def test_pointer_tokens_are_escaped() -> None:
    core = metahuman_core()
    proposed = _with(core, **{"a/b~c": {"x": 1}})
    [change] = diff(core, proposed)
    assert change.path == "/a~1b~0c"
    assert apply_changes(core, [change], [change.id]) == proposed


def test_same_diff_twice_has_the_same_ids() -> None:
    core = metahuman_core()
    proposed = propose(core, interview_draft(), "s1", "replace", NOW)
    first, second = diff(core, proposed), diff(copy.deepcopy(core), copy.deepcopy(proposed))
    assert first == second
    assert len(set(_ids(first))) == len(first)
    assert all(len(change_id) == 12 for change_id in _ids(first))


def test_ids_do_not_depend_on_list_positions() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["values"]["boundaries"].append("No calls after 9pm")
    shifted_core = normalize_persona(core)
    shifted_core["values"]["boundaries"].insert(0, "Ask before sharing")
    shifted = copy.deepcopy(shifted_core)
    shifted["values"]["boundaries"].append("No calls after 9pm")
    [plain] = diff(core, proposed)
    [moved] = diff(shifted_core, shifted)
    assert plain.path != moved.path
    assert plain.id == moved.id


def test_changes_are_sorted_by_path() -> None:
    core = metahuman_core()
    changes = diff(core, propose(core, interview_draft(), "s1", "replace", NOW))
    paths = [c.path for c in changes]
    assert paths[0].startswith("/background")
    assert paths[-1] == "/x-personagen"
    positions = [(c.path.rsplit("/", 1)[0], c.path) for c in changes if c.section == "values.core"]
    assert positions == sorted(positions, key=lambda p: int(p[1].rsplit("/", 1)[1]))


def test_every_change_carries_the_proposed_last_updated() -> None:
    core = metahuman_core()
    changes = diff(core, propose(core, interview_draft(), "s1", "merge", NOW))
    assert {c.last_updated for c in changes} == {NOW_TEXT}


def test_changes_are_frozen() -> None:
    core = metahuman_core()
    [change] = diff(core, _with(core, notes="new"))
    with pytest.raises(Exception, match="frozen"):
        change.kind = "remove"  # type: ignore[misc]


def test_diff_is_against_the_normalized_current_persona() -> None:
    legacy = metahuman_core()
    legacy["currentFocus"] = ["Marathon training"]
    proposed = normalize_persona(legacy)
    assert diff(legacy, proposed) == []


def test_non_canonical_proposed_persona_is_refused() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["currentFocus"] = ["x"]
    with pytest.raises(ValidationError, match="canonical"):
        diff(core, proposed)


# ---------------------------------------------------------------------------------------------
# Applying subsets


def test_deselecting_one_added_value_keeps_the_other_additions() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["values"]["core"] += [
        {"value": "curiosity", "name": "curiosity", "description": "", "priority": 3},
        {"value": "patience", "name": "patience", "description": "", "priority": 4},
        {"value": "craft", "name": "craft", "description": "", "priority": 5},
    ]
    changes = diff(core, proposed)
    skip = next(c for c in changes if "patience" in c.summary)
    applied = apply_changes(core, changes, [c.id for c in changes if c is not skip])
    assert [v["value"] for v in applied["values"]["core"]] == [
        "honesty",
        "autonomy",
        "curiosity",
        "craft",
    ]


def test_deselected_removal_keeps_the_item_in_its_old_place() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["context"]["projects"] = ["persona tool"]
    changes = diff(core, proposed)
    keep = next(c for c in changes if c.summary == "Remove project “garden app”")
    applied = apply_changes(core, changes, [c.id for c in changes if c is not keep])
    assert applied["context"]["projects"] == [core["context"]["projects"][0], "persona tool"]


def test_applying_nothing_gives_the_normalized_current_persona() -> None:
    core = metahuman_core()
    core["personality"]["bigFive"] = {"openness": 80}
    changes = diff(core, propose(core, interview_draft(), "s1", "merge", NOW))
    assert apply_changes(core, changes, []) == normalize_persona(core)


def test_applying_any_change_writes_the_proposed_last_updated() -> None:
    core = metahuman_core()
    changes = diff(core, propose(core, interview_draft(), "s1", "merge", NOW))
    applied = apply_changes(core, changes, [changes[0].id])
    assert applied["lastUpdated"] == NOW_TEXT


def test_unknown_change_ids_are_named_in_the_error() -> None:
    core = metahuman_core()
    changes = diff(core, _with(core, notes="new"))
    with pytest.raises(ValidationError) as caught:
        apply_changes(core, changes, [changes[0].id, "nope", "bogus"])
    assert "bogus, nope" in caught.value.message
    assert "this diff has 1 change id" in caught.value.message


def test_changes_from_an_older_persona_raise_conflict() -> None:
    core = metahuman_core()
    proposed = normalize_persona(core)
    proposed["values"]["core"][0]["description"] = "Plain truth."
    changes = diff(core, proposed)
    edited = metahuman_core()
    edited["values"]["core"][0]["description"] = "Edited meanwhile."
    with pytest.raises(ConflictError, match="compute the diff again"):
        apply_changes(edited, changes, _ids(changes))


# ---------------------------------------------------------------------------------------------
# Property: applying every change of diff(current, proposed) gives proposed


_TEXTS = ["a", "A", "b", " b ", "c", "Cc", "d e", "D  E", "é"]
_KEYS = ["k", "$k", "$insert", "a/b", "~", "value", "name"]

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.sampled_from(_TEXTS),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3)
    ),
    max_leaves=6,
)
_text = st.sampled_from(_TEXTS)
_texts = st.lists(_text, max_size=4)


@st.composite
def _value(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"value": draw(_text)}
    if draw(st.booleans()):
        item["description"] = draw(_text)
    if draw(st.booleans()):
        item["priority"] = draw(st.integers(0, 4))
    if draw(st.booleans()):
        item["extra"] = draw(_json)
    return item


@st.composite
def _goal(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"goal": draw(_text), "status": draw(st.sampled_from(["active", "x"]))}
    if draw(st.booleans()):
        item["id"] = draw(st.sampled_from(["g1", "g2"]))
    return item


_project = st.one_of(
    _text, st.fixed_dictionaries({"name": _text}, optional={"status": _text, "summary": _text})
)


@st.composite
def _persona(draw: st.DrawFn) -> dict[str, Any]:
    traits: dict[str, Any] = draw(
        st.dictionaries(
            st.sampled_from(["openness", "neuroticism", "notes"]),
            st.floats(0, 1, width=32) | st.none(),
            max_size=3,
        )
    )
    if "notes" in traits:
        traits["notes"] = "n"
    data: dict[str, Any] = {
        "version": draw(st.sampled_from(["1.0.0", "0.2.0"])),
        "identity": {"name": draw(_text), "role": "r", "purpose": "p"},
        "personality": {
            "communicationStyle": {"tone": draw(_texts)},
            "traits": traits,
            "interests": draw(_texts),
        },
        "values": {"core": draw(st.lists(_value(), max_size=4)), "boundaries": draw(_texts)},
        "goals": {
            "shortTerm": draw(st.lists(_goal(), max_size=3)),
            "longTerm": draw(st.lists(_goal(), max_size=2)),
        },
        "context": {"projects": draw(st.lists(_project, max_size=3)), "domains": draw(_texts)},
        "decisionHeuristics": draw(st.lists(_json, max_size=2)),
    }
    if draw(st.booleans()):
        data["lastUpdated"] = draw(st.sampled_from(["2025-01-01T00:00:00.000Z", NOW_TEXT]))
    if draw(st.booleans()):
        data["personality"]["communicationStyle"]["verbosity"] = draw(_text)
    for key in draw(st.lists(st.sampled_from([*_KEYS, "$schema", "x-other"]), max_size=2)):
        data[key] = draw(_json)
    if draw(st.booleans()):
        data["context"]["x-nested"] = draw(_json)
    return normalize_persona(data)


def _mutate(data: st.DataObject, persona: dict[str, Any]) -> dict[str, Any]:
    """A proposed persona that shares many items with ``persona``."""
    out = copy.deepcopy(persona)
    for holder, key in [
        (out["values"], "core"),
        (out["values"], "boundaries"),
        (out["goals"], "shortTerm"),
        (out["personality"], "interests"),
        (out["context"], "projects"),
    ]:
        items = holder[key]
        kept = data.draw(st.permutations(items)) if items else []
        kept = kept[: data.draw(st.integers(0, len(kept)))] if data.draw(st.booleans()) else kept
        new = (
            data.draw(st.lists(_value(), max_size=2))
            if key == "core"
            else data.draw(st.lists(_goal(), max_size=2))
            if key == "shortTerm"
            else data.draw(st.lists(_text, max_size=2))
        )
        holder[key] = list(kept) + new
    if data.draw(st.booleans()):
        out["personality"]["traits"]["openness"] = data.draw(st.floats(0, 1, width=32))
    if data.draw(st.booleans()):
        out.pop(data.draw(st.sampled_from(sorted(out))), None)
    return out


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # The "explain" phase traces every line and is very slow on Python 3.11.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
@given(current=_persona(), data=st.data())
def test_applying_every_change_gives_the_proposed_persona(
    current: dict[str, Any], data: st.DataObject
) -> None:
    if data.draw(st.booleans()):
        proposed = data.draw(_persona())
    else:
        proposed = normalize_persona(_mutate(data, current))
    changes = diff(current, proposed)
    event(f"kinds: {sorted({c.kind for c in changes})}")
    event(f"has a move: {any(c.moved_to for c in changes)}")
    assert diff(current, proposed) == changes  # stable ids
    assert len(set(_ids(changes))) == len(changes)
    everything = apply_changes(current, changes, _ids(changes))
    if changes:
        assert everything == proposed
    else:
        strip = {k: v for k, v in proposed.items() if k != "lastUpdated"}
        assert {k: v for k, v in everything.items() if k != "lastUpdated"} == strip
    assert apply_changes(current, changes, []) == normalize_persona(current)

    subset = data.draw(st.lists(st.sampled_from(_ids(changes)), unique=True)) if changes else []
    partial = apply_changes(current, changes, subset)
    assert normalize_persona(partial) == partial  # canonical
    rest = diff(partial, proposed)
    assert apply_changes(partial, rest, _ids(rest)) == (proposed if rest else partial)
