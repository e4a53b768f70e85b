"""Crisis detection in answers (pure, rule-based), run on every answer before anything else.

:func:`detect_crisis` gives one of three verdicts: ``crisis`` (a clear risk statement),
``uncertain`` (it may be one) or ``none``. Either of the first two pauses the interview and keeps
the answer out of everything afterwards; the session shows :data:`CRISIS_MESSAGE` or the gentler
:data:`CHECK_IN_MESSAGE` (:func:`crisis_message_for`). :func:`crisis_verdict` joins a model's
second opinion: the more cautious verdict wins, so the model can raise it but never lower it.

Each sentence is read through three layers:

1. the **phrase lexicon** below (explicit cues and indirect, negatable ones);
2. **grammar frames** (:mod:`server.interview.crisis_frames`): a first-person wish, plan or
   intent followed by a death, absence or ending construct, future absence, burdensomeness,
   goodbyes, self-harm "again", a method with its means;
3. **signals** (:mod:`server.interview.crisis_signals`): strong ones (self-harm on the body,
   methods and means, death as a way out) and weighted weaker signs that add up across the
   answer (2 = crisis, 1 = the check-in), including co-occurring word families and a wide
   first-person net for wording nothing else foresaw.

Context then lowers a sentence: fiction, a distant past episode said to be resolved (one not
said to be resolved gets the check-in), a move, a trip or tidying up behind a goodbye, an
idiom, someone else's death or crisis, a job.

Crisis negation policy
----------------------
* **Explicit** cues (suicidal ideation, plans or preparation, means, attempts, self-harm, danger
  or abuse happening now) trigger *even when negated*: "I'm not suicidal, just tired" and "I would
  never kill myself" pause the interview. People often minimise; a gentle check-in with resources
  costs little, and the person can resume with one click.
* **Indirect** cues (hopelessness, "better off without me", "no reason to go on", being a burden)
  and threats of harm to *others* are suppressed when a negation directly precedes them in the
  same clause ("I don't feel hopeless", "I'd never want to hurt them"). Hedges such as "not that"
  and "not saying" do not count as negations.

A request for heights or lethal means counts only after a sign of distress ("I lost my job;
which bridges are tallest?"), except the lethal-specific ones ("lethal dose", "painless way to
die") which always count.

``server/eval/data/crisis_battery.json`` is the tuning half of the battery; the frozen held-out
half and the figures are described in ``docs/quality.md`` (``personagen eval crisis``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from server.interview.crisis_frames import (
    Level,
    benign_parting,
    frame_cues,
    is_fiction,
    past_weight,
    stronger,
)
from server.interview.crisis_signals import (
    BROAD_LABEL,
    explained_away,
    strong_signals,
    weighted_signals,
)
from server.interview.text import negated_before, normalize_for_matching, split_sentences


@dataclasses.dataclass(frozen=True)
class CrisisAssessment:
    """``crisis`` says whether to pause; ``cues`` names the kinds of cue found, in order.

    ``level`` tells the two pauses apart: ``"crisis"`` (a clear risk statement: resources
    first) or ``"uncertain"`` (it may be one: a gentle check-in with the same resources).
    Either way the interview pauses and the answer is kept out of everything downstream, so
    ``crisis`` is true for both.
    """

    crisis: bool
    cues: tuple[str, ...] = ()
    level: Level = "none"

    def __post_init__(self) -> None:
        if self.crisis and self.level == "none":
            object.__setattr__(self, "level", "crisis")


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


CHECK_IN_MESSAGE = (
    "Thank you for telling me. I want to make sure I understood you, so I'm pausing the "
    "interview for a moment.\n"
    "Some of what you wrote made me wonder whether you might be thinking about not being here, "
    "or about hurting yourself. If that is so, please tell someone now: in the US call or text "
    "988 (Suicide & Crisis Lifeline), or text HOME to 741741; anywhere else, findahelpline.com "
    "lists free, confidential lines in your country. In immediate danger, call your local "
    "emergency number (911 in the US, 112 in most of Europe).\n"
    "If I misread you, no harm done: that answer is left out of your profile, and you can "
    "resume the interview whenever you choose."
)


def crisis_message_for(reason: str | None) -> str | None:
    """The message a crisis pause shows, from its state-change reason (None for other pauses)."""
    if reason == "crisis":
        return CRISIS_MESSAGE
    if reason == "crisis_check":
        return CHECK_IN_MESSAGE
    return None


def crisis_verdict(text: str, second_opinion: Level | None = None) -> Level:
    """The rule verdict on an answer joined with a model's: the model can only raise it."""
    level = detect_crisis(text).level
    return level if second_opinion is None else stronger(level, second_opinion)


def _lexicon_cues(normalized: str) -> list[str]:
    """Cue labels from the phrase lexicon (explicit cues ignore negation; indirect ones don't)."""
    cues = [label for label, pattern in _EXPLICIT_RE if pattern.search(normalized)]
    for label, pattern in _NEGATABLE_RE:
        for match in pattern.finditer(normalized):
            if not negated_before(normalized, match.start()):
                cues.append(label)
                break
    return cues


