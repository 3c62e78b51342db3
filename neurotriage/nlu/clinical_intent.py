"""A message that names symptoms, conditions or medicines is about the patient's health, whatever the classifier
guessed: "burning feet from diabetes, i also take phenelzine" must not get "did you mean ...?" or "I can only help with
nerve pain". Runs after the FallbackClassifier and before the RedFlagDetector, which still overrules it."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

CLINICAL_ENTITIES = ("symptom", "condition", "medication")
DESCRIBE_PAIN = "describe_pain"
# Guesses that a clinical message is never meant as: the message is taken as a description instead.
OVERRULED_INTENTS = ("nlu_fallback", "out_of_scope", "bot_challenge", "goodbye")


def clinical_intent(intent_name: str, entities: List[Dict[str, Any]]) -> str:
    """The intent to keep: describe_pain for a clinical message the classifier misread, else the classifier's."""
    if intent_name in OVERRULED_INTENTS and any(e.get("entity") in CLINICAL_ENTITIES for e in entities):
        return DESCRIBE_PAIN
    return intent_name


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ClinicalIntentGuard(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ClinicalIntentGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = clinical_intent(intent.get("name") or "", message.get(ENTITIES) or [])
            if name != intent.get("name"):
                ranked = {"name": name, "confidence": 1.0}
                ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != name]
                message.set(INTENT, ranked, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [ranked] + ranking, add_to_output=True)
        return messages
