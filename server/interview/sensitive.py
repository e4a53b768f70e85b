"""Sensitive content in answers (pure): special categories, family details, instructions.

:func:`special_categories` / :func:`sensitivity_of` tag text that touches health, religion,
politics, sexuality, ethnicity, union membership, criminal records or family details, and
:func:`looks_like_instruction` spots answer text that tries to instruct the system. The
question bank, the rule-based extractor and the training export share them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Literal

from server.interview.text import name_spans
from server.persona.draft import Sensitivity

_SPECIAL_CATEGORY_TERMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "health",
            r"\b(?:diagnos\w*|medicat\w*|prescri\w*|therap(?:y|ist|ists)|psychiatr\w*|"
            r"psycholog(?:ist|ists)|depress(?:ion|ed|ive)|anxiety|panic attacks?|adhd|autis\w*|"
            r"bipolar|ptsd|ocd|cancer|diabet\w*|illness(?:es)?|diseases?|disorders?|chronic|"
            r"surger(?:y|ies)|hospitali[sz]\w*|hospital|pregnan\w*|miscarr\w*|disabilit\w*|"
            r"disabled|rehab|sober|sobriety|addict\w*|alcoholi\w*|anorexi\w*|bulimi\w*|"
            r"mental health|injur(?:y|ies|ed)|pills|meds|hiv|migraines?|asthma|epilep\w*|"
            r"insomnia|chemo\w*|symptoms?|dna|genetic\w*|biometric\w*|health (?:condition|"
            r"issue|problem|scare)s?)\b",
        ),
        (
            "religion",
            r"\b(?:religio\w*|faith|church|churches|mosque|synagogue|temple|pray\w*|god|jesus|"
            r"allah|bible|quran|koran|torah|christian\w*|muslims?|islam\w*|jewish|judaism|"
            r"hindu\w*|buddhis\w*|sikh\w*|catholic\w*|protestant\w*|atheis\w*|agnostic\w*|"
            r"spiritual\w*|worship\w*|ramadan|sabbath|bapti[sz]\w*)\b",
        ),
        (
            "politics",
            r"\b(?:politic\w*|vot(?:e|ed|es|ing|er|ers)|elections?|democrats?|democratic party|"
            r"republicans?|conservative party|labou?r party|tory|tories|left[- ]wing|"
            r"right[- ]wing|socialis\w*|communis\w*|activis[mt]\w*|protest(?:s|ed|ing)?|"
            r"campaign(?:ed|ing) for)\b",
        ),
        (
            "sexuality",
            r"\b(?:gay|lesbian|bisexual|queer|trans|transgender|homosexual|heterosexual|asexual|"
            r"pansexual|sexual\w*|sex|lgbt\w*|came out|coming out)\b",
        ),
        (
            "ethnicity",
            r"\b(?:ethnic\w*|race|racial\w*|racis[mt]\w*|immigra\w*|refugees?|ancestr\w*|"
            r"heritage|indigenous|hispanic|latin[oax]s?|nationality|citizenship|skin colou?r)\b",
        ),
        (
            "union membership",
            r"\b(?:trade|labou?r|workers'?) unions?\b|\bunion (?:member\w*|rep)\b",
        ),
        (
            "criminal record",
            r"\b(?:arrest\w*|prison|jail\w*|convict\w*|criminal\w*|felon\w*|probation|parole|"
            r"crimes?|sentenced|police record|charged with|incarcerat\w*)\b",
        ),
    )
)

_FAMILY_TERMS = re.compile(
    r"\b(?:mother|mothers|mom|moms|mum|mums|father|fathers|dad|dads|parents?|sisters?|"
    r"brothers?|siblings?|sons?|daughters?|kids?|children|child|wife|husband|partner|spouse|"
    r"grand(?:mother|father|ma|pa|parents?|kids?|children|sons?|daughters?)|aunts?|uncles?|"
    r"cousins?|nieces?|nephews?|family|families|divorc\w*|marri\w*|fianc\w*|boyfriend|"
    r"girlfriend|in-laws?|step(?:mom|mother|dad|father|son|daughter|kids?|children))\b",
    re.IGNORECASE,
)


def special_categories(text: str) -> tuple[str, ...]:
    """The special categories (GDPR Art. 9/10 style) that ``text`` touches, in a fixed order."""
    return tuple(name for name, pattern in _SPECIAL_CATEGORY_TERMS if pattern.search(text))


def mentions_family(text: str) -> bool:
    return _FAMILY_TERMS.search(text) is not None


def sensitivity_of(text: str) -> Sensitivity:
    """``special_category`` beats ``personal`` (family details) beats ``none``."""
    if special_categories(text):
        return "special_category"
    if mentions_family(text):
        return "personal"
    return "none"


_INSTRUCTION_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|rules|"
        r"prompts?|previous|above|guidelines|system|programming)\b|\bforget everything\b",
        r"\b(?:add|set|write|put|record|store|change|update|delete|remove|mark|save|insert)\b"
        r".{0,50}\b(?:profile|persona|core\.json|json|database)\b",
        r"\b(?:write|say|record|put|store|mark|note|list|claim|state) (?:down )?that "
        r"(?:my|i|the user)\b",
        r"\byou (?:are|will be) now\b|\byou must\b|\byou will now\b|\bfrom now on\b",
        r"\bact as (?:if|though) you\b|\bact as an? (?:ai|assistant|model|system|chatbot)\b"
        r"|\bpretend (?:to be|you|that)\b",
        r"\b(?:new|updated|real|hidden) instructions?\b|\bsystem prompt\b|\bdeveloper mode\b",
        r"\bjailbreak\w*\b|\bas an ai\b|\bassistant:|\bsystem:|<\|?/?\w*\|?>|\[/?(?:inst|system)\]",
        r"\b(?:respond|reply|answer|output|print|return) (?:only )?(?:with|in) "
        r"(?:json|yaml|xml|code|yes|no)\b|\boutput (?:the|your|json)\b",
        r"```",
    )
)


def looks_like_instruction(text: str) -> bool:
    """True when a sentence of an answer reads like an instruction aimed at the system.

    Such text is data: the extractor never turns it into an item and the question bank never
    reflects it back.
    """
    return any(pattern.search(text) for pattern in _INSTRUCTION_PATTERNS)


# --------------------------------------------------------------------------------------------
# Spans to redact before anything leaves the interview (the training export)
# --------------------------------------------------------------------------------------------

SpanKind = Literal[
    "address",
    "email",
    "phone number",
    "id number",
    "health detail",
    "third-party name",
    "injected instruction",
]


@dataclasses.dataclass(frozen=True)
class SensitiveSpan:
    """``text[start:end]`` is sensitive; ``kind`` says why (recorded as the redaction reason)."""

    kind: SpanKind
    start: int
    end: int


_STREET_WORDS = (
    r"(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
    r"terrace|close|crescent|square|sq|parkway|highway|hwy|gardens|grove|row|mews|walk|hill|"
    r"strasse|straße|weg|gasse|platz|rue|via|calle|straat)"
)
_ADDRESS_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # "42 Elm Street", "flat 3, 17 Harbour Road", "221B Baker St."
        r"\b(?:(?i:flat|apt|apartment|unit|suite|no\.?)\s*\d+\w?,?\s+)?\d{1,5}[a-z]?,?\s+"
        r"(?:[A-Z][\w'-]*\s+){1,3}" + _STREET_WORDS + r"\b",
        # "Lindenstraße 12", "Elm Street 4"
        r"\b[A-Z][\w'-]*(?:strasse|straße|weg|gasse|platz|straat)\s+\d{1,5}[a-z]?\b",
        r"\b(?:[A-Z][\w'-]*\s+){1,2}" + _STREET_WORDS + r"\s+\d{1,5}[a-z]?\b",
        # UK postcodes and US ZIP codes after a state abbreviation or "zip".
        r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",
        r"\b(?:[A-Z]{2}|(?i:zip(?: code)?:?))\s+\d{5}(?:-\d{4})?\b",
        r"\b(?i:p\.?o\.? box|postbox)\s*\d+\b",
    )
)
# A lower-case street ("17 harbour road"), or anything after "my address is".
_ADDRESS_LEAD = re.compile(
    r"\b(?:live|living|lived|moved|moving|stay|staying|based|house|flat|home)\b[^.;!?\n]{0,15}?"
    r"\b(\d{1,5}\w?,?\s+(?:[a-z'-]+\s+){1,3}" + _STREET_WORDS + r")\b"
    r"|\baddress(?: is|:)\s+([^.;!?\n]{2,80})",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w-])(?:\+|00)?\d[\d ().-]{6,}\d(?![\w-])")
_ID_NUMBER = re.compile(
    r"\b\d{3}-\d{2}-\d{4}\b"  # US social security number
    r"|\b[A-Z]{2}\s?\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b"  # IBAN
    r"|\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{5,}[A-Z0-9]\b"  # AB123456C
    r"|\b\d{5,}\b"  # any long number: account, member, case or ID numbers
)
_ID_LEAD = re.compile(
    r"\b(?:id|identity|passport|licen[cs]e|social security|ssn|national insurance|ni|tax|"
    r"insurance|account|member(?:ship)?|patient|case|employee|student|badge|card|policy|"
    r"registration|reg|customer|reference|ref)\b(?:\s+(?:number|no\.?|#|code|id))?"
    r"\s*(?:is|was|:|#)?\s*((?:[A-Z]{1,3} )?\w*\d[\w-]*(?: \w*\d[\w-]*){0,3}(?: [A-Z]\b)?)",
    re.IGNORECASE,
)
_HEALTH_EXTRA = re.compile(
    r"\b(?:antidepressants?|anti-depressants?|antipsychotics?|anti-anxiety|ssris?|sertraline|"
    r"fluoxetine|prozac|zoloft|citalopram|escitalopram|lexapro|venlafaxine|lithium|"
    r"quetiapine|olanzapine|xanax|valium|diazepam|lorazepam|benzos?|benzodiazepines?|ritalin|"
    r"adderall|methylphenidate|insulin|metformin|chemotherapy|radiotherapy|dialysis|"
    r"inhaler|statins?|opioids?|methadone|suboxone|beta blockers?|on medication|"
    r"diagnosed|diagnosis|mental illness|breakdown|burnout|psychosis|schizo\w*|"
    r"eating disorder|overdose\w*|rehab|relapse\w*|sick leave|hiv|aids|hepatitis|"
    r"tumou?rs?|stroke|heart attack|seizures?|multiple sclerosis|\bms\b|lupus|crohn'?s|"
    r"dementia|alzheimer'?s|parkinson'?s|miscarriage|abortion|ivf|infertil\w*)\b",
    re.IGNORECASE,
)


def _sentence_body(match: re.Match[str]) -> tuple[int, int]:
    """A matched sentence without its leading space and closing punctuation, which stays so
    the text after the mark still reads as a new sentence."""
    sentence = match.group(0)
    start = match.start() + (len(sentence) - len(sentence.lstrip()))
    end = match.start() + len(sentence.rstrip().rstrip(".!?;"))
    return start, max(start, end)


def _health_spans(text: str) -> list[SensitiveSpan]:
    """Each sentence that mentions health is redacted whole: a condition or a medication named
    alone would still tell the reader what it is about."""
    health = next(pattern for name, pattern in _SPECIAL_CATEGORY_TERMS if name == "health")
    spans = []
    for match in re.finditer(r"[^.!?;]+[.!?;]*", text):
        sentence = match.group(0)
        if health.search(sentence) or _HEALTH_EXTRA.search(sentence):
            spans.append(SensitiveSpan("health detail", *_sentence_body(match)))
    return spans


def _instruction_spans(text: str) -> list[SensitiveSpan]:
    spans = []
    for match in re.finditer(r"[^.!?\n]+[.!?]*", text):
        if looks_like_instruction(match.group(0)):
            spans.append(SensitiveSpan("injected instruction", *_sentence_body(match)))
    return spans


def _name_spans(text: str, own_names: frozenset[str]) -> list[SensitiveSpan]:
    spans = []
    for sentence in re.finditer(r"[^.!?]+[.!?]*", text):
        body = sentence.group(0)
        offset = sentence.start() + (len(body) - len(body.lstrip()))
        for start, end in name_spans(body.lstrip(), sentence_start=True):
            if body.lstrip()[start:end].lower() not in own_names:
                spans.append(SensitiveSpan("third-party name", offset + start, offset + end))
    return spans


def sensitive_spans(text: str, own_names: Iterable[str] = ()) -> list[SensitiveSpan]:
    """Every span of ``text`` that must not leave the interview, merged, in text order.

    Addresses, e-mail addresses, phone and ID numbers, health details (the whole sentence),
    other people's names (any capitalised word that is not a month, a language or a common
    word; ``own_names`` are the person's own and stay), and sentences that read as
    instructions to the system. Overlapping spans merge; the first kind found names the merge.
    """
    own = frozenset(word.lower() for name in own_names for word in name.split())
    found: list[SensitiveSpan] = []
    found += _instruction_spans(text)
    found += _health_spans(text)
    for pattern in _ADDRESS_PATTERNS:
        found += [SensitiveSpan("address", m.start(), m.end()) for m in pattern.finditer(text)]
    for match in _ADDRESS_LEAD.finditer(text):
        group = 1 if match.group(1) else 2
        found.append(SensitiveSpan("address", match.start(group), match.end(group)))
    found += [SensitiveSpan("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    found += [SensitiveSpan("id number", m.start(1), m.end(1)) for m in _ID_LEAD.finditer(text)]
    found += [SensitiveSpan("id number", m.start(), m.end()) for m in _ID_NUMBER.finditer(text)]
    found += [
        SensitiveSpan("phone number", m.start(), m.end())
        for m in _PHONE.finditer(text)
        if sum(ch.isdigit() for ch in m.group(0)) >= 7
    ]
    found += _name_spans(text, own)
    return _merged(found)


def _merged(spans: list[SensitiveSpan]) -> list[SensitiveSpan]:
    merged: list[SensitiveSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = SensitiveSpan(last.kind, last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return merged


REDACTION_MARKS: dict[SpanKind, str] = {
    "address": "[address]",
    "email": "[email]",
    "phone number": "[phone number]",
    "id number": "[number]",
    "health detail": "[health detail removed]",
    "third-party name": "[name]",
    "injected instruction": "[removed]",
}


def redact(text: str, own_names: Iterable[str] = ()) -> tuple[str, tuple[SpanKind, ...]]:
    """``text`` with every sensitive span replaced by a mark, and the kinds replaced (unique,
    in text order)."""
    spans = sensitive_spans(text, own_names)
    pieces, kinds, cursor = [], [], 0
    for span in spans:
        pieces.append(text[cursor : span.start])
        pieces.append(REDACTION_MARKS[span.kind])
        kinds.append(span.kind)
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces), tuple(dict.fromkeys(kinds))
