"""The checks every generated question must pass."""

from __future__ import annotations

import pytest

from server.interview.question_lint import check_question, question_similarity

# -- question checks --------------------------------------------------------------------------


def kinds(text: str, asked: tuple[str, ...] = ()) -> set[str]:
    return {problem.kind for problem in check_question(text, asked)}


def test_good_questions_pass() -> None:
    for question in (
        "What values guide you?",
        "How do you take care of yourself when work is stressful?",
        "You mentioned that honesty matters when deadlines slip. What makes it matter so much?",
        "When you are working through a hard problem, what does your process look like?",
        "Think of a time you stood by something. What was at stake for you?",
        "How do you address conflict with people you care about?",
        "What role does money play in the way you make decisions?",
        "Which place feels most like home to you, and why?",
    ):
        assert check_question(question, []) == [], question


def test_empty_and_not_a_question() -> None:
    assert kinds("") == {"empty"}
    assert kinds("   \n") == {"empty"}
    assert "not_a_question" in kinds("Tell me about your week.")


def test_multiple_questions() -> None:
    assert "multiple_questions" in kinds("What do you value? And why?")
    assert "multiple_questions" in kinds("How was your week? What stood out?")
    assert "multiple_questions" not in kinds("That sounds important. What made it stick?")


def test_too_long() -> None:
    long = "You mentioned " + "many things " * 40 + "so what stands out?"
    assert "too_long" in kinds(long)


@pytest.mark.parametrize(
    "question",
    [
        "Do you like your job?",
        "Are you happy with where you are?",
        "Is there something you regret?",
        "Have you ever lived abroad?",
        "Would you call yourself patient?",
        "Can you tell me about your childhood?",
        "Did that change you?",
        "Should people always be honest?",
        "You said family matters. Does it guide your choices?",
        "Looking back, was it worth it?",
        "And do you enjoy that?",
    ],
)
def test_closed_questions_are_flagged(question: str) -> None:
    assert "closed" in kinds(question)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What is your full name?", "name"),
        ("What's your name?", "name"),
        ("What is your mother's maiden name?", "name"),
        ("What are the names of your children?", "names of other people"),
        ("What is your social security number?", "government"),
        ("Which passport do you hold?", "government"),
        ("What is your date of birth?", "government"),
        ("What diagnosis have you received from your doctor?", "health"),
        ("Which medications are you taking at the moment?", "health"),
        ("What health conditions do you live with?", "health"),
        ("What did your therapist tell you?", "health"),
        ("What is your bank account number?", "bank"),
        ("What password do you use most often?", "password"),
        ("What's your exact salary?", "income"),
        ("What is your home address?", "address"),
        ("Where exactly do you live?", "address"),
        ("What is your phone number?", "contact"),
        ("What religion were you raised in?", "religion"),
        ("How often do you pray?", "religion"),
        ("Who did you vote for in the last election?", "political"),
        ("What are your political views?", "political"),
        ("What is your sexual orientation?", "sexual"),
        ("What is your sex life like?", "sex"),
        ("What is your ethnic background?", "ethnic"),
        ("Where are you originally from?", "ethnic"),
        ("How involved are you in your trade union?", "union"),
        ("What is on your criminal record?", "criminal"),
        ("Why were you arrested?", "criminal"),
        ("Please share your passport number. What else should I know?", "government"),
    ],
)
def test_forbidden_topics_are_flagged(question: str, topic: str) -> None:
    problems = [p for p in check_question(question, []) if p.kind == "forbidden_topic"]
    assert problems, question
    assert topic in problems[0].detail


def test_forbidden_words_in_a_reflection_are_not_what_is_asked() -> None:
    # Restating what the person said is not asking for it.
    question = "You said your faith keeps you grounded. What helps you stay grounded at work?"
    assert "forbidden_topic" not in kinds(question)


def test_duplicates_ignore_a_reflective_preamble() -> None:
    asked = ("What matters most to you when you have to make a hard choice?",)
    same = "You mentioned your family. What matters most to you when you make a hard choice?"
    assert "duplicate" in kinds(same, asked)
    assert "duplicate" in kinds(asked[0], asked)
    different = "What tends to get in the way when you move toward something you want?"
    assert "duplicate" not in kinds(different, asked)


def test_similarity_is_symmetric_and_bounded() -> None:
    a, b = "What matters to you?", "What matters most to you?"
    assert question_similarity(a, b) == question_similarity(b, a)
    assert 0.0 < question_similarity(a, b) < 1.0
    assert question_similarity(a, a) == 1.0
    assert question_similarity("", a) == 0.0


@pytest.mark.parametrize(
    "question",
    [
        "Wouldn't you agree that family comes first?",
        "Surely honesty matters most to you, so what does it look like day to day?",
        "What was the hardest part, since it must have been so painful?",
        "What do you love about your job, right?",
    ],
)
def test_leading_questions_are_flagged(question: str) -> None:
    assert "leading" in kinds(question)


def test_every_problem_has_a_readable_detail() -> None:
    bad = "Do you vote? " + "x" * 400
    problems = check_question(bad, ["Do you vote?"])
    assert {p.kind for p in problems} >= {"too_long", "not_a_question", "forbidden_topic"}
    for problem in problems:
        assert len(problem.detail) > 15 and problem.detail[0].isupper()
