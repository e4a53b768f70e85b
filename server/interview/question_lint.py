"""Checks on generated questions (pure): one open, non-leading, new question per turn.

:func:`check_question` reads a *question* (from the bank or from a model) and lists what is
wrong with it: not a question, several questions, a forbidden topic, a repeat, too long,
leading, or closed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Literal

from server.interview.text import split_sentences, straighten, word_set

QuestionProblemKind = Literal[
    "empty",
    "not_a_question",
    "multiple_questions",
    "forbidden_topic",
    "duplicate",
    "too_long",
    "leading",
    "closed",
]

MAX_QUESTION_LENGTH = 350
DUPLICATE_SIMILARITY = 0.8


@dataclasses.dataclass(frozen=True)
class QuestionProblem:
    kind: QuestionProblemKind
    detail: str


_AUXILIARIES = word_set(
    """
    do does did are is was were am have has had can could would will should shall may might
    must isn't aren't wasn't weren't don't doesn't didn't won't wouldn't can't couldn't
    shouldn't haven't hasn't hadn't
    """
)
_LEAD_IN_WORDS = word_set(
    """
    if when whenever looking thinking in at as since after before given with for over during
    besides apart beyond outside compared right honestly overall now today lately generally
    personally tell
    """
)
_FILLERS = frozenset({"and", "so", "but", "then", "now", "okay", "ok", "well", "also", "or"})
_REQUEST_START = re.compile(
    r"^(?:please\b|tell\b|share\b|give\b|list\b|name\b|describe\b|write\b|provide\b|send\b|"
    r"enter\b|type\b|let me know\b|i'd like to know\b|i would like to know\b|i need\b)",
    re.IGNORECASE,
)

_FORBIDDEN: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern, re.IGNORECASE))
    for topic, pattern in (
        (
            "a legal, full or family name",
            r"\byour (?:full|legal|real|birth|maiden|given|last|family|sur|first and last) ?"
            r"names?\b|\bsurnames?\b|\bmaiden names?\b|\bwhat(?:'s| is) your name\b",
        ),
        (
            "the names of other people",
            r"\bwhat (?:are|were|is|was) (?:the )?names? of\b|\bnames? of your\b"
            r"|\b(?:his|her|their|your \w+'s) (?:full )?name\b",
        ),
        (
            "a government or identity number",
            r"\bsocial security\b|\bssn\b|\bpassports?\b|\bdriver'?s? licen[cs]es?\b"
            r"|\b(?:national|government|state)[- ](?:issued )?(?:id|identity|identification|"
            r"insurance)\b|\b(?:id|identity|identification|tax|insurance|licen[cs]e) numbers?\b"
            r"|\bdate of birth\b|\bbirth ?date\b|\bcitizenship\b",
        ),
        (
            "health conditions, diagnoses or medication",
            r"\bdiagnos\w*|\bmedicat\w*|\bprescri\w*|\bmedicines?\b|\bpills?\b"
            r"|\b(?:health|medical|mental[- ]health|psychiatric) (?:conditions?|issues?|problems?|"
            r"history|records?|status|diagnos\w*|information|details)\b|\billness(?:es)?\b"
            r"|\bdisorders?\b|\bdisabilit\w*|\bsymptoms?\b"
            r"|\b(?:therapist|psychiatrist|psychologist|counsell?or)s?\b|\btherapy\b|\bpregnan\w*"
            r"|\bchronic\b|\bsurger(?:y|ies)\b|\bhospitali[sz]\w*|\baddict\w*"
            r"|\b(?:depression|bipolar|schizophreni\w*|ptsd|ocd|adhd|autis\w*|hiv|std|sti)\b"
            r"|\b(?:dna|genetic\w*|genome|biometric\w*|fingerprints?|blood type)\b",
        ),
        (
            "bank or account details, passwords or exact income",
            r"\b(?:bank|checking|savings|credit|debit)[- ]?(?:account|card|details)s?\b"
            r"|\baccount (?:numbers?|details|logins?|credentials)\b|\bcard (?:numbers?|details)\b"
            r"|\b(?:password|passcode|passphrase|pin code|pin number|credentials|username)s?\b"
            r"|\byour pin\b|\bsecurity (?:code|question)s?\b|\b(?:iban|routing number|sort code|"
            r"cvv|cvc)\b|\b(?:your|exact|annual|monthly) (?:salary|income|net worth|earnings)\b"
            r"|\bhow much (?:money )?do you (?:make|earn|have in)\b",
        ),
        (
            "a home address, contact details or exact location",
            r"\b(?:your|home|street|postal|mailing|email|e-mail|ip|exact|current) address(?:es)?\b"
            r"|\b(?:zip|post|postal) ?codes?\b|\bwhere (?:exactly )?do you (?:currently )?live\b"
            r"|\b(?:which|what) (?:street|neighbou?rhood|city|town|building|apartment) do you live"
            r"|\byour (?:exact |current |precise )?(?:location|whereabouts|coordinates)\b"
            r"|\b(?:your|an?) (?:e-?mail|phone|mobile|cell) (?:address|number)\b"
            r"|\bwhat(?:'s| is) your (?:e-?mail|phone|number)\b|\bphone number\b",
        ),
        (
            "religion or religious beliefs",
            r"\breligio\w*|\b(?:church|mosque|synagogue|temple|worship|prayers?|pray|praying)\b"
            r"|\bgod\b|\b(?:atheis|agnostic)\w*|\byour faith\b|\bspiritual\w*"
            r"|\b(?:christian|muslim|jewish|hindu|buddhist|sikh|catholic|protestant|mormon)s?\b",
        ),
        (
            "political views or votes",
            r"\bpolitic\w*|\bvot(?:e|ed|es|ing|er|ers)\b|\belections?\b|\bwhich party\b"
            r"|\b(?:democrats?|republicans?|labou?r party|tory|tories|left[- ]wing|right[- ]wing)\b"
            r"|\b(?:are you|you're|you are) (?:a )?(?:conservative|liberal|socialist|libertarian|"
            r"progressive)\b",
        ),
        (
            "sexual orientation or sex life",
            r"\bsexual\w*|\bsex\b|\b(?:gay|lesbian|bisexual|queer|homosexual|heterosexual|asexual|"
            r"pansexual|lgbt\w*)\b|\borientation\b|\bgender identity\b"
            r"|\b(?:who|whom) (?:do |are )?you (?:date|dating|sleep with)\b|\battracted to\b"
            r"|\b(?:sex|love|intimate) life\b",
        ),
        (
            "racial or ethnic origin",
            r"\bethnic\w*|\bracial\w*|\b(?:your|what) race\b|\brace or\b|\bskin (?:colou?r|tone)\b"
            r"|\bnationality\b|\bancestr\w*|\bheritage\b|\bimmigra\w*"
            r"|\bwhere are you (?:really |originally )?from\b"
            r"|\bwhat (?:country|countries) (?:are|is|were) (?:you|your (?:family|parents))"
            r"(?: originally)? from\b",
        ),
        (
            "trade-union membership",
            r"\b(?:trade|labou?r|workers'?) unions?\b|\bunion (?:member\w*|dues|rep)\b"
            r"|\b(?:in|join|joined|belong to) (?:a|the) union\b",
        ),
        (
            "a criminal record",
            r"\bcriminal\w*|\barrest\w*|\bconvict\w*|\b(?:prison|jail|incarcerat\w*)\b"
            r"|\bpolice record\b|\bcommit(?:ted)? (?:a )?crimes?\b|\bfelon\w*|\bmisdemeanou?r\w*"
            r"|\b(?:probation|parole)\b|\bbeen charged\b|\bbroken the law\b",
        ),
    )
)

_LEADING = re.compile(
    r"\b(?:don'?t|wouldn'?t|isn'?t|aren'?t|didn'?t|doesn'?t|won'?t) you (?:think|agree|feel|say)\b"
    r"|\bisn'?t it (?:true|fair|obvious|clear)\b|\bsurely\b|\bobviously\b|\bof course you\b"
    r"|\bi bet\b|\bi'?m sure you\b|\byou must (?:have|be|feel|really)\b"
    r"|\bmust have been (?:so |really )?(?:hard|difficult|painful|awful|terrible|amazing|"
    r"wonderful|traumatic|scary)\b|\bagree that\b|,\s*right\s*\?$",
    re.IGNORECASE,
)

_TOKEN = re.compile(r"[a-z0-9]+")
_IGNORED_TOKENS = frozenset({"the", "a", "an", "really", "just", "s", "t"})


def question_sentence(text: str) -> str:
    """The sentence that asks: the last one ending in '?', else the last sentence."""
    sentences = split_sentences(text)
    if not sentences:
        return ""
    for sentence in reversed(sentences):
        if sentence.endswith("?"):
            return sentence
    return sentences[-1]


def question_tokens(text: str) -> frozenset[str]:
    """Normalized token set of a question's asking sentence (a reflective preamble ignored)."""
    sentence = straighten(question_sentence(text)).lower().replace("'", "")
    return frozenset(t for t in _TOKEN.findall(sentence) if t not in _IGNORED_TOKENS)


