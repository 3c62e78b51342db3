"""Pure language logic over tokens: the lexicon, negation scopes and red-flag triggers. No Rasa, no spaCy.

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
    """

    phrases: Dict[str, Dict[str, List[str]]]
    red_flag_triggers: Dict[str, List[List[List[List[Tuple[str, str]]]]]]
    known_words: Set[str] = field(default_factory=set)
    sense_rules: List[dict] = field(default_factory=list)
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
        return {"phrases": self.phrases, "red_flag_triggers": self.red_flag_triggers,
                "known_words": sorted(self.known_words), "sense_rules": self.sense_rules}

    @classmethod
    def from_json(cls, data: dict) -> "Lexicon":
        triggers = {
            flag: [[[[tuple(pair) for pair in term] for term in group] for group in alternative] for alternative in alternatives]
            for flag, alternatives in data["red_flag_triggers"].items()
        }
        return cls(phrases=data["phrases"], red_flag_triggers=triggers, known_words=set(data.get("known_words", [])),
                   sense_rules=data.get("sense_rules", []))

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
# Negation (NegEx-style): a trigger opens a scope over the following words until a terminator or a gap of
# NEGATION_WINDOW words with no entity; entities listed after one trigger ("no numbness, tingling or burning") share it.

NEGATION_TRIGGERS = {"no", "not", "never", "without", "nor", "neither", "none", "denies", "deny", "denied", "nope",
                     "nothing", "free"}
# "n't" denies only after these verbs: "don't have", "isn't"; "can't walk" does not deny what follows.
CONTRACTION_VERBS = {"do", "does", "did", "have", "has", "had", "is", "are", "was", "were", "ai"}
CONTRACTIONS = {"n't", "nt"}
# Words after a trigger that make it no denial at all: "not only", "no doubt", "not sure", "no better".
PSEUDO_NEGATION_NEXT = {"only", "just", "sure", "certain", "idea", "doubt", "change", "changes", "better", "worse",
                        "improving", "improved", "helping", "helped", "help", "relief", "matter", "stop", "stopping",
                        "go", "going", "goes", "gone", "ease", "easing", "eased", "bad", "great", "good",
                        "well", "able", "sleep", "sleeping", "getting", "much", "really", "working", "work", "works",
                        "stops", "ends", "leaves", "lets", "quits", "eases", "settles", "fades"}
SCOPE_TERMINATORS = {"but", "however", "although", "though", "except", "yet", "apart", "besides", "still", "whereas",
                     "while", "which", "who", "because", "since", "so", "instead", "aside"}
SENTENCE_BREAKS = {".", ";", "!", "?", ":", "\n"}
NEGATION_WINDOW = 5
# "no longer", "not anymore" still deny; "free of" denies; these pronouns after "and" start a new clause.
NEW_CLAUSE_AFTER_AND = {"i", "it", "its", "it's", "my", "me", "im", "i'm", "the", "they", "she", "he", "we", "there",
                        "this", "that", "but"}
ANSWER_DENIALS = {"no", "none", "nope", "never", "not"}


def _is_trigger(words: Sequence[Word], index: int) -> bool:
    word = words[index].lower
    if word in CONTRACTIONS:
        return index > 0 and words[index - 1].lower in CONTRACTION_VERBS
    if word == "free":  # "free of tingling", not "free time"
        return index + 1 < len(words) and words[index + 1].lower == "of"
    if word not in NEGATION_TRIGGERS:
        return False
    following = words[index + 1].lower if index + 1 < len(words) else ""
    if following == "longer":
        return True
    return following not in PSEUDO_NEGATION_NEXT


def negated_spans(words: Sequence[Word], entity_spans: Sequence[Tuple[int, int]]) -> List[bool]:
    """For each entity (as a character span), whether the patient denied it."""
    # word index where each entity starts -> [(entity position, index of its last word)]
    entity_starts: Dict[int, List[Tuple[int, int]]] = {}
    covered: Set[int] = set()  # words inside an entity: "no feeling" as a numbness phrase is not a denial
    for position, (start, end) in enumerate(entity_spans):
        inside = [i for i, word in enumerate(words) if word.start >= start and word.end <= end]
        if inside:
            entity_starts.setdefault(inside[0], []).append((position, inside[-1]))
            covered.update(inside)

    negated = [False] * len(entity_spans)
    scope_open = False
    gap = 0
    for index, word in enumerate(words):
        if index in entity_starts:
            for position, _ in entity_starts[index]:
                negated[position] = scope_open or negated[position]
            gap = 0
        if word.lower in SENTENCE_BREAKS or word.lower in SCOPE_TERMINATORS:
            scope_open = False
            continue
        # "no numbness at all, it's all burning": "and"/"," before a new subject start a new clause
        if word.lower in ("and", ",") and index + 1 < len(words) and words[index + 1].lower in NEW_CLAUSE_AFTER_AND:
            scope_open = False
            continue
        if index not in covered and _is_trigger(words, index):
            scope_open, gap = True, 0
            continue
        if scope_open and index not in covered and word.lower not in {",", "or", "and", "any", "a", "an", "the", "my"}:
            gap += 1
            if gap > NEGATION_WINDOW:
                scope_open = False

    # Answers like "tingling? no" or "numbness - none" deny the entity that precedes them.
    for first, matches in entity_starts.items():
        for position, last in matches:
            following = [w.lower for w in words[last + 1:last + 4]]
            while following and following[0] in {"?", "-", ":", ",", "–"}:
                following.pop(0)
            if following and following[0] in ANSWER_DENIALS and (len(following) == 1 or following[1] in SENTENCE_BREAKS | {","}):
                negated[position] = True
    return negated


# ---------------------------------------------------------------------------------------------------------------
# Red flags: an alternative matches when every one of its groups has a term in the same sentence.


# "No bladder control", "no feeling down there": here the negation is the red flag itself (a loss), not a denial.
LOSS_WORDS = {"control", "feeling", "sensation", "strength", "power", "movement", "use"}


def red_flag_denied(words: Sequence[Word], start: int, end: int) -> bool:
    """Whether the patient denies the red flag matched at [start, end) ("no chest pain"), as opposed to describing a
    loss ("no bladder control"), which is never treated as a denial. Errs towards escalation."""
    inside = [w for w in words if w.start >= start and w.end <= end]
    if any(w.lower in LOSS_WORDS or w.lemma in LOSS_WORDS for w in inside):
        return False
    return negated_spans(words, [(start, end)])[0]


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


def find_red_flags(words: Sequence[Word], triggers: Dict[str, List[List[List[List[Tuple[str, str]]]]]]) -> List[Tuple[str, int, int]]:
    """Red flags the words express, as (id, start, end) covering the matched terms; at most one match per flag."""
    found = []
    for flag_id, alternatives in triggers.items():
        match = _first_match(words, alternatives)
        if match:
            found.append((flag_id, *match))
    return found


def _first_match(words: Sequence[Word], alternatives: Iterable) -> Optional[Tuple[int, int]]:
    for sentence in sentences(words):
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
