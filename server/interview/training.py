"""The LoRA training export and the policy it follows (pure, no I/O).

One JSON object per exported turn, in the ``messages`` format chat fine-tuning trainers read::

    {"messages": [{"role": "system", "content": "You are Ada. Answer as yourself, ..."},
                  {"role": "user", "content": "<the interviewer's question>"},
                  {"role": "assistant", "content": "<the person's answer>"}],
     "metadata": {"session_id": "...", "question_id": "q3", "category": "values",
                  "policy": "personagen-training/1", "redacted": ["address"]}}

The person's answer is the ``assistant`` turn, so a trainer that learns assistant turns learns
to speak as the person, not as the interviewer.

The export policy (:data:`POLICY_VERSION`), decided per turn by :func:`review_turns`:

* a turn whose answer or question holds crisis content (:func:`detect_crisis`, either
  verdict) is **excluded**, as is every turn the session marked as a crisis turn;
* a turn the person excluded in the review is **excluded**;
* sensitive spans in the question and the answer (addresses, e-mail addresses, phone and ID
  numbers, health details, other people's names, sentences that instruct the system) are
  **redacted** with a mark such as ``[address]`` (:func:`server.interview.sensitive.redact`);
* a sentence of a later question that quotes a turn the person excluded is dropped, so the
  exclusion holds even where the interviewer reflected that answer back;
* a turn with fewer than :data:`MIN_WORDS_LEFT` words of its own left after redaction is
  **excluded**: what is left would teach nothing but the marks;
* skipped and unanswered turns are never exported.

Every turn's decision carries its reasons, for the person to read before anything is written;
every record written carries the policy version and the kinds it had redacted.
:func:`refilter_jsonl` applies the policy to an export written before it existed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Literal

from server.errors import ValidationError
from server.interview.crisis import detect_crisis
from server.interview.model import Turn
from server.interview.sensitive import REDACTION_MARKS, redact
from server.interview.text import split_sentences

SYSTEM_TEMPLATE = "You are {name}. Answer as yourself, in your own words and voice."
POLICY_VERSION = "personagen-training/1"
MIN_WORDS_LEFT = 3

Decision = Literal["keep", "redact", "exclude"]
CRISIS_REASON = "crisis content"
EXCLUDED_BY_PERSON = "excluded by you"
QUOTES_EXCLUDED = "question quoted an excluded turn"


@dataclasses.dataclass(frozen=True)
class TurnDecision:
    """What the export does with one answered turn, and why.

    ``question`` and ``answer`` are the texts as they would be written (redacted); both are
    empty for an excluded turn, so a crisis statement is never shown again.
    """

    question_id: str
    category: str
    decision: Decision
    reasons: tuple[str, ...]
    question: str = ""
    answer: str = ""

    @property
    def exported(self) -> bool:
        return self.decision != "exclude"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "category": self.category,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "question": self.question,
            "answer": self.answer,
        }


def system_prompt(persona_name: str) -> str:
    """The system line naming the persona the model learns to be."""
    name = " ".join(persona_name.split())
    if not name:
        raise ValidationError("the training export needs the persona's name; got an empty name")
    return SYSTEM_TEMPLATE.format(name=name)


_MARK = re.compile("|".join(re.escape(mark) for mark in REDACTION_MARKS.values()))


def _words_left(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9']+", _MARK.sub(" ", text)))


def decide_turn(
    question_id: str,
    category: str,
    question: str,
    answer: str,
    own_names: Iterable[str] = (),
    excluded: Collection[str] = (),
) -> TurnDecision:
    """The policy applied to one question and answer (see the module docstring)."""
    if detect_crisis(answer).crisis or detect_crisis(question).crisis:
        return TurnDecision(question_id, category, "exclude", (CRISIS_REASON,))
    if question_id in excluded:
        return TurnDecision(question_id, category, "exclude", (EXCLUDED_BY_PERSON,))
    names = tuple(own_names)
    clean_question, question_kinds = redact(question, names)
    clean_answer, answer_kinds = redact(answer, names)
    kinds = tuple(dict.fromkeys((*answer_kinds, *question_kinds)))
    if _words_left(clean_answer) < MIN_WORDS_LEFT:
        why = "too little left after removing: " + ", ".join(kinds or ("nothing",))
        return TurnDecision(question_id, category, "exclude", (why,))
    if kinds:
        return TurnDecision(question_id, category, "redact", kinds, clean_question, clean_answer)
    return TurnDecision(question_id, category, "keep", (), clean_question, clean_answer)


def review_turns(
    turns: Sequence[Turn],
    own_names: Iterable[str] = (),
    excluded: Collection[str] = (),
    crisis_turns: Sequence[Turn] = (),
) -> list[TurnDecision]:
    """The decision for every answered turn, in interview order.

    ``crisis_turns`` are turns the session held back as crisis turns: they are listed as
    excluded (so the person sees that they were left out) without their text.
    """
    names = tuple(own_names)
    held_back = {turn.question_id: turn for turn in crisis_turns}
    left_out = [t.answer for t in turns if t.question_id in excluded and t.answer is not None]
    decisions = []
    for turn in sorted([*turns, *held_back.values()], key=lambda t: _order(t.question_id)):
        if turn.question_id in held_back:
            decisions.append(
                TurnDecision(turn.question_id, turn.category, "exclude", (CRISIS_REASON,))
            )
            continue
        if turn.skipped or turn.answer is None:
            continue
        question, answer = turn.question.strip(), turn.answer.strip()
        if not question or not answer:
            continue
        decision = decide_turn(turn.question_id, turn.category, question, answer, names, excluded)
        decisions.append(_without_quotes(decision, left_out))
    return decisions


_QUOTE_WORDS = 4


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(words[i : i + _QUOTE_WORDS]) for i in range(len(words) - _QUOTE_WORDS + 1)}


def _without_quotes(decision: TurnDecision, left_out: Sequence[str]) -> TurnDecision:
    """Drop the sentences of a kept turn's question that quote a turn left out of the export
    (a later question reflecting an excluded answer would otherwise carry it back in)."""
    if not decision.exported or not left_out:
        return decision
    quoted = set().union(*(_shingles(text) for text in left_out))
    sentences = split_sentences(decision.question)
    kept = [sentence for sentence in sentences if not _shingles(sentence) & quoted]
    if len(kept) == len(sentences):
        return decision
    if not kept:
        why = (QUOTES_EXCLUDED + " and nothing else",)
        return TurnDecision(decision.question_id, decision.category, "exclude", why)
    reasons = tuple(dict.fromkeys((*decision.reasons, QUOTES_EXCLUDED)))
    return dataclasses.replace(
        decision, decision="redact", reasons=reasons, question=" ".join(kept)
    )


def _order(question_id: str) -> tuple[int, str]:
    digits = question_id.lstrip("q")
    return (int(digits), question_id) if digits.isdigit() else (10**9, question_id)


def export_records(
    session_id: str, persona_name: str, decisions: Sequence[TurnDecision]
) -> list[dict[str, Any]]:
    """One chat record per exported decision, in order, each naming the policy version."""
    system = system_prompt(persona_name)
    return [
        {
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": decision.question},
                {"role": "assistant", "content": decision.answer},
            ],
            "metadata": {
                "session_id": session_id,
                "question_id": decision.question_id,
                "category": decision.category,
                "policy": POLICY_VERSION,
                "redacted": list(decision.reasons) if decision.decision == "redact" else [],
            },
        }
        for decision in decisions
        if decision.exported
    ]


def training_records(
    session_id: str,
    persona_name: str,
    turns: Sequence[Turn],
    excluded: Collection[str] = (),
) -> list[dict[str, Any]]:
    """The export of ``turns`` under the policy: the persona's own name is not redacted."""
    decisions = review_turns(turns, own_names=(persona_name,), excluded=excluded)
    return export_records(session_id, persona_name, decisions)


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


