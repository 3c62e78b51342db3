"""Rasa training files generated from the knowledge base, so no answer or synonym is typed twice.

Written to data/generated/ (git-ignored) whenever the knowledge content changes:
- faq_responses.yml: `utter_faq/<id>` responses the ResponseSelector trains with (the bot still answers from the
  knowledge base at run time, with sources);
- vocabulary.yml: synonyms (phrase -> canonical id) for EntitySynonymMapper and lookup tables per entity type.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List

import yaml

from neurotriage.config import PROJECT_ROOT

GENERATED_DIR = PROJECT_ROOT / "data" / "generated"
HEADER = "# Generated from knowledge/ by neurotriage.nlu.training_exports: do not edit, edit the knowledge files.\n"


def faq_responses(faqs: Iterable) -> dict:
    return {"version": "3.1",
            "responses": {f"utter_faq/{faq.id}": [{"text": faq.answer}] for faq in sorted(faqs, key=lambda f: f.id)}}


def vocabulary_data(vocabulary: Dict[str, Dict[str, List[str]]]) -> dict:
    nlu: List[dict] = []
    for entity_type in sorted(vocabulary):
        for canonical_id, phrases in sorted(vocabulary[entity_type].items()):
            others = sorted({p for p in phrases if p != canonical_id})
            if others:
                nlu.append({"synonym": canonical_id, "examples": "".join(f"- {p}\n" for p in others)})
        lookup = sorted({p for phrases in vocabulary[entity_type].values() for p in phrases})
        nlu.append({"lookup": entity_type, "examples": "".join(f"- {p}\n" for p in lookup)})
    return {"version": "3.1", "nlu": nlu}


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line example lists as YAML block literals, the way Rasa's own files look."""


_LiteralDumper.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def write(repository, directory: Path = GENERATED_DIR) -> List[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        directory / "faq_responses.yml": faq_responses(repository.faqs()),
        directory / "vocabulary.yml": vocabulary_data(repository.vocabulary()),
    }
    for path, content in files.items():
        path.write_text(HEADER + yaml.dump(content, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True, width=120))
    return list(files)
