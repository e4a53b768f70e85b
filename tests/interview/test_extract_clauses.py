"""The extractor reads clauses, not word lists (examples written for these tests).

Each test is a behaviour a person would notice in their draft: a goal said as an imperative,
a long plan shortened rather than lost, a weekday not taken for a person, what someone is doing
these days, a dated move in their story, and a religious aside held back without losing the
goal it was part of.
"""

from __future__ import annotations

from server.config import Category, default_config
from server.interview.extract_rules import extract_persona
from server.interview.model import ExtractionRequest, Turn
from server.persona.draft import PersonaDraft

CONFIG = default_config()


def read(category: Category, answer: str, question: str = "Tell me more?") -> PersonaDraft:
    turn = Turn("q1", category, question, answer)
    return extract_persona(ExtractionRequest("s", (turn,), CONFIG))


def goals(category: Category, answer: str) -> list[str]:
    return [goal.goal for goal in read(category, answer).goals]


def focus(answer: str, category: Category = "current_focus") -> list[str]:
    return [item.text for item in read(category, answer).current_focus]


# -- goals ------------------------------------------------------------------------------------


def test_goal_frames_beyond_i_want_to() -> None:
    assert goals("goals", "A personal goal is to build a greenhouse from old windows.") == [
        "build a greenhouse from old windows"
    ]
    assert goals("goals", "The big one is to walk the whole Camino with my brother.") == [
        "walk the whole Camino with my brother"
    ]
    assert goals("values", "I'm going to take a pottery course in the spring.") == [
        "take a pottery course in the spring"
    ]
    assert goals("goals", "I'm kind of hoping to switch to part-time work next year.") == [
        "switch to part-time work next year"
    ]


def test_imperatives_and_plans_in_a_goals_answer() -> None:
    assert goals("goals", "Get my pilot's licence before I turn forty.") == [
        "get my pilot's licence before I turn forty"
    ]
    assert goals("goals", "Sell the van and buy a smaller one, that's the plan.") == [
        "sell the van and buy a smaller one"
    ]
    # A noun phrase is not an imperative, and outside a goals answer nothing is read.
    assert goals("goals", "Tax season. Nothing else for now.") == []
    assert goals("biography", "Fix the roof before winter.") == []


def test_a_long_clause_is_shortened_at_a_phrase_boundary_not_dropped() -> None:
    answer = (
        "I want to restore the old narrowboat my uncle left me so that it can go back on the "
        "canal with a new engine and a proper little wood stove in the cabin by next summer."
    )
    (goal,) = goals("goals", answer)
    assert goal.startswith("restore the old narrowboat")
    assert len(goal.split()) <= 14


def test_two_goals_in_one_sentence() -> None:
    found = goals(
        "goals", "I want to learn Portuguese properly, and someday I'd like to live by the sea."
    )
    assert found == ["learn Portuguese properly", "live by the sea"]


def test_god_willing_holds_back_the_aside_and_keeps_the_goal() -> None:
    draft = read(
        "goals",
        "I hope to retire from teaching in four years, God willing, and travel around Japan "
        "by train.",
    )
    kept = {goal.goal: goal.sensitivity for goal in draft.goals}
    assert kept == {
        "retire from teaching in four years": "none",
        "travel around Japan by train": "none",
    }
    held = {(h.item, h.clause) for h in draft.held_back}
    assert ("retire from teaching in four years", "God willing") in held
    assert all("religion" in h.categories for h in draft.held_back)


# -- names ------------------------------------------------------------------------------------


def test_weekdays_months_and_places_are_not_people() -> None:
    assert goals("goals", "I want to teach my niece chess on Saturdays.") == [
        "teach my niece chess on Saturdays"
    ]
    assert goals("goals", "I plan to move to Lisbon in March.") == ["move to Lisbon in March"]
    # A person is still left out.
    assert goals("goals", "I want to visit Marguerite every week.") == []


# -- current focus -----------------------------------------------------------------------------


