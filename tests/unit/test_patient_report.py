"""Everything the patient says is kept, denials included, and a later statement wins."""
from neurotriage.clinical.patient_report import PatientReport


def entity(kind, value, negated=False, role=None, reason=None):
    role = "negated" if negated else role
    return {"entity": kind, "value": value, **({"role": role} if role else {}), **({"reason": reason} if reason else {})}


def test_present_and_denied_are_kept_apart():
    report = PatientReport.from_slots({})
    report.add_entities([entity("symptom", "burning"), entity("symptom", "numbness", negated=True),
                         entity("medication", "pregabalin"), entity("body_part", "feet")])
    assert report.slots["symptoms_present"] == ["burning"]
    assert report.slots["symptoms_absent"] == ["numbness"]
    assert report.slots["medications"] == ["pregabalin"]
    assert report.slots["pain_locations"] == ["feet"]


def test_a_later_statement_wins():
    report = PatientReport.from_slots({"symptoms_present": ["numbness"], "conditions": ["diabetes"]})
    report.add_entities([entity("symptom", "numbness", negated=True), entity("condition", "diabetes", negated=True)])
    assert report.slots["symptoms_present"] == [] and report.slots["symptoms_absent"] == ["numbness"]
    assert report.slots["conditions"] == [] and report.slots["conditions_absent"] == ["diabetes"]
    report.add_entities([entity("symptom", "numbness")])
    assert report.slots["symptoms_present"] == ["numbness"] and report.slots["symptoms_absent"] == []


def test_unknown_types_and_red_flags_are_not_report_slots():
    report = PatientReport.from_slots({})
    report.add_entities([entity("red_flag", "chest_pain"), {"entity": "symptom"}])
    assert all(values == [] for values in report.slots.values())


def test_a_stopped_medicine_leaves_the_current_list_with_its_reason():
    report = PatientReport.from_slots({"medications": ["amitriptyline", "metformin"]})
    report.add_entities([entity("medication", "amitriptyline", role="past", reason="side_effect")])
    assert report.slots["medications"] == ["metformin"]
    assert report.slots["medications_past"] == [{"id": "amitriptyline", "reason": "side_effect"}]
    assert report.medication_history() == [{"id": "amitriptyline", "reason": "side_effect"}]


def test_a_reason_once_given_is_kept_and_an_unknown_reason_is_dropped():
    report = PatientReport.from_slots({})
    report.add_entities([entity("medication", "gabapentin", role="past", reason="no_help")])
    report.add_entities([entity("medication", "gabapentin", role="past")])
    report.add_entities([entity("medication", "tramadol", role="past", reason="made up")])
    assert report.slots["medications_past"] == [{"id": "gabapentin", "reason": "no_help"},
                                                {"id": "tramadol", "reason": None}]


def test_taking_a_medicine_again_moves_it_back_to_current():
    report = PatientReport.from_slots({"medications_past": [{"id": "pregabalin", "reason": "side_effect"}]})
    report.add_entities([entity("medication", "pregabalin")])
    assert report.slots["medications"] == ["pregabalin"] and report.slots["medications_past"] == []


def test_asked_about_and_someone_elses_mentions_change_nothing():
    report = PatientReport.from_slots({"medications": ["warfarin"], "conditions": ["diabetes"]})
    report.add_entities([entity("medication", "duloxetine", role="asked"),
                         entity("medication", "warfarin", role="other_person"),
                         entity("condition", "diabetes", role="other_person"),
                         entity("condition", "epilepsy", role="other_person"),
                         entity("symptom", "numbness", role="asked")])
    assert report.slots["medications"] == ["warfarin"] and report.slots["conditions"] == ["diabetes"]
    assert all(not report.slots[name] for name in report.slots if name not in ("medications", "conditions"))


def test_past_conditions_and_symptoms_are_kept_apart():
    report = PatientReport.from_slots({"conditions": ["shingles"], "symptoms_present": ["tingling"]})
    report.add_entities([entity("condition", "shingles", role="past"), entity("symptom", "tingling", role="past")])
    assert report.slots["conditions"] == [] and report.slots["conditions_past"] == ["shingles"]
    assert report.slots["symptoms_present"] == [] and report.slots["symptoms_past"] == ["tingling"]


def test_older_slots_with_bare_ids_are_read():
    report = PatientReport.from_slots({"medications_past": ["nortriptyline", {"bad": 1}]})
    assert report.slots["medications_past"] == [{"id": "nortriptyline", "reason": None}]
