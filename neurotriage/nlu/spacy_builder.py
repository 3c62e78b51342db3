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
import re
from pathlib import Path
from typing import Dict, Iterable, List

import spacy
import spacy_lookups_data
import yaml
from spacy.language import Language
from spacy.util import compile_infix_regex

from neurotriage.config import PROJECT_ROOT, load_settings
from neurotriage.nlu import training_exports
from neurotriage.nlu.context import load_rules
from neurotriage.nlu.lexicon import Lexicon

DEFAULT_OUTPUT = PROJECT_ROOT / ".run" / "spacy" / "en_neurotriage"
EXCLUSIONS_FILE = PROJECT_ROOT / "knowledge" / "lexicon_exclusions.yml"
CONTEXT_FILE = PROJECT_ROOT / "knowledge" / "lexicon_context.yml"
# Words at least this frequent in spaCy's English word-probability table (log probability; about the 90,000 most
# common forms) count as ordinary English and are never spelling-corrected into a vocabulary term.
COMMON_WORD_LOG_PROBABILITY = -16.0
NOT_AN_ENTITY = "NOT_AN_ENTITY"
LEXICON_FILE = "lexicon.json"


def blank_pipeline() -> Language:
    nlp = spacy.blank("en")
    # "it works.amitriptyline helps": a full stop typed without a space after it still ends the word, so only
    # addresses with a scheme or www. stay whole (spaCy would keep "works.amitriptyline" as a web address)
    infixes = list(nlp.Defaults.infixes) + [r"(?<=[a-z]{2})\.(?=[a-z]{3})"]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.tokenizer.url_match = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$", re.IGNORECASE).match
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lemma tables from spacy-lookups-data
    return nlp


def entity_patterns(nlp: Language, vocabulary: Dict[str, Dict[str, List[str]]], exclusions: Iterable[str],
                    exact_only: Iterable[str] = ()) -> List[dict]:
    """One phrase pattern (exact words) and one lemma pattern ("burns" for "burning") per phrase, except for the
    phrases in exact_only, whose other forms mean something else ("falls" as a history, not "fell asleep")."""
    exact_only = set(exact_only)
    patterns = []
    taken = {phrase for ids in vocabulary.values() for phrases in ids.values() for phrase in phrases}
    for entity_type, ids in vocabulary.items():
        for canonical_id, phrases in ids.items():
            # the id itself is how most people write it ("paracetamol", whose name is "Paracetamol (acetaminophen)"),
            # unless another entry owns those words (the therapy "pregabalin" is the medicine's)
            own = canonical_id.replace("_", " ")
            if "|" not in canonical_id and own not in taken:
                phrases = [*phrases, own]
                taken.add(own)
            for phrase in phrases:
                for variant in _variants(phrase):
                    patterns.append({"label": entity_type, "pattern": variant, "id": canonical_id})
                if phrase not in exact_only:
                    lemmas = [token.lemma_.lower() for token in nlp(phrase)]
                    patterns.append({"label": entity_type, "pattern": [{"LEMMA": lemma} for lemma in lemmas],
                                     "id": canonical_id})
    for phrase in exclusions:
        for variant in _variants(phrase):
            patterns.append({"label": NOT_AN_ENTITY, "pattern": variant})
    return patterns


def _variants(phrase: str) -> List[str]:
    """The phrase, and with a full stop when it ends in a single letter: the tokenizer keeps "c." of "hep c." whole."""
    last = phrase.split()[-1]
    return [phrase, phrase + "."] if len(last) == 1 and last.isalpha() else [phrase]


def tokenised_triggers(nlp: Language, red_flags: Dict[str, List[List[List[str]]]]) -> dict:
    """Trigger terms as (lower, lemma) sequences, made by the same tokenizer that reads patient messages."""
    def term(text: str):
        return [(token.lower_, token.lemma_.lower()) for token in nlp(text.lower())]

    return {flag: [[[term(t) for t in group] for group in alternative] for alternative in alternatives]
            for flag, alternatives in red_flags.items()}


def known_english_words() -> List[str]:
    """Ordinary English word forms (the lemma table's keys and values, and the common words of the probability
    table), which spelling correction leaves alone: "addictive" is no misspelt "addiction"."""
    data = Path(spacy_lookups_data.__file__).parent / "data"
    with gzip.open(data / "en_lemma_lookup.json.gz", "rt") as table_file:
        table = json.load(table_file)
    with gzip.open(data / "en_lexeme_prob.json.gz", "rt") as table_file:
        common = [word for word, log_probability in json.load(table_file).items()
                  if log_probability >= COMMON_WORD_LOG_PROBABILITY]
    words = {word for pair in table.items() for word in pair} | set(common)
    return sorted(word for word in words if word.isalpha() and word.islower())


def sense_rules(context: dict) -> List[dict]:
    """knowledge/lexicon_context.yml's word-sense rules, lower-cased for matching."""
    return [{"values": list(rule["values"]), "not_near": [w.lower() for w in rule["not_near"]],
             "unless_near": [w.lower() for w in rule.get("unless_near", [])], "window": int(rule.get("window", 3))}
            for rule in context.get("sense_rules", [])]


def build(vocabulary: Dict[str, Dict[str, List[str]]], red_flags: Dict[str, List[List[List[str]]]], out: Path,
          message_scope_flags: Iterable[str] = ()) -> Path:
    nlp = blank_pipeline()
    exclusions = yaml.safe_load(EXCLUSIONS_FILE.read_text()) or []
    context = yaml.safe_load(CONTEXT_FILE.read_text()) or {}
    # lemmatised before the ruler joins the pipeline
    patterns = entity_patterns(nlp, vocabulary, exclusions, context.get("exact_only", []))
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    ruler.add_patterns(patterns)
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    lexicon = Lexicon(phrases=vocabulary, red_flag_triggers=tokenised_triggers(nlp, red_flags),
                      known_words=set(known_english_words()), context_rules=load_rules(),
                      sense_rules=sense_rules(context), message_scope_flags=sorted(message_scope_flags))
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
    return build(vocabulary, red_flags, out, [flag.id for flag in repository.red_flags() if flag.scope == "message"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    path = build_from_knowledge_base(args.out)
    print(f"spaCy pipeline written to {path}")


if __name__ == "__main__":
    main()
