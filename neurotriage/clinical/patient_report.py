"""What the patient has told us about themself: present, denied and past mentions, merged turn by turn.

A later statement wins: "no numbness" after "my feet are numb" moves numbness from present to absent, and back;
"I stopped the lyrica" moves it from the current medicines to the past ones, with the reason when one was given.
Mentions only asked about ("would duloxetine help?") or about someone else ("my mum is on warfarin") are not the
patient's and change nothing. Only present mentions reach the slots that drive safety matching (`conditions`,
`medications`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional

NEGATED_ROLE = "negated"
PAST_ROLE = "past"
NOT_THE_PATIENTS = {"asked", "other_person"}
REASONS = ("side_effect", "no_help")


class ReportSlots(NamedTuple):
    present: str
    absent: Optional[str]  # None: denials are not kept
    past: Optional[str]  # None: past mentions are not kept


# entity type -> its report slots
REPORT_SLOTS: Dict[str, ReportSlots] = {
    "symptom": ReportSlots("symptoms_present", "symptoms_absent", "symptoms_past"),
    "condition": ReportSlots("conditions", "conditions_absent", "conditions_past"),
    "medication": ReportSlots("medications", "medications_absent", "medications_past"),
    "body_part": ReportSlots("pain_locations", None, None),
}
# Past medicines are kept as {"id", "reason"} (reason: side_effect, no_help or None); every other slot holds ids.
HISTORY_SLOTS = {"medications_past"}


@dataclass
class PatientReport:
    slots: Dict[str, List[Any]] = field(default_factory=dict)

    @classmethod
    def slot_names(cls) -> List[str]:
        return [name for names in REPORT_SLOTS.values() for name in names if name]

    @classmethod
    def from_slots(cls, slot_values: Mapping[str, Optional[Iterable[Any]]]) -> "PatientReport":
        report = cls({name: [] for name in cls.slot_names()})
        for name in report.slots:
            for value in slot_values.get(name) or []:
                if name in HISTORY_SLOTS:
                    value = _history_item(value)
                if value is not None and value not in report.slots[name]:
                    report.slots[name].append(value)
        return report

    def add_entities(self, entities: Iterable[Mapping]) -> None:
        for entity in entities:
            slots = REPORT_SLOTS.get(entity.get("entity"))
            value = entity.get("value")
            role = entity.get("role")
            if not slots or not isinstance(value, str) or role in NOT_THE_PATIENTS:
                continue
            if role == NEGATED_ROLE:
                self._remove(slots.present, value)
                if slots.absent:
                    self._add(slots.absent, value)
            elif role == PAST_ROLE:
                self._remove(slots.present, value)
                if slots.past:
                    self._add(slots.past, value, entity.get("reason"))
            else:
                self._add(slots.present, value)
                for other in (slots.absent, slots.past):
                    if other:
                        self._remove(other, value)

    def medication_history(self) -> List[Dict[str, Optional[str]]]:
        """Stopped medicines for the summary: [{"id", "reason"}]."""
        return [dict(item) for item in self.slots.get("medications_past", [])]

    def _add(self, slot: str, value: str, reason: Optional[str] = None) -> None:
        values = self.slots.setdefault(slot, [])
        if slot in HISTORY_SLOTS:
            reason = reason if reason in REASONS else None
            for item in values:
                if item["id"] == value:
                    item["reason"] = reason or item["reason"]  # a reason once given is not forgotten
                    return
            values.append({"id": value, "reason": reason})
        elif value not in values:
            values.append(value)

    def _remove(self, slot: str, value: str) -> None:
        self.slots[slot] = [v for v in self.slots.get(slot, []) if (v["id"] if slot in HISTORY_SLOTS else v) != value]


def _history_item(value: Any) -> Optional[Dict[str, Optional[str]]]:
    """A stored past medicine: {"id", "reason"}; a bare id (older slots) is accepted."""
    if isinstance(value, str):
        return {"id": value, "reason": None}
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        reason = value.get("reason")
        return {"id": value["id"], "reason": reason if reason in REASONS else None}
    return None
