"""What the assistant knows about the patient that matters for therapy safety.

Pure data: no Rasa, no database. Built by the actions from slots; read by therapy matching.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

AGE_BANDS = ("under_18", "18_to_64", "65_plus")
PREGNANCY = "pregnancy"
BREASTFEEDING = "breastfeeding"


def _id_set(values: Iterable[str] | str | None) -> frozenset[str]:
    """Accept any iterable of ids (a lone string counts as one id, not as its letters)."""
    if values is None:
        return frozenset()
    if isinstance(values, str):
        values = [values]
    return frozenset(value.strip() for value in values if value and value.strip())


@dataclass(frozen=True)
class PatientProfile:
    """Canonical condition and medication ids, an age band, and pregnancy/breastfeeding.

    Pregnancy and breastfeeding are also conditions in the content (rules say `when: {condition: pregnancy}`),
    so the flags and the condition ids are kept in step: either way of saying it gives the same profile.
    """

    conditions: frozenset[str] = field(default_factory=frozenset)
    medications: frozenset[str] = field(default_factory=frozenset)
    age_band: Optional[str] = None
    pregnant: bool = False
    breastfeeding: bool = False

    def __post_init__(self) -> None:
        if self.age_band is not None and self.age_band not in AGE_BANDS:
            raise ValueError(f"age_band must be one of {', '.join(AGE_BANDS)} or None, not {self.age_band!r}")
        conditions = set(_id_set(self.conditions))
        pregnant = bool(self.pregnant) or PREGNANCY in conditions
        breastfeeding = bool(self.breastfeeding) or BREASTFEEDING in conditions
        if pregnant:
            conditions.add(PREGNANCY)
        if breastfeeding:
            conditions.add(BREASTFEEDING)
        # frozen dataclass: normalise through object.__setattr__ once, at construction
        object.__setattr__(self, "conditions", frozenset(conditions))
        object.__setattr__(self, "medications", _id_set(self.medications))
        object.__setattr__(self, "pregnant", pregnant)
        object.__setattr__(self, "breastfeeding", breastfeeding)
