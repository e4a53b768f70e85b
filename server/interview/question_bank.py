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

**Reflections** precede the question (see :class:`_Reflector`); they only ever use the
person's own words, in the second person. A reflectable clause is first-person, 3-14 words
(a longer one is cut at a phrase boundary, never reworded), holds no capitalised name (a name
right after a role is left out: "your grandfather taught you ..."), no special-category or
crisis content, no refusal, nothing that looks like an instruction, no remark about the
conversation itself ("that's a good question"), and is not a conditional main clause without
its condition. After a fresh answer the turn opens with a simple reflection of its most
substantial clause, or a double-sided one when the answer holds a contrast ("On the one hand
..., and on the other ..."); a second reflection may follow: a link to an earlier answer
sharing a word, a collecting summary ("So far you've told me that ..., and that ..."), a
bridge to an earlier answer in the category now asked, or a second clause of the same answer.
After a skip the turn opens with a summary; after a question set aside for safety, with no
reflection. A clause reflected once is not reflected again (a summary may gather it once).
With ``interviewingTechniques.reflectiveListening`` off there are never reflections.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from typing import Literal

from server.config import Category
from server.interview.crisis import detect_crisis
from server.interview.model import QuestionRequest, Turn
from server.interview.question_lint import check_question, question_sentence
from server.interview.sensitive import looks_like_instruction, special_categories
from server.interview.text import has_name, split_sentences, without_named_relations


def _words(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(text.split())


# --------------------------------------------------------------------------------------------
# The bank
# --------------------------------------------------------------------------------------------

BANK: dict[Category, tuple[str, ...]] = {
    "values": (
        "What matters most to you when you have to make a hard choice?",
        "Which principle would you hold on to even if it made your life less convenient?",
        "How do you tell when something is the right thing for you to do?",
        "What qualities in other people earn your deepest respect?",
        "When you feel proud of how you handled something, what were you honouring?",
        "What would you never want to compromise on, whatever the situation?",
        "How have the things you care about changed over the years?",
        "What does a good life look like to you?",
        "Which lessons you learned early in life do you still live by?",
        "Where do you draw the line between being flexible and standing firm?",
    ),
    "goals": (
        "What would you like to be different in your life a few months from now?",
        "What is one thing you are working toward that genuinely excites you?",
        "What would make the coming year feel well spent to you?",
        "What is a goal you have set aside for now that you would like to return to someday?",
        "What skills would you like to build over the next few years?",
        "How do you usually decide which goals deserve your time?",
        "What tends to get in the way when you move toward something you want?",
        "What kind of support helps you most when you are chasing a goal?",
        "When you picture an ordinary day five years from now, what are you doing?",
        "What would you like to look back on with satisfaction later in life?",
    ),
    "style": (
        "What makes feedback land well for you?",
        "How do you tend to handle disagreements with people you work or live with?",
        "What kind of conversations leave you feeling energized?",
        "When you explain something to someone, how do you usually go about it?",
        "How would you describe your sense of humor?",
        "What do you do when you need to think something through on your own?",
        "How do you prefer to stay in touch with the people who matter to you?",
        "What tends to frustrate you in the way others communicate?",
        "How do you make decisions when you have very little time?",
        "In a group, what role do you tend to take on?",
        "How much detail do you like to give when you talk about your plans?",
    ),
    "biography": (
        "What is a moment from your earlier years that still shapes how you see things?",
        "Which turning point in your life changed your direction the most?",
        "What did someone older than you teach you that has stayed with you?",
        "What challenge are you proudest of having come through?",
        "How did you end up doing the kind of work or activities you do now?",
        "When in your life did you feel most like yourself?",
        "What is a risk you took that taught you something about yourself?",
        "What did growing up teach you about how you want to live?",
        "Which experience would a friend need to hear about to really understand you?",
        "What is a mistake you learned a lot from?",
    ),
    "current_focus": (
        "What are you spending most of your free time on lately?",
        "What project or activity is on your mind most this month?",
        "What are you learning or trying to get better at right now?",
        "What does a typical week look like for you at the moment?",
        "What is something you are looking forward to in the coming weeks?",
        "What have you been curious about recently?",
        "Which of your current commitments feels most meaningful to you?",
        "What are you trying to make more room for in your days right now?",
        "What would you like to get done before the end of this season?",
        "What is a recent small win you have enjoyed?",
    ),
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
    "values": {
        "people": "What have the people closest to you taught you about what matters?",
        "work": "How do the things you care about show up in the way you work?",
        "worry": "When something worries you, what does it tell you about what you want to "
        "protect?",
        "pride": "What does the thing you feel proud of say about what you value?",
        "change": "Through the changes you have lived through, what has stayed constant in what "
        "you care about?",
        "learning": "What does learning give you that matters to you?",
        "conflict": "When you find yourself in a disagreement, what are you usually standing up "
        "for?",
        "helping": "What makes helping others feel worthwhile to you?",
        "creativity": "What does making things give you that feels important?",
    },
    "goals": {
        "people": "How do the people around you fit into what you are hoping for next?",
        "work": "Where would you like your work to take you over the next few years?",
        "worry": "What would help you feel steadier as you move toward what you want?",
        "pride": "What would you like to build on from what you have already achieved?",
        "change": "With the changes you described, what would you like to make possible next?",
        "learning": "What would you most like to learn or master in the next year or two?",
        "time": "If you had a little more room in your week, what would you put it toward?",
        "creativity": "Where would you like to take your creative side from here?",
        "helping": "How would you like to be helping others a few years from now?",
    },
    "style": {
        "people": "How does the way you talk with the people closest to you differ from how you "
        "talk with everyone else?",
        "work": "How would the people you work with describe working with you?",
        "conflict": "When a disagreement heats up, what do you usually do first?",
        "worry": "How does the way you talk change when you are under pressure?",
        "learning": "What is your favourite way to take in a new idea?",
        "helping": "When someone comes to you for help, how do you usually respond?",
        "time": "How do you keep your conversations and messages manageable when things get busy?",
        "creativity": "How does your creative side show up in the way you express yourself?",
    },
    "biography": {
        "people": "How have the people you mentioned shaped the person you are now?",
        "work": "What first drew you toward the kind of work you do?",
        "change": "What did that period of change teach you about yourself?",
        "place": "What did the places you have lived in add to who you are?",
        "pride": "What did it take for you to get to that achievement?",
        "worry": "Looking back, what helped you get through uncertain times?",
        "learning": "What from your early learning has stayed with you the longest?",
        "conflict": "How has a past disagreement shaped the way you handle conflict now?",
    },
    "current_focus": {
        "work": "What part of your work is taking most of your attention right now?",
        "learning": "What are you hoping to get out of what you are learning at the moment?",
        "creativity": "What are you making or working on creatively these days?",
        "people": "How are you making time for the people who matter to you these days?",
        "time": "What helps you decide what gets your attention when everything feels urgent?",
        "helping": "Where are you putting your energy to help others at the moment?",
        "change": "What are you adjusting to in your life right now?",
        "pride": "What are you building on at the moment from what went well recently?",
    },
}

# Same-category deepening follow-ups: only used right after a reflective opener.
GENERIC_FOLLOW_UPS: dict[Category, tuple[str, ...]] = {
    "values": (
        "What makes that so important to you?",
        "How does that show up in your everyday choices?",
    ),
    "goals": (
        "What would be a first small step toward that?",
        "What would it mean to you to get there?",
    ),
    "style": (
        "How do you think others experience that side of you?",
        "Where did you pick up that way of doing things?",
    ),
    "biography": (
        "How did that experience change you?",
        "What do you understand about that time now that you did not then?",
    ),
    "current_focus": (
        "What is the next step for that?",
        "What makes that feel like the right focus for now?",
    ),
}

_TOPIC: dict[Category, str] = {
    "values": "what matters to you",
    "goals": "what you are hoping for",
    "style": "the way you communicate",
    "biography": "your story so far",
    "current_focus": "what is on your plate these days",
}
_INVITATIONS: tuple[str, ...] = (
    "What else would you like me to understand about {topic}?",
    "What comes to mind now when you think about {topic}?",
    "Which part of {topic} have we not touched on yet?",
    "What would help someone understand {topic} a little better?",
)
_ANGLES: tuple[str, ...] = (
    "at work",
    "with the people around you",
    "in quiet moments",
    "over the past few years",
    "when things get hard",
    "on an ordinary day",
    "when you feel most alive",
    "looking ahead",
    "compared with a decade ago",
    "in small everyday decisions",
    "after a long week",
    "during big changes",
)

OPENER_TEMPLATES: tuple[str, ...] = (
    "You mentioned that {clause}.",
    "It sounds like {clause}.",
    "You said {clause}.",
    "So {clause}.",
    "If I followed you, {clause}.",
    "I'm hearing that {clause}.",
)


def bank_questions(category: Category) -> tuple[str, ...]:
    return BANK[category]


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
    r"(?:like|as) i (?:said|mentioned)|like|basically|i mean)\b[,\s]*)+",
    re.IGNORECASE,
)
_BAD_START = _words(
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
_PRONOUNS = re.compile(
    r"\b(i'm|i've|i'd|i'll|i am|i wasn't|i was|i|me|my|mine|myself)\b", re.IGNORECASE
)
_SECOND_PERSON = {
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "i am": "you are",
    "i was": "you were",
    "i wasn't": "you weren't",
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
}
_CONTRAST = re.compile(r"\s*,?\s+(?:but|although|though|yet|even though|whereas)\s+", re.IGNORECASE)

# A double-sided reflection sets two things the person said side by side; a linking summary
# connects the last answer with an earlier one. Both only ever hold the person's own clauses.
DOUBLE_SIDED_TEMPLATES: tuple[str, ...] = (
    "On the one hand {left}, and on the other {right}.",
    "{left}, and at the same time {right}.",
)
LINK_TEMPLATES: tuple[str, ...] = (
    "That ties in with something you said earlier: {clause}.",
    "That connects with what you said before, that {clause}.",
)
BRIDGE_TEMPLATES: tuple[str, ...] = (
    "Earlier you said {clause}.",
    "Earlier you mentioned that {clause}.",
)
ALSO_TEMPLATE = "You also said {clause}."
SUMMARY_TEMPLATE = "So far you've told me that {first}, and that {second}."
_GATHERING_STARTS = ("So far you've told me", "That ties in with", "That connects with")
SUMMARY_EVERY = 2


def _to_second_person(clause: str) -> str:
    return _PRONOUNS.sub(lambda match: _SECOND_PERSON[match.group(1).lower()], clause)


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


def _candidate_clauses(answer: str) -> Iterator[tuple[str, bool]]:
    """Clauses of the answer, each with whether it starts a sentence; whole sentences first.

    Names after a relation word are left out ("my grandfather Kofi" -> "my grandfather");
    a long clause is cut at a phrase boundary, keeping the person's words in their order.
    """
    for sentence in split_sentences(without_named_relations(_straight(answer))):
        sentence = sentence.rstrip(".!?;:,").strip()
        yield _head(sentence), True
        parts = re.split(r"\s*[,;:\u2014\u2013]\s*|\s+-\s+|\s+(?:but|because|so)\s+", sentence)
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


def _usable_clause(
    clause: str, sentence_start: bool, first_person: bool = True, standalone: bool = False
) -> str | None:
    """The clause in the second person, or None when it must not be reflected back.

    ``standalone`` clauses are reflected away from their answer (in a summary), so they must
    not lean on the sentence around them ("it taught me that ...").
    """
    stripped = _LEADING_FILLER.sub("", clause).strip()
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
    if special_categories(stripped) or detect_crisis(stripped).crisis:
        return None
    if _substance(stripped) < 2:
        return None
    if _FRAGMENT.match(stripped) and not _FINITE.search(stripped):
        return None
    if standalone and _ANAPHORA.search(stripped):
        return None
    converted = _to_second_person(stripped)
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
    return template.format(clause=_pick(clauses, prefer))


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

_STOPWORDS = _words(
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
_NOT_TOPICAL = _words(
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


class _Reflector:
    """Builds the reflections for one request: only the person's own clauses, never twice.

    * After a fresh answer (the previous question was answered): a double-sided reflection
      when the answer holds a contrast, else a simple reflection of its most substantial
      clause (or of one matching the follow-up's cue). Then, unless the question refers back
      with "that", one more reflection: a *link* to an earlier clause sharing a word with the
      fresh answer ("That ties in with something you said earlier: ..."); else, every second
      question, a *collecting summary* of two earlier answers; else a *bridge* to an earlier
      clause about the category now asked ("Earlier you said ..."); else a second clause of
      the fresh answer ("You also said ...").
    * After a skipped question: a collecting summary of two earlier answers, if there are two
      clauses not reflected yet; the declined topic is never touched.
    * After a question set aside for safety (it is missing from the turns): no reflection.
    * A clause already reflected in an earlier question is not reflected again.
    """

    def __init__(self, request: QuestionRequest) -> None:
        self.request = request
        self.seed = request.number
        self.avoid = request.refused_topics
        self.asked = " ".join(_straight(q).lower() for q in request.asked_questions)
        # What earlier summaries and links gathered: a summary may repeat a clause that was
        # reflected once, but not one an earlier summary already gathered.
        self.gathered = " ".join(
            sentence.lower()
            for question in request.asked_questions
            for sentence in split_sentences(_straight(question))
            if sentence.startswith(_GATHERING_STARTS)
        )
        turns = request.turns
        previous = turns[-1] if turns else None
        current, before = _number(request.question_id), None
        if previous is not None:
            before = _number(previous.question_id)
        adjacent = current is None or before is None or before + 1 == current
        self.previous = previous
        self.fresh = previous is not None and previous.answered and adjacent
        self.after_skip = previous is not None and previous.skipped and adjacent
        self.answered = [turn for turn in turns if turn.answered and turn.answer]

    def _unused(self, clauses: Sequence[str], *also: str) -> list[str]:
        return [c for c in clauses if c.lower() not in self.asked and c not in also]

    def primary(self, cue: str | None) -> tuple[str, tuple[str, ...]] | None:
        """The reflection of the fresh answer and the clauses it holds."""
        if not self.fresh or self.previous is None:
            return None
        answer = self.previous.answer or ""
        if cue is None:
            double = double_sided_reflection(answer, self.seed, self.avoid)
            if double is not None and not self._used(double[1], double[2]):
                return double[0], (double[1], double[2])
        clauses = self._unused(reflection_clauses(answer, self.avoid))
        if not clauses:
            return None
        chosen = _pick(clauses, CUES[cue] if cue is not None else None)
        template = OPENER_TEMPLATES[self.seed % len(OPENER_TEMPLATES)]
        return template.format(clause=chosen), (chosen,)

    def _used(self, *clauses: str) -> bool:
        return any(clause.lower() in self.asked for clause in clauses)

    def _standalone(self, turn: Turn) -> list[str]:
        return reflection_clauses(turn.answer or "", self.avoid, standalone=True)

    def _earlier(self) -> list[Turn]:
        return [turn for turn in reversed(self.answered) if turn is not self.previous]

    def second(self, taken: Sequence[str]) -> str | None:
        """The reflection after the primary one: a link, a summary or a bridge (or None)."""
        fresh = _topic_stems(" ".join(taken))
        for turn in self._earlier():
            clauses = self._unused(self._standalone(turn), *taken)
            shared = [clause for clause in clauses if _topic_stems(clause) & fresh]
            if shared:
                template = LINK_TEMPLATES[self.seed % len(LINK_TEMPLATES)]
                return template.format(clause=_pick(shared))
        if self.seed % SUMMARY_EVERY == 0:
            summary = self.summary(self._earlier(), taken)
            if summary is not None:
                return summary
        for turn in self._earlier():
            if turn.category != self.request.category:
                continue
            clauses = self._unused(self._standalone(turn), *taken)
            if clauses:
                template = BRIDGE_TEMPLATES[self.seed % len(BRIDGE_TEMPLATES)]
                return template.format(clause=_pick(clauses))
        answer = self.previous.answer if self.previous is not None else None
        also = [
            clause
            for clause in self._unused(reflection_clauses(answer or "", self.avoid), *taken)
            if not any(_overlaps(clause, earlier) for earlier in taken)
        ]
        if also:
            return ALSO_TEMPLATE.format(clause=_pick(also))
        return None

    def summary(self, turns: Sequence[Turn], taken: Sequence[str] = ()) -> str | None:
        """A collecting summary of two of ``turns`` (most recent first)."""
        picked: list[str] = []
        for turn in turns:
            candidates = [
                clause
                for clause in self._standalone(turn)
                if clause.lower() not in self.gathered
                and clause not in picked
                and not any(_overlaps(clause, other) for other in taken)
            ]
            # Prefer what has not been reflected yet; a reflected clause may be gathered once.
            clauses = self._unused(candidates) or candidates
            if clauses:
                picked.append(_pick(clauses))
            if len(picked) == 2:
                return SUMMARY_TEMPLATE.format(first=picked[1], second=picked[0])
        return None

    def options(self, cue: str | None, refers_back: bool) -> list[str]:
        """Reflection texts to try before the question, fullest first."""
        if self.after_skip:
            summary = self.summary(list(reversed(self.answered)))
            return [summary] if summary else []
        primary = self.primary(cue)
        if primary is None:
            return []
        text, taken = primary
        second = None if refers_back else self.second(taken)
        return [f"{text} {second}", text] if second else [text]


def plan_question(request: QuestionRequest) -> PlannedQuestion:
    """Choose the next question for ``request`` (see the module docstring). Pure."""
    asked = request.asked_questions
    refused = request.refused_topics
    reflective = request.config.interviewing_techniques.reflective_listening
    reflector = _Reflector(request) if reflective else None
    has_primary = reflector is not None and reflector.primary(None) is not None
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
