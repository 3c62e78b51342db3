"""Pure language logic over tokens: the lexicon and red-flag triggers. No Rasa; spaCy only through context.py.

Everything here works on `Word` tuples (lower-case text, lemma, character offsets) so it can be tested alone and
used by the thin Rasa components in `components.py`. The lexicon itself is generated from the knowledge base
(see `spacy_builder.py`) and travels inside the trained model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

NEGATED_ROLE = "negated"
# A combination product's canonical id joins its medicines' ids: "codeine|paracetamol" (see kb/loader.py).
COMBINATION_SEPARATOR = "|"


@dataclass(frozen=True)
class Word:
    lower: str
    lemma: str
    start: int
    end: int


@dataclass
class Lexicon:
    """What the NLU knows, generated from the knowledge base.

    phrases: entity type -> canonical id -> phrases (lower case), used for the EntityRuler and to map values.
    single_words: misspelling-tolerant index of one-word phrases: word -> (entity type, canonical id).
    known_words: ordinary English words, never "corrected" into a vocabulary term.
    sense_rules: word-sense rules from knowledge/lexicon_context.yml: a match of one of `values` is no entity when a
        `not_near` word is within `window` words of it in the same sentence, unless an `unless_near` word is too.
    red_flag_triggers: red flag id -> alternatives; each alternative is a list of groups; each group is a list of
        terms; each term is a sequence of (lower, lemma) pairs.
    context_rules: the ConText rules (knowledge/context_rules.yml) as loaded when the model was trained, so a model
        keeps the cues it was trained with; None means the project's current file.
    """

    phrases: Dict[str, Dict[str, List[str]]]
    red_flag_triggers: Dict[str, List[List[List[List[Tuple[str, str]]]]]]
    known_words: Set[str] = field(default_factory=set)
    context_rules: Optional[dict] = None
    sense_rules: List[dict] = field(default_factory=list)
    message_scope_flags: List[str] = field(default_factory=list)  # red flags matched across a message's sentences
    _phrase_index: Dict[str, Tuple[str, str]] = field(default_factory=dict, init=False, repr=False)
    _fuzzy_index: Dict[str, Set[Tuple[str, str, str]]] = field(default_factory=dict, init=False, repr=False)
    _skeleton_index: Dict[str, Set[Tuple[str, str, str]]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # ids first, so that a phrase wins over another type's id spelt the same (the therapy id "duloxetine")
        for entity_type, ids in self.phrases.items():
            for canonical_id in ids:
                self._phrase_index[canonical_id.replace("_", " ")] = (entity_type, canonical_id)
        for entity_type, ids in self.phrases.items():
            for canonical_id, phrases in ids.items():
                for phrase in phrases:
                    self._phrase_index[phrase] = (entity_type, canonical_id)
        for phrase, (entity_type, canonical_id) in self._phrase_index.items():
            if " " not in phrase and len(phrase) >= FUZZY_MIN_LENGTH:
                for variant in _deletion_variants(phrase, _max_edits(phrase)):
                    self._fuzzy_index.setdefault(variant, set()).add((phrase, entity_type, canonical_id))
                if len(_skeleton(phrase)) >= SKELETON_MIN_LENGTH:
                    self._skeleton_index.setdefault(_skeleton(phrase), set()).add((phrase, entity_type, canonical_id))

    def to_json(self) -> dict:
        data = {"phrases": self.phrases, "red_flag_triggers": self.red_flag_triggers,
                "known_words": sorted(self.known_words), "sense_rules": self.sense_rules,
                "message_scope_flags": self.message_scope_flags}
        if self.context_rules is not None:
            data["context_rules"] = self.context_rules
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Lexicon":
        triggers = {
            flag: [[[[tuple(pair) for pair in term] for term in group] for group in alternative] for alternative in alternatives]
            for flag, alternatives in data["red_flag_triggers"].items()
        }
        return cls(phrases=data["phrases"], red_flag_triggers=triggers, known_words=set(data.get("known_words", [])),
                   context_rules=data.get("context_rules"), sense_rules=data.get("sense_rules", []),
                   message_scope_flags=data.get("message_scope_flags", []))

    def lookup(self, text: str, entity_type: Optional[str] = None) -> Optional[Tuple[str, str]]:
        """The (entity type, canonical id) a phrase or canonical id stands for, if the lexicon knows it."""
        found = self._phrase_index.get(" ".join(text.lower().split()))
        if found and (entity_type is None or found[0] == entity_type):
            return found
        return None

    def is_canonical(self, entity_type: str, value: str) -> bool:
        return value in self.phrases.get(entity_type, {})

    def correct_spelling(self, word: str) -> Optional[Tuple[str, str, str]]:
        """A misspelt vocabulary word ("numbess", "gabapenten") -> (phrase, entity type, canonical id), if unambiguous.

        Two tolerances: a few typed-wrong letters (edit distance, more for long words), and for a word with none
        within reach, wrong vowels with doubled or dropped letters ("xeralto", "cymbalata"): same first letter, same
        consonants in the same order. Ordinary English words are never corrected."""
        if len(word) < FUZZY_MIN_LENGTH or not word.isalpha() or word in self.known_words or word in self._phrase_index:
            return None
        candidates = set()
        for variant in _deletion_variants(word, _max_edits(word)):
            for phrase, entity_type, canonical_id in self._fuzzy_index.get(variant, ()):
                if _edit_distance(word, phrase) <= _max_edits(phrase):
                    candidates.add((phrase, entity_type, canonical_id))
        if not candidates:
            candidates = {candidate for candidate in self._skeleton_index.get(_skeleton(word), ())
                          if _edit_distance(_sounds(word), _sounds(candidate[0])) <= _max_edits(candidate[0]) + 1}
        # people seldom get the first sound of a word wrong: "dumbness" is no misspelt "numbness"
        candidates = {c for c in candidates if _sounds(c[0])[:1] == _sounds(word)[:1]}
        targets = {(entity_type, canonical_id) for _, entity_type, canonical_id in candidates}
        if len(targets) != 1:
            return None
        return min(candidates, key=lambda candidate: _edit_distance(word, candidate[0]))


FUZZY_MIN_LENGTH = 6
SKELETON_MIN_LENGTH = 4  # letters in a skeleton: shorter ones collide with too many words
VOWELS = set("aeiouy")
# Letters that sound alike, written one way: "clonapin" and "klonopin", "fenergan" and "phenergan".
SOUNDS = (("ph", "f"), ("ck", "k"), ("c", "k"), ("q", "k"), ("z", "s"), ("x", "ks"))


def _sounds(word: str) -> str:
    for spelling, sound in SOUNDS:
        word = word.replace(spelling, sound)
    return word


def _skeleton(word: str) -> str:
    """The first sound, then the consonants with repeats folded: "seroqule" and "seroquel" -> "srkl". A word is
    corrected through its skeleton only when it is also within one more edit than usual of the term."""
    word = _sounds(word)
    rest = [ch for ch in word[1:] if ch not in VOWELS]
    folded = [ch for i, ch in enumerate(rest) if i == 0 or ch != rest[i - 1]]
    return word[:1] + "".join(folded)


def _max_edits(word: str) -> int:
    return 2 if len(word) >= 9 else 1


def _deletion_variants(word: str, edits: int) -> Set[str]:
    """Symmetric-delete index keys: the word with up to `edits` characters removed."""
    variants = {word}
    frontier = {word}
    for _ in range(edits):
        frontier = {candidate[:i] + candidate[i + 1:] for candidate in frontier for i in range(len(candidate))}
        variants |= frontier
    return variants


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions)."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


# ---------------------------------------------------------------------------------------------------------------
# Status of mentions: denied, past, asked about, someone else's. The cues are data (knowledge/context_rules.yml) read
# by medspaCy's ConText in context.py; these wrappers keep the word-level API. Imported late: context.py loads spaCy.

SENTENCE_BREAKS = {".", ";", "!", "?", ":", "\n"}


def negated_spans(words: Sequence[Word], entity_spans: Sequence[Tuple[int, int]], context=None) -> List[bool]:
    """For each entity (as a character span), whether the patient denied it. A stop ("no longer on lyrica") is the
    role `past`, not a denial: see `context.MentionContext.assess` for every role."""
    from neurotriage.nlu.context import default_context

    mentions = (context or default_context()).assess(words, [(start, end, None) for start, end in entity_spans])
    return [mention.role == NEGATED_ROLE for mention in mentions]


def red_flag_denied(words: Sequence[Word], start: int, end: int, context=None, text: Optional[str] = None) -> bool:
    """Whether the patient denies the red flag matched at [start, end) ("no chest pain"), as opposed to describing a
    loss ("no bladder control", a PSEUDO rule in the data), which is never a denial. Errs towards escalation."""
    from neurotriage.nlu.context import default_context

    return (context or default_context()).red_flag_denied(words, start, end, text)


# ---------------------------------------------------------------------------------------------------------------
# Red flags: an alternative matches when every one of its groups has a term in the same sentence.


def sentences(words: Sequence[Word]) -> List[List[Word]]:
    result, current = [], []
    for word in words:
        if word.lower in SENTENCE_BREAKS:
            if current:
                result.append(current)
            current = []
        else:
            current.append(word)
    if current:
        result.append(current)
    return result


def _term_at(sentence: Sequence[Word], index: int, term: Sequence[Tuple[str, str]]) -> bool:
    if index + len(term) > len(sentence):
        return False
    return all(
        sentence[index + offset].lower == lower or sentence[index + offset].lemma == lemma
        for offset, (lower, lemma) in enumerate(term)
    )


def _find_term(sentence: Sequence[Word], term: Sequence[Tuple[str, str]]) -> Optional[Tuple[int, int]]:
    for index in range(len(sentence)):
        if _term_at(sentence, index, term):
            return sentence[index].start, sentence[index + len(term) - 1].end
    return None


def find_red_flags(words: Sequence[Word], triggers: Dict[str, List[List[List[List[Tuple[str, str]]]]]],
                   message_scope: Iterable[str] = ()) -> List[Tuple[str, int, int]]:
    """Red flags the words express, as (id, start, end) covering the matched terms; at most one match per flag.
    A flag in `message_scope` may match across the sentences of the message ("I take amitriptyline. I fainted.")."""
    found = []
    whole = set(message_scope)
    for flag_id, alternatives in triggers.items():
        match = _first_match(words, alternatives, across_sentences=flag_id in whole)
        if match:
            found.append((flag_id, *match))
    return found


def _first_match(words: Sequence[Word], alternatives: Iterable,
                 across_sentences: bool = False) -> Optional[Tuple[int, int]]:
    parts = [[w for w in words if w.lower not in SENTENCE_BREAKS]] if across_sentences else sentences(words)
    for sentence in parts:
        present = {w.lower for w in sentence} | {w.lemma for w in sentence}
        for groups in alternatives:
            spans = []
            for group in groups:
                # a term can only match where its first word occurs: skip the scan for all others
                span = next((s for s in (_find_term(sentence, term) for term in group
                                         if term[0][0] in present or term[0][1] in present) if s), None)
                if span is None:
                    break
                spans.append(span)
            else:
                return min(s for s, _ in spans), max(e for _, e in spans)
    return None


def warning_topics(words: Sequence[Word], triggers: Dict[str, List[List[List[List[Tuple[str, str]]]]]]) -> List[Tuple[int, int]]:
    """Where the message uses any word of a warning sign's triggers ("chest", "breathing", "eyesight"), matched as a
    whole trigger or not. The safety net asks whether all of these are denied ("my breathing is fine"): the more
    words count, the harder it is to read a message as a denial, which is the safe side."""
    terms = {tuple(term) for alternatives in triggers.values() for groups in alternatives for group in groups
             for term in group if term}
    topics = set()
    for sentence in sentences(words):
        present = {w.lower for w in sentence} | {w.lemma for w in sentence}
        for term in terms:
            if term[0][0] in present or term[0][1] in present:
                span = _find_term(sentence, term)
                if span:
                    topics.add(span)
    return sorted(topics)
