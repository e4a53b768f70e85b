"""Shared persona fixtures: a realistic MetaHuman ``core.json`` and an interview draft."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from server.persona.draft import GoalItem, PersonaDraft, TextItem, TraitItem, ValueItem

NOW = datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)
NOW_TEXT = "2026-03-01T12:30:45.123Z"

# Keys no part of Personagen owns; they must come through every operation unchanged.
UNKNOWN_TOP_LEVEL = {
    "$schema": "https://metahuman.local/schemas/persona-core.json",
    "notes": "Edited by hand in November.",
    "x-other-tool": {"keep": [1, 2, {"a": None}]},
}

_CORE: dict[str, Any] = {
    "$schema": "https://metahuman.local/schemas/persona-core.json",
    "version": "0.2.0",
    "lastUpdated": "2025-11-15T02:30:00.000Z",
    "identity": {
        "name": "Ada",
        "role": "Digital personality extension",
        "purpose": "Think alongside Alex and speak in their voice",
        "icon": "🌿",
        "humanName": "Alex",
        "aliases": ["A."],
    },
    "personality": {
        "communicationStyle": {
            "tone": ["direct", "warm"],
            "verbosity": "balanced",
            "emphasis": "clarity and usefulness",
            "humor": "dry",
        },
        "traits": {
            "openness": 0.75,
            "conscientiousness": 0.7,
            "extraversion": 0.4,
            "agreeableness": 0.65,
            "neuroticism": 0.3,
            "notes": "self-rated, 2025",
        },
        "archetypes": ["gardener"],
        "aesthetic": ["plain text", "small tools"],
        "interests": ["AI safety", "woodworking"],
        "narrativeStyle": "understates achievements",
    },
    "values": {
        "core": [
            {"value": "honesty", "description": "Say what I think, kindly.", "priority": 1},
            {"value": "autonomy", "description": "", "priority": 2, "since": 2019},
        ],
        "boundaries": ["No deceptive communication"],
    },
    "goals": {
        "shortTerm": [
            {
                "goal": "Ship v1 of the garden app",
                "status": "active",
                "id": "goal-7f3a",
                "sourceDesireId": "desire-19",
                "sourceType": "desire",
                "approvedAt": "2025-10-02T08:00:00.000Z",
            }
        ],
        "midTerm": [{"goal": "Learn Rust", "status": "planning", "id": "goal-2b11"}],
        "longTerm": [{"goal": "Start a consultancy", "status": "aspirational"}],
    },
    "context": {
        "domains": ["software"],
        "projects": [
            {"name": "garden app", "status": "active", "summary": "Plant tracker"},
            "home server",
        ],
        "currentFocus": ["Learning user patterns"],
        "x-weather": {"city": None},
    },
    "background": {
        "keyExperiences": ["Moved countries at 12"],
        "formativeEvents": [],
        "narrative": "Grew up between two languages; self-taught programmer.",
    },
    "decisionHeuristics": [
        {"signal": "unclear request", "response": "ask one question", "evidence": "chat logs"}
    ],
    "writingStyle": {
        "structure": "short paragraphs",
        "motifs": ["gardens"],
        "defaultMantra": "Small steps.",
    },
    "notes": "Edited by hand in November.",
    "x-other-tool": {"keep": [1, 2, {"a": None}]},
}


def metahuman_core() -> dict[str, Any]:
    """A fresh copy of a realistic canonical MetaHuman ``core.json``."""
    return copy.deepcopy(_CORE)


def _text(text: str, *evidence: str, sensitivity: str = "none") -> TextItem:
    return TextItem.model_validate(
        {
            "text": text,
            "evidence": evidence or ("q1",),
            "confidence": 0.8,
            "sensitivity": sensitivity,
        }
    )


def interview_draft() -> PersonaDraft:
    """A draft that overlaps the fixture (honesty, garden app, AI safety) and adds new items."""
    return PersonaDraft(
        values=(
            ValueItem(
                value="Honesty",
                description="Telling the truth even when it costs me.",
                evidence=("q1",),
                confidence=0.9,
            ),
            ValueItem(
                value="curiosity",
                description="Following questions wherever they lead.",
                evidence=("q1", "q3"),
                confidence=0.7,
            ),
            ValueItem(
                value="faith",
                description="My religion guides me.",
                evidence=("q2",),
                confidence=0.9,
                sensitivity="special_category",
            ),
        ),
        boundaries=(_text("No work on Sundays", "q2"),),
        goals=(
            GoalItem(
                goal="ship v1 of the  garden app",
                horizon="shortTerm",
                evidence=("q4",),
                confidence=0.8,
            ),
            GoalItem(goal="Run a marathon", horizon="midTerm", evidence=("q4",), confidence=0.6),
            GoalItem(goal="Write a book", horizon="longTerm", evidence=("q5",), confidence=0.5),
        ),
        traits=(TraitItem(trait="openness", score=0.82, evidence=("q3",), confidence=0.4),),
        tone=(_text("Warm", "q6"), _text("playful", "q6")),
        verbosity=_text("concise", "q6"),
        interests=(_text("ai safety", "q3"), _text("bouldering", "q3")),
        key_experiences=(
            _text("Therapy for depression in 2019", "q5", sensitivity="special_category"),
            _text("First job at a bakery", "q5"),
        ),
        narrative=_text("Raised by my grandmother; I learned to build things early.", "q5"),
        current_focus=(_text("Marathon training", "q7"),),
        projects=(_text("garden app", "q7"), _text("persona tool", "q7")),
        domains=(_text("gardening", "q7"),),
        source="builtin",
    )
