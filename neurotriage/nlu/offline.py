"""Offline entity evaluation on the lexicon path, without Rasa or a running server (seconds, not minutes).

Runs the built spaCy pipeline (.run/spacy/en_neurotriage, see spacy_builder.py) and the same extraction, spelling
and negation functions the Rasa components use (extraction.py) on a labelled file, and scores it:

    python -m neurotriage.nlu.offline FILE.jsonl [--scoring ../shared/realtext/scoring.py] [--show]
    python -m neurotriage.nlu.offline tests/nlu/holdout.yml [--show]

- JSONL of {"text", "labels"} (the real-text sets): scored by the `scoring.py` module given (imported from its path at
  run time; it is evaluation material and stays outside the project). Prints micro-F1 overall and per type and the
  hard negatives that produced an extraction.
- Rasa NLU YAML with entity annotations (the hold-out): entity F1 per type with evaluate.py's scoring; intents and
  red flags are not part of the lexicon path and are left out.

DIET's entities are not included: this measures the vocabulary alone.
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List

import yaml

from neurotriage.config import PROJECT_ROOT
from neurotriage.nlu.extraction import RED_FLAG_ENTITY, clean_text, lexicon_entities, mark_roles, words_of
from neurotriage.nlu.lexicon import Lexicon
from neurotriage.nlu.spacy_builder import DEFAULT_OUTPUT, LEXICON_FILE

DEFAULT_SCORING = PROJECT_ROOT.parent / "shared" / "realtext" / "scoring.py"
MAX_CHARACTERS = 2000  # MessageGuard's default cut


def _case_sensitive() -> bool:
    """SpacyNLP's setting in config.yml: false means the text is lower-cased before spaCy sees it."""
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    spacy_step = next((step for step in config.get("pipeline", []) if step.get("name") == "SpacyNLP"), {})
    return bool(spacy_step.get("case_sensitive", False))


def load_extractor(model_dir: Path = DEFAULT_OUTPUT) -> Callable[[str], List[Dict[str, Any]]]:
    """text -> entities, as the served pipeline's lexicon path would return them (value, start, end, role)."""
    import spacy

    nlp = spacy.load(model_dir)
    lexicon = Lexicon.from_json(json.loads((Path(model_dir) / LEXICON_FILE).read_text()))
    case_sensitive = _case_sensitive()

    def extract(text: str) -> List[Dict[str, Any]]:
        text = clean_text(text, MAX_CHARACTERS)
        doc = nlp(text if case_sensitive else text.lower())
        return mark_roles(lexicon_entities(doc, lexicon), words_of(doc), text)

    return extract


def _load_scoring(path: Path):
    spec = importlib.util.spec_from_file_location("realtext_scoring", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score_jsonl(path: Path, extract, scoring_path: Path, show: bool = False) -> dict:
    scoring = _load_scoring(scoring_path)
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    counts: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    hard = []
    for row in rows:
        tp, fp, fn = scoring.match(scoring.predicted({"entities": extract(row["text"])}), scoring.gold(row["labels"]))
        counts["all"].update(tp=len(tp), fp=len(fp), fn=len(fn))
        for kind, items in (("tp", tp), ("fp", fp), ("fn", fn)):
            for entity_type, _ in items:
                counts[entity_type][kind] += 1
        if row["labels"].get("hard_negative_note") and fp:
            hard.append((row.get("id"), fp))
        if show and (fp or fn):
            print(f"{row.get('id')}: missed {fn} extra {fp}")
    figures = {key: dict(zip(("precision", "recall", "f1"), scoring.f1(c["tp"], c["fp"], c["fn"])), **c)
               for key, c in counts.items()}
    figures["hard_negatives"] = {"with_extraction": len(hard),
                                 "total": sum(1 for r in rows if r["labels"].get("hard_negative_note")),
                                 "ids": [h[0] for h in hard]}
    return figures


def score_holdout(path: Path, extract, show: bool = False) -> dict:
    from neurotriage.nlu.evaluate import score

    examples = []
    for example in _holdout_examples(path):
        gold = [e for e in example["entities"] if e["entity"] != RED_FLAG_ENTITY]
        predicted = extract(example["text"])
        # a gold red-flag span is annotated alone (evaluate.py): what is found inside it is neither right nor wrong
        flags = [(e["start"], e["end"]) for e in example["entities"] if e["entity"] == RED_FLAG_ENTITY]
        predicted = [e for e in predicted if not any(s <= e["start"] and e["end"] <= t for s, t in flags)]
        examples.append({"text": example["text"], "intent": "-", "predicted_intent": "-",
                         "entities": gold, "predicted_entities": predicted})
    figures = score(examples)
    if show:
        for miss in figures["errors"]:
            print(f"missing {miss['missing']} extra {miss['extra']} | {miss['text']}")
    return {"all": {"precision": figures["entity_precision"], "recall": figures["entity_recall"],
                    "f1": figures["entity_f1"]},
            **figures["per_entity"], "negation_accuracy": figures["negation_accuracy"]}


def _holdout_examples(path: Path) -> List[dict]:
    """Rasa's own reader, so the annotations ([text](type:value), roles) are parsed exactly as in training."""
    from rasa.shared.nlu.training_data.loading import load_data

    return [{"text": m.get("text"), "entities": m.get("entities") or []} for m in load_data(str(path)).intent_examples]


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSONL of {text, labels}, or Rasa NLU YAML with entity annotations")
    parser.add_argument("--scoring", type=Path, default=DEFAULT_SCORING, help="scoring.py for JSONL files")
    parser.add_argument("--model", type=Path, default=DEFAULT_OUTPUT, help="the built spaCy pipeline")
    parser.add_argument("--show", action="store_true", help="print every message with a miss or an extra entity")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    extract = load_extractor(args.model)
    if args.file.suffix == ".jsonl":
        figures = score_jsonl(args.file, extract, args.scoring, args.show)
    else:
        figures = score_holdout(args.file, extract, args.show)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for key, value in figures.items():
        if isinstance(value, dict) and "f1" in value:
            counts = f"  (tp {value['tp']} fp {value['fp']} fn {value['fn']})" if "tp" in value else \
                f"  (n={value['support']})" if "support" in value else ""
            print(f"{key:12s} P {value['precision']:.3f} R {value['recall']:.3f} F1 {value['f1']:.3f}{counts}")
    if "hard_negatives" in figures:
        hard = figures["hard_negatives"]
        print(f"hard negatives with an extraction: {hard['with_extraction']} of {hard['total']} {hard['ids']}")
    if "negation_accuracy" in figures:
        print(f"negation accuracy {figures['negation_accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
