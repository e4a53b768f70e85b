"""Crisis detection in answers and safety checks on generated questions (pure, rule-based).

Three jobs, no I/O:

* :func:`detect_crisis` reads an *answer* and says whether the interview must pause. It is a
  rule layer, separate from any model, run on every answer before the next question is planned.
* :func:`check_question` reads a *question* (from the bank or from a model) and lists what is
  wrong with it: not a question, several questions, a forbidden topic, a repeat, too long,
  leading, or closed.
* :func:`special_categories` / :func:`sensitivity_of` tag text that touches health, religion,
  politics, sexuality, ethnicity, union membership, criminal records or family details, and
  :func:`looks_like_instruction` spots answer text that tries to instruct the system. The
  question bank and the rule-based extractor share them.

Crisis negation policy
----------------------
Cues come in two strengths.

* **Explicit** cues (suicidal ideation, plans or preparation, means, attempts, self-harm, danger
  or abuse happening now) trigger *even when negated*: "I'm not suicidal, just tired" and "I would
  never kill myself" pause the interview. People often minimise; a gentle check-in with resources
  costs little, and the person can resume with one click.
* **Indirect** cues (hopelessness, "better off without me", "no reason to go on", being a burden)
  and threats of harm to *others* are suppressed when a negation directly precedes them in the
  same clause ("I don't feel hopeless", "I'd never want to hurt them"). Hedges such as "not that"
  and "not saying" do not count as negations.

Figures of speech are excluded by construction: "this deadline is killing me", "I could kill for a
coffee", "my sister will kill me", "I'm dying to travel", "I want to die happy", "we jumped off the
bridge as kids", "I cut myself shaving". Grief and sadness ("my grandmother died last year and I
still miss her") contain no cue at all. A mention of someone else's suicide ("my uncle died by
suicide") is not treated as a crisis of the speaker's; a request for heights or lethal means
counts only after a sign of distress ("I lost my job; which bridges are tallest?"), except the
lethal-specific ones ("lethal dose", "painless way to die") which always count.

``server/eval/data/crisis_battery.json`` holds the phrasings the offline evaluation checks
(recall must be 100 %, false positives at most 10 %); see ``docs/quality.md``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Literal

from server.persona.draft import Sensitivity


def _words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(text.split())


QuestionProblemKind = Literal[
    "empty",
    "not_a_question",
    "multiple_questions",
    "forbidden_topic",
    "duplicate",
    "too_long",
    "leading",
    "closed",
]

MAX_QUESTION_LENGTH = 350
DUPLICATE_SIMILARITY = 0.8


@dataclasses.dataclass(frozen=True)
class CrisisAssessment:
    """``crisis`` says whether to pause; ``cues`` names the kinds of cue found, in order."""

    crisis: bool
    cues: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class QuestionProblem:
    kind: QuestionProblemKind
    detail: str


CRISIS_MESSAGE = (
    "Thank you for telling me. What you just shared matters more than this interview, "
    "so I'm pausing it here.\n"
    "Are you safe right now?\n"
    "If you are in the US, you can call or text 988 (Suicide & Crisis Lifeline) at any hour, "
    "or text HOME to 741741 (Crisis Text Line). Anywhere else, findahelpline.com lists free, "
    "confidential lines in your country. If you or someone else is in immediate danger, call "
    "your local emergency number (911 in the US, 112 in most of Europe).\n"
    "Please reach out to one of them, or to someone you trust nearby, now. A trained person can "
    "listen and help in a way this profile interview cannot.\n"
    "The interview is paused, and nothing from this part of our conversation will be used in "
    "your profile. You can continue another time, only if and when you choose to."
)


# --------------------------------------------------------------------------------------------
# Crisis detection
# --------------------------------------------------------------------------------------------


def _normalize_answer(text: str) -> str:
    """Lower-case, straight apostrophes dropped ("i'm" -> "im"), hyphens to spaces."""
    lowered = text.lower()
    lowered = lowered.translate(
        {
            ord("\u2019"): "'",
            ord("\u2018"): "'",
            ord("`"): "'",
            ord("\u2013"): " ",
            ord("\u2014"): " ",
            ord("-"): " ",
        }
    )
    lowered = lowered.replace("'", "")
    return re.sub(r"\s+", " ", lowered).strip()


_I_AM = r"(?:im|i am|i m)"
_PILLS = r"(?:pills|meds|medication|medications|tablets|sleeping pills|painkillers)"
_PEOPLE = (
    r"(?:him|her|them|someone|somebody|anyone|anybody|people|everyone|everybody|"
    r"my (?:boss|ex|wife|husband|partner|father|dad|mother|mom|mum|brother|sister|son|daughter|"
    r"neighbou?r|coworker|co worker|colleague|roommate|teacher|family|kids?|children|friend|"
    r"manager|stepdad|stepfather|stepmom|stepmother|boyfriend|girlfriend)|"
    r"(?:the|that|this) (?:guy|man|woman|person|kid|teacher|boss|neighbou?r))"
)
_ABUSER = (
    r"(?:he|she|they|my (?:husband|wife|partner|boyfriend|girlfriend|ex|dad|father|mom|mum|"
    r"mother|stepdad|stepfather|stepmom|stepmother|brother|sister|uncle|aunt|parents?|roommate|"
    r"boss|caregiver|carer|son|daughter))"
)
_SLACK = r"(?! (?:some )?slack| off\b| a (?:slice|piece|break)| short| out of)"

# (cue label, pattern) for explicit cues: negation never suppresses them.
_EXPLICIT: tuple[tuple[str, str], ...] = (
    # Suicidal ideation or intent.
    (
        "suicidal ideation",
        r"\b(?:kill|killing|hang|hanging|shoot|shooting|off|offing) (?:myself|my self)\b"
        r"(?! in the foot| laughing| at (?:work|the gym|the office)| over\b"
        r"| to (?:finish|meet|get|make|keep|pay|please))",
    ),
    ("suicidal ideation", r"\bdrown(?:ing)? myself\b(?! in\b)"),
    ("suicidal ideation", r"\bsuicidal\b"),
    ("suicidal ideation", r"\bunalive (?:myself|me)\b"),
    (
        "suicidal ideation",
        r"\b(?:commit(?:ting)?|consider(?:ed|ing)?|contemplat\w+|think(?:ing)? (?:about|of)|"
        r"thought (?:about|of)) suicide\b(?! prevention| awareness| hotline| rates?| research)",
    ),
    ("suicidal ideation", r"\b(?:end|ending|take|taking) my (?:own )?life\b"),
    ("suicidal ideation", r"\b(?:end|ending) it all\b"),
    (
        "suicidal ideation",
        r"\b(?:want|wanna|going|gonna|plan(?:ning)?|ready|decided|about) (?:to )?end it\b"
        r"(?! with\b| off\b| between\b)",
    ),
    (
        "suicidal ideation",
        r"\b(?:thinking|thought) (?:about|of) ending it\b(?! with\b| off\b| between\b)",
    ),
    (
        "suicidal ideation",
        r"\b(?:want|wanted|wanna|wish|wishing|ready|going|gonna) (?:to )?die\b"
        r"(?! of\b| from\b| laughing| happy| old| peacefully| in my sleep| doing| with\b"
        r"| knowing| having| without regret| a hero| on (?:a|that) hill)",
    ),
    (
        "suicidal ideation",
        r"\bwish (?:i|id) (?:could )?(?:die|(?:was|were|had) (?:dead|never been born)|"
        r"wasnt (?:alive|born|here)|(?:was|were) never born|could just die)\b",
    ),
    ("suicidal ideation", r"\bbetter off dead\b"),
    (
        "suicidal ideation",
        r"\b(?:dont|do not|no longer|dont really|do not really) want to "
        r"(?:be alive|exist|live any ?more|live like this|keep living|be here any ?more)\b",
    ),
    ("suicidal ideation", r"\b(?:tired|sick) of (?:living|being alive|existing)\b"),
    # Plans and preparation.
    (
        "suicide plan or preparation",
        r"\b(?:have|made|making|got) a plan to (?:kill|end|hurt|take|die)\b",
    ),
    (
        "suicide plan or preparation",
        r"\b(?:plan|planning|plans) (?:to|on) (?:kill(?:ing)?|end(?:ing)?|tak(?:e|ing)) "
        r"(?:myself|my (?:own )?life|it all)\b",
    ),
    ("suicide plan or preparation", r"\bsuicide (?:note|plan|letter)s?\b"),
    ("suicide plan or preparation", r"\bgoodbye (?:letters?|notes?)\b"),
    # Means.
    (
        "means",
        r"\b(?:stockpil\w+|hoard\w+|saving up|collecting|hiding) (?:my |all my |all of my |the )?"
        + _PILLS
        + r"\b",
    ),
    (
        "means",
        r"\b(?:take|took|taking|swallow|swallowed|swallowing) (?:all|a (?:whole )?bunch of|"
        r"a handful of|the whole bottle of|a bottle of|every one of) (?:of )?(?:my |the |those |"
        r"these )?" + _PILLS + r"\b",
    ),
    ("means", r"\blethal (?:dose|amount|quantity)\b"),
    (
        "means",
        r"\b(?:painless|quick|quickest|easiest|fastest|best|surest) (?:way|ways|method|methods) "
        r"to (?:die|kill myself|end (?:it|my life))\b",
    ),
    (
        "means",
        r"\bhow (?:many|much) (?:\w+ ){0,3}" + _PILLS + r"\b.{0,40}"
        r"(?:kill|die|fatal|lethal|overdose|(?:not|never) wake up|end it)",
    ),
    (
        "means",
        r"\b(?:bought|got|have) (?:a )?(?:gun|rope|noose)\b.{0,30}"
        r"\b(?:myself|to end it|to die|end my life)\b",
    ),
    (
        "means",
        r"\b(?:want|going|gonna|plan(?:ning)?|thinking (?:about|of)|about) (?:to )?"
        r"(?:jump|jumping) (?:off|from) (?:a|the|that|this) "
        r"(?:bridge|building|roof|cliff|tower|balcony|overpass)",
    ),
    ("means", r"\bjump in front of (?:a|the) (?:train|bus|truck|car)\b"),
    # Attempts and overdoses.
    (
        "suicide attempt",
        r"\b(?:tried|try|trying|attempted|attempt) to (?:kill|hang|shoot|drown|hurt) myself\b",
    ),
    ("suicide attempt", r"\b(?:tried|attempted) (?:to )?(?:end|take) my (?:own )?life\b"),
    ("suicide attempt", r"\b(?:attempted|attempting|attempt) suicide\b"),
    ("suicide attempt", r"\b(?:my|a|i made a|survived a) suicide attempts?\b"),
    (
        "suicide attempt",
        r"\b(?:i|ive|i have|i had|im|i am|id|took an?|going to|gonna|want to|thinking (?:about|of)|"
        r"planning (?:to|an?))\s+(?:\w+\s+)?overdos\w*"
        r"(?! on (?:coffee|caffeine|sugar|chocolate|candy|netflix|tv|television|work|cuteness))",
    ),
    # Self-harm.
    ("self-harm", r"\bself ?harm\w*\b"),
    (
        "self-harm",
        r"\b(?:cutting|burning|starving|harming|hurting|punishing) myself\b" + _SLACK,
    ),
    (
        "self-harm",
        r"\b(?:cut|burned|burnt|hurt|harmed|hit|punished) myself "
        r"(?:again|on purpose|deliberately|intentionally)\b",
    ),
    (
        "self-harm",
        r"\b(?:cut|burn|hurt|harm|punish) myself (?:to (?:feel|cope|calm|numb|punish|stop))",
    ),
    (
        "self-harm",
        r"\b(?:want|wanted|urge|urges|need|going|gonna|tempted|thinking (?:about|of)) (?:to )?"
        r"(?:cut|hurt|harm|burn|punish) myself\b" + _SLACK,
    ),
    # Danger or abuse happening now.
    (
        "danger or abuse now",
        _ABUSER + r" (?:hits|beats|kicks|chokes|strangles|slaps|punches|abuses|threatens|rapes|"
        r"hurts) me\b",
    ),
    (
        "danger or abuse now",
        _ABUSER + r" (?:is|keeps|has been|started|is always|keeps on) (?:hitting|beating|kicking|"
        r"choking|hurting|abusing|threatening|strangling|slapping|punching) me\b",
    ),
    (
        "danger or abuse now",
        r"\b" + _I_AM + r" (?:being|getting) (?:abused|hit|beaten|hurt|threatened|stalked|"
        r"raped|assaulted|molested)\b",
    ),
    (
        "danger or abuse now",
        r"\bthreaten(?:ed|s|ing)? to (?:kill|hurt|shoot|stab|beat) (?:me|us)\b",
    ),
    (
        "danger or abuse now",
        r"\b(?:dont|do not|no longer|never) feel safe (?:at home|at school|at work|"
        r"in my (?:own )?(?:home|house)|with (?:him|her|them|my)|around (?:him|her|them)|"
        r"right now|any ?more)\b",
    ),
    (
        "danger or abuse now",
        r"\b" + _I_AM + r" (?:not safe|unsafe|in danger)\b"
        r"(?! of (?:missing|losing|failing|being late|burning out|falling behind))",
    ),
    (
        "danger or abuse now",
        r"\b(?:afraid|scared|terrified|fear) (?:for my (?:life|safety)|(?:that )?(?:he|she|they)"
        r"(?:ll| will| is going to| are going to| might) (?:kill|hurt|hit|beat) me)\b",
    ),
    (
        "danger or abuse now",
        r"\b(?:sexually )?abusing me\b|\bmolest\w*\b|\btouch(?:es|ed|ing) me inappropriately\b",
    ),
    ("danger or abuse now", r"\b(?:wont|will not|doesnt|does not) let me leave\b"),
    ("danger or abuse now", r"\block(?:s|ed) me (?:in|up)\b"),
    (
        "danger or abuse now",
        r"\b(?:kill|hurt|beat|hit) (?:me|us) if i (?:ever )?(?:leave|left|try to leave|"
        r"tell (?:anyone|anybody|someone|the police)|go to the police|call the police)\b",
    ),
    # Added for the evaluation battery (server/eval/data/crisis_battery.json).
    ("suicidal ideation", r"\bpart of me (?:wants|wanted) to (?:die|be dead|end it)\b"),
    (
        "suicide plan or preparation",
        r"\b(?:plan|plans|planning|planned|preparing|prepare|researching) (?:for )?my (?:own )?"
        r"(?:suicide|death)\b",
    ),
    (
        "means",
        r"\b(?:took|taken|swallowed|take|taking|swallow) (?:\d{2,}|ten|eleven|twelve|fifteen|"
        r"twenty|thirty|forty|fifty|a hundred|dozens of|too many|so many|a bottle of|the bottle "
        r"of) (?:of )?(?:my |the |those |these )?(?:sleeping )?" + _PILLS + r"\b",
    ),
    (
        "means",
        r"\b" + _PILLS + r"\b.{0,60}\b(?:take|taking|swallow|swallowing) (?:them all|"
        r"all of them)\b",
    ),
    ("means", r"\bnoose\b"),
    (
        "means",
        r"\b(?:the|a|my) rope (?:is )?(?:ready|tied|hanging|hung up)\b"
        r"(?! for (?:the |a )?(?:climb|boat|tent|swing|camp|hike))",
    ),
    (
        "means",
        r"\b(?:thinking (?:about|of)|think about|want to|wanna|going to|gonna|tempted to|urge to)"
        r" (?:just )?(?:driving|drive|crashing|crash|steering|steer) (?:my car |the car |myself )?"
        r"(?:into|off) (?:a |the )?(?:wall|tree|bridge|cliff|lorry|truck|oncoming traffic|river|"
        r"barrier|pillar)\b",
    ),
    ("self-harm", r"\bcut(?:ting)? (?:my|both my) wrists?\b"),
    (
        "self-harm",
        r"\b(?:cut|cutting|burned|burnt|burning|scratched|scratching) (?:my|into my) "
        r"(?:arms?|legs?|thighs?|skin|stomach)\b.{0,40}\b(?:to feel|on purpose|deliberately|"
        r"again|to cope|to punish|to calm|to numb|so i (?:could|can) feel)",
    ),
)

# Indirect cues and threats to others: a directly preceding negation suppresses them.
_NEGATABLE: tuple[tuple[str, str], ...] = (
    (
        "harm to others",
        r"\b(?:want|wanna|going|gonna|plan(?:ning)?|intend(?:ing)?|ready|about|urge|urges|"
        r"thinking (?:about|of)(?: how)?) (?:to |on )?(?:kill(?:ing)?|stab(?:bing)?|shoot(?:ing)?|"
        r"murder(?:ing)?|strangl\w+|poison(?:ing)?|beat(?:ing)? up|attack(?:ing)?) "
        + _PEOPLE
        + r"(?! with kindness)\b",
    ),
    (
        "harm to others",
        r"\b(?:want|wanna|going|gonna|plan(?:ning)?|urge|urges) (?:to )?hurt "
        r"(?:someone|somebody|people|everyone|everybody)\b",
    ),
    (
        "harm to others",
        r"\b(?:bring|bringing|take|taking) a (?:gun|knife|weapon) to "
        r"(?:work|school|the office|class)\b",
    ),
    ("harm to others", r"\bshoot up (?:the|my|a) (?:school|office|workplace|place)\b"),
    (
        "hopelessness",
        r"\b(?:feel|feeling|" + _I_AM + r"|so|completely|totally|utterly|everything (?:is|feels|"
        r"seems)|life (?:is|feels|seems)|its all) (?:(?!not\b|never\b|no\b)\w+ )?hopeless\b"
        r"(?! at\b| with\b| romantic| case| cook| when it comes)",
    ),
    ("hopelessness", r"\bhopelessness\b"),
    (
        "hopelessness",
        r"\b(?:lost|losing|no|without) (?:all |any )?hope\b(?! of\b| for\b| that\b| in (?:the|my))",
    ),
    (
        "hopelessness",
        r"\bno (?:way out|future for me|point (?:in )?(?:living|going on|trying any ?more|"
        r"anything any ?more|being alive|life|waking up))\b",
    ),
    (
        "hopelessness",
        r"\b(?:whats|what is) the point (?:of|in) (?:living|life|going on|being alive|anything|"
        r"it all|trying any ?more|even trying|waking up)\b",
    ),
    ("hopelessness", r"\bnothing (?:left )?to live for\b"),
    (
        "hopelessness",
        r"\b(?:dont|do not|cant|cannot|can not) see (?:the|any) point (?:in|of) (?:going on|"
        r"living|life|carrying on|being alive|anything any ?more|trying any ?more|waking up)\b",
    ),
    ("hopelessness", r"\b(?:dont|do not|cant|cannot|can not) see (?:a|any) way out\b"),
    ("hopelessness", r"\bgiv(?:e|ing|en) up on (?:life|living|everything|myself)\b"),
    (
        "hopelessness",
        r"\bno reasons? (?:left )?to (?:go on|live|keep going|keep living|be alive|get up|"
        r"stay|be here|continue)\b",
    ),
    (
        "hopelessness",
        r"\blife (?:is|feels|seems) (?:so |completely |totally )?(?:pointless|meaningless|"
        r"worthless|not worth (?:living|it))\b",
    ),
    ("hopelessness", r"\bnot worth living\b|\blife isnt worth (?:it|living)\b"),
    (
        "hopelessness",
        r"\b(?:cant|cannot|can not) (?:go on|keep going|carry on|do this|take it|take this|"
        r"bear it|cope|live like this) (?:like this|any ?more|any longer|much longer)\b",
    ),
    (
        "hopelessness",
        r"\b(?:just )?want (?:it all|the pain|everything|it) to (?:stop|end) "
        r"(?:forever|for good|permanently)\b|\bwant the pain to (?:stop|end)\b",
    ),
    (
        "burden or better off without me",
        r"\b(?:"
        + _I_AM
        + r"|i feel like|feel like|i feel) (?:(?!not\b|never\b)\w+ )?(?:a|such a|just a|"
        r"nothing but "
        r"a) burden\b",
    ),
    ("burden or better off without me", r"\bbetter off without me\b"),
    (
        "burden or better off without me",
        r"\b(?:be|is|are|would be) (?:so |so much |much |a lot )?(?:easier|happier|simpler)"
        r"(?: off)? without me\b",
    ),
    (
        "burden or better off without me",
        r"\b(?:better|easier|happier|simpler)(?: off)?(?: for (?:everyone|everybody|them|"
        r"my \w+))? if i (?:just |simply )?(?:wasnt|werent|was not|were not) (?:here|around|"
        r"alive)\b",
    ),
    (
        "burden or better off without me",
        r"\bif i (?:disappeared|died|vanished|was gone|were gone|wasnt here)\b.{0,30}"
        r"\b(?:nobody|no one|noone) would (?:even )?(?:notice|care|miss me)\b",
    ),
    (
        "burden or better off without me",
        r"\bbe (?:better|happier) (?:off )?if i (?:was|were|wasnt|werent) "
        r"(?:gone|dead|here|around|alive|never born)\b",
    ),
    (
        "burden or better off without me",
        r"\b(?:nobody|no one|noone) would (?:even )?(?:notice|care|miss me) if i "
        r"(?:died|disappeared|was gone|were gone|wasnt here|vanished)\b",
    ),
    (
        "wish not to wake up or to disappear",
        r"\b(?:go to sleep|fall asleep|sleep) and (?:never|not) wake up\b",
    ),
    ("wish not to wake up or to disappear", r"\b(?:dont|do not) want to wake up\b"),
    (
        "wish not to wake up or to disappear",
        r"\bwish i (?:could|would) (?:just )?(?:disappear|vanish|not wake up|never wake up|"
        r"stop existing)\b",
    ),
    (
        "wish not to wake up or to disappear",
        r"\bdisappear (?:forever|for good|and never come back)\b",
    ),
    (
        "saying goodbye",
        r"\b(?:letters?|notes?) to (?:everyone|everybody|my (?:family|kids|children|parents|"
        r"loved ones|friends)) (?:to say|saying) goodbye\b",
    ),
    (
        "saying goodbye",
        r"\bwont be (?:around|here) (?:much longer|for (?:much|very) long|any ?more|by next)\b",
    ),
    (
        "saying goodbye",
        r"\b(?:saying|said|say) (?:my )?goodbyes? (?:to everyone|for good|forever)\b",
    ),
    (
        "saying goodbye",
        r"\bgiv(?:e|ing|en) away (?:all )?(?:of )?my (?:things|stuff|belongings|possessions)\b",
    ),
)

_DISTRESS = re.compile(
    r"\b(?:lost my (?:job|house|home|partner|wife|husband|kids|everything|apartment)|"
    r"got (?:fired|laid off|dumped|evicted)|been (?:fired|laid off|dumped|evicted)|"
    r"(?:was|were) (?:fired|laid off|dumped|evicted)|left me|broke up|divorce\w*|hopeless|"
    r"desperate|cant cope|cant take|falling apart|fell apart|worst (?:day|week|month|year) of my|"
    r"(?:so|completely|totally|all) alone|no one cares|nobody cares|worthless|empty inside|numb|"
    r"ruined|lost everything|failed at everything|overwhelmed|devastated|miserable|depressed|"
    r"cant do this|give up|giving up|gave up)\b"
)
_MEANS_REQUEST = re.compile(
    r"\b(?:which|what|where|wheres|list|tell me|name)\b.{0,40}\b(?:bridges?|buildings?|rooftops?|"
    r"roofs?|cliffs?|towers?|train tracks|railway|overpass(?:es)?)\b"
    r"|\b(?:tallest|highest) (?:bridges?|buildings?|roofs?|cliffs?|towers?|points?|places?)\b"
    r"|\bbridges? (?:taller|higher) than\b"
    r"|\bhow (?:high|far|tall) (?:\w+ ){0,4}(?:to )?(?:fall|jump|survive)\b"
    r"|\b(?:where|how) (?:can|could|do|would) i (?:buy|get|find) (?:a |some )?"
    r"(?:gun|firearm|rope|pills|poison)\b"
    r"|\bhow (?:many|much) (?:\w+ ){0,3}" + _PILLS + r"\b"
)

_EXPLICIT_RE = tuple((label, re.compile(pattern)) for label, pattern in _EXPLICIT)
_NEGATABLE_RE = tuple((label, re.compile(pattern)) for label, pattern in _NEGATABLE)

_NEGATIONS = _words(
    """
    not never dont doesnt didnt isnt arent wasnt werent wouldnt wont no hardly nor neither
    """
)
_HEDGES = frozenset({"that", "saying", "sure", "like", "say", "only", "just"})
_CLAUSE_BREAK = re.compile(r"[.!?;,:]| but | though | although ")


def _negated(text: str, start: int) -> bool:
    """True when one of the four words before ``start`` (same clause) is a plain negation."""
    before = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    words = re.findall(r"[a-z]+", before)[-4:]
    for index, word in enumerate(words):
        if word in _NEGATIONS:
            following = words[index + 1] if index + 1 < len(words) else ""
            if following in _HEDGES:
                continue
            return True
    return False


def detect_crisis(text: str) -> CrisisAssessment:
    """Rule-based crisis screen of one answer; see the module docstring for the policy."""
    normalized = _normalize_answer(text)
    if not normalized:
        return CrisisAssessment(False)
    cues: list[str] = []
    for label, pattern in _EXPLICIT_RE:
        if pattern.search(normalized):
            cues.append(label)
    for label, pattern in _NEGATABLE_RE:
        for match in pattern.finditer(normalized):
            if not _negated(normalized, match.start()):
                cues.append(label)
                break
    if _MEANS_REQUEST.search(normalized) and _DISTRESS.search(normalized):
        cues.append("distress with a request for means")
    unique = tuple(dict.fromkeys(cues))
    return CrisisAssessment(bool(unique), unique)


# --------------------------------------------------------------------------------------------
# Sensitive content and instructions hidden in answers
# --------------------------------------------------------------------------------------------

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


_ALLOWED_CAPITALS = _words(
    """
    I I'm I've I'd I'll OK January February March April May June July August September
    October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    English Spanish French German Italian Portuguese Japanese Chinese Mandarin Cantonese
    Korean Arabic Hindi Russian Dutch Greek Latin Polish Swedish Norwegian Danish Finnish
    Turkish Python Rust JavaScript TypeScript Java Linux Excel Internet Christmas AI
    PhD MBA MSc BSc MA BA EP LP CV TV UK US USA EU IT HR GP CEO CTO DIY PE
    """
)
_COMMON_STARTERS = _words(
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
    """
)
_NAME_SUFFIXES = ("ing", "ness", "ity", "ment", "tion", "sion", "ism", "ship", "dom")


