"""Key experiences (formative and dated past events) and explicit trait self-labels."""

from __future__ import annotations

import re

from server.interview.extract.common import (
    _ADDRESSES_SYSTEM,
    _LEADING_WORDS,
    _Collector,
    _content_words,
    _has_name,
    _shorten,
    _without_people_named,
    _words,
)
from server.interview.grammar import (
    is_past_verb,
    verb_lemma,
)
from server.interview.model import Turn
from server.persona.draft import (
    Trait,
)

_FORMATIVE = re.compile(
    r"\b(?:taught me|shaped (?:me|who i am|how i|the way i)|changed (?:me|my life|everything|"
    r"how i|the way i|my (?:direction|path|course|career|mind|outlook|perspective|view))|"
    r"set me on|turning point|made me (?:who|realize|realise|understand)|"
    r"i (?:learned|learnt|realized|realised|discovered) (?:that|how|to)|never forgot|"
    r"still remember|defining moment|formative|wake-up call|eye[- ]opener|that's when i|"
    r"that is when i|from then on|ever since)\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:when i was|at (?:age )?\d{1,2}\b|as a (?:kid|child|teenager|teen|student|young \w+)|"
    r"growing up|in (?:high school|college|university|my twenties|my teens|my thirties)|"
    r"i (?:moved|left|lost|started|quit|changed|failed|decided|became|went|spent|grew up|"
    r"was raised|took|joined|graduated|founded|built|traveled|travelled|lived|worked|studied|"
    r"survived|won|finished|met|opened|bought|launched|sold|retired|trained|served|arrived|"
    r"ran|did)|my first (?:job|\w+) (?:was|were)|(?:i|we) (?:grow up|am born|are born)|"
    r"my (?:\w+ )?(?:father|mother|dad|mum|mom|parents|family|grandfather|grandmother|"
    r"grandparents) (?:was|were|had|ran|owned|worked|died|left|moved|kept)|"
    r"(?:after|before) (?:school|university|college|"
    r"the war|the army|my \w+))\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|myself|we|our|us)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_SUBJECT_VERB = re.compile(
    r"\b(?:i|we)(?: \w+ly| also| then| just| first| finally)? (\w+)\b", re.IGNORECASE
)


_BORN_OR_LIVED = re.compile(
    r"\b(?:i|we) (?:was|were) (?:born|raised|brought up|adopted|sent|posted|hired|fired|"
    r"laid off|made redundant|the (?:oldest|eldest|youngest|only|middle|first))\b|"
    r"\b(?:i|we)(?:'ve| have| had)(?: \w+ly| also| always)? "
    r"(?:been|worked|lived|spent|moved|built|run|raised|taught|trained|served)\b",
    re.IGNORECASE,
)


_MODALS = _words("can could would should might must will shall may ought")


def _past_event(sentence: str) -> bool:
    """A dated or past-tense event the speaker lived: "I moved to Toronto in 2014", "we lost
    half the herd", "I was born in Accra", "I've worked nights for years", "Dropped out of
    university" (no subject, in a story answer)."""
    if _YEAR.search(sentence) and _FIRST_PERSON.search(sentence):
        return True
    if _BORN_OR_LIVED.search(sentence):
        return True
    for match in _SUBJECT_VERB.finditer(sentence):
        word = match.group(1)
        if word.lower() in _MODALS:
            continue  # "I could talk about this all day" is no event
        if is_past_verb(word) and verb_lemma(word) not in {"be", "have", "do", "say", "tell"}:
            return True
    return False


_INTENT = re.compile(
    r"\b(?:want|wants|hope|hoping|plan|planning|going|intend|aim|would like|'d like) to\b|"
    r"\b(?:one|goal|plan|dream|aim) is to\b|\bi(?:'ll| will)\b",
    re.IGNORECASE,
)


def _dated_own_past(sentence: str) -> bool:
    """ "I moved to Leeds in 2009": a year, the speaker as subject, and a past tense."""
    if not _YEAR.search(sentence):
        return False
    return any(
        is_past_verb(match.group(1)) and verb_lemma(match.group(1)) not in {"be", "have", "do"}
        for match in _SUBJECT_VERB.finditer(sentence)
    )


def _neutral_event(text: str) -> str:
    """ "I moved to Leeds in 2009" -> "Moved to Leeds in 2009": the event as a neutral phrase
    (the person's "my" stays: it is their persona). Other sentences keep their subject."""
    match = re.match(
        r"(?i:i)(?:'ve| have| was| were)? (?P<rest>(?:(?:also|then|finally|first|just|once|"
        r"always) )?(?P<verb>\w+)\b)",
        text,
    )
    verb = match.group("verb") if match is not None else ""
    if match is not None and is_past_verb(verb) and verb.lower() != "was":
        text = text[match.start("rest") :]  # "I was born in ..." -> "Born in ..."
    return text[0].upper() + text[1:]


