"""The rule-based persona extractor: it reads clauses, and every item cites its answer.

Transparent and conservative (better to miss than to invent). It reads answered, non-crisis
turns sentence by sentence, up to a sentence that instructs the system, and proposes items by
category, each in its own module:

==============  ==========================================================================
module          what it reads
==============  ==========================================================================
``values``      a value term with a cue ("matters to me", "I believe in"), a value opening
                an answer about values ("Thrift, I suppose."), or the person's own words
                after "what matters most to me is", "I value", "... is important to me";
                the description is what the person said about it, not an echo of its name
``goals``       a first-person intent ("I want to / hope to / 'm going to / 've always wanted
                to"), goal frames ("A personal goal is to", "The big one is to", "X, that's the
                plan"), and in goals answers imperatives ("Learn to drive."), obligations and
                noun phrases with a deadline; the horizon from the clause, the sentence or the
                question; a second verb after "and" starts a second goal
``style``       style words after a self-description, subjectless lists in style answers
                ("Formal at work, relaxed at home."), style phrases ("people say I go on a
                bit", "a straight shooter")
``focus``       the present progressive of an activity verb, "these days"-framed habits
                ("These days I volunteer at ..." -> "volunteering at ..."), "-ing" fragments
                in answers about the present, "I've just started ..."; interests after "I
                love / enjoy / am into" as activities ("I love to bake" -> "baking"); projects;
                domains ("I work as", "I've been a welder for")
``story``       dated and past-tense events with the person as subject, as neutral phrases
                ("I moved to Leeds in 2009" -> "Moved to Leeds in 2009"), formative cues;
                explicit trait self-labels
``common``      sentences, clause shortening at phrase boundaries (never dropping a long
                clause), person names (not weekdays, months, languages, places or verbs),
                the collector
==============  ==========================================================================

Always: every item cites the question ids it came from; an item repeated in several answers
gains confidence. A special-category clause or modifier (religion, health, sexuality, politics,
...) is held back, not the whole item ("retire from nursing in three years, God willing" keeps
the goal), and recorded in ``PersonaDraft.held_back``; an item whose own words are special is
marked ``special_category``. People's names never enter an item ("my uncle Declan" -> "my
uncle"); places do. Answers with crisis cues are skipped entirely.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from server.config import Category
from server.interview.crisis import detect_crisis
from server.interview.extract.common import SOURCE, _Collector, _Found, _sentences
from server.interview.extract.focus import (
    _extract_domains,
    _extract_focus,
    _extract_fragments,
    _extract_interests,
)
from server.interview.extract.goals import _extract_goals, horizon_of
from server.interview.extract.story import _extract_experience, _extract_traits
from server.interview.extract.style import _extract_style
from server.interview.extract.values import _extract_values
from server.interview.model import ExtractionRequest
from server.interview.sensitive import looks_like_instruction
from server.persona.draft import GoalItem, PersonaDraft, TextItem, TraitItem, ValueItem


def _usable_sentences(answer: str) -> Iterator[str]:
    """The answer's sentences up to (not including) the first one that instructs the system."""
    for sentence in _sentences(answer):
        if looks_like_instruction(sentence):
            return
        yield sentence


def _item_fields(found: _Found) -> dict[str, Any]:
    return {
        **found.fields,
        "evidence": tuple(found.evidence),
        "confidence": round(found.confidence, 2),
        "sensitivity": found.sensitivity,
    }


def _traits(out: _Collector) -> tuple[TraitItem, ...]:
    by_trait: dict[str, list[_Found]] = {}
    for found in out.found("traits"):
        by_trait.setdefault(found.fields["trait"], []).append(found)
    items = []
    for candidates in by_trait.values():
        if len({found.fields["score"] for found in candidates}) == 1:
            first = candidates[0]
            items.append(TraitItem(**_item_fields(first)))
    return tuple(items)


def extract_persona(request: ExtractionRequest) -> PersonaDraft:
    """A conservative, evidence-backed draft from the answered turns (see the module doc)."""
    out = _Collector()
    for turn in request.turns:
        if not turn.answered or not turn.answer or not turn.answer.strip():
            continue
        if detect_crisis(turn.answer).crisis:
            continue
        experiences = 0
        sentences = list(_usable_sentences(turn.answer))
        for index, sentence in enumerate(sentences):
            following = sentences[index + 1] if index + 1 < len(sentences) else ""
            _extract_values(sentence, turn, out, following)
            _extract_goals(sentence, turn, out)
            _extract_style(sentence, turn, out)
            _extract_interests(sentence, turn, out)
            _extract_focus(sentence, turn, out)
            _extract_fragments(sentence, turn, out, opening=index == 0)
            _extract_domains(sentence, turn, out)
            _extract_traits(sentence, turn, out)
            experiences = _extract_experience(sentence, turn, out, experiences)

    verbosity_found = out.found("verbosity")
    verbosity = TextItem(**_item_fields(verbosity_found[0])) if len(verbosity_found) == 1 else None
    return PersonaDraft(
        values=tuple(
            ValueItem(**_item_fields(found))
            for found in out.found("values")
            if found.fields["value"] not in out.denied_values
        ),
        goals=tuple(GoalItem(**_item_fields(found)) for found in out.found("goals")),
        traits=_traits(out),
        tone=tuple(TextItem(**_item_fields(found)) for found in out.found("tone")),
        verbosity=verbosity,
        interests=tuple(TextItem(**_item_fields(found)) for found in out.found("interests")),
        key_experiences=tuple(
            TextItem(**_item_fields(found)) for found in out.found("key_experiences")
        ),
        current_focus=tuple(
            TextItem(**_item_fields(found)) for found in out.found("current_focus")
        ),
        projects=tuple(TextItem(**_item_fields(found)) for found in out.found("projects")),
        domains=tuple(TextItem(**_item_fields(found)) for found in out.found("domains")),
        source=SOURCE,
        held_back=tuple(out.held_back.values()),
    )


# Which interview category each draft section tells about (coverage counts items by it).
SECTION_CATEGORY: dict[str, Category] = {
    "values": "values",
    "boundaries": "values",
    "goals": "goals",
    "traits": "style",
    "tone": "style",
    "verbosity": "style",
    "interests": "current_focus",
    "key_experiences": "biography",
    "narrative": "biography",
    "current_focus": "current_focus",
    "projects": "current_focus",
    "domains": "biography",
}


def understood_keys(draft: PersonaDraft) -> frozenset[tuple[Category, str]]:
    """(category, normalised text) of every item of ``draft``: what was understood, by topic.

    A project that is also a current focus counts once.
    """
    keys: set[tuple[Category, str]] = set()
    for name, category in SECTION_CATEGORY.items():
        value = getattr(draft, name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, ValueItem):
                text = item.value
            elif isinstance(item, GoalItem):
                text = item.goal
            elif isinstance(item, TraitItem):
                text = item.trait
            elif isinstance(item, TextItem):
                text = item.text
            else:
                continue
            keys.add((category, " ".join(text.lower().split())))
    return frozenset(keys)


__all__ = ["SECTION_CATEGORY", "extract_persona", "horizon_of", "understood_keys"]
