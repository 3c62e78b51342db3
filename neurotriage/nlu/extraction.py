"""Entity extraction over a spaCy Doc, shared by the Rasa components and the offline evaluation. No Rasa imports.

The Rasa graph components in `components.py` are thin wrappers around these functions, so an offline run
(`python -m neurotriage.nlu.offline`) measures exactly what the served model does on the lexicon path.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from neurotriage.nlu.context import PAST_ROLE, MentionContext, default_context
from neurotriage.nlu.lexicon import COMBINATION_SEPARATOR, SENTENCE_BREAKS, Lexicon, Word
from neurotriage.nlu.spacy_builder import NOT_AN_ENTITY

RED_FLAG_ENTITY = "red_flag"
REASON = "reason"  # why a `past` medicine or therapy was stopped: side_effect or no_help
LEXICON_CONFIDENCE = 1.0
SPELLING_CONFIDENCE = 0.9
JOINED_MIN_LENGTH = 8  # a split word is spelling-corrected only when long enough to be unambiguous
DEFAULT_SENSE_WINDOW = 3


def clean_text(text: str, max_characters: int) -> str:
    """Control characters dropped, runs of spaces folded, cut at max_characters."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text[:max_characters]


def _entity(entity_type: str, value: str, start: int, end: int, confidence: float) -> Dict[str, Any]:
    return {"entity": entity_type, "value": value, "start": start, "end": end, "confidence_entity": confidence}


def lexicon_entities(doc, lexicon: Lexicon) -> List[Dict[str, Any]]:
    """Entities of one message, as canonical ids:

    1. the EntityRuler's matches; NOT_AN_ENTITY matches ("emotionally numb") only block the words they cover;
    2. a vocabulary word split in two by a space or a hyphen ("tri geminal", "oxy-codone"), which replaces ruler
       matches inside it;
    3. misspelt vocabulary words outside all of these;
    then word-sense rules drop matches whose neighbours show another meaning ("my stomach burns").

    A match may stand for several ids (a combination product such as co-codamol is codeine and paracetamol): its id
    is then "a|b" and one entity is made per id, all on the same span.
    """
    matches = [(ent.start, ent.end, ent.label_, ent.ent_id_ or ent.text.lower(), LEXICON_CONFIDENCE)
               for ent in doc.ents]
    for start, end, entity_type, canonical_id in _split_words(doc, lexicon):
        inside = [m for m in matches if start <= m[0] and m[1] <= end]
        crossing = [m for m in matches if m[0] < end and start < m[1] and m not in inside]
        if crossing or any(m[2] == NOT_AN_ENTITY for m in inside):
            continue
        matches = [m for m in matches if m not in inside]
        matches.append((start, end, entity_type, canonical_id, SPELLING_CONFIDENCE))
    taken = {i for m in matches for i in range(m[0], m[1])}
    for token in doc:
        if token.i not in taken:
            correction = lexicon.correct_spelling(token.lower_)
            if correction:
                matches.append((token.i, token.i + 1, correction[1], correction[2], SPELLING_CONFIDENCE))
    found = []
    for start, end, entity_type, canonical_id, confidence in sorted(matches):
        if entity_type == NOT_AN_ENTITY or _other_sense(doc, start, end, canonical_id, lexicon.sense_rules):
            continue
        span = doc[start:end]
        for value in canonical_id.split(COMBINATION_SEPARATOR):
            found.append(_entity(entity_type, value, span.start_char, span.end_char, confidence))
    return found


def _split_words(doc, lexicon: Lexicon) -> List[Tuple[int, int, str, str]]:
    """(start token, end token, type, id) of vocabulary words typed as two pieces: "pre gabalin", "oxy-codone".
    Two ordinary English words are never joined ("in jury")."""
    found = []
    for token in doc[:-1]:
        pieces = [token, doc[token.i + 1]]
        if pieces[1].text == "-" and token.i + 2 < len(doc):
            pieces = [token, doc[token.i + 2]]
        if not all(p.is_alpha for p in pieces) or all(_ordinary(p.lower_, lexicon) for p in pieces):
            continue
        joined = pieces[0].lower_ + pieces[1].lower_
        known = lexicon.lookup(joined)
        if known is None and len(joined) >= JOINED_MIN_LENGTH:
            correction = lexicon.correct_spelling(joined)
            known = correction[1:] if correction else None
        if known:
            found.append((token.i, pieces[1].i + 1, known[0], known[1]))
    return found


def _ordinary(word: str, lexicon: Lexicon) -> bool:
    """An English word or a vocabulary phrase on its own: "on duloxetine" is two words, not one misspelt one."""
    return word in lexicon.known_words or lexicon.lookup(word) is not None


def _other_sense(doc, start: int, end: int, canonical_id: str, rules: Sequence[dict]) -> bool:
    """Whether a word-sense rule says this match means something else here (see knowledge/lexicon_context.yml)."""
    values = set(canonical_id.split(COMBINATION_SEPARATOR))
    for rule in rules:
        if not values & set(rule["values"]):
            continue
        window = rule.get("window", DEFAULT_SENSE_WINDOW)
        near = (_sentence_words(doc, max(0, start - window), start)
                | _sentence_words(doc, end, min(len(doc), end + window), forward=True))
        if near & set(rule["not_near"]) and not near & set(rule.get("unless_near", ())):
            return True
    return False


def _sentence_words(doc, start: int, end: int, forward: bool = False) -> Set[str]:
    """Lower-case forms and lemmas of doc[start:end] on the match's side of any sentence break."""
    tokens = list(doc[start:end]) if forward else list(reversed(doc[start:end]))
    words: Set[str] = set()
    for token in tokens:
        if token.lower_ in SENTENCE_BREAKS:
            break
        words.update((token.lower_, token.lemma_.lower()))
    return words


def words_of(doc) -> List[Word]:
    """The doc's tokens as `Word`s, the way Rasa's SpacyTokenizer hands them to the components."""
    return [Word(t.text.lower(), (t.lemma_ or t.text).lower(), t.idx, t.idx + len(t.text)) for t in doc]


def mark_roles(entities: Sequence[Dict[str, Any]], words: Sequence[Word], text: str,
               context: Optional[MentionContext] = None) -> List[Dict[str, Any]]:
    """Copies of the entities with their status from the ConText rules: role negated, past (with the reason when
    given), asked or other_person, and no role for what is the patient's now. Red flags are left to the detector."""
    entities = [dict(e) for e in entities]
    markable = [e for e in entities if e.get("entity") != RED_FLAG_ENTITY]
    mentions = (context or default_context()).assess(
        words, [(e["start"], e["end"], e.get("entity")) for e in markable], text)
    for entity, mention in zip(markable, mentions):
        entity.pop("confidence_role", None)
        entity.pop(REASON, None)
        if mention.role:
            entity["role"] = mention.role
        else:
            entity.pop("role", None)
        if mention.role == PAST_ROLE and mention.reason:
            entity[REASON] = mention.reason
    return entities