def _subjectless_past(sentence: str) -> bool:
    """ "Moved to Leeds at six.": a past tense opening the sentence, not one that is also an
    imperative ("Let me think", "Put simply")."""
    first = _LEADING_WORDS.sub("", sentence).strip().split(" ", 1)[0]
    if not first or not first[0].isupper() or not is_past_verb(first):
        return False
    return verb_lemma(first) != first.lower()


_MAX_EXPERIENCES_PER_ANSWER = 4


# "Leaving an agency job to go freelance was the turning point": the speaker's own story.
_GERUND_START = re.compile(r"^(?:[a-z]+ing)\b", re.IGNORECASE)


_LONG_CLAUSE_WORDS = 14
_NEXT_CLAUSE = re.compile(
    r",\s+(?:and|but|so|because|which|where|then)\s+|\s+because\s+|;\s*|,\s+(?=(?i:i|we)\s)"
)


def _first_clause(text: str) -> str:
    """A long sentence's first clause, when it holds the event on its own ("I left Lima in
    2003 with a scholarship, and I did not speak to my father ..." -> its first clause)."""
    if len(text.split()) <= _LONG_CLAUSE_WORDS:
        return text
    first = _NEXT_CLAUSE.split(text, maxsplit=1)[0]
    return first if len(first.split()) >= 4 else text


def _extract_experience(sentence: str, turn: Turn, out: _Collector, taken: int) -> int:
    if taken >= _MAX_EXPERIENCES_PER_ANSWER:
        return taken
    if turn.category != "biography" and not _dated_own_past(sentence):
        return taken  # elsewhere only a dated event: "I moved here in 2014, so ..."
    if _INTENT.search(sentence):
        return taken  # "The big one is to finish my diploma by 2026" is a plan, not a past
    original = sentence
    sentence = _without_people_named(sentence)
    formative = _FORMATIVE.search(sentence) is not None
    subjectless = _subjectless_past(sentence)
    own = (
        _FIRST_PERSON.search(sentence) is not None
        or subjectless
        or (formative and _GERUND_START.match(_LEADING_WORDS.sub("", sentence).strip()) is not None)
    )
    if not own or _ADDRESSES_SYSTEM.search(sentence):
        return taken
    if formative:
        confidence = 0.7
    elif _EVENT.search(sentence) or _past_event(sentence) or subjectless:
        confidence = 0.6
    else:
        return taken
    text = _first_clause(_LEADING_WORDS.sub("", sentence).strip().rstrip(".!?"))
    text = " ".join(_shorten(text.split(), 30))
    if not text or len(text.split()) < 4 or _has_name(text, sentence_start=True):
        return taken
    if len(_content_words(text)) + len(_YEAR.findall(text)) < 3:
        return taken  # "I learned to do the same.": says nothing on its own
    text = _neutral_event(text)
    if text[-1] not in ".!?":
        text += "."
    fields = {"text": text}
    out.add_item("key_experiences", "text", fields, turn.question_id, confidence, original)
    return taken + 1


_TRAIT_RULES: tuple[tuple[Trait, float, re.Pattern[str]], ...] = (
    (
        "extraversion",
        0.3,
        re.compile(
            r"\bi'm (?:an? |such an? |a (?:real|total|big|natural) )?introvert\b|"
            r"\bi am (?:an? )?introvert\b|\bi'm (?:very |really |quite |pretty )?shy\b",
            re.IGNORECASE,
        ),
    ),
    (
        "extraversion",
        0.7,
        re.compile(
            r"\bi'm (?:an? |such an? |a (?:real|total|big|natural) )?extr[ao]vert\b|"
            r"\bi am (?:an? )?extr[ao]vert\b|\bi'm (?:very |really |quite |pretty )?outgoing\b",
            re.IGNORECASE,
        ),
    ),
    (
        "conscientiousness",
        0.7,
        re.compile(
            r"\bi'm (?:very |really |extremely |super |quite |pretty )?"
            r"(?:organi[sz]ed|disciplined)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "conscientiousness",
        0.3,
        re.compile(
            r"\bi'm (?:very |really |pretty |quite |a bit )?(?:disorgani[sz]ed|messy|chaotic)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "openness",
        0.7,
        re.compile(
            r"\bi'm (?:very |really |always )?open to new (?:experiences|ideas|things)\b|"
            r"\bi love trying new things\b",
            re.IGNORECASE,
        ),
    ),
)


def _extract_traits(sentence: str, turn: Turn, out: _Collector) -> None:
    for trait, score, pattern in _TRAIT_RULES:
        if pattern.search(sentence):
            out.add(
                "traits",
                f"{trait}:{score}",
                {"trait": trait, "score": score},
                turn.question_id,
                0.3,
                sentence,
            )
