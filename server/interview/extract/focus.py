"""Interests, current focus, projects and domains."""

from __future__ import annotations

import re

from lemminflect import getAllLemmas

from server.interview.extract.common import (
    _ADDRESSES_SYSTEM,
    _VAGUE,
    _clean_clause,
    _Collector,
    _content_words,
    _has_name,
    _hedged_before,
    _nested_matches,
    _shorten,
    _without_people_named,
    _without_places,
    _words,
)
from server.interview.grammar import (
    as_gerund_phrase,
    has_noun_reading,
    is_activity_verb,
    is_base_verb,
    is_gerund,
)
from server.interview.model import Turn
from server.interview.sensitive import special_categories

_INTEREST = re.compile(
    r"\b(?:i (?:really |absolutely |truly |just |also )?(?:love|enjoy|adore)|"
    r"i'm (?:really |very |quite |deeply |also )?(?:into|passionate about|interested in|"
    r"fascinated by|a (?:big |huge )?fan of|obsessed with|crazy about|mad about|hooked on|"
    r"nuts about|keen on|getting into)|i've (?:taken up|got into|gotten into|picked up)|"
    r"for fun,? i(?: like to| love to)?|"
    r"i am (?:really |very |quite |also )?(?:into|passionate about|interested in|fascinated by)|"
    r"my (?:favou?rite )?(?:hobby is|hobbies are|hobbies include|passion is)|"
    r"i spend (?:my|most of my|a lot of my) (?:weekends|evenings|free time|spare time|mornings)"
    r"(?: on)?|in my (?:free|spare) time,? i (?:like to |love to |enjoy |love |like |adore )?)"
    r"\s*(?P<object>[^.;!?]+)",
    re.IGNORECASE,
)
_INTEREST_CUT = re.compile(
    r"\s+(?:because|since|when|whenever|but|although|though|which|that|who|where|so|as|if|"
    r"while|more than|even|before|after|until|once)\b"
    r"|\s+with (?:the|my|a|an|too|some|friends|family)\b"
    r"|,\s*(?:and |but |so )?(?:i|it|which|but|because|especially)\b",
    re.IGNORECASE,
)
_INTEREST_TRAILING = re.compile(
    r"\s+(?:a lot|so much|very much|these days|lately|too|as well|most of all|the most|"
    r"right now|at the moment|currently|again|nowadays|"
    r"on (?:the )?weekends|at the weekend|in the evenings|whenever i can)$",
    re.IGNORECASE,
)
_INTEREST_BAD_START = re.compile(
    r"^(?:my|his|her|their|our|your|you|him|them|it|this|that|these|those|how|when|what|"
    r"the way|being|people|everyone|everybody|someone|spending time with|working with|"
    r"hanging out with|seeing|watching people|me|myself|us)\b",
    re.IGNORECASE,
)