def test_present_progressive_is_a_current_focus() -> None:
    assert focus("I'm slowly repainting the back porch.") == ["repainting the back porch"]
    assert focus("These days I'm mostly rebuilding an old sewing machine.") == [
        "rebuilding an old sewing machine"
    ]
    # Outside an answer about the present, a time frame is needed.
    assert focus("I'm repainting the back porch.", category="values") == []
    assert focus("Right now I'm repainting the back porch.", category="values") == [
        "repainting the back porch"
    ]
    # Thinking or feeling is not an activity.
    assert focus("I'm feeling a bit tired of it all.") == []


def test_habits_and_fragments_about_the_present() -> None:
    assert focus("These days I coach an under-twelve netball team on Sundays.") == [
        "coaching an under-twelve netball team"
    ]
    assert focus("Learning Welsh on the bus, twenty minutes a day.") == [
        "learning Welsh on the bus"
    ]


def test_a_church_volunteering_focus_is_kept_without_the_church() -> None:
    draft = read("current_focus", "At the moment I volunteer at the church soup kitchen.")
    assert [item.text for item in draft.current_focus] == ["volunteering at the soup kitchen"]
    assert draft.current_focus[0].sensitivity == "none"
    assert [h.clause for h in draft.held_back] == ["church"]


# -- story, style, values, interests ------------------------------------------------------------


def test_dated_and_subjectless_past_events_are_experiences() -> None:
    draft = read(
        "biography",
        "I moved to Winnipeg in 2011 for a job that never happened. Dropped out of college at "
        "nineteen.",
    )
    texts = [item.text for item in draft.key_experiences]
    assert texts == [
        "Moved to Winnipeg in 2011 for a job that never happened.",  # a neutral phrase
        "Dropped out of college at nineteen.",
    ]


def test_style_said_many_ways() -> None:
    def style(answer: str) -> set[str]:
        draft = read("style", answer)
        found = {item.text for item in draft.tone}
        return found | ({draft.verbosity.text} if draft.verbosity else set())

    assert style("People say I go on a bit, and they have a point.") == {"detailed"}
    assert style("Pretty blunt, honestly.") == {"blunt"}
    assert style("I'm a storyteller at heart.") == {"storytelling"}
    assert style("Not formal at all.") == set()


def test_a_value_is_described_by_what_the_person_said_not_an_echo() -> None:
    draft = read("values", "Fairness, mostly. The new hires always got the worst shifts.")
    (value,) = draft.values
    assert value.value == "fairness"
    assert value.description == "The new hires always got the worst shifts."
    (bare,) = read("values", "Loyalty, above all.").values
    assert bare.description == ""


def test_an_interest_is_named_as_an_activity() -> None:
    draft = read("current_focus", "I love to paint, mostly watercolours.")
    assert [item.text for item in draft.interests] == ["painting"]
    draft = read("current_focus", "On weekends I go climbing with friends.")
    assert [item.text for item in draft.interests] == ["climbing"]


def test_what_is_not_an_item() -> None:
    # Someone else's wish, a goal whose object is only "it", a modal "could": nothing.
    assert goals("goals", "My brother says I should open a bike shop.") == []
    assert goals("goals", "I want to finish it before the summer.") == []
    assert read("biography", "Oh, I could talk about this all evening.").key_experiences == ()
    # A remark about the conversation is not what someone is doing these days.
    assert focus("Sorry, I'm rambling about the old days again.") == []
    # Enjoying something is an interest, not a current activity.
    draft = read("current_focus", "I enjoy long walks by the canal with my dog.")
    assert draft.current_focus == ()
    assert [item.text for item in draft.interests] == ["long walks by the canal"]


def test_a_value_in_the_persons_own_words() -> None:
    (value,) = read("values", "What matters most to me is being useful to people.").values
    assert value.value == "being useful to people"
    (value,) = read("values", "Showing up for people is important to me.").values
    assert value.value == "showing up for people"
    assert read("values", "Marguerite is important to me.").values == ()
