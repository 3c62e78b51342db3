"""The triage summary of the contract (shared DESIGN.md): sent to the patient's channel as a custom payload and
stored for staff. Pure assembly from what the conversation gathered; every source named anywhere is listed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence

from neurotriage.clinical.screening import ScreeningResult
from neurotriage.clinical.therapy_matching import TherapyOption
from neurotriage.clinical.triage import TriageDecision

SUMMARY_FIELDS = ("conversation_id", "created_at", "triage_level", "reasons", "red_flags", "symptoms", "conditions",
                  "condition_history", "medications", "medication_history", "unrecognised_medications", "pain",
                  "screening", "contraindications", "therapy_options", "sources")


@dataclass(frozen=True)
class AssessmentRecord:
    conversation_id: str
    decision: TriageDecision
    red_flags: Sequence[str] = ()
    symptoms_present: Sequence[str] = ()
    symptoms_absent: Sequence[str] = ()
    symptoms_past: Sequence[str] = ()
    conditions: Sequence[str] = ()  # present now: these drive the safety checks
    conditions_past: Sequence[str] = ()  # over ("the shingles cleared up")
    medications: Sequence[str] = ()  # taken now
    medication_history: Sequence[Mapping[str, Optional[str]]] = ()  # stopped: {"id", "reason"} (PatientReport)
    unrecognised_medications: Sequence[str] = ()  # in the patient's words, for staff to check
    pain_locations: Sequence[str] = ()
    pain_duration: Optional[str] = None
    pain_score: Optional[int] = None
    screening: Optional[ScreeningResult] = None
    therapy_options: Sequence[TherapyOption] = ()
    extra_source_ids: Sequence[str] = field(default_factory=tuple)


def build_summary(record: AssessmentRecord, cite: Callable[[Iterable[str]], List[Dict]],
                  now: Optional[datetime] = None) -> dict:
    """`cite(ids)` turns source ids into [{id, citation, url}] (the knowledge base's sources)."""
    options = [option.to_dict() for option in record.therapy_options]
    contraindications = [
        {"therapy_id": option["id"], "suitability": option["suitability"], **warning}
        for option in options if option["suitability"] != "discuss" for warning in option["warnings"]
    ]
    source_ids = set(record.decision.source_ids) | set(record.extra_source_ids)
    for option in options:
        source_ids.update(option["source_ids"])
        for warning in option["warnings"]:
            source_ids.update(warning["source_ids"])
    return {
        "conversation_id": record.conversation_id,
        "created_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "triage_level": record.decision.level,
        "reasons": list(record.decision.reasons),
        "red_flags": list(record.red_flags),
        "symptoms": {"present": list(record.symptoms_present), "absent": list(record.symptoms_absent),
                     "past": list(record.symptoms_past)},
        "conditions": list(record.conditions),
        "condition_history": list(record.conditions_past),
        "medications": list(record.medications),
        "medication_history": [{"id": item["id"], "reason": item.get("reason")} for item in record.medication_history],
        "unrecognised_medications": list(record.unrecognised_medications),
        "pain": {"locations": list(record.pain_locations), "duration": record.pain_duration, "score": record.pain_score},
        "screening": record.screening.to_dict() if record.screening else None,
        "contraindications": contraindications,
        "therapy_options": options,
        "sources": cite(sorted(source_ids)),
    }
