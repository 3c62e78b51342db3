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
                                         ("its a 0 today", 0), ("12", None), ("no idea", None), ("maybe 5 or 6", 5)])
def test_pain_score(text, score):
    assert answers.pain_score(text) == score


@pytest.mark.parametrize("text, months", [("6 months", 6), ("2 yrs", 24), ("a few weeks", 0.75), ("since 2019", 84),
                                          ("about a year and a half", 12), ("3 days", 0.1), ("since last summer", 12),
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
