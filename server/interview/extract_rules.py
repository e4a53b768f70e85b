"""The rule-based persona extractor: every item cites the answer it came from.

Transparent and conservative: it aims at precision (better to miss than to invent). It reads
answered turns only, sentence by sentence, and proposes:

==================  =========================================================================
section             rule
==================  =========================================================================
values              a lexicon term (honesty, integrity, family, freedom, curiosity, ...) in a
                    sentence that also says it matters ("value", "important", "matters",
                    "believe in", "guides me", "above all", "comes first", ...), not negated;
                    a term right after "taught me" ("that taught me humility"); or a bare
                    list of value words in a *values* answer ("Honesty, family and freedom.").
                    A term inside the cue ("I respect people who ...") does not count. A value
                    the person also denies ("security doesn't matter to me") is dropped.
                    Description = a short quote of the sentence, names redacted. Priority 1
                    only for "most important / above all / more than anything" with one value.
goals               "I want to / I'd like to / I hope to / I plan to / my goal is to / I'm
                    working toward ..." -> the clause, cleaned. Horizon from the clause, else
                    the sentence, else the question asked: this week/month -> shortTerm; this
                    year / next few months / next few years -> midTerm; someday / eventually /
                    in five or ten years / long term / before I retire -> longTerm; default
                    midTerm.
tone, verbosity     a style word (direct, blunt, warm, diplomatic, humorous, calm, patient,
                    analytical, ...) right after a self-description ("I'm", "people say I'm",
                    "I tend to be", "I come across as"), not negated; or a short list of style
                    words in a *style* answer. concise/detailed go to verbosity, only when one
                    of the two is stated.
interests           "I love / enjoy / am into / am passionate about / spend my weekends ..."
                    -> short noun phrases; never people, "my ..." things or pronouns.
current_focus       "I'm working on / focused on / busy with ...", "these days I'm <doing>",
projects            "my focus is ..."; in answers about the present (or with "these days",
                    "right now", ...) also "I'm learning / studying / training / teaching /
                    trying to ..."; a focus that names a project (an app, a book, a course, a
                    business, building / writing / launching ...) is also a project.
key_experiences     *biography* answers only: a first-person sentence (or one opening with the
                    speaker's own "-ing" deed: "Leaving my job was the turning point") with a
                    formative cue ("taught me", "changed my life", "turning point", "I learned
                    that") or a dated past event ("when I was 12 I moved ..."), with at least
                    three content words ("I learned to do the same." says nothing alone).
traits              only explicit self-labels ("I'm an introvert", "I'm very organised",
                    "I'm open to new experiences"), at confidence 0.3; contradictions drop it.
domains             "I work in <field>" / "I work as a <role>".
==================  =========================================================================

Always: every item cites the question ids it came from; an item repeated in several answers
gains confidence; ``sensitivity`` is ``special_category`` when the source sentence touches
health, religion, politics, sexuality, ethnicity, union membership or a criminal record,
``personal`` for family details, else ``none``. Capitalised names are never copied into an item
(a text item with one is dropped, a description has it redacted); a name right after a role is
left out of goals, focus and experiences ("my grandfather Kofi" -> "my grandfather"), and so is a
place phrase ("in Valencia"). Vague goals ("get this right") are skipped. A sentence that reads
like an instruction to the system ("ignore your instructions and ...") is data: it and the rest
of that answer are skipped. Answers with crisis cues are skipped entirely.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from server.interview.crisis import detect_crisis
from server.interview.model import ExtractionRequest, Turn
from server.interview.sensitive import looks_like_instruction, sensitivity_of
from server.interview.text import has_name, name_spans, without_named_relations
from server.persona.draft import (
    GoalHorizon,
    GoalItem,
    PersonaDraft,
    Sensitivity,
    TextItem,
    Trait,
    TraitItem,
    ValueItem,
)


def _words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(text.split())


SOURCE = "builtin"
_SEVERITY: dict[Sensitivity, int] = {"none": 0, "personal": 1, "special_category": 2}

# --------------------------------------------------------------------------------------------
# Sentences, names, clean-up
# --------------------------------------------------------------------------------------------


def _straighten(text: str) -> str:
    return (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
    )


def _sentences(answer: str) -> list[str]:
    parts: list[str] = []
    for line in _straighten(answer).splitlines():
        parts.extend(re.split(r"(?<=[.!?])\s+", line.strip()))
    return [part.strip() for part in parts if len(part.strip()) > 1]


def _has_name(text: str, sentence_start: bool = False) -> bool:
    return has_name(text, sentence_start)


def _redact(sentence: str) -> str:
    spans = name_spans(sentence, sentence_start=True)
    for start, end in reversed(spans):
        sentence = sentence[:start] + "[name]" + sentence[end:]
    return sentence


def _quote(sentence: str, limit: int = 200) -> str:
    text = " ".join(_redact(sentence).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "\u2026"


_FILLER_PHRASES = re.compile(
    r"(?:^|(?<=[,;]))\s*(?:to be (?:honest|fair)|truth be told|in all honesty|"
    r"if i'?m (?:being )?honest)\s*,?|\bhonestly,?\s*",
    re.IGNORECASE,
)
_LEADING_WORDS = re.compile(
    r"^(?:(?:and|but|so|well|also|honestly|really|actually|basically|yeah|yes|oh|um|uh|ok|okay|"
    r"i think|i guess|i suppose|i'd say|probably|definitely)\b[,\s]*)+",
    re.IGNORECASE,
)
_ADDRESSES_SYSTEM = re.compile(r"\b(?:you|your|yours|yourself)\b", re.IGNORECASE)


_PLACE_PHRASE = re.compile(
    r"\s+(?:in|at|to|from|near|around|across|through|outside) (?:the )?"
    r"(?:[A-Z][\w'\-]*)(?: [A-Z][\w'\-]*)*"
)
_FUNCTION_WORDS = _words(
    """
    a an the and or but if then so of to in on at for from with about as by into over up out
    off than too very just really also only ever not no i me my mine myself we us our it its
    this that these those there here be been being am is are was were do does did done get
    got getting have has had make made thing things stuff something anything way same kind
    sort lot bit one ones right back more most much some any all every each again still
    """
)


def _without_places(text: str) -> str:
    """Drop "in Valencia", "at the Arctic station"-like phrases whose object is a name."""

    def drop(match: re.Match[str]) -> str:
        return "" if has_name(match.group(0)) else match.group(0)

    return _PLACE_PHRASE.sub(drop, text)


def _content_words(text: str) -> list[str]:
    return [
        word
        for word in re.findall(r"[a-z][a-z'\-]*", text.lower())
        if word not in _FUNCTION_WORDS and len(word) > 2
    ]


def _clean_clause(clause: str, max_words: int) -> str | None:
    clause = re.split(
        r"\s*[,;:\u2014\u2013(]\s*|\s+-\s+|\s+(?:because|since|so that|so i|but|although|though|"
        r"which|while|whereas|unless|as long as|who|where)\s+",
        clause.strip(),
        maxsplit=1,
    )[0]
    clause = _LEADING_WORDS.sub("", clause).strip().strip("\"'").rstrip(".!?,;: ")
    words = clause.split()
    if not 1 <= len(words) <= max_words:
        return None
    if _ADDRESSES_SYSTEM.search(clause) or _has_name(clause):
        return None
    return clause


@dataclasses.dataclass
class _Found:
    """One proposed item while it is being collected: merged by key across answers."""

    fields: dict[str, Any]
    evidence: list[str]
    confidence: float
    sensitivity: Sensitivity


class _Collector:
    def __init__(self) -> None:
        self.sections: dict[str, dict[str, _Found]] = {}
        self.denied_values: set[str] = set()

    def add(
        self,
        section: str,
        key: str,
        fields: dict[str, Any],
        qid: str,
        confidence: float,
        source_text: str,
    ) -> None:
        sensitivity = sensitivity_of(source_text + " " + " ".join(map(str, fields.values())))
        items = self.sections.setdefault(section, {})
        found = items.get(key)
        if found is None:
            items[key] = _Found(dict(fields), [qid], confidence, sensitivity)
            return
        if qid not in found.evidence:
            found.evidence.append(qid)
            found.confidence = min(0.95, max(found.confidence, confidence) + 0.1)
        else:
            found.confidence = max(found.confidence, confidence)
        if _SEVERITY[sensitivity] > _SEVERITY[found.sensitivity]:
            found.sensitivity = sensitivity

    def found(self, section: str) -> list[_Found]:
        return list(self.sections.get(section, {}).values())


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

VALUE_LEXICON: dict[str, str] = {
    "honesty": r"honesty|honest|truthful(?:ness)?|telling the truth|transparen(?:cy|t)|"
    r"candou?r",
    "integrity": r"integrity|keeping my word|keep(?:ing)? (?:my )?promises|"
    r"do(?:ing)? the right thing|walk(?:ing)? the talk|principled",
    "family": r"family|families",
    "freedom": r"freedom|autonomy|being free|free to (?:choose|decide|live|be)|"
    r"self[- ]direction",
    "independence": r"independence|independent|self[- ]relian(?:ce|t)|standing on my own",
    "curiosity": r"curiosity|curious|inquisitive(?:ness)?",
    "kindness": r"kindness|being kind|kind(?! of)|kind[- ]hearted",
    "fairness": r"fairness|fair(?! enough| share| amount| bit| to say)|justice|equality|equity",
    "creativity": r"creativity|creative|creating things|making things",
    "loyalty": r"loyalty|loyal",
    "courage": r"courage|courageous|bravery|brave",
    "growth": r"growth|personal development|self[- ]improvement|learning|growing as a person|"
    r"getting better",
    "compassion": r"compassion|compassionate|empathy|empathetic|empathic",
    "security": r"security|stability|financial stability",
    "respect": r"respect|respectful|dignity",
    "humility": r"humility|humble|modesty",
    "responsibility": r"responsibility|accountability|accountable|reliability|reliable|"
    r"dependab(?:le|ility)",
    "hard work": r"hard work|work ethic|diligence|diligent|hard[- ]working",
    "generosity": r"generosity|generous|giving back",
    "community": r"community|belonging",
    "friendship": r"friendships?",
    "authenticity": r"authenticity|authentic|being true to myself|true to myself|"
    r"being myself",
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
    r"care (?:deeply |a lot |most |so much )?about|cares about|believe in|believes in|"
    r"guides? me|guided me|guiding|principles?|priorit(?:y|ies|ize|ise)|stand for|live by|"
    r"means? (?:a lot|everything|the world|so much)|non[- ]negotiable|can't compromise|"
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
_NEGATION_WORDS = frozenset(
    {
        "not",
        "never",
        "no",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "can't",
        "won't",
        "hate",
        "dislike",
        "without",
        "less",
        "overrated",
        "lack",
        "lacks",
    }
)
_LIST_FILLER = _words(
    """
    and or also probably definitely mostly i'd say i think for me my core values value are
    is the a above all really being big things thing things i'm most important to me first
    second third then plus as well too
    """
)


_HEDGES = frozenset({"if", "whether", "unsure", "doubt", "wonder", "used", "whatever"})


def _negated_before(text: str, start: int, window: int = 4) -> bool:
    before = re.split(r"[,;:]|\bbut\b", text[:start])[-1]
    words = re.findall(r"[a-z']+", before.lower())[-window:]
    return any(word in _NEGATION_WORDS or word.endswith("n't") for word in words)


def _hedged_before(text: str, start: int) -> bool:
    """Negated or hedged ("I don't know if I want to ...", "I used to love ...")."""
    before = re.split(r"[,;:]|\bbut\b", text[:start])[-1]
    words = re.findall(r"[a-z']+", before.lower())[-4:]
    return _negated_before(text, start) or any(word in _HEDGES for word in words)


def _extract_values(sentence: str, turn: Turn, out: _Collector) -> None:
    text = _FILLER_PHRASES.sub(" ", sentence)
    hits: list[tuple[int, str]] = []
    for name, pattern in _VALUE_TERMS:
        for match in pattern.finditer(text):
            if not _negated_before(text, match.start()):
                hits.append((match.start(), name))
                break
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
    elif turn.category == "values" and _is_value_list(text):
        confidence = 0.7
    else:
        return
    priority = 1 if len(names) == 1 and _TOP_PRIORITY.search(text) else None
    description = _quote(sentence)
    for name in names:
        fields: dict[str, Any] = {"value": name, "description": description}
        if priority is not None:
            fields["priority"] = priority
        out.add("values", name, fields, turn.question_id, confidence, sentence)


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


# --------------------------------------------------------------------------------------------
# Goals
# --------------------------------------------------------------------------------------------

_GOAL = re.compile(
    r"\b(?:i(?:'d| would) (?:really |also |eventually |someday |one day |love to |still )?"
    r"(?:like|love) to|i (?:really |also |still |eventually |badly )?want to|i wanna|"
    r"i (?:really |also )?hope to|i'm hoping to|i am hoping to|i plan to|i'm planning to|"
    r"i am planning to|i intend to|i aim to|i'm aiming to|i am aiming to|i aspire to|"
    r"i dream of|i'm determined to|i am determined to|"
    r"my (?:\w+ )?(?:goal|aim|dream|ambition|plan)(?: for [\w ]{1,25}?| this year| right now| now)?"
    r" is to|one of my (?:\w+ )?goals is to|i'm working towards?|i am working towards?)"
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
    text = _without_places(without_named_relations(_FILLER_PHRASES.sub(" ", sentence)))
    for match in _GOAL.finditer(text):
        if _hedged_before(text, match.start()):
            continue
        raw = _LEADING_TIME.sub("", match.group("clause").strip())
        if _GOAL_SKIP_START.match(raw):
            continue
        clause = _clean_clause(raw, max_words=18)
        if clause is None or len(clause.split()) < 2 or _VAGUE.match(clause):
            continue
        if len(_content_words(clause)) < 2:
            continue  # "get this right", "do it": nothing to keep
        horizon = horizon_of(match.group("clause"), sentence, turn.question) or "midTerm"
        confidence = 0.75 if turn.category == "goals" else 0.65
        key = clause.lower()
        out.add(
            "goals",
            key,
            {"goal": clause, "horizon": horizon},
            turn.question_id,
            confidence,
            sentence,
        )


# --------------------------------------------------------------------------------------------
# Communication style
# --------------------------------------------------------------------------------------------

TONE_LEXICON: dict[str, str] = {
    "direct": r"direct|straightforward|straight to the point|no-nonsense|frank",
    "blunt": r"blunt",
    "warm": r"warm|friendly",
    "diplomatic": r"diplomatic|tactful",
    "humorous": r"funny|humou?rous|witty|playful|jokey",
    "sarcastic": r"sarcastic|sarcasm|dry humou?r|dry wit",
    "calm": r"calm|composed|even[- ]tempered|level[- ]headed",
    "patient": r"patient",
    "analytical": r"analytical|logical|methodical|systematic",
    "gentle": r"gentle|soft[- ]spoken",
    "empathetic": r"empathetic|empathic",
    "enthusiastic": r"enthusiastic|animated|energetic",
    "formal": r"formal",
    "casual": r"casual|informal|laid[- ]back",
    "reserved": r"reserved|quiet",
    "talkative": r"talkative|chatty",
    "thoughtful": r"thoughtful|reflective",
    "encouraging": r"encouraging|supportive",
}
VERBOSITY_LEXICON: dict[str, str] = {
    "concise": r"concise|brief|succinct|to the point|short and sweet|keep (?:it|things) short|"
    r"economical with (?:my )?words|a person of few words|few words",
    "detailed": r"detailed|thorough|long[- ]winded|go into (?:a lot of )?detail|verbose|wordy|"
    r"talk a lot|tend to ramble|elaborate",
}
_VERBOSITY_SELF: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "concise",
        re.compile(
            r"\bi (?:always |usually |tend to |try to )?keep (?:it|things|my \w+) "
            r"(?:short|brief|concise)\b|\bi'm (?:a|the) (?:\w+ )?(?:person|man|woman|guy) of few "
            r"words\b",
            re.IGNORECASE,
        ),
    ),
    (
        "detailed",
        re.compile(
            r"\bi (?:always |usually |often |tend to )?(?:ramble|go into (?:a lot of )?detail|"
            r"talk a lot|over-explain|explain everything)\b",
            re.IGNORECASE,
        ),
    ),
)
_TONE_TERMS = tuple(
    (name, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE))
    for name, pattern in TONE_LEXICON.items()
)
_VERBOSITY_TERMS = tuple(
    (name, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE))
    for name, pattern in VERBOSITY_LEXICON.items()
)
_SELF_CUE = re.compile(
    r"\b(?:i'm|i am|i'd say i'm|i tend to be|i try to be|i can be|i've been told i'm|"
    r"people (?:say|tell me|think|find|call|describe)|others (?:say|tell me|describe)|"
    r"friends (?:say|tell me|describe)|(?:colleagues|coworkers|they) (?:say|tell me|describe|"
    r"would say|'d say)|described as|describe me as|call me|i come across as|i'm known (?:for|as)|"
    r"known for being|my (?:communication )?style is|i communicate|i talk|i write|i speak|"
    r"i explain|my messages are|my emails are|i keep (?:it|things))\b",
    re.IGNORECASE,
)
_STYLE_BLOCKERS = _words(
    """
    when if with people others other who they he she him her them than because unless about
    at whenever around towards toward like wish want wanted hate dislike can't into in on of
    for to from by working doing going trying looking getting my his their our is are was
    were
    """
)
_STYLE_NEGATIONS = frozenset({"not", "never", "hardly", "rarely", "less", "no", "isn't", "wasn't"})


def _style_windows(text: str) -> Iterator[str]:
    """Text right after each self-description cue, up to a blocker or eight words."""
    for cue in _SELF_CUE.finditer(text):
        words = re.findall(r"[A-Za-z'\-]+|[,;.]", text[cue.end() :])
        kept: list[str] = []
        for word in words:
            lowered = word.lower()
            if lowered in _STYLE_BLOCKERS or lowered in {";", "."} or len(kept) >= 8:
                break
            if lowered in _STYLE_NEGATIONS or lowered.endswith("n't"):
                break
            kept.append(lowered)
        yield " ".join(kept)


_LIST_VERBS = _words("is are was were be been has have had my his her their our its")


def _is_style_list(text: str) -> bool:
    lowered = text.lower()
    words = re.findall(r"[a-z'\-]+", lowered)
    if not 1 <= len(words) <= 10:
        return False
    if any(word in _STYLE_BLOCKERS or word in _STYLE_NEGATIONS for word in words):
        return False
    if any(word in _LIST_VERBS for word in words):
        return False  # "My boss is calm" describes someone else
    if _ADDRESSES_SYSTEM.search(text):
        return False  # "Funny you should ask." is a remark, not a list
    return not any(word.endswith("n't") for word in words)


def _extract_style(sentence: str, turn: Turn, out: _Collector) -> None:
    text = _FILLER_PHRASES.sub(" ", sentence)
    sources: list[tuple[str, float]] = [(window, 0.7) for window in _style_windows(text)]
    if turn.category == "style" and _is_style_list(text):
        sources.append((text.lower(), 0.6))
    for name, pattern in _VERBOSITY_SELF:
        match = pattern.search(text)
        if match is not None and not _negated_before(text, match.start()):
            out.add("verbosity", name, {"text": name}, turn.question_id, 0.7, sentence)
    for window, confidence in sources:
        for name, pattern in _TONE_TERMS:
            if pattern.search(window):
                out.add("tone", name, {"text": name}, turn.question_id, confidence, sentence)
        for name, pattern in _VERBOSITY_TERMS:
            if pattern.search(window):
                out.add("verbosity", name, {"text": name}, turn.question_id, confidence, sentence)


# --------------------------------------------------------------------------------------------
# Interests, current focus, projects, domains
# --------------------------------------------------------------------------------------------

_INTEREST = re.compile(
    r"\b(?:i (?:really |absolutely |truly |just |also )?(?:love|enjoy|adore)|"
    r"i'm (?:really |very |quite |deeply |also )?(?:into|passionate about|interested in|"
    r"fascinated by|a (?:big |huge )?fan of|obsessed with)|"
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
    r"|\bmost of my (?:time|energy|attention) (?:goes|is going) (?:to|into) (?P<object4>[^.;!?]+)",
    re.IGNORECASE,
)
# What someone is doing at present, read as a focus in answers about the present (or with a
# "these days"-like cue in the sentence): "I'm learning the ukulele", "I'm training a new
# mechanic", "I'm trying to take Fridays off".
_FOCUS_ACTIVITY = re.compile(
    r"\b(?:i'm|i am)(?: (?:currently|also|still|slowly|finally|now))? "
    r"(?P<activity>(?:learning|studying|training|teaching|volunteering|building|writing|"
    r"renovating|recording|planting|practi[cs]ing|organi[sz]ing|coaching|mentoring|"
    r"trying to|saving (?:up )?for)\b[^.;!?]*)",
    re.IGNORECASE,
)
_ACTIVITY_SKIP = re.compile(
    r"^(?:learning (?:that|how much|what|from)|trying to (?:say|explain|remember|think|be|"
    r"figure|work out|understand|answer))\b",
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
    r"\bi work (?:as (?:a|an) (?P<role>[a-z][a-z \-]{1,40}?)|in (?P<field>[a-z][a-z \-]{1,30}?))"
    r"(?=$|[,.;!?]| (?:and|at|for|with|where|but|because|since|so|now|these|right)\b)",
    re.IGNORECASE,
)


def _interest_parts(raw: str) -> list[str]:
    raw = _INTEREST_CUT.split(raw, maxsplit=1)[0]
    parts: list[str] = []
    for part in re.split(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", raw):
        part = part.strip().strip("\"'")
        part = re.sub(r"^(?:to|the|a|an)\s+", "", part, flags=re.IGNORECASE)
        part = _INTEREST_TRAILING.sub("", part).strip()
        if not part or _INTEREST_BAD_START.match(part):
            continue
        if re.search(r"\bmy\b", part, re.IGNORECASE):
            continue
        words = part.split()
        if not 1 <= len(words) <= 6 or _has_name(part) or _ADDRESSES_SYSTEM.search(part):
            continue
        parts.append(part)
    return parts


def _extract_interests(sentence: str, turn: Turn, out: _Collector) -> None:
    sentence = _without_places(sentence)
    for match in _INTEREST.finditer(sentence):
        if _hedged_before(sentence, match.start()):
            continue
        for part in _interest_parts(match.group("object")):
            out.add("interests", part.lower(), {"text": part}, turn.question_id, 0.7, sentence)


_VAGUE = re.compile(
    r"^(?:those|these|that|this|it|them|both|all|everything|everyone|stuff|things|something|"
    r"anything|nothing|myself|me|him|her)\b",
    re.IGNORECASE,
)


def _focus_activities(sentence: str, turn: Turn) -> list[str]:
    if turn.category != "current_focus" and not _NOW.search(sentence):
        return []
    found = []
    for match in _FOCUS_ACTIVITY.finditer(sentence):
        activity = match.group("activity").strip()
        if _hedged_before(sentence, match.start()) or _ACTIVITY_SKIP.match(activity):
            continue
        found.append(activity)
    return found


def _add_focus(clause: str, turn: Turn, out: _Collector, sentence: str) -> None:
    confidence = 0.75 if turn.category == "current_focus" else 0.7
    key = clause.lower()
    out.add("current_focus", key, {"text": clause}, turn.question_id, confidence, sentence)
    if _PROJECT.search(clause):
        out.add("projects", key, {"text": clause}, turn.question_id, 0.6, sentence)


def _extract_focus(sentence: str, turn: Turn, out: _Collector) -> None:
    original = sentence
    sentence = _without_places(without_named_relations(sentence))
    for activity in _focus_activities(sentence, turn):
        clause = _clean_clause(activity, max_words=12)
        if clause is not None and len(_content_words(clause)) >= 2:
            _add_focus(clause, turn, out, original)
    for match in _FOCUS.finditer(sentence):
        if _hedged_before(sentence, match.start()):
            continue
        raw = next(
            group
            for group in (
                match.group("object"),
                match.group("object2"),
                match.group("object3"),
                match.group("object4"),
            )
            if group is not None
        )
        # "the novel and on training for a race" -> two things in focus
        for index, part in enumerate(re.split(r"\s+and\s+(?=(?:on|with|in|for)\s)", raw)):
            if index:
                part = re.sub(r"^(?:on|with|in|for)\s+", "", part.strip())
            clause = _clean_clause(part, max_words=12)
            if clause is None or _VAGUE.match(clause):
                continue
            _add_focus(clause, turn, out, original)


def _extract_domains(sentence: str, turn: Turn, out: _Collector) -> None:
    for match in _DOMAIN.finditer(sentence):
        value = (match.group("role") or match.group("field") or "").strip()
        if not value or re.match(r"(?:a|an|my|our|the|this|that|it)\b", value, re.IGNORECASE):
            continue
        if len(value.split()) > 4 or _has_name(value):
            continue
        out.add("domains", value.lower(), {"text": value}, turn.question_id, 0.6, sentence)


# --------------------------------------------------------------------------------------------
# Key experiences and traits
# --------------------------------------------------------------------------------------------

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
    r"ran|did))\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|myself)\b", re.IGNORECASE)
_MAX_EXPERIENCES_PER_ANSWER = 3


# "Leaving an agency job to go freelance was the turning point": the speaker's own story.
_GERUND_START = re.compile(r"^(?:[a-z]+ing)\b", re.IGNORECASE)


def _extract_experience(sentence: str, turn: Turn, out: _Collector, taken: int) -> int:
    if turn.category != "biography" or taken >= _MAX_EXPERIENCES_PER_ANSWER:
        return taken
    original = sentence
    sentence = _without_places(without_named_relations(sentence))
    formative = _FORMATIVE.search(sentence) is not None
    own = _FIRST_PERSON.search(sentence) is not None or (
        formative and _GERUND_START.match(_LEADING_WORDS.sub("", sentence).strip()) is not None
    )
    if not own or _ADDRESSES_SYSTEM.search(sentence):
        return taken
    if formative:
        confidence = 0.7
    elif _EVENT.search(sentence):
        confidence = 0.6
    else:
        return taken
    text = _LEADING_WORDS.sub("", sentence).strip()
    if not text or not 5 <= len(text.split()) <= 50 or _has_name(text, sentence_start=True):
        return taken
    if len(_content_words(text)) < 3:
        return taken  # "I learned to do the same.": says nothing on its own
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?":
        text += "."
    key = re.sub(r"\W+", " ", text.lower()).strip()
    out.add("key_experiences", key, {"text": text}, turn.question_id, confidence, original)
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


# --------------------------------------------------------------------------------------------
# The extractor
# --------------------------------------------------------------------------------------------


def _usable_sentences(answer: str) -> Iterator[str]:
    """The answer's sentences up to (not including) the first one that instructs the system."""
    for sentence in _sentences(answer):
        if looks_like_instruction(sentence):
            return
        yield sentence


