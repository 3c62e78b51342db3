"""The conversation suite's own parts (tests/conversations/simulate.py): the patients' files name only ids the
knowledge base knows, bot messages are recognised from the project's texts, and the fact checker catches what it
is meant to catch. No server: the suite itself runs against the assistant as a stage of scripts/test.sh."""
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conversations import simulate

ROOT = Path(__file__).resolve().parents[2]

PATIENTS = simulate.load_patients(ROOT / "tests" / "conversations" / "patients")
TEMPLATES = simulate.load_templates(ROOT)


def _ids(name):
    return {entry["id"] for entry in yaml.safe_load((ROOT / "knowledge" / name).read_text())}


KNOWN = {"symptom": _ids("symptoms.yml"), "condition": _ids("conditions.yml"), "medication": _ids("medications.yml"),
         "body_part": _ids("body_parts.yml"), "red_flag": _ids("red_flags.yml")}


def test_the_mix_of_patients_is_as_agreed():
    styles = Counter(tag for p in PATIENTS for tag in p.data.get("style") or [])
    assert len(PATIENTS) >= 60
    assert sum(1 for p in PATIENTS if p.red_flags) >= 15
    assert [p.id for p in PATIENTS if p.typical] == ["diabetic_feet_typical"]
    for tag in ("typos", "stopped_medicine", "correction", "vague"):
        assert styles[tag] >= 10, tag


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p.id)
def test_every_profile_fact_uses_a_knowledge_base_id(patient):
    profile = patient.profile
    named = [("symptom", s) for status in (profile.get("symptoms") or {}).values() for s in status or []]
    named += [("condition", c) for c in profile.get("conditions") or []]
    named += [("medication", m["id"]) for m in (profile.get("medications") or []) + (profile.get("stopped") or [])
              if m.get("id")]
    named += [("body_part", b) for b in (profile.get("pain") or {}).get("locations") or []]
    named += [("red_flag", f) for f in patient.red_flags]
    unknown = [(kind, alt) for kind, fact in named for alt in simulate._alts(fact) if alt not in KNOWN[kind]]
    assert not unknown
    assert patient.red_flags or patient.stops or patient.levels, "an expected triage level"
    assert set(patient.levels) <= {"emergency", "urgent", "consultation", "self_care"}


def test_bot_messages_are_recognised_from_the_project_texts():
    assert simulate.classify("Does the pain feel like burning?", TEMPLATES) == "screen:burning"
    # a question after an apology or an acknowledgement is still that question
    assert simulate.classify("Thanks! How old are you?", TEMPLATES) == "ask:age_band"
    assert simulate.classify("Sorry, I didn't catch an answer to that. You can also say 'I don't know' or 'skip'.",
                             TEMPLATES) == "reask"
    assert simulate.classify("Thank you.", TEMPLATES).startswith("info:")
    assert simulate.classify("Thank you, I've noted burning and feet.", TEMPLATES) is None
    advice = yaml.safe_load((ROOT / "knowledge" / "red_flags.yml").read_text())[0]["advice"]
    assert simulate.classify(advice.replace("{emergency_number}", "999"), TEMPLATES).startswith("escalation:")


def test_durations_are_read_as_staff_would_and_conflicts_are_not_guessed():
    assert simulate.parse_months("about 2 yrs") == 24
    assert simulate.parse_months("six months or so") == 6
    assert simulate.parse_months("3 weeks") == 0.75
    assert simulate.parse_months("3 years not 3 months") is None


def _patient(profile):
    return simulate.Patient("p", {"profile": profile}, Path("p.yml"))


def test_the_checker_finds_wrong_facts_and_counts_recall():
    patient = _patient({
        "age": 70, "symptoms": {"present": ["burning"], "absent": ["itching"]}, "conditions": ["diabetes"],
        "medications": [{"id": "metformin"}, {"said": "gliclazide"}], "stopped": [{"id": "amitriptyline"}],
        "pain": {"locations": ["feet"], "months": 36, "score": [5, 6]}, "kidney": False, "pregnancy": "no",
        "triage": ["consultation"]})
    summary = {"triage_level": "self_care", "symptoms": {"present": ["burning", "itching"], "absent": []},
               "conditions": ["diabetes", "kidney_disease"], "medications": ["metformin", "amitriptyline"],
               "unrecognised_medications": ["Gliclazide"], "pain": {"locations": ["feet"], "duration": "3 months",
                                                                   "score": 6}}
    found, missed, wrong = simulate.check_facts(patient, simulate.build_record(summary, {"age_band": "65_plus"}))
    assert "unrecognised medicine 'gliclazide'" in found and "score 5/6" in found and "age band 65_plus" in found
    assert "stopped amitriptyline" in missed and "no itching" in missed
    assert any("stopped medicine amitriptyline listed as current" in w for w in wrong)
    assert any("denied symptom itching" in w for w in wrong)
    assert any("kidney_disease" in w for w in wrong)
    assert any(w.startswith("duration 3 months") for w in wrong)
    assert any("triage level self_care" in w for w in wrong)


def test_a_red_flag_patient_is_checked_on_the_flag_and_the_level():
    patient = _patient({"red_flags": ["saddle_anaesthesia"], "triage": ["emergency"]})
    found, missed, wrong = simulate.check_facts(
        patient, simulate.build_record(None, {"red_flags": ["saddle_anaesthesia"], "triage_level": "urgent"}))
    assert found == ["red flag saddle_anaesthesia"] and wrong and missed


def test_a_warning_sign_after_the_result_is_judged_on_the_level_it_raised():
    patient = _patient({"red_flags": ["suicidal_ideation"], "triage": ["emergency"]})
    summary = {"triage_level": "consultation", "red_flags": []}  # sent before the patient told the sign
    slots = {"triage_level": "emergency", "red_flags": ["suicidal_ideation"]}
    found, missed, wrong = simulate.check_facts(patient, simulate.build_record(summary, slots))
    assert not missed and not wrong


def test_a_condition_kept_as_history_counts_as_kept():
    patient = _patient({"conditions": ["surgery"], "triage": ["consultation"]})
    summary = {"triage_level": "consultation", "conditions": [], "condition_history": ["surgery"]}
    found, missed, wrong = simulate.check_facts(patient, simulate.build_record(summary, {}))
    assert "condition surgery" in found and not wrong
