"""Builds the spaCy pipeline that Rasa's SpacyNLP loads: a blank English model, the lookup lemmatizer from
spacy-lookups-data, and an EntityRuler generated from the knowledge base. No pretrained weights are used.

Also writes `lexicon.json` beside it (vocabulary, misspelling index words and red-flag triggers, tokenised the way
patient messages are, and the status cues of knowledge/context_rules.yml), which the Rasa components read at training time and keep inside the trained model.

    python -m neurotriage.nlu.spacy_builder [--out .run/spacy/en_neurotriage]
"""
from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Dict, Iterable, List

import spacy
import spacy_lookups_data
import yaml
from spacy.language import Language

from neurotriage.config import PROJECT_ROOT, load_settings
from neurotriage.nlu import training_exports
from neurotriage.nlu.context import load_rules
from neurotriage.nlu.lexicon import Lexicon

DEFAULT_OUTPUT = PROJECT_ROOT / ".run" / "spacy" / "en_neurotriage"
EXCLUSIONS_FILE = PROJECT_ROOT / "knowledge" / "lexicon_exclusions.yml"
NOT_AN_ENTITY = "NOT_AN_ENTITY"
LEXICON_FILE = "lexicon.json"


def blank_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lemma tables from spacy-lookups-data
    return nlp


def entity_patterns(nlp: Language, vocabulary: Dict[str, Dict[str, List[str]]], exclusions: Iterable[str]) -> List[dict]:
    """One phrase pattern (exact words) and one lemma pattern ("burns" for "burning") per phrase."""
    patterns = []
    for entity_type, ids in vocabulary.items():
        for canonical_id, phrases in ids.items():
            for phrase in phrases:
                patterns.append({"label": entity_type, "pattern": phrase, "id": canonical_id})
                lemmas = [token.lemma_.lower() for token in nlp(phrase)]
                patterns.append({"label": entity_type, "pattern": [{"LEMMA": lemma} for lemma in lemmas], "id": canonical_id})
    for phrase in exclusions:
        patterns.append({"label": NOT_AN_ENTITY, "pattern": phrase})
    return patterns


def tokenised_triggers(nlp: Language, red_flags: Dict[str, List[List[List[str]]]]) -> dict:
    """Trigger terms as (lower, lemma) sequences, made by the same tokenizer that reads patient messages."""
    def term(text: str):
        return [(token.lower_, token.lemma_.lower()) for token in nlp(text.lower())]

    return {flag: [[[term(t) for t in group] for group in alternative] for alternative in alternatives]
            for flag, alternatives in red_flags.items()}


def known_english_words() -> List[str]:
    """Ordinary English word forms (the lemma table's keys and values), which spelling correction leaves alone."""
    with gzip.open(Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz", "rt") as table_file:
        table = json.load(table_file)
    return sorted({word for pair in table.items() for word in pair if word.isalpha() and word.islower()})


def build(vocabulary: Dict[str, Dict[str, List[str]]], red_flags: Dict[str, List[List[List[str]]]], out: Path) -> Path:
    nlp = blank_pipeline()
    exclusions = yaml.safe_load(EXCLUSIONS_FILE.read_text()) or []
    patterns = entity_patterns(nlp, vocabulary, exclusions)  # lemmatised before the ruler joins the pipeline
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(patterns)
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    lexicon = Lexicon(phrases=vocabulary, red_flag_triggers=tokenised_triggers(nlp, red_flags),
                      known_words=set(known_english_words()), context_rules=load_rules())
    (out / LEXICON_FILE).write_text(json.dumps(lexicon.to_json()))
    return out


def build_from_knowledge_base(out: Path = DEFAULT_OUTPUT) -> Path:
    from neurotriage.kb.repository import KnowledgeRepository

    repository = KnowledgeRepository.from_url(load_settings().database_url)
    vocabulary = repository.vocabulary()
    red_flags = {flag.id: [[list(group) for group in alternative] for alternative in flag.triggers]
                 for flag in repository.red_flags()}
    vocabulary.setdefault("red_flag", {})
    training_exports.write(repository)
    return build(vocabulary, red_flags, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    path = build_from_knowledge_base(args.out)
    print(f"spaCy pipeline written to {path}")


if __name__ == "__main__":
    main()