def _item_fields(found: _Found) -> dict[str, Any]:
    return {
        **found.fields,
        "evidence": tuple(found.evidence),
        "confidence": round(found.confidence, 2),
        "sensitivity": found.sensitivity,
    }


def _traits(out: _Collector) -> tuple[TraitItem, ...]:
    by_trait: dict[str, list[_Found]] = {}
    for found in out.found("traits"):
        by_trait.setdefault(found.fields["trait"], []).append(found)
    items = []
    for candidates in by_trait.values():
        if len({found.fields["score"] for found in candidates}) == 1:
            first = candidates[0]
            items.append(TraitItem(**_item_fields(first)))
    return tuple(items)


def extract_persona(request: ExtractionRequest) -> PersonaDraft:
    """A conservative, evidence-backed draft from the answered turns (see the module doc)."""
    out = _Collector()
    for turn in request.turns:
        if not turn.answered or not turn.answer or not turn.answer.strip():
            continue
        if detect_crisis(turn.answer).crisis:
            continue
        experiences = 0
        for sentence in _usable_sentences(turn.answer):
            _extract_values(sentence, turn, out)
            _extract_goals(sentence, turn, out)
            _extract_style(sentence, turn, out)
            _extract_interests(sentence, turn, out)
            _extract_focus(sentence, turn, out)
            _extract_domains(sentence, turn, out)
            _extract_traits(sentence, turn, out)
            experiences = _extract_experience(sentence, turn, out, experiences)

    verbosity_found = out.found("verbosity")
    verbosity = TextItem(**_item_fields(verbosity_found[0])) if len(verbosity_found) == 1 else None
    return PersonaDraft(
        values=tuple(
            ValueItem(**_item_fields(found))
            for found in out.found("values")
            if found.fields["value"] not in out.denied_values
        ),
        goals=tuple(GoalItem(**_item_fields(found)) for found in out.found("goals")),
        traits=_traits(out),
        tone=tuple(TextItem(**_item_fields(found)) for found in out.found("tone")),
        verbosity=verbosity,
        interests=tuple(TextItem(**_item_fields(found)) for found in out.found("interests")),
        key_experiences=tuple(
            TextItem(**_item_fields(found)) for found in out.found("key_experiences")
        ),
        current_focus=tuple(
            TextItem(**_item_fields(found)) for found in out.found("current_focus")
        ),
        projects=tuple(TextItem(**_item_fields(found)) for found in out.found("projects")),
        domains=tuple(TextItem(**_item_fields(found)) for found in out.found("domains")),
        source=SOURCE,
    )
