"""Loader: every kind of content mistake is reported clearly (all at once), and loading is idempotent."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest
import yaml
from sqlalchemy import func, select

from neurotriage.clinical.profile import PatientProfile
from neurotriage.kb import KnowledgeRepository, load, load_if_changed, make_engine, make_session_factory
from neurotriage.kb import loader, models
from neurotriage.kb.loader import ContentError
from tests.kb.kb_support import FIXTURE_DIR


def broken_copy(tmp_path: Path, file_name: str, change: Callable[[list], None]) -> Path:
    """A copy of the fixture content with one file changed by `change` (which edits the parsed records)."""
    content_dir = tmp_path / "content"
    shutil.copytree(FIXTURE_DIR, content_dir)
    records = yaml.safe_load((content_dir / file_name).read_text())
    change(records)
    (content_dir / file_name).write_text(yaml.safe_dump(records, sort_keys=False, allow_unicode=True))
    return content_dir


def record(records: list, record_id: str) -> dict:
    return next(r for r in records if r.get("id") == record_id)


def problems_of(content_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as raised:
        loader.validate_content(content_dir)
    return raised.value.problems


def assert_reported(content_dir: Path, *expected: str) -> None:
    problems = problems_of(content_dir)
    for text in expected:
        assert any(text in problem for problem in problems), f"{text!r} not in {problems}"


def test_fixture_content_is_valid():
    content = loader.validate_content(FIXTURE_DIR)
    assert len(content.rows["therapies"]) == 10


@pytest.mark.parametrize("file_name, change, expected", [
    ("contraindications.yml", lambda rs: rs[0].update(when={"condition": "heart_diease"}),
     "contraindications.yml entry 1 (amitriptyline): unknown condition id 'heart_diease' in when"),
    ("contraindications.yml", lambda rs: rs[0].update(therapies=["amitriptylin"]),
     "unknown therapy id 'amitriptylin' in therapies"),
    ("therapies.yml", lambda rs: record(rs, "duloxetine").update(medication_ids=["duloxetin"]),
     "therapies.yml entry 2 (duloxetine): unknown medication id 'duloxetin' in medication_ids"),
    ("therapies.yml", lambda rs: record(rs, "carbamazepine").update(condition_lines={"tn": "first"}),
     "unknown condition id 'tn' in condition_lines"),
    ("therapies.yml", lambda rs: record(rs, "microvascular_decompression").update(indications=["face_pain"]),
     "unknown condition id 'face_pain' in indications"),
], ids=["rule-condition", "rule-therapy", "therapy-medication", "condition-lines", "indications"])
def test_unknown_id_reference(tmp_path, file_name, change, expected):
    assert_reported(broken_copy(tmp_path, file_name, change), expected)


def test_unknown_source_id(tmp_path):
    content_dir = broken_copy(tmp_path, "symptoms.yml", lambda rs: rs[0].update(source_ids=["S99"]))
    assert_reported(content_dir, "symptoms.yml entry 1 (burning): unknown source id 'S99' in source_ids")


def test_missing_source_ids(tmp_path):
    content_dir = broken_copy(tmp_path, "therapies.yml", lambda rs: record(rs, "tramadol").pop("source_ids"))
    assert_reported(content_dir, "therapies.yml entry 6 (tramadol): missing field 'source_ids'")


def test_empty_source_ids(tmp_path):
    content_dir = broken_copy(tmp_path, "contraindications.yml", lambda rs: rs[2].update(source_ids=[]))
    assert_reported(content_dir, "contraindications.yml entry 3 (amitriptyline): source_ids is empty")


def test_synonym_claimed_by_two_entities(tmp_path):
    content_dir = broken_copy(tmp_path, "conditions.yml",
                              lambda rs: record(rs, "diabetes")["synonyms"].append("Pins and Needles"))
    assert_reported(content_dir, "phrase 'pins and needles' is claimed by more than one entity: "
                                 "symptom 'pins_and_needles' (symptoms.yml), condition 'diabetes' (conditions.yml)")


def test_brand_claimed_by_two_medications(tmp_path):
    content_dir = broken_copy(tmp_path, "medications.yml", lambda rs: record(rs, "gabapentin")["brands"].append("lyrica"))
    assert_reported(content_dir, "phrase 'lyrica' is claimed by more than one entity: medication 'pregabalin' "
                                 "(brand in medications.yml), medication 'gabapentin' (brand in medications.yml)")


def _with_combination(records, name, *medication_ids):
    for medication_id in medication_ids:
        record(records, medication_id).setdefault("combinations", []).append(name)


def test_a_combination_product_names_each_of_its_medicines(tmp_path):
    content_dir = broken_copy(tmp_path, "medications.yml",
                              lambda rs: _with_combination(rs, "Painaway Duo", "tramadol", "morphine"))
    synonyms = loader.validate_content(content_dir).rows["synonyms"]
    assert {(r["entity_type"], r["canonical_id"]) for r in synonyms if r["phrase"] == "painaway duo"} == \
        {("medication", "morphine|tramadol")}


def test_a_combination_listed_under_one_medicine_only_is_reported(tmp_path):
    content_dir = broken_copy(tmp_path, "medications.yml", lambda rs: _with_combination(rs, "painaway duo", "tramadol"))
    assert_reported(content_dir, "combination 'painaway duo' is listed under one medication only ('tramadol')")


def test_a_combination_name_that_is_also_a_brand_is_reported(tmp_path):
    content_dir = broken_copy(tmp_path, "medications.yml", lambda rs: _with_combination(rs, "lyrica", "gabapentin"))
    assert_reported(content_dir, "phrase 'lyrica' is claimed by more than one entity")


@pytest.mark.parametrize("file_name, record_id, field, expected", [
    ("contraindications.yml", None, "severity", "severity 'bogus' is not one of absolute, relative, caution"),
    ("contraindications.yml", None, "kind", "kind 'bogus' is not one of contraindication, caution, interaction, guideline"),
    ("symptoms.yml", "burning", "review", "review 'bogus' is not one of verified, partial, unverified"),
    ("therapies.yml", "tramadol", "guideline_line", "guideline_line 'bogus' is not one of first, second, third"),
    ("therapies.yml", "tens", "category", "category 'bogus' is not one of medication, topical, interventional"),
    ("red_flags.yml", "stroke_signs", "triage_level", "triage_level 'bogus' is not one of emergency, urgent, consultation"),
    ("conditions.yml", "diabetes", "kind", "kind 'bogus' is not one of cause, history, comorbidity, life_stage"),
])
def test_bad_choice_value(tmp_path, file_name, record_id, field, expected):
    def change(records):
        (records[0] if record_id is None else record(records, record_id))[field] = "bogus"
    assert_reported(broken_copy(tmp_path, file_name, change), expected)


@pytest.mark.parametrize("when, expected", [
    ({}, "'when' must have exactly one of condition, medication, medication_class, age_band, but it has 0 (none)"),
    ({"condition": "heart_disease", "age_band": "65_plus"}, "but it has 2 (condition, age_band)"),
    ({"drug": "tramadol"}, "'when' key 'drug' is not one of condition, medication, medication_class, age_band"),
    ({"condition": ["heart_disease", "epilepsy"]}, "'when.condition' must be a single id"),
], ids=["no-key", "two-keys", "unknown-key", "list-value"])
def test_when_needs_exactly_one_known_key(tmp_path, when, expected):
    assert_reported(broken_copy(tmp_path, "contraindications.yml", lambda rs: rs[0].update(when=when)), expected)


def test_medication_class_that_no_medication_has(tmp_path):
    content_dir = broken_copy(tmp_path, "contraindications.yml",
                              lambda rs: rs[1].update(when={"medication_class": "triptan"}))
    assert_reported(content_dir, "medication class 'triptan' is not a class of any medication in medications.yml")


def test_unknown_medication_class(tmp_path):
    content_dir = broken_copy(tmp_path, "medications.yml", lambda rs: record(rs, "tramadol")["classes"].append("painkiller"))
    assert_reported(content_dir, "medications.yml entry 7 (tramadol): unknown medication class 'painkiller'")


def test_duplicate_id(tmp_path):
    content_dir = broken_copy(tmp_path, "therapies.yml", lambda rs: rs.append(dict(record(rs, "tens"))))
    assert_reported(content_dir, "therapies.yml entry 11 (tens): duplicate id 'tens' (first used by entry 8)")


def test_clinical_faq_without_sources(tmp_path):
    content_dir = broken_copy(tmp_path, "faq.yml", lambda rs: record(rs, "stopping_medicine").pop("source_ids"))
    assert_reported(content_dir, "faq.yml entry 1 (stopping_medicine): clinical FAQ without source_ids")


def test_faq_is_clinical_unless_marked_otherwise(tmp_path):
    content_dir = broken_copy(tmp_path, "faq.yml", lambda rs: record(rs, "how_chat_works").pop("clinical"))
    assert_reported(content_dir, "faq.yml entry 2 (how_chat_works): clinical FAQ without source_ids")


def test_screening_item_with_unknown_symptom(tmp_path):
    content_dir = broken_copy(tmp_path, "screening.yml", lambda rs: rs[0]["items"][1].update(symptom_id="cold"))
    assert_reported(content_dir, "screening.yml entry 1 (dn4_interview) item 2 (dn4_painful_cold): "
                                 "unknown symptom id 'cold' in symptom_id")


def test_unknown_field_is_named(tmp_path):
    content_dir = broken_copy(tmp_path, "symptoms.yml", lambda rs: rs[0].update(source_id=["S16"]))
    assert_reported(content_dir, "symptoms.yml entry 1 (burning): unknown field 'source_id'")


def test_malformed_red_flag_triggers(tmp_path):
    content_dir = broken_copy(tmp_path, "red_flags.yml", lambda rs: rs[0].update(triggers=["bladder"]))
    assert_reported(content_dir, "red_flags.yml entry 1 (bladder_bowel_dysfunction): 'triggers' must be a non-empty "
                                 "list of alternatives")


def test_missing_file_and_invalid_yaml(tmp_path):
    content_dir = broken_copy(tmp_path, "faq.yml", lambda rs: None)
    (content_dir / "faq.yml").unlink()
    (content_dir / "locales.yml").write_text("- id: UK\n  emergency_number: [999\n")
    assert_reported(content_dir, "faq.yml: file is missing", "locales.yml: not valid YAML")


def test_every_problem_is_reported_in_one_error(tmp_path):
    def break_therapies(records):
        record(records, "tramadol")["guideline_line"] = "fourth"
        record(records, "tens")["source_ids"] = ["S404"]
    content_dir = broken_copy(tmp_path, "therapies.yml", break_therapies)
    (content_dir / "body_parts.yml").write_text("- id: Feet\n  synonyms: [numb]\n")
    with pytest.raises(ContentError) as raised:
        loader.validate_content(content_dir)
    message = str(raised.value)
    for expected in ("guideline_line 'fourth'", "unknown source id 'S404'", "id 'Feet' must be lower_snake_case",
                     "phrase 'numb' is claimed by more than one entity"):
        assert expected in message
    assert message.startswith(f"{len(raised.value.problems)} problem(s) in the knowledge content at {content_dir}")


def _table_rows(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {table.name: sorted(connection.execute(select(table)).all(), key=repr) for table in models.CONTENT_TABLES}


def test_loading_twice_changes_nothing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    load(engine, FIXTURE_DIR)
    first_rows = _table_rows(engine)
    first_answers = KnowledgeRepository(make_session_factory(engine)).therapy_options(
        PatientProfile(conditions={"sciatica"}, medications={"tramadol"}, age_band="65_plus"))
    load(engine, FIXTURE_DIR)
    assert _table_rows(engine) == first_rows
    assert KnowledgeRepository(make_session_factory(engine)).therapy_options(
        PatientProfile(conditions={"sciatica"}, medications={"tramadol"}, age_band="65_plus")) == first_answers


def test_load_if_changed_skips_unchanged_content_and_reloads_edits(tmp_path):
    content_dir = broken_copy(tmp_path, "faq.yml", lambda rs: None)
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    assert load_if_changed(engine, content_dir) is True
    assert load_if_changed(engine, content_dir) is False
    with (content_dir / "faq.yml").open("a") as faq:
        faq.write("- {id: parking, title: Parking, answer: Free parking at the back., clinical: false, review: verified}\n")
    assert load_if_changed(engine, content_dir) is True
    assert KnowledgeRepository(make_session_factory(engine)).faq("parking").answer == "Free parking at the back."


def test_invalid_content_leaves_the_loaded_content_untouched(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    load(engine, FIXTURE_DIR)
    broken = broken_copy(tmp_path, "symptoms.yml", lambda rs: rs[0].update(review="maybe"))
    with pytest.raises(ContentError):
        load_if_changed(engine, broken)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(models.Symptom.__table__)).scalar_one() == 7
    assert loader.stored_state(engine)["content_hash"] == loader.content_hash(FIXTURE_DIR)
