"""The status of each mention: denied, over, only asked about, or someone else's, read with medspaCy's ConText.

Pure: no Rasa. The cues are data (knowledge/context_rules.yml, written for clinicians to read); this module validates
them, hands them to ConText, and reports one role per mention (the file's `precedence`) with the reason a medicine
was stopped when the patient gives one. Mentions are character spans over the message's tokens (anything with
`lower`, `start` and `end`, such as lexicon.Word), so the Rasa components and the tests share one tokenisation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Protocol, Sequence, Tuple

import spacy
import yaml
from medspacy.context import ConText, ConTextRule
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span

from neurotriage.config import PROJECT_ROOT

RULES_FILE = PROJECT_ROOT / "knowledge" / "context_rules.yml"
NEGATED_ROLE = "negated"
PAST_ROLE = "past"
ASKED_ROLE = "asked"
OTHER_PERSON_ROLE = "other_person"
ROLES = (NEGATED_ROLE, PAST_ROLE, ASKED_ROLE, OTHER_PERSON_ROLE)
RED_FLAG = "red_flag"
_GROUP = "mentions"
MAX_CONTENT_WORDS = 40  # longer messages are never read as a denial of everything they say (the safe side)
_RULE_KEYS = {"literal", "category", "direction", "pattern", "max_scope", "allowed_types", "excluded_types",
              "max_targets", "comment"}
_CATEGORY_KEYS = {"role", "reason", "meaning", "terminated_by", "allowed_types", "excluded_types", "max_scope"}
# Tokenisation, not cues: chat spellings the tokenizer splits differently ("dont" -> do + nt, curly apostrophes).
_SPELLINGS = {"nt": "n't"}


class Token(Protocol):
    lower: str
    start: int
    end: int


@dataclass(frozen=True)
class Mention:
    """What the words around one mention say. `role` is the contract's (None: the patient, now); `cues` are all the
    roles whose cues reached it, before precedence; `reason` is why it was stopped (side_effect, no_help) if said."""

    role: Optional[str] = None
    reason: Optional[str] = None
    cues: FrozenSet[str] = field(default_factory=frozenset)


def load_rules(path: Path = RULES_FILE) -> dict:
    return validate_rules(yaml.safe_load(Path(path).read_text()))


def validate_rules(data: Any) -> dict:
    """The rule file's content, checked; raises ValueError naming the first bad rule."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict) or not isinstance(data.get("rules"), list):
        raise ValueError("context rules need `categories` (a mapping), `precedence` and `rules` (a list)")
    categories = data["categories"]
    for name, spec in categories.items():
        spec = spec or {}
        unknown = set(spec) - _CATEGORY_KEYS
        if unknown:
            raise ValueError(f"category {name}: unknown keys {sorted(unknown)}")
        if spec.get("role") is not None and spec["role"] not in ROLES:
            raise ValueError(f"category {name}: role {spec['role']!r} is not one of {ROLES}")
        for other in spec.get("terminated_by") or []:
            if other not in categories:
                raise ValueError(f"category {name}: terminated_by names unknown category {other}")
    roles = {spec.get("role") for spec in categories.values() if spec and spec.get("role")}
    precedence = data.get("precedence") or []
    if sorted(precedence) != sorted(roles):
        raise ValueError(f"precedence {precedence} must list each role once: {sorted(roles)}")
    for number, rule in enumerate(data["rules"], 1):
        where = f"rule {number} ({rule.get('literal') if isinstance(rule, dict) else rule!r})"
        if not isinstance(rule, dict) or not isinstance(rule.get("literal"), str) or not rule["literal"].strip():
            raise ValueError(f"{where}: every rule needs a literal")
        unknown = set(rule) - _RULE_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if rule.get("category") not in categories:
            raise ValueError(f"{where}: category {rule.get('category')!r} is not in categories")
        if str(rule.get("direction", "")).upper() not in ConTextRule._ALLOWED_DIRECTIONS:
            raise ValueError(f"{where}: direction must be one of {ConTextRule._ALLOWED_DIRECTIONS}")
        if rule.get("pattern") is not None and not isinstance(rule["pattern"], list):
            raise ValueError(f"{where}: pattern must be a list of token patterns")
    return data


