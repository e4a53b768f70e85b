"""Grammar-level crisis frames and the context that changes their weight (pure, no I/O).

The lexicon in :mod:`server.interview.crisis` lists phrasings; these frames describe the shape
of a risk statement instead, so that a new wording of the same thought still matches:

* a first-person **wish, plan or intent** followed within a few words by a **death, absence
  or ending** construct ("I keep thinking about just not waking up", "part of me hopes I
  won't be here", "I'm ready for it all to be over");
* **future absence** ("I won't be around by spring"), unless a trip or a move explains it;
* **burdensomeness** ("everyone would be better off", "it would be easier for everyone" next
  to an absence);
* **goodbyes**: letters or messages to say goodbye, giving belongings away;
* **self-harm** verbs with "again" ("I've been cutting again");
* a **method with its means**: a first-person step or jump in front of / off something.

Context then adjusts a sentence's verdict:

* **fiction** (a novel, a character, a film) with no first-person risk wording → nothing;
* a **resolved past** episode (a distant time marker, a sign it is over, and nothing that
  says it is back) → nothing; a distant past episode with no sign it is resolved → uncertain;
* **benign explanations** for goodbyes and giving things away (moving house, decluttering, a
  new job) → nothing.

Every function takes text already normalized by
:func:`server.interview.text.normalize_for_matching`.
"""

from __future__ import annotations

import re
from typing import Literal

Level = Literal["none", "uncertain", "crisis"]
LEVELS: tuple[Level, ...] = ("none", "uncertain", "crisis")


def stronger(a: Level, b: Level) -> Level:
    """The more cautious of two verdicts."""
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


_SELF = r"(?:\bi\b|\bim\b|\bive\b|\bid\b|\bill\b|\bme\b|\bmy\b|\bmyself\b|part of me)"
_DESIRE = (
    r"(?:want(?:ed|s)?|wanna|wish(?:ed|es|ing)?|hop(?:e|es|ed|ing)|pray(?:s|ed|ing)?|"
    r"long(?:ing)? for|think(?:ing)? (?:about|of)|thought (?:about|of)|"
    r"dream(?:ing|t|ed)? (?:about|of)|"
    r"fantasi[sz](?:e|ing) about|imagin(?:e|ing)|picture|picturing|ready|plan(?:ning|ned)?|"
    r"going|gonna|decided|tempted|would (?:rather|prefer)|like to|love to|be (?:fine|okay|ok|happy|"
    r"relieved|glad) (?:with|to|if)|(?:wouldnt|would not|dont|do not) (?:mind|care)(?: if)?)"
)
_ABSENCE = (
    r"(?:(?:not|never|no longer) (?:wak(?:e|ing) up|be(?:ing)? (?:here|around|alive)|"
    r"exist(?:ing)?|com(?:e|ing) back|hav(?:e|ing) to (?:wake up|exist|be here|go on))|"
    r"(?:disappear|vanish)(?:ing)? (?:forever|for good|permanently|completely)|"
    r"(?:didnt|did not|dont|never|not|wont|will not|wouldnt|would not) (?:wake|woke|waking) up"
    r"(?! (?:too |so |very )?(?:early|late|in time|before|until|till|at|on time|when|during|"
    r"with|to|for|feeling|tired|grumpy|hungry|properly|easily|refreshed|rested)\b)|"
    r"stay(?:ing)? (?:asleep|dead)|sleep forever|"
    r"(?:be(?:ing)? )?(?:dead(?! tired| set| serious| on| right| wrong| easy| last| end)|"
    r"gone for good|gone forever)|"
    r"stop(?:ping)? (?:existing|living|breathing|being alive)|"
    r"(?:everything|it all|all of it|my life) (?:to )?(?:be |being )?(?:over|done)(?! with)|"
    r"(?:fall(?:ing)? asleep|fell asleep|go(?:ing)? to sleep|sleep(?:ing)?) "
    r"(?:forever|and (?:not|never|stay asleep))|"
    r"(?:fall asleep|go to sleep|sleep|lie down|lay down) and never (?:\w+ ){0,7}(?:again|up)\b|"
    r"end(?:ing)? (?:it|things|everything|my life)\b(?! with| off| between| on a))"
)
_FILLER = r"(?:\w+ ){0,4}"

