"""Rasa NLU graph components. Thin: the language logic lives in `lexicon.py` and `context.py`.

Order in config.yml: MessageGuard -> SpacyNLP -> SpacyTokenizer -> LexiconEntityExtractor -> featurizers -> DIET ->
EntitySynonymMapper -> EntityReconciler -> NegationMarker -> ResponseSelector -> FallbackClassifier -> RedFlagDetector.
The lexicon (generated from the knowledge base by `spacy_builder.py`, with the ConText rules of
knowledge/context_rules.yml) is read at training time and stored in the model, so a trained model never loses its
red-flag triggers or status cues.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_ROLE,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from spacy.lang.en.stop_words import STOP_WORDS

from neurotriage.nlu.context import MentionContext, default_context
from neurotriage.nlu.extraction import RED_FLAG_ENTITY, clean_text, lexicon_entities, mark_roles
from neurotriage.nlu.lexicon import COMBINATION_SEPARATOR, Lexicon, Word, find_red_flags, warning_topics
from neurotriage.nlu.spacy_builder import DEFAULT_OUTPUT, LEXICON_FILE

logger = logging.getLogger(__name__)

RED_FLAG_INTENT = "report_red_flag"
# Words every pain description uses: no warning topic by themselves ("really bad pain in my back").
GENERIC_PAIN_WORDS = {"pain", "pains", "painful", "hurt", "hurts", "hurting", "ache", "aches", "aching", "sore", "bad",
                      "really", "feel", "feels", "feeling", "like", "worse", "right", "left", "side", "lift", "get"}
POSSIBLE_RED_FLAG = "possible_red_flag"  # knowledge/red_flags.yml: the safety-net advice when no flag is named
DEFAULT_LEXICON = str(DEFAULT_OUTPUT / LEXICON_FILE)
# DIET's own red-flag spans count only when it is sure; the trigger detector is the primary net.
DIET_RED_FLAG_MIN_CONFIDENCE = 0.8


def _words(message: Message) -> List[Word]:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return [Word(token.text.lower(), (token.lemma or token.text).lower(), token.start, token.end) for token in tokens]


class _LexiconComponent(GraphComponent):
    """Reads lexicon.json when trained and keeps it in the model storage."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon_path": DEFAULT_LEXICON}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 lexicon: Optional[Lexicon] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.lexicon = lexicon
        self._mention_context: Optional[MentionContext] = None

    @property
    def mention_context(self) -> MentionContext:
        """ConText compiled from the rules stored with the lexicon (the project's file for an older lexicon)."""
        if self._mention_context is None:
            rules = self.lexicon.context_rules if self.lexicon else None
            self._mention_context = MentionContext(rules) if rules else default_context()
        return self._mention_context

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "_LexiconComponent":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        path = Path(self._config["lexicon_path"])
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: build it with `python -m neurotriage.nlu.spacy_builder`.")
        data = json.loads(path.read_text())
        self.lexicon = Lexicon.from_json(data)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LEXICON_FILE).write_text(json.dumps(data))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "_LexiconComponent":
        with model_storage.read_from(resource) as directory:
            lexicon = Lexicon.from_json(json.loads((directory / LEXICON_FILE).read_text()))
        return cls(config, model_storage, resource, lexicon)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MessageGuard(GraphComponent):
    """First in the pipeline: makes any text safe to understand. Drops control characters, folds odd white space,
    and cuts over-long messages at MAX_MESSAGE_LENGTH characters (logging the cut, never the text).
    At training time it also removes entity roles from the examples (see process_training_data)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"max_characters": None}

    def __init__(self, max_characters: int) -> None:
        self.max_characters = max_characters

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "MessageGuard":
        return cls(int(config.get("max_characters") or os.environ.get("MAX_MESSAGE_LENGTH") or 2000))

    def clean(self, text: str) -> str:
        text = clean_text(text, len(text))
        if len(text) > self.max_characters:
            logger.warning("Message of %d characters cut to %d (MAX_MESSAGE_LENGTH).", len(text), self.max_characters)
        return text[: self.max_characters]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, self.clean(text))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Roles are the NegationMarker's job, so the classifiers train without them: DIET learns spans and types
        only, which is faster and leaves one authority for `negated`. (Rasa passes training data only through
        tokenizers and featurizers, which is why this lives here.)"""
        for example in training_data.training_examples:
            entities = example.get(ENTITIES)
            if entities:
                example.set(ENTITIES, [{k: v for k, v in e.items() if k != ENTITY_ATTRIBUTE_ROLE} for e in entities])
        return training_data


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LexiconEntityExtractor(_LexiconComponent, EntityExtractorMixin):
    """Entities from the knowledge-base EntityRuler (canonical ids), plus misspelt vocabulary words."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            found = self.add_extractor_name(lexicon_entities(doc, self.lexicon))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class EntityReconciler(_LexiconComponent):
    """After DIET: the lexicon wins where spans overlap; DIET values are mapped to canonical ids or dropped."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(ENTITIES, self.reconcile(message.get(ENTITIES, []), message.get(TEXT) or ""), add_to_output=True)
        return messages

    def reconcile(self, entities: List[Dict[str, Any]], text: str) -> List[Dict[str, Any]]:
        lexical = [e for e in entities if e.get("extractor") == LexiconEntityExtractor.__name__]
        kept = list(lexical)
        for entity in entities:
            if entity in lexical or any(_overlap(entity, other) for other in kept):
                continue
            entity_type = entity.get(ENTITY_ATTRIBUTE_TYPE)
            if entity_type == RED_FLAG_ENTITY:
                # DIET's span text is no red-flag id; only a confident, canonical value counts
                if (entity.get("confidence_entity") or 0) >= DIET_RED_FLAG_MIN_CONFIDENCE and \
                        entity.get(ENTITY_ATTRIBUTE_VALUE) in self.lexicon.red_flag_triggers:
                    kept.append(entity)
                continue
            value = str(entity.get(ENTITY_ATTRIBUTE_VALUE, ""))
            if not self.lexicon.is_canonical(entity_type, value):
                known = self.lexicon.lookup(value, entity_type) or self.lexicon.lookup(
                    text[entity[ENTITY_ATTRIBUTE_START]:entity[ENTITY_ATTRIBUTE_END]], entity_type)
                if not known:
                    continue  # not a contract id: better nothing than a wrong value
                entity = {**entity, ENTITY_ATTRIBUTE_VALUE: known[1]}
            # a combination product names each of its medicines
            kept.extend({**entity, ENTITY_ATTRIBUTE_VALUE: value}
                        for value in str(entity[ENTITY_ATTRIBUTE_VALUE]).split(COMBINATION_SEPARATOR))
        return sorted(kept, key=lambda e: e[ENTITY_ATTRIBUTE_START])


