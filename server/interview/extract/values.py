"""Values: a lexicon with cues, values opening an answer, and values in the person's own words."""

from __future__ import annotations

import re
from typing import Any

from lemminflect import getAllLemmas

from server.interview.extract.common import (
    _ADDRESSES_SYSTEM,
    _CLAUSES,
    _FILLER_PHRASES,
    _LEADING_WORDS,
    _VAGUE,
    _Collector,
    _content_words,
    _has_name,
    _negated_before,
    _quote,
    _words,
)
from server.interview.grammar import (
    as_gerund_phrase,
    has_noun_reading,
    is_base_verb,
    is_gerund,
)
from server.interview.model import Turn
from server.interview.sensitive import looks_like_instruction, special_categories

VALUE_LEXICON: dict[str, str] = {
    "honesty": r"honesty|honest|truthful(?:ness)?|telling the truth|the truth|truth|"
    r"transparen(?:cy|t)|candou?r",
    "integrity": r"integrity|keeping my word|keep(?:ing)? (?:my )?promises|"
    r"do(?:ing)? the right thing|walk(?:ing)? the talk|principled",
    "family": r"family|families",
    "freedom": r"freedom|autonomy|being free|free to (?:choose|decide|live|be)|"
    r"self[- ]direction",
    "independence": r"independence|independent|self[- ]relian(?:ce|t)|standing on my own",
    "curiosity": r"curiosity|curious|inquisitive(?:ness)?",
    "kindness": r"kindness|being kind|kind(?! of)|kind[- ]hearted",
    "fairness": r"fairness|fair(?! enough| share| amount| bit| to say)|justice|equality|equity|"
    r"equally|as equals",
    "creativity": r"creativity|creative|creating things|making things",
    "loyalty": r"loyalty|loyal",
    "courage": r"courage|courageous|bravery|brave",
    "growth": r"growth|personal development|self[- ]improvement|learning|growing as a person|"
    r"getting better",
    "compassion": r"compassion|compassionate|empathy|empathetic|empathic|"
    r"(?:taking|take) care of (?:people|others)|caring for (?:people|others)|"
    r"looking after (?:people|others)",
    "security": r"security|stability|financial stability",
    "respect": r"respect|respectful|respecting|dignity",
    "humility": r"humility|humble|modesty",
    "responsibility": r"responsibility|accountability|accountable|reliability|reliable|"
    r"dependab(?:le|ility)",
    "hard work": r"hard work|work ethic|diligence|diligent|hard[- ]working|a day's work",
    "education": r"education",
    "thrift": r"thrift|thrifty|frugal(?:ity)?|never (?:threw|throw|wasted?) (?:anything|a thing)",
    "punctuality": r"punctuality|punctual|being on time",
    "generosity": r"generosity|generous|giving back",
    "community": r"community|belonging|neighbou?rhood|helping (?:your|my|our|the) neighbou?rs",
    "friendship": r"friendships?",
    "authenticity": r"authenticity|authentic|being true to myself|true to myself|"
    r"being myself|being real|keeping it real",
    "balance": r"balance|work[- ]life balance",
    "simplicity": r"simplicity|living simply|a simple life",
    "excellence": r"excellence|craftsmanship|doing things well",
    "adventure": r"adventure",
    "gratitude": r"gratitude",
    "patience": r"patience",
}
_VALUE_TERMS = tuple(
    (name, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE))
    for name, pattern in VALUE_LEXICON.items()
)
_VALUE_CUE = re.compile(
    r"\b(?:value|values|valued|matters?|mattered|important|importance|"
    r"care (?:deeply |a lot |most |so much )?about|cares about|"
    r"believ(?:e|es|ing) (?:strongly |firmly |deeply |very much )?in|"
    r"(?:the )?big (?:one|thing) for me|big with me|(?:a )?big deal (?:to|for) me|huge for me|"
    r"something i take seriously|put (?:my |the )?\w+ first|"
    r"guides? me|guided me|guiding|principles?|priorit(?:y|ies|ize|ise)|stand for|live by|"
    r"means? (?:a lot|everything|the world|so much)|(?:is|are) everything|"
    r"i (?:strongly |firmly |really )?believe (?:that )?(?:people|everyone|everybody|we|you|one) "
    r"should|"
    r"(?:this|that) i value|i value (?:this|that)|the word|"
    r"non[- ]negotiable|can't compromise|"
    r"won't compromise|never compromise|at the core|core of who|drives me|driven by|cherish|"
    r"hold dear|above all|above everything|most of all|number one|first and foremost|"
    r"try to (?:be|live|stay|show|practi[cs]e)|strive (?:to be|for)|essential|fundamental|"
    r"what i admire|i admire|i respect (?:people|anyone|those|someone) who|comes? first|"
    r"came first|(?:at )?the cent(?:re|er) of (?:everything|my life|it all)|"
    r"guides? (?:a lot of |most of |all of |many of )?my (?:choices|decisions|life)|"
    r"something i (?:protect|value|hold onto|live by|believe in|guard))\b",
    re.IGNORECASE,
)
_TOP_PRIORITY = re.compile(
    r"\b(?:most important|matters most|above all|above everything|most of all|number one|"
    r"first and foremost|more than anything)\b",
    re.IGNORECASE,
)
_LIST_FILLER = _words(
    """
    and or also probably definitely mostly i'd say i think for me my core values value are
    is the a above all really being big things thing things i'm most important to me first
    second third then plus as well too
    """
)