_FOCUS = re.compile(
    r"\b(?:i'm|i am|i've been|i have been)(?: (?:currently|mostly|mainly|really|pretty|very|"
    r"also|still|just|quite))*(?: busy)? (?:working on|focused on|focusing on|concentrating on|"
    r"busy with|spending (?:a lot of|most of my|much of my) (?:time|energy) on|"
    r"putting (?:a lot of |most of my )?(?:time|energy) into|preparing for|getting ready for)"
    r"\s+(?P<object>[^.;!?]+)"
    r"|\bmy (?:main |current |biggest |big )?focus (?:right now |these days |at the moment )?"
    r"is (?:on )?(?P<object2>[^.;!?]+)"
    r"|\bthese days,? i'm (?P<object3>[a-z]+ing\b[^.;!?]*)"
    r"|\bmost of my (?:time|energy|attention) (?:goes|is going) (?:to|into) (?P<object4>[^.;!?]+)"
    r"|\bi'm (?:right )?in the (?:middle|thick) of (?P<object5>[^.;!?]+)"
    r"|\bi'm (?:knee-)?deep (?:in|into) (?P<object6>[^.;!?]+)"
    r"|\b(?:my days|my evenings|my weekends|my life|work|it's|it is|life is) (?:is |are )?"
    r"(?:all )?about (?P<object7>[^.;!?]+)"
    r"|\bi've (?:just |recently )?(?:started|begun|taken on) (?P<object8>[^.;!?]+)"
    r"|\bmy (?:\w+ )?project (?:right now |these days |at the moment )?is (?P<object9>[^.;!?]+)"
    r"|\b(?:my|most of my) (?:evenings|weekends|mornings|days|free time|spare time|time|energy) "
    r"(?:go|goes|are going|is going) (?:to|into|on) (?P<object10>[^.;!?]+)"
    r"|\bi do (?:a lot of |lots of |some |a bit of |plenty of )?(?P<object11>[a-z]+ing)\b",
    re.IGNORECASE,
)
# What someone is doing at present, read as a focus in answers about the present (or with a
# "these days"-like cue in the sentence): "I'm learning the ukulele", "I'm training a new
# mechanic", "I'm trying to take Fridays off".
_FOCUS_ACTIVITY = re.compile(
    r"\b(?:i'm|i am|i've been|i have been|we're|we are|and i are|and i have been)"
    r"(?: (?:currently|also|still|slowly|finally|now|mostly|mainly|really|just|kind of|"
    r"sort of|busy|actually))* "
    r"(?P<activity>(?P<verb>[a-z]+ing)\b[^.;!?]*)",
    re.IGNORECASE,
)
# "These days I volunteer at ...", "I coach my son's team on Sundays": a habit now.
_HABIT = re.compile(
    r"(?:^|\b(?:these days|lately|right now|at the moment|nowadays|now|also|"
    r"every \w+(?: \w+ing)?|on (?:mon|tues|wednes|thurs|fri|satur|sun)days|"
    r"most (?:days|nights|evenings|mornings|weekends)|on weekends|at weekends),?\s+)"
    r"i (?:also |still |now |usually |mostly )?(?P<activity>(?P<verb>[a-z]+)\b(?!')[^.;!?]*)",
    re.IGNORECASE,
)
_OPENING_NOW = re.compile(
    r"^(?:(?:right now|these days|at the moment|lately|currently|nowadays|now|also|mostly|"
    r"and|oh|well)\b[?,:.\s]*)+",
    re.IGNORECASE,
)
_TRAILING_TIME = re.compile(
    r"(?:\s+(?:on|every|each|at|in the|most|at the) (?:(?:mon|tues|wednes|thurs|fri|satur|sun)"
    r"days?|weekends?|mornings?|evenings?|nights?|week|day|\w+ (?:morning|evening|night)s?)|"
    r"\s+(?:every|each) \w+(?: \w+)?|\s+(?:twice|once) a week)+$",
    re.IGNORECASE,
)
_ACTIVITY_SKIP = re.compile(
    r"^(?:learning (?:that|how much|what|from)|trying to (?:say|explain|remember|think|be|"
    r"figure|work out|understand|answer)|"
    # Read by _FOCUS, which keeps only the object ("working on a garden app" -> "a garden app").
    r"working (?:on|towards?)|focus(?:s?ing|ed) on|concentrating on|preparing for|"
    r"getting ready for|spending|putting|"
    # Remarks about the conversation itself: "I'm wandering off the point again".
    r"talking|rambling|wandering off|going on|digressing|babbling|getting off|repeating)\b",
    re.IGNORECASE,
)
_NOW = re.compile(
    r"\b(?:these days|right now|at the moment|currently|lately|this (?:month|week|year|"
    r"season)|at present|nowadays)\b",
    re.IGNORECASE,
)
_PROJECT = re.compile(
    r"\b(?:project|app|book|novel|website|site|business|startup|start-up|course|degree|thesis|"
    r"dissertation|album|podcast|game|tool|library|shop|store|company|garden|renovation|blog|"
    r"channel|film|documentary|studio|product|launch|campaign|exhibition|portfolio|prototype)s?\b"
    r"|^(?:building|writing|launching|starting|making|creating|developing|finishing|renovating|"
    r"recording|designing|opening|shipping)\b",
    re.IGNORECASE,
)
_DOMAIN = re.compile(
    r"\b(?:i work|i've worked|i have worked|i worked|i've been working|i trained) "
    r"(?:as (?:a|an) (?P<role>[a-z][a-z \-]{1,40}?)|in (?P<field>[a-z][a-z \-]{1,30}?))"
    r"(?=$|[,.;!?]| (?:and|at|for|with|where|but|because|since|so|now|these|right)\b)"
    # "I've been a welder for twenty years", "I'm a joiner by trade"
    r"|\bi(?:'ve| have) been (?:a|an) (?P<tenure>[a-z][a-z\-]{2,30}(?: [a-z][a-z\-]{2,30})?)"
    r"(?= (?:for|since) )"
    r"|\bi'm (?:a|an) (?P<trade>[a-z][a-z\-]{2,30}) by (?:trade|profession|training)",
    re.IGNORECASE,
)


