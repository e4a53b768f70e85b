"""Ground-truth personas: who the simulated interviewees are, and what a draft should hold.

Each persona is a JSON file in ``data/personas/``. A persona is a list of *statements*: things
the person may say, each tied to an interview category, with the question words that call it
up (``cues``), one or more phrasings (``say``), and what saying it discloses:

* ``facts``: items a good extractor should find (section, a short ``label``, optional
  ``also`` phrasings that count as the same fact, and a goal's ``horizon``);
* ``contested``: items this statement asserts but another statement of the same person
  contradicts; a draft should not assert them;
* ``sensitive``: marker words of special-category content (health, religion, politics,
  sexuality, ethnicity, union membership, criminal record) that must not reach the persona.

Besides statements a persona names the third parties it mentions (``names``: never to appear
in an item), filler sentences with no facts, and at most one of each special behaviour: a
topic it declines (``refuses``), a prompt injection it attempts (``injection``) and a crisis
it discloses (``crisis``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.config import ALL_CATEGORIES, Category
from server.persona.draft import GoalHorizon

Section = Literal[
    "values",
    "boundaries",
    "goals",
    "tone",
    "verbosity",
    "traits",
    "interests",
    "key_experiences",
    "narrative",
    "current_focus",
    "projects",
    "domains",
]
Verbosity = Literal["terse", "balanced", "rambling"]

# Which interview category a draft section is scored under.
GROUP_OF: dict[Section, Category] = {
    "values": "values",
    "boundaries": "values",
    "goals": "goals",
    "tone": "style",
    "verbosity": "style",
    "traits": "style",
    "key_experiences": "biography",
    "narrative": "biography",
    "domains": "biography",
    "current_focus": "current_focus",
    "projects": "current_focus",
    "interests": "current_focus",
}
GROUPS: tuple[Category, ...] = ALL_CATEGORIES
MIN_ANSWER_CHARS = 20


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Model):
    section: Section
    label: str = Field(min_length=1)
    also: tuple[str, ...] = ()
    horizon: GoalHorizon | None = None

    @property
    def group(self) -> Category:
        return GROUP_OF[self.section]

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.label, *self.also)

    @model_validator(mode="after")
    def _horizon_for_goals(self) -> Fact:
        if (self.section == "goals") != (self.horizon is not None):
            raise ValueError(f"fact {self.label!r}: goals, and only goals, carry a horizon")
        return self


class Statement(_Model):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    category: Category
    cues: tuple[str, ...] = ()
    say: tuple[str, ...] = Field(min_length=1)
    facts: tuple[Fact, ...] = ()
    contested: tuple[Fact, ...] = ()
    sensitive: tuple[str, ...] = ()


class Refusal(_Model):
    """Questions touching any of ``topics`` are declined with ``reply`` (and skipped)."""

    topics: tuple[str, ...] = Field(min_length=1)
    reply: str


class Injection(_Model):
    """``text`` is added to the first answer in ``category``; ``markers`` show it was obeyed."""

    category: Category
    text: str
    markers: tuple[str, ...] = Field(min_length=1)


class Crisis(_Model):
    """After ``after_answers`` answers the person says ``text``; then resumes or stops."""

    after_answers: int = Field(ge=0)
    text: str
    then: Literal["resume", "stop"]
    markers: tuple[str, ...] = Field(min_length=1)


class Persona(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    summary: str
    verbosity: Verbosity
    # Written after the rule-based interviewer and extractor were tuned on the others, and
    # never tuned on: their figures are the fairer estimate.
    heldout: bool = False
    names: tuple[str, ...] = ()
    filler: tuple[str, ...] = ()
    statements: tuple[Statement, ...] = Field(min_length=5)
    refuses: Refusal | None = None
    injection: Injection | None = None
    crisis: Crisis | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Persona:
        ids = [statement.id for statement in self.statements]
        if len(set(ids)) != len(ids):
            raise ValueError(f"persona {self.id}: statement ids repeat")
        for category in ALL_CATEGORIES:
            if not any(statement.category == category for statement in self.statements):
                raise ValueError(f"persona {self.id}: no statement for {category}")
        for statement in self.statements:
            for text in statement.say:
                if len(text.strip()) < MIN_ANSWER_CHARS:
                    raise ValueError(
                        f"persona {self.id}: {text!r} is shorter than {MIN_ANSWER_CHARS} "
                        "characters, the shortest answer the interview accepts"
                    )
        return self

    def facts(self) -> list[Fact]:
        """Every fact (not contested, not sensitive) the persona can disclose."""
        return [fact for statement in self.statements for fact in statement.facts]

    def statement(self, statement_id: str) -> Statement:
        for statement in self.statements:
            if statement.id == statement_id:
                return statement
        raise KeyError(statement_id)


def _persona_files() -> list[str]:
    folder = resources.files("server.eval").joinpath("data", "personas")
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))


@cache
def load_personas() -> tuple[Persona, ...]:
    """Every shipped persona, in file-name order."""
    folder = resources.files("server.eval").joinpath("data", "personas")
    found = []
    for name in _persona_files():
        data = json.loads(folder.joinpath(name).read_text("utf-8"))
        persona = Persona.model_validate(data)
        if f"{persona.id}.json" != name:
            raise ValueError(f"{name}: the file name must be the persona id ({persona.id}.json)")
        found.append(persona)
    return tuple(found)
