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

from server.config import Category
from server.interview.grammar import (
    as_gerund_phrase,
    has_noun_reading,
    is_activity_verb,
    is_base_verb,
    is_gerund,
    is_past_verb,
    verb_lemma,
)
from server.interview.model import ExtractionRequest, Turn
from server.interview.safety import (
    detect_crisis,
    has_name,
    looks_like_instruction,
    name_spans,
    sensitivity_of,
    special_categories,
    without_named_relations,
)
from server.persona.draft import (
    GoalHorizon,
    GoalItem,
    HeldBackClause,
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


_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|near|around|across|through|outside|at|all over)|"
    r"\b(?:move|moved|moving|came|come|coming|went|go|going|back|flew|fly|emigrated|"
    r"travel(?:l?ed)?|drove|relocated|returned|trip|way|road|over|up|down) (?:to|from)|"
    r"\bfrom)(?: the)?\s+$",
    re.IGNORECASE,
)
_CALENDAR = re.compile(
    r"^(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?|January|February|March|April|May|June|"
    r"July|August|September|October|November|December|Easter|Christmas|New Year)$"
)


def _person_spans(text: str, sentence_start: bool = False) -> list[tuple[int, int]]:
    """Words that look like a person's name: capitalised, but not a weekday, month, language
    or people; not a verb opening the sentence ("Came to Australia"); not the object of a
    place preposition ("to Toronto", "in Soweto") or of "the" ("the whole Camino"), nor a
    capitalised word right after such a place word ("the Royal Infirmary")."""
    spans = []
    previous_end = -1
    previous_place = False
    for start, end in name_spans(text, sentence_start):
        word = text[start:end]
        if _CALENDAR.match(word) or word in _LANGUAGES_AND_PEOPLES or len(word) == 1:
            continue  # a weekday, a language, "plan B": not a person
        if start == 0 and sentence_start and _verb_opening(word):
            continue
        joined = previous_place and text[previous_end:start].strip() == ""
        if joined or _names_a_place(text[:start]):
            previous_end, previous_place = end, True
            continue
        previous_place = False
        spans.append((start, end))
    return spans


def _verb_opening(word: str) -> bool:
    """ "Came ...", "Learning ...", "Learn ...": a sentence opened by a verb, not a name."""
    if is_past_verb(word) or is_gerund(word):
        return True
    return is_base_verb(word) and not has_noun_reading(word)


def _names_a_place(before: str) -> bool:
    if _PLACE_BEFORE.search(before):
        return True
    determined = _DETERMINED.search(before)
    return determined is not None and not set(determined.group("between").split()) & _PERSON_NOUNS


# Capitalised words that name a language, a people or a nationality, not a person.
_LANGUAGES_AND_PEOPLES = _words(
    """
    English British Irish Scottish Welsh American Canadian Australian Kiwi French German Dutch
    Spanish Portuguese Italian Greek Polish Czech Slovak Hungarian Romanian Bulgarian Serbian
    Croatian Ukrainian Russian Swedish Norwegian Danish Finnish Icelandic Turkish Arabic
    Persian Farsi Hebrew Hindi Urdu Punjabi Bengali Tamil Telugu Gujarati Marathi Nepali
    Sinhala Chinese Mandarin Cantonese Japanese Korean Vietnamese Thai Filipino Tagalog
    Indonesian Malay Swahili Yoruba Igbo Hausa Amharic Somali Zulu Xhosa Afrikaans Mexican
    Brazilian Argentinian Chilean Colombian Peruvian Cuban Jamaican Nigerian Ghanaian Kenyan
    Ethiopian Egyptian Moroccan Lebanese Syrian Iranian Iraqi Pakistani Indian Bangladeshi
    European African Asian Latin Catalan Basque Galician Gaelic Maori
    """
)
_DETERMINED = re.compile(r"\bthe(?P<between>(?: [a-z][a-z'\-]*){0,2})\s+$")
# "the singer Sam", "the new guy Ali": a person after all.
_PERSON_NOUNS = _words(
    """
    singer drummer guitarist player teacher boss manager friend neighbour neighbor doctor nurse
    guy man woman girl boy kid lad lady colleague coach uncle aunt cousin mother father mum mom
    dad brother sister son daughter wife husband partner grandmother grandfather chef owner
    landlord tutor mentor pastor priest student apprentice customer client person
    """
)


