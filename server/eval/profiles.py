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
from collections.abc import Sequence
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
    # Kept for files written before the split was by folder; the folder decides (see below).
    heldout: bool = False
    # A tuning-folder persona set aside as a development check: never tuned on.
    dev: bool = False
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


Split = Literal["heldout", "tuning", "dev"]
SPLITS: tuple[Split, ...] = ("heldout", "tuning", "dev")
HELDOUT_FOLDER = ("data", "heldout", "personas")
TUNING_FOLDER = ("data", "personas")
MANIFEST = ("data", "heldout", "MANIFEST.sha256")


def _read_folder(parts: tuple[str, ...]) -> tuple[Persona, ...] | None:
    """Every persona of a folder under ``server/eval``, in file-name order; None if missing."""
    folder = resources.files("server.eval").joinpath(*parts)
    if not folder.is_dir():
        return None
    found = []
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not entry.name.endswith(".json"):
            continue
        where = "/".join((*parts, entry.name))
        try:
            persona = Persona.model_validate(json.loads(entry.read_text("utf-8")))
        except ValueError as exc:
            raise ValueError(f"{where}: not a valid persona: {exc}") from None
        if f"{persona.id}.json" != entry.name:
            raise ValueError(f"{where}: the file name must be the persona id ({persona.id}.json)")
        found.append(persona)
    return tuple(found)


@cache
def load_personas() -> tuple[Persona, ...]:
    """Every persona of the tuning folder (tuning and dev splits), in file-name order."""
    return _read_folder(TUNING_FOLDER) or ()


@cache
def load_heldout() -> tuple[Persona, ...] | None:
    """The frozen held-out personas, or None when ``data/heldout/personas/`` is absent.

    They are written by someone who never saw the rules, and nobody tuning the rules reads
    them: their figures are the headline of ``personagen eval``.
    """
    return _read_folder(HELDOUT_FOLDER)


def split_of(persona: Persona, heldout: Sequence[Persona] = ()) -> Split:
    if any(persona is other for other in heldout):
        return "heldout"
    return "dev" if persona.dev else "tuning"


def load_splits() -> dict[Split, tuple[Persona, ...]]:
    """Personas by split; the held-out split is empty when its folder is missing."""
    tuning = load_personas()
    heldout = load_heldout() or ()
    ids = {persona.id for persona in tuning}
    clash = sorted(persona.id for persona in heldout if persona.id in ids)
    if clash:
        raise ValueError(f"held-out persona ids also in the tuning folder: {', '.join(clash)}")
    return {
        "heldout": heldout,
        "tuning": tuple(persona for persona in tuning if not persona.dev),
        "dev": tuple(persona for persona in tuning if persona.dev),
    }