def question_similarity(a: str, b: str) -> float:
    """Token-set (Jaccard) similarity of the asking sentences of two questions."""
    left, right = question_tokens(a), question_tokens(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _asked_parts(text: str) -> list[str]:
    """The parts of a turn that ask for something: question sentences and request sentences."""
    parts = []
    for sentence in split_sentences(text):
        if "?" in sentence or _REQUEST_START.match(sentence):
            parts.append(sentence)
    return parts or [text]


def _first_words(sentence: str) -> list[str]:
    words = re.findall(r"[a-z']+", straighten(sentence).lower())
    while words and words[0] in _FILLERS:
        words.pop(0)
    return words


def _is_closed(sentence: str) -> bool:
    words = _first_words(sentence)
    if not words:
        return False
    if words[0] in _AUXILIARIES:
        return True
    if words[0] in _LEAD_IN_WORDS and "," in sentence:
        after = _first_words(sentence.split(",", 1)[1])
        return bool(after) and after[0] in _AUXILIARIES
    return False


def _shorten(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def check_question(text: str, asked: Sequence[str]) -> list[QuestionProblem]:
    """What is wrong with a question turn, for a person to read; an empty list means none.

    A turn may open with a reflective statement ("You mentioned that ...") before its one
    question; only the question (and any sentence that makes a request) is checked for
    forbidden topics, closed or leading wording and repeats.
    """
    stripped = text.strip()
    if not stripped:
        return [QuestionProblem("empty", "The question is empty.")]
    problems: list[QuestionProblem] = []
    if len(stripped) > MAX_QUESTION_LENGTH:
        problems.append(
            QuestionProblem(
                "too_long",
                f"The question is {len(stripped)} characters long; keep it under "
                f"{MAX_QUESTION_LENGTH} so it is easy to read.",
            )
        )
    if not stripped.endswith("?"):
        problems.append(
            QuestionProblem(
                "not_a_question", "The turn does not end with a question mark; ask one question."
            )
        )
    marks = len(re.findall(r"\?+", stripped))
    if marks > 1:
        problems.append(
            QuestionProblem(
                "multiple_questions",
                f"The turn asks {marks} questions; ask exactly one (a short reflection before it "
                "is fine).",
            )
        )
    asked_parts = _asked_parts(stripped)
    topics: list[str] = []
    for topic, pattern in _FORBIDDEN:
        if any(pattern.search(part) for part in asked_parts) and topic not in topics:
            topics.append(topic)
    if topics:
        problems.append(
            QuestionProblem(
                "forbidden_topic",
                "The question asks about " + " and ".join(topics) + ", which this interview "
                "never asks for.",
            )
        )
    sentence = question_sentence(stripped)
    if _LEADING.search(sentence):
        problems.append(
            QuestionProblem(
                "leading",
                "The question suggests its own answer; ask without assuming what the person "
                "thinks or feels.",
            )
        )
    if _is_closed(sentence):
        problems.append(
            QuestionProblem(
                "closed",
                "The question can be answered with yes or no; ask an open question (what, how, "
                "which, when, tell me about...).",
            )
        )
    best, best_score = "", 0.0
    for earlier in asked:
        score = question_similarity(stripped, earlier)
        if score > best_score:
            best, best_score = earlier, score
    if best_score >= DUPLICATE_SIMILARITY:
        problems.append(
            QuestionProblem(
                "duplicate",
                f"The question repeats one already asked ({best_score:.0%} the same words): "
                f"{_shorten(question_sentence(best))!r}.",
            )
        )
    return problems
