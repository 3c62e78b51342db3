"""Entity extraction on the real knowledge vocabulary, through the pipeline spacy_builder builds and the functions the
Rasa components use: misspellings, brands, combination products, lists, split words, and words in another sense."""
import json

import pytest
import spacy

from neurotriage.kb import loader
from neurotriage.nlu.extraction import clean_text, lexicon_entities, mark_roles, words_of
from neurotriage.nlu.lexicon import Lexicon
from neurotriage.nlu.spacy_builder import LEXICON_FILE, build
from tests.kb.kb_support import REAL_DIR


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    vocabulary: dict = {}
    for row in loader.validate_content(REAL_DIR).rows["synonyms"]:
        vocabulary.setdefault(row["entity_type"], {}).setdefault(row["canonical_id"], []).append(row["phrase"])
    out = build(vocabulary, {}, tmp_path_factory.mktemp("spacy") / "en_test")
    nlp = spacy.load(out)
    lexicon = Lexicon.from_json(json.loads((out / LEXICON_FILE).read_text()))

    def run(text):
        cleaned = clean_text(text, 2000).lower()
        doc = nlp(cleaned)
        return mark_roles(lexicon_entities(doc, lexicon), words_of(doc), cleaned)
    return run


def found(entities, entity_type=None):
    return {(e["entity"], e["value"]) for e in entities if entity_type in (None, e["entity"]) and "role" not in e}


@pytest.mark.parametrize("text, expected", [
    # wrong vowels, doubled or dropped letters, sound-alike letters
    ("the doctor gave me xeralto after the clot", ("medication", "rivaroxaban")),
    ("i take klonapin at night", ("medication", "clonazepam")),
    ("been on cymbalata since june", ("medication", "duloxetine")),
    ("nurontin 300 three times a day", ("medication", "gabapentin")),
    ("my legs have felt week and full of numbbness for a month", ("symptom", "numbness")),
    # brands, UK and US
    ("zapain and naproxen for my back", ("medication", "codeine")),
    ("i use voltarol gel on my knee", ("medication", "diclofenac")),
    ("started requip for restless legs", ("medication", "ropinirole")),
    ("my gp put me on lioresal for the spasms", ("medication", "baclofen")),
    ("i am on nolvadex after the breast surgery", ("medication", "tamoxifen")),
    ("they switched me to brilique", ("medication", "ticagrelor")),
    # lay phrases and abbreviations
    ("i have type 2 dm and my feet are numb", ("condition", "diabetes")),
    ("a pinched nerve in my lower back", ("condition", "sciatica")),
    ("i had a few seizures last year", ("condition", "epilepsy")),
    ("my leg keeps giving way on the stairs", ("symptom", "weakness")),
    ("my shins are painful when touched", ("symptom", "allodynia")),
    ("reduced sensation in both big toes", ("symptom", "numbness")),
    ("i have chronic hep c.", ("condition", "liver_disease")),
])
def test_how_patients_write_is_recognised(extract, text, expected):
    assert expected in found(extract(text))


def test_a_combination_product_names_each_of_its_medicines(extract):
    assert found(extract("i take co-codamol for the pain"), "medication") == {("medication", "codeine"),
                                                                              ("medication", "paracetamol")}
    assert found(extract("tramacet twice a day"), "medication") == {("medication", "tramadol"),
                                                                    ("medication", "paracetamol")}


def test_medicines_are_recognised_inside_lists(extract):
    assert found(extract("I'm on metformin, ramipril and bisoprolol, plus amlodipine."), "medication") == {
        ("medication", "metformin"), ("medication", "ramipril"), ("medication", "bisoprolol"),
        ("medication", "amlodipine")}
    # a full stop typed without a space still ends the word
    assert ("medication", "pregabalin") in found(extract("the baclofen helps.pregabalin does not"))


def test_a_word_split_by_a_space_or_hyphen_is_joined(extract):
    assert found(extract("i am on oxy-codone for the pain"), "medication") == {("medication", "oxycodone")}
    assert ("condition", "trigeminal_neuralgia") in found(extract("tri geminal neuralgia on the left"))
    # two ordinary words are never joined into a term
    assert found(extract("i did jury service in march"), "condition") == set()


@pytest.mark.parametrize("text", [
    "i have felt emotionally numb since the divorce",
    "my stomach burns after every meal",
    "burning when i pee, could it be cystitis",
    "missing a dose gives me electric shocks in my brain",
    "the worst brain zaps when i came off it",
    "i got electrocuted by a loose wire in the kitchen",
    "i am still numb from the dentist's injection",
    "that is a burning question for my consultant",
    "i want to crawl out of my skin with nerves",
    "there's a weak spot in the fence",
    "i am scared of needles",
    "i fell asleep on the sofa",
    "my flu jab is booked",
    "i'm on anti-seizure tablets for the pain",
    "she went into shock after the bee sting",
])
def test_words_in_another_sense_are_no_entity(extract, text):
    entities = extract(text)
    assert found(entities, "symptom") == set() and found(entities, "condition") == set()


@pytest.mark.parametrize("text, expected", [
    # the same words, where they are nerve symptoms
    ("it's not heartburn, the burning is in my toes", ("symptom", "burning")),
    ("my feet feel numb like after the dentist", ("symptom", "numbness")),
    ("electric shocks down my arm", ("symptom", "electric_shock")),
    ("my hands feel weak", ("symptom", "weakness")),
    ("sharp stinging in my shin when the sheets touch it", ("symptom", "burning")),
])
def test_the_same_words_still_count_as_symptoms(extract, text, expected):
    assert expected in found(extract(text))


@pytest.mark.parametrize("word", ["addictive", "table", "quinine", "hypothyroid", "dumbness", "lifelike",
                                  "herein", "abreast"])
def test_spelling_correction_leaves_real_words_and_other_terms_alone(extract, word):
    values = found(extract(f"the word is {word}"))
    assert ("medication", "quinidine") not in values and ("condition", "hyperthyroidism") not in values
    assert not {v for v in values if v[1] in ("substance_misuse", "numbness", "stabbing", "fluoxetine", "chest")}
