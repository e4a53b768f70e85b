"""Communication style: self-descriptions, subjectless lists and style phrases."""

from __future__ import annotations

import re
from collections.abc import Iterator

from server.interview.extract.common import (
    _ADDRESSES_SYSTEM,
    _FILLER_PHRASES,
    _Collector,
    _hedged_before,
    _negated_before,
    _words,
)
from server.interview.model import Turn

TONE_LEXICON: dict[str, str] = {
    "direct": r"direct|straightforward|straight to the point|no-nonsense|frank|"
    r"plain[- ]spoken|plain|plainly|say what i mean|straight talker|straight|say it straight|"
    r"tell it (?:like|how) it is|(?:don't|do not|never) beat around the bush|"
    r"(?:say|tell) it like it is|call a spade a spade|outspoken",
    "blunt": r"blunt",
    "strict": r"strict|stern|demanding",
    "precise": r"precise|exact|meticulous|pedantic",
    "lecturing": r"lecture|lectures|lecturing|preachy",
    "warm": r"warm|friendly",
    "diplomatic": r"diplomatic|tactful",
    "humorous": r"funny|humou?rous|witty|playful|jokey|joke|jokes|joking|a (?:good )?laugh|"
    r"joker|joke around|make (?:people|everyone|them) laugh|kidding|"
    r"silly|goofy|"
    r"(?:a lot of|lots of|plenty of) humou?r",
    "sarcastic": r"sarcastic|sarcasm|dry humou?r|dry wit|dry",
    "calm": r"calm|composed|even[- ]tempered|level[- ]headed",
    "patient": r"patient",
    "analytical": r"analytical|logical|methodical|systematic|technical|step by step",
    "gentle": r"gentle|soft[- ]spoken|soft|softly",
    "polite": r"polite|courteous|well[- ]mannered",
    "simple": r"simple words|plain words|simple language|easy words",
    "empathetic": r"empathetic|empathic",
    "enthusiastic": r"enthusiastic|animated|energetic|loud|excitable",
    "serious": r"serious|earnest",
    "open": r"an open book|open and honest",
    "formal": r"formal",
    "casual": r"casual|informal|laid[- ]back|chill|easy[- ]?going|keep (?:things|it) light|"
    r"emojis?",
    "storytelling": r"storyteller|storytelling|tell(?:ing)? stories",
    "reserved": r"reserved|quiet|not much of a talker|keep to myself|(?:shy|awkward) at first|shy|"
    r"take a while to warm up",
    "listening": r"(?:good |a |more of a )listener|listen more than i (?:talk|speak)",
    "talkative": r"talkative|chatty|chatterbox|talk too much|a talker",
    "thoughtful": r"thoughtful|reflective|choose my words carefully|think before i (?:speak|talk)",
    "encouraging": r"encouraging|supportive",
}
VERBOSITY_LEXICON: dict[str, str] = {
    "concise": r"concise|brief|succinct|to the point|short and sweet|keep (?:it|things) short|"
    r"economical with (?:my )?words|a person of few words|few words|not many words|"
    r"short answers|bullet points|talk too little|short and (?:sweet|to the point)|"
    r"not (?:one|much) for (?:long )?(?:speeches|small talk|chit-?chat)|short words|no fuss|"
    r"not a (?:big )?talker|(?:don't|do not|never) (?:text|talk|write) much",
    "detailed": r"detailed|thorough|long[- ]winded|go into (?:a lot of )?detail|verbose|wordy|"
    r"talk a lot|tend to ramble|elaborate|go on (?:a bit|and on)|over-?explain|"
    r"long (?:emails|messages|texts|voice notes|letters)|rambler|always talking",
}
_VERBOSITY_SELF: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "concise",
        re.compile(
            r"\bi (?:always |usually |tend to |try to )?keep (?:it|things|my \w+) "
            r"(?:short|brief|concise)\b|\bi (?:don't|do not|never) (?:talk|speak|text|write) "
            r"(?:much|a lot)\b|\bi (?:answer|write|speak|talk) (?:short|briefly)\b|"
            r"\bi'm (?:a|the) (?:\w+ )?(?:person|man|woman|guy) of few "
            r"words\b",
            re.IGNORECASE,
        ),
    ),
    (
        "detailed",
        re.compile(
            r"\bi (?:always |usually |often |tend to )?(?:ramble|go into (?:a lot of )?detail|"
            r"talk a lot|over-?explain|explain everything(?! (?:with|through|using|in)\b)|"
            r"go on (?:a bit|and on))\b",
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
    # "my mum says im sarcastic", "my children say I lecture", "people find me blunt"
    r"\b[a-z]+ (?:says?|said|think|thinks|thought|reckons?|call|calls) (?:that )?"
    r"(?:i'm|i am|im|i)\b|"
    r"\b(?:find|found|finds) me\b|\b(?:i was|im)\b|"
    r"\b(?:i'm|i am|i'd say i'm|i tend to be|i try to be|i can be|i've been told i'm|"
    r"people (?:say|tell me|think|find|call|describe)|others (?:say|tell me|describe)|"
    r"friends (?:say|tell me|describe)|(?:colleagues|coworkers|they) (?:say|tell me|describe|"
    r"would say|'d say)|described as|describe me as|call me|i come across as|i'm known (?:for|as)|"
    r"known for being|my (?:communication )?style is|i communicate|i talk|i write|i speak|"
    r"i explain|my messages are|my emails are|i keep (?:it|things)|i stay|i remain|"
    r"i tend to|i like|i go|i write|i use)\b",
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


# "Dry, my students call my humour.", "Blunt, people say.": the style word said first.
_FRONTED_STYLE = re.compile(
    r"^(?P<words>[A-Za-z\-]+(?: (?:and|but) [A-Za-z\-]+)?),\s+(?:my \w+|people|everyone|"
    r"everybody|they|friends|others|colleagues) (?:\w+ )?(?:says?|call|calls|think|thinks|"
    r"tell me|would say)\b"
)
_AMOUNT = re.compile(
    r"\b(?:a lot of|lots of|loads of|plenty of|way too many|too many|more of|a bit of|kind of|"
    r"sort of)\s+",
    re.I,
)


def _style_windows(text: str) -> Iterator[str]:
    """Text right after each self-description cue, up to a blocker or eight words."""
    text = _AMOUNT.sub("", text)  # "I use a lot of emojis" -> "I use emojis"
    fronted = _FRONTED_STYLE.match(text.strip())
    if fronted is not None:
        yield fronted.group("words").lower()
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


_INTENSIFIER = re.compile(
    r"^(?:pretty|very|quite|fairly|really|super|rather|a bit|kind of|mostly|too)\s+",
    re.IGNORECASE,
)


def _style_fragments(text: str) -> list[str]:
    """ "Formal at work, relaxed at home.", "Pretty chill.": each comma part that opens with
    a style word describes the speaker (in answers about style)."""
    found = []
    for part in re.split(r"\s*[,;]\s*", text.strip().rstrip(".!?")):
        part = _INTENSIFIER.sub("", part.strip())
        if _ADDRESSES_SYSTEM.search(part):
            continue  # "Funny you should ask." is a remark, not a self-description
        first = part.split(" ", 1)[0] if part else ""
        if not first or first.lower() in _STYLE_NEGATIONS or first.lower().endswith("n't"):
            continue
        for _, pattern in (*_TONE_TERMS, *_VERBOSITY_TERMS):
            match = pattern.match(part)
            if match is not None:
                found.append(match.group(0).lower())
                break
    return found


# How the person says they talk, in a whole phrase rather than one style word.
_STYLE_HABITS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (section, name, re.compile(pattern, re.IGNORECASE))
    for section, name, pattern in (
        (
            "tone",
            "direct",
            r"\b(?:a straight shooter|i speak my mind|i (?:hate|can't stand|skip) small talk|"
            r"i (?:\w+ )?get (?:straight )?to the point|i (?:just )?say what i think|"
            r"i tell people what i think)\b",
        ),
        (
            "tone",
            "humorous",
            r"\bi (?:\w+ )?(?:use|bring) (?:a lot of |lots of )?humou?r\b|\bi (?:\w+ )?"
            r"(?:like to |love to )?(?:joke around|make (?:people|everyone|them|others) laugh|"
            r"crack jokes)\b",
        ),
        (
            "tone",
            "direct",
            r"\bi (?:\w+ )?(?:tell|say) it (?:like|how|as) it is\b",
        ),
        (
            "tone",
            "storytelling",
            r"\bi (?:\w+ )?(?:explain|teach|say|tell|put) (?:\w+ ){0,2}(?:with|through|in|using) "
            r"(?:a |little )?(?:stories|story|anecdotes)\b",
        ),
        ("tone", "enthusiastic", r"\bi talk with my hands\b|\bexclamation marks\b"),
        (
            "tone",
            "analytical",
            r"\bi (?:\w+ )?(?:explain|teach|show|think|argue) (?:\w+ ){0,2}(?:with|through|in|"
            r"using) (?:\w+ )?(?:charts|numbers|data|graphs|spreadsheets|figures)\b",
        ),
        ("tone", "inquisitive", r"\bi (?:\w+ )?ask (?:lots of|a lot of|many|loads of) questions\b"),
        (
            "verbosity",
            "detailed",
            r"\bmy (?:messages|emails|texts|answers|letters|voice notes) (?:are|tend to be|get) "
            r"(?:really |very |quite |too )?(?:long|detailed)\b",
        ),
        (
            "verbosity",
            "concise",
            r"\bmy (?:messages|emails|texts|answers) (?:are|tend to be) (?:really |very |quite )?"
            r"(?:short|brief)\b|\bi keep (?:my )?(?:emails|messages|texts|answers) "
            r"(?:short|brief|to (?:one|two|three|a few) (?:lines|sentences))\b",
        ),
    )
)


def _extract_style(sentence: str, turn: Turn, out: _Collector) -> None:
    text = _FILLER_PHRASES.sub(" ", sentence)
    sources: list[tuple[str, float]] = [(window, 0.7) for window in _style_windows(text)]
    if turn.category == "style" and _is_style_list(text):
        sources.append((text.lower(), 0.6))
    if turn.category == "style":
        sources.extend((fragment, 0.6) for fragment in _style_fragments(text))
    for name, pattern in _VERBOSITY_SELF:
        match = pattern.search(text)
        if match is not None and not _negated_before(text, match.start()):
            out.add("verbosity", name, {"text": name}, turn.question_id, 0.7, sentence)
    for section, name, pattern in _STYLE_HABITS:
        match = pattern.search(text)
        if match is not None and not _hedged_before(text, match.start()):
            said = re.sub(r"^i\s+", "", match.group(0), flags=re.IGNORECASE)
            fields = {"text": _in_own_words(name, said)}
            out.add(section, name, fields, turn.question_id, 0.65, sentence)
    for window, confidence in sources:
        for section, terms in (("tone", _TONE_TERMS), ("verbosity", _VERBOSITY_TERMS)):
            for name, pattern in terms:
                match = pattern.search(window)
                if match is not None:
                    fields = {"text": _in_own_words(name, match.group(0))}
                    out.add(section, name, fields, turn.question_id, confidence, sentence)


def _in_own_words(name: str, said: str) -> str:
    """The style with the person's own word beside it when it differs: "direct (plain)"."""
    said = " ".join(said.lower().split())
    if said[:5] == name[:5] or len(said) > 40:
        return name
    return f"{name} ({said})"
