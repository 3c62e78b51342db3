"""Repository answers on the fixture content (small and stable, so exact answers can be asserted)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from neurotriage.clinical.profile import PatientProfile
from neurotriage.kb import KnowledgeRepository


def options_by_id(repo: KnowledgeRepository, **profile) -> dict:
    return {option.id: option for option in repo.therapy_options(PatientProfile(**profile))}


def test_vocabulary_has_names_synonyms_and_brands_sorted(fixture_repo):
    vocabulary = fixture_repo.vocabulary()
    assert set(vocabulary) == {"symptom", "condition", "medication", "therapy", "body_part"}
    assert vocabulary["medication"]["pregabalin"] == ["alzain", "axalid", "lyrica", "pregabalin", "pregabaline",
                                                      "pregablin"]
    assert vocabulary["symptom"]["burning"] == sorted(vocabulary["symptom"]["burning"])
    assert "burning pain" in vocabulary["symptom"]["burning"]
    assert vocabulary["body_part"]["lower_back"] == ["back", "bottom of my back", "lower back", "lumbar"]


def test_drug_therapies_are_named_through_their_medications(fixture_repo):
    therapies = fixture_repo.vocabulary()["therapy"]
    assert therapies["duloxetine"] == []  # "duloxetine" and "cymbalta" are medication phrases
    assert therapies["tens"] == ["tens", "tens machine", "tens unit"]


def test_trigeminal_neuralgia_puts_carbamazepine_first(fixture_repo):
    options = fixture_repo.therapy_options(PatientProfile(conditions={"trigeminal_neuralgia"}))
    assert options[0].id == "carbamazepine"
    assert options[0].guideline_line == "first"
    assert "microvascular_decompression" in [o.id for o in options]


def test_condition_specific_options_are_hidden_without_the_condition(fixture_repo):
    options = options_by_id(fixture_repo, conditions={"diabetes"})
    assert "microvascular_decompression" not in options
    assert options["carbamazepine"].guideline_line == "specialist"


@pytest.mark.parametrize("therapy_id", ["pregabalin", "gabapentin"])
def test_sciatica_makes_gabapentinoids_not_advised(fixture_repo, therapy_id):
    option = options_by_id(fixture_repo, conditions={"sciatica"})[therapy_id]
    assert option.suitability == "not_advised"
    assert option.guideline_line == "not_recommended"
    assert any("sciatica" in warning.text for warning in option.warnings)


def test_medication_class_rule_applies_to_a_medication_of_that_class(fixture_repo):
    options = options_by_id(fixture_repo, medications={"phenelzine"})
    assert {o.id for o in options.values() if o.suitability == "not_advised"} == {
        "amitriptyline", "duloxetine", "tramadol", "cannabinoids"}


def test_options_are_ranked_by_line_then_name(fixture_repo):
    options = fixture_repo.therapy_options(PatientProfile())
    assert [o.id for o in options] == ["amitriptyline", "duloxetine", "gabapentin", "pregabalin", "tramadol",
                                       "carbamazepine", "physical_therapy", "tens", "cannabinoids"]


def test_unverified_facts_keep_their_review_status(fixture_repo):
    options = options_by_id(fixture_repo, conditions={"epilepsy", "trigeminal_neuralgia"})
    [warning] = options["tramadol"].warnings
    assert warning.review == "unverified" and warning.awaiting_clinical_review
    assert options["microvascular_decompression"].awaiting_clinical_review
    assert not options["tramadol"].awaiting_clinical_review


def test_red_flags_most_urgent_first_with_triggers_and_phrases(fixture_repo):
    flags = fixture_repo.red_flags()
    assert [f.id for f in flags] == ["bladder_bowel_dysfunction", "stroke_signs", "foot_ulcer_infection"]
    bladder = fixture_repo.red_flag("bladder_bowel_dysfunction")
    assert bladder.triage_level == "emergency"
    assert bladder.triggers[1] == (("poo", "bowels"), ("control", "notice"))
    assert bladder.phrases[0] == "i can't control when i pee since my back went"
    assert fixture_repo.red_flag("no_such_flag") is None


def test_screening_instrument_items_in_order(fixture_repo):
    instrument = fixture_repo.screening_instrument("dn4_interview")
    assert (instrument.min_score, instrument.max_score, instrument.threshold) == (0, 7, 3)
    assert [item.symptom_id for item in instrument.items][:3] == ["burning", "painful_cold", "electric_shock"]
    assert fixture_repo.screening_instrument("nope") is None


def test_faq_locale_and_sources(fixture_repo):
    assert fixture_repo.faq("stopping_medicine").source_ids == ("S04",)
    assert fixture_repo.faq("how_chat_works").clinical is False
    assert fixture_repo.locale("UK").emergency_number == "999"
    assert fixture_repo.locale("XX") is None
    assert [s.id for s in fixture_repo.sources(["S05", "S01", "S05", "S99"])] == ["S05", "S01"]
    assert fixture_repo.sources([]) == []


def test_therapy_and_therapy_for_medication(fixture_repo):
    amitriptyline = fixture_repo.therapy("amitriptyline")
    assert amitriptyline.medication_ids == ("amitriptyline", "nortriptyline")
    assert amitriptyline.first_step.startswith("A GP can discuss")
    assert fixture_repo.therapy_for_medication("nortriptyline").id == "amitriptyline"
    assert fixture_repo.therapy("carbamazepine").condition_lines == {"trigeminal_neuralgia": "first"}
    assert fixture_repo.therapy_for_medication("morphine") is None


def test_static_content_is_read_once(fixture_repo):
    fixture_repo.therapy_options(PatientProfile())  # warm
    engine = fixture_repo._session_factory.kw["bind"]
    statements = []

    def record_statement(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record_statement)
    try:
        for age_band in ("under_18", "18_to_64", "65_plus"):
            fixture_repo.therapy_options(PatientProfile(age_band=age_band, medications={"tramadol"}))
        fixture_repo.vocabulary()
        fixture_repo.red_flags()
    finally:
        event.remove(engine, "before_cursor_execute", record_statement)
    assert statements == []


def test_refresh_rereads_the_database(fixture_repo):
    before = fixture_repo.vocabulary()
    fixture_repo.refresh()
    assert fixture_repo.vocabulary() == before
