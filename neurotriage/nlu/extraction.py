"""Entity extraction over a spaCy Doc, shared by the Rasa components and the offline evaluation. No Rasa imports.

The Rasa graph components in `components.py` are thin wrappers around these functions, so an offline run
(`python -m neurotriage.nlu.offline`) measures exactly what the served model does on the lexicon path.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List, Sequence

from neurotriage.nlu.lexicon import NEGATED_ROLE, Lexicon, Word, negated_spans
from neurotriage.nlu.spacy_builder import NOT_AN_ENTITY

RED_FLAG_ENTITY = "red_flag"
LEXICON_CONFIDENCE = 1.0
SPELLING_CONFIDENCE = 0.9


def clean_text(text: str, max_characters: int) -> str:
    """Control characters dropped, runs of spaces folded, cut at max_characters."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text[:max_characters]


def _entity(entity_type: str, value: str, start: int, end: int, confidence: float) -> Dict[str, Any]:
    return {"entity": entity_type, "value": value, "start": start, "end": end, "confidence_entity": confidence}


def lexicon_entities(doc, lexicon: Lexicon) -> List[Dict[str, Any]]:
    """Entities of one message: the EntityRuler's matches (canonical ids), then misspelt vocabulary words outside them.

    A ruler match may stand for several ids (a combination product such as co-codamol is codeine and paracetamol):
    its id is then "a|b" and one entity is made per id, all on the same span. NOT_AN_ENTITY matches ("emotionally
    numb") only block the words they cover.
    """
    found = []
    for ent in doc.ents:
        if ent.label_ == NOT_AN_ENTITY:
            continue
        for value in (ent.ent_id_ or ent.text.lower()).split("|"):
            found.append(_entity(ent.label_, value, ent.start_char, ent.end_char, LEXICON_CONFIDENCE))
    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    for token in doc:
        if token.i in taken:
            continue
        correction = lexicon.correct_spelling(token.lower_)
        if correction:
            _, entity_type, canonical_id = correction
            for value in canonical_id.split("|"):
                found.append(_entity(entity_type, value, token.idx, token.idx + len(token.text), SPELLING_CONFIDENCE))
    return found


def words_of(doc) -> List[Word]:
    """The doc's tokens as `Word`s, the way Rasa's SpacyTokenizer hands them to the components."""
    return [Word(t.text.lower(), (t.lemma_ or t.text).lower(), t.idx, t.idx + len(t.text)) for t in doc]


def mark_negated(entities: Sequence[Dict[str, Any]], words: Sequence[Word]) -> List[Dict[str, Any]]:
    """Copies of the entities with the role `negated` on denied mentions and no role elsewhere (red flags untouched)."""
    entities = [dict(e) for e in entities]
    markable = [e for e in entities if e.get("entity") != RED_FLAG_ENTITY]
    flags = negated_spans(words, [(e["start"], e["end"]) for e in markable])
    for entity, negated in zip(markable, flags):
        if negated:
            entity["role"] = NEGATED_ROLE
        else:
            entity.pop("role", None)
            entity.pop("confidence_role", None)
    return entities
