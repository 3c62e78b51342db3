"""Screening questionnaires (DN4 interview, ID Pain) scored from the patient's answers.

Answers already given in free text count: a symptom the patient described answers its item "yes", one they denied
answers "no", so those items are not asked again. "I don't know" is accepted and scores nothing.
The result is worded as "suggests / does not suggest nerve pain", never as a diagnosis.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, Mapping, Optional, Protocol, Sequence

YES, NO, UNKNOWN = "yes", "no", "unknown"
ANSWERS = (YES, NO, UNKNOWN)


class Item(Protocol):
    id: str
    question: str
    symptom_id: Optional[str]
    yes_points: int
    no_points: int


class Instrument(Protocol):
    id: str
    name: str
    min_score: int
    max_score: int
    threshold: int
    items: Sequence[Item]
    source_ids: Sequence[str]


@dataclass(frozen=True)
class ScreeningResult:
    instrument: str
    score: int
    max_score: int
    threshold: int
    positive: bool
    answers: Dict[str, str] = field(default_factory=dict)
    # items answered "not sure" or not at all that could still have reached the threshold: the result is open
    undecided_items: int = 0

    @property
    def decided(self) -> bool:
        """False when unanswered items could turn a negative screening positive: silence is not a "no"."""
        return self.positive or self.score + self.undecided_items < self.threshold

    @property
    def wording(self) -> str:
        if not self.decided:
            return (f"Your answers score {self.score} out of {self.max_score}, with {self.undecided_items} "
                    "question(s) not answered, so the screening can't tell whether this is nerve pain. A clinician "
                    "can assess it with you.")
        if self.positive:
            return (f"Your answers score {self.score} out of {self.max_score}. That suggests your pain may be nerve "
                    "pain. This is a screening result, not a diagnosis: a clinician will need to assess you.")
        return (f"Your answers score {self.score} out of {self.max_score}. That does not suggest nerve pain, but "
                "screening questions miss some nerve pain, so a clinician can still assess you.")

    def to_dict(self) -> dict:
        return {"instrument": self.instrument, "score": self.score, "max_score": self.max_score,
                "threshold": self.threshold, "positive": self.positive if self.decided else None,
                "answers": dict(self.answers)}


def answers_from_report(instrument: Instrument, symptoms_present: Iterable[str],
                        symptoms_absent: Iterable[str]) -> Dict[str, str]:
    """Items the patient has already answered by describing (or denying) the symptom in their own words."""
    present, absent = set(symptoms_present or ()), set(symptoms_absent or ())
    answers = {}
    for item in instrument.items:
        if item.symptom_id in present:
            answers[item.id] = YES
        elif item.symptom_id in absent:
            answers[item.id] = NO
    return answers


def next_item(instrument: Instrument, answers: Mapping[str, str]) -> Optional[Item]:
    return next((item for item in instrument.items if item.id not in answers), None)


def score(instrument: Instrument, answers: Mapping[str, str]) -> ScreeningResult:
    total = 0
    for item in instrument.items:
        answer = answers.get(item.id)
        if answer == YES:
            total += item.yes_points
        elif answer == NO:
            total += item.no_points
    total = max(instrument.min_score, min(instrument.max_score, total))
    ordered = {item.id: answers[item.id] for item in instrument.items if item.id in answers}
    undecided = sum(item.yes_points for item in instrument.items if answers.get(item.id) not in (YES, NO))
    return ScreeningResult(instrument.id, total, instrument.max_score, instrument.threshold,
                           total >= instrument.threshold, ordered, undecided)
