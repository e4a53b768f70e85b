"""A transparent, rule-based coder of interviewer utterances, in the spirit of MITI.

A turn is split into sentences ("utterances"); each gets one code:

=====================  =====================================================================
code                   rule (first match wins, in this order)
=====================  =====================================================================
``other`` (setup)      a statement prompting the person to recall or imagine something
                       ("Think of a time ...", "Imagine ...").
``non_adherent``       MI-non-adherent wording, question or not: telling the person what to
                       do ("you should", "you need to", "I suggest you", "try to", "stop
                       ..."), confronting ("that's not true", "you're making excuses", "why
                       don't you just ...", "why would you ..."), warning ("if you don't ...,
                       you'll ..."), or advice dressed as a question ("have you considered
                       ...") -- unless it reports what the person said ("You said you need
                       to ...").
``open_question``      a request for elaboration ("Tell me about ...", "Describe ...", "I'd
                       like to hear more ..."), or a question that starts (after fillers, or
                       after a lead-in clause ending in a comma) with what / how / why /
                       which / where / when / who, unless it asks for one fact ("how many",
                       "how long", "when did", "who is", ...) or offers a choice ("..., X or
                       Y?").
``closed_question``    any other sentence ending in "?": yes/no questions (starting with an
                       auxiliary: do, are, is, can, would, ...), one-fact and either/or
                       questions, statements with a question mark.
``affirm``             praise of the person's strengths or efforts ("that took courage", "you
                       worked hard", "impressive", "you've shown real determination").
``other``              structure, thanks, acknowledgements and information ("Thank you.",
                       "Let's turn to your goals.", "Many people find ...").
``complex_reflection`` a statement about the person (second person or a reflection frame such
                       as "it sounds like", "so", "I'm hearing") that adds meaning: double-
                       sided ("on the one hand ... on the other", "part of you", "and yet",
                       "at the same time"), a summary linking several things said ("so far",
                       "putting that together", "earlier you said ... and ..."), a metaphor
                       ("as if", "like a"), or an inferred feeling, value or reason ("you feel
                       ...", "... matters to you", "because you ..."). With the person's
                       previous answer as context, an inferred-meaning cue counts only when
                       the reflection adds a content word the person did not say; a verbatim
                       frame ("you said", "you mentioned") marks a restatement.
``simple_reflection``  any other statement about the person: a restatement.
=====================  =====================================================================

Questions also carry a ``leading`` flag: wording that suggests its own answer ("don't you
think", "wouldn't you agree", "surely", "..., right?", "it must have been so hard").

What it cannot judge: tone, empathy, whether a reflection is accurate, whether a question is
well timed or a good follow-up; a paraphrase that adds meaning without any cue word is coded
simple, and a complex-sounding frame around a plain restatement is coded complex unless the
previous answer is given. Its accuracy on the hand-labelled examples shipped in
``data/coder_examples.json`` is pinned by a test.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Literal

from server.eval.text import content_stems, found_in, word_set

Code = Literal[
    "open_question",
    "closed_question",
    "simple_reflection",
    "complex_reflection",
    "affirm",
    "non_adherent",
    "other",
]
CODES: tuple[Code, ...] = (
    "open_question",
    "closed_question",
    "simple_reflection",
    "complex_reflection",
    "affirm",
    "non_adherent",
    "other",
)
QUESTION_CODES: frozenset[Code] = frozenset({"open_question", "closed_question"})
REFLECTION_CODES: frozenset[Code] = frozenset({"simple_reflection", "complex_reflection"})


@dataclasses.dataclass(frozen=True)
class Coded:
    text: str
    code: Code
    leading: bool = False


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


def _normalize(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def split_utterances(turn: str) -> list[str]:
    """The sentences of an interviewer turn."""
    text = _normalize(turn)
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


_FILLERS = word_set("and so but then now okay ok well also or alright right")
_WH = word_set("what how why which where when who whom whose")
_AUXILIARIES = word_set(
    """
    do does did are is was were am have has had can could would will should shall may might
    must isn't aren't wasn't weren't don't doesn't didn't won't wouldn't can't couldn't
    shouldn't haven't hasn't hadn't
    """
)
_LEAD_IN = word_set(
    """
    if when whenever looking thinking in at as since after before given with for over during
    besides apart beyond outside compared right honestly overall now today lately generally
    personally once while because imagine suppose say picture surely obviously clearly
    """
)
# A prompt to recall or imagine something, setting up the question that follows.
_SETUP = _rx(
    r"^(?:think (?:of|about|back)|imagine|picture|recall|remember (?:a|an|the|when|back)|"
    r"take a moment|consider (?:a|the) time|bring to mind)\b",
)

_REQUEST = _rx(
    r"^(?:please,? )?(?:tell me|talk me through|walk me through|describe|share|say more|"
    r"help me understand|give me an example|paint me a picture)\b",
    r"^i'?d (?:like|love) to (?:hear|know|understand|learn) (?:more|about|what|how|why)\b",
    r"^i(?:'m| am) (?:curious|wondering) (?:about|what|how|why|whether)\b",
)
_ONE_FACT = _rx(
    r"^how (?:many|much|old|long|often|far|tall)\b",
    r"^what (?:time|year|age|day|date)\b",
    r"^(?:which|what) (?:year|day|month|city|country|town|number)\b",
    r"^when (?:did|was|were|is|will|are)\b",
    r"^where (?:do|did|are|were) you (?:live|work|study|grow up|come from|born)\b",
    r"^who (?:is|was|are|were|did|do)\b",
    r"^what is your (?:name|age|job|title|address)\b",
)
_CHOICE = re.compile(r"[,:]\s*(?:\w+[\w' -]*\s)?(?:\w+[\w' -]*) or (?:\w+[\w' -]*)\?$", re.I)

_NON_ADHERENT = _rx(
    r"(?<!\bwhen )(?<!\bif )(?<!\bwhenever )(?<!\bwhere )(?<!\bthat )"
    r"\byou (?:really |just |definitely |honestly )?(?:should|need to|have to|ought to|"
    r"had better|'d better|must) (?!have\b|be (?:so |really |very )?(?:proud|tired|exhausted)"
    r"\b|feel\b)",
    r"\byou (?:can'?t|cannot) keep\b",
    r"\bwhy (?:don'?t|didn'?t|can'?t|won'?t|wouldn'?t|not) you (?:just )?\b",
    r"\bwhy would you (?:ever )?\b",
    r"\b(?:that'?s|that is|you'?re|you are) (?:just )?(?:wrong|mistaken|not true|ridiculous|"
    r"silly|an excuse|making excuses|in denial|being (?:silly|dramatic|unreasonable|naive))\b",
    r"\b(?:i|we) (?:strongly )?(?:recommend|suggest|advise|urge) (?:that )?you\b",
    r"\bmy advice\b",
    r"\bthe (?:best|right|smart|only) (?:thing|way|move|option) (?:to do |for you )?"
    r"(?:is|would be)\b",
    r"\bif you (?:don'?t|do not|keep)\b.*\byou(?:'ll| will| are going to)\b",
    r"^(?:try|stop|just|don'?t|consider|make sure|remember|focus on|go and|quit)\b",
    r"\bhave you (?:thought about|considered|tried)\b",
    r"\bshouldn'?t you\b",
    r"\bit'?s (?:time|high time|important|essential|better) (?:for you )?to\b",
    r"\bthe problem (?:is that you|with you)\b",
    r"\byou'?re too\b",
)
_LEADING = _rx(
    r"\b(?:don'?t|wouldn'?t|isn'?t|aren'?t|didn'?t|doesn'?t|won'?t) you (?:think|agree|feel|"
    r"say|find)\b",
    r"\b(?:isn'?t|wasn'?t|doesn'?t|didn'?t) (?:it|that|this)\b",
    r"\bsurely\b",
    r"\bobviously\b",
    r"\bof course you\b",
    r"\bi bet\b",
    r"\bi'?m sure you\b",
    r"\bi imagine you\b",
    r"\byou must (?:have|be|feel|really)\b",
    r"\bmust have been (?:so |really |very )?\w+",
    r"\bagree that\b",
    r",\s*(?:right|yes|no|correct|true)\s*\?$",
    r"\byou probably\b",
)
_AFFIRM = _rx(
    r"\bthat took (?:real |a lot of |so much )?(?:courage|guts|strength|determination|work|"
    r"patience)\b",
    r"\b(?:impressive|admirable|remarkable|inspiring|resourceful)\b",
    r"\byou(?:'ve| have)? (?:clearly |really |obviously )?(?:worked|tried|fought) (?:so |really "
    r")?hard\b",
    r"\byou(?:'ve| have)? (?:shown|got|showed|brought) (?:a lot of |real |great |so much |such )?"
    r"(?:courage|determination|resilience|strength|persistence|commitment|dedication|grit|care)",
    r"\b(?:well done|good for you|great job|nice work|nicely done)\b",
    r"\b(?:a|that'?s a) (?:real |genuine |great )?strength of yours\b",
    r"\b(?:that'?s|is) a (?:real |genuine |great )?strength\b",
    r"\byou (?:should|can) be proud\b",
    r"\bit (?:says|speaks) (?:a lot|volumes) about you\b",
    r"\byou(?:'re| are) (?:clearly |obviously |really )?(?:someone|a person) who (?:cares|"
    r"works|gives|keeps)\b",
)
_OTHER = _rx(
    r"^(?:thank you|thanks|okay|ok|great|alright|all right|got it|i see|mm+|hmm+|right|sure|"
    r"understood|good|fair enough)\b[.!,]?\s*$",
    r"^(?:thank you|thanks)\b",
    r"^(?:let'?s|let us|next|moving on|now,? let'?s|now i'?d like|i'?d like to (?:move|turn|"
    r"switch|ask|change)|i want to (?:ask|move|turn)|we'?ve (?:covered|talked)|we have "
    r"(?:covered|talked)|before we|to (?:finish|wrap up|close))\b",
    r"^(?:many|most|some) people\b",
    r"\bresearch (?:shows|suggests)\b",
    r"^it'?s (?:common|normal|natural) (?:for people |to)\b",
    r"^there are no (?:right|wrong)\b",
    r"^(?:this|the) (?:interview|next question|question)\b",
)
_ABOUT_PERSON = _rx(
    r"\b(?:you|your|yours|yourself|you'?re|you'?ve|you'?d|you'?ll)\b",
)
_REFLECTION_FRAME = _rx(
    r"^(?:so|it sounds|sounds like|it seems|seems like|it feels|i'?m hearing|i hear|what i hear|"
    r"if i (?:understand|followed|heard|got)|in other words|from what you|for you)\b",
)
_VERBATIM_FRAME = _rx(
    r"\byou (?:said|mentioned|told me|described|put it)\b",
    r"\bin your (?:own )?words\b",
    r"^you(?:'re| are) saying\b",
)
# Complex by structure: joins two sides, links several statements, or uses an image.
_STRUCTURAL_COMPLEX = _rx(
    r"\bon (?:the )?one hand\b",
    r"\bon the other(?: hand)?\b",
    r"\bpart of you\b",
    r"\bat the same time\b",
    r"\band yet\b",
    r"\b(?:even though|although|while) you(?:'re| are)?\b.*\byou\b",
    r"\bboth\b.*\band\b",
    r"\bso far\b",
    r"\b(?:putting|taking|put|taken) (?:that|this|it|those|these|them) (?:together|"
    r"side by side)\b",
    r"\b(?:ties in|connects|links|fits|goes|sits) (?:in )?(?:with|together with|back to) "
    r"(?:what|something|how|the way) you(?:'ve| have)? (?:said|mentioned|told me|described)\b",
    r"\b(?:earlier|before) you (?:said|mentioned|told me|talked about)\b.*\b(?:and|now|"
    r"today)\b",
    r"\b(?:let me|to) (?:pull|put|sum) (?:that|this|it|together|up)\b",
    r"\bto sum up\b|\bin summary\b",
    r"\b(?:as if|as though|almost like|sort of like|kind of like|like a)\b",
    r"\b(?:a thread|the thread|a common thread|a theme|a pattern) (?:runs|running|that runs|"
    r"through)\b",
)
# Complex by inference: a feeling, value or reason the person may not have named.
_INFERRED_COMPLEX = _rx(
    r"\byou(?:'re| are| were)? (?:feel|feeling|felt)\b",
    r"\bsounds? (?:like|as if|as though) (?:you(?:'re| are| were| feel| felt)? )?(?:\w+ )?"
    r"(?:frustrat\w*|proud|torn|stuck|hurt|reliev\w*|excit\w*|anxious|worried|lonely|tired|"
    r"afraid|scared|angry|sad|happy|overwhelm\w*|exhaust\w*|uneasy|disappoint\w*|grateful|"
    r"conflicted|ambivalent|drained|energi[sz]ed)\b",
    r"\b(?:matters|mattered|means|meant) (?:a lot |so much |deeply |a great deal |the world |"
    r"everything )?to you\b",
    r"\b(?:important|precious|central|essential|sacred|non-negotiable) (?:to|for) you\b",
    r"\bwhat you(?:'re| are)? (?:really |most )?(?:value|care about|want|after|need|"
    r"looking for)\b",
    r"\byou (?:really |clearly |deeply )?(?:value|cherish|treasure|prize)\b",
    r"\bat the (?:heart|core|centre|center) of\b",
    r"\bpart of who you are\b",
    r"\b(?:because|since) you\b",
    r"\bwhich (?:is why|means) you\b",
    r"\byou(?:'re| are) (?:someone|the kind of person|a person) who\b",
)


def _first_words(sentence: str) -> list[str]:
    found = re.findall(r"[a-z']+", sentence.lower())
    while found and found[0] in _FILLERS:
        found.pop(0)
    return found


def _main_clause(sentence: str) -> str:
    """The sentence after a lead-in clause ("When X happens, what ...?" -> "what ...?")."""
    words = _first_words(sentence)
    if words and words[0] in _LEAD_IN and "," in sentence:
        return sentence.split(",", 1)[1].strip()
    return sentence


def _question_code(sentence: str) -> Code:
    clause = _main_clause(sentence)
    words = _first_words(clause)
    if not words:
        return "closed_question"
    stripped = " ".join(words)
    if words[0] in _AUXILIARIES:
        return "closed_question"
    if words[0] in _WH:
        if _ONE_FACT.search(stripped) or _CHOICE.search(clause):
            return "closed_question"
        return "open_question"
    if _REQUEST.search(stripped):
        return "open_question"
    return "closed_question"


_FRAME = content_stems(
    "sounds seems hearing hear heard followed follow understand understood mentioned said told "
    "words really so what if"
)
_EVALUATIVE = content_stems(
    "matters mattered means meant important value valued care cares feel feeling felt precious "
    "central essential heart core"
)


def _adds_content(sentence: str, context: str) -> bool:
    """Whether the reflection names something (a thing, or an evaluation) the person did not.

    Evaluative words (matters, important, value, feel, ...) count as said when the person used
    any of them: "X matters to you" restates "X is important to me".
    """
    said = content_stems(context)
    if any(found_in(stem, said) for stem in _EVALUATIVE):
        said |= _EVALUATIVE
    return any(
        not found_in(stem, said) for stem in content_stems(sentence) if not found_in(stem, _FRAME)
    )


def _reflection_code(sentence: str, context: str | None) -> Code:
    if _STRUCTURAL_COMPLEX.search(sentence):
        return "complex_reflection"
    if _VERBATIM_FRAME.search(sentence):
        return "simple_reflection"
    inferred = _INFERRED_COMPLEX.search(sentence)
    if inferred and (context is None or _adds_content(sentence, context)):
        return "complex_reflection"
    return "simple_reflection"


def code_utterance(sentence: str, context: str | None = None) -> Coded:
    """Code one interviewer sentence; ``context`` is the person's previous answer, if known."""
    text = _normalize(sentence)
    lowered = text.lower()
    is_question = text.endswith("?")
    leading = is_question and bool(_LEADING.search(text))
    if not is_question and _SETUP.search(lowered):
        return Coded(text, "other")
    reported = _VERBATIM_FRAME.search(lowered) is not None  # "You said you need to ..."
    if _NON_ADHERENT.search(lowered) and not reported and not _AFFIRM.search(lowered):
        return Coded(text, "non_adherent", leading)
    if is_question:
        return Coded(text, _question_code(text), leading)
    if _REQUEST.search(" ".join(_first_words(text))):
        return Coded(text, "open_question")
    if _AFFIRM.search(lowered):
        return Coded(text, "affirm")
    if _OTHER.search(lowered):
        return Coded(text, "other")
    if _ABOUT_PERSON.search(lowered) or _REFLECTION_FRAME.search(lowered):
        return Coded(text, _reflection_code(text, context))
    return Coded(text, "other")


