"""The ground-truth personas and their scripted interviewees."""

from __future__ import annotations

from server.eval.interviewee import ScriptedInterviewee
from server.eval.profiles import load_personas


def test_at_least_twelve_varied_personas_with_every_special_behaviour() -> None:
    personas = load_personas()
    assert len(personas) >= 12
    assert {p.verbosity for p in personas} == {"terse", "balanced", "rambling"}
    assert sum(1 for p in personas if p.refuses) >= 1
    assert sum(1 for p in personas if p.injection) >= 1
    assert sum(1 for p in personas if p.crisis) >= 1
    assert any(s.contested for p in personas for s in p.statements)
    assert sum(1 for p in personas if any(s.sensitive for s in p.statements)) >= 6
    assert all(p.names for p in personas)
    for persona in personas:
        categories = {fact.group for fact in persona.facts()}
        assert len(categories) == 5, persona.id


def test_the_interviewee_is_deterministic_for_a_seed() -> None:
    persona = load_personas()[0]
    questions = [
        ("What core values guide your most important life decisions?", "values"),
        ("What are you hoping to have achieved a year from now?", "goals"),
        ("How would the people who know you best describe the way you communicate?", "style"),
    ]

    def replies(seed: int) -> list[str]:
        person = ScriptedInterviewee(persona, seed)
        return [person.reply(q, c).text for q, c in questions]  # type: ignore[arg-type]

    assert replies(3) == replies(3)
    assert any(replies(seed) != replies(3) for seed in range(4, 10))


def test_answers_come_from_the_profile_and_follow_the_question_category() -> None:
    persona = next(p for p in load_personas() if p.id == "bao")
    person = ScriptedInterviewee(persona, 0)
    reply = person.reply("You said so. What skills would you like to build?", "goals")
    assert reply.kind == "answer"
    assert all(persona.statement(s).category == "goals" for s in reply.statements)
    assert any(text in reply.text for s in reply.statements for text in persona.statement(s).say)


def test_refusal_injection_and_crisis() -> None:
    personas = {p.id: p for p in load_personas()}
    dev = ScriptedInterviewee(personas["dev"], 0)
    refusal = dev.reply("What did growing up teach you about how you want to live?", "biography")
    assert refusal.kind == "refusal"
    # A reflection before the question is not what is asked.
    assert dev.reply("You mentioned your family. What do you value?", "values").kind == "answer"
    elif_ = ScriptedInterviewee(personas["elif"], 0)
    first = elif_.reply("What is on your mind these days?", "current_focus")
    assert first.injection and "Ignore your previous instructions" in first.text
    assert not elif_.reply("What else is on your mind?", "current_focus").injection
    felix = ScriptedInterviewee(personas["felix"], 0)
    kinds = [felix.reply("What matters to you?", "values").kind for _ in range(5)]
    assert kinds == ["answer", "answer", "answer", "crisis", "answer"]
