"""Therapy matching on plain records: every severity path, every kind of trigger, ranking and the profile."""
from __future__ import annotations

import pytest

from neurotriage.clinical.profile import PatientProfile
from neurotriage.clinical.therapy_matching import Rule, TherapyCatalog, TherapyRecord

CLASSES = {"tramadol": ["opioid", "serotonergic"], "phenelzine": ["maoi"], "sertraline": ["ssri", "serotonergic"]}


def therapy(therapy_id: str, line: str = "first", **extra) -> TherapyRecord:
    return TherapyRecord(id=therapy_id, name=therapy_id.title(), category="medication", guideline_line=line,
                         source_ids=("S01",), **extra)


def rule(when_key: str, when_value: str, severity: str, therapy_id: str = "drug", review: str = "verified",
         warning: str | None = None) -> Rule:
    return Rule(therapy_id=therapy_id, when_key=when_key, when_value=when_value, kind="contraindication",
                severity=severity, warning=warning or f"{severity} because of {when_value}", source_ids=("S23",),
                review=review)


def only_option(rules: list[Rule], profile: PatientProfile, line: str = "first"):
    [option] = TherapyCatalog([therapy("drug", line)], rules, CLASSES).options_for(profile)
    return option


@pytest.mark.parametrize("severity, expected", [("absolute", "not_advised"), ("relative", "caution"),
                                                ("caution", "caution")])
def test_each_severity_gives_its_suitability(severity, expected):
    option = only_option([rule("condition", "heart_disease", severity)], PatientProfile(conditions={"heart_disease"}))
    assert option.suitability == expected
    assert [w.severity for w in option.warnings] == [severity]


def test_no_applicable_rule_means_discuss():
    option = only_option([rule("condition", "heart_disease", "absolute")], PatientProfile(conditions={"diabetes"}))
    assert option.suitability == "discuss"
    assert option.warnings == ()


def test_absolute_wins_over_cautions_and_is_listed_first():
    rules = [rule("condition", "kidney_disease", "caution"), rule("condition", "heart_disease", "absolute")]
    option = only_option(rules, PatientProfile(conditions={"kidney_disease", "heart_disease"}))
    assert option.suitability == "not_advised"
    assert [w.severity for w in option.warnings] == ["absolute", "caution"]


def test_not_recommended_line_is_not_advised_without_any_rule():
    assert only_option([], PatientProfile(), line="not_recommended").suitability == "not_advised"


@pytest.mark.parametrize("when_key, when_value, profile", [
    ("condition", "epilepsy", PatientProfile(conditions={"epilepsy"})),
    ("medication", "sertraline", PatientProfile(medications={"sertraline"})),
    ("medication_class", "maoi", PatientProfile(medications={"phenelzine"})),
    ("age_band", "65_plus", PatientProfile(age_band="65_plus")),
    ("condition", "pregnancy", PatientProfile(pregnant=True)),
    ("condition", "breastfeeding", PatientProfile(breastfeeding=True)),
])
def test_each_kind_of_trigger_applies(when_key, when_value, profile):
    assert only_option([rule(when_key, when_value, "absolute")], profile).suitability == "not_advised"


@pytest.mark.parametrize("when_key, when_value, profile", [
    ("medication_class", "maoi", PatientProfile(medications={"sertraline"})),
    ("age_band", "65_plus", PatientProfile(age_band="18_to_64")),
    ("age_band", "65_plus", PatientProfile()),
    ("medication", "sertraline", PatientProfile(conditions={"sertraline"})),
])
def test_a_rule_does_not_apply_to_anyone_else(when_key, when_value, profile):
    assert only_option([rule(when_key, when_value, "absolute")], profile).suitability == "discuss"


def test_unverified_warning_keeps_its_flag_for_awaiting_clinical_review():
    option = only_option([rule("condition", "epilepsy", "relative", review="unverified")],
                         PatientProfile(conditions={"epilepsy"}))
    [warning] = option.warnings
    assert warning.review == "unverified" and warning.awaiting_clinical_review
    assert warning.to_dict()["review"] == "unverified"