_NAMED_GROUP = re.compile(
    r"\b((?i:(?:my|our|his|her|their) (?:[a-z]+ )?(?:grandchildren|grandkids|children|kids|"
    r"sons|daughters|twins|parents|friends|colleagues|neighbou?rs|brothers|sisters|cousins|"
    r"nieces|nephews|boys|girls)))"
    r"((?:,? (?:and )?[A-Z][a-z'\-]+)+)"
)


def _without_people_named(text: str) -> str:
    """Keep the role, drop the names: "my grandfather Kofi" -> "my grandfather", "my
    grandchildren Ana and Leo" -> "my grandchildren"."""
    return _NAMED_GROUP.sub(lambda match: match.group(1), without_named_relations(text))


def _nested_matches(pattern: re.Pattern[str], text: str, group: str) -> Iterator[re.Match[str]]:
    """Every match, including one inside the previous match's ``group`` ("I want to sail,
    and someday I'd like to open a bakery": two goals)."""
    position = 0
    while (match := pattern.search(text, position)) is not None:
        yield match
        position = max(match.start(group), match.start() + 1)


def _has_name(text: str, sentence_start: bool = False) -> bool:
    """A person's name (places, weekdays and months are not people)."""
    return bool(_person_spans(text, sentence_start))


def _redact(sentence: str) -> str:
    spans = _person_spans(sentence, sentence_start=True)
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
    r"^(?:(?:and so is|so is|and|but|so|well|also|honestly|really|actually|basically|yeah|yes|"
    r"oh|um|uh|ok|okay|"
    r"i think|i guess|i suppose|i'd say|probably|definitely|like i said|as i said|"
    r"like i mentioned|as i mentioned)\b[,\s]*)+",
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


_TRAILING_FILLER = re.compile(
    r"(?:\s+(?:lol|haha|ha|finally|for real|really|though|too|anyway|i guess|i think|"
    r"i suppose|maybe|probably|if i can|if possible|hopefully))+$",
    re.IGNORECASE,
)
# Where a long clause can be cut without breaking a phrase: before these words.
_CUT_BEFORE = _words(
    """
    in on at for with from by during after before until about over into through when while
    and so because as without like than every each
    """
)


def _shorten(words: list[str], max_words: int) -> list[str]:
    """The clause cut at the last phrase boundary that leaves at most ``max_words`` words."""
    if len(words) <= max_words:
        return words
    for cut in range(max_words, 2, -1):
        if words[cut].lower() in _CUT_BEFORE:
            return words[:cut]
    return words[:max_words]


def _common_word(word: str) -> bool:
    """A dictionary word in the plural or with no name reading ("Kids", "Tickets")."""
    lowered = word.lower()
    return lowered.endswith("s") and has_noun_reading(lowered) and not lowered.endswith("'s")


def _clean_clause(clause: str, max_words: int) -> str | None:
    clause = re.split(
        r"\s*[,;:\u2014\u2013(]\s*|\s+-\s+|\s+(?:because|since|so that|so i|but|although|though|"
        r"which|while|whereas|unless|as long as|who|where|if)\s+"
        r"|\s+and (?=(?i:it|it's|that|that's|this|i|i'm|i've|they|so|then|now)\b)",
        clause.strip(),
        maxsplit=1,
    )[0]
    clause = _LEADING_WORDS.sub("", clause).strip().strip("\"'").rstrip(".!?,;: ")
    clause = _TRAILING_FILLER.sub("", clause).strip()
    words = _shorten(clause.split(), max_words)
    if words and words[0][0].isupper() and words[0] != "I":
        head = words[0]
        if is_base_verb(head) or is_gerund(head) or is_past_verb(head) or _common_word(head):
            words[0] = head[0].lower() + head[1:]  # "Learn to drive" -> "learn to drive"
    clause = " ".join(words).rstrip(".!?,;: ")
    if not words:
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


