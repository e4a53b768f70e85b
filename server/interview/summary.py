"""MI summaries the person can correct: what the interviewer understood, said back briefly.

Pure functions. :func:`plan_summary` decides whether a summary is due and writes it:

* at a **topic change**: the last closed question was about topic T, the next one will be about
  another topic (or none), and T has answers no earlier summary covered;
* **before finishing**: the interview is complete and some answers were never summarized (one
  summary for every such topic).

The text is built from the draft items the rule extractor finds in those answers (whatever the
interviewing backend, so it is instant and works offline), in neutral second-person phrases:
"So far I have: honesty and fairness matter to you; you want to open a small bakery. Did I get
that right?". It never quotes an answer: a phrase that carries crisis content, a health detail,
an address, an identifying number, a special-category detail or another person's name is left
out (:func:`server.interview.echo.safe_to_echo`). When nothing was understood, the summary says
so and invites the person to put it in their own words, which gives them control even when the
extractor misses everything.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from server.config import Category, InterviewConfig
from server.interview.coverage import CATEGORY_NOUNS
from server.interview.echo import safe_to_echo
from server.interview.extract_rules import extract_persona
from server.interview.model import ExtractionRequest, Turn
from server.interview.text import second_person
from server.persona.draft import DraftItem, GoalItem, PersonaDraft, TextItem, ValueItem

MAX_ITEMS = 4
MAX_PHRASE_WORDS = 16
SUMMARY_OPENING = "So far I have:"
SUMMARY_CHECK = "Did I get that right?"


@dataclasses.dataclass(frozen=True)
class PlannedSummary:
    categories: tuple[Category, ...]
    text: str
    items: tuple[str, ...]
    covers: tuple[str, ...]


def _join(words: Sequence[str]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _clause(text: str) -> str:
    text = second_person(text.strip().rstrip(".!?;:,").strip())
    return text[:1].lower() + text[1:]


def _usable(phrase: str) -> bool:
    return 0 < len(phrase.split()) <= MAX_PHRASE_WORDS and safe_to_echo(phrase)


def _section_phrases(draft: PersonaDraft) -> list[str]:
    """One neutral phrase per section (values together, tone together), in section order."""
    phrases: list[str] = []

    def keep(items: Sequence[DraftItem]) -> list[DraftItem]:
        return [item for item in items if item.sensitivity != "special_category"]

    values = [v.value for v in keep(draft.values) if isinstance(v, ValueItem)]
    values = [value for value in values if _usable(value)]
    if values:
        verb = "matters" if len(values) == 1 else "matter"
        phrases.append(f"{_join(values[:3])} {verb} to you")
    for goal in keep(draft.goals):
        assert isinstance(goal, GoalItem)
        phrases.append(f"you want to {_clause(goal.goal)}")
    tone = [t.text for t in keep(draft.tone) if isinstance(t, TextItem) and _usable(t.text)]
    if tone:
        phrases.append(f"you come across as {_join(tone[:3])}")
    focus = [_clause(f.text) for f in keep(draft.current_focus) if isinstance(f, TextItem)]
    focus = [text for text in focus if _usable(text)]
    if focus:
        phrases.append(f"right now you're focused on {_join(focus[:2])}")
    for experience in keep(draft.key_experiences):
        assert isinstance(experience, TextItem)
        phrases.append(_clause(experience.text))
    interests = [_clause(i.text) for i in keep(draft.interests) if isinstance(i, TextItem)]
    interests = [interest for interest in interests if _usable(interest)]
    if interests:
        phrases.append(f"you enjoy {_join(interests[:3])}")
    work = [_clause(d.text) for d in keep(draft.domains) if isinstance(d, TextItem)]
    work = [text for text in work if _usable(text)]
    if work:
        phrases.append(f"your work: {_join(work[:2])}")
    return [phrase for phrase in dict.fromkeys(phrases) if _usable(phrase)]


def understood(turns: Sequence[Turn], config: InterviewConfig) -> list[str]:
    """What the rule extractor understood from ``turns``, as short neutral phrases."""
    if not turns:
        return []
    draft = extract_persona(ExtractionRequest("summary", tuple(turns), config))
    return _section_phrases(draft)[:MAX_ITEMS]


def summary_text(categories: Sequence[Category], items: Sequence[str]) -> str:
    """The words of the summary (see the module docstring)."""
    if items:
        return f"{SUMMARY_OPENING} {'; '.join(items)}. {SUMMARY_CHECK}"
    topics = _join([CATEGORY_NOUNS[category] for category in categories])
    return (
        f"I haven't noted anything specific about {topics} yet. If there is something you "
        "would like me to write down, put it in your own words; otherwise just confirm."
    )


def summarize(
    categories: Sequence[Category], turns: Sequence[Turn], config: InterviewConfig
) -> PlannedSummary:
    items = tuple(understood(turns, config))
    return PlannedSummary(
        categories=tuple(categories),
        text=summary_text(categories, items),
        items=items,
        covers=tuple(turn.question_id for turn in turns),
    )


def _unsummarized(turns: Sequence[Turn], done: set[str]) -> list[Turn]:
    return [turn for turn in turns if turn.answered and turn.question_id not in done]


def plan_summary(
    turns: Sequence[Turn],
    summarized: set[str],
    next_category: Category | None,
    complete: bool,
    config: InterviewConfig,
) -> PlannedSummary | None:
    """The summary due now, or None (see the module docstring).

    ``turns`` are the session's closed turns in order (crisis turns already left out),
    ``summarized`` the ids earlier summaries covered, ``next_category`` the topic of the next
    question (None when no question follows) and ``complete`` whether the interview is done.
    """
    if not config.interviewing_techniques.motivational_interviewing:
        return None
    fresh = _unsummarized(turns, summarized)
    if not fresh:
        return None
    if complete:
        categories = tuple(dict.fromkeys(turn.category for turn in fresh))
        return summarize(categories, fresh, config)
    closed = [turn for turn in turns if turn.answered or turn.skipped]
    if not closed:
        return None
    left = closed[-1].category
    if next_category == left:
        return None
    topic = [turn for turn in fresh if turn.category == left]
    if not topic:
        return None
    return summarize((left,), topic, config)


# -- corrections that take something back ---------------------------------------------------

_NEGATION = re.compile(
    r"\b(?:not|no|never|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wasn'?t|won'?t|nor|"
    r"no longer|rather than|instead of|wrong about)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    re.findall(
        r"[a-z]+",
        "a an the and or to of in on at for with my your you i me it is are was be been "
        "want wants like would some any this that these those",
    )
)
_NEGATION_REACH = 3


def _content(text: str) -> set[str]:
    return {
        word
        for word in re.findall(r"[a-z]+", second_person(text).lower())
        if len(word) > 2 and word not in _STOP
    }


def negates(correction: str, text: str) -> bool:
    """Whether ``correction`` takes ``text`` back: a content word of ``text`` comes within a
    few words after a negation ("Not a shop: ...", "I'm no longer into chess")."""
    wanted = _content(text)
    for match in _NEGATION.finditer(correction):
        following = re.findall(r"[a-z']+", correction[match.end() :].lower())[:_NEGATION_REACH]
        if wanted & set(following):
            return True
    return False


def _item_text(item: DraftItem) -> str:
    if isinstance(item, ValueItem):
        return item.value
    if isinstance(item, GoalItem):
        return item.goal
    return item.text if isinstance(item, TextItem) else ""


def without_taken_back(
    draft: PersonaDraft, corrections: Sequence[tuple[str, Sequence[str]]]
) -> PersonaDraft:
    """``draft`` without the items a correction took back.

    ``corrections`` holds (correction text, ids of the answers its summary covered). Only an
    item that rests on those answers alone can be taken back by it.
    """

    def taken_back(item: DraftItem) -> bool:
        text = _item_text(item)
        return any(
            set(item.evidence) <= set(covers) and negates(correction, text)
            for correction, covers in corrections
        )

    update: dict[str, object] = {}
    for name in type(draft).model_fields:
        value = getattr(draft, name)
        if isinstance(value, DraftItem):
            update[name] = None if taken_back(value) else value
        elif isinstance(value, tuple) and value and isinstance(value[0], DraftItem):
            update[name] = tuple(item for item in value if not taken_back(item))
    return draft.model_copy(update=update)