def test_same_warning_from_two_triggers_is_shown_once():
    text = "Both say the same."
    rules = [rule("condition", "pregnancy", "relative", warning=text), rule("age_band", "under_18", "relative", warning=text)]
    option = only_option(rules, PatientProfile(pregnant=True, age_band="under_18"))
    assert [w.text for w in option.warnings] == [text]


def test_warning_sources_are_added_to_the_option_sources():
    option = only_option([rule("condition", "epilepsy", "caution")], PatientProfile(conditions={"epilepsy"}))
    assert option.source_ids == ("S01", "S23")


def test_ranking_by_line_then_condition_specific_then_name():
    therapies = [
        therapy("zeta", "second"), therapy("alpha", "third"), therapy("beta", "first"),
        therapy("carbamazepine", "specialist", condition_lines={"trigeminal_neuralgia": "first"}),
        therapy("never", "not_recommended"), therapy("physio", "supportive"), therapy("surgeon", "specialist"),
    ]
    catalog = TherapyCatalog(therapies, [], {})
    assert [o.id for o in catalog.options_for(PatientProfile())] == [
        "beta", "zeta", "alpha", "carbamazepine", "surgeon", "physio", "never"]
    assert [o.id for o in catalog.options_for(PatientProfile(conditions={"trigeminal_neuralgia"}))][:2] == [
        "carbamazepine", "beta"]


def test_condition_specific_therapy_is_listed_only_for_its_conditions():
    catalog = TherapyCatalog([therapy("mvd", "specialist", indications=frozenset({"trigeminal_neuralgia"}))], [], {})
    assert catalog.options_for(PatientProfile()) == []
    assert [o.id for o in catalog.options_for(PatientProfile(conditions={"trigeminal_neuralgia"}))] == ["mvd"]


def test_not_recommended_override_wins_over_a_better_override():
    lines = {"sciatica": "not_recommended", "diabetes": "first"}
    catalog = TherapyCatalog([therapy("pregabalin", "first", condition_lines=lines)], [], {})
    [option] = catalog.options_for(PatientProfile(conditions={"sciatica", "diabetes"}))
    assert (option.guideline_line, option.suitability) == ("not_recommended", "not_advised")


def test_warnings_follow_content_order_whatever_the_profile_order():
    rules = [rule("condition", c, "caution", warning=f"about {c}") for c in ("a1", "b2", "c3", "d4")]
    option = only_option(rules, PatientProfile(conditions={"d4", "b2", "c3", "a1"}))
    assert [w.text for w in option.warnings] == ["about a1", "about b2", "about c3", "about d4"]


def test_option_dict_has_the_contract_fields():
    option = only_option([rule("condition", "epilepsy", "caution")], PatientProfile(conditions={"epilepsy"}))
    data = option.to_dict()
    assert {"id", "name", "category", "guideline_line", "suitability", "warnings", "source_ids"} <= set(data)
    assert {"text", "severity", "source_ids"} <= set(data["warnings"][0])


class TestPatientProfile:
    def test_pregnancy_flag_and_condition_are_the_same_thing(self):
        assert PatientProfile(pregnant=True) == PatientProfile(conditions={"pregnancy"})
        assert PatientProfile(conditions=["breastfeeding"]).breastfeeding is True
        assert "breastfeeding" in PatientProfile(breastfeeding=True).conditions

    def test_ids_are_normalised_into_frozensets(self):
        profile = PatientProfile(conditions=["diabetes", " diabetes "], medications="pregabalin")
        assert profile.conditions == frozenset({"diabetes"})
        assert profile.medications == frozenset({"pregabalin"})
        hash(profile)  # usable as a cache key

    def test_unknown_age_band_is_refused(self):
        with pytest.raises(ValueError, match="age_band"):
            PatientProfile(age_band="old")