def _overlap(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    return a[ENTITY_ATTRIBUTE_START] < b[ENTITY_ATTRIBUTE_END] and b[ENTITY_ATTRIBUTE_START] < a[ENTITY_ATTRIBUTE_END]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class NegationMarker(_LexiconComponent):
    """Sets each mention's role from the words around it (context.py, rules in knowledge/context_rules.yml):
    `negated` ("no numbness"), `past` ("I stopped the amitriptyline"), `asked` ("would duloxetine help?") or
    `other_person` ("my mum is on warfarin"); no role means the patient, now. A stopped medicine also gets `reason`
    (side_effect, no_help) when the patient says why. Roles from other extractors are replaced, never kept."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(ENTITIES, mark_roles(message.get(ENTITIES, []), _words(message), message.get(TEXT) or "",
                                             self.mention_context), add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class RedFlagDetector(_LexiconComponent):
    """Last in the pipeline, independent of the classifiers: any red-flag trigger adds a `red_flag` entity and makes
    the intent `report_red_flag`, so the dialogue escalates whatever else the message said.

    Safety net: when the intent classifier is confident that a message reports a red flag but no trigger names
    which one, the entity `possible_red_flag` is added, whose advice lists the emergency signs (never nothing) -
    unless every warning topic the message names is denied ("no chest pain at all", "my breathing is fine")."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**_LexiconComponent.get_default_config(), "safety_net_confidence": 0.8}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            words = _words(message)
            text = message.get(TEXT) or ""
            # DIET's red-flag spans are held to the same rule as the triggers: a denial never escalates
            entities = [e for e in message.get(ENTITIES, []) if e.get(ENTITY_ATTRIBUTE_TYPE) != RED_FLAG_ENTITY or
                        not self.mention_context.red_flag_denied(words, e[ENTITY_ATTRIBUTE_START],
                                                                 e[ENTITY_ATTRIBUTE_END], text)]
            known = {e[ENTITY_ATTRIBUTE_VALUE] for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) == RED_FLAG_ENTITY}
            for flag_id, start, end in find_red_flags(words, self.lexicon.red_flag_triggers,
                                                      self.lexicon.message_scope_flags):
                if flag_id not in known and not self.mention_context.red_flag_denied(words, start, end, text):
                    entities.append(self._entity(flag_id, start, end))
                    known.add(flag_id)
            intent = message.get(INTENT) or {}
            if not known and intent.get("name") == RED_FLAG_INTENT and \
                    (intent.get("confidence") or 0) >= self._config["safety_net_confidence"] and \
                    self.affirms_warning_topic(words, text):
                entities.append(self._entity(POSSIBLE_RED_FLAG, 0, len(text)))
                known.add(POSSIBLE_RED_FLAG)
            if len(entities) != len(message.get(ENTITIES, [])) or known:
                message.set(ENTITIES, entities, add_to_output=True)
            if known:
                self._set_red_flag_intent(message)
            elif intent.get("name") == RED_FLAG_INTENT:
                # the classifier's guess without a sign named: the intent that routes to escalation is kept for
                # messages that carry one, so an answer ("sciatica down my right leg") is never taken for one
                self._drop_red_flag_intent(message)
        return messages

    @staticmethod
    def _drop_red_flag_intent(message: Message) -> None:
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != RED_FLAG_INTENT]
        has_clinical = any(e.get(ENTITY_ATTRIBUTE_TYPE) in ("symptom", "condition", "medication", "body_part")
                           for e in message.get(ENTITIES, []))
        best = {"name": "describe_pain", "confidence": 1.0} if has_clinical or not ranking else ranking[0]
        message.set(INTENT, best, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [best] + [r for r in ranking if r.get("name") != best["name"]],
                    add_to_output=True)

    def affirms_warning_topic(self, words: List[Word], text: str) -> bool:
        """The safety net needs a warning topic the message affirms ("my vision went black", "is this an emergency"):
        a word of a warning sign's triggers that is not ordinary vocabulary of the report (a body part, symptom,
        condition or medicine: "just the shingles", "my legs ache after gardening"), and that is not denied ("my
        breathing is fine"). The classifier alone is no reason to escalate."""
        topics = [(start, end) for start, end in warning_topics(words, self.lexicon.red_flag_triggers)
                  if not self.lexicon.lookup(text[start:end]) and any(
                      w.lower.isalpha() and w.lower not in STOP_WORDS and w.lower not in GENERIC_PAIN_WORDS
                      and not self.lexicon.lookup(w.lower) for w in words if w.start >= start and w.end <= end)]
        return bool(topics) and not self.mention_context.denies_all(words, topics, text)

    def _entity(self, flag_id: str, start: int, end: int) -> Dict[str, Any]:
        return {ENTITY_ATTRIBUTE_TYPE: RED_FLAG_ENTITY, ENTITY_ATTRIBUTE_VALUE: flag_id, ENTITY_ATTRIBUTE_START: start,
                ENTITY_ATTRIBUTE_END: end, "confidence_entity": 1.0, "extractor": type(self).__name__}

    @staticmethod
    def _set_red_flag_intent(message: Message) -> None:
        intent = {"name": RED_FLAG_INTENT, "confidence": 1.0}
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != RED_FLAG_INTENT]
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    """Rasa's ResponseSelector, run only on messages classified as the retrieval intent: the others never use its
    answer, and skipping them saves a model call on most messages."""

    def process(self, messages: List[Message]) -> List[Message]:
        retrieval_intent = self.retrieval_intent
        asked = [m for m in messages if (m.get(INTENT) or {}).get("name") == retrieval_intent]
        if asked:
            super().process(asked)
        return messages
