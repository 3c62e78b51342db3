"""Roles of mentions (negated, past, asked, other_person) from the ConText rules in knowledge/context_rules.yml,
on words tokenised by the real spaCy pipeline. The phrasings are written for these tests."""
import json

import pytest

from neurotriage.nlu.context import RULES_FILE, MentionContext, default_context, load_rules, validate_rules
from neurotriage.nlu.lexicon import Lexicon, Word, warning_topics
from neurotriage.nlu.spacy_builder import blank_pipeline, tokenised_triggers

NLP = blank_pipeline()
CONTEXT = default_context()


def words(text):
    return [Word(t.lower_, t.lemma_.lower(), t.idx, t.idx + len(t.text)) for t in NLP(text)]


def assess(text, *mentions):
    """mentions: (phrase, entity type) -> [(role, reason)] in the same order."""
    lowered = text.lower()
    spans = [(lowered.index(p), lowered.index(p) + len(p), kind) for p, kind in mentions]
    return [(m.role, m.reason) for m in CONTEXT.assess(words(text), spans, text)]


@pytest.mark.parametrize("text, mentions, expected", [
    # negated
    ("I don't take warfarin", [("warfarin", "medication")], ["negated"]),
    ("dont have diabetes, never had shingles", [("diabetes", "condition"), ("shingles", "condition")],
     ["negated", "negated"]),
    ("I don’t get any tingling", [("tingling", "symptom")], ["negated"]),
    ("no, and i also have numbness", [("numbness", "symptom")], [None]),
    ("tingling? no", [("tingling", "symptom")], ["negated"]),
    ("would lyrica help? no numbness though", [("lyrica", "medication"), ("numbness", "symptom")],
     ["asked", "negated"]),
    ("i do not know if it's diabetes", [("diabetes", "condition")], [None]),  # not a denial
    ("the lyrica doesn't help the burning", [("burning", "symptom")], [None]),
    # past
    ("I stopped the amitriptyline", [("amitriptyline", "medication")], ["past"]),
    ("used to take lyrica years back", [("lyrica", "medication")], ["past"]),
    ("no longer on gabapentin", [("gabapentin", "medication")], ["past"]),
    ("i dont take nortriptyline anymore", [("nortriptyline", "medication")], ["past"]),  # past outranks negated
    ("switched from lyrica to gabapentin", [("lyrica", "medication"), ("gabapentin", "medication")], ["past", None]),
    ("I've tried everything, currently on pregabalin", [("pregabalin", "medication")], [None]),
    ("I tried tens and acupuncture in the past", [("tens", "therapy"), ("acupuncture", "therapy")], ["past", "past"]),
    ("the shingles cleared up last spring", [("shingles", "condition")], ["past"]),
    ("i want to stop the lyrica", [("lyrica", "medication")], [None]),  # a stop not made yet
    ("should I stop the gabapentin?", [("gabapentin", "medication")], [None]),
    # asked
    ("would duloxetine help?", [("duloxetine", "medication")], ["asked"]),
    ("what about lyrica?", [("lyrica", "medication")], ["asked"]),
    ("is tramadol safe?", [("tramadol", "medication")], ["asked"]),
    ("Could this be diabetes", [("diabetes", "condition")], ["asked"]),
    ("my GP suggested amitriptyline", [("amitriptyline", "medication")], ["asked"]),
    # a medicine the patient takes, named inside a question, stays theirs (it drives the safety checks)
    ("is tramadol safe with warfarin", [("tramadol", "medication"), ("warfarin", "medication")], ["asked", None]),
    ("can i take duloxetine instead of lyrica", [("duloxetine", "medication"), ("lyrica", "medication")],
     ["asked", None]),
    ("can i take my lyrica at night", [("lyrica", "medication")], [None]),
    ("I tried lyrica, would duloxetine help?", [("lyrica", "medication"), ("duloxetine", "medication")],
     ["past", "asked"]),
    # a question about a symptom means the patient has it
    ("is it normal to get tingling?", [("tingling", "symptom")], [None]),
    # other_person
    ("my mum is on warfarin", [("warfarin", "medication")], ["other_person"]),
    ("my husband has diabetes", [("diabetes", "condition")], ["other_person"]),
    ("I take lyrica, my wife takes warfarin", [("lyrica", "medication"), ("warfarin", "medication")],
     [None, "other_person"]),
    ("my wife has diabetes and i take lyrica", [("diabetes", "condition"), ("lyrica", "medication")],
     ["other_person", None]),
    ("diabetes runs in my family", [("diabetes", "condition")], ["other_person"]),
    ("my dad stopped his warfarin", [("warfarin", "medication")], ["other_person"]),  # outranks past
    # body parts only ever get `negated` (domain.yml)
    ("my son has numb feet", [("numb", "symptom"), ("feet", "body_part")], ["other_person", None]),
])
def test_roles(text, mentions, expected):
    assert [role for role, _ in assess(text, *mentions)] == expected