def _extract_values(sentence: str, turn: Turn, out: _Collector, following: str = "") -> None:
    text = _FILLER_PHRASES.sub(" ", sentence)
    hits: list[tuple[int, str]] = []
    for name, pattern in _VALUE_TERMS:
        for match in pattern.finditer(text):
            if not _negated_before(text, match.start()):
                hits.append((match.start(), name))
                break
    _extract_named_value(text, sentence, following, turn, out)
    if not hits:
        return
    hits.sort()
    cues = list(_VALUE_CUE.finditer(text))
    # A term inside the cue itself ("I respect people who ...") is the cue, not a value.
    hits = [(start, name) for start, name in hits if not _inside_any(start, cues)]
    names = list(dict.fromkeys(name for _, name in hits))
    if not names:
        return
    affirmed = [cue for cue in cues if not _negated_before(text, cue.start())]
    taught = list(dict.fromkeys(name for start, name in hits if _taught_before(text, start)))
    if affirmed:
        confidence = 0.8
    elif taught:
        # "... and that taught me humility": the value named right after "taught me".
        names, confidence = taught, 0.7
    elif cues:
        # "Security doesn't matter much to me": a denial, remembered to settle contradictions.
        out.denied_values.update(names)
        return
    elif turn.category == "values" and (_is_value_list(text) or _opens_with_value(text)):
        # "Thrift, I suppose." / "Respect for elders, this is how I was raised."
        if not _is_value_list(text):
            names = names[:1]
        confidence = 0.7
    else:
        return
    priority = 1 if len(names) == 1 and _TOP_PRIORITY.search(text) else None
    description = _describe(sentence, following)
    said = {name: text[start:] for start, name in hits}
    for name in names:
        value = _own_value_word(name, said[name])
        fields: dict[str, Any] = {"value": value, "description": description}
        if priority is not None:
            fields["priority"] = priority
        out.add_item("values", "value", fields, turn.question_id, confidence, sentence)


def _own_value_word(name: str, said: str) -> str:
    """The person's own noun for the value ("dignity", "justice"), else the lexicon name
    (an adjective such as "honest" or "kind" names it by its noun)."""
    pattern = dict(_VALUE_TERMS)[name]
    match = pattern.match(said)
    word = match.group(0).lower() if match is not None else name
    if " " in word or word[:5] == name[:5]:
        return name
    readings = getAllLemmas(word)
    if "NOUN" in readings and "ADJ" not in readings:
        return word
    if word[:3] == name[:3]:
        return name  # "humble" is what "humility" names already
    noun = _nominalised(word) if "ADJ" in readings else None
    return noun if noun is not None else name


