"""Reading short answers: yes/no, pain score, duration, age band, lists and "none"."""
import pytest

from neurotriage.clinical import answers
from neurotriage.clinical.screening import NO, UNKNOWN, YES


def test_yes_no_from_intent_or_the_symptom_itself():
    assert answers.yes_no("affirm") == YES
    assert answers.yes_no("deny") == NO
    assert answers.yes_no("dont_know") == UNKNOWN
    assert answers.yes_no("describe_pain", [{"entity": "symptom", "value": "burning"}], "burning") == YES
    assert answers.yes_no("describe_pain", [{"entity": "symptom", "value": "burning", "role": "negated"}], "burning") == NO
    assert answers.yes_no("faq") is None


@pytest.mark.parametrize("text, score", [("about a 7", 7), ("8/10", 8), ("seven out of ten", 7), ("ten, the worst", 10),
                                         ("its a 0 today", 0), ("12", None), ("no idea", None), ("maybe 5 or 6", 6)])
def test_pain_score(text, score):
    assert answers.pain_score(text) == score


@pytest.mark.parametrize("text, months", [("6 months", 6), ("2 yrs", 24), ("a few weeks", 0.75), ("since 2019", 84),
                                          ("about a year and a half", 18), ("3 days", 0.1), ("since last summer", 12),
                                          ("for ages", 12), ("since yesterday", 0.1), ("blue", None)])
def test_duration(text, months):
    assert answers.duration_months(text, current_year=2026) == months


@pytest.mark.parametrize("text, band", [("i'm 67", "65_plus"), ("72 years old", "65_plus"), ("in my 40s", "18_to_64"),
                                        ("16", "under_18"), ("retired now", "65_plus"), ("rather not say", None)])
def test_age_band(text, band):
    assert answers.age_band(text) == band


def test_lists_and_none():
    entities = [{"entity": "medication", "value": "pregabalin"}, {"entity": "medication", "value": "warfarin", "role": "negated"}]
    assert answers.listed_or_none("inform", "lyrica but not warfarin", entities, "medication") == ("pregabalin", ["pregabalin"])
    assert answers.listed_or_none("deny", "no", [], "medication") == ("none", [])
    assert answers.listed_or_none("inform", "nothing else", [], "condition") == ("none", [])
    assert answers.listed_or_none("dont_know", "not sure", [], "condition") == ("not given", [])
    assert answers.listed_or_none("inform", "tried physio once", [], "therapy") == ("tried physio once", [])


@pytest.mark.parametrize("text, answer", [
    ("yes i am", YES), ("ye go on", YES), ("kinda? like zingy", YES), ("a bit", YES), ("yeah sometimes", YES),
    ("Y", YES), ("i think so", YES), ("not really", NO), ("no... pacemaker... but no", NO), ("nope never", NO),
    ("no thanks", NO), ("n", NO), ("idk", UNKNOWN), ("no idea", UNKNOWN), ("not sure tbh", UNKNOWN),
    ("maybe", UNKNOWN), ("on and off", None), ("my feet", None), ("why do you ask", None)])
def test_typed_yes_no(text, answer):
    assert answers.yes_no_text(text) == answer
    # the words win over a classifier that misread them
    assert answers.yes_no("goodbye", [], None, text) == answer


@pytest.mark.parametrize("text, score", [
    ("4 months", None), ("for 2 years", None), ("300mg", None), ("usually a 3 but 9 at night", 9), ("6ish", 6),
    ("prob a 6, worse at night", 6), ("7-8", 8), ("about 6.5", 7), ("the pain is a five", 5), ("10/10 at times", 10)])
def test_pain_score_is_never_a_duration_and_takes_the_worst(text, score):
    assert answers.pain_score(text) == score


@pytest.mark.parametrize("text, months", [
    ("on and off", None), ("it comes and goes", None), ("a while", None), ("since the chemo", None),
    ("about 18 mo", 18), ("half a year", 6), ("couple months", 2), ("3 weeks ago", 0.75), ("since march", 9)])
def test_more_durations(text, months):
    assert answers.duration_months(text, current_year=2026, current_month=12) == months


def test_a_pattern_is_recognised_as_no_duration():
    assert answers.describes_pattern("it comes and goes") and answers.describes_pattern("on and off")
    assert not answers.describes_pattern("6 months")


@pytest.mark.parametrize("text, band", [("late 60s", "65_plus"), ("mid 60s", "65_plus"), ("early 60s", "18_to_64"),
                                        ("sixty seven", "65_plus"), ("i'm 4 months", None)])
def test_age_ranges_are_read_conservatively(text, band):
    assert answers.age_band(text) == band


@pytest.mark.parametrize("text, status", [
    ("yes i am", "pregnancy"), ("yes, 20 weeks", "pregnancy"), ("yep", "pregnancy"), ("breastfeeding", "breastfeeding"),
    ("no", "neither"), ("i'm a man", "neither"), ("not pregnant", "neither"), ("dunno", "not given"),
    ("purple", None)])
def test_pregnancy_answers(text, status):
    assert answers.pregnancy_answer(text) == status


def test_unrecognised_medicines_are_kept_in_the_patients_words():
    text = "metformin 500mg twice a day, tamoxiphen and my blue inhaler"
    assert answers.unrecognised_items(text, [(0, 9)]) == ["tamoxiphen", "my blue inhaler"]
    assert answers.unrecognised_items("none", []) == []
    assert answers.unrecognised_items("just the lyrica", [(9, 15)]) == []


def test_a_correction_drops_what_it_takes_back():
    text = answers.corrected_text("actually 3 years not 3 months")
    assert answers.duration_months(text, 2026) == 36
    assert answers.pain_score(answers.corrected_text("i meant 8 not 6")) == 8
