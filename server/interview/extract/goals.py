"""Goals: intent verbs and goal frames, imperatives and deadlines in goals answers, horizons."""

from __future__ import annotations

import re

from server.interview.extract.common import (
    _FILLER_PHRASES,
    _VAGUE,
    _clean_clause,
    _Collector,
    _content_words,
    _has_name,
    _hedged_before,
    _nested_matches,
    _without_people_named,
    _words,
)
from server.interview.grammar import (
    has_noun_reading,
    is_activity_verb,
    is_base_verb,
    verb_lemma,
)
from server.interview.model import Turn
from server.persona.draft import (
    GoalHorizon,
)

_GOAL = re.compile(
    r"\b(?:i(?:'d| would) (?:really |also |eventually |someday |one day |love to |still )?"
    r"(?:like|love) to|i (?:really |also |still |eventually |badly )?want to|i wanna|"
    r"i (?:really |also )?hope to|i'm (?:kind of |sort of |really |also )*hoping to|"
    r"i am hoping to|i plan to|i'm planning to|i (?:\w+ )?mean to|i'm going to|i am going to|"
    r"i've always wanted to|i have always wanted to|my hope is to|the next step is to|"
    r"hopefully,? i(?:'ll| will)|one day,? i(?:'ll| will)|i'm aiming for|i'm saving (?:up )?for|"
    r"i'm gonna|(?:the|my) (?:big(?:gest)? |main |real |long-term |)(?:one|thing|goal|dream|"
    r"plan|hope|aim) is to|"
    r"(?:eventually|someday|one day|next year|this year|soon),? i(?:'ll| will)|"
    r"an?(?: \w+)? (?:goal|dream|aim|ambition|plan)(?: of mine)? is to|"
    r"my (?:\w+ )?(?:goal|aim|dream|ambition|plan) is(?= \w+ing)|"
    r"i should(?: probably| really| definitely)?(?= \w)|i (?:really )?want(?= [a-z]+ )|"
    r"i am planning to|i intend to|i aim to|i'm aiming to|i am aiming to|i aspire to|"
    r"i dream (?:of|to|about)|i (?:\w+ )?wish to|i'm determined to|i am determined to|"
    r"my (?:\w+ )?(?:goal|aim|dream|ambition|plan)(?: for [\w ]{1,25}?| this year| right now| now)?"
    r" is to|one of my (?:\w+ )?goals is to|i'm working towards?|i am working towards?|"
    # "What I'd like, before I go, is to ...", "What I hope, if the bank agrees, is to ..."
    r"what i(?:'d| would)? (?:really )?(?:like|love|want|hope|wish)(?: most)?"
    r"(?:,[^,.;!?]{1,80},)? is (?:to|that i)|"
    # "My dream, one day open ...", "Goal is art school", "The main plan: ..."
    r"(?:^|\b(?:my|the|a|one)\b[ \w]{0,20}?)\b(?:goal|dream|aim|ambition|plan)"
    r"(?: for (?:this|next) \w+)?(?: is|:|,)(?: to)?)"
    r"\s+(?P<clause>[^.;!?]+)",
    re.IGNORECASE,
)
_GOAL_SKIP_START = re.compile(
    r"^(?:say|mention|add|point out|be clear|be honest|be fair|be real|thank|note|stress|"
    r"emphasi[sz]e|think|believe|know|ask|share|talk|tell|answer|explain|clarify|go into|"
    r"keep this|keep it|stop here|skip|continue|do that|do this|do it|get there)\b",
    re.IGNORECASE,
)
_LEADING_TIME = re.compile(
    r"^(?:someday|some day|one day|eventually|finally|really|also|still|just|actually|"
    r"at some point)\s+",
    re.IGNORECASE,
)
_HORIZONS: tuple[tuple[GoalHorizon, re.Pattern[str]], ...] = (
    (
        "longTerm",
        re.compile(
            r"\b(?:someday|some day|one day|eventually|long[- ]term|in the long run|"
            r"before i (?:retire|die)|when i retire|in retirement|in my lifetime|"
            r"over the next (?:decade|ten years)|(?:five|ten|fifteen|twenty|\d{1,2})"
            r"(?: or (?:five|ten|fifteen|twenty|\d{1,2}))? years|a decade|"
            r"by the time i(?:'m| am)|when i'm older|later in life|lifetime|bucket list)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "shortTerm",
        re.compile(
            r"\b(?:this (?:week|month|weekend)|next (?:week|month)|"
            r"in the next (?:few )?(?:days|weeks)|in (?:a|two|three|a few|the next few) weeks|"
            r"by the end of (?:the|this) month|tomorrow|very soon|right away|this summer|"
            r"this spring|this autumn|this fall|this winter)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "midTerm",
        re.compile(
            r"\b(?:this year|next year|within (?:a|the next) year|in (?:a|one) year|"
            r"a year from now|next (?:few|couple of) (?:months|years)|"
            r"in (?:a few|the next few|six|several|a couple of) (?:months|years)|"
            r"by the end of (?:the|this|next) year|over the next (?:year|few years)|"
            r"in the coming (?:months|year)|in a year or two|in two years|months from now)\b",
            re.IGNORECASE,
        ),
    ),
)


def horizon_of(*texts: str) -> GoalHorizon | None:
    """The horizon named in the first text that names one (earliest cue wins), else None."""
    for text in texts:
        best: tuple[int, GoalHorizon] | None = None
        for horizon, pattern in _HORIZONS:
            match = pattern.search(text)
            if match is not None and (best is None or match.start() < best[0]):
                best = (match.start(), horizon)
        if best is not None:
            return best[1]
    return None


def _extract_goals(sentence: str, turn: Turn, out: _Collector) -> None:
    text = _without_people_named(_FILLER_PHRASES.sub(" ", sentence))
    for match in _nested_matches(_GOAL, text, "clause"):
        if _hedged_before(text, match.start()):
            continue
        if re.search(r"\b(?:this|that),?\s*$", text[: match.start()], re.IGNORECASE):
            continue  # "A title for my student, this I want to see": the goal came first
        raw = _LEADING_TIME.sub("", match.group("clause").strip())
        cue = match.group(0)[: match.start("clause") - match.start()].strip().lower()
        first = raw.split(" ", 1)[0] if raw else ""
        if re.search(r"\b(?:want|should)$", cue) and not is_base_verb(first):
            continue  # "I want more time" is not "I want to ..."
        if _GOAL_SKIP_START.match(raw):
            continue
        confidence = 0.75 if turn.category == "goals" else 0.65
        for part in _coordinated_goals(raw):
            _add_goal(part, match.group("clause"), sentence, turn, out, confidence)
    if turn.category == "goals":
        for part in _fragment_goals(text):
            _add_goal(part, part, sentence, turn, out, 0.6)
        for match in _OBLIGATION.finditer(text):
            if not _hedged_before(text, match.start()):
                _add_goal(match.group("clause"), match.group("clause"), sentence, turn, out, 0.6)


def _add_goal(
    raw: str, scope: str, sentence: str, turn: Turn, out: _Collector, confidence: float
) -> None:
    raw = re.sub(r"^(?:(?:and|also|then)\s+)*to\s+(?=[a-z])", "", raw.strip(), flags=re.I)
    clause = _clean_clause(raw, max_words=14)
    if clause is None or len(clause.split()) < 2 or _VAGUE.match(clause):
        return
    if len(_content_words(clause)) < 2 or _has_name(clause):
        return  # "get this right", "do it": nothing to keep
    if clause.split()[1].lower() in {"it", "them", "this", "that", "these", "those"}:
        return  # "tour it in a van": what "it" is was said elsewhere
    horizon = horizon_of(scope, sentence, turn.question) or "midTerm"
    fields = {"goal": clause, "horizon": horizon}
    out.add_item("goals", "goal", fields, turn.question_id, confidence, sentence)


def _coordinated_goals(raw: str) -> list[str]:
    """ "retire in three years, God willing, and spend more time with my grandchildren" ->
    both goals: a second base verb after "and" starts a second goal."""
    parts = [raw]
    for match in re.finditer(r",?\s+and\s+(?:also\s+|then\s+)?([a-z]+)\b", raw):
        if is_base_verb(match.group(1)) and is_activity_verb(match.group(1)):
            parts.append(raw[match.start(1) :])
            break
    return parts


# "I need to sort out my finances" answers a question about goals.
_OBLIGATION = re.compile(
    r"\bi (?:really |still |badly )?(?:need to|have to|must|'ve got to|have got to) "
    r"(?P<clause>[^.;!?]+)",
    re.IGNORECASE,
)
_OPENING_TIME = re.compile(
    r"^(?:(?:this|next) (?:year|month|week|spring|summer|autumn|fall|winter)|long[- ]term|"
    r"(?:the )?next step|"
    r"short[- ]term|eventually|someday|one day|in (?:the )?(?:long|short) run|also|and|"
    r"first|then|oh|well|honestly|ideally|mainly|mostly|really|probably|maybe|hopefully|"
    r"definitely)\b[?:,.\s]*",
    re.IGNORECASE,
)
# "Learning to surf properly is on my list for this summer."
_ON_MY_LIST = re.compile(
    r"^(?P<goal>[A-Za-z][^,]{4,60}?) (?:is|are) (?:(?:high |top )?on my (?:\w+ )?list|"
    r"(?:my|the) (?:\w+ )?(?:goal|plan|dream|aim|ambition))\b",
    re.IGNORECASE,
)
_COMPARATIVE_PHRASE = re.compile(
    r"^(?:better|more|less|fewer)\s+(?!(?:than|and|or|of|for)\b)[a-z]+\b", re.IGNORECASE
)
_HORIZON_OPENING = re.compile(
    r"\b(?:(?:this|next) (?:year|month|spring|summer|autumn|fall|winter)|long[- ]term|next step|"
    r"short[- ]term|eventually|someday|one day|in (?:the )?(?:long|short) run|"
    r"in (?:five|ten|\d+) years)\b",
    re.IGNORECASE,
)
# A noun phrase: an article or possessive, then words ("a small consultancy of my own").
_NOUN_PHRASE = re.compile(r"^(?:a|an|the|my|our|some|more|one)\s+[a-z]", re.IGNORECASE)
_GOAL_AFTER_VERB = _words(
    """
    a an the my our more some to into off up out back on down over twice every better
    myself home it
    """
)
_THIS_IS_THE_PLAN = re.compile(
    r"^(?P<goal>[^,]{6,}?),?\s+(?:(?:this|that)(?: is|'s) (?:my|the)(?: \w+)? "
    r"(?:goal|dream|plan|aim|ambition|hope|one)|(?:this|that) i (?:really )?(?:want|hope|"
    r"would like|'d like|dream of)|(?:this|that) is what i (?:want|hope for|am after))\b",
    re.IGNORECASE,
)


def _fragment_goals(text: str) -> list[str]:
    """Goals said without "I want to", in answers about goals: an imperative ("Learn to
    drive.", "This year: swim twice a week") or "X, that's the plan"."""
    plan = _THIS_IS_THE_PLAN.match(text.strip()) or _ON_MY_LIST.match(text.strip())
    if plan is not None:
        return [plan.group("goal")]
    opening = _OPENING_TIME.sub("", text.strip())
    removed = text.strip()[: len(text.strip()) - len(opening)]
    framed = bool(removed) and _HORIZON_OPENING.search(removed) is not None
    # "This year to finish ...", "To finish my studies."
    opening = re.sub(r"^(?:and\s+)?to\s+(?=[a-z])", "", opening, flags=re.IGNORECASE)
    words = opening.split()
    if len(words) < 2:
        return []
    deadline = _DEADLINE_FRAGMENT.match(opening)
    if deadline is not None and not _PRONOUN_START.match(opening):
        return [deadline.group("goal")]  # "Partner at the firm by fifty."
    if framed and _NOUN_PHRASE.match(opening) and not _PRONOUN_START.match(opening):
        return [opening]  # "Long term: a small consultancy of my own."
    if _COMPARATIVE_PHRASE.match(opening):
        return [opening]  # "Better English, so I can write quotes myself."
    first, second = words[0], words[1].lower().strip(",.")
    lower_case_writer = text == text.lower()  # "pass my driving test before summer!!"
    if not first[0].isupper() and opening is text.strip() and not lower_case_writer:
        return []
    if not is_base_verb(first) or verb_lemma(first) in _NOT_GOAL_VERBS:
        return []
    dated = horizon_of(opening) is not None  # "Make varsity next year."
    if first.lower() in _NOUNISH_VERBS or (
        second not in _GOAL_AFTER_VERB
        and not is_base_verb(second)
        and _noun_too(first)
        and not dated
    ):
        return []
    return [_coordinated_goals(opening)[0]]


# A noun phrase with a deadline, said in answer to a goals question: a goal.
_DEADLINE_FRAGMENT = re.compile(
    r"^(?P<goal>[A-Za-z][^,.;!?]{3,60}?)\s+(?:by|before|within) (?:(?:the )?(?:age of )?"
    r"(?:\d{2}|twenty|thirty|forty|fifty|sixty|seventy)|the end of|next|this|(?:a|one|two|three|"
    r"four|five|ten) (?:years?|months?)|retirement|i retire|i turn)\b"
)
_PRONOUN_START = re.compile(
    r"^(?:i|i'm|i've|we|you|he|she|they|it|it's|that|this|there|my|our|his|her|their)\b",
    re.IGNORECASE,
)
_NOUNISH_VERBS = _words("partner tax balance family respect")
_NOT_GOAL_VERBS = _words(
    "be have do say tell think know guess suppose mean feel seem look sound hope wish want need "
    "like love hate let see hear"
)


def _noun_too(word: str) -> bool:
    return has_noun_reading(word)