_CLAUSE_STARTS = _words("when while because after before since until as where who which")
_CLAUSES = re.compile(r"\s*(?:[,;:\u2014\u2013]|\s-\s)\s*")


def _special_clause(sentence: str) -> str | None:
    """The first clause of ``sentence`` that touches a special category, if any."""
    for clause in _CLAUSES.split(sentence):
        if special_categories(clause):
            return clause.strip().rstrip(".!?")
    return None


def _without_special_words(text: str) -> str | None:
    """``text`` minus a special-category modifier ("the church food pantry" -> "the food
    pantry"), or None when that would not leave a clean item."""
    words = text.split()
    for index, word in enumerate(words):
        if special_categories(word):
            after = words[index + 1].lower().strip(",.") if index + 1 < len(words) else ""
            modifier = bool(after) and after not in _FUNCTION_WORDS | _CLAUSE_STARTS
            modifier = modifier and not special_categories(after)
            if not modifier or (index and words[index - 1].lower() in {"a", "an"}):
                return None  # "saw a therapist", "treated for X": the clause is the item
    kept = [word for word in words if not special_categories(word)]
    if len(kept) == len(words) or len(_content_words(" ".join(kept))) < 2:
        return None
    cleaned = " ".join(kept)
    return None if special_categories(cleaned) else cleaned


class _Collector:
    def __init__(self) -> None:
        self.sections: dict[str, dict[str, _Found]] = {}
        self.denied_values: set[str] = set()
        self.held_back: dict[tuple[str, str, str], HeldBackClause] = {}

    def hold_back(self, section: str, item: str, clause: str, qid: str) -> None:
        key = (section, item.lower(), clause.lower())
        if key not in self.held_back:
            self.held_back[key] = HeldBackClause(
                section=section,
                item=item,
                clause=clause[:500],
                categories=special_categories(clause) or ("special category",),
                evidence=(qid,),
            )

    def add_item(
        self,
        section: str,
        field: str,
        fields: dict[str, Any],
        qid: str,
        confidence: float,
        source_text: str,
    ) -> None:
        """Add an item whose main text is ``fields[field]``, holding back only the
        special-category clause or word of its source sentence, not the whole item."""
        text = str(fields[field])
        if special_categories(text):
            cleaned = _without_special_words(text)
            if cleaned is None:
                self.add(section, text.lower(), fields, qid, confidence, source_text)
                return
            removed = " ".join(w for w in text.split() if special_categories(w))
            self.hold_back(section, cleaned, removed, qid)
            fields = {**fields, field: cleaned}
            self.add(section, cleaned.lower(), fields, qid, confidence, cleaned)
            return
        clause = _special_clause(source_text)
        if clause is not None:
            self.hold_back(section, text, clause, qid)
        self.add(section, text.lower(), fields, qid, confidence, text)

    def add(
        self,
        section: str,
        key: str,
        fields: dict[str, Any],
        qid: str,
        confidence: float,
        source_text: str,
    ) -> None:
        item_text = " ".join(map(str, fields.values()))
        sensitivity = sensitivity_of(item_text)
        if sensitivity == "none" and sensitivity_of(source_text) == "personal":
            sensitivity = "personal"
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
    "honesty": r"honesty|honest|truthful(?:ness)?|telling the truth|the truth|truth|"
    r"transparen(?:cy|t)|candou?r",
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
    "compassion": r"compassion|compassionate|empathy|empathetic|empathic|"
    r"(?:taking|take) care of (?:people|others)|caring for (?:people|others)|"
    r"looking after (?:people|others)",
    "security": r"security|stability|financial stability",
    "respect": r"respect|respectful|respecting|dignity",
    "humility": r"humility|humble|modesty",
    "responsibility": r"responsibility|accountability|accountable|reliability|reliable|"
    r"dependab(?:le|ility)",
    "hard work": r"hard work|work ethic|diligence|diligent|hard[- ]working|a day's work",
    "education": r"education",
    "thrift": r"thrift|thrifty|frugal(?:ity)?|never (?:threw|throw|wasted?) (?:anything|a thing)",
    "punctuality": r"punctuality|punctual|being on time",
    "generosity": r"generosity|generous|giving back",
    "community": r"community|belonging|neighbou?rhood|helping (?:your|my|our|the) neighbou?rs",
    "friendship": r"friendships?",
    "authenticity": r"authenticity|authentic|being true to myself|true to myself|"
    r"being myself|being real|keeping it real",
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
    r"care (?:deeply |a lot |most |so much )?about|cares about|"
    r"believ(?:e|es|ing) (?:strongly |firmly |deeply |very much )?in|"
    r"(?:the )?big (?:one|thing) for me|big with me|(?:a )?big deal (?:to|for) me|huge for me|"
    r"something i take seriously|put (?:my |the )?\w+ first|"
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


