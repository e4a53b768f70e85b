"""One shared text toolkit for the rule layers (pure): words, sentences, names, negation.

The crisis screen, the sensitive-content scanner, the question checks, the extractor, the
question bank and the evaluation read text through these helpers, so that "a sentence", "a
name" and "a negation" mean the same thing everywhere.
"""

from __future__ import annotations

import re


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(text.split())


_QUOTES = {ord("\u2019"): "'", ord("\u2018"): "'", ord("`"): "'"}


def straighten(text: str) -> str:
    """Curly and back-tick apostrophes to a straight one."""
    return text.translate(_QUOTES)


def normalize_for_matching(text: str) -> str:
    """Lower-case, apostrophes dropped ("i'm" -> "im"), hyphens and dashes to spaces, one space.

    The form the crisis and sensitive-content patterns are written against.
    """
    lowered = straighten(text.lower())
    lowered = lowered.translate({ord("\u2013"): " ", ord("\u2014"): " ", ord("-"): " "})
    lowered = lowered.replace("'", "")
    return re.sub(r"\s+", " ", lowered).strip()


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences split after '.', '!' or '?' followed by white space; empty ones dropped."""
    return [part.strip() for part in _SENTENCE_SPLIT.split(text.strip()) if part.strip()]


_WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (apostrophes straightened and kept inside words)."""
    return _WORD.findall(straighten(text).lower())


# Negation, in normalized text (apostrophes dropped: "don't" -> "dont").
NEGATIONS = word_set(
    """
    not never dont doesnt didnt isnt arent wasnt werent wouldnt wont no hardly nor neither
    """
)
_HEDGES = frozenset({"that", "saying", "sure", "like", "say", "only", "just"})
CLAUSE_BREAK = re.compile(r"[.!?;,:]| but | though | although ")


def negated_before(text: str, start: int, window: int = 4) -> bool:
    """True when one of the ``window`` words before ``start`` (same clause) is a plain negation.

    ``text`` is normalized (:func:`normalize_for_matching`). Hedges such as "not that" and "not
    saying" do not count as negations.
    """
    before = text[:start]
    breaks = list(CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    found = re.findall(r"[a-z]+", before)[-window:]
    for index, word in enumerate(found):
        if word in NEGATIONS:
            following = found[index + 1] if index + 1 < len(found) else ""
            if following in _HEDGES:
                continue
            return True
    return False


_FIRST_PERSON = re.compile(
    r"\b(i'm|i've|i'd|i'll|i am|i wasn't|i was|i|me|my|mine|myself)\b", re.IGNORECASE
)
_SECOND_PERSON = {
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "i am": "you are",
    "i was": "you were",
    "i wasn't": "you weren't",
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
}


def second_person(text: str) -> str:
    """First person to second ("my team" -> "your team", "I wasn't" -> "you weren't")."""
    return _FIRST_PERSON.sub(lambda match: _SECOND_PERSON[match.group(1).lower()], straighten(text))


# -- names ----------------------------------------------------------------------------------

_ALLOWED_CAPITALS = word_set(
    """
    I I'm I've I'd I'll OK January February March April May June July August September
    October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    English Spanish French German Italian Portuguese Japanese Chinese Mandarin Cantonese
    Korean Arabic Hindi Russian Dutch Greek Latin Polish Swedish Norwegian Danish Finnish
    Turkish Python Rust JavaScript TypeScript Java Linux Excel Internet Christmas AI
    PhD MBA MSc BSc MA BA EP LP CV TV UK US USA EU IT HR GP CEO CTO DIY PE
    God
    """
)
_COMMON_STARTERS = word_set(
    """
    a an the i my me we our you your he she they it its this that these those there here
    when if as in at on for after before since during while because although though so but
    and or then now today yesterday also still just really honestly well yes no maybe
    probably definitely always never sometimes often usually mostly generally overall
    basically actually one two three some many most much every each all both what which who
    how why where family friends friendship honesty integrity freedom autonomy independence
    curiosity kindness fairness justice creativity loyalty courage growth learning
    compassion empathy security stability respect humility responsibility generosity
    community authenticity balance patience gratitude work life love travel music art books
    reading writing school college university home time money health nature people everyone
    everything nothing something being having doing making getting growing moving losing
    leaving starting working living looking thinking spending trying four five six seven
    eight nine ten eleven twelve fifteen twenty thirty forty fifty hundred first second third
    last next right lately recently someday eventually once anyway like sorry oh ah okay ok
    thanks whenever wherever most colleagues clients customers students kids children parents
    teachers neighbours neighbors nobody somebody anybody everybody someone anyone none either
    neither whatever
    by with from to into onto about over under above below across along around between among
    through until till unless whether however otherwise meanwhile instead therefore thus plus
    despite without within besides unlike up out off of again once twice later soon early
    sadly luckily hopefully thankfully unfortunately fortunately obviously clearly ideally
    only even sure not lots loads plenty text call email mail message ask send tell give let
    make take keep try see look go come get put bring find use stop start please thank being
    having getting back right left both such other another more less few any think describe
    imagine picture share walk name remember consider recall choose pick suppose say
    """
)
_NAME_SUFFIXES = ("ing", "ness", "ity", "ment", "tion", "sion", "ism", "ship", "dom")


def name_spans(text: str, sentence_start: bool) -> list[tuple[int, int]]:
    """Spans of words that look like names (people, places, brands): capitalised, not allowed.

    A sentence-initial word counts only when it is not a common sentence starter.
    """
    spans: list[tuple[int, int]] = []
    for index, match in enumerate(re.finditer(r"[^\W\d_](?:[^\W\d_]|['\-])*", text)):
        word = match.group(0)
        if not word[0].isupper() or word in _ALLOWED_CAPITALS:
            continue
        if index == 0 and sentence_start:
            lowered = word.lower()
            if (
                lowered in _COMMON_STARTERS
                # A contraction of a starter ("You're", "That's", "We've") is no name either.
                or lowered.split("'")[0] in _COMMON_STARTERS
                or lowered.endswith(_NAME_SUFFIXES)
                or (word.isupper() and len(word) > 1)
            ):
                continue
        spans.append(match.span())
    return spans


def has_name(text: str, sentence_start: bool = False) -> bool:
    """True when ``text`` holds a word that looks like a name (see :func:`name_spans`)."""
    return bool(name_spans(text, sentence_start))


_RELATION_NAME = re.compile(
    r"\b((?i:(?:my|our|his|her|their) (?:[a-z]+ ){0,2}?(?:mother|mum|mom|father|dad|parents?|"
    r"sister|brother|son|daughter|wife|husband|partner|grand(?:mother|father|ma|pa|son|"
    r"daughter)|aunt|uncle|cousin|niece|nephew|friend|colleague|boss|manager|teacher|mentor|"
    r"coach|sergeant|neighbou?r|tutor|flatmate|roommate|bandmate|doctor|professor|"
    r"supervisor)))(?:,\s*| )([A-Z][a-z'\-]+)\b,?"
)


def without_named_relations(text: str) -> str:
    """Keep the role, drop the name: "my grandfather Kofi taught me" -> "my grandfather taught me".

    Only a capitalised word right after "my/our/his/her/their <relation>" is dropped; any other
    name stays, so :func:`has_name` still catches it.
    """

    def keep_role(match: re.Match[str]) -> str:
        return match.group(1) if has_name(match.group(2)) else match.group(0)

    return _RELATION_NAME.sub(keep_role, text)
