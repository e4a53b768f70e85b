"""What the interviewer may say back to the person: the echo guard for reflections and summaries.

A reflection or a summary repeats the person's words. Some words must never come back, even
when the person said them freely: crisis content, health conditions and treatment, addresses,
ID, account and phone numbers, other people's names, and special-category details (religion,
politics, sexuality, ...). :func:`safe_to_echo` says whether a phrase is clear of all of them;
callers leave out any phrase it refuses, never "fix" it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from server.interview.crisis import detect_crisis
from server.interview.sensitive import special_categories
from server.interview.text import has_name, name_spans, split_sentences

# Health, treatment and medication words, beyond what special_categories knows: the echo
# guard errs toward leaving a phrase out.
_HEALTH = re.compile(
    r"\b(?:anti-?depressants?|antipsychotics?|medicat\w*|medicines?|prescri\w*|pills?|"
    r"dos(?:e|es|age)|therap(?:y|ist|ies)|counsell?(?:ing|or)|psychiatr\w*|psycholog\w*|"
    r"diagnos\w*|disorders?|syndrome|illness|ill|sick\w*|diseases?|cancer|tumou?rs?|"
    r"diabet\w*|depress\w*|anxiety|panic attacks?|bipolar|adhd|autis\w*|ptsd|ocd|"
    r"rehab\w*|addict\w*|alcoholi\w*|sober|sobriety|relapse\w*|surger(?:y|ies)|"
    r"hospital\w*|clinic|chemo\w*|pregnan\w*|miscarr\w*|infertil\w*|hiv|seizures?|"
    r"breakdown|burn-?out|eating disorder|anorexi\w*|bulimi\w*|overdos\w*|self-harm\w*)\b",
    re.IGNORECASE,
)
# A street address: a house number followed by a street word, or a postcode-like token.
_ADDRESS = re.compile(
    r"\b\d+[a-z]?\s+(?:[A-Za-z]+\s+){0,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|"
    r"boulevard|blvd|way|court|ct|place|pl|square|sq|terrace|crescent|close|straße|strasse|"
    r"rue|via|calle)\b|\b(?:apartment|apt|flat|suite|unit)\s*#?\s*\d+|\b(?:p\.?o\.? box)\b|"
    r"\b[A-Z]{1,2}\d{1,2}[A-Z]?\s*\d[A-Z]{2}\b",
    re.IGNORECASE,
)
# Numbers that identify: anything with five or more digits, or digit groups joined by
# dashes, dots or spaces (phone, ID, account, card numbers). A year (1950s, 2014) passes.
_NUMBER = re.compile(r"\d{5,}|\d+(?:[-. /]\d+){2,}|\+\d|\b\d{3,4}[-. ]\d{3,4}\b")
_EMAIL_OR_LINK = re.compile(r"\S+@\S+|https?://|www\.", re.IGNORECASE)


_YOU = {
    "you": "I",
    "your": "my",
    "yours": "mine",
    "yourself": "myself",
    "you're": "I'm",
    "you've": "I've",
    "you'd": "I'd",
    "you'll": "I'll",
}
_YOU_WORD = re.compile(r"\b(?:you're|you've|you'd|you'll|yourself|yours|your|you)\b", re.I)


def _first_person(text: str, you: str = "I") -> str:
    """A phrase said back ("you ...") as the person said it, for the crisis check; ``you``
    is what a bare "you" becomes (the subject "I" or the object "me")."""
    mapping = {**_YOU, "you": you}
    return _YOU_WORD.sub(lambda m: mapping[m.group(0).lower()], text)


def sensitive_reason(text: str, sentence_start: bool = False) -> str | None:
    """Why ``text`` must not be said back to the person, or None when it may be."""
    said = (text, _first_person(text), _first_person(text, "me"))
    if any(detect_crisis(version).crisis for version in said):
        return "crisis content"
    if _HEALTH.search(text):
        return "health detail"
    if _ADDRESS.search(text):
        return "an address"
    if _NUMBER.search(text) or _EMAIL_OR_LINK.search(text):
        return "an identifying number or contact detail"
    if special_categories(text):
        return "a special-category detail"
    if has_name(text, sentence_start):
        return "another person's name"
    return None


def safe_to_echo(text: str, sentence_start: bool = False) -> bool:
    """Whether the interviewer may repeat ``text`` (see the module docstring)."""
    return sensitive_reason(text, sentence_start) is None


def echoed_sensitive(question: str, answers: Sequence[str]) -> str | None:
    """Why a written question must not be asked because it says back something sensitive.

    For questions a model wrote: a health detail, an address, an identifying number or a
    contact detail anywhere in it, or a name that appears in one of the person's ``answers``.
    The reason never quotes what was found (it may be shown to the person).
    """
    if _HEALTH.search(question):
        return "the question repeats a health detail"
    if _ADDRESS.search(question) or _NUMBER.search(question) or _EMAIL_OR_LINK.search(question):
        return "the question repeats an address, a number or a contact detail"
    said = " ".join(answers)
    for sentence in split_sentences(question):
        for start, end in name_spans(sentence, sentence_start=True):
            if re.search(rf"\b{re.escape(sentence[start:end])}\b", said):
                return "the question repeats a name the person mentioned"
    return None
