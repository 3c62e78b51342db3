"""Everything the patient says is kept, denials included, and a later statement wins."""
from neurotriage.clinical.patient_report import PatientReport


def entity(kind, value, negated=False):
    return {"entity": kind, "value": value, **({"role": "negated"} if negated else {})}


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
