"""The real knowledge/ content: it loads, honours the contract, and every one of its rules fires as written.

The per-rule and property tests run on the real content when it exists, else on the fixture (the test ids say
which), so they always exercise the matching; the other tests here skip until knowledge/*.yml exists.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from neurotriage.clinical.profile import AGE_BANDS, PatientProfile
from neurotriage.clinical.therapy_matching import LINE_RANK, SUITABILITY_RANK
from tests.kb.kb_support import MAIN_CONTENT_DIR, MAIN_CONTENT_LABEL, read_yaml

# The contract's canonical values (/work/shared/DESIGN.md): other parts of the clinic rely on these ids.
CONTRACT_IDS = {
    "symptom": ["burning", "painful_cold", "electric_shock", "tingling", "pins_and_needles", "numbness", "itching",
                "allodynia", "shooting", "stabbing", "weakness", "balance_loss", "radiating"],
    "condition": ["diabetes", "shingles", "chemotherapy", "multiple_sclerosis", "spinal_cord_injury", "sciatica",
                  "carpal_tunnel", "amputation", "alcohol_use", "b12_deficiency", "hiv", "surgery", "injury", "stroke",
                  "cancer", "trigeminal_neuralgia", "crps", "fibromyalgia", "pregnancy", "breastfeeding",
                  "kidney_disease", "liver_disease", "heart_disease", "pacemaker", "epilepsy", "glaucoma",
                  "bleeding_disorder", "hypertension", "depression", "bipolar_disorder", "substance_misuse"],
    "medication": ["gabapentin", "pregabalin", "duloxetine", "venlafaxine", "amitriptyline", "nortriptyline",
                   "carbamazepine", "oxcarbazepine", "lidocaine", "capsaicin", "tramadol", "oxycodone", "morphine",
                   "warfarin", "apixaban", "sertraline", "phenelzine"],
    "therapy": ["nerve_block", "epidural_steroid_injection", "spinal_cord_stimulation", "intrathecal_pump", "tens",
                "ketamine_infusion", "botulinum_toxin", "physical_therapy", "acupuncture", "cbt", "mindfulness"],
    "body_part": ["feet", "legs", "hands", "arms", "back", "neck", "face"],
}
CONTRACT_RED_FLAGS = ["saddle_anaesthesia", "bladder_bowel_dysfunction", "progressive_weakness", "stroke_signs",
                      "ascending_weakness", "fever_back_pain", "cancer_back_pain", "weight_loss", "major_trauma",
                      "suicidal_ideation", "chest_pain", "breathing_difficulty", "foot_ulcer_infection",
                      "shingles_eye", "severe_allergic_reaction"]


def _main_content() -> tuple[list[dict], dict[str, dict], dict[str, set[str]]]:
    """Rules, therapies by id and medication classes by id, read straight from the YAML (an independent oracle).
    Unreadable content gives no cases here; the load test reports why."""
    try:
        rules = read_yaml(MAIN_CONTENT_DIR, "contraindications.yml")
        therapies = {t["id"]: t for t in read_yaml(MAIN_CONTENT_DIR, "therapies.yml")}
        classes = {m["id"]: set(m.get("classes") or []) for m in read_yaml(MAIN_CONTENT_DIR, "medications.yml")}
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return [], {}, {}
    return rules, therapies, classes


RULES, THERAPIES, MEDICATION_CLASSES = _main_content()


def _trigger_profile(key: str, value: str, therapy: dict) -> PatientProfile:
    """A profile with exactly this trigger (plus the therapy's first indication, without which it is not listed)."""
    indications = sorted(therapy.get("indications") or [])[:1]
    if key == "condition":
        return PatientProfile(conditions={value, *indications})
    if key == "medication":
        return PatientProfile(conditions=indications, medications={value})
    if key == "medication_class":
        medication = min(m for m, classes in MEDICATION_CLASSES.items() if value in classes)
        return PatientProfile(conditions=indications, medications={medication})
    return PatientProfile(conditions=indications, age_band=value)


def _expected_suitability(therapy: dict, profile: PatientProfile) -> str:
    """What SCHEMA.md says the answer must be, computed from the YAML alone."""
    def applies(rule: dict) -> bool:
        [(key, value)] = rule["when"].items()
        return {"condition": value in profile.conditions,
                "medication": value in profile.medications,
                "medication_class": any(value in MEDICATION_CLASSES.get(m, ()) for m in profile.medications),
                "age_band": value == profile.age_band}[key]
    severities = {r["severity"] for r in RULES if therapy["id"] in r["therapies"] and applies(r)}
    overrides = [line for c, line in (therapy.get("condition_lines") or {}).items() if c in profile.conditions]
    line = ("not_recommended" if "not_recommended" in overrides
            else min(overrides, key=LINE_RANK.__getitem__) if overrides else therapy["guideline_line"])
    if line == "not_recommended" or "absolute" in severities:
        return "not_advised"
    return "caution" if severities else "discuss"


RULE_CASES = [
    pytest.param(rule, therapy_id, id=f"{MAIN_CONTENT_LABEL}-entry{number}-{therapy_id}-"
                                      f"{'='.join(map(str, next(iter(rule['when'].items()))))}")
    for number, rule in enumerate(RULES, start=1) for therapy_id in rule["therapies"]
]


@pytest.mark.parametrize("rule, therapy_id", RULE_CASES)
def test_every_rule_fires_for_a_profile_with_its_trigger(main_repo, rule, therapy_id):
    [(key, value)] = rule["when"].items()
    therapy = THERAPIES[therapy_id]
    profile = _trigger_profile(key, value, therapy)
    options = {option.id: option for option in main_repo.therapy_options(profile)}
    option = options[therapy_id]
    implied = "not_advised" if rule["severity"] == "absolute" else "caution"
    assert SUITABILITY_RANK[option.suitability] >= SUITABILITY_RANK[implied]
    assert option.suitability == _expected_suitability(therapy, profile)
    assert " ".join(rule["warning"].split()) in [" ".join(w.text.split()) for w in option.warnings]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_adding_a_condition_or_medication_never_makes_an_option_more_suitable(main_repo, data):
    vocabulary = main_repo.vocabulary()
    conditions, medications = sorted(vocabulary["condition"]), sorted(vocabulary["medication"])
    profile = PatientProfile(
        conditions=data.draw(st.sets(st.sampled_from(conditions), max_size=4), label="conditions"),
        medications=data.draw(st.sets(st.sampled_from(medications), max_size=3), label="medications"),
        age_band=data.draw(st.sampled_from([None, *AGE_BANDS]), label="age_band"),
        pregnant=data.draw(st.booleans(), label="pregnant"),
        breastfeeding=data.draw(st.booleans(), label="breastfeeding"),
    )
    if data.draw(st.booleans(), label="add a condition (else a medication)"):
        more = replace(profile, conditions=profile.conditions | {data.draw(st.sampled_from(conditions))})
    else:
        more = replace(profile, medications=profile.medications | {data.draw(st.sampled_from(medications))})
    before = {o.id: o.suitability for o in main_repo.therapy_options(profile)}
    after = {o.id: o.suitability for o in main_repo.therapy_options(more)}
    assert set(before) <= set(after), "adding a condition or medication removed an option"
    for therapy_id, suitability in before.items():
        assert SUITABILITY_RANK[after[therapy_id]] >= SUITABILITY_RANK[suitability], (
            f"{therapy_id} went from {suitability} to {after[therapy_id]} when the profile grew to {more}")


def test_real_content_loads(real_repo):
    assert real_repo.therapy_options(PatientProfile())


def test_trigeminal_neuralgia_puts_carbamazepine_first(real_repo):
    options = real_repo.therapy_options(PatientProfile(conditions={"trigeminal_neuralgia"}))
    assert options[0].id == "carbamazepine", [(o.id, o.guideline_line) for o in options[:5]]


@pytest.mark.parametrize("therapy_id", ["pregabalin", "gabapentin"])
def test_sciatica_makes_gabapentinoids_not_advised(real_repo, therapy_id):
    options = {o.id: o for o in real_repo.therapy_options(PatientProfile(conditions={"sciatica"}))}
    assert options[therapy_id].suitability == "not_advised"


@pytest.mark.parametrize("entity_type", sorted(CONTRACT_IDS))
def test_contract_ids_exist_in_the_content(real_repo, entity_type):
    missing = sorted(set(CONTRACT_IDS[entity_type]) - set(real_repo.vocabulary()[entity_type]))
    assert not missing, f"{entity_type} ids named in DESIGN.md but absent from the content: {missing}"


def test_contract_red_flags_exist_with_phrases_and_triggers(real_repo):
    flags = {flag.id: flag for flag in real_repo.red_flags()}
    assert not sorted(set(CONTRACT_RED_FLAGS) - set(flags)), "red flags named in DESIGN.md missing from red_flags.yml"
    assert all(flag.phrases and flag.triggers for flag in flags.values())