_CRISIS_FRAMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        (
            "wish, plan or intent to be gone",
            _SELF + r" " + _FILLER + _DESIRE + r" " + _FILLER + _ABSENCE,
        ),
        (
            "future absence",
            r"\b(?:i|ill|i will|im|i am)? ?(?:wont|will not|might not|may not|not going to|"
            r"probably wont|dont think ill) be (?:around|here|alive)\b(?: \w+){0,2} "
            r"(?:by|much longer|for (?:much|very) long|long|to see|any ?more|this time next|"
            r"next (?:year|month|spring|summer|winter|autumn|fall|christmas|birthday)|"
            r"when|after)\b",
        ),
        (
            "burden or better off without me",
            r"\b(?:everyone|everybody|they|people|my \w+|the world|it|things|life) (?:would|will|d)"
            r" (?:all )?be (?:so |much |a lot )?(?:better|happier|easier|simpler|lighter)"
            r"(?: off)?(?: for (?:everyone|everybody|them|all of them|my \w+))?"
            r"(?: if i (?:\w+ ){0,3}(?:wasnt|werent|was not|were not|didnt exist|died|was gone|"
            r"were gone|disappeared|left for good|never woke up|stopped existing|stopped living|"
            r"didnt wake up)| without me)\b",
        ),
        (
            "burden or better off without me",
            r"\b(?:im|i am|ive become|i feel like im|i feel like|i feel) (?:\w+ )?"
            r"(?:a |such a |nothing but a |just a |only a )?(?:burden|weight|drain) (?:to|on|for)"
            r" (?:everyone|everybody|them|my \w+|people|the people)\b",
        ),
        (
            "saying goodbye",
            r"\b(?:writ(?:e|ing|ten)|wrote|leav(?:e|ing)|left|prepar(?:e|ed|ing)|record(?:ed|ing)?)"
            r" (?:\w+ ){0,3}(?:letters?|notes?|messages?|cards?|videos?)\b(?: \w+){0,6}"
            r" (?:goodbye|farewell|for (?:after|when) im gone|in case (?:something|anything) "
            r"happens to me|to (?:read|open|watch|have) (?:after|when)|(?:after|when|once) im "
            r"(?:gone|dead|not here))",
        ),
        ("saying goodbye", r"\b(?:goodbye|farewell) (?:letters?|notes?|messages?|videos?)\b"),
        (
            "self-harm",
            r"\b(?:i|ive|im|i have|i am|i was|started|been|back to|went back to|relapsed and)"
            r" (?:\w+ )?(?:cutting|burning|scratching|hurting|harming|hitting)(?: myself)? again\b",
        ),
        (
            "self-harm",
            r"\b(?:urge|urges|want|wanted|need|needed) to (?:cut|burn|hurt|harm) (?:again|myself)\b"
            r"|\b(?:urges?|need|itch) to (?:cut|burn|self harm) (?:is|are|has|have|keeps?) "
            r"(?:back|coming back|returned|getting stronger)\b",
        ),
        (
            "method or plan",
            r"\b(?:hope|hoping|wish|wishing|pray|praying)(?: that)? (?:a|the|some) (?:\w+ )?"
            r"(?:car|bus|train|truck|lorry|plane|van) (?:would |will |just )?(?:hits?|crash(?:es)?"
            r"|kills?|runs? (?:me )?over)(?: me)?\b",
        ),
        (
            "method or plan",
            r"\b(?:rope|gun|pills|blades?|razors?|noose|poison)\b.{0,60}\b(?:thought|thinking|"
            r"think) (?:about|of) (?:what id do|using|how|what i could do)",
        ),
        (
            "method or plan",
            _SELF + r" " + _FILLER + r"(?:step(?:ping|ped)?|jump(?:ing|ed)?|throw(?:ing)? myself"
            r"|walk(?:ing|ed)?|lie down|lying down|fall(?:ing)?|drive|driving|swerv(?:e|ing)) "
            r"(?:out )?(?:in front of|under|into|off) (?:a |the |an |some )?(?:\w+ )?"
            r"(?:train|bus|lorry|truck|car|traffic|tube|subway|tram|bridge|roof|building|ledge|"
            r"cliff|platform|balcony|overpass|river|sea)\b",
        ),
        (
            "method or plan",
            r"\b(?:bought|got|have|kept|keeping|saved|saving|hidden|hiding) (?:a |some |the |my )?"
            r"(?:rope|gun|razor blades?|blades|pills|tablets|painkillers|charcoal|poison)\b"
            r"(?: \w+){0,4} (?:for (?:when|if|the day)|just in case|for myself|to use on myself|"
            r"for the end|ready)\b",
        ),
    )
)

