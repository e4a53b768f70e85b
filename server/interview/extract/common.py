"""Sentences, names, clause clean-up and the collector the category rules share."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

from server.interview.extract.places import place_at
from server.interview.grammar import (
    has_noun_reading,
    is_base_verb,
    is_gerund,
    is_past_verb,
    verb_lemma,
)
from server.interview.sensitive import sensitivity_of, special_categories
from server.interview.text import has_name, name_spans, without_named_relations, word_set
from server.persona.draft import (
    HeldBackClause,
    Sensitivity,
)

# The extractor's word lists are built by the shared toolkit's word_set.
_words = word_set


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
    place_end = -1
    for start, end in name_spans(text, sentence_start):
        word = text[start:end]
        if _CALENDAR.match(word) or word in _LANGUAGES_AND_PEOPLES or len(word) == 1:
            continue  # a weekday, a language, "plan B": not a person
        found = place_end if start < place_end else place_at(text, start)
        if found is not None:
            place_end = found
            previous_end, previous_place = end, True
            continue  # "I left Lima", "no French of France", "San Sebastian": a known place
        if start == 0 and sentence_start and _verb_opening(word):
            continue
        if _demonym_before_noun(word, text[end:]):
            continue  # "Afghan food", "Andean recipes": an adjective of a people or a region
        joined = previous_place and text[previous_end:start].strip() == ""
        if joined or _names_a_place(text[:start]):
            previous_end, previous_place = end, True
            continue
        previous_place = False
        spans.append((start, end))
    return spans


_DEMONYM_ENDING = re.compile(r"(?:an|ean|ese|ish|ic|i)$")


def _demonym_before_noun(word: str, after: str) -> bool:
    """A people's adjective before a noun: "Afghan food" (but "Brian cooks" is a person)."""
    following = re.match(r" ([a-z]+)\b", after)
    if following is None or not _DEMONYM_ENDING.search(word):
        return False
    noun = following.group(1)
    inflected_verb = is_past_verb(noun) or (noun.endswith("s") and verb_lemma(noun) is not None)
    return has_noun_reading(noun) and not inflected_verb


def _verb_opening(word: str) -> bool:
    """ "Came ...", "Learning ...", "Learn ...": a sentence opened by a verb, not a name."""
    if is_past_verb(word) or is_gerund(word):
        return True
    return is_base_verb(word) and not has_noun_reading(word)


def _names_a_place(before: str) -> bool:
    if _PLACE_BEFORE.search(before):
        return True
    determined = _DETERMINED.search(before)
    if determined is None:
        return False
    between = determined.group("between").split()
    # "the island with Olav": a preposition ends the noun phrase, so what follows is no place.
    if between and between[-1] in _PHRASE_ENDERS:
        return False
    return not set(between) & _PERSON_NOUNS


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
_PHRASE_ENDERS = _words("with and or but to for by of from beside like than as")
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
        # a relative clause: "a cookbook that my grandmother never wrote down"
        r"|\s+that (?=(?i:i|we|my|his|her|our|their|he|she|they|it)\b)"
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


_VAGUE = re.compile(
    r"^(?:those|these|that|this|it|them|both|all|everything|everyone|stuff|things|something|"
    r"anything|nothing|myself|me|him|her)\b",
    re.IGNORECASE,
)