# "reliable" -> "reliability", "generous" -> "generosity", "patient" -> "patience"
_NOMINAL_ENDINGS: tuple[tuple[str, str], ...] = (
    ("able", "ability"),
    ("ible", "ibility"),
    ("ous", "osity"),
    ("ent", "ence"),
    ("ant", "ance"),
    ("ive", "ivity"),
    ("al", "ality"),
    ("", "ness"),
    ("", "y"),
    ("", "ity"),
)


def _nominalised(adjective: str) -> str | None:
    """The noun the lexicon knows for an adjective, by its ending; None if none is known."""
    for ending, suffix in _NOMINAL_ENDINGS:
        if adjective.endswith(ending):
            candidate = adjective[: len(adjective) - len(ending)] + suffix
            readings = getAllLemmas(candidate)
            if "NOUN" in readings and "ADJ" not in readings:
                return candidate
    return None


# A value in the person's own words, when no lexicon term names it: "What matters most to me
# is being useful", "I value a quiet mind", "Showing up for people is important to me".
_NAMED_VALUE = re.compile(
    r"\bwhat (?:really )?(?:matters|counts|i value)(?: most| the most)?(?: to me)?"
    r"(?:,[^,.;!?]{1,60},)? (?:is|are) (?P<after>[^.;!?]+)"
    r"|\bi (?:really |deeply |truly |most )?(?:value|cherish|treasure) (?P<after2>[^.;!?]+)"
    r"|\bi (?:strongly |firmly |really )?believe in (?P<after3>[^.;!?]+)"
    r"|^(?P<before>[a-z][a-z' \-]{2,40}?) (?:is|are) (?:really |very |so |incredibly |hugely )?"
    r"(?:important|everything|non-negotiable|sacred) to me\b"
    # "for me dignity is everything", "Important for me is patience", "X, this I value most"
    r"|\bfor me,? (?P<before2>[a-z][a-z' \-]{2,40}?) (?:is|are) (?:everything|the most important|"
    r"what matters|first|important)\b"
    r"|\b(?:most )?important (?:thing )?(?:for|to) me (?:is|are) (?P<after4>[^.;!?]+)"
    r"|^(?P<before3>[a-z][a-z' \-]{2,40}?),? (?:this|that) i (?:value|prize|respect)(?: most)?\b"
    r"|^(?P<before4>[a-z][a-z' \-]{2,40}?), (?:that's|that is) (?:the word|what (?:counts|matters)|"
    r"my (?:rule|motto|principle))\b"
    r"|\bi (?:really |deeply |truly )?care (?:deeply |a lot |so much )?about (?P<after5>[^.;!?]+)"
    r"|\b(?:it's|it is) (?:very |really )?important (?:to|for) me (?P<after6>that [^.;!?]+)"
    r"|\b(?:i was|we were) (?:raised|brought up) to (?P<after7>[^.;!?]+)"
    r"|^(?P<before6>[a-z][a-z' \-]{2,30}?) (?:is|are) (?:very |really |so )?(?:important|big|"
    r"sacred)\b(?! (?:to|for) (?!me\b))"
    r"|^without (?P<before5>[a-z][a-z' \-]{2,30}?),? (?:you|we|i|life|there) (?:have|has|is|are) "
    r"nothing\b",
    re.IGNORECASE,
)
_NAMED_VALUE_CUT = re.compile(
    r"\s*[,;:(]|\s+(?:because|since|and|but|so|which|that|when|where|who|more than|above|"
    r"even|especially|in (?:life|people|others|a person))\b",
    re.IGNORECASE,
)
_FAMILY_WORDS = re.compile(
    r"\b(?:family|kids|children|wife|husband|partner|parents|mum|mom|dad|son|daughter|"
    r"grandchildren|grandkids)\b",
    re.IGNORECASE,
)


_THAT_CLAUSE = re.compile(
    r"^that (?:you|we|i|people|everyone|everybody|one) (?:always |never )?(?:\w+ly )?"
    r"(?P<verb>[a-z]+)\b",
    re.IGNORECASE,
)


