"""Brief warning-sign questions by presentation, as NHS 111 asks them: a patient with sciatica is asked about the
bladder and bowel, one with new temple or jaw pain about chewing and sight, one with shingles about when the rash
began. Each question belongs to a red flag in the knowledge base (`question`, `ask_when`), is asked once, and only
where the patient's report matches one of its `ask_when` alternatives. Pure logic, no Rasa."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Mapping, Optional, Protocol, Sequence


class WarningQuestion(Protocol):
    """What this module needs of a red flag (the knowledge base's RedFlag records have it)."""

    id: str
    name: str
    triage_level: str
    question: Optional[str]
    ask_when: Sequence[Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class Presentation:
    """What the patient has said so far that decides which warning questions apply."""

    conditions: frozenset = frozenset()
    body_parts: frozenset = frozenset()
    symptoms: frozenset = frozenset()

    @classmethod
    def of(cls, conditions: Iterable[str] = (), body_parts: Iterable[str] = (),
           symptoms: Iterable[str] = ()) -> "Presentation":
        return cls(frozenset(conditions or ()), frozenset(body_parts or ()), frozenset(symptoms or ()))

    def matches(self, alternative: Mapping[str, Sequence[str]]) -> bool:
        """Every key the alternative names must match one of its ids ("diabetes" and "feet")."""
        return bool(alternative) and all(set(ids) & getattr(self, key) for key, ids in alternative.items())


def applies(flag: WarningQuestion, presentation: Presentation) -> bool:
    return bool(flag.question) and any(presentation.matches(alternative) for alternative in flag.ask_when)


def pending(flags: Iterable[WarningQuestion], presentation: Presentation, asked: Iterable[str],
            heard: Iterable[str] = ()) -> List[WarningQuestion]:
    """The questions still to ask, most urgent first: relevant, not asked yet, and not about a sign already heard."""
    done = set(asked) | set(heard)
    order = ("emergency", "urgent", "consultation")
    relevant = [flag for flag in flags if flag.id not in done and applies(flag, presentation)]
    return sorted(relevant, key=lambda flag: order.index(flag.triage_level) if flag.triage_level in order else 3)


def record(asked: Sequence[str], flag_id: str, answer: str) -> List[str]:
    """Answers are kept as "flag_id=answer" (yes / no / unknown / not given) in the order they were asked."""
    return [entry for entry in asked if entry.split("=", 1)[0] != flag_id] + [f"{flag_id}={answer}"]


def answered(asked: Sequence[str]) -> dict:
    return dict(entry.split("=", 1) for entry in asked if "=" in entry)