def name_spans(text: str, sentence_start: bool) -> list[tuple[int, int]]:
    """Spans of words that look like names (people, places, brands): capitalised, not allowed.

    A sentence-initial word counts only when it is not a common sentence starter.
    """
    spans: list[tuple[int, int]] = []
    for index, match in enumerate(re.finditer(r"[A-Za-z][A-Za-z'\-]*", text)):
        word = match.group(0)
        if not word[0].isupper() or word in _ALLOWED_CAPITALS:
            continue
        if index == 0 and sentence_start:
            lowered = word.lower()
            if (
                lowered in _COMMON_STARTERS
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


# --------------------------------------------------------------------------------------------
# Question checks
# --------------------------------------------------------------------------------------------

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_AUXILIARIES = _words(
    """
    do does did are is was were am have has had can could would will should shall may might
    must isn't aren't wasn't weren't don't doesn't didn't won't wouldn't can't couldn't
    shouldn't haven't hasn't hadn't
    """
)
_LEAD_IN_WORDS = _words(
    """
    if when whenever looking thinking in at as since after before given with for over during
    besides apart beyond outside compared right honestly overall now today lately generally
    personally tell
    """
)
_FILLERS = frozenset({"and", "so", "but", "then", "now", "okay", "ok", "well", "also", "or"})
_REQUEST_START = re.compile(
    r"^(?:please\b|tell\b|share\b|give\b|list\b|name\b|describe\b|write\b|provide\b|send\b|"
    r"enter\b|type\b|let me know\b|i'd like to know\b|i would like to know\b|i need\b)",
    re.IGNORECASE,
)

_FORBIDDEN: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(pattern, re.IGNORECASE))
    for topic, pattern in (
        (
            "a legal, full or family name",
            r"\byour (?:full|legal|real|birth|maiden|given|last|family|sur|first and last) ?"
            r"names?\b|\bsurnames?\b|\bmaiden names?\b|\bwhat(?:'s| is) your name\b",
        ),
        (
            "the names of other people",
            r"\bwhat (?:are|were|is|was) (?:the )?names? of\b|\bnames? of your\b"
            r"|\b(?:his|her|their|your \w+'s) (?:full )?name\b",
        ),
        (
            "a government or identity number",
            r"\bsocial security\b|\bssn\b|\bpassports?\b|\bdriver'?s? licen[cs]es?\b"
            r"|\b(?:national|government|state)[- ](?:issued )?(?:id|identity|identification|"
            r"insurance)\b|\b(?:id|identity|identification|tax|insurance|licen[cs]e) numbers?\b"
            r"|\bdate of birth\b|\bbirth ?date\b|\bcitizenship\b",
        ),
        (
            "health conditions, diagnoses or medication",
            r"\bdiagnos\w*|\bmedicat\w*|\bprescri\w*|\bmedicines?\b|\bpills?\b"
            r"|\b(?:health|medical|mental[- ]health|psychiatric) (?:conditions?|issues?|problems?|"
            r"history|records?|status|diagnos\w*|information|details)\b|\billness(?:es)?\b"
            r"|\bdisorders?\b|\bdisabilit\w*|\bsymptoms?\b"
            r"|\b(?:therapist|psychiatrist|psychologist|counsell?or)s?\b|\btherapy\b|\bpregnan\w*"
            r"|\bchronic\b|\bsurger(?:y|ies)\b|\bhospitali[sz]\w*|\baddict\w*"
            r"|\b(?:depression|bipolar|schizophreni\w*|ptsd|ocd|adhd|autis\w*|hiv|std|sti)\b"
            r"|\b(?:dna|genetic\w*|genome|biometric\w*|fingerprints?|blood type)\b",
        ),
        (
            "bank or account details, passwords or exact income",
            r"\b(?:bank|checking|savings|credit|debit)[- ]?(?:account|card|details)s?\b"
            r"|\baccount (?:numbers?|details|logins?|credentials)\b|\bcard (?:numbers?|details)\b"
            r"|\b(?:password|passcode|passphrase|pin code|pin number|credentials|username)s?\b"
            r"|\byour pin\b|\bsecurity (?:code|question)s?\b|\b(?:iban|routing number|sort code|"
            r"cvv|cvc)\b|\b(?:your|exact|annual|monthly) (?:salary|income|net worth|earnings)\b"
            r"|\bhow much (?:money )?do you (?:make|earn|have in)\b",
        ),
        (
            "a home address, contact details or exact location",
            r"\b(?:your|home|street|postal|mailing|email|e-mail|ip|exact|current) address(?:es)?\b"
            r"|\b(?:zip|post|postal) ?codes?\b|\bwhere (?:exactly )?do you (?:currently )?live\b"
            r"|\b(?:which|what) (?:street|neighbou?rhood|city|town|building|apartment) do you live"
            r"|\byour (?:exact |current |precise )?(?:location|whereabouts|coordinates)\b"
            r"|\b(?:your|an?) (?:e-?mail|phone|mobile|cell) (?:address|number)\b"
            r"|\bwhat(?:'s| is) your (?:e-?mail|phone|number)\b|\bphone number\b",
        ),
        (
            "religion or religious beliefs",
            r"\breligio\w*|\b(?:church|mosque|synagogue|temple|worship|prayers?|pray|praying)\b"
            r"|\bgod\b|\b(?:atheis|agnostic)\w*|\byour faith\b|\bspiritual\w*"
            r"|\b(?:christian|muslim|jewish|hindu|buddhist|sikh|catholic|protestant|mormon)s?\b",
        ),
        (
            "political views or votes",
            r"\bpolitic\w*|\bvot(?:e|ed|es|ing|er|ers)\b|\belections?\b|\bwhich party\b"
            r"|\b(?:democrats?|republicans?|labou?r party|tory|tories|left[- ]wing|right[- ]wing)\b"
            r"|\b(?:are you|you're|you are) (?:a )?(?:conservative|liberal|socialist|libertarian|"
            r"progressive)\b",
        ),
        (
            "sexual orientation or sex life",
            r"\bsexual\w*|\bsex\b|\b(?:gay|lesbian|bisexual|queer|homosexual|heterosexual|asexual|"
            r"pansexual|lgbt\w*)\b|\borientation\b|\bgender identity\b"
            r"|\b(?:who|whom) (?:do |are )?you (?:date|dating|sleep with)\b|\battracted to\b"
            r"|\b(?:sex|love|intimate) life\b",
        ),
        (
            "racial or ethnic origin",
            r"\bethnic\w*|\bracial\w*|\b(?:your|what) race\b|\brace or\b|\bskin (?:colou?r|tone)\b"
            r"|\bnationality\b|\bancestr\w*|\bheritage\b|\bimmigra\w*"
            r"|\bwhere are you (?:really |originally )?from\b"
            r"|\bwhat (?:country|countries) (?:are|is|were) (?:you|your (?:family|parents))"
            r"(?: originally)? from\b",
        ),
        (
            "trade-union membership",
            r"\b(?:trade|labou?r|workers'?) unions?\b|\bunion (?:member\w*|dues|rep)\b"
            r"|\b(?:in|join|joined|belong to) (?:a|the) union\b",
        ),
        (
            "a criminal record",
            r"\bcriminal\w*|\barrest\w*|\bconvict\w*|\b(?:prison|jail|incarcerat\w*)\b"
            r"|\bpolice record\b|\bcommit(?:ted)? (?:a )?crimes?\b|\bfelon\w*|\bmisdemeanou?r\w*"
            r"|\b(?:probation|parole)\b|\bbeen charged\b|\bbroken the law\b",
        ),
    )
)

