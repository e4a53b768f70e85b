"""Word classes and inflection for the rule extractor, from lemminflect's bundled lexicon.

lemminflect ships its English lexicon inside the wheel (no download at run time), so the
extractor can tell a verb from a noun ("Learn to drive." is an imperative, "Tax season." is
not), find a past tense's lemma ("came" -> "come") and make a gerund ("volunteer" ->
"volunteering") without hand-kept word lists.
"""

from __future__ import annotations

from functools import lru_cache

from lemminflect import getAllInflections, getAllLemmas, getInflection

# Verbs that say how someone thinks or feels, or that carry another verb: never an activity.
_NOT_ACTIVITY_WORDS = """
    be have do say tell think know guess suppose mean feel seem look sound hope wish want need
    like love hate try get go come let make see hear believe remember forget wonder reckon
    keep start stop begin agree prefer happen use enjoy adore miss spend
"""
_NOT_ACTIVITIES = frozenset(_NOT_ACTIVITY_WORDS.split())


@lru_cache(maxsize=8192)
def verb_lemma(word: str) -> str | None:
    """The verb lemma of ``word`` ("came" -> "come"), or None when it is not a verb form."""
    lemmas = getAllLemmas(word.lower(), upos="VERB")
    found = lemmas.get("VERB")
    return found[0] if found else None


def is_base_verb(word: str) -> bool:
    """A verb in its base form ("learn", "buy"), as an imperative or a "to"-infinitive uses."""
    return verb_lemma(word) == word.lower()


@lru_cache(maxsize=8192)
def is_past_verb(word: str) -> bool:
    """A simple past or past participle form ("moved", "came", "raised")."""
    lemma = verb_lemma(word)
    if lemma is None:
        return False
    forms = getAllInflections(lemma, upos="VERB")
    lowered = word.lower()
    return lowered in forms.get("VBD", ()) or lowered in forms.get("VBN", ())


def is_gerund(word: str) -> bool:
    lowered = word.lower()
    return lowered.endswith("ing") and verb_lemma(lowered) not in (None, lowered)


def is_activity_verb(word: str) -> bool:
    """A verb form naming something one does (not thinking, wanting, being, ...)."""
    lemma = verb_lemma(word)
    return lemma is not None and lemma not in _NOT_ACTIVITIES


def gerund(word: str) -> str:
    """The "-ing" form of a verb form ("bake" -> "baking", "ran" -> "running")."""
    lemma = verb_lemma(word) or word.lower()
    forms = getInflection(lemma, tag="VBG")
    return forms[0] if forms else lemma + "ing"


def as_gerund_phrase(phrase: str) -> str:
    """ "volunteer at the food bank" -> "volunteering at the food bank"."""
    first, _, rest = phrase.strip().partition(" ")
    return f"{gerund(first)} {rest}".strip()


def has_noun_reading(word: str) -> bool:
    """ "run", "tax", "partner" are nouns too; "learn" and "buy a" read as verbs."""
    return "NOUN" in getAllLemmas(word.lower())
