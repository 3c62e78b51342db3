"""Screening scores, the triage decision and the summary's contract fields."""
from types import SimpleNamespace

import pytest

from neurotriage.clinical.screening import NO, UNKNOWN, YES, answers_from_report, next_item, score
from neurotriage.clinical.patient_report import PatientReport
from neurotriage.clinical.summary import SUMMARY_FIELDS, AssessmentRecord, build_summary
from neurotriage.clinical.therapy_matching import OptionWarning, TherapyOption
from neurotriage.clinical.triage import TriageInput, decide


def item(symptom, yes=1, no=0):
    return SimpleNamespace(id=f"dn4_{symptom}", question=f"{symptom}?", symptom_id=symptom, yes_points=yes, no_points=no)


DN4 = SimpleNamespace(id="dn4_interview", name="DN4", min_score=0, max_score=7, threshold=3, source_ids=("S16",),
                      items=[item(s) for s in ("burning", "painful_cold", "electric_shock", "tingling",
                                               "pins_and_needles", "numbness", "itching")])
ID_PAIN = SimpleNamespace(id="id_pain", name="ID Pain", min_score=-1, max_score=5, threshold=3, source_ids=("S17",),
                          items=[item("burning"), SimpleNamespace(id="joints", question="joints only?", symptom_id=None,
                                                                   yes_points=-1, no_points=0)])


def test_free_text_answers_items_and_they_are_not_asked_again():
    answers = answers_from_report(DN4, ["burning", "tingling"], ["numbness"])
    assert answers == {"dn4_burning": YES, "dn4_tingling": YES, "dn4_numbness": NO}
    assert next_item(DN4, answers).id == "dn4_painful_cold"


def test_score_threshold_and_dont_know():
    answers = {"dn4_burning": YES, "dn4_tingling": YES, "dn4_itching": UNKNOWN, "dn4_numbness": NO}
    result = score(DN4, answers)
    assert (result.score, result.positive) == (2, False)
    # four items not answered could still reach the threshold: the screening is open, never "does not suggest"
    assert not result.decided and "can't tell" in result.wording and "does not suggest" not in result.wording
    assert result.to_dict()["positive"] is None
    result = score(DN4, {**answers, "dn4_electric_shock": YES})
    assert (result.score, result.positive) == (3, True)
    assert "suggests your pain may be nerve pain" in result.wording and "not a diagnosis" in result.wording
    assert list(result.answers) == ["dn4_burning", "dn4_electric_shock", "dn4_tingling", "dn4_numbness", "dn4_itching"]


def test_a_negative_screening_needs_the_answers_that_could_change_it():
    all_no = {item.id: NO for item in DN4.items}
    result = score(DN4, {**all_no, "dn4_burning": YES, "dn4_itching": UNKNOWN})
    assert result.decided and not result.positive and "does not suggest" in result.wording
    result = score(DN4, {**all_no, "dn4_burning": YES, "dn4_tingling": YES, "dn4_itching": UNKNOWN})
    assert not result.decided


def test_negative_points_and_floor():
    assert score(ID_PAIN, {"joints": YES}).score == -1
    assert score(ID_PAIN, {"dn4_burning": YES, "joints": YES}).score == 0


def test_next_item_is_none_when_all_answered():
    assert next_item(DN4, {i.id: NO for i in DN4.items}) is None


@pytest.mark.parametrize("facts, level", [
    (TriageInput(red_flag_level="emergency", red_flag_names=("chest pain",)), "emergency"),
    (TriageInput(red_flag_level="urgent", red_flag_names=("shingles near the eye",), screening_positive=True), "urgent"),
    (TriageInput(screening_positive=True), "consultation"),
    (TriageInput(screening_positive=False, pain_score=8), "consultation"),
    (TriageInput(screening_positive=False, chronic=True), "consultation"),
    (TriageInput(screening_positive=False, limits_daily_life=True), "consultation"),
    (TriageInput(screening_positive=False, chronic=False, pain_score=3, limits_daily_life=False), "self_care"),
    # silence is not reassurance: any key fact not given means at least a consultation
    (TriageInput(), "consultation"),
    (TriageInput(screening_positive=False, chronic=False, pain_score=3), "consultation"),
    (TriageInput(screening_positive=False, chronic=False, limits_daily_life=False), "consultation"),
    (TriageInput(chronic=False, pain_score=2, limits_daily_life=False), "consultation"),
])
def test_triage_levels(facts, level):
    decision = decide(facts)
    assert decision.level == level
    assert decision.reasons and decision.source_ids