_LEADING = re.compile(
    r"\b(?:don'?t|wouldn'?t|isn'?t|aren'?t|didn'?t|doesn'?t|won'?t) you (?:think|agree|feel|say)\b"
    r"|\bisn'?t it (?:true|fair|obvious|clear)\b|\bsurely\b|\bobviously\b|\bof course you\b"
    r"|\bi bet\b|\bi'?m sure you\b|\byou must (?:have|be|feel|really)\b"
    r"|\bmust have been (?:so |really )?(?:hard|difficult|painful|awful|terrible|amazing|"
    r"wonderful|traumatic|scary)\b|\bagree that\b|,\s*right\s*\?$",
    re.IGNORECASE,
)

_TOKEN = re.compile(r"[a-z0-9]+")
_IGNORED_TOKENS = frozenset({"the", "a", "an", "really", "just", "s", "t"})


def _straighten(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_SPLIT.split(text.strip()) if part.strip()]


def question_sentence(text: str) -> str:
    """The sentence that asks: the last one ending in '?', else the last sentence."""
    sentences = split_sentences(text)
    if not sentences:
        return ""
    for sentence in reversed(sentences):
        if sentence.endswith("?"):
            return sentence
    return sentences[-1]


def question_tokens(text: str) -> frozenset[str]:
    """Normalized token set of a question's asking sentence (a reflective preamble ignored)."""
    sentence = _straighten(question_sentence(text)).lower().replace("'", "")
    return frozenset(t for t in _TOKEN.findall(sentence) if t not in _IGNORED_TOKENS)


