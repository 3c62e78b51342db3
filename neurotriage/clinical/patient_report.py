"""What the patient has told us: present and denied mentions, merged turn by turn.

A later statement wins: "no numbness" after "my feet are numb" moves numbness from present to absent, and back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional

NEGATED_ROLE = "negated"
# entity type -> (slot for what is present, slot for what is denied or None when denials are not kept)
REPORT_SLOTS: Dict[str, tuple] = {
    "symptom": ("symptoms_present", "symptoms_absent"),
    "condition": ("conditions", "conditions_absent"),
    "medication": ("medications", "medications_absent"),
    "body_part": ("pain_locations", None),
}


@dataclass
class PatientReport:
    slots: Dict[str, List[str]] = field(default_factory=dict)

    @classmethod
    def from_slots(cls, slot_values: Mapping[str, Optional[Iterable[str]]]) -> "PatientReport":
        names = {name for pair in REPORT_SLOTS.values() for name in pair if name}
        return cls({name: list(slot_values.get(name) or []) for name in names})

    def add_entities(self, entities: Iterable[Mapping]) -> None:
        for entity in entities:
            slots = REPORT_SLOTS.get(entity.get("entity"))
            value = entity.get("value")
            if not slots or not isinstance(value, str):
                continue
            present_slot, absent_slot = slots
            if entity.get("role") == NEGATED_ROLE:
                self._remove(present_slot, value)
                if absent_slot:
                    self._add(absent_slot, value)
            else:
                self._add(present_slot, value)
                if absent_slot:
                    self._remove(absent_slot, value)

    def _add(self, slot: str, value: str) -> None:
        values = self.slots.setdefault(slot, [])
        if value not in values:
            values.append(value)

    def _remove(self, slot: str, value: str) -> None:
        self.slots[slot] = [v for v in self.slots.get(slot, []) if v != value]
