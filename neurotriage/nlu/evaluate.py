"""Evaluates a trained model on the NLU hold-out (tests/nlu/holdout.yml, never trained on).

    python -m neurotriage.nlu.evaluate --model models/x.tar.gz [--holdout tests/nlu/holdout.yml] [--out results/nlu_eval.json]

Entities are scored the way the clinic uses them: per message, as (type, canonical value, negated or not), so
"[type 2 diabetes]" and "[diabetes]" both count when the value is `diabetes`. Red flags are scored per message.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

from neurotriage.config import PROJECT_ROOT

DEFAULT_HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"
THRESHOLDS = {"intent_macro_f1": 0.90, "entity_f1": 0.90, "red_flag_recall": 1.0}
Mention = Tuple[str, str, bool]  # (entity type, canonical value, negated)


def _mentions(entities: Iterable[dict]) -> Set[Mention]:
    return {(e["entity"], str(e.get("value")), e.get("role") == "negated") for e in entities
            if not (e["entity"] == "red_flag" and e.get("role") == "negated")}  # a denied red flag is no red flag


def _outside_red_flags(predicted: List[dict], gold: List[dict]) -> List[dict]:
    """The hold-out annotates a red-flag message as one span and nothing inside it (the annotation guide), so
    predicted entities inside a gold red-flag span are neither right nor wrong."""
    spans = [(e["start"], e["end"]) for e in gold if e["entity"] == "red_flag" and "start" in e]
    return [e for e in predicted if e["entity"] == "red_flag"
            or not any(start <= e.get("start", -1) and e.get("end", -1) <= end for start, end in spans)]


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def score(examples: List[dict]) -> dict:
    """examples: [{text, intent, predicted_intent, entities, predicted_entities}] -> the figures."""
    intent_counts: Dict[str, Counter] = defaultdict(Counter)
    entity_counts: Dict[str, Counter] = defaultdict(Counter)
    negation_right = negation_total = 0
    flags = Counter()
    misses: List[dict] = []
    for example in examples:
        gold_intent, predicted_intent = example["intent"], example["predicted_intent"]
        if gold_intent == predicted_intent:
            intent_counts[gold_intent]["tp"] += 1
        else:
            intent_counts[gold_intent]["fn"] += 1
            intent_counts[predicted_intent]["fp"] += 1
        gold = _mentions(example["entities"])
        predicted = _mentions(_outside_red_flags(example["predicted_entities"], example["entities"]))
        for entity_type in {m[0] for m in gold | predicted}:
            gold_t = {m for m in gold if m[0] == entity_type}
            predicted_t = {m for m in predicted if m[0] == entity_type}
            entity_counts[entity_type]["tp"] += len(gold_t & predicted_t)
            entity_counts[entity_type]["fp"] += len(predicted_t - gold_t)
            entity_counts[entity_type]["fn"] += len(gold_t - predicted_t)
        # Negation: of the gold mentions whose value was found, how many have the right polarity.
        for entity_type, value, negated in gold:
            if entity_type == "red_flag":
                continue
            found = [m for m in predicted if m[:2] == (entity_type, value)]
            if found:
                negation_total += 1
                negation_right += any(m[2] == negated for m in found)
        gold_flags = {v for t, v, _ in gold if t == "red_flag"}
        predicted_flags = {v for t, v, _ in predicted if t == "red_flag"}
        flags["messages_with_flag"] += bool(gold_flags)
        flags["caught"] += bool(gold_flags) and bool(predicted_flags)
        flags["named_rightly"] += bool(gold_flags) and bool(gold_flags & predicted_flags)
        flags["raised"] += bool(predicted_flags)
        flags["raised_rightly"] += bool(predicted_flags) and bool(gold_flags)
        if gold != predicted or gold_intent != predicted_intent:
            misses.append({"text": example["text"], "intent": gold_intent, "predicted_intent": predicted_intent,
                           "missing": sorted(map(list, gold - predicted)), "extra": sorted(map(list, predicted - gold))})

    per_intent = {}
    for intent, c in sorted(intent_counts.items()):
        if c["tp"] + c["fn"] == 0:
            continue  # predicted but never gold (e.g. nlu_fallback): counts only as others' false positives
        p, r = _ratio(c["tp"], c["tp"] + c["fp"]), _ratio(c["tp"], c["tp"] + c["fn"])
        per_intent[intent] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(_f1(p, r), 3), "support": c["tp"] + c["fn"]}
    per_entity = {}
    totals = Counter()
    for entity_type, c in sorted(entity_counts.items()):
        totals.update(c)
        p, r = _ratio(c["tp"], c["tp"] + c["fp"]), _ratio(c["tp"], c["tp"] + c["fn"])
        per_entity[entity_type] = {"precision": round(p, 3), "recall": round(r, 3), "f1": round(_f1(p, r), 3),
                                   "support": c["tp"] + c["fn"]}
    entity_p = _ratio(totals["tp"], totals["tp"] + totals["fp"])
    entity_r = _ratio(totals["tp"], totals["tp"] + totals["fn"])
    return {
        "examples": len(examples),
        "intent_accuracy": round(_ratio(sum(c["tp"] for c in intent_counts.values()), len(examples)), 4),
        "intent_macro_f1": round(sum(v["f1"] for v in per_intent.values()) / max(len(per_intent), 1), 4),
        "entity_precision": round(entity_p, 4), "entity_recall": round(entity_r, 4),
        "entity_f1": round(_f1(entity_p, entity_r), 4),
        "negation_accuracy": round(_ratio(negation_right, negation_total), 4), "negation_checked": negation_total,
        "red_flag_recall": round(_ratio(flags["caught"], flags["messages_with_flag"]), 4),
        "red_flag_precision": round(_ratio(flags["raised_rightly"], flags["raised"]), 4),
        "red_flag_named_recall": round(_ratio(flags["named_rightly"], flags["messages_with_flag"]), 4),
        "red_flag_messages": flags["messages_with_flag"],
        "per_intent": per_intent, "per_entity": per_entity, "errors": misses,
    }


def load_holdout(path: Path) -> List[dict]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        intent = message.get("intent")
        examples.append({"text": message.get("text"), "intent": intent, "entities": message.get("entities") or []})
    return examples


def predict(model_path: str, examples: List[dict]) -> List[dict]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # per-message debug lines would echo every hold-out text

    agent = Agent.load(model_path)

    async def parse_all():
        for example in examples:
            parsed = await agent.parse_message(example["text"])
            example["predicted_intent"] = parsed["intent"]["name"]
            example["predicted_entities"] = parsed.get("entities") or []

    asyncio.run(parse_all())
    return examples


def main() -> int:
    parser = argparse.ArgumentParser(description="NLU hold-out evaluation")
    parser.add_argument("--model", required=True)
    parser.add_argument("--holdout", type=Path, default=DEFAULT_HOLDOUT)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "results" / "nlu_eval.json")
    parser.add_argument("--enforce", action="store_true", help="exit 1 when a figure is below its threshold")
    args = parser.parse_args()
    # Retrieval intents are scored as their parent intent (faq), as the dialogue sees them.
    examples = predict(args.model, load_holdout(args.holdout))
    for example in examples:
        example["intent"] = example["intent"].split("/")[0]
    figures = score(examples)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    print(f"hold-out examples      {figures['examples']}")
    print(f"intent macro-F1        {figures['intent_macro_f1']:.3f}   (accuracy {figures['intent_accuracy']:.3f})")
    print(f"entity P / R / F1      {figures['entity_precision']:.3f} / {figures['entity_recall']:.3f} / {figures['entity_f1']:.3f}")
    for entity_type, v in figures["per_entity"].items():
        print(f"  {entity_type:<12} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  (n={v['support']})")
    print(f"negation accuracy      {figures['negation_accuracy']:.3f}   ({figures['negation_checked']} mentions)")
    print(f"red-flag recall        {figures['red_flag_recall']:.3f}   precision {figures['red_flag_precision']:.3f}"
          f"   ({figures['red_flag_messages']} messages with a red flag)")
    print(f"red flag named exactly {figures['red_flag_named_recall']:.3f}   (the specific flag, not the safety net)")
    print(f"written to {args.out}")
    below = [name for name, minimum in THRESHOLDS.items() if figures[name] < minimum]
    if below:
        print("BELOW THRESHOLD: " + ", ".join(f"{name} {figures[name]:.3f} < {THRESHOLDS[name]}" for name in below))
    return 1 if (below and args.enforce) else 0


if __name__ == "__main__":
    raise SystemExit(main())