def _value_phrase(raw: str, infinitive: bool = False) -> str | None:
    verb = re.match(r"(?:never |always )?(?P<verb>[a-z]+)\b", raw.strip())
    if infinitive and verb is not None and is_base_verb(verb.group("verb")):
        # "raised to respect my elders" -> "respecting my elders"
        raw = as_gerund_phrase(raw.strip()[verb.start("verb") :])
    raw = re.sub(r"\s+(?:a lot|so much|very much|deeply)\s*$", "", raw.strip())
    clause = _THAT_CLAUSE.match(raw.strip())
    if clause is not None and is_base_verb(clause.group("verb")):
        # "what matters is that you keep your word" -> "keeping your word"
        raw = as_gerund_phrase(raw.strip()[clause.start("verb") :])
        raw = re.sub(r"\byour\b", "one's", raw)  # the generic "you" of a rule of life
    phrase = _NAMED_VALUE_CUT.split(raw.strip(), maxsplit=1)[0].strip().rstrip(".!?")
    phrase = re.sub(r"^(?:my|our|the|a|an)\s+", "", phrase, flags=re.IGNORECASE)
    if phrase[:1].isupper() and not _has_name(phrase[:1].lower() + phrase[1:]):
        phrase = phrase[:1].lower() + phrase[1:]  # "Showing up for people is important"
    if _FAMILY_WORDS.search(phrase) and len(phrase.split()) <= 2:
        return "family"  # "I value my kids"
    words = phrase.split()
    if not 1 <= len(words) <= 6 or _has_name(phrase) or _ADDRESSES_SYSTEM.search(phrase):
        return None
    if _VAGUE.match(phrase) or not _content_words(phrase) or _FAMILY_WORDS.search(phrase):
        return None
    head = words[0].lower()
    if not (is_gerund(head) or has_noun_reading(head) or head in {"being", "having"}):
        return None
    return phrase.lower()


# "Correctness.", "Solidarity, that's what the pit taught us.": an abstract noun (by its
# ending) opening an answer about values.
_ABSTRACT_OPENING = re.compile(
    r"^(?P<noun>[A-Z][a-z]+(?:ness|ity|ty|ism|dom|ship|ence|ance|hood|ment|ude|ion|ency))"
    r"(?:\.|!|,\s+(?:that's|that is|this is|this|that|always|above all|first|mostly)\b)"
)
# "I cannot stand liars": the value is the opposite of what the person will not bear.
_CANNOT_STAND = re.compile(
    r"\bi (?:never|don't|do not|would never|will never|won't) (?P<deed>lie|cheat|steal|waste|"
    r"give up|quit)\b|"
    r"\b(?:i (?:can't|cannot|can not|won't|don't|do not) (?:stand|tolerate|abide|bear|accept)|"
    r"i (?:hate|despise|have no (?:time|patience) for)|nothing (?:annoys|bothers|angers) me "
    r"more than) (?P<object>[a-z]+)\b",
    re.IGNORECASE,
)
_OPPOSITE_OF: dict[str, str] = {
    "lie": "honesty",
    "cheat": "honesty",
    "steal": "honesty",
    "give up": "perseverance",
    "quit": "perseverance",
    "liars": "honesty",
    "lying": "honesty",
    "lies": "honesty",
    "dishonesty": "honesty",
    "cheats": "fairness",
    "cheating": "fairness",
    "injustice": "fairness",
    "unfairness": "fairness",
    "laziness": "hard work",
    "lazy": "hard work",
    "rudeness": "respect",
    "disrespect": "respect",
    "lateness": "punctuality",
    "waste": "thrift",
    "cruelty": "kindness",
    "bullies": "kindness",
    "arrogance": "humility",
    "snobs": "humility",
    "hypocrisy": "authenticity",
    "hypocrites": "authenticity",
    "fakes": "authenticity",
    "betrayal": "loyalty",
    "traitors": "loyalty",
    "selfishness": "generosity",
    "greed": "generosity",
}


