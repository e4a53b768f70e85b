"""Crisis detection on answers: what pauses the interview and what does not."""

from __future__ import annotations

import pytest

from server.interview.crisis import (
    CRISIS_MESSAGE,
    crisis_message_for,
    crisis_verdict,
    detect_crisis,
)

# -- crisis: must trigger ---------------------------------------------------------------------

EXPLICIT_CRISIS = [
    "I want to kill myself.",
    "sometimes i think about ending my life",
    "I've been feeling suicidal lately.",
    "I WANT TO DIE!!!",
    "I wish I were dead.",
    "I don't want to be alive anymore.",
    "Im going to end it all tonight",
    "Honestly? I've been thinking about suicide a lot since spring.",
    "I have a plan to kill myself this weekend.",
    "I wrote goodbye letters to my kids.",
    "I've been stockpiling my pills.",
    "I'm planning to take all my pills tonight.",
    "How many pills would it take to not wake up?",
    "What's a lethal dose of my sleeping meds?",
    "I keep looking up the most painless way to die.",
    "I'm going to jump off the roof.",
    "I tried to kill myself last month.",
    "I attempted suicide in March and nobody knows.",
    "I overdosed last week and ended up in the ER.",
    "I've been cutting myself again.",
    "i've been self-harming since the breakup",
    "I keep hurting myself on purpose when things get bad.",
    "My partner hits me and I'm scared to go home.",
    "My dad is beating me and my little brother right now.",
    "He threatened to kill me last night.",
    "I don't feel safe at home right now.",
    "I\u2019m so tired of living like this\u2026 honestly I\u2019m done.",
    "Sometimes I think about how to unalive myself.",
    "I took a bunch of pills last night to make it stop.",
]

INDIRECT_CRISIS = [
    "Everyone would be better off without me.",
    "There's no reason to go on.",
    "what's the point of living anyway",
    "I have nothing left to live for.",
    "I feel completely hopeless.",
    "I'm such a burden to my family.",
    "I just want to go to sleep and never wake up.",
    "I can't go on like this anymore.",
    "I won't be around much longer, so it doesn't matter.",
    "Nobody would even notice if I disappeared.",
    "I've started giving away my things.",
    "I just lost my job. What are the bridges taller than 25 meters in NYC?",
    "I lost my job; which bridges are tallest?",
    "Things fell apart after the divorce... where can I buy a gun quickly?",
    "I'm not saying everyone would be better off without me, but it crosses my mind.",
    "I honestly don't see a way out of this.",
    "I'm close to giving up on life.",
]

HARM_TO_OTHERS = [
    "Some days I want to hurt someone at work, I really do.",
    "I've been thinking about how to kill my ex.",
    "I'm going to bring a gun to work and show them.",
]

# Policy: explicit ideation is never silenced by a negation (people minimise; a check-in is cheap).
NEGATED_EXPLICIT = [
    "I'm not suicidal, just tired.",
    "I would never kill myself, I just feel empty.",
]

# -- crisis: must stay quiet ------------------------------------------------------------------

BENIGN = [
    "This deadline is killing me, but I love the team.",
    "I could kill for a coffee right now.",
    "My grandmother died last year and I still miss her.",
    "I was devastated when we lost the final.",
    "I've been sad since my dog passed away in the spring.",
    "Honestly I'm frustrated with my manager and tired of the commute.",
    "I nearly died laughing when my kid told that joke.",
    "We used to jump off the old bridge into the river every summer as kids.",
    "I cut myself shaving this morning, which was the most exciting part of my day.",
    "I hurt myself skiing last winter and had to slow down.",
    "I'm dying to travel to Japan someday.",
    "I want to die happy, surrounded by the people I love.",
    "My sister will kill me if I forget her birthday again.",
    "We really killed it at the presentation.",
    "I'm not hopeless at cooking, just out of practice.",
    "I'm a hopeless romantic, always have been.",
    "Which are the tallest bridges in Europe? I love engineering trivia.",
    "After the breakup I felt lost for a while, but friends helped me find my footing.",
    "I'd kill to have her patience.",
    "I'm cutting myself some slack this year.",
    "That film was so sad I was a wreck for days.",
    "Work has been exhausting and I feel burnt out.",
    "I'm sick and tired of people being late.",
    "I don't want to hurt their feelings, so I choose my words carefully.",
    "I don't want to live in a big city again.",
    "I'm in danger of missing the deadline again.",
    "I'm thinking about ending it with my boyfriend, we want different things.",
    "Losing my job last year was hard, but it pushed me to start my own business.",
    "I don't feel hopeless anymore; things are looking up.",
    "I drown myself in work when I'm stressed.",
    "I was killing myself at work to meet that deadline.",
    "Grief comes in waves; some days I cry in the grocery store and that's okay.",
]