_UNCERTAIN_FRAMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        (
            "wish to disappear",
            r"\b(?:want|wish i could|wish i can|would love) (?:to )?(?:just )?(?:disappear|vanish"
            r"|not exist|stop existing)\b(?! for (?:a|the|one|two|three|\w+ (?:days?|weeks?)))",
        ),
        (
            "burden or better off without me",
            r"\b(?:it|things|everything|life) (?:would|will|d|might) (?:all )?be "
            r"(?:so |much |a lot )?(?:easier|simpler|better|lighter) for "
            r"(?:everyone|everybody|them|all of them|"
            r"my (?:family|kids|parents|partner|wife|husband))\s*(?:[.,;!?]|$)",
        ),
        (
            "thoughts of death",
            r"\b(?:think|thinking|thought) (?:a lot |so much |constantly |all the time )?"
            r"(?:about|of) (?:death|dying|being dead|my (?:own )?death)\b",
        ),
        (
            "giving things away",
            r"\bgiv(?:e|ing|en|e) away (?:\w+ ){0,2}(?:my|all my|most of my) (?:\w+ ){0,2}"
            r"(?:things|stuff|belongings|possessions|books|clothes|guitars?|records|jewell?ery|"
            r"tools|plants|pets?|cat|dog|savings|collection)\b",
        ),
        (
            "saying goodbye",
            r"\bsa(?:y|ying|id) (?:my )?goodbyes? to (?:everyone|everybody|people)\b",
        ),
        (
            "hopelessness",
            r"\b(?:dont|wont|do not|will not) have to (?:do this|go on|wake up|exist|feel this|"
            r"deal with (?:it|anything)) any ?more\b",
        ),
        (
            "hopelessness",
            r"\b(?:whats|what is) the point(?: any ?more)?\s*(?:[.?!]|$)|\btired of (?:everything|"
            r"it all|fighting|trying|being me)\b|\b(?:cant|cannot) (?:do|take) (?:this|it) "
            r"(?:any ?more|much longer)\b",
        ),
    )
)