class MentionContext:
    """ConText over the mentions of one message. Build once (it compiles the rules), use for every message."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = validate_rules(dict(data))
        categories = {name: spec or {} for name, spec in self.data["categories"].items()}
        self._roles = {name: spec["role"] for name, spec in categories.items() if spec.get("role")}
        self._reasons = {name: spec["reason"] for name, spec in categories.items() if spec.get("reason")}
        self._precedence = list(self.data["precedence"])
        self._nlp = spacy.blank("en")
        self._context = ConText(self._nlp, rules=None, span_attrs=None, input_span_type="group",
                                span_group_name=_GROUP, prune_on_target_overlap=True,
                                terminating_types={name: spec.get("terminated_by") or []
                                                   for name, spec in categories.items()})
        self._context.add([self._rule(rule, categories[rule["category"]]) for rule in self.data["rules"]])
        self._breaks = set(self.data.get("sentence_breaks") or [".", "!", "?", ";", ":"])

    @classmethod
    def from_file(cls, path: Path = RULES_FILE) -> "MentionContext":
        return cls(load_rules(path))

    @staticmethod
    def _rule(rule: Mapping[str, Any], category: Mapping[str, Any]) -> ConTextRule:
        scope_types: Dict[str, Any] = {}
        if rule.get("allowed_types") or rule.get("excluded_types"):
            scope_types = {key: rule.get(key) for key in ("allowed_types", "excluded_types") if rule.get(key)}
        elif category.get("allowed_types") or category.get("excluded_types"):
            scope_types = {key: category.get(key) for key in ("allowed_types", "excluded_types") if category.get(key)}
        max_scope = rule.get("max_scope") or category.get("max_scope")
        if str(rule["direction"]).upper() == "PSEUDO":
            # A PSEUDO cue modifies nothing; its scope only decides which cues it may end. medspaCy 1.1.5 tests that
            # by overlap and misses a cue whose reach lies strictly inside the other's, so keep this scope tiny.
            max_scope = 1
        return ConTextRule(
            literal=rule["literal"], category=rule["category"], direction=rule["direction"],
            pattern=rule.get("pattern"), max_scope=max_scope,
            max_targets=rule.get("max_targets"), metadata={"comment": rule.get("comment")}, **scope_types)

    def assess(self, words: Sequence[Token], mentions: Sequence[Tuple[int, int, Optional[str]]],
               text: Optional[str] = None) -> List[Mention]:
        """For each mention (start, end, entity type or None for any), what its context says. With `text`, a line
        break between words also ends a sentence (tokenizers drop the break itself)."""
        results = [Mention() for _ in mentions]
        if not words or not mentions:
            return results
        doc = self._doc(words, text)
        spans = []
        for position, (start, end, entity_type) in enumerate(mentions):
            inside = [i for i, word in enumerate(words) if word.start >= start and word.end <= end]
            if inside:
                spans.append(Span(doc, inside[0], inside[-1] + 1, label=entity_type or "mention", kb_id=str(position)))
        if not spans:
            return results
        doc.spans[_GROUP] = spans
        self._context(doc)
        found: Dict[int, Tuple[set, List[str]]] = {}
        for target, modifier in doc._.context_graph.edges:
            roles, reasons = found.setdefault(int(target.kb_id_), (set(), []))
            if modifier.category in self._roles:
                roles.add(self._roles[modifier.category])
            elif modifier.category in self._reasons:
                reasons.append(self._reasons[modifier.category])
        for position, (roles, reasons) in found.items():
            role = next((r for r in self._precedence if r in roles), None)
            reason = next((r for r in self._reasons.values() if r in reasons), None)
            results[position] = Mention(role=role, reason=reason, cues=frozenset(roles))
        return results

    def _doc(self, words: Sequence[Token], text: Optional[str]) -> Doc:
        lowered = [word.lower.replace("\u2019", "'").replace("\u2018", "'") for word in words]
        lowered = [_SPELLINGS.get(word, word) for word in lowered]
        spaces = [i + 1 < len(words) and words[i + 1].start > words[i].end for i in range(len(words))]
        starts = [True]
        for i in range(1, len(words)):
            gap = text[words[i - 1].end:words[i].start] if text is not None else ""
            starts.append(lowered[i - 1] in self._breaks or "\n" in gap or "\n" in lowered[i - 1])
        # A closing line break lets a rule see where the message ends ("tingling? no" + end).
        return Doc(self._nlp.vocab, words=lowered + ["\n"], spaces=spaces + [False], sent_starts=starts + [True])

    def red_flag_denied(self, words: Sequence[Token], start: int, end: int, text: Optional[str] = None) -> bool:
        """Whether a warning sign matched at [start, end) is denied, so it must not escalate: the patient denies it
        ("no chest pain at all", "my breathing is fine"), or it is someone else's and over ("my dad had a stroke
        years ago"). Asked about, over, or someone else's now, it still escalates: the advice fits whoever has it."""
        return _denied(self.assess(words, [(start, end, RED_FLAG)], text)[0].cues)


    def denies_all(self, words: Sequence[Token], spans: Optional[Sequence[Tuple[int, int]]] = None,
                   text: Optional[str] = None) -> bool:
        """Whether every one of these spans (warning topics such as "chest", "breathing") is denied as a warning sign
        (see red_flag_denied). Spans made only of cue words or stop words do not count; when none is left, every
        content word of the message is asked instead ("no problems with my eyesight"). Nothing to deny, or a very
        long message: False, the safe side."""
        doc = self._doc(words, text)
        doc.spans[_GROUP] = []
        self._context(doc)  # no targets: only to find the cue words
        cue_tokens = {i for modifier in doc._.context_graph.modifiers for i in range(*modifier.modifier_span)}

        def counts(i: int) -> bool:
            return doc[i].is_alpha and doc[i].lower_ not in STOP_WORDS and i not in cue_tokens

        spans = [(start, end) for start, end in spans or ()
                 if any(counts(i) for i, word in enumerate(words) if word.start >= start and word.end <= end)]
        if not spans:
            spans = [(words[i].start, words[i].end) for i in range(len(words)) if counts(i)]
        if not spans or len(spans) > MAX_CONTENT_WORDS:
            return False
        return all(_denied(mention.cues)
                   for mention in self.assess(words, [(start, end, RED_FLAG) for start, end in spans], text))


def _denied(cues: FrozenSet[str]) -> bool:
    """A warning sign that must not escalate: denied, or someone else's and over."""
    return NEGATED_ROLE in cues or {OTHER_PERSON_ROLE, PAST_ROLE} <= cues


@lru_cache(maxsize=1)
def default_context() -> MentionContext:
    """The project's rules (knowledge/context_rules.yml), compiled once per process."""
    return MentionContext.from_file(RULES_FILE)