@pytest.mark.parametrize("text, reason", [
    ("the gabapentin didn't help so I came off it", "no_help"),
    ("tried gabapentin years ago, didnt work", "no_help"),
    ("stopped gabapentin because it made me feel sick", "side_effect"),
    ("the gabapentin made me too drowsy so i stopped it", "side_effect"),
    ("I stopped the gabapentin", None),
])
def test_reason_a_medicine_was_stopped(text, reason):
    assert assess(text, ("gabapentin", "medication")) == [("past", reason)]


def test_a_line_break_ends_a_sentence():
    text = "no numbness\nburning in my feet"
    assert assess(text, ("burning", "symptom")) == [(None, None)]
    assert assess(text.replace("\n", " "), ("burning", "symptom")) == [("negated", None)]


TRIGGERS = tokenised_triggers(NLP, {
    "chest_pain": [[["chest"], ["pain", "tight", "crushing"]]],
    "bladder_bowel_dysfunction": [[["bladder", "bowel", "bowels"], ["control", "leak"]]],
    "breathing_difficulty": [[["breathing", "breathe"], ["hard", "struggling", "can't"]]],
    "stroke_signs": [[["stroke"], ["is this", "could be"]], [["face"], ["drooping"]]],
})


@pytest.mark.parametrize("text, denied", [
    ("no chest pain at all", True),
    ("i haven't had chest pain", True),
    ("crushing chest pain since lunch", False),
    ("no bladder control since this morning", False),  # a loss is the warning sign itself
    ("i don't have any control over my bowels", False),
    ("is this a stroke?", False),  # asked about: still escalated
    ("my husband's face is drooping", False),  # someone else, now: still escalated
])
def test_red_flag_escalation(text, denied):
    lexicon = Lexicon(phrases={}, red_flag_triggers=TRIGGERS)
    from neurotriage.nlu.lexicon import find_red_flags
    [(_, start, end)] = find_red_flags(words(text), lexicon.red_flag_triggers)
    assert CONTEXT.red_flag_denied(words(text), start, end, text) is denied


@pytest.mark.parametrize("text, denies", [
    ("no chest pain at all", True),
    ("my breathing is fine", True),
    ("no problems with my eyesight", True),
    ("my dad had a stroke years ago", True),
    ("my breathing is bad", False),
    ("no chest pain but my breathing is odd", False),
    ("something is wrong with my eyesight", False),
])
def test_denial_of_warning_topics_for_the_safety_net(text, denies):
    topics = warning_topics(words(text), TRIGGERS)
    assert CONTEXT.denies_all(words(text), topics, text) is denies


def test_the_rule_file_is_valid_and_every_role_has_cues():
    data = load_rules(RULES_FILE)
    roles = {spec.get("role") for spec in data["categories"].values() if spec}
    used = {data["categories"][rule["category"]].get("role") for rule in data["rules"]
            if rule["direction"] != "PSEUDO"}
    assert {"negated", "past", "asked", "other_person"} <= roles <= used | {None}


@pytest.mark.parametrize("broken, message", [
    ({"category": "UNKNOWN"}, "not in categories"),
    ({"direction": "SIDEWAYS"}, "direction"),
    ({"colour": "red"}, "unknown keys"),
])
def test_a_bad_rule_is_refused_with_its_place(broken, message):
    data = load_rules(RULES_FILE)
    data["rules"] = [{**data["rules"][0], **broken}]
    with pytest.raises(ValueError, match=message):
        validate_rules(data)


def test_rules_travel_with_the_lexicon():
    data = load_rules(RULES_FILE)
    data["rules"] = [r for r in data["rules"] if r["literal"] != "never"]
    lexicon = Lexicon.from_json(json.loads(json.dumps(Lexicon(phrases={}, red_flag_triggers={},
                                                              context_rules=data).to_json())))
    without_never = MentionContext(lexicon.context_rules)
    text = "never had shingles"
    span = [(text.index("shingles"), len(text), "condition")]
    assert without_never.assess(words(text), span)[0].role is None
    assert CONTEXT.assess(words(text), span)[0].role == "negated"
