"""The LoRA training export: answered turns as chat-messages JSONL (pure, no I/O).

One JSON object per answered turn, in the ``messages`` format chat fine-tuning trainers read::

    {"messages": [{"role": "system", "content": "You are Ada. Answer as yourself, ..."},
                  {"role": "user", "content": "<the interviewer's question>"},
                  {"role": "assistant", "content": "<the person's answer>"}],
     "metadata": {"session_id": "...", "question_id": "q3", "category": "values"}}

The person's answer is the ``assistant`` turn, so a trainer that learns assistant turns learns
to speak as the person, not as the interviewer (MetaHuman's export had the roles the other way
round). Skipped and unanswered turns are left out; the caller removes crisis turns first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from server.errors import ValidationError
from server.interview.model import Turn

SYSTEM_TEMPLATE = "You are {name}. Answer as yourself, in your own words and voice."


def system_prompt(persona_name: str) -> str:
    """The system line naming the persona the model learns to be."""
    name = " ".join(persona_name.split())
    if not name:
        raise ValidationError("the training export needs the persona's name; got an empty name")
    return SYSTEM_TEMPLATE.format(name=name)


def training_records(
    session_id: str, persona_name: str, turns: Sequence[Turn]
) -> list[dict[str, Any]]:
    """One chat record per answered turn, in interview order."""
    system = system_prompt(persona_name)
    records: list[dict[str, Any]] = []
    for turn in turns:
        if turn.skipped or turn.answer is None:
            continue
        question, answer = turn.question.strip(), turn.answer.strip()
        if not question or not answer:
            continue
        records.append(
            {
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": answer},
                ],
                "metadata": {
                    "session_id": session_id,
                    "question_id": turn.question_id,
                    "category": turn.category,
                },
            }
        )
    return records


def render_jsonl(records: Iterable[Mapping[str, Any]]) -> str:
    """One compact JSON object per line, each ending in a newline, non-ASCII kept as is.

    U+2028 and U+2029 are escaped: JSON allows them raw, but some line readers (Python's
    ``str.splitlines``, JavaScript) treat them as line breaks and would split a record.
    """
    lines = []
    for record in records:
        line = json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        lines.append(line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n")
    return "".join(lines)
