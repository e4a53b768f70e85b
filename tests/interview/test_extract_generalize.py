"""Extraction for people unlike the ones the rules were first written for (examples written
for these tests): fragments and noun phrases, non-native word order and tense, indirect values,
style said in many ways, and places that are not people.
"""

from __future__ import annotations

from server.config import Category, default_config
from server.interview.extract_rules import extract_persona
from server.interview.model import ExtractionRequest, Turn
from server.persona.draft import PersonaDraft

CONFIG = default_config()


def read(category: Category, answer: str) -> PersonaDraft:
    turn = Turn("q1", category, "Tell me more?", answer)
    return extract_persona(ExtractionRequest("s", (turn,), CONFIG))


def values(answer: str, category: Category = "values") -> list[str]:
    return [item.value for item in read(category, answer).values]


def goals(answer: str, category: Category = "goals") -> list[str]:
    return [item.goal for item in read(category, answer).goals]


def tone(answer: str, category: Category = "style") -> list[str]:
    return [item.text for item in read(category, answer).tone]


def verbosity(answer: str) -> str | None:
    found = read("style", answer).verbosity
    return found.text if found else None


def present(answer: str) -> list[str]:
    draft = read("current_focus", answer)
    return [item.text for item in (*draft.current_focus, *draft.interests)]


def story(answer: str, category: Category = "biography") -> list[str]:
    return [item.text for item in read(category, answer).key_experiences]


# -- values -----------------------------------------------------------------------------------


def test_values_said_indirectly() -> None:
    assert values("For me, patience is everything, with the horses and with people.") == [
        "patience"
    ]
    assert values("Thoroughness, this I value most in a mechanic.") == ["thoroughness"]
    assert values("Important for me is punctuality.") == ["punctuality"]
    assert values("What matters, in the end, is that you pay your debts.") == ["paying one's debts"]
    assert values("I was raised to share my bread.") == ["sharing my bread"]


def test_what_someone_cannot_stand_names_its_opposite() -> None:
    assert values("I cannot stand liars, not in business and not at home.") == ["honesty"]
    assert values("Nothing annoys me more than rudeness.") == ["respect"]
    # Disliking a thing that is no value says nothing.
    assert values("I can't stand mushrooms.") == []


def test_an_abstract_noun_opening_a_values_answer_and_the_person_s_own_word() -> None:
    assert values("Stewardship. We only borrow the land.") == ["stewardship"]
    assert values("Solidarity, that is what the docks taught me.") == ["solidarity"]
    # A word that is also a verb or a remark is not taken for a value.
    assert values("Question, that is a hard one.") == []
    # The person's noun is kept rather than the lexicon's name for it.
    assert values("Dignity matters to me more than money.") == ["dignity"]


# -- goals ------------------------------------------------------------------------------------


def test_goals_in_noun_phrases_and_non_native_frames() -> None:
    assert goals("My dream, one day open small bakery with Polish bread.") == [
        "open small bakery with Polish bread"
    ]
    assert goals("Long term: a workshop of my own.") == ["a workshop of my own"]
    assert goals("This year to finish my thesis on tides.") == ["finish my thesis on tides"]
    assert goals("Next year I want open second shop, small one.") == ["open second shop"]
    assert goals("get my driving licence before winter!!") == [
        "get my driving licence before winter"
    ]
    assert goals("Better Spanish, so I can talk to my neighbours.") == ["better Spanish"]
    assert goals("Better than nothing, I suppose.") == []


def test_goals_said_before_their_frame() -> None:
    assert goals("What I'd like, once the kids are grown, is to sail around Ireland.") == [
        "sail around Ireland"
    ]
    assert goals("A medal for my team, this I want to see in three years.") == [
        "A medal for my team"
    ]
    assert goals("Climbing a volcano is on my list for next year.") == ["climbing a volcano"]


# -- style ------------------------------------------------------------------------------------


def test_style_said_by_others_and_in_fragments() -> None:
    assert tone("My son says im stubborn and sarcastic lol.") == ["sarcastic"]
    assert tone("My students say I lecture.") == ["lecturing"]
    assert tone("Blunt, people say.") == ["blunt"]
    assert tone("I talk plain.") == ["direct (plain)"]
    assert verbosity("Short words, no fuss.") == "concise (short words)"
    assert verbosity("I don't talk much.") == "concise"


def test_style_habits_keep_the_person_s_words() -> None:
    assert tone("I explain everything with a story.") == [
        "storytelling (explain everything with a story)"
    ]
    assert tone("I explain with charts, always.") == ["analytical (explain with charts)"]
    # Explaining with something is a method, not a long-winded manner.
    assert verbosity("I explain everything with charts.") is None
    # Someone else's manner is not the speaker's.
    assert tone("I was upset when my boss was strict.") == []


# -- present ----------------------------------------------------------------------------------


def test_noun_phrase_answers_about_the_present() -> None:
    assert present("Currently a kitchen renovation. Slow going.") == ["a kitchen renovation"]
    assert present("Evenings: crosswords.") == ["crosswords"]
    assert present("rn its coursework. and football.") == ["coursework", "football"]
    assert present("Chess and gardening when the weather allows.") == ["chess", "gardening"]


def test_remarks_are_not_taken_for_activities() -> None:
    assert present("Okay. Let me think.") == []
    assert present("My goodness, where to start.") == []
    assert present("My cousins are into surfing.") == []
    assert present("That is a lot to fit into one answer.") == []


# -- story and places -------------------------------------------------------------------------


def test_places_are_not_people_and_dated_events_are_kept() -> None:
    assert story("I left Manila in 1999 with one suitcase.") == [
        "Left Manila in 1999 with one suitcase."
    ]
    assert story("I came to Canada in 2012.") == ["Came to Canada in 2012."]
    # A long sentence keeps the clause that holds the event.
    assert story(
        "In 2005 I open my first shop in Lisbon, I know nobody there and speak little."
    ) == ["In 2005 I open my first shop in Lisbon."]
    # A dated move told in another answer is still part of the story.
    assert story("I moved to Oslo in 2016, so winters are still new to me.", "current_focus")


def test_a_person_is_still_a_person_even_if_a_city_shares_the_name() -> None:
    # "Florence taught me" names a person: the item is dropped rather than the name kept.
    assert story("Florence taught me to sew when I was six.") == []
    assert goals("I want to visit my friend Victoria next summer.") == [
        "visit my friend next summer"
    ]


def test_an_adjective_value_is_named_by_its_own_noun() -> None:
    assert values("Being dependable matters to me.") == ["dependability"]
    assert values("It is important to me to be generous with my time.") == ["generosity"]
    # When the lexicon's name is the same word's noun, that name stays.
    assert values("I try to stay humble, whatever happens.") == ["humility"]


def test_a_family_background_and_a_non_native_present_are_part_of_the_story() -> None:
    assert story("My mother was a seamstress in the old town.") == [
        "My mother was a seamstress in the old town."
    ]
    assert story("I grow up in small village by the river.") == [
        "I grow up in small village by the river."
    ]


def test_the_shipped_place_list_is_what_the_generator_writes() -> None:
    from server.interview.extract import places

    shipped = sorted(places._place_names())
    assert shipped == places._generate()
    assert {"Lima", "France", "Lyon", "Maui", "Rio de Janeiro"} <= set(shipped)


def test_a_name_after_the_place_it_went_to_is_still_a_name() -> None:
    # "the farm" is a place, but "with Henrik" names a person: no item may carry the name.
    draft = read("biography", "In 1971 I moved to the farm with Henrik and never left.")
    assert all("Henrik" not in item.text for item in draft.key_experiences)