def question_similarity(a: str, b: str) -> float:
    """Token-set (Jaccard) similarity of the asking sentences of two questions."""
    left, right = question_tokens(a), question_tokens(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _asked_parts(text: str) -> list[str]:
    """The parts of a turn that ask for something: question sentences and request sentences."""
    parts = []
    for sentence in split_sentences(text):
        if "?" in sentence or _REQUEST_START.match(sentence):
            parts.append(sentence)
    return parts or [text]


def _first_words(sentence: str) -> list[str]:
    words = re.findall(r"[a-z']+", _straighten(sentence).lower())
    while words and words[0] in _FILLERS:
        words.pop(0)
    return words


def _is_closed(sentence: str) -> bool:
    words = _first_words(sentence)
    if not words:
        return False
    if words[0] in _AUXILIARIES:
        return True
    if words[0] in _LEAD_IN_WORDS and "," in sentence:
        after = _first_words(sentence.split(",", 1)[1])
        return bool(after) and after[0] in _AUXILIARIES
    return False


def _shorten(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def check_question(text: str, asked: Sequence[str]) -> list[QuestionProblem]:
    """What is wrong with a question turn, for a person to read; an empty list means none.

    A turn may open with a reflective statement ("You mentioned that ...") before its one
    question; only the question (and any sentence that makes a request) is checked for
    forbidden topics, closed or leading wording and repeats.
    """
    stripped = text.strip()
    if not stripped:
        return [QuestionProblem("empty", "The question is empty.")]
    problems: list[QuestionProblem] = []
    if len(stripped) > MAX_QUESTION_LENGTH:
        problems.append(
            QuestionProblem(
                "too_long",
                f"The question is {len(stripped)} characters long; keep it under "
                f"{MAX_QUESTION_LENGTH} so it is easy to read.",
            )
        )
    if not stripped.endswith("?"):
        problems.append(
            QuestionProblem(
                "not_a_question", "The turn does not end with a question mark; ask one question."
            )
        )
    marks = len(re.findall(r"\?+", stripped))
    if marks > 1:
        problems.append(
            QuestionProblem(
                "multiple_questions",
                f"The turn asks {marks} questions; ask exactly one (a short reflection before it "
                "is fine).",
            )
        )
    asked_parts = _asked_parts(stripped)
    topics: list[str] = []
    for topic, pattern in _FORBIDDEN:
        if any(pattern.search(part) for part in asked_parts) and topic not in topics:
            topics.append(topic)
    if topics:
        problems.append(
            QuestionProblem(
                "forbidden_topic",
                "The question asks about " + " and ".join(topics) + ", which this interview "
                "never asks for.",
            )
        )
    sentence = question_sentence(stripped)
    if _LEADING.search(sentence):
        problems.append(
            QuestionProblem(
                "leading",
                "The question suggests its own answer; ask without assuming what the person "
                "thinks or feels.",
            )
        )
    if _is_closed(sentence):
        problems.append(
            QuestionProblem(
                "closed",
                "The question can be answered with yes or no; ask an open question (what, how, "
                "which, when, tell me about...).",
            )
        )
    best, best_score = "", 0.0
    for earlier in asked:
        score = question_similarity(stripped, earlier)
        if score > best_score:
            best, best_score = earlier, score
    if best_score >= DUPLICATE_SIMILARITY:
        problems.append(
            QuestionProblem(
                "duplicate",
                f"The question repeats one already asked ({best_score:.0%} the same words): "
                f"{_shorten(question_sentence(best))!r}.",
            )
        )
    return problems
