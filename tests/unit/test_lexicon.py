"""Negation scopes, spelling correction and red-flag triggers, on words tokenised by the real spaCy pipeline."""
import pytest

from neurotriage.nlu.lexicon import Lexicon, Word, find_red_flags, negated_spans, red_flag_denied
from neurotriage.nlu.spacy_builder import blank_pipeline, tokenised_triggers

NLP = blank_pipeline()

VOCABULARY = {
    "symptom": {"burning": ["burning", "burns", "on fire"], "numbness": ["numbness", "numb", "no feeling"],
                "tingling": ["tingling", "tingly"], "pins_and_needles": ["pins and needles"]},
    "condition": {"diabetes": ["diabetes", "diabetic"], "shingles": ["shingles"]},
    "medication": {"pregabalin": ["pregabalin", "lyrica"], "gabapentin": ["gabapentin", "neurontin"]},
}


def words(text):
    return [Word(t.lower_, t.lemma_.lower(), t.idx, t.idx + len(t.text)) for t in NLP(text)]


def spans(text, *phrases):
    lowered = text.lower()
    return [(lowered.index(p), lowered.index(p) + len(p)) for p in phrases]


@pytest.mark.parametrize("text, phrases, expected", [
    ("no numbness but my feet burn", ["numbness", "burn"], [True, False]),
    ("I'm not diabetic", ["diabetic"], [True]),
    ("i dont have diabetes", ["diabetes"], [True]),
    ("I don't have diabetes but I had shingles", ["diabetes", "shingles"], [True, False]),
    ("no numbness, tingling or burning", ["numbness", "tingling", "burning"], [True, True, True]),
    ("never had shingles", ["shingles"], [True]),
    # a stop, not a denial: the role is `past` (tests/unit/test_context.py)
    ("no longer on lyrica", ["lyrica"], [False]),
    ("i can't walk far because of the burning", ["burning"], [False]),
    ("no feeling in my toes", ["no feeling"], [False]),  # the phrase itself is the symptom
    ("not sure but it might be tingling", ["tingling"], [False]),
    ("the burning is not helping my sleep", ["burning"], [False]),
    ("tingling? no", ["tingling"], [True]),
    ("numbness - none. burning yes", ["numbness", "burning"], [True, False]),
    ("no, and i also have numbness", ["numbness"], [False]),
    ("I have diabetes. No shingles.", ["diabetes", "shingles"], [False, True]),
    ("without any tingling", ["tingling"], [True]),
    ("it burns and i have no idea why", ["burns"], [False]),
])
def test_negation_scopes(text, phrases, expected):
    assert negated_spans(words(text), spans(text, *phrases)) == expected


def test_spelling_correction_maps_misspelt_vocabulary_but_leaves_english_words():
    lexicon = Lexicon(phrases=VOCABULARY, red_flag_triggers={}, known_words={"lyric", "burning"})
    assert lexicon.correct_spelling("numbess")[1:] == ("symptom", "numbness")
    assert lexicon.correct_spelling("gabapenten")[1:] == ("medication", "gabapentin")
    assert lexicon.correct_spelling("tinglng")[1:] == ("symptom", "tingling")
    assert lexicon.correct_spelling("lyric") is None  # a real word, not a misspelt brand
    assert lexicon.correct_spelling("shinglez")[1:] == ("condition", "shingles")
    assert lexicon.correct_spelling("table") is None


def test_lookup_maps_phrases_and_ids_to_canonical_values():
    lexicon = Lexicon(phrases=VOCABULARY, red_flag_triggers={})
    assert lexicon.lookup("Lyrica") == ("medication", "pregabalin")
    assert lexicon.lookup("pins and needles", "symptom") == ("symptom", "pins_and_needles")
    assert lexicon.lookup("lyrica", "symptom") is None
    assert lexicon.lookup("aspirin") is None


TRIGGERS = tokenised_triggers(NLP, {
    "bladder_bowel_dysfunction": [[["bladder", "pee", "bowel"], ["control", "can't", "leak", "wet"]]],
    "suicidal_ideation": [[["kill myself"]], [["end it all"]], [["stockpile"], ["pills", "tablets"]]],
})