def _interest_parts(raw: str) -> list[str]:
    raw = _INTEREST_CUT.split(raw, maxsplit=1)[0]
    parts: list[str] = []
    pieces = re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", raw)
    if not re.search(r"\s(?:and|or)\s", raw):
        pieces = pieces[:1]  # "cooking, proper food, very spicy": one interest, then comments
    for part in pieces:
        part = part.strip().strip("\"'")
        infinitive = re.match(r"to\s", part, flags=re.IGNORECASE) is not None
        part = re.sub(r"^(?:to|the|a|an)\s+", "", part, flags=re.IGNORECASE)
        part = _INTEREST_TRAILING.sub("", part).strip()
        if not part or _INTEREST_BAD_START.match(part):
            continue
        if re.search(r"\bmy\b", part, re.IGNORECASE):
            continue
        part = _TRAILING_TIME.sub("", part)
        words = _shorten(part.split(), 6)  # "fixing up old motorbikes in the shed"
        part = " ".join(words)
        if not words or _has_name(part) or _ADDRESSES_SYSTEM.search(part):
            continue
        if is_base_verb(words[0]) and (infinitive or not has_noun_reading(words[0])):
            part = as_gerund_phrase(part)  # "I love to bake" -> "baking"
        parts.append(part)
    return parts


_GO_DOING = re.compile(r"\bi (?:\w+ )?go (?P<activity>[a-z]+ing)\b", re.IGNORECASE)


def _extract_interests(sentence: str, turn: Turn, out: _Collector) -> None:
    sentence = _without_places(sentence)
    for match in _INTEREST.finditer(sentence):
        if _hedged_before(sentence, match.start()):
            continue
        for part in _interest_parts(match.group("object")):
            out.add_item("interests", "text", {"text": part}, turn.question_id, 0.7, sentence)
    for match in _GO_DOING.finditer(sentence):
        activity = match.group("activity").lower()
        if is_gerund(activity) and is_activity_verb(activity):
            fields = {"text": activity}
            out.add_item("interests", "text", fields, turn.question_id, 0.65, sentence)


def _focus_activities(sentence: str, turn: Turn) -> list[str]:
    if turn.category != "current_focus" and not _NOW.search(sentence):
        return []
    found = []
    for match in _nested_matches(_FOCUS_ACTIVITY, sentence, "activity"):
        activity = match.group("activity").strip()
        verb = match.group("verb").lower()
        if _hedged_before(sentence, match.start()) or _ACTIVITY_SKIP.match(activity):
            continue
        doing_something = verb == "doing" and len(_content_words(activity)) >= 2
        doing_something |= re.match(r"looking (?:after|into)\b", activity) is not None
        if (
            verb != "trying"
            and not doing_something
            and not (is_gerund(verb) and is_activity_verb(verb))
        ):
            continue
        found.append(activity)
    if found or turn.category != "current_focus":
        return found
    # Said without a subject: "Learning Spanish on an app.", "Right now studying for exams."
    opening = _OPENING_NOW.sub("", sentence.strip())
    first = opening.split(" ", 1)[0].strip(",.")
    looking_after = re.match(r"looking (?:after|into)\b", opening, re.IGNORECASE) is not None
    if first and is_gerund(first) and (is_activity_verb(first) or looking_after):
        found.append(opening)
    for match in _HABIT.finditer(sentence):
        verb = match.group("verb")
        if (
            is_base_verb(verb)
            and is_activity_verb(verb)
            and not _hedged_before(sentence, match.start())
        ):
            found.append(as_gerund_phrase(match.group("activity")))
    return [_TRAILING_TIME.sub("", item.rstrip(".!? ")) for item in found]