_HEDGES = frozenset(
    {"if", "whether", "unsure", "doubt", "wonder", "used", "whatever"}
    # Someone else's words: "my sister says I should ...", "he told me to ..."
    | {"says", "said", "thinks", "told", "tells", "reckons", "wants"}
)


def _negated_before(text: str, start: int, window: int = 4) -> bool:
    before = re.split(r"[,;:]|\bbut\b", text[:start])[-1]
    words = re.findall(r"[a-z']+", before.lower())[-window:]
    return any(word in _NEGATION_WORDS or word.endswith("n't") for word in words)


def _hedged_before(text: str, start: int) -> bool:
    """Negated or hedged ("I don't know if I want to ...", "I used to love ...")."""
    before = re.split(r"[,;:]|\bbut\b", text[:start])[-1]
    words = re.findall(r"[a-z']+", before.lower())[-4:]
    return _negated_before(text, start) or any(word in _HEDGES for word in words)


def _extract_values(sentence: str, turn: Turn, out: _Collector, following: str = "") -> None:
    text = _FILLER_PHRASES.sub(" ", sentence)
    hits: list[tuple[int, str]] = []
    for name, pattern in _VALUE_TERMS:
        for match in pattern.finditer(text):
            if not _negated_before(text, match.start()):
                hits.append((match.start(), name))
                break
    if not hits:
        _extract_named_value(text, sentence, following, turn, out)
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
    elif turn.category == "values" and (_is_value_list(text) or _opens_with_value(text)):
        # "Thrift, I suppose." / "Respect for elders, this is how I was raised."
        if not _is_value_list(text):
            names = names[:1]
        confidence = 0.7
    else:
        return
    priority = 1 if len(names) == 1 and _TOP_PRIORITY.search(text) else None
    description = _describe(sentence, following)
    for name in names:
        fields: dict[str, Any] = {"value": name, "description": description}
        if priority is not None:
            fields["priority"] = priority
        out.add_item("values", "value", fields, turn.question_id, confidence, sentence)