@pytest.mark.parametrize("text, expected", [
    ("my legs went weak and i've had no bladder control since this morning", ["bladder_bowel_dysfunction"]),
    ("I can't control when I pee", ["bladder_bowel_dysfunction"]),
    ("my bladder is leaking", ["bladder_bowel_dysfunction"]),
    ("sometimes i want to kill myself", ["suicidal_ideation"]),
    ("i've been stockpiling my tablets", ["suicidal_ideation"]),
    ("my feet burn at night", []),
    # the two parts must be in one sentence
    ("I have a bladder infection. My feet leak sweat.", []),
])
def test_red_flag_triggers(text, expected):
    assert [flag for flag, _, _ in find_red_flags(words(text), TRIGGERS)] == expected


def test_red_flag_span_covers_the_matched_words():
    text = "no bladder control"
    [(flag, start, end)] = find_red_flags(words(text), TRIGGERS)
    assert text[start:end] == "bladder control"


def test_lexicon_round_trips_through_json():
    lexicon = Lexicon(phrases=VOCABULARY, red_flag_triggers=TRIGGERS, known_words={"lyric"})
    again = Lexicon.from_json(lexicon.to_json())
    assert again.lookup("lyrica") == ("medication", "pregabalin")
    assert [f for f, _, _ in find_red_flags(words("i want to end it all"), again.red_flag_triggers)] == ["suicidal_ideation"]


@pytest.mark.parametrize("text, denied", [
    ("no chest pain at all", True),
    ("crushing chest pain", False),
    ("i don't have any chest pain", True),
    # a loss is the red flag itself, never a denial
    ("my legs went weak and i've had no bladder control since this morning", False),
    ("no bowel control today", False),
])
def test_denied_red_flags(text, denied):
    triggers = tokenised_triggers(NLP, {"chest_pain": [[["chest"], ["pain", "tight"]]],
                                        "bladder_bowel_dysfunction": [[["bladder", "bowel"], ["control"]]]})
    [(flag, start, end)] = find_red_flags(words(text), triggers)
    assert red_flag_denied(words(text), start, end) is denied


@pytest.mark.parametrize("text, phrases, expected", [
    ("i have no numbness at all, it's all burning", ["numbness", "burning"], [True, False]),
    ("actually i'm not on warfarin, it's apixaban", ["warfarin", "apixaban"], [True, False]),
    ("the burning never stops, it's always in my feet", ["burning", "feet"], [False, False]),
    ("no numbness, tingling, or burning", ["numbness", "tingling", "burning"], [True, True, True]),
])
def test_new_clauses_close_a_negation(text, phrases, expected):
    assert negated_spans(words(text), spans(text, *phrases)) == expected


def test_sound_alike_misspellings_are_corrected_but_not_a_different_first_sound():
    vocabulary = {"medication": {"rivaroxaban": ["xarelto"], "clonazepam": ["klonopin"], "sertraline": ["sertraline"]},
                  "symptom": {"numbness": ["numbness"]}}
    lexicon = Lexicon(phrases=vocabulary, red_flag_triggers={}, known_words=set())
    assert lexicon.correct_spelling("xeralto")[1:] == ("medication", "rivaroxaban")  # two vowels wrong
    assert lexicon.correct_spelling("clonapin")[1:] == ("medication", "clonazepam")  # c for k, a for o
    assert lexicon.correct_spelling("sertralene")[1:] == ("medication", "sertraline")
    assert lexicon.correct_spelling("dumbness") is None  # one letter off, but the first sound differs
    assert lexicon.correct_spelling("xylitol") is None  # same first letter, nothing else alike


def test_a_phrase_wins_over_another_types_id_spelt_the_same():
    lexicon = Lexicon(phrases={"medication": {"duloxetine": ["duloxetine", "cymbalta"]}, "therapy": {"duloxetine": []}},
                      red_flag_triggers={})
    assert lexicon.lookup("duloxetine") == ("medication", "duloxetine")