def test_red_flag_reason_names_the_flags():
    assert "chest pain" in decide(TriageInput(red_flag_level="emergency", red_flag_names=("chest pain",))).reasons[0]


def test_summary_has_every_contract_field_and_lists_all_sources():
    warning = OptionWarning("Not with sciatica.", "absolute", "guideline", ("S05",), "verified")
    options = [TherapyOption("pregabalin", "Pregabalin", "medication", "first", "not_advised", (warning,), ("S01",), "verified"),
               TherapyOption("physical_therapy", "Physiotherapy", "non_drug", "supportive", "discuss", (), ("S04",), "verified")]
    record = AssessmentRecord("abc", decide(TriageInput(screening_positive=True)), symptoms_present=["burning"],
                              symptoms_absent=["numbness"], conditions=["sciatica"], pain_score=6,
                              screening=score(DN4, {"dn4_burning": YES}), therapy_options=options)
    cited = []
    summary = build_summary(record, lambda ids: cited.extend(ids) or [{"id": i, "citation": i, "url": None} for i in ids])
    assert tuple(summary) == SUMMARY_FIELDS
    assert summary["triage_level"] == "consultation"
    assert summary["symptoms"] == {"present": ["burning"], "absent": ["numbness"], "past": []}
    assert summary["contraindications"] == [{"therapy_id": "pregabalin", "suitability": "not_advised", **warning.to_dict()}]
    assert {"S01", "S04", "S05", "S16"} <= set(cited)
    # one item answered: the screening is undecided, and the summary says so rather than "negative"
    assert summary["screening"]["positive"] is None and summary["screening"]["max_score"] == 7


def test_reasons_say_only_what_was_given_and_name_what_could_not_be_assessed():
    decision = decide(TriageInput(screening_positive=None, chronic=None, pain_score=None, limits_daily_life=None))
    text = " ".join(decision.reasons)
    assert decision.level == "consultation"
    assert "couldn't assess" in text and "how long" in text and "how strong" in text and "daily life" in text
    assert "recent" not in text and "not severe" not in text and "does not suggest" not in text
    decision = decide(TriageInput(screening_positive=False, chronic=False, pain_score=2, limits_daily_life=False))
    assert decision.level == "self_care" and "2 out of 10" in " ".join(decision.reasons)


def test_summary_keeps_stopped_medicines_and_past_conditions_apart_from_current_ones():
    report = PatientReport.from_slots({})
    report.add_entities([
        {"entity": "medication", "value": "metformin"},
        {"entity": "medication", "value": "amitriptyline", "role": "past", "reason": "side_effect"},
        {"entity": "medication", "value": "gabapentin", "role": "past"},
        {"entity": "medication", "value": "duloxetine", "role": "asked"},
        {"entity": "medication", "value": "warfarin", "role": "other_person"},
        {"entity": "condition", "value": "diabetes"},
        {"entity": "condition", "value": "shingles", "role": "past"},
        {"entity": "symptom", "value": "tingling", "role": "past"},
    ])
    slots = report.slots
    record = AssessmentRecord("abc", decide(TriageInput(screening_positive=True)), conditions=slots["conditions"],
                              conditions_past=slots["conditions_past"], medications=slots["medications"],
                              medication_history=report.medication_history(), symptoms_past=slots["symptoms_past"])
    summary = build_summary(record, lambda ids: [])
    assert summary["medications"] == ["metformin"]
    assert summary["medication_history"] == [{"id": "amitriptyline", "reason": "side_effect"},
                                             {"id": "gabapentin", "reason": None}]
    assert summary["conditions"] == ["diabetes"] and summary["condition_history"] == ["shingles"]
    assert summary["symptoms"]["past"] == ["tingling"]