# A value in the person's own words, when no lexicon term names it: "What matters most to me
# is being useful", "I value a quiet mind", "Showing up for people is important to me".
_NAMED_VALUE = re.compile(
    r"\bwhat (?:matters|counts|i value) (?:most |the most )?(?:to me )?(?:is|are) "
    r"(?P<after>[^.;!?]+)"
    r"|\bi (?:really |deeply |truly |most )?(?:value|cherish|treasure) (?P<after2>[^.;!?]+)"
    r"|\bi (?:strongly |firmly |really )?believe in (?P<after3>[^.;!?]+)"
    r"|^(?P<before>[a-z][a-z' \-]{2,40}?) (?:is|are) (?:really |very |so |incredibly |hugely )?"
    r"(?:important|everything|non-negotiable|sacred) to me\b",
    re.IGNORECASE,
)
_NAMED_VALUE_CUT = re.compile(
    r"\s*[,;:(]|\s+(?:because|since|and|but|so|which|that|when|where|who|more than|above|"
    r"even|especially|in (?:life|people|others|a person))\b",
    re.IGNORECASE,
)
_FAMILY_WORDS = re.compile(
    r"\b(?:family|kids|children|wife|husband|partner|parents|mum|mom|dad|son|daughter|"
    r"grandchildren|grandkids)\b",
    re.IGNORECASE,
)


def _value_phrase(raw: str) -> str | None:
    phrase = _NAMED_VALUE_CUT.split(raw.strip(), maxsplit=1)[0].strip().rstrip(".!?")
    phrase = re.sub(r"^(?:my|our|the|a|an)\s+", "", phrase, flags=re.IGNORECASE)
    if phrase[:1].isupper() and not _has_name(phrase[:1].lower() + phrase[1:]):
        phrase = phrase[:1].lower() + phrase[1:]  # "Showing up for people is important"
    if _FAMILY_WORDS.search(phrase) and len(phrase.split()) <= 2:
        return "family"  # "I value my kids"
    words = phrase.split()
    if not 1 <= len(words) <= 5 or _has_name(phrase) or _ADDRESSES_SYSTEM.search(phrase):
        return None
    if _VAGUE.match(phrase) or not _content_words(phrase) or _FAMILY_WORDS.search(phrase):
        return None
    head = words[0].lower()
    if not (is_gerund(head) or has_noun_reading(head) or head in {"being", "having"}):
        return None
    return phrase.lower()


def _extract_named_value(
    text: str, sentence: str, following: str, turn: Turn, out: _Collector
) -> None:
    for match in _NAMED_VALUE.finditer(text.strip()):
        if _negated_before(text, match.start()):
            continue
        raw = next(g for g in match.groups() if g is not None)
        name = _value_phrase(raw)
        if name is None:
            continue
        fields: dict[str, Any] = {"value": name, "description": _describe(sentence, following)}
        out.add_item("values", "value", fields, turn.question_id, 0.65, sentence)


_OPENING_HEDGE = re.compile(
    r"^(?:(?:probably|maybe|perhaps|definitely|for me|i'd say|i think|i guess|"
    r"i suppose|mostly|above all|first(?: of all)?|honestly|well|oh|hmm)[,\s]+)*",
    re.IGNORECASE,
)


def _opens_with_value(text: str) -> bool:
    """The sentence starts with a value term: "Education above everything.", "Thrift, I
    suppose.", "Being real with people matters."""
    opening = _OPENING_HEDGE.sub("", text.strip())
    return any(pattern.match(opening) for _, pattern in _VALUE_TERMS)


def _value_words_removed(text: str) -> str:
    for _, pattern in _VALUE_TERMS:
        text = pattern.sub(" ", text)
    return text


def _said_beyond_values(text: str) -> list[str]:
    return [
        word
        for word in _content_words(_value_words_removed(text))
        if word not in _LIST_FILLER and word not in {"suppose", "guess", "mostly", "pick"}
    ]