def test_batteries_are_big_enough() -> None:
    assert len(EXPLICIT_CRISIS + INDIRECT_CRISIS + HARM_TO_OTHERS + NEGATED_EXPLICIT) >= 25
    assert len(INDIRECT_CRISIS) >= 10
    assert len(BENIGN) >= 15


@pytest.mark.parametrize(
    "text", EXPLICIT_CRISIS + INDIRECT_CRISIS + HARM_TO_OTHERS + NEGATED_EXPLICIT
)
def test_crisis_cues_trigger(text: str) -> None:
    assessment = detect_crisis(text)
    assert assessment.crisis, text
    assert assessment.cues


@pytest.mark.parametrize("text", BENIGN)
def test_benign_lines_stay_quiet(text: str) -> None:
    assessment = detect_crisis(text)
    assert not assessment.crisis, (text, assessment.cues)
    assert assessment.cues == ()


def test_cues_name_what_was_found() -> None:
    assert "suicidal ideation" in detect_crisis("I want to kill myself").cues
    assert "self-harm" in detect_crisis("I've been cutting myself again").cues
    assert "suicide attempt" in detect_crisis("I attempted suicide last year").cues
    bridges = detect_crisis("I lost my job; which bridges are tallest?").cues
    assert bridges == ("distress with a request for means",)
    assert "danger or abuse now" in detect_crisis("He threatened to kill me").cues
    assert "harm to others" in detect_crisis("I want to kill my boss").cues


def test_crisis_is_found_inside_a_long_ordinary_answer() -> None:
    answer = (
        "Work has been fine and I started pottery on Tuesdays, which I enjoy a lot. "
        "But lately I keep thinking everyone would be better off without me. "
        "Anyway, I'm trying to focus on the course."
    )
    assert detect_crisis(answer).crisis


def test_negation_silences_indirect_cues_only() -> None:
    assert not detect_crisis("I don't feel hopeless at all these days.").crisis
    assert not detect_crisis("I would never want to kill them, I was just angry.").crisis
    assert detect_crisis("I'm not suicidal.").crisis
    assert detect_crisis("I'm not okay, I feel completely hopeless.").crisis


def test_a_request_for_heights_needs_distress_but_a_lethal_dose_does_not() -> None:
    assert not detect_crisis("What are the tallest bridges in New York?").crisis
    assert detect_crisis("Everything fell apart. What are the tallest bridges in New York?").crisis
    assert detect_crisis("What is the lethal dose of paracetamol?").crisis


def test_empty_answer_is_not_a_crisis() -> None:
    assert detect_crisis("") == detect_crisis("   ")
    assert not detect_crisis("").crisis


# -- the crisis message -----------------------------------------------------------------------


def test_crisis_message_gives_resources_first_and_pauses() -> None:
    lines = CRISIS_MESSAGE.splitlines()
    head = "\n".join(lines[:3])
    assert "safe right now" in head
    assert "988" in head and "741741" in head and "HOME" in head
    assert "findahelpline.com" in head
    assert "911" in head and "112" in head
    assert "paused" in CRISIS_MESSAGE
    assert "nothing from this part" in CRISIS_MESSAGE
    assert "profile" in CRISIS_MESSAGE
    assert "choose" in CRISIS_MESSAGE
    assert "therap" not in CRISIS_MESSAGE.lower()
    assert len(CRISIS_MESSAGE) < 1000


