"""The built-in question bank: curated open-ended questions, follow-ups and reflections.

How the next question is chosen (:func:`plan_question`, pure and deterministic):

1. the config's unused baseline question for the category (``request.baseline``), if it passes
   the checks;
2. otherwise a **follow-up** picked from what the last answer said: when that answer belongs to
   the same category, or mentions a cue (family, work, a worry, a change, ...) that has a
   follow-up in this category. Cues are tried in the order they appear in the answer. When the
   answer is in the same category but has no cue, a gentle generic follow-up is used, and only
   together with a reflection (so that "that" in it refers to something just said);
3. otherwise the next **bank** question of the category not asked yet;
4. otherwise a generic invitation (:func:`fallback_question`).

Every candidate must pass :func:`~server.interview.question_lint.check_question` against the
questions already asked (so repeats are skipped, reflective openers ignored) and must not echo
the wording of a question the person declined (``request.refused_topics``).

Declining a question also declines its topic family (:data:`TOPIC_FAMILIES`): after "your
earlier years" is skipped, "growing up", "someone older than you" and family questions are not
asked either.

**Reflections** precede the question (see :class:`_Reflector`), at most two and short, each
one idea in a grammatical sentence, in the second person:

* a **restatement** of one first-person clause of the fresh answer ("So you spend your weekends
  restoring furniture."), or a double-sided reflection when the answer holds a contrast;
* a **complex reflection** that names the meaning, value or feeling behind it, inferred from
  what the rule extractor understood in that answer (a value: "It sounds like honesty matters a
  great deal to you."; a goal, a focus, a way of talking, a formative experience), else from a
  cue in the answer (pride, worry, a change, ...), else a link to an earlier answer;
* an **acknowledgement**, first, when the person names a loss or a strain ("That sounds like a
  heavy stretch."), which never repeats what the loss was.

Nothing sensitive is ever said back: a clause or phrase with crisis content, a health detail,
an address, an identifying number, a special-category detail or another person's name is left
out (:func:`server.interview.echo.safe_to_echo`). A clause reflected once is not reflected
again; after a skip or a question set aside for safety there is no reflection. With
``interviewingTechniques.reflectiveListening`` off there are never reflections.

The words (questions, follow-ups, invitations, reflection templates) live in
``server/data/question_bank.json`` (:mod:`server.interview.bank_data`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from typing import Literal

from server.config import Category, InterviewConfig
from server.interview.bank_data import load_bank
from server.interview.crisis import detect_crisis
from server.interview.echo import safe_to_echo
from server.interview.extract_rules import extract_persona
from server.interview.model import ExtractionRequest, QuestionRequest, Turn
from server.interview.question_lint import check_question, question_sentence
from server.interview.sensitive import looks_like_instruction, special_categories
from server.interview.text import (
    has_name,
    second_person,
    split_sentences,
    without_named_relations,
    word_set,
)
from server.persona.draft import GoalItem, ValueItem

# --------------------------------------------------------------------------------------------
# The bank
# --------------------------------------------------------------------------------------------

_DATA = load_bank()
BANK: dict[Category, tuple[str, ...]] = {
    category: tuple(questions) for category, questions in _DATA.bank.items()
}

# Cue name -> pattern searched (case-insensitively) in the last answer.
CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "people": r"\b(?:family|families|parents?|mother|father|mom|mum|dad|sisters?|brothers?|"
        r"siblings?|partner|wife|husband|kids|children|daughters?|sons?|grand\w+|friends?|"
        r"friendships?)\b",
        "work": r"\b(?:work|working|job|jobs|career|boss|manager|colleagues?|coworkers?|team|"
        r"office|clients?|company|profession|business)\b",
        "worry": r"\b(?:afraid|scared|fears?|worr(?:y|ied|ies|ying)|anxious|nervous|uncertain|"
        r"uncertainty)\b",
        "pride": r"\b(?:proud|pride|accomplish\w*|achiev\w*|succeed\w*|success\w*|won)\b",
        "change": r"\b(?:change[ds]?|changing|transition\w*|moved|moving|new chapter|started over|"
        r"quit|turning point)\b",
        "learning": r"\b(?:learn\w*|stud(?:y|ied|ying)|courses?|class(?:es)?|school|university|"
        r"college|reading|books?|curious|curiosity)\b",
        "conflict": r"\b(?:argu\w+|disagree\w*|conflicts?|fights?|fought|clash\w*|tension)\b",
        "place": r"\b(?:city|town|village|countryside|abroad|travel\w*|neighbou?rhood|"
        r"moved to|grew up in)\b",
        "creativity": r"\b(?:writ(?:e|ing)|paint\w*|draw(?:ing)?|music|songs?|guitar|piano|"
        r"design\w*|creat(?:e|ing|ive|ivity)|craft\w*|photograph\w*|cook\w*|bak(?:e|ing)|"
        r"build(?:ing)?)\b",
        "helping": r"\b(?:help\w*|volunteer\w*|mentor\w*|support\w*|car(?:e|ing) for|teach\w*|"
        r"coach\w*)\b",
        "time": r"\b(?:busy|overwhelm\w*|no time|balance|juggl\w+|deadlines?|stretched)\b",
    }.items()
}

FOLLOW_UPS: dict[Category, dict[str, str]] = {
    category: dict(table) for category, table in _DATA.follow_ups.items()
}
# Same-category deepening follow-ups: only used right after a reflective opener.
GENERIC_FOLLOW_UPS: dict[Category, tuple[str, ...]] = {
    category: tuple(questions) for category, questions in _DATA.generic_follow_ups.items()
}
_TOPIC: dict[Category, str] = dict(_DATA.topics)
_INVITATIONS: tuple[str, ...] = tuple(_DATA.invitations)
_ANGLES: tuple[str, ...] = tuple(_DATA.angles)
_REFLECTIONS = _DATA.reflections
OPENER_TEMPLATES: tuple[str, ...] = tuple(_REFLECTIONS.simple)


def bank_questions(category: Category) -> tuple[str, ...]:
    return BANK[category]


def bank_left(category: Category, asked: Sequence[str]) -> int:
    """How many bank questions and follow-ups of ``category`` could still be asked."""
    fixed = (*BANK[category], *FOLLOW_UPS[category].values())
    return sum(1 for question in fixed if not check_question(question, asked))


def all_bank_questions() -> tuple[str, ...]:
    """Every fixed question text the bank can produce (bank, follow-ups, generic ones)."""
    found: list[str] = []
    for category in BANK:
        found.extend(BANK[category])
        found.extend(FOLLOW_UPS[category].values())
        found.extend(GENERIC_FOLLOW_UPS[category])
        found.extend(_invitations(category))
    return tuple(found)


def _invitations(category: Category) -> Iterator[str]:
    topic = _TOPIC[category]
    for template in _INVITATIONS:
        yield template.format(topic=topic)
    for angle in _ANGLES:
        yield f"Thinking about {topic} {angle}, what stands out to you?"


# --------------------------------------------------------------------------------------------
# Reflections
# --------------------------------------------------------------------------------------------

_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|myself)\b", re.IGNORECASE)
_OTHER_PERSON = re.compile(
    r"\b(?:we|us|our|ours|you|your|yours|he|him|his|she|her|hers|they|them|their|theirs)\b",
    re.IGNORECASE,
)
_REFUSAL = re.compile(
    r"\b(?:rather not|prefer not|don't want to (?:talk|say|share|go into)|skip|pass on|"
    r"no comment|none of your|not comfortable|private|personal)\b",
    re.IGNORECASE,
)
# Remarks about the conversation itself ("that's a good question", "let me think"): true, but
# nothing worth reflecting back.
_META = re.compile(
    r"\b(?:(?:good|great|hard|tough|fair|interesting|big|that|this|the) questions?|"
    r"(?:my|the|that|an|honest) answer|version|thought about (?:it|that|this)|put (?:it|this|that)|"
    r"talk about (?:it|this|that)|sum (?:it )?up|long story|make sense|bear with|"
    r"go on (?:too )?long|off the point|out loud|circling|circles|in a few lines|"
    r"where (?:do|to) (?:i )?(?:even )?start|let me think|sorry|asked me|asks me|"
    r"get this right|a long one|stop me)\b",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(
    r"^(?:(?:and|but|so|well|also|honestly|really|actually|then|yeah|yes|oh|um|uh|hmm|ok|okay|"
    r"(?:like|as) i (?:said|mentioned)|like|basically|i mean|i guess|i think|i suppose|"
    r"i feel like|maybe|perhaps|probably)\b[,\s]*)+",
    re.IGNORECASE,
)
_BAD_START = word_set(
    """
    because which that if although though who where and or but so when while whereas unless
    until what how why that's there's it's of to for with
    """
)
# A clause that only makes sense right after the sentence it came from ("it taught me that").
_ANAPHORA = re.compile(
    r"^(?:it|that|this|they|there)\b|\bit\b|\bthis\b(?! (?:year|month|week|weekend|summer|"
    r"spring|autumn|fall|winter|morning|evening|season|time)\b)",
    re.IGNORECASE,
)
# An "-ing" fragment with no verb of its own ("leading a product group of my own").
_FRAGMENT = re.compile(r"^[a-z]+ing\b", re.IGNORECASE)
_FINITE = re.compile(
    r"\b(?:was|is|were|are|has|have|had|made|makes|changed|taught|gave|shaped|meant|means|"
    r"felt|feels|took|became|matters?|mattered|helps|helped|keeps|kept|gets|got|comes|came|"
    r"goes|went|brings|brought|needs|needed|does|did|can|could|will|would|should)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r"\s*,?\s+(?:but|although|though|yet|even though|whereas)\s+", re.IGNORECASE)

# A double-sided reflection sets two things the person said side by side; a link connects the
# fresh answer with an earlier one. Both only ever hold the person's own clauses.
DOUBLE_SIDED_TEMPLATES: tuple[str, ...] = tuple(_REFLECTIONS.double_sided)
LINK_TEMPLATES: tuple[str, ...] = tuple(_REFLECTIONS.link)
# A restatement starts with the person as subject, so it reads as a whole sentence.
_SUBJECT_START = re.compile(r"^(?:i|i'm|i've|i'd|i'll|my|me)\b", re.IGNORECASE)
_MIN_RESTATED_SUBSTANCE = 2


def _straight(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


_MAX_CLAUSE_WORDS = 14
# A sentence opening with one of these holds its main clause under a condition.
_CONDITION = re.compile(
    r"^(?:if|when|whenever|unless|once|until|as long as|even if|only if|in case)\b",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"\b(?:of|to|for|with|from|a|an|the|and|or|but|instead|than|as|by|about)$", re.IGNORECASE
)
# Where a long clause may be cut, keeping its head verbatim.
_BOUNDARY = re.compile(
    r"\s+(?=(?:when|where|for|with|within|in|on|at|before|after|instead|while|until)\s)",
    re.IGNORECASE,
)


def _head(clause: str) -> str:
    """A long clause cut at its last boundary that leaves at most 14 words (or unchanged)."""
    if len(clause.split()) <= _MAX_CLAUSE_WORDS:
        return clause
    for match in reversed(list(_BOUNDARY.finditer(clause))):
        head = clause[: match.start()].rstrip(" ,")
        if re.search(r"[;:\u2014\u2013]", head) or _DANGLING.search(head):
            continue  # never across a clause break, never ending on "of" or "the"
        if 5 <= len(head.split()) <= _MAX_CLAUSE_WORDS:
            return head
    return clause


# Where a sentence joins two ideas: reflected separately, never glued together.
_GLUE = re.compile(
    r"\s+and\s+(?=(?:i|i'm|i've|that|it|my|we|then|now)\b)|[;\u2014\u2013]|\s-\s"
    r"|,\s+(?=(?:i|i'm|i've|people|my|we|they|he|she|it)\b)",
    re.IGNORECASE,
)


_CHAT_NOISE = re.compile(r"\s*\b(?:lol|lmao|haha+|hehe+|xd)\b[.!]*|\s*[:;]-?[)(dp]\s*", re.I)


def _candidate_clauses(answer: str) -> Iterator[tuple[str, bool]]:
    """Clauses of the answer, each with whether it starts a sentence; whole sentences first.

    Names after a relation word are left out ("my grandfather Kofi" -> "my grandfather");
    a long clause is cut at a phrase boundary, keeping the person's words in their order.
    """
    lines = [line for line in _straight(answer).splitlines() if line.strip()]
    sentences = [s for line in lines for s in split_sentences(without_named_relations(line))]
    for sentence in sentences:
        sentence = " ".join(_CHAT_NOISE.sub("", sentence).rstrip(".!?;:,").split())
        if not _GLUE.search(sentence):
            yield _head(sentence), True  # a sentence holding one idea
        parts = re.split(
            r"\s*[,;:\u2014\u2013]\s*|\s+-\s+|\s+(?:but|because|so)\s+"
            r"|\s+and\s+(?=(?:i|i'm|i've|that|it|my|we|then|now)\b)",
            sentence,
            flags=re.IGNORECASE,
        )
        if len(parts) > 1:
            for index, part in enumerate(parts):
                if index and _CONDITION.match(_LEADING_FILLER.sub("", parts[0])):
                    break  # "If I'm late, I've stolen ..." is only true with its condition
                yield _head(part.strip()), index == 0


def _substance(clause: str) -> int:
    """How many content words a clause has (words of three letters or more, not stop words)."""
    return sum(
        1
        for word in re.findall(r"[a-z]+", clause.lower().replace("'", ""))
        if len(word) > 2 and word not in _STOPWORDS
    )


_INNER_HEDGE = re.compile(r"\b(?:kind of|sort of|kinda|sorta)\s+", re.IGNORECASE)


def _usable_clause(
    clause: str, sentence_start: bool, first_person: bool = True, standalone: bool = False
) -> str | None:
    """The clause in the second person, or None when it must not be reflected back.

    ``standalone`` clauses are reflected away from their answer (in a summary), so they must
    not lean on the sentence around them ("it taught me that ...").
    """
    stripped = _INNER_HEDGE.sub("", _LEADING_FILLER.sub("", clause)).strip()
    if stripped != clause:
        sentence_start = True  # the capital after a filler is a sentence start too
    words = stripped.split()
    if not 3 <= len(words) <= 14:
        return None
    if words[0].lower().strip(",") in _BAD_START:
        return None
    if re.search(r"[?!;\"\u201c\u201d()\[\]{}<>|*_#@/\\]|\d{3,}", stripped):
        return None
    if _OTHER_PERSON.search(stripped):
        return None
    if first_person and not _FIRST_PERSON.search(stripped):
        return None
    if has_name(stripped, sentence_start):
        return None
    if _REFUSAL.search(stripped) or looks_like_instruction(stripped) or _META.search(stripped):
        return None
    if special_categories(stripped) or not safe_to_echo(stripped, sentence_start):
        return None
    if _substance(stripped) < 2:
        return None
    if _FRAGMENT.match(stripped) and not _FINITE.search(stripped):
        return None
    if standalone and _ANAPHORA.search(stripped):
        return None
    converted = second_person(stripped)
    return converted[0].lower() + converted[1:]


def reflection_clauses(
    answer: str, avoid: Sequence[str] = (), standalone: bool = False
) -> list[str]:
    """The clauses of ``answer`` that may be reflected back, in the second person, in order.

    Clauses touching ``avoid`` (declined questions) are left out; a crisis answer has none.
    """
    if detect_crisis(answer).crisis:
        return []
    found: list[str] = []
    for clause, sentence_start in _candidate_clauses(answer):
        converted = _usable_clause(clause, sentence_start, standalone=standalone)
        if converted is None or converted in found or _touches_refused(converted, avoid):
            continue
        found.append(converted)
    return found


def _pick(clauses: Sequence[str], prefer: re.Pattern[str] | None = None) -> str:
    """A clause matching ``prefer`` if any, else the one with the most substance (first wins)."""
    if prefer is not None:
        for clause in clauses:
            if prefer.search(clause):
                return clause
    return max(clauses, key=lambda clause: (_substance(clause), -clauses.index(clause)))


def reflective_opener(
    answer: str,
    seed: int = 0,
    prefer: re.Pattern[str] | None = None,
    avoid: Sequence[str] = (),
) -> str | None:
    """A one-sentence simple reflection built from the person's own words, or None.

    ``prefer`` picks a clause matching a cue first, else the most substantial clause is used;
    clauses touching ``avoid`` (refused topics) are never used.
    """
    clauses = reflection_clauses(answer, avoid)
    if not clauses:
        return None
    template = OPENER_TEMPLATES[seed % len(OPENER_TEMPLATES)]
    return _fill(template, _pick(clauses, prefer))


def double_sided_reflection(
    answer: str, seed: int = 0, avoid: Sequence[str] = ()
) -> tuple[str, str, str] | None:
    """A reflection setting two contrasting things the person said side by side, or None.

    Only when one sentence of the answer joins two reflectable clauses with "but",
    "although", "though", "yet" or "whereas" ("It cost me a friendship, but I won't bend on
    safety."). Returns the sentence and the two clauses it holds.
    """
    if detect_crisis(answer).crisis:
        return None
    for sentence in split_sentences(_straight(answer)):
        parts = _CONTRAST.split(sentence.rstrip(".!?;:,").strip(), maxsplit=1)
        if len(parts) != 2:
            continue
        left = _usable_clause(_LEADING_FILLER.sub("", parts[0]).strip(), True)
        right = _usable_clause(parts[1].strip(), False, first_person=False)
        if left is None or right is None:
            continue
        if _touches_refused(left, avoid) or _touches_refused(right, avoid):
            continue
        template = DOUBLE_SIDED_TEMPLATES[seed % len(DOUBLE_SIDED_TEMPLATES)]
        text = template.format(left=left, right=right)
        return text[0].upper() + text[1:], left, right
    return None


# --------------------------------------------------------------------------------------------
# Refused topics
# --------------------------------------------------------------------------------------------

_STOPWORDS = word_set(
    """
    a an the and or but if then so of to in on at for from with about as by into over under
    is are was were be been being am do does did have has had can could would will should
    shall may might must i me my you your yours we our they them their he she it its this
    that these those what which who whom whose when where why how there here more most much
    many some any all each every other another such own same than too very just really also
    only ever never not no nor like make makes made well usually tend tends often something
    someone thing things way kind lot time times feel tell me now one s t
    """
)

# Questions about one of these topics share it: when the person declines one of them, the
# others are not asked either (declining "your earlier years" also declines "growing up").
TOPIC_FAMILIES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(?:earlier years|growing up|grew up|childhood|as a (?:child|kid)|early (?:in )?life|"
        r"older than you|young(?:er)? self|famil(?:y|ies)|parents?|people closest|"
        r"closest to you|people who matter|people around you|people you live with)\b",
        r"\b(?:work|working|job|jobs|career|colleagues?|coworkers?)\b",
        r"\b(?:mistakes?|regrets?|risks?|hardest|uncertain times?)\b",
        r"\b(?:money|financ\w*|income|spending)\b",
    )
)


def _stems(text: str) -> set[str]:
    stems = set()
    for word in re.findall(r"[a-z]+", text.lower().replace("'", "")):
        if word in _STOPWORDS or len(word) < 3:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        stems.add(word)
    return stems


# Words too common in reflections to make two clauses about the same thing.
_NOT_TOPICAL = word_set(
    """
    youre youve youd youll yourself people say says said tell told also want wanted like
    love get got going go keep kept know knew think thought need needed try trying year
    years day days week weeks good best big little lot always never still first last next
    everyone everybody nobody anyone someone whole part long new old right better
    """
)


def _topic_stems(text: str) -> set[str]:
    return {stem for stem in _stems(text) if stem not in _NOT_TOPICAL and len(stem) >= 4}


def _overlaps(first: str, second: str) -> bool:
    """Whether two clauses say much the same (half the words of the shorter one shared)."""
    a, b = _stems(first), _stems(second)
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= 0.5


def _touches_refused(text: str, refused: Sequence[str]) -> bool:
    """True when ``text`` echoes the wording or the topic of a declined question."""
    candidate = _stems(text)
    asked = question_sentence(text)
    for entry in refused:
        declined = question_sentence(entry)
        topic = _stems(declined)
        if topic:
            shared = topic & candidate
            if len(topic) <= 3 and shared:
                return True
            if len(shared) / len(topic) >= 0.5:
                return True
        for family in TOPIC_FAMILIES:
            if family.search(declined) and family.search(asked):
                return True
    return False


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------

PlanKind = Literal["baseline", "follow_up", "bank", "fallback"]


@dataclasses.dataclass(frozen=True)
class PlannedQuestion:
    """The planned turn, with where its question came from (for the stream's ``source``).

    ``opener`` holds the reflections that precede the question (one or two sentences).
    """

    text: str
    question: str
    kind: PlanKind
    cue: str | None = None
    opener: str | None = None

    @property
    def source(self) -> Literal["baseline", "builtin"]:
        return "baseline" if self.kind == "baseline" else "builtin"


def _cues_in(text: str, category: Category) -> list[str]:
    """The cues of ``category``'s follow-up table found in ``text``, by first position."""
    positions: list[tuple[int, str]] = []
    for cue in FOLLOW_UPS[category]:
        match = CUES[cue].search(text)
        if match is not None:
            positions.append((match.start(), cue))
    return [cue for _, cue in sorted(positions)]


def _candidates(
    request: QuestionRequest, has_opener: bool
) -> Iterator[tuple[PlanKind, str, str | None]]:
    category = request.category
    if request.baseline is not None:
        yield "baseline", request.baseline.prompt.strip(), None
    last = request.last_answered
    if last is not None and last.answer and not detect_crisis(last.answer).crisis:
        cues = _cues_in(last.answer, category)
        if last.category == category or cues:
            for cue in cues:
                yield "follow_up", FOLLOW_UPS[category][cue], cue
            if last.category == category and has_opener:
                for question in GENERIC_FOLLOW_UPS[category]:
                    yield "follow_up", question, None
    for question in BANK[category]:
        yield "bank", question, None
    for question in _invitations(category):
        yield "fallback", question, None


def _number(question_id: str) -> int | None:
    match = re.fullmatch(r"q(\d+)", question_id)
    return int(match.group(1)) if match else None


def _fill(template: str, clause: str) -> str:
    return template.format(clause=clause, Clause=clause[:1].upper() + clause[1:])


# A clause that ends by pointing elsewhere ("you've done two", "you still am"): not whole.
_ELLIPTICAL = re.compile(
    r"\b(?:one|two|three|four|five|it|that|this|them|some|any|too|so|either|neither|am|is|"
    r"are|was|were|do|did|have|has)$",
    re.IGNORECASE,
)
_NOUN_VERB = re.compile(r"^[a-z]{4,} (?:[a-z]+ly )?[a-z]{3,}(?<!ss)s\b")
# Said back, these read as advice ("You need to know ..."): not restated.
_DIRECTIVE = re.compile(r"\byou (?:need to|have to|should|must|ought to|had better)\b", re.I)


def _restatable(clause: str) -> bool:
    """A clause that reads as a whole sentence: the person as subject, or a finite verb."""
    if _DIRECTIVE.search(clause) or _ELLIPTICAL.search(clause):
        return False
    if _NOUN_VERB.match(clause):
        return True  # "honesty guides ...": a subject and a present-tense verb
    return bool(
        _SUBJECT_START.match(clause) or re.match(r"^you(?:r|'re|'ve|'d|'ll)?\b", clause)
    ) or (bool(_FINITE.search(clause)) and _substance(clause) >= _MIN_RESTATED_SUBSTANCE)


_NEGATED_CUE = re.compile(r"\b(?:not|never|no|n't|hardly)\W+(?:\w+\W+){0,2}$", re.IGNORECASE)
# A loss or a strain the person names; acknowledged, never repeated back.
_LOSS = re.compile(
    r"\b(?:passed away|died|death|funeral|lost (?:my|our|him|her|them|the baby)|losing (?:my|"
    r"our)|loss|grie(?:f|ving|ved)|bereave\w*|widow\w*)\b",
    re.IGNORECASE,
)
_STRAIN = re.compile(
    r"\b(?:stress(?:ed|ful)?|exhaust\w*|overwhelm\w*|burn(?:ed|t)[- ]out|worn out|"
    r"struggl\w+|hard (?:year|time|few (?:months|years)|stretch)|tough (?:year|time)|"
    r"rough (?:year|patch|time)|pressure|laid off|lost (?:my|the) job|divorce\w*|"
    r"break-?up|broke up|debt|money (?:was|is) tight|couldn'?t cope|too much)\b",
    re.IGNORECASE,
)


def acknowledgement(answer: str, seed: int) -> str | None:
    """A short acknowledgement when the answer names a loss or a strain, else None."""
    acks = _REFLECTIONS.acknowledgements
    for pattern, options in ((_LOSS, acks.loss), (_STRAIN, acks.strain)):
        for sentence in split_sentences(_straight(answer)):
            match = pattern.search(sentence)
            if match is None or not _FIRST_PERSON.search(sentence):
                continue
            before = sentence[: match.start()]
            if _NEGATED_CUE.search(before) or _SOMEONE_ELSE.search(before):
                continue  # "not stressed", "people who are exhausted": not the person's own
            return options[seed % len(options)]
    return None


_SOMEONE_ELSE = re.compile(
    r"\b(?:they|they're|he|he's|she|she's|people|others|everyone|someone|anyone|who)\b", re.I
)


def _short(text: str, limit: int = 9) -> str | None:
    """A phrase of at most ``limit`` words, cut at a phrase boundary; None if it cannot be."""
    words = text.split()
    if len(words) <= limit:
        return text
    for match in reversed(list(_BOUNDARY.finditer(text))):
        head = text[: match.start()].rstrip(" ,")
        if 2 <= len(head.split()) <= limit and not _DANGLING.search(head):
            return head
    return None


_OUR = re.compile(r"\b(we|our|ours|us|ourselves)\b", re.IGNORECASE)
_OUR_TO_YOUR = {"we": "you", "our": "your", "ours": "yours", "us": "you", "ourselves": "yourselves"}


def _phrase(text: str) -> str | None:
    """An extracted phrase in the second person, short and safe to say back, or None."""
    plain = _OUR.sub(lambda m: _OUR_TO_YOUR[m.group(1).lower()], _straight(text).strip())
    short = _short(second_person(plain.rstrip(".!?;:,")))
    if short is None or not safe_to_echo(short) or _OTHER_PERSON_THIRD.search(short):
        return None
    return short[:1].lower() + short[1:]


_OTHER_PERSON_THIRD = re.compile(r"\b(?:he|him|his|she|her|hers|they|them|their)\b", re.I)


def inferred_reflections(turn: Turn, config: InterviewConfig, seed: int) -> list[str]:
    """Complex reflections of one answer: the meaning, value or feeling behind it.

    Built from what the rule extractor understood in the answer (a value, a goal, a focus, a
    way of talking, a formative experience), then from cues (pride, worry, ...), in that order.
    """
    found: list[str] = []
    reflections = _REFLECTIONS

    def add(templates: Sequence[str], **fields: str) -> None:
        found.append(templates[seed % len(templates)].format(**fields))

    draft = extract_persona(ExtractionRequest("reflect", (turn,), config))
    kept = [item for item in draft.items() if item.sensitivity != "special_category"]
    for item in kept:
        if isinstance(item, ValueItem) and (value := _phrase(item.value)):
            add(reflections.value, value=value)
        elif isinstance(item, GoalItem) and (goal := _phrase(item.goal)):
            add(reflections.goal, goal=goal)
    for item in draft.current_focus:
        if item in kept and (focus := _phrase(item.text)):
            add(reflections.focus, focus=focus)
    tone = [t.text for t in draft.tone if t in kept and safe_to_echo(t.text)]
    if draft.verbosity is not None and safe_to_echo(draft.verbosity.text):
        tone.append(draft.verbosity.text)
    if tone:
        add(reflections.style, style=" and ".join(tone[:2]))
    if any(item in kept for item in draft.key_experiences):
        add(reflections.experience)
    for sentence in split_sentences(_straight(turn.answer or "")):
        # A feeling is only inferred from the person's own, unguarded words about themselves.
        if not _FIRST_PERSON.search(sentence) or not safe_to_echo(sentence, True):
            continue
        if re.search(r"\b(?:not|never|no)\b|n't\b", sentence, re.IGNORECASE):
            continue  # "I'm not always brave with my family": no feeling to read into it
        for cue, pattern in CUES.items():
            match = pattern.search(sentence)
            template = reflections.feeling.get(cue)
            if match is None or template is None or _NEGATED_CUE.search(sentence[: match.start()]):
                continue
            found.append(template)
    return list(dict.fromkeys(found))


class _Reflector:
    """Builds the reflections for one request: only what the person said, never twice.

    After a fresh answer (the previous question was answered, nothing set aside in between):
    an acknowledgement if the answer names a loss or a strain, then a restatement (or a
    double-sided reflection), then a complex reflection (:func:`inferred_reflections`, else a
    link to an earlier answer sharing a topic word); at most two reflections in a turn.
    After a skipped question, or one set aside for safety: no reflection.
    """

    def __init__(self, request: QuestionRequest) -> None:
        self.request = request
        self.seed = request.number
        self.avoid = request.refused_topics
        self.asked = " ".join(_straight(q).lower() for q in request.asked_questions)
        turns = request.turns
        previous = turns[-1] if turns else None
        current, before = _number(request.question_id), None
        if previous is not None:
            before = _number(previous.question_id)
        adjacent = current is None or before is None or before + 1 == current
        self.previous = previous
        self.fresh = (
            previous is not None
            and previous.answered
            and adjacent
            and not detect_crisis(previous.answer or "").crisis
        )
        self.answered = [turn for turn in turns if turn.answered and turn.answer]
        self._inferred: list[str] | None = None

    def _unused(self, clauses: Sequence[str], *also: str) -> list[str]:
        return [c for c in clauses if c.lower() not in self.asked and c not in also]

    def primary(
        self, cue: str | None, beside: str | None = None
    ) -> tuple[str, tuple[str, ...]] | None:
        """The restatement of the fresh answer and the clauses it holds.

        A clause saying much the same as ``beside`` (the complex reflection) is not used.
        """
        if not self.fresh or self.previous is None:
            return None
        answer = self.previous.answer or ""
        if cue is None:
            double = double_sided_reflection(answer, self.seed, self.avoid)
            if double is not None and not self._used(double[1], double[2]):
                return double[0], (double[1], double[2])
        clauses = [
            c for c in self._unused(reflection_clauses(answer, self.avoid)) if _restatable(c)
        ]
        if not clauses:
            return None
        chosen = _pick(clauses, CUES[cue] if cue is not None else None)
        template = OPENER_TEMPLATES[self.seed % len(OPENER_TEMPLATES)]
        return _fill(template, chosen), (chosen,)

    def _used(self, *clauses: str) -> bool:
        return any(clause.lower() in self.asked for clause in clauses)

    def inferred(self) -> str | None:
        """A complex reflection of the fresh answer's meaning, value or feeling."""
        if not self.fresh or self.previous is None:
            return None
        if self._inferred is None:  # extraction runs once per request, not once per candidate
            self._inferred = inferred_reflections(self.previous, self.request.config, self.seed)
        for text in self._inferred:
            if text.lower() not in self.asked and not _touches_refused(text, self.avoid):
                return text
        return None

    def link(self, taken: Sequence[str]) -> str | None:
        """A link from the fresh answer to an earlier one sharing a topic word."""
        if not self.fresh or self.previous is None:
            return None
        fresh = _topic_stems(self.previous.answer or "")
        for turn in reversed(self.answered):
            if turn is self.previous:
                continue
            clauses = self._unused(
                reflection_clauses(turn.answer or "", self.avoid, standalone=True), *taken
            )
            shared = [c for c in clauses if _topic_stems(c) & fresh and _restatable(c)]
            if shared:
                return LINK_TEMPLATES[self.seed % len(LINK_TEMPLATES)].format(clause=_pick(shared))
        return None

    def options(self, cue: str | None, refers_back: bool) -> list[str]:
        """Reflection texts to try before the question, fullest first."""
        if not self.fresh or self.previous is None:
            return []
        ack = acknowledgement(self.previous.answer or "", self.seed)
        deeper = self.inferred()
        primary = self.primary(cue, deeper)
        text, taken = primary if primary is not None else (None, ())
        if ack is not None:
            # The acknowledgement stands in for a restatement: the loss is not repeated back.
            parts = [ack, deeper] if deeper else [ack]
        elif text is None:
            # Nothing to restate: the meaning, then how it ties to something said before.
            parts = [part for part in (deeper, self.link(())) if part]
        else:
            deeper = deeper or self.link(taken)
            parts = [part for part in (text, deeper) if part]
            if refers_back and deeper is not None:
                parts = [deeper, text]  # "that" in the question points at the restatement
        if not parts:
            return []
        full = " ".join(parts)
        return list(dict.fromkeys([full, *parts[:1]]))


def plan_question(request: QuestionRequest) -> PlannedQuestion:
    """Choose the next question for ``request`` (see the module docstring). Pure."""
    asked = request.asked_questions
    refused = request.refused_topics
    reflective = request.config.interviewing_techniques.reflective_listening
    reflector = _Reflector(request) if reflective else None
    has_primary = reflector is not None and bool(reflector.options(None, refers_back=True))
    for kind, question, cue in _candidates(request, has_primary):
        if check_question(question, asked) or _touches_refused(question, refused):
            continue
        generic = kind == "follow_up" and cue is None
        options = reflector.options(cue, refers_back=generic) if reflector is not None else []
        for opener in options:
            text = f"{opener} {question}"
            if not check_question(text, asked):
                return PlannedQuestion(text, question, kind, cue, opener)
        if generic:
            continue  # a generic follow-up needs its reflection
        return PlannedQuestion(question, question, kind, cue)
    question = fallback_question(request.category, asked)
    return PlannedQuestion(question, question, "fallback")


def plan_builtin_question(request: QuestionRequest) -> str:
    """The next question's full text (reflections included). Pure and deterministic."""
    return plan_question(request).text


def fallback_question(category: Category, asked: Sequence[str]) -> str:
    """A safe bank question for ``category`` not asked yet, else a generic open invitation.

    The result passes ``check_question(result, asked)`` unless every bank question and every
    generic invitation has been asked already (then the first invitation is returned).
    """
    for question in BANK[category]:
        if not check_question(question, asked):
            return question
    invitations = list(_invitations(category))
    for question in invitations:
        if not check_question(question, asked):
            return question
    return invitations[0]