@dataclasses.dataclass(frozen=True)
class Refiltered:
    """An export re-filtered under the current policy."""

    text: str
    before: int
    decisions: tuple[TurnDecision, ...]
    changed: bool

    @property
    def after(self) -> int:
        return sum(1 for decision in self.decisions if decision.exported)


def _record_parts(record: Any, line_number: int) -> tuple[str, str, str, dict[str, Any]]:
    """(system, question, answer, metadata) of one exported record; a clear error if not one."""
    messages = record.get("messages") if isinstance(record, dict) else None
    roles = [m.get("role") for m in messages] if isinstance(messages, list) else []
    if roles != ["system", "user", "assistant"] or not all(
        isinstance(m.get("content"), str) for m in messages or []
    ):
        raise ValidationError(
            f"line {line_number} of the training export is not a system/user/assistant record; "
            f"got roles {roles}"
        )
    assert isinstance(messages, list)
    metadata = record.get("metadata")
    return (
        messages[0]["content"],
        messages[1]["content"],
        messages[2]["content"],
        dict(metadata) if isinstance(metadata, dict) else {},
    )


def refilter_jsonl(text: str, own_names: Iterable[str] = ()) -> Refiltered:
    """Apply the current policy to an export already written (possibly before the policy).

    Only takes away: records are dropped or redacted, never added, so a turn the person
    excluded earlier stays out. Records already redacted are checked again (idempotent).
    """
    names = tuple(own_names)
    kept: list[dict[str, Any]] = []
    decisions: list[TurnDecision] = []
    lines = [line for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ValidationError(
                f"line {number} of the training export is not JSON ({exc})"
            ) from None
        system, question, answer, metadata = _record_parts(record, number)
        question_id = str(metadata.get("question_id", f"line{number}"))
        category = str(metadata.get("category", ""))
        decision = decide_turn(question_id, category, question, answer, names)
        decisions.append(decision)
        if not decision.exported:
            continue
        earlier = [str(kind) for kind in metadata.get("redacted") or []]
        now = list(decision.reasons) if decision.decision == "redact" else []
        metadata.update(policy=POLICY_VERSION, redacted=list(dict.fromkeys([*earlier, *now])))
        kept.append(
            {
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": decision.question},
                    {"role": "assistant", "content": decision.answer},
                ],
                "metadata": metadata,
            }
        )
    rendered = render_jsonl(kept)
    return Refiltered(rendered, len(lines), tuple(decisions), rendered != text)