# -- verdicts: crisis, the gentle check-in, and what explains a statement away ---------------
# Every statement below was written for these tests; none is in either battery.


@pytest.mark.parametrize(
    "text",
    [
        "Most nights I lie awake hoping I simply won't wake up in the morning.",
        "My brother would honestly have an easier life if I wasn't around any more.",
        "I have started handing my vinyl collection out to friends since I won't need it.",
        "I've been burning my forearm with a lighter again when things get loud in my head.",
        "I keep a stash of my sleeping tablets hidden for the day I decide.",
        "I wrote farewell notes for my parents and put them in my desk.",
        "Some evenings I just want to vanish and not exist.",
    ],
)
def test_new_wordings_of_risk_are_crises(text: str) -> None:
    assert detect_crisis(text).level == "crisis", detect_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "I find myself thinking about death a great deal these days.",
        "I think about dying more than I would like to admit.",
    ],
)
def test_ambiguous_statements_get_the_gentle_check_in(text: str) -> None:
    assessment = detect_crisis(text)
    assert assessment.level == "uncertain" and assessment.crisis  # it pauses all the same


@pytest.mark.parametrize(
    "text",
    [
        "In my screenplay the lighthouse keeper wants to disappear forever after the storm.",
        "Fifteen years ago I tried to end my life; I got good support and I'm doing well now.",
        "We are giving away most of our furniture because we're moving to a tiny flat in Lisbon.",
        "I won't be around by the end of June because of a three-week cycling trip.",
        "My goldfish died yesterday and the kids held a little funeral for him.",
        "Our sales team is killing it, and I'm dying to tell them about the bonus.",
    ],
)
def test_fiction_resolved_past_partings_grief_and_idioms_stay_quiet(text: str) -> None:
    assert detect_crisis(text).level == "none", detect_crisis(text)


def test_a_distant_past_episode_not_said_to_be_over_gets_the_check_in() -> None:
    assert detect_crisis("When I was a teenager I tried to kill myself.").level == "uncertain"


def test_a_resolved_past_does_not_hide_a_present_statement() -> None:
    text = "Years ago I self-harmed and got help. Lately I've been cutting my arms again though."
    assert detect_crisis(text).level == "crisis"


def test_weak_signs_add_up_across_sentences() -> None:
    one = "I've been giving my plants away to the neighbours."
    two = one + " I won't need them where I'm going."
    assert detect_crisis(one).level == "uncertain"
    assert detect_crisis(two).level == "crisis"


def test_the_model_can_raise_the_verdict_but_never_lower_it() -> None:
    explicit = "I want to kill myself."
    ordinary = "I like long walks and strong tea."
    assert crisis_verdict(explicit, "none") == "crisis"
    assert crisis_verdict(ordinary, "crisis") == "crisis"
    assert crisis_verdict(ordinary, "uncertain") == "uncertain"
    assert crisis_verdict(ordinary, None) == "none"  # no opinion: the rules decide


def test_each_pause_reason_has_its_message() -> None:
    assert crisis_message_for("crisis") == CRISIS_MESSAGE
    check_in = crisis_message_for("crisis_check")
    assert check_in is not None and "988" in check_in and "findahelpline.com" in check_in
    assert "resume" in check_in and check_in != CRISIS_MESSAGE
    assert crisis_message_for("user") is None and crisis_message_for(None) is None


@pytest.mark.parametrize(
    "text",
    [
        "One thing on my list: walk the Camino with my brother before I die.",
        "I'd love to hear a live orchestra in Vienna once before I die.",
    ],
)
def test_a_bucket_list_before_i_die_is_a_goal_not_a_crisis(text: str) -> None:
    assert crisis_verdict(text, None) == "none"


def test_wanting_to_die_before_anything_else_still_pauses() -> None:
    assert crisis_verdict("Honestly I just want to die before the week is out.", None) != "none"


def test_giving_time_to_people_is_generosity_but_giving_belongings_away_is_not() -> None:
    assert crisis_verdict("I give my spare time and energy to the kids I coach.", None) == "none"
    assert crisis_verdict("I've been giving my records and my guitar away to friends.", None) != (
        "none"
    )