def _extract_named_value(
    text: str, sentence: str, following: str, turn: Turn, out: _Collector
) -> None:
    found: list[tuple[str, float]] = []
    for match in _CANNOT_STAND.finditer(text):
        value = _OPPOSITE_OF.get((match.group("object") or match.group("deed")).lower())
        if value is not None:
            found.append((value, 0.65))
    opening = _ABSTRACT_OPENING.match(_OPENING_HEDGE.sub("", text.strip()))
    if turn.category == "values" and opening is not None:
        noun = opening.group("noun").lower()
        if set(getAllLemmas(noun)) == {"NOUN"}:  # "Question, that's hard." is no value
            found.append((noun, 0.6))
    for match in _NAMED_VALUE.finditer(text.strip()):
        if _negated_before(text, match.start()):
            continue
        if match.group("before6") is not None and turn.category != "values":
            continue
        if match.group("after7") is not None and turn.category == "style":
            continue  # "raised to say what I mean" describes how the person talks
        raw = next(g for g in match.groups() if g is not None)
        name = _value_phrase(raw, infinitive=match.group("after7") is not None)
        if name is not None:
            found.append((name, 0.65))
    for name, confidence in found:
        fields: dict[str, Any] = {"value": name, "description": _describe(sentence, following)}
        out.add_item("values", "value", fields, turn.question_id, confidence, sentence)


_OPENING_HEDGE = re.compile(
    r"^(?:(?:probably|maybe|perhaps|definitely|for me|i'd say|i think|i guess|"
    r"i suppose|mostly|above all|first(?: of all)?|honestly|well|oh|hmm)[,\s]+)*",
    re.IGNORECASE,
)


def _opens_with_value(text: str) -> bool:
    """The sentence starts with a value term: "Education above everything.", "Thrift, I
    suppose.", "Being real with people matters."""
    opening = _OPENING_HEDGE.sub("", text.strip())
    return any(pattern.match(opening) for _, pattern in _VALUE_TERMS)


def _value_words_removed(text: str) -> str:
    for _, pattern in _VALUE_TERMS:
        text = pattern.sub(" ", text)
    return text


def _said_beyond_values(text: str) -> list[str]:
    return [
        word
        for word in _content_words(_value_words_removed(text))
        if word not in _LIST_FILLER and word not in {"suppose", "guess", "mostly", "pick"}
    ]


def _describe(sentence: str, following: str) -> str:
    """What the person said about the value, not an echo of its name: the sentence (without
    a special-category clause); after a bare "Fairness, mostly." the next sentence, which
    says why; else nothing."""
    bare = len(_said_beyond_values(sentence)) < 2
    for candidate in (sentence, following) if bare else (sentence,):
        clauses = [c for c in _CLAUSES.split(candidate) if c and not special_categories(c)]
        text = _LEADING_WORDS.sub("", ", ".join(c.strip() for c in clauses).strip())
        if len(_said_beyond_values(text)) < 2 or looks_like_instruction(text):
            continue
        if candidate is following and (
            special_categories(following) or _has_name(following, sentence_start=True)
        ):
            continue
        quote = _quote(text[0].upper() + text[1:])
        return quote if quote[-1] in ".!?\u2026" else quote + "."
    return ""


_TAUGHT = re.compile(
    r"\btaught me (?:the (?:value|importance) of |about |to (?:value|be|have|show) )?$",
    re.IGNORECASE,
)


def _inside_any(start: int, matches: list[re.Match[str]]) -> bool:
    return any(match.start() <= start < match.end() for match in matches)


def _taught_before(text: str, start: int) -> bool:
    return _TAUGHT.search(text[:start]) is not None


def _is_value_list(text: str) -> bool:
    remaining = text.lower()
    for _, pattern in _VALUE_TERMS:
        remaining = pattern.sub(" ", remaining)
    words = [w for w in re.findall(r"[a-z']+", remaining) if w not in _LIST_FILLER]
    return len(words) <= 2