def _add_focus(clause: str, turn: Turn, out: _Collector, sentence: str) -> None:
    confidence = 0.75 if turn.category == "current_focus" else 0.7
    key = clause.lower()
    del key
    out.add_item("current_focus", "text", {"text": clause}, turn.question_id, confidence, sentence)
    if _PROJECT.search(clause) and not special_categories(clause):
        out.add_item("projects", "text", {"text": clause}, turn.question_id, 0.6, sentence)


def _extract_focus(sentence: str, turn: Turn, out: _Collector) -> None:
    original = sentence
    sentence = _without_people_named(sentence)
    for activity in _focus_activities(sentence, turn):
        clause = _clean_clause(activity, max_words=12)
        if clause is None:
            continue
        single = clause.split()[0].lower() if len(clause.split()) == 1 else ""
        if len(_content_words(clause)) >= 2 or (
            single and is_gerund(single) and single not in _VAGUE_ACTIVITIES
        ):
            _add_focus(clause, turn, out, original)
    for match in _FOCUS.finditer(sentence):
        if _hedged_before(sentence, match.start()):
            continue
        if match.group("object7") is not None and turn.category != "current_focus":
            continue  # "For me it's all about loyalty" answers another question
        raw = next(
            group
            for group in (
                match.group("object"),
                match.group("object2"),
                match.group("object3"),
                match.group("object4"),
                match.group("object5"),
                match.group("object6"),
                match.group("object7"),
                match.group("object8"),
                match.group("object9"),
                match.group("object10"),
                match.group("object11"),
            )
            if group is not None
        )
        # "the novel and on training for a race" -> two things in focus
        for index, part in enumerate(re.split(r"\s+and\s+(?=(?:on|with|in|for|into)\s)", raw)):
            if index:
                part = re.sub(r"^(?:on|with|in|for|into)\s+", "", part.strip())
            clause = _clean_clause(part, max_words=12)
            if clause is None or _VAGUE.match(clause):
                continue
            _add_focus(clause, turn, out, original)


# "I'm quilting" is a focus on its own; "I'm working" or "I'm coping" says nothing.
_VAGUE_ACTIVITIES = _words(
    """
    working doing going getting making living being having trying waiting coping managing
    surviving studying thinking resting relaxing recovering
    """
)
_NOT_ROLES = _words("big huge fan believer person bit lot part mess fool one kind sort fan")


def _extract_domains(sentence: str, turn: Turn, out: _Collector) -> None:
    for match in _DOMAIN.finditer(sentence):
        groups = ("role", "field", "tenure", "trade")
        value = next((match.group(g) for g in groups if match.group(g)), "").strip()
        if not value or re.match(r"(?:a|an|my|our|the|this|that|it)\b", value, re.IGNORECASE):
            continue
        if len(value.split()) > 4 or _has_name(value) or set(value.lower().split()) & _NOT_ROLES:
            continue
        out.add("domains", value.lower(), {"text": value}, turn.question_id, 0.6, sentence)


# --------------------------------------------------------------------------------------------
# Noun-phrase answers about the present: "Currently a database migration.", "Weekends:
# bouldering.", "rn its exams. and drawing.", "Rhythm games and skateboarding when I'm not
# drawing."
# --------------------------------------------------------------------------------------------

