"""A deterministic scripted interviewee: answers any question from its persona's statements.

How a reply is chosen (all randomness comes from one ``random.Random`` seeded with the run's
seed and the persona id, so the same seed always gives the same interview):

1. Only the *asking* sentence of a turn is read (a reflection before it is not a question).
2. If the persona declines a topic and the question mentions one of its phrases, the reply is
   the refusal (the harness submits it as a skip: a refusal is too short to be an answer).
3. If the persona discloses a crisis and has given ``after_answers`` answers, the reply is the
   crisis disclosure (once).
4. Otherwise statements are ranked: +10 when the statement belongs to the question's
   category, +1 per cue phrase found in the question, +3 when it has not been said yet; ties
   are broken at random. So a person answers the question's topic, with something new when
   they still have something new to say about it. A terse persona says one statement, a
   balanced one one or two, a rambling one two or three (the extra ones from the same
   category), with filler sentences mixed in for balanced (sometimes) and rambling (always)
   personas. A statement said before is repeated
   with "Like I said, ...". A prompt injection is added to the first answer in its category.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Literal

from server.config import Category
from server.eval.profiles import Persona, Statement
from server.eval.text import content_stems, mentions, share_found
from server.interview.question_lint import question_sentence

ReplyKind = Literal["answer", "refusal", "crisis"]

_EXTRA_STATEMENTS = {"terse": (0, 0), "balanced": (0, 1), "rambling": (1, 2)}


@dataclasses.dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    statements: tuple[str, ...] = ()
    repeated: tuple[str, ...] = ()
    injection: bool = False


class ScriptedInterviewee:
    """Answers questions as ``persona`` would; see the module docstring."""

    def __init__(self, persona: Persona, seed: int) -> None:
        self.persona = persona
        self.rng = random.Random(f"{seed}/{persona.id}")
        self.said: dict[str, int] = {}
        self.answers = 0
        self.crisis_told = False
        self.injected = False

    def touches_refused_topic(self, question: str) -> bool:
        refusal = self.persona.refuses
        if refusal is None:
            return False
        asked = question_sentence(question)
        return any(mentions(asked, topic) for topic in refusal.topics)

    def _score(self, statement: Statement, asked: str, category: Category) -> float:
        score = 10.0 if statement.category == category else 0.0
        asked_stems = content_stems(asked)
        for cue in statement.cues:
            cue_stems = content_stems(cue)
            if cue_stems and share_found(cue_stems, asked_stems) == 1.0:
                score += 1.0
        if statement.id not in self.said:
            score += 3.0
        return score + self.rng.random() * 0.5  # ties broken at random

    def reply(self, question: str, category: Category) -> Reply:
        persona = self.persona
        if persona.refuses is not None and self.touches_refused_topic(question):
            return Reply("refusal", persona.refuses.reply)
        crisis = persona.crisis
        if crisis is not None and not self.crisis_told and self.answers >= crisis.after_answers:
            self.crisis_told = True
            return Reply("crisis", crisis.text)

        asked = question_sentence(question)
        ranked = sorted(
            persona.statements,
            key=lambda statement: self._score(statement, asked, category),
            reverse=True,
        )
        first = ranked[0]
        low, high = _EXTRA_STATEMENTS[persona.verbosity]
        extra = self.rng.randint(low, high)
        chosen = [first]
        for statement in ranked[1:]:
            if len(chosen) > extra:
                break
            if statement.category == first.category and statement.id not in self.said:
                chosen.append(statement)

        sentences: list[str] = []
        spoken: list[str] = []
        repeated: list[str] = []
        for statement in chosen:
            text = statement.say[self.rng.randrange(len(statement.say))]
            if statement.id in self.said:
                text = "Like I said, " + _lower_first(text)
                repeated.append(statement.id)
            else:
                spoken.append(statement.id)
            self.said[statement.id] = self.said.get(statement.id, 0) + 1
            sentences.append(text)

        injection = persona.injection
        injected = False
        if injection is not None and not self.injected and injection.category == category:
            sentences.insert(1, injection.text)
            self.injected = injected = True

        fillers = self._fillers()
        for filler in fillers:
            sentences.insert(self.rng.randint(0, len(sentences)), filler)
        self.answers += 1
        return Reply("answer", " ".join(sentences), tuple(spoken), tuple(repeated), injected)

    def _fillers(self) -> list[str]:
        persona = self.persona
        if not persona.filler:
            return []
        if persona.verbosity == "rambling":
            count = self.rng.randint(1, 2)
        elif persona.verbosity == "balanced":
            count = 1 if self.rng.random() < 0.3 else 0
        else:
            count = 0
        return self.rng.sample(list(persona.filler), min(count, len(persona.filler)))


def _lower_first(text: str) -> str:
    """``text`` with its first letter lower-cased, unless it starts with "I" or a name."""
    first = text.split(" ", 1)[0].rstrip(",.;:")
    if first in {"I", "I'm", "I'd", "I've", "I'll"} or not first[1:].islower():
        return text
    return text[0].lower() + text[1:]
