"""Which therapy options to explain to a patient, in what order, and how safe each looks for them.

Pure logic over plain records (no Rasa, no database), so every safety rule can be tested directly.
The output warns and routes to a clinician; it never clears anyone for a treatment.

Rules of the game (knowledge/SCHEMA.md, contraindications.yml):
- a rule applies when its `when` names a condition the patient has, a medication they take, a class of any
  medication they take, or their age band;
- any applicable `absolute` rule -> not_advised; else any `relative`/`caution` rule -> caution; else discuss;
- a therapy whose guideline line for this patient is `not_recommended` is not_advised whatever the rules say.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Mapping

from neurotriage.clinical.profile import PatientProfile

GUIDELINE_LINES = ("first", "second", "third", "specialist", "supportive", "not_recommended")
LINE_RANK = {line: rank for rank, line in enumerate(GUIDELINE_LINES)}
NOT_RECOMMENDED = "not_recommended"

SEVERITIES = ("absolute", "relative", "caution")
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

# least to most restrictive; the property tests rely on this order
SUITABILITIES = ("discuss", "caution", "not_advised")
SUITABILITY_RANK = {suitability: rank for rank, suitability in enumerate(SUITABILITIES)}

WHEN_KEYS = ("condition", "medication", "medication_class", "age_band")

Trigger = tuple[str, str]  # (when key, value), e.g. ("condition", "heart_disease")


@dataclass(frozen=True)
class Rule:
    """One contraindication, caution, interaction or guideline exclusion for one therapy."""

    therapy_id: str
    when_key: str
    when_value: str
    kind: str
    severity: str
    warning: str
    source_ids: tuple[str, ...]
    review: str

    @property
    def trigger(self) -> Trigger:
        return (self.when_key, self.when_value)


@dataclass(frozen=True)
class TherapyRecord:
    """The facts about a therapy that decide whether and where it is listed."""

    id: str
    name: str
    category: str
    guideline_line: str
    source_ids: tuple[str, ...]
    condition_lines: Mapping[str, str] = field(default_factory=dict)
    indications: frozenset[str] = frozenset()
    review: str = "unverified"


@dataclass(frozen=True)
class OptionWarning:
    text: str
    severity: str
    kind: str
    source_ids: tuple[str, ...]
    review: str

    @property
    def awaiting_clinical_review(self) -> bool:
        """Unverified facts reach a patient only with the words "awaiting clinical review"."""
        return self.review == "unverified"

    def to_dict(self) -> dict:
        return {**asdict(self), "source_ids": list(self.source_ids)}


@dataclass(frozen=True)
class TherapyOption:
    """One entry of the triage summary's `therapy_options` (docs: /work/shared/DESIGN.md)."""

    id: str
    name: str
    category: str
    guideline_line: str
    suitability: str
    warnings: tuple[OptionWarning, ...]
    source_ids: tuple[str, ...]
    review: str  # of the therapy's own facts; each warning carries its own
    condition_specific: bool = False

    @property
    def awaiting_clinical_review(self) -> bool:
        return self.review == "unverified"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "guideline_line": self.guideline_line,
            "suitability": self.suitability,
            "warnings": [warning.to_dict() for warning in self.warnings],
            "source_ids": list(self.source_ids),
            "review": self.review,
        }


def profile_triggers(profile: PatientProfile, medication_classes: Mapping[str, Iterable[str]]) -> set[Trigger]:
    """Every `when` the profile satisfies; a rule applies exactly when its trigger is in this set."""
    triggers: set[Trigger] = {("condition", condition) for condition in profile.conditions}
    for medication in profile.medications:
        triggers.add(("medication", medication))
        triggers.update(("medication_class", cls) for cls in medication_classes.get(medication, ()))
    if profile.age_band is not None:
        triggers.add(("age_band", profile.age_band))
    return triggers