_NOW_FRAME = re.compile(
    r"^(?:(?:right now|rn|these days|lately|currently|at the moment|nowadays|now|mostly|and|"
    r"also|oh|well|at present|this (?:month|week|year|season))\b[?,:.!\s]*"
    r"(?:(?:it's|its|it is) (?=[a-z]))?)+",
    re.IGNORECASE,
)
_FREE_FRAME = re.compile(
    r"^(?:(?:in my |my )?(?:free|spare) time|(?:on )?(?:the )?weekends?|(?:in the )?evenings?|"
    r"(?:on )?(?:mon|tues|wednes|thurs|fri|satur|sun)days?|for fun|outside work|"
    r"when i (?:have|get|can|find) [a-z ]{1,25}?)\s*[,:]\s*",
    re.IGNORECASE,
)
_FRAGMENT_CUT = re.compile(
    r"\s+(?:when|whenever|because|since|if|but|although|though|which|while|until|so)\b.*$"
    r"|\s+with (?:my|his|her|our|their|the|a)\b.*$",
    re.IGNORECASE,
)
_FRAGMENT_PARTS = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s+&\s+", re.IGNORECASE)
_SUBJECT = re.compile(
    r"\b(?:i|i'm|im|i've|we|we're|he|she|they|you|it's|that's|there's|me|let|nothing|that|"
    r"this|there|what|which|is|are|was|were|am|has|have|had|do|does|did|will|would|can|"
    r"could|should|must|"
    r"everything|everyone|nobody)\b",
    re.IGNORECASE,
)
_PART_OPENING = re.compile(r"^(?:always|mostly|mainly|just|still|also|some|lots of)\s+", re.I)
_NOT_A_THING = _words(
    "not no one two three four five six seven eight nine ten fifteen twenty thirty hundred"
)
_EXCLAMATION = re.compile(r"^(?:my (?:goodness|god|gosh|word)|good (?:grief|heavens|lord))$", re.I)
_EVALUATIVE = _words(
    """
    good great best worst nice fine hard easy funny long short big small bad busy crazy mad
    painful fun boring tough quiet lovely pretty very really quite so too same whole
    """
)


def _fragment_part(part: str) -> str | None:
    part = _TRAILING_TIME.sub("", _PART_OPENING.sub("", part.strip().rstrip(".!?")))
    part = _INTEREST_TRAILING.sub("", part).strip()
    words = part.split()
    if not 1 <= len(words) <= 7 or len(set(word.lower() for word in words)) < len(words):
        return None  # "Portfolio portfolio portfolio" is a cry, not a list
    first = words[0].lower().strip("'\"")
    if first in _EVALUATIVE or first in _NOT_A_THING or _VAGUE.match(part):
        return None
    if _EXCLAMATION.match(part):
        return None
    gerund = first.endswith("ing") and len(first) > 5
    if len(words) == 1 and not gerund and set(getAllLemmas(first)) - {"NOUN"}:
        return None  # "Okay.", "mind": a word that is not only a thing
    if not gerund and re.search(r"\bto [a-z]", part):
        return None  # "a lot to fit into one answer": a clause, not a thing
    if gerund or has_noun_reading(first) or first in {"my", "a", "an", "the"}:
        part = part[0].lower() + part[1:]  # "Tax season", "My portfolio": not names
    if _SUBJECT.search(part) or not _content_words(part) or _has_name(part):
        return None
    if _ADDRESSES_SYSTEM.search(part):
        return None
    head = words[-1].lower().strip("'\"")
    unknown = not getAllLemmas(head)  # a word the lexicon lacks is most often a noun
    if not (gerund or unknown or has_noun_reading(head) or has_noun_reading(first)):
        return None
    return part


def _focus_fragments(sentence: str, opening: bool) -> tuple[str, list[str]]:
    """The section ("interests" after a free-time frame) and the noun phrases of a sentence
    said without a subject, in an answer about the present: after a frame ("These days, ...",
    "Weekends: ...") or as the answer's first sentence."""
    text = _without_people_named(sentence.strip())
    free = _FREE_FRAME.match(text)
    section = "interests" if free is not None else "current_focus"
    rest = text[free.end() :] if free is not None else text
    text = _NOW_FRAME.sub("", rest)
    if free is None and text == rest and not opening:
        return section, []
    text = _FRAGMENT_CUT.sub("", text.rstrip(".!? "))
    if not text or _SUBJECT.search(text.split(",", 1)[0]):
        return section, []
    found = [_fragment_part(part) for part in _FRAGMENT_PARTS.split(text)]
    return section, [part for part in found if part is not None]


def _extract_fragments(sentence: str, turn: Turn, out: _Collector, opening: bool) -> None:
    if turn.category != "current_focus" or sentence.rstrip().endswith("?"):
        return
    section, parts = _focus_fragments(sentence, opening)
    for part in parts:
        if special_categories(part):
            continue
        out.add_item(section, "text", {"text": part}, turn.question_id, 0.55, sentence)