def _describe(sentence: str, following: str) -> str:
    """What the person said about the value, not an echo of its name: the sentence (without
    a special-category clause); after a bare "Fairness, mostly." the next sentence, which
    says why; else nothing."""
    bare = len(_said_beyond_values(sentence)) < 2
    for candidate in (sentence, following) if bare else (sentence,):
        clauses = [c for c in _CLAUSES.split(candidate) if c and not special_categories(c)]
        text = _LEADING_WORDS.sub("", ", ".join(c.strip() for c in clauses).strip())
        if len(_said_beyond_values(text)) < 2 or looks_like_instruction(text):
            continue
        if candidate is following and (
            special_categories(following) or _has_name(following, sentence_start=True)
        ):
            continue
        quote = _quote(text[0].upper() + text[1:])
        return quote if quote[-1] in ".!?\u2026" else quote + "."
    return ""


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
    text = _without_people_named(_FILLER_PHRASES.sub(" ", sentence))
    for match in _nested_matches(_GOAL, text, "clause"):
        if _hedged_before(text, match.start()):
            continue
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
    r"short[- ]term|eventually|someday|one day|in (?:the )?(?:long|short) run|also|and|"
    r"first|then|oh|well|honestly|ideally|mainly|mostly|really|probably|maybe|hopefully|"
    r"definitely)\b[?:,.\s]*",
    re.IGNORECASE,
)
_GOAL_AFTER_VERB = _words(
    """
    a an the my our more some to into off up out back on down over twice every better
    myself home it
    """
)
_THIS_IS_THE_PLAN = re.compile(
    r"^(?P<goal>[^,]{6,}?),?\s+(?:this|that)(?: is|'s) (?:my|the)(?: \w+)? "
    r"(?:goal|dream|plan|aim|ambition|hope|one)\b",
    re.IGNORECASE,
)