def code_turn(turn: str, context: str | None = None) -> list[Coded]:
    """Code every sentence of an interviewer turn."""
    return [code_utterance(sentence, context) for sentence in split_utterances(turn)]


# -- validation -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LabelledExample:
    text: str
    code: Code
    leading: bool = False
    context: str | None = None
    split: Literal["dev", "heldout"] = "dev"


@cache
def labelled_examples() -> tuple[LabelledExample, ...]:
    """The hand-labelled utterances the coder is validated on."""
    path = resources.files("server.eval").joinpath("data", "coder_examples.json")
    raw = json.loads(path.read_text("utf-8"))
    examples = []
    for entry in raw["examples"]:
        code = entry["code"]
        if code not in CODES:
            raise ValueError(f"coder example {entry['text']!r}: unknown code {code!r}")
        split = entry.get("set", "dev")
        if split not in ("dev", "heldout"):
            raise ValueError(f"coder example {entry['text']!r}: unknown set {split!r}")
        examples.append(
            LabelledExample(
                entry["text"], code, entry.get("leading", False), entry.get("context"), split
            )
        )
    return tuple(examples)


@dataclasses.dataclass(frozen=True)
class Validation:
    total: int
    correct: int
    leading_correct: int
    by_code: dict[str, tuple[int, int]]  # code -> (correct, total)
    mistakes: tuple[tuple[str, str, str], ...]  # text, expected, got

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def leading_accuracy(self) -> float:
        return self.leading_correct / self.total if self.total else 0.0


def validate(examples: Sequence[LabelledExample] | None = None) -> Validation:
    """The coder's agreement with the labelled examples."""
    chosen = labelled_examples() if examples is None else tuple(examples)
    correct = leading_correct = 0
    by_code: dict[str, list[int]] = {code: [0, 0] for code in CODES}
    mistakes = []
    for example in chosen:
        coded = code_utterance(example.text, example.context)
        by_code[example.code][1] += 1
        if coded.code == example.code:
            correct += 1
            by_code[example.code][0] += 1
        else:
            mistakes.append((example.text, example.code, coded.code))
        if coded.leading == example.leading:
            leading_correct += 1
    return Validation(
        total=len(chosen),
        correct=correct,
        leading_correct=leading_correct,
        by_code={code: (hits, total) for code, (hits, total) in by_code.items() if total},
        mistakes=tuple(mistakes),
    )
