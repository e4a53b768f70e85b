"""Sensitive content in answers (pure): special categories, family details, instructions.

:func:`special_categories` / :func:`sensitivity_of` tag text that touches health, religion,
politics, sexuality, ethnicity, union membership, criminal records or family details, and
:func:`looks_like_instruction` spots answer text that tries to instruct the system. The
question bank, the rule-based extractor and the training export share them.
"""

from __future__ import annotations

import re

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
