"""Complex reflections name a meaning, never a fact the person did not give.

Run over the simulated interviews of ``server/eval`` (scored, not tuned on here): every word of
a reflection that the person never said is a word of the bank's reflection templates ("matters",
"part of who you are", ...) or a label the extractor gave to something the person said
("concise" for "I keep my messages short"). Nothing else is added.
"""

from __future__ import annotations

import re
from typing import Any

from server.eval.harness import InterviewRecord
from server.eval.metrics import code_interview
from server.eval.text import content_stems, found_in
from server.interview.bank_data import load_bank
from server.persona.draft import PersonaDraft

Run = tuple[dict[str, Any], list[InterviewRecord]]


def template_stems() -> set[str]:
    reflections = load_bank().reflections
    texts = [
        *reflections.simple,
        *reflections.double_sided,
        *reflections.link,
        *reflections.value,
        *reflections.goal,
        *reflections.focus,
        *reflections.style,
        *reflections.experience,
        *reflections.feeling.values(),
        *reflections.acknowledgements.loss,
        *reflections.acknowledgements.strain,
    ]
    return set().union(*(content_stems(re.sub(r"\{\w+\}", " ", text)) for text in texts))


def label_stems(draft: PersonaDraft | None) -> set[str]:
    if draft is None:
        return set()
    labels = [value.value for value in draft.values] + [tone.text for tone in draft.tone]
    if draft.verbosity is not None:
        labels.append(draft.verbosity.text)
    return content_stems(" ".join(labels))


def test_reflections_add_only_template_words_or_the_extractors_labels(
    tuning_run: Run,
) -> None:
    allowed = template_stems()
    _, records = tuning_run
    checked = 0
    for record in records:
        labels = label_stems(record.draft)
        for coded in code_interview(record):
            for word in coded.ungrounded:
                checked += 1
                assert found_in(word, allowed) or found_in(word, labels), (
                    word,
                    coded.turn.question,
                )
    assert checked > 0  # the interviews do hold complex reflections