def _fragment_goals(text: str) -> list[str]:
    """Goals said without "I want to", in answers about goals: an imperative ("Learn to
    drive.", "This year: swim twice a week") or "X, that's the plan"."""
    plan = _THIS_IS_THE_PLAN.match(text.strip())
    if plan is not None:
        return [plan.group("goal")]
    opening = _OPENING_TIME.sub("", text.strip())
    words = opening.split()
    if len(words) < 2:
        return []
    deadline = _DEADLINE_FRAGMENT.match(opening)
    if deadline is not None and not _PRONOUN_START.match(opening):
        return [deadline.group("goal")]  # "Partner at the firm by fifty."
    first, second = words[0], words[1].lower().strip(",.")
    if not first[0].isupper() and opening is text.strip():
        return []
    if not is_base_verb(first) or verb_lemma(first) in _NOT_GOAL_VERBS:
        return []
    if first.lower() in _NOUNISH_VERBS or (
        second not in _GOAL_AFTER_VERB and not is_base_verb(second) and _noun_too(first)
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


# --------------------------------------------------------------------------------------------
# Communication style
# --------------------------------------------------------------------------------------------

TONE_LEXICON: dict[str, str] = {
    "direct": r"direct|straightforward|straight to the point|no-nonsense|frank|"
    r"plain[- ]spoken|say what i mean|(?:don't|do not|never) beat around the bush|"
    r"(?:say|tell) it like it is|call a spade a spade|outspoken",
    "blunt": r"blunt",
    "warm": r"warm|friendly",
    "diplomatic": r"diplomatic|tactful",
    "humorous": r"funny|humou?rous|witty|playful|jokey|joke|jokes|joking|a (?:good )?laugh|"
    r"silly|goofy|"
    r"(?:a lot of|lots of|plenty of) humou?r",
    "sarcastic": r"sarcastic|sarcasm|dry humou?r|dry wit",
    "calm": r"calm|composed|even[- ]tempered|level[- ]headed",
    "patient": r"patient",
    "analytical": r"analytical|logical|methodical|systematic|technical|step by step",
    "gentle": r"gentle|soft[- ]spoken",
    "empathetic": r"empathetic|empathic",
    "enthusiastic": r"enthusiastic|animated|energetic|loud|excitable",
    "serious": r"serious|earnest",
    "open": r"an open book|open and honest",
    "formal": r"formal",
    "casual": r"casual|informal|laid[- ]back|chill|easy[- ]?going|keep (?:things|it) light|"
    r"emojis?",
    "storytelling": r"storyteller|storytelling|tell(?:ing)? stories",
    "reserved": r"reserved|quiet|not much of a talker|keep to myself|(?:shy|awkward) at first|"
    r"take a while to warm up",
    "listening": r"(?:good |a |more of a )listener|listen more than i (?:talk|speak)",
    "talkative": r"talkative|chatty",
    "thoughtful": r"thoughtful|reflective|choose my words carefully|think before i (?:speak|talk)",
    "encouraging": r"encouraging|supportive",
}
VERBOSITY_LEXICON: dict[str, str] = {
    "concise": r"concise|brief|succinct|to the point|short and sweet|keep (?:it|things) short|"
    r"economical with (?:my )?words|a person of few words|few words|not many words|"
    r"short answers|bullet points|talk too little|short and (?:sweet|to the point)|"
    r"not (?:one|much) for (?:long )?(?:speeches|small talk|chit-?chat)",
    "detailed": r"detailed|thorough|long[- ]winded|go into (?:a lot of )?detail|verbose|wordy|"
    r"talk a lot|tend to ramble|elaborate|go on (?:a bit|and on)|over-?explain|"
    r"long (?:emails|messages|texts|voice notes)|rambler",
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
            r"talk a lot|over-?explain|explain everything|go on (?:a bit|and on))\b",
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
        ("tone", "humorous", r"\bi (?:\w+ )?(?:use|bring) (?:a lot of |lots of )?humou?r\b"),
        (
            "tone",
            "storytelling",
            r"\bi (?:\w+ )?(?:explain|teach|say) (?:things |it |everything )?(?:with|through|in) "
            r"stories\b",
        ),
        ("tone", "enthusiastic", r"\bi talk with my hands\b|\bexclamation marks\b"),
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
            out.add(section, name, {"text": name}, turn.question_id, 0.65, sentence)
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


_VAGUE = re.compile(
    r"^(?:those|these|that|this|it|them|both|all|everything|everyone|stuff|things|something|"
    r"anything|nothing|myself|me|him|her)\b",
    re.IGNORECASE,
)


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
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|myself|we|our|us)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_SUBJECT_VERB = re.compile(
    r"\b(?:i|we)(?: \w+ly| also| then| just| first| finally)? (\w+)\b", re.IGNORECASE
)


_BORN_OR_LIVED = re.compile(
    r"\b(?:i|we) (?:was|were) (?:born|raised|brought up|adopted|sent|posted|hired|fired|"
    r"laid off|made redundant)\b|\b(?:i|we)(?:'ve| have| had)(?: \w+ly| also| always)? "
    r"(?:been|worked|lived|spent|moved|built|run|raised|taught|trained|served)\b",
    re.IGNORECASE,
)


_MODALS = _words("can could would should might must will shall may ought")


def _past_event(sentence: str) -> bool:
    """A dated or past-tense event the speaker lived: "I moved to Toronto in 2014", "we lost
    half the herd", "I was born in Accra", "I've worked nights for years", "Dropped out of
    university" (no subject, in a story answer)."""
    if _YEAR.search(sentence) and _FIRST_PERSON.search(sentence):
        return True
    if _BORN_OR_LIVED.search(sentence):
        return True
    for match in _SUBJECT_VERB.finditer(sentence):
        word = match.group(1)
        if word.lower() in _MODALS:
            continue  # "I could talk about this all day" is no event
        if is_past_verb(word) and verb_lemma(word) not in {"be", "have", "do", "say", "tell"}:
            return True
    return False


def _neutral_event(text: str) -> str:
    """ "I moved to Leeds in 2009" -> "Moved to Leeds in 2009": the event as a neutral phrase
    (the person's "my" stays: it is their persona). Other sentences keep their subject."""
    match = re.match(
        r"(?i:i)(?:'ve| have| was| were)? (?P<rest>(?:(?:also|then|finally|first|just|once|"
        r"always) )?(?P<verb>\w+)\b)",
        text,
    )
    verb = match.group("verb") if match is not None else ""
    if match is not None and is_past_verb(verb) and verb.lower() != "was":
        text = text[match.start("rest") :]  # "I was born in ..." -> "Born in ..."
    return text[0].upper() + text[1:]


def _subjectless_past(sentence: str) -> bool:
    """ "Moved to Leeds at six.": a past tense opening the sentence, not one that is also an
    imperative ("Let me think", "Put simply")."""
    first = _LEADING_WORDS.sub("", sentence).strip().split(" ", 1)[0]
    if not first or not first[0].isupper() or not is_past_verb(first):
        return False
    return verb_lemma(first) != first.lower()


_MAX_EXPERIENCES_PER_ANSWER = 3


# "Leaving an agency job to go freelance was the turning point": the speaker's own story.
_GERUND_START = re.compile(r"^(?:[a-z]+ing)\b", re.IGNORECASE)


def _extract_experience(sentence: str, turn: Turn, out: _Collector, taken: int) -> int:
    if turn.category != "biography" or taken >= _MAX_EXPERIENCES_PER_ANSWER:
        return taken
    original = sentence
    sentence = _without_people_named(sentence)
    formative = _FORMATIVE.search(sentence) is not None
    subjectless = _subjectless_past(sentence)
    own = (
        _FIRST_PERSON.search(sentence) is not None
        or subjectless
        or (formative and _GERUND_START.match(_LEADING_WORDS.sub("", sentence).strip()) is not None)
    )
    if not own or _ADDRESSES_SYSTEM.search(sentence):
        return taken
    if formative:
        confidence = 0.7
    elif _EVENT.search(sentence) or _past_event(sentence) or subjectless:
        confidence = 0.6
    else:
        return taken
    text = _LEADING_WORDS.sub("", sentence).strip().rstrip(".!?")
    text = " ".join(_shorten(text.split(), 30))
    if not text or len(text.split()) < 4 or _has_name(text, sentence_start=True):
        return taken
    if len(_content_words(text)) < 3:
        return taken  # "I learned to do the same.": says nothing on its own
    text = _neutral_event(text)
    if text[-1] not in ".!?":
        text += "."
    fields = {"text": text}
    out.add_item("key_experiences", "text", fields, turn.question_id, confidence, original)
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
        sentences = list(_usable_sentences(turn.answer))
        for index, sentence in enumerate(sentences):
            following = sentences[index + 1] if index + 1 < len(sentences) else ""
            _extract_values(sentence, turn, out, following)
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
        held_back=tuple(out.held_back.values()),
    )


# Which interview category each draft section tells about (coverage counts items by it).
SECTION_CATEGORY: dict[str, Category] = {
    "values": "values",
    "boundaries": "values",
    "goals": "goals",
    "traits": "style",
    "tone": "style",
    "verbosity": "style",
    "interests": "current_focus",
    "key_experiences": "biography",
    "narrative": "biography",
    "current_focus": "current_focus",
    "projects": "current_focus",
    "domains": "biography",
}


def understood_keys(draft: PersonaDraft) -> frozenset[tuple[Category, str]]:
    """(category, normalised text) of every item of ``draft``: what was understood, by topic.

    A project that is also a current focus counts once.
    """
    keys: set[tuple[Category, str]] = set()
    for name, category in SECTION_CATEGORY.items():
        value = getattr(draft, name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, ValueItem):
                text = item.value
            elif isinstance(item, GoalItem):
                text = item.goal
            elif isinstance(item, TraitItem):
                text = item.trait
            elif isinstance(item, TextItem):
                text = item.text
            else:
                continue
            keys.add((category, " ".join(text.lower().split())))
    return frozenset(keys)
