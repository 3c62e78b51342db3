"""Validate the knowledge content (knowledge/*.yml, formats in knowledge/SCHEMA.md) and load it into SQL.

Everything is checked before anything is written, and all problems are reported together in one ContentError,
so a content author fixes a whole batch per run. Loading replaces the previous content in one transaction:
loading the same files twice leaves the same rows. The content hash is stored, so start-up calls
`load_if_changed()` and pays only for hashing a few files when nothing changed.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.engine import Engine

from neurotriage.clinical.profile import AGE_BANDS
from neurotriage.clinical.therapy_matching import GUIDELINE_LINES, SEVERITIES, WHEN_KEYS
from neurotriage.kb import models
from neurotriage.kb.models import ID_LENGTH, REVIEW_STATUSES
from neurotriage.kb.session import PROJECT_ROOT
from neurotriage.nlu.lexicon import COMBINATION_SEPARATOR

DEFAULT_CONTENT_DIR = PROJECT_ROOT / "knowledge"

# Bump when the tables or their meaning change: the hash changes with it, so old databases are rebuilt.
SCHEMA_VERSION = "4"  # 3: red flags carry a question and where it applies; 4: and a scope

# A red flag's question is asked when the patient's report matches one alternative: every key given matches one id.
ASK_WHEN_KEYS = ("conditions", "body_parts", "symptoms")
CONTENT_FILES = ("sources.yml", "symptoms.yml", "conditions.yml", "medications.yml", "therapies.yml",
                 "contraindications.yml", "red_flags.yml", "body_parts.yml", "locales.yml", "screening.yml", "faq.yml")

COMBINATION_ORIGIN = "combination in medications.yml"  # the one kind of phrase several medications share
CONDITION_KINDS = ("cause", "history", "comorbidity", "life_stage")
THERAPY_CATEGORIES = ("medication", "topical", "interventional", "device", "non_drug")
RULE_KINDS = ("contraindication", "caution", "interaction", "guideline")
TRIAGE_LEVELS = ("emergency", "urgent", "consultation")
MEDICATION_CLASSES = (
    "tca", "snri", "ssri", "maoi", "gabapentinoid", "antiepileptic", "sodium_channel_blocker", "opioid",
    "anticoagulant", "antiplatelet", "nsaid", "benzodiazepine", "z_drug", "cns_depressant", "cyp1a2_inhibitor",
    "cyp2d6_inhibitor", "serotonergic", "triptan", "local_anaesthetic", "class_i_antiarrhythmic",
    "hormonal_contraceptive", "diuretic", "thyroid_hormone", "corticosteroid", "qt_prolonging", "enzyme_inducer",
    "controlled_drug", "topical", "antidepressant", "herbal", "nmda_antagonist",
)

ENTITY_ID = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")
CODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # sources (S01) and locales (UK)


class ContentError(Exception):
    """The content cannot be loaded; `problems` lists every reason, each naming its file and record."""

    def __init__(self, content_dir: Path, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in the knowledge content at {content_dir}:\n{listing}")


# --- field checking -----------------------------------------------------------------------------------------

class _Invalid(ValueError):
    pass


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid("must be non-empty text")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _text_or_number(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _optional_text(value)


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise _Invalid("must be a list of non-empty texts")
    return list(dict.fromkeys(item.strip() for item in value))


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid("must be a whole number")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


def _mapping(value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid("must be a mapping")
    return value


def _records(value: Any) -> list:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _Invalid("must be a list of mappings")
    return value


def _triggers(value: Any) -> list[list[list[str]]]:
    """Alternatives, each a list of groups, each a list of terms: [[[bladder, pee], [control, leak]], ...]."""
    shape = "must be a non-empty list of alternatives, each a non-empty list of non-empty term groups"
    if not isinstance(value, list) or not value:
        raise _Invalid(shape)
    alternatives = []
    for alternative in value:
        if not isinstance(alternative, list) or not alternative or \
                not all(isinstance(group, list) and group for group in alternative):
            raise _Invalid(shape)
        alternatives.append([[_phrase(term) for term in _texts(group)] for group in alternative])
    return alternatives


Validator = Callable[[Any], Any]
REQUIRED, OPTIONAL = True, False
SOURCED = {"source_ids": (_texts, REQUIRED), "review": (_text, REQUIRED)}

FIELDS: dict[str, dict[str, tuple[Validator, bool]]] = {
    "sources.yml": {"id": (_text, REQUIRED), "citation": (_text, REQUIRED), "url": (_optional_text, OPTIONAL)},
    "symptoms.yml": {"id": (_text, REQUIRED), "name": (_text, REQUIRED), "synonyms": (_texts, REQUIRED), **SOURCED},
    "conditions.yml": {"id": (_text, REQUIRED), "name": (_text, REQUIRED), "kind": (_text, REQUIRED),
                       "synonyms": (_texts, REQUIRED), "description": (_optional_text, OPTIONAL),
                       "guideline_note": (_optional_text, OPTIONAL), **SOURCED},
    "medications.yml": {"id": (_text, REQUIRED), "name": (_text, REQUIRED), "brands": (_texts, OPTIONAL),
                        "combinations": (_texts, OPTIONAL),
                        "classes": (_texts, OPTIONAL), "synonyms": (_texts, OPTIONAL), **SOURCED},
    "therapies.yml": {"id": (_text, REQUIRED), "name": (_text, REQUIRED), "category": (_text, REQUIRED),
                      "guideline_line": (_text, REQUIRED), "guideline_basis": (_optional_text, OPTIONAL),
                      "condition_lines": (_mapping, OPTIONAL), "indications": (_texts, OPTIONAL),
                      "medication_ids": (_texts, OPTIONAL), "nnt": (_text_or_number, OPTIONAL),
                      "description": (_optional_text, OPTIONAL), "what_to_expect": (_optional_text, OPTIONAL),
                      "first_step": (_optional_text, OPTIONAL), "synonyms": (_texts, OPTIONAL), **SOURCED},
    "contraindications.yml": {"therapies": (_texts, REQUIRED), "when": (_mapping, REQUIRED), "kind": (_text, REQUIRED),
                              "severity": (_text, REQUIRED), "warning": (_text, REQUIRED), **SOURCED},
    "red_flags.yml": {"id": (_text, REQUIRED), "name": (_text, REQUIRED), "triage_level": (_text, REQUIRED),
                      "advice": (_text, REQUIRED), "phrases": (_texts, REQUIRED), "triggers": (_triggers, REQUIRED),
                      "question": (_optional_text, OPTIONAL), "ask_when": (_records, OPTIONAL),
                      "scope": (_optional_text, OPTIONAL), **SOURCED},
    "body_parts.yml": {"id": (_text, REQUIRED), "name": (_optional_text, OPTIONAL), "synonyms": (_texts, REQUIRED),
                       "review": (_text, OPTIONAL)},
    "locales.yml": {"id": (_text, REQUIRED), "emergency_number": (_text, REQUIRED), "urgent_number": (_text, REQUIRED),
                    "crisis_line": (_text, REQUIRED), **SOURCED},
    "screening.yml": {"id": (_text, REQUIRED), "name": (_text, REQUIRED), "min_score": (_integer, REQUIRED),
                      "max_score": (_integer, REQUIRED), "threshold": (_integer, REQUIRED),
                      "attribution": (_optional_text, OPTIONAL), "items": (_records, REQUIRED), **SOURCED},
    "faq.yml": {"id": (_text, REQUIRED), "title": (_text, REQUIRED), "answer": (_text, REQUIRED),
                "clinical": (_boolean, OPTIONAL), "source_ids": (_texts, OPTIONAL), "review": (_text, REQUIRED)},
}
SCREENING_ITEM_FIELDS: dict[str, tuple[Validator, bool]] = {
    "id": (_text, REQUIRED), "symptom_id": (_optional_text, OPTIONAL), "question": (_text, REQUIRED),
    "yes_points": (_integer, REQUIRED), "no_points": (_integer, REQUIRED),
}


def _phrase(text: str) -> str:
    """Phrases are compared lower-cased with single spaces, as the NLU compares them."""
    return " ".join(text.lower().split())


def _one_of(allowed: Iterable[str]) -> str:
    return ", ".join(allowed)


# --- validation ---------------------------------------------------------------------------------------------

@dataclass
class _Claim:
    entity_type: str
    entity_id: str
    origin: str  # e.g. "brand in medications.yml"


@dataclass
class _Validation:
    """Collects problems and the normalised rows to insert, table by table."""

    problems: list[str] = field(default_factory=list)
    rows: dict[str, list[dict]] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)
    claims: dict[str, list[_Claim]] = field(default_factory=dict)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def add_rows(self, table, rows: Iterable[dict]) -> None:
        self.rows.setdefault(table.name, []).extend(rows)

    def claim(self, phrase: str, claim: _Claim) -> None:
        if not claim.entity_id:
            return  # a record without an id is already reported
        claims = self.claims.setdefault(_phrase(phrase), [])
        if all((c.entity_type, c.entity_id) != (claim.entity_type, claim.entity_id) for c in claims):
            claims.append(claim)


def _where(file_name: str, number: int, record: dict) -> str:
    record_id = record.get("id") if isinstance(record.get("id"), str) else None
    if file_name == "contraindications.yml" and isinstance(record.get("therapies"), list):
        record_id = ", ".join(str(t) for t in record["therapies"])
    return f"{file_name} entry {number}" + (f" ({record_id})" if record_id else "")


def _check_fields(check: _Validation, where: str, record: dict,
                  spec: dict[str, tuple[Validator, bool]]) -> dict[str, Any]:
    """Values that passed their type check, normalised; wrong or missing ones are reported and left out."""
    clean: dict[str, Any] = {}
    for key in record:
        if key not in spec:
            check.problem(where, f"unknown field '{key}' (allowed: {_one_of(spec)})")
    for key, (validator, required) in spec.items():
        if key not in record:
            if required:
                check.problem(where, f"missing field '{key}'")
            continue
        try:
            clean[key] = validator(record[key])
        except _Invalid as invalid:
            check.problem(where, f"'{key}' {invalid}")
    return clean


def _check_choice(check: _Validation, where: str, clean: dict, key: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if key in clean and clean[key] not in allowed:
        check.problem(where, f"{key} '{clean[key]}' is not one of {_one_of(allowed)}")


def _check_references(check: _Validation, where: str, values: Iterable[str], kind: str, known: set[str],
                      in_field: str) -> None:
    for value in values:
        if value not in known:
            check.problem(where, f"unknown {kind} id '{value}' in {in_field}")


def _check_sources(check: _Validation, where: str, clean: dict, required: bool = True) -> list[str]:
    source_ids = clean.get("source_ids", [])
    if required and "source_ids" in clean and not source_ids:
        check.problem(where, "source_ids is empty: every clinical statement needs at least one source")
    _check_references(check, where, source_ids, "source", check.ids["sources.yml"], "source_ids")
    return source_ids


def _source_rows(owner_id: Any, source_ids: list[str]) -> list[dict]:
    return [{"owner_id": owner_id, "source_id": source_id, "position": position}
            for position, source_id in enumerate(source_ids)]


# file name -> (entry number in the file, record); numbers stay true even when a malformed entry is left out
Documents = dict[str, list[tuple[int, dict]]]


def _read_files(content_dir: Path, check: _Validation) -> Documents:
    documents: Documents = {}
    for file_name in CONTENT_FILES:
        path = content_dir / file_name
        if not path.is_file():
            check.problem(file_name, "file is missing")
            documents[file_name] = []
            continue
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            check.problem(file_name, f"not valid YAML: {' '.join(str(error).split())}")
            document = []
        if document is None:
            document = []
        if not isinstance(document, list):
            check.problem(file_name, "must be a list of records (each starting with '- ')")
            document = []
        documents[file_name] = []
        for number, record in enumerate(document, start=1):
            if isinstance(record, dict):
                documents[file_name].append((number, record))
            else:
                check.problem(f"{file_name} entry {number}", "must be a mapping of fields")
    return documents


def _collect_ids(check: _Validation, documents: Documents) -> None:
    """First pass: the ids of every file, so references can be checked in any order. Flags duplicates and bad ids."""
    for file_name, records in documents.items():
        seen: dict[str, int] = {}
        pattern = CODE_ID if file_name in ("sources.yml", "locales.yml") else ENTITY_ID
        for number, record in records:
            record_id = record.get("id")
            if not isinstance(record_id, str) or not record_id.strip():
                continue  # reported as a missing field
            record_id = record_id.strip()
            where = _where(file_name, number, record)
            if record_id in seen:
                check.problem(where, f"duplicate id '{record_id}' (first used by entry {seen[record_id]})")
            else:
                seen[record_id] = number
            if not pattern.match(record_id):
                shape = "lower_snake_case" if pattern is ENTITY_ID else "letters, digits, _ . -"
                check.problem(where, f"id '{record_id}' must be {shape}")
            if len(record_id) > ID_LENGTH:
                check.problem(where, f"id '{record_id}' is longer than {ID_LENGTH} characters")
        check.ids[file_name] = set(seen)


def _each(check: _Validation, documents: Documents, file_name: str):
    """(where, clean, record) for each record of a file, after the common field, review and source checks."""
    for number, record in documents[file_name]:
        where = _where(file_name, number, record)
        clean = _check_fields(check, where, record, FIELDS[file_name])
        if "review" in FIELDS[file_name]:
            _check_choice(check, where, clean, "review", REVIEW_STATUSES)
        yield number, where, clean


def _validate_sources(check: _Validation, documents: Documents) -> None:
    for _, _, clean in _each(check, documents, "sources.yml"):
        check.add_rows(models.Source.__table__, [{"id": clean.get("id"), "citation": clean.get("citation"),
                                                  "url": clean.get("url")}])


def _validate_symptoms(check: _Validation, documents: Documents) -> None:
    for _, where, clean in _each(check, documents, "symptoms.yml"):
        source_ids = _check_sources(check, where, clean)
        symptom_id = clean.get("id")
        check.add_rows(models.Symptom.__table__, [{"id": symptom_id, "name": clean.get("name"),
                                                   "review": clean.get("review")}])
        check.add_rows(models.symptom_sources, _source_rows(symptom_id, source_ids))
        for phrase in [clean.get("name", ""), *clean.get("synonyms", [])]:
            if phrase:
                check.claim(phrase, _Claim("symptom", symptom_id, "symptoms.yml"))


def _validate_conditions(check: _Validation, documents: Documents) -> None:
    for _, where, clean in _each(check, documents, "conditions.yml"):
        _check_choice(check, where, clean, "kind", CONDITION_KINDS)
        source_ids = _check_sources(check, where, clean)
        condition_id = clean.get("id")
        check.add_rows(models.Condition.__table__, [{
            "id": condition_id, "name": clean.get("name"), "kind": clean.get("kind"),
            "description": clean.get("description"), "guideline_note": clean.get("guideline_note"),
            "review": clean.get("review")}])
        check.add_rows(models.condition_sources, _source_rows(condition_id, source_ids))
        for phrase in [clean.get("name", ""), *clean.get("synonyms", [])]:
            if phrase:
                check.claim(phrase, _Claim("condition", condition_id, "conditions.yml"))


def _validate_medications(check: _Validation, documents: Documents) -> set[str]:
    """Returns the medication classes in use, which rules may name."""
    classes_in_use: set[str] = set()
    brands_seen: set[str] = set()
    for _, where, clean in _each(check, documents, "medications.yml"):
        source_ids = _check_sources(check, where, clean)
        medication_id = clean.get("id")
        classes = clean.get("classes", [])
        for cls in classes:
            if cls not in MEDICATION_CLASSES:
                check.problem(where, f"unknown medication class '{cls}' (allowed: {_one_of(MEDICATION_CLASSES)})")
        known_classes = [cls for cls in classes if cls in MEDICATION_CLASSES]
        classes_in_use.update(known_classes)
        brands = list(dict.fromkeys(_phrase(brand) for brand in clean.get("brands", [])))
        check.add_rows(models.Medication.__table__, [{"id": medication_id, "name": clean.get("name"),
                                                      "review": clean.get("review")}])
        check.add_rows(models.medication_sources, _source_rows(medication_id, source_ids))
        combinations = list(dict.fromkeys(_phrase(name) for name in clean.get("combinations", [])))
        # a combination product is listed under each of its medicines; its brand row goes to the first
        check.add_rows(models.MedicationBrand.__table__,
                       [{"brand": brand, "medication_id": medication_id}
                        for brand in brands + combinations if brand not in brands_seen])
        brands_seen.update(brands + combinations)
        check.add_rows(models.medication_class_members,
                       [{"medication_id": medication_id, "class_id": cls} for cls in known_classes])
        if clean.get("name"):
            check.claim(clean["name"], _Claim("medication", medication_id, "name in medications.yml"))
        for synonym in clean.get("synonyms", []):
            check.claim(synonym, _Claim("medication", medication_id, "synonym in medications.yml"))
        for brand in brands:
            check.claim(brand, _Claim("medication", medication_id, "brand in medications.yml"))
        for name in combinations:
            check.claim(name, _Claim("medication", medication_id, COMBINATION_ORIGIN))
    check.add_rows(models.MedicationClass.__table__, [{"id": cls} for cls in sorted(classes_in_use)])
    return classes_in_use


def _validate_therapies(check: _Validation, documents: Documents) -> None:
    conditions, medications = check.ids["conditions.yml"], check.ids["medications.yml"]
    for _, where, clean in _each(check, documents, "therapies.yml"):
        _check_choice(check, where, clean, "category", THERAPY_CATEGORIES)
        _check_choice(check, where, clean, "guideline_line", GUIDELINE_LINES)
        source_ids = _check_sources(check, where, clean)
        therapy_id = clean.get("id")
        condition_lines = {}
        for condition_id, line in clean.get("condition_lines", {}).items():
            if condition_id not in conditions:
                check.problem(where, f"unknown condition id '{condition_id}' in condition_lines")
            elif line not in GUIDELINE_LINES:
                check.problem(where, f"condition_lines.{condition_id} '{line}' is not one of {_one_of(GUIDELINE_LINES)}")
            else:
                condition_lines[condition_id] = line
        indications = clean.get("indications", [])
        _check_references(check, where, indications, "condition", conditions, "indications")
        medication_ids = clean.get("medication_ids", [])
        _check_references(check, where, medication_ids, "medication", medications, "medication_ids")
        check.add_rows(models.Therapy.__table__, [{
            "id": therapy_id, "name": clean.get("name"), "category": clean.get("category"),
            "guideline_line": clean.get("guideline_line"), "guideline_basis": clean.get("guideline_basis"),
            "nnt": clean.get("nnt"), "description": clean.get("description"),
            "what_to_expect": clean.get("what_to_expect"), "first_step": clean.get("first_step"),
            "review": clean.get("review")}])
        check.add_rows(models.therapy_sources, _source_rows(therapy_id, source_ids))
        check.add_rows(models.therapy_medications, [
            {"therapy_id": therapy_id, "medication_id": medication_id, "position": position}
            for position, medication_id in enumerate(medication_ids) if medication_id in medications])
        check.add_rows(models.therapy_indications, [
            {"therapy_id": therapy_id, "condition_id": condition_id}
            for condition_id in indications if condition_id in conditions])
        check.add_rows(models.therapy_condition_lines, [
            {"therapy_id": therapy_id, "condition_id": condition_id, "guideline_line": line}
            for condition_id, line in condition_lines.items()])
        # Drug therapies are named through their medications; only non-drug therapies claim their own name.
        names = [] if medication_ids else [clean.get("name", "")]
        for phrase in [*names, *clean.get("synonyms", [])]:
            if phrase:
                check.claim(phrase, _Claim("therapy", therapy_id, "therapies.yml"))


def _validate_rules(check: _Validation, documents: Documents, classes_in_use: set[str]) -> None:
    known = {"condition": check.ids["conditions.yml"], "medication": check.ids["medications.yml"],
             "medication_class": classes_in_use, "age_band": set(AGE_BANDS)}
    rule_id = 0
    for number, where, clean in _each(check, documents, "contraindications.yml"):
        _check_choice(check, where, clean, "kind", RULE_KINDS)
        _check_choice(check, where, clean, "severity", SEVERITIES)
        source_ids = _check_sources(check, where, clean)
        therapies = clean.get("therapies", [])
        if "therapies" in clean and not therapies:
            check.problem(where, "therapies is empty")
        _check_references(check, where, therapies, "therapy", check.ids["therapies.yml"], "therapies")
        when = clean.get("when", {})
        when_keys = list(when)
        if "when" in clean and len(when_keys) != 1:
            check.problem(where, f"'when' must have exactly one of {_one_of(WHEN_KEYS)}, but it has "
                                 f"{len(when_keys)} ({_one_of(map(str, when_keys)) or 'none'})")
            continue
        if not when_keys:
            continue
        when_key, when_value = when_keys[0], when[when_keys[0]]
        if when_key not in WHEN_KEYS:
            check.problem(where, f"'when' key '{when_key}' is not one of {_one_of(WHEN_KEYS)}")
            continue
        if not isinstance(when_value, str) or not when_value.strip():
            check.problem(where, f"'when.{when_key}' must be a single id")
            continue
        when_value = when_value.strip()
        if when_value not in known[when_key]:
            reason = (f"medication class '{when_value}' is not a class of any medication in medications.yml, "
                      f"so the rule could never apply" if when_key == "medication_class"
                      else f"unknown {when_key.replace('_', ' ')} id '{when_value}' in when")
            check.problem(where, reason)
        for therapy_id in therapies:
            rule_id += 1
            check.add_rows(models.ContraindicationRule.__table__, [{
                "id": rule_id, "entry": number, "therapy_id": therapy_id, "when_key": when_key,
                "when_value": when_value, "kind": clean.get("kind"), "severity": clean.get("severity"),
                "warning": clean.get("warning"), "review": clean.get("review")}])
            check.add_rows(models.rule_sources, _source_rows(rule_id, source_ids))


def _validate_red_flags(check: _Validation, documents: Documents) -> None:
    phrase_id = 0
    for _, where, clean in _each(check, documents, "red_flags.yml"):
        _check_choice(check, where, clean, "triage_level", TRIAGE_LEVELS)
        if clean.get("scope") not in (None, "sentence", "message"):
            check.problem(where, "scope is sentence (the default) or message")
        source_ids = _check_sources(check, where, clean)
        phrases = clean.get("phrases", [])
        if "phrases" in clean and not phrases:
            check.problem(where, "phrases is empty: give real-sounding patient sentences")
        red_flag_id = clean.get("id")
        ask_when = clean.get("ask_when") or []
        if bool(ask_when) != bool(clean.get("question")):
            check.problem(where, "question and ask_when go together: the question is asked only where it applies")
        for alternative in ask_when:
            unknown = set(alternative) - set(ASK_WHEN_KEYS)
            if unknown or not all(isinstance(v, list) and v for v in alternative.values()):
                check.problem(where, f"ask_when alternatives map {', '.join(ASK_WHEN_KEYS)} to lists of ids")
        check.add_rows(models.RedFlag.__table__, [{
            "id": red_flag_id, "name": clean.get("name"), "triage_level": clean.get("triage_level"),
            "advice": clean.get("advice"), "triggers_json": json.dumps(clean.get("triggers", [])),
            "question": clean.get("question"), "ask_when_json": json.dumps(ask_when) if ask_when else None,
            "scope": clean.get("scope"),
            "review": clean.get("review")}])
        check.add_rows(models.red_flag_sources, _source_rows(red_flag_id, source_ids))
        for position, phrase in enumerate(phrases):
            phrase_id += 1
            check.add_rows(models.RedFlagPhrase.__table__, [
                {"id": phrase_id, "red_flag_id": red_flag_id, "position": position, "phrase": phrase}])


def _validate_body_parts(check: _Validation, documents: Documents) -> None:
    for _, where, clean in _each(check, documents, "body_parts.yml"):
        body_part_id = clean.get("id")
        name = clean.get("name") or (body_part_id or "").replace("_", " ")
        # Body parts are vocabulary, not clinical claims: without a review they count as unreviewed.
        check.add_rows(models.BodyPart.__table__, [{"id": body_part_id, "name": name,
                                                    "review": clean.get("review", "unverified")}])
        for phrase in [name, *clean.get("synonyms", [])]:
            if phrase:
                check.claim(phrase, _Claim("body_part", body_part_id, "body_parts.yml"))


def _validate_locales(check: _Validation, documents: Documents) -> None:
    for _, where, clean in _each(check, documents, "locales.yml"):
        source_ids = _check_sources(check, where, clean)
        check.add_rows(models.Locale.__table__, [{
            "id": clean.get("id"), "emergency_number": clean.get("emergency_number"),
            "urgent_number": clean.get("urgent_number"), "crisis_line": clean.get("crisis_line"),
            "review": clean.get("review")}])
        check.add_rows(models.locale_sources, _source_rows(clean.get("id"), source_ids))


def _validate_screening(check: _Validation, documents: Documents) -> None:
    item_ids: dict[str, str] = {}
    for _, where, clean in _each(check, documents, "screening.yml"):
        source_ids = _check_sources(check, where, clean)
        instrument_id = clean.get("id")
        low, high, threshold = clean.get("min_score"), clean.get("max_score"), clean.get("threshold")
        if None not in (low, high, threshold) and not low <= threshold <= high:
            check.problem(where, f"threshold {threshold} must lie between min_score {low} and max_score {high}")
        check.add_rows(models.ScreeningInstrument.__table__, [{
            "id": instrument_id, "name": clean.get("name"), "min_score": low, "max_score": high,
            "threshold": threshold, "attribution": clean.get("attribution"), "review": clean.get("review")}])
        check.add_rows(models.screening_sources, _source_rows(instrument_id, source_ids))
        items = clean.get("items", [])
        if "items" in clean and not items:
            check.problem(where, "items is empty")
        for position, item in enumerate(items, start=1):
            item_where = f"{where} item {position}" + (f" ({item['id']})" if isinstance(item.get("id"), str) else "")
            item_clean = _check_fields(check, item_where, item, SCREENING_ITEM_FIELDS)
            item_id, symptom_id = item_clean.get("id"), item_clean.get("symptom_id")
            if item_id in item_ids:
                check.problem(item_where, f"duplicate item id '{item_id}' (also in {item_ids[item_id]})")
            elif item_id:
                item_ids[item_id] = instrument_id or where
                if not ENTITY_ID.match(item_id) or len(item_id) > ID_LENGTH:
                    check.problem(item_where, f"id '{item_id}' must be lower_snake_case, at most {ID_LENGTH} characters")
            if symptom_id is not None and symptom_id not in check.ids["symptoms.yml"]:
                check.problem(item_where, f"unknown symptom id '{symptom_id}' in symptom_id")
            check.add_rows(models.ScreeningItem.__table__, [{
                "id": item_id, "instrument_id": instrument_id, "position": position, "symptom_id": symptom_id,
                "question": item_clean.get("question"), "yes_points": item_clean.get("yes_points"),
                "no_points": item_clean.get("no_points")}])


def _validate_faqs(check: _Validation, documents: Documents) -> None:
    for _, where, clean in _each(check, documents, "faq.yml"):
        clinical = clean.get("clinical", True)  # unless marked otherwise, an answer is a clinical statement
        if clinical and not clean.get("source_ids"):
            check.problem(where, "clinical FAQ without source_ids (add sources, or mark it clinical: false)")
        source_ids = _check_sources(check, where, clean, required=False)
        check.add_rows(models.Faq.__table__, [{
            "id": clean.get("id"), "title": clean.get("title"), "answer": clean.get("answer"),
            "clinical": clinical, "review": clean.get("review")}])
        check.add_rows(models.faq_sources, _source_rows(clean.get("id"), source_ids))


def _check_claims(check: _Validation) -> None:
    """A phrase must mean one entity, or the NLU could not tell which one the patient meant. The one exception is a
    combination product, listed under `combinations` of each of its medicines (co-codamol under codeine and
    paracetamol): it means all of them, and its canonical id joins theirs with "|" ("codeine|paracetamol")."""
    synonym_rows = []
    for phrase, claims in sorted(check.claims.items()):
        combination = [c for c in claims if c.origin == COMBINATION_ORIGIN]
        if combination and len(combination) == len(claims) == 1:
            check.problem("vocabulary", f"combination '{phrase}' is listed under one medication only "
                                        f"('{claims[0].entity_id}'): list it under each medicine it contains")
        elif combination and len(combination) == len(claims):
            synonym_rows.append(("medication", COMBINATION_SEPARATOR.join(sorted(c.entity_id for c in claims)), phrase))
        elif len(claims) > 1:
            owners = ", ".join(f"{c.entity_type} '{c.entity_id}' ({c.origin})" for c in claims)
            check.problem("vocabulary", f"phrase '{phrase}' is claimed by more than one entity: {owners}")
        else:
            synonym_rows.append((claims[0].entity_type, claims[0].entity_id, phrase))
    check.add_rows(models.Synonym.__table__, [
        {"id": number, "entity_type": entity_type, "canonical_id": canonical_id, "phrase": phrase}
        for number, (entity_type, canonical_id, phrase) in enumerate(sorted(synonym_rows), start=1)])


@dataclass(frozen=True)
class ValidatedContent:
    content_dir: Path
    content_hash: str
    rows: dict[str, list[dict]]


def validate_content(content_dir: Path | str) -> ValidatedContent:
    """Check every file and record; raise one ContentError listing every problem, or return rows to insert."""
    content_dir = Path(content_dir)
    check = _Validation()
    documents = _read_files(content_dir, check)
    _collect_ids(check, documents)
    _validate_sources(check, documents)
    _validate_symptoms(check, documents)
    _validate_conditions(check, documents)
    classes_in_use = _validate_medications(check, documents)
    _validate_therapies(check, documents)
    _validate_rules(check, documents, classes_in_use)
    _validate_red_flags(check, documents)
    _validate_body_parts(check, documents)
    _validate_locales(check, documents)
    _validate_screening(check, documents)
    _validate_faqs(check, documents)
    _check_claims(check)
    if check.problems:
        raise ContentError(content_dir, check.problems)
    return ValidatedContent(content_dir, content_hash(content_dir), check.rows)


# --- loading ------------------------------------------------------------------------------------------------

def content_hash(content_dir: Path | str) -> str:
    """SHA-256 over the schema version and every content file, so any edit (or a schema change) triggers a reload."""
    digest = hashlib.sha256(f"schema {SCHEMA_VERSION}\n".encode())
    for file_name in CONTENT_FILES:
        path = Path(content_dir) / file_name
        digest.update(f"{file_name}\n".encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def stored_state(engine: Engine) -> dict[str, str]:
    """The content_state of the database ({} when nothing was ever loaded)."""
    if not inspect(engine).has_table(models.ContentState.__tablename__):
        return {}
    with engine.connect() as connection:
        rows = connection.execute(select(models.ContentState.key, models.ContentState.value))
        return {key: value for key, value in rows}


@dataclass(frozen=True)
class LoadReport:
    content_hash: str
    row_counts: dict[str, int]


def _prepare_schema(engine: Engine) -> None:
    """Create the tables; rebuild them when a database was made by an older schema version."""
    state = stored_state(engine)
    if state and state.get("schema_version") != SCHEMA_VERSION:
        models.metadata.drop_all(engine)
    models.metadata.create_all(engine)


def load(engine: Engine, content_dir: Path | str) -> LoadReport:
    """Validate, then replace all content in one transaction (all or nothing)."""
    content = validate_content(content_dir)
    _prepare_schema(engine)
    with engine.begin() as connection:
        for table in reversed(models.metadata.sorted_tables):
            connection.execute(delete(table))
        for table in models.CONTENT_TABLES:
            rows = content.rows.get(table.name)
            if rows:
                connection.execute(insert(table), rows)
        state = {"content_hash": content.content_hash, "schema_version": SCHEMA_VERSION,
                 "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "content_dir": str(Path(content_dir).resolve())}
        connection.execute(insert(models.ContentState.__table__), [{"key": k, "value": v} for k, v in state.items()])
    return LoadReport(content.content_hash, {name: len(rows) for name, rows in sorted(content.rows.items())})


def load_if_changed(engine: Engine, content_dir: Path | str) -> bool:
    """Load only when the files differ from what the database holds. True when it loaded."""
    if stored_state(engine).get("content_hash") == content_hash(content_dir):
        return False
    load(engine, content_dir)
    return True
