"""The persona draft: what an interview proposes, item by item, each with its evidence.

A draft is never written to ``core.json`` directly: :mod:`server.persona.merge` turns it into
a canonical patch under a chosen strategy, and the person reviews the diff first. Every item
cites the question ids whose answers support it; an item without evidence is not kept.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Sensitivity = Literal["none", "personal", "special_category"]
GoalHorizon = Literal["shortTerm", "midTerm", "longTerm"]
Trait = Literal["openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"]
TRAITS: tuple[Trait, ...] = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
)


class DraftItem(BaseModel):
    """Fields every draft item carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evidence: tuple[str, ...] = Field(
        min_length=1, description="Question ids whose answers support it"
    )
    confidence: float = Field(ge=0.0, le=1.0)
    sensitivity: Sensitivity = "none"

    @field_validator("evidence")
    @classmethod
    def _distinct_evidence(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))


class ValueItem(DraftItem):
    value: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    priority: int | None = Field(default=None, ge=1, le=100)


class GoalItem(DraftItem):
    goal: str = Field(min_length=1, max_length=500)
    horizon: GoalHorizon


class TraitItem(DraftItem):
    trait: Trait
    score: float = Field(ge=0.0, le=1.0, description="Big Five score on MetaHuman's 0-1 scale")


class TextItem(DraftItem):
    text: str = Field(min_length=1, max_length=1000)


class HeldBackClause(BaseModel):
    """A clause the extractor kept out of an item because it touches a special category
    (religion, health, sexuality, politics, ...): the rest of the item is kept, and the
    review shows what was held back so the person may add it deliberately."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str = Field(description="The draft section of the item it was cut from")
    item: str = Field(description="The item as kept")
    clause: str = Field(min_length=1, max_length=500, description="What was held back")
    categories: tuple[str, ...] = Field(min_length=1)
    evidence: tuple[str, ...] = Field(min_length=1)


class PersonaDraft(BaseModel):
    """A proposed persona, by section. Each section maps to one place in ``core.json``:

    ======================  ==========================================
    field                   canonical ``core.json`` location
    ======================  ==========================================
    values                  values.core[] {value, description, priority}
    boundaries              values.boundaries[]
    goals                   goals.shortTerm|midTerm|longTerm[] {goal, status}
    traits                  personality.traits.<trait> (0-1)
    tone                    personality.communicationStyle.tone[]
    verbosity               personality.communicationStyle.verbosity
    interests               personality.interests[]
    key_experiences         background.keyExperiences[]
    narrative               background.narrative
    current_focus           context.currentFocus[]
    projects                context.projects[] {name, status, summary}
    domains                 context.domains[]
    ======================  ==========================================
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: tuple[ValueItem, ...] = ()
    boundaries: tuple[TextItem, ...] = ()
    goals: tuple[GoalItem, ...] = ()
    traits: tuple[TraitItem, ...] = ()
    tone: tuple[TextItem, ...] = ()
    verbosity: TextItem | None = None
    interests: tuple[TextItem, ...] = ()
    key_experiences: tuple[TextItem, ...] = ()
    narrative: TextItem | None = None
    current_focus: tuple[TextItem, ...] = ()
    projects: tuple[TextItem, ...] = ()
    domains: tuple[TextItem, ...] = ()
    source: str = Field(default="", description="Which extractor produced it, e.g. 'builtin'")
    held_back: tuple[HeldBackClause, ...] = Field(
        default=(), description="Special-category clauses left out of the items above"
    )

    def items(self) -> list[DraftItem]:
        """Every item of every section, in section order."""
        found: list[DraftItem] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, DraftItem):
                found.append(value)
            elif isinstance(value, tuple):
                found.extend(item for item in value if isinstance(item, DraftItem))
        return found

    def is_empty(self) -> bool:
        return not self.items()

    def keep_evidenced_by(self, question_ids: Collection[str]) -> PersonaDraft:
        """Drop evidence that cites anything outside ``question_ids``; drop items left with none.

        Used to keep crisis turns, skipped questions and ids a model invented out of a draft.
        """
        allowed = set(question_ids)

        def clean(item: DraftItem) -> DraftItem | None:
            kept = tuple(qid for qid in item.evidence if qid in allowed)
            if not kept:
                return None
            return item if kept == item.evidence else item.model_copy(update={"evidence": kept})

        update: dict[str, object] = {
            "held_back": tuple(
                clause for clause in self.held_back if set(clause.evidence) <= allowed
            )
        }
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, DraftItem):
                update[name] = clean(value)
            elif isinstance(value, tuple) and value and isinstance(value[0], DraftItem):
                update[name] = tuple(c for c in (clean(item) for item in value) if c is not None)
        return self.model_copy(update=update)