_FICTION = re.compile(
    r"\b(?:novel|story|stories|character|characters|protagonist|heroine|hero|villain|film|"
    r"movie|book|play|script|screenplay|scene|episode|series|game|song|lyrics|poem|fiction|"
    r"chapter|plot)\b"
)
_FIRST_PERSON_RISK = re.compile(r"\b(?:myself|my (?:own )?life|i (?:want|wish|will|am going))\b")
_DISTANT_PAST = re.compile(
    r"\b(?:(?:(?:\w+|\d+) )?(?:years|decades) ago|a (?:long time|decade|lifetime) ago|"
    r"(?:at|aged) (?:age )?(?:\d+|\w*teen|twenty\w*|thirty\w*)\b|"
    r"when i was (?:a |in |at |\d+|young|younger|little|\w*teen\b|twenty|thirty|forty|"
    r"(?:\w+ )?teen)|as a (?:teen|teenager|kid|"
    r"student)|in my (?:teens|twenties|thirties|late|early)|back in (?:19|20)\d\d|"
    r"back in (?:school|college|university|my)|at (?:university|college|uni|school)|"
    r"in (?:high|secondary) school)\b"
)
_RESOLVED = re.compile(
    r"\b(?:got (?:proper |real |good |the |some )?(?:help|better|through it|support|treatment)|"
    r"(?:today|now|these days) im (?:\w+ )?(?:\w+ and )?(?:happy|well|fine|good|okay|ok|stable|"
    r"thriving|better)|recovered|recovery|(?:im|i am) (?:doing )?"
    r"(?:well|fine|okay|ok|good|better|happy|in a (?:good|better|much better) place) (?:now|these"
    r" days|today)|(?:in|into) a (?:good|better|much better|really good) place|(?:its|thats|that"
    r" is|it is) (?:behind me|in the past|over now)|(?:havent|have not|never) (?:felt|done|"
    r"thought|been) (?:like )?(?:that|it) (?:since|again)|since then|grateful|thankful|"
    r"\w+ years? (?:clean|free|sober)|(?:sober|clean|free) (?:for|since)|proud of (?:that|it|"
    r"myself)|(?:therapy|treatment|medication|counsell?ing|support|"
    r"it|that) (?:really )?helped|been (?:well|fine|good|okay|ok|stable|better|healthy) "
    r"(?:for|since|ever since)|doing (?:well|fine|great|better) now|"
    r"(?:im|i am) (?:\w+ )?doing (?:really |very |so )?(?:well|fine|great|better)|"
    r"how far (?:ive|i have) come|(?:its|thats|that is|it is) (?:long|well|far) behind me)\b"
)
_RECURRING = re.compile(
    r"\b(?:again|lately|these days|recently|tonight|this week|right now|at the moment|"
    r"still (?:want|think|feel like|have (?:the|those))|keep (?:thinking|wanting)|coming back)\b"
)
_BENIGN_PARTING = re.compile(
    r"\b(?:mov(?:e|ing|ed) (?:house|home|abroad|out|away|to)|relocat\w+|emigrat\w+|declutter\w*|"
    r"downsiz\w+|minimalis\w+|spring clean\w*|charity shop|thrift|too much stuff|new job|"
    r"leaving (?:the|my) (?:company|job|team|school|firm)|retir\w+|farewell (?:party|drinks|"
    r"lunch)|(?:leaving|going away|goodbye) (?:drinks|do|party|lunch|dinner|card)|"
    r"holiday|vacation|trip|travel\w*|sabbatical|conference|deploy\w+|semester abroad|"
    r"gap year|outgrown|the kids have|grew out|birthdays?|graduat\w+|wedding|"
    r"when (?:theyre|they are|hes|shes|he is|she is|youre|you are) (?:grown|older|adults?|"
    r"eighteen|\w+teen))\b"
)
_GOODBYE_LABELS = frozenset({"saying goodbye", "giving things away", "future absence"})
_DISAPPEAR_LABELS = frozenset({"wish not to wake up or to disappear", "wish to disappear"})
_GETAWAY = re.compile(
    r"\b(?:disappear|vanish|get away|escape) (?:for|to|into) (?:a |the |one |two |an |\w+ )?"
    r"(?:weekend|week|while|few days|day|bit|month|holiday|cabin|beach|island|mountains|"
    r"retreat|hut|desert|road trip)"
    r"|\b(?:disappear|vanish|escape|get lost) into (?:a |the |my )?(?:good |new )?(?:book|novel|"
    r"film|"
    r"game|garden|work|music|nature|woods|forest|mountains|hills|countryside|crowd|project)"
    r"|\b(?:disappear|vanish)\b.{0,40}\b(?:this|for the|next) (?:weekend|week|summer|holiday)"
    r"|\b(?:disappear|hide|vanish) under (?:a |the |my )?(?:duvet|covers|blankets?|quilt)"
)


_NEGATED_WISH = re.compile(
    r"\b(?:never|dont|do not|wouldnt|would not|not|no|didnt|did not) (?:\w+ )?(?:want|wish|hope|"
    r"plan|going|ready|think)"
)


def frame_cues(sentence: str) -> tuple[list[str], list[str]]:
    """Labels of the crisis frames and of the uncertain frames that match one sentence.

    A wish frame whose wish is negated ("I'd never want to not be around for my kids") does
    not count: the lexicon still catches "I don't want to wake up" and its kin.
    """
    crisis = []
    for label, pattern in _CRISIS_FRAMES:
        match = pattern.search(sentence)
        if match is None:
            continue
        if label == "wish, plan or intent to be gone" and _NEGATED_WISH.search(match.group(0)):
            continue
        crisis.append(label)
    uncertain = [label for label, pattern in _UNCERTAIN_FRAMES if pattern.search(sentence)]
    return crisis, uncertain


def is_fiction(sentence: str) -> bool:
    """A sentence about a story or a character that holds no first-person risk wording."""
    return bool(_FICTION.search(sentence)) and not _FIRST_PERSON_RISK.search(sentence)


def past_weight(sentence: str, answer: str) -> Level | None:
    """How a distant past episode weighs: none when resolved, uncertain when not.

    None when the sentence holds no distant past marker, or when the answer says the
    feeling is back or current: then the sentence keeps its own verdict.
    """
    if not _DISTANT_PAST.search(sentence) or _RECURRING.search(answer):
        return None
    return "none" if _RESOLVED.search(answer) else "uncertain"


def benign_parting(labels: list[str], answer: str) -> bool:
    """Goodbyes, absence or giving things away explained by a move, a trip or tidying up."""
    if not labels:
        return False
    if set(labels) <= _DISAPPEAR_LABELS:
        return bool(_GETAWAY.search(answer))
    return set(labels) <= _GOODBYE_LABELS and bool(_BENIGN_PARTING.search(answer))