_TOPICAL_HOPELESS = re.compile(
    r"\bhopeless(?:ness)? (?:about|over|regarding|when it comes to|at) (?!myself|me\b|my life|"
    r"life\b|everything|living|the future for me)"
)
_HYPOTHETICAL_WORLD = re.compile(r"\bin a world (?:without|where|with no)\b")
_SOMEONE_ELSE_SUICIDAL = re.compile(
    r"\b(?:(?:my|his|her|their|our) (?:\w+ ){0,2}(?:friend|brother|sister|mum|mom|dad|father|"
    r"mother|son|daughter|partner|wife|husband|colleague|patient|client|cousin)|he|she|they)"
    r" (?:\w+ )?(?:was|were|is|are|had been|has been|became|got) suicidal\b"
)


@dataclasses.dataclass
class _Reading:
    """What one sentence contributes: strong cues (a crisis alone) and weighted signs."""

    strong: list[str]
    weighted: list[tuple[str, float]]


def _read_sentence(sentence: str, answer: str) -> _Reading:
    """The cues of one normalized sentence, with its context applied."""
    if is_fiction(sentence):
        return _Reading([], [])
    frames, uncertain = frame_cues(sentence)
    strong = _lexicon_cues(sentence) + frames + strong_signals(sentence)
    weighted = [(label, 1.0) for label in uncertain] + weighted_signals(sentence)
    if explained_away(sentence):
        weighted = []  # an idiom, someone else's death, a job: no check-in for weak signs
    if len(weighted) > 1:  # the wide net only speaks when nothing more specific did
        weighted = [item for item in weighted if item[0] != BROAD_LABEL]
    if set(strong) == {"suicidal ideation"} and (
        _SOMEONE_ELSE_SUICIDAL.search(sentence) or _HYPOTHETICAL_WORLD.search(sentence)
    ):
        strong = []  # someone else's crisis, or "I don't want to exist in a world without music"
    if set(strong) == {"hopelessness"} and _TOPICAL_HOPELESS.search(sentence):
        strong, weighted = [], []  # hopeless about the climate or the news, not about oneself
    labels = strong or [label for label, _ in weighted]
    if not labels or benign_parting(labels, answer):
        return _Reading([], [])
    past = past_weight(sentence, answer)
    if past == "none":
        return _Reading([], [])
    if past == "uncertain":  # a distant past episode not said to be over: ask, gently
        return _Reading([], [("a past episode", 1.0)])
    return _Reading(strong, weighted)


LearnedScreen = Callable[[str], Level]
"""A learned screen of one raw answer (embeddings and a classifier, see ``server.llm.care``)."""

LEARNED_CUE = "close in meaning to crisis statements"
_learned_screen: LearnedScreen | None = None


def use_learned_screen(screen: LearnedScreen | None) -> None:
    """Join a learned screen to :func:`detect_crisis` from now on (None: the rules alone).

    The adapter that loads the model calls this once it is ready, so every caller of
    :func:`detect_crisis` (the session, the extractor, the echo guard, the training export)
    gets the union without knowing a model exists.
    """
    global _learned_screen
    _learned_screen = screen


def learned_screen_in_use() -> bool:
    return _learned_screen is not None


def detect_crisis(text: str) -> CrisisAssessment:
    """The rules' verdict joined with the learned screen's, when one is in use.

    The learned screen can only raise the verdict (to the check-in or to a crisis), never
    lower it; when it fails, the rules decide alone.
    """
    rules = detect_crisis_by_rules(text)
    screen = _learned_screen
    if screen is None or rules.level == "crisis" or not text.strip():
        return rules
    try:
        learned = screen(text)
    except Exception:  # a broken model must never silence the rules
        return rules
    level = stronger(rules.level, learned)
    if level == rules.level:
        return rules
    return CrisisAssessment(True, (*rules.cues, LEARNED_CUE), level)


def detect_crisis_by_rules(text: str) -> CrisisAssessment:
    """Rule-based crisis screen of one answer; see the module docstring for the policy.

    Each sentence is read on its own (so a story, a resolved past or a house move in one
    sentence does not hide a risk statement in another). A strong cue anywhere makes the
    answer a crisis; otherwise the weighted signs of all its sentences add up: 2 or more is a
    crisis, 1 or more the gentle check-in.
    """
    normalized = normalize_for_matching(text)
    if not normalized:
        return CrisisAssessment(False)
    cues: list[str] = []
    strong = False
    weight = 0.0
    for sentence in split_sentences(normalized):
        reading = _read_sentence(sentence, normalized)
        strong = strong or bool(reading.strong)
        cues += reading.strong + [label for label, _ in reading.weighted]
        weight += sum(value for _, value in dict(reading.weighted).items())
    level: Level = "crisis" if strong or weight >= 2 else ("uncertain" if weight >= 1 else "none")
    if _MEANS_REQUEST.search(normalized) and _DISTRESS.search(normalized):
        cues.append("distress with a request for means")
        level = "crisis"
    unique = tuple(dict.fromkeys(cues))
    return CrisisAssessment(level != "none", unique, level)
