"""The thin Rasa components over context.py: roles and reasons on real Message objects, and the red-flag safety net,
which must stay quiet when a message denies every warning topic it names."""
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from neurotriage.nlu.components import NegationMarker, RedFlagDetector
from neurotriage.nlu.lexicon import Lexicon
from neurotriage.nlu.spacy_builder import blank_pipeline, tokenised_triggers

NLP = blank_pipeline()
TRIGGERS = tokenised_triggers(NLP, {"chest_pain": [[["chest"], ["pain", "crushing", "tight"]]],
                                    "breathing_difficulty": [[["breathing", "breathe"], ["hard", "struggling"]]]})
LEXICON = Lexicon(phrases={}, red_flag_triggers=TRIGGERS)


def message(text, entities=(), intent=None):
    tokens = [Token(t.text, t.idx, lemma=t.lemma_) for t in NLP(text) if t.text.strip()]
    data = {TEXT: text, TOKENS_NAMES[TEXT]: tokens, ENTITIES: list(entities)}
    if intent:
        data[INTENT] = {"name": intent, "confidence": 0.9}
    return Message(data=data)


def entity(text, phrase, kind, value=None, role=None):
    start = text.index(phrase)
    return {"entity": kind, "value": value or phrase, "start": start, "end": start + len(phrase),
            **({"role": role} if role else {})}


def component(cls):
    return cls({**cls.get_default_config()}, None, None, LEXICON)


def test_negation_marker_sets_each_role_and_the_reason():
    text = "my mum is on warfarin, i stopped the gabapentin as it made me dizzy. would duloxetine help? no numbness"
    entities = [entity(text, "warfarin", "medication"), entity(text, "gabapentin", "medication"),
                entity(text, "duloxetine", "medication"), entity(text, "numbness", "symptom", role="past")]
    [done] = component(NegationMarker).process([message(text, entities)])
    marked = {e["value"]: (e.get("role"), e.get("reason")) for e in done.get(ENTITIES)}
    assert marked == {"warfarin": ("other_person", None), "gabapentin": ("past", "side_effect"),
                      "duloxetine": ("asked", None), "numbness": ("negated", None)}


def test_a_mention_with_no_cue_loses_any_role_it_came_with():
    text = "i take gabapentin"
    [done] = component(NegationMarker).process([message(text, [entity(text, "gabapentin", "medication", role="past")])])
    assert "role" not in done.get(ENTITIES)[0]


@pytest.mark.parametrize("text, expected", [
    ("crushing chest pain", ["chest_pain"]),
    ("no chest pain at all", []),
    ("my breathing is fine", []),  # a confident report_red_flag intent, yet every topic is denied
    ("no problems with my eyesight", []),
    ("something is wrong with my breathing", ["possible_red_flag"]),  # the safety net, topic affirmed
    # a confident classifier alone never escalates: report vocabulary is no warning topic
    ("just the shingles.", []),
    ("myeloma, and my kidneys are not great because of it", []),
    ("my legs ache after gardening", []),
])
def test_red_flags_and_the_safety_net(text, expected):
    [done] = component(RedFlagDetector).process([message(text, intent="report_red_flag")])
    assert [e["value"] for e in done.get(ENTITIES) if e["entity"] == "red_flag"] == expected


def test_a_denied_red_flag_from_the_classifier_is_dropped():
    text = "no chest pain at all"
    diet = {**entity(text, "chest pain", "red_flag", value="chest_pain"), "extractor": "DIETClassifier"}
    [done] = component(RedFlagDetector).process([message(text, [diet], intent="report_red_flag")])
    assert done.get(ENTITIES) == []


@pytest.mark.parametrize("text", ["sciatica down my right leg.", "a dull ache in my right shoulder when i lift my arm",
                                  "really bad pain in the middle of my back, shooting round to my side"])
def test_the_classifiers_guess_alone_is_no_warning_sign_and_the_intent_follows(text):
    [done] = component(RedFlagDetector).process([message(text, intent="report_red_flag")])
    assert not [e for e in done.get(ENTITIES) if e["entity"] == "red_flag"]
    assert done.get("intent")["name"] != "report_red_flag"