def guideline_line_for(therapy: TherapyRecord, conditions: frozenset[str]) -> tuple[str, bool]:
    """The therapy's guideline line for a patient with these conditions, and whether it is condition-specific.

    A condition-specific line overrides the general one. When several apply, `not_recommended` wins (a guideline
    that says "do not offer for X" must not be outvoted by another condition); otherwise the best line wins.
    """
    overrides = [line for condition, line in therapy.condition_lines.items() if condition in conditions]
    if not overrides:
        return therapy.guideline_line, bool(therapy.indications & conditions)
    if NOT_RECOMMENDED in overrides:
        return NOT_RECOMMENDED, True
    return min(overrides, key=LINE_RANK.__getitem__), True


def is_offered(therapy: TherapyRecord, conditions: frozenset[str]) -> bool:
    """Therapies specific to some conditions (e.g. microvascular decompression for trigeminal neuralgia) are listed
    only for patients with one of them."""
    return not therapy.indications or bool(therapy.indications & conditions)


def suitability_for(guideline_line: str, applicable_rules: Iterable[Rule]) -> str:
    if guideline_line == NOT_RECOMMENDED:
        return "not_advised"
    severities = {rule.severity for rule in applicable_rules}
    if "absolute" in severities:
        return "not_advised"
    if severities:
        return "caution"
    return "discuss"


def warnings_for(applicable_rules: Iterable[Rule]) -> tuple[OptionWarning, ...]:
    """Most severe first; one warning per distinct text (a rule may be stated for several triggers)."""
    ordered = sorted(applicable_rules, key=lambda rule: SEVERITY_RANK[rule.severity])
    warnings: dict[str, OptionWarning] = {}
    for rule in ordered:
        warnings.setdefault(
            rule.warning,
            OptionWarning(text=rule.warning, severity=rule.severity, kind=rule.kind,
                          source_ids=rule.source_ids, review=rule.review),
        )
    return tuple(warnings.values())


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


class TherapyCatalog:
    """All therapies and rules, indexed once by trigger so matching a profile costs only the profile's size."""

    def __init__(self, therapies: Iterable[TherapyRecord], rules: Iterable[Rule],
                 medication_classes: Mapping[str, Iterable[str]]) -> None:
        self.therapies = tuple(therapies)
        self.medication_classes = {medication: frozenset(classes)
                                   for medication, classes in medication_classes.items()}
        # the position keeps warnings in content order whatever order the profile's triggers come in
        self._rules_by_trigger: dict[Trigger, list[tuple[int, Rule]]] = {}
        for position, rule in enumerate(rules):
            self._rules_by_trigger.setdefault(rule.trigger, []).append((position, rule))

    def applicable_rules(self, profile: PatientProfile) -> dict[str, list[Rule]]:
        """Rules that apply to this profile, grouped by therapy id, in content order within each group."""
        by_therapy: dict[str, list[tuple[int, Rule]]] = {}
        for trigger in profile_triggers(profile, self.medication_classes):
            for position, rule in self._rules_by_trigger.get(trigger, ()):
                by_therapy.setdefault(rule.therapy_id, []).append((position, rule))
        return {therapy_id: [rule for _, rule in sorted(found, key=lambda item: item[0])]
                for therapy_id, found in by_therapy.items()}

    def options_for(self, profile: PatientProfile) -> list[TherapyOption]:
        """Options ranked by guideline line for this profile; at equal line condition-specific ones first, then name."""
        rules_by_therapy = self.applicable_rules(profile)
        options = []
        for therapy in self.therapies:
            if not is_offered(therapy, profile.conditions):
                continue
            line, condition_specific = guideline_line_for(therapy, profile.conditions)
            rules = rules_by_therapy.get(therapy.id, [])
            warnings = warnings_for(rules)
            options.append(TherapyOption(
                id=therapy.id,
                name=therapy.name,
                category=therapy.category,
                guideline_line=line,
                suitability=suitability_for(line, rules),
                warnings=warnings,
                source_ids=_unique([*therapy.source_ids, *(s for w in warnings for s in w.source_ids)]),
                review=therapy.review,
                condition_specific=condition_specific,
            ))
        options.sort(key=lambda option: (LINE_RANK[option.guideline_line], not option.condition_specific,
                                         option.name.casefold(), option.id))
        return options
