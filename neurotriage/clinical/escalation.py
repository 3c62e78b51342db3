"""Red-flag escalation: which triage level a set of red flags demands and what the patient is told at once.

Pure logic on plain records; the numbers come from the configured locale, the advice from the knowledge base.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Protocol, Sequence, Tuple

from neurotriage.clinical.wording import for_patient

# Most urgent last, so max() by this order picks the level to act on.
TRIAGE_ORDER = ("self_care", "consultation", "urgent", "emergency")
SUICIDAL_IDEATION = "suicidal_ideation"


class RedFlagFacts(Protocol):
    """What escalation needs to know of a red flag (the knowledge base's RedFlag records have it)."""

    id: str
    name: str
    triage_level: str
    advice: str
    source_ids: Sequence[str]
    review: str


class EmergencyNumbers(Protocol):
    """The configured locale's numbers (the knowledge base's Locale records have them)."""

    emergency_number: str
    urgent_number: str
    crisis_line: str


@dataclass(frozen=True)
class Escalation:
    triage_level: str
    red_flag_ids: Tuple[str, ...]
    messages: Tuple[str, ...]
    source_ids: Tuple[str, ...]


def more_urgent(level_a: str | None, level_b: str | None) -> str | None:
    """The more urgent of two triage levels (None counts as not yet decided)."""
    levels = [level for level in (level_a, level_b) if level]
    return max(levels, key=TRIAGE_ORDER.index) if levels else None


def _fill(text: str, numbers: EmergencyNumbers) -> str:
    return (text.replace("{emergency_number}", numbers.emergency_number)
                .replace("{urgent_number}", numbers.urgent_number)
                .replace("{crisis_line}", numbers.crisis_line))


def escalate(flags: Sequence[RedFlagFacts], numbers: EmergencyNumbers, current_level: str | None = None) -> Escalation:
    """The escalation for red flags heard now. The level never goes down from what the conversation already had."""
    if not flags:
        raise ValueError("escalate() needs at least one red flag")
    level = current_level
    for flag in flags:
        level = more_urgent(level, flag.triage_level)
    ordered = sorted(flags, key=lambda f: TRIAGE_ORDER.index(f.triage_level), reverse=True)
    messages: List[str] = []
    if any(flag.id == SUICIDAL_IDEATION for flag in flags):
        messages.append(
            "I'm really sorry you're feeling this way. Living with pain like this is exhausting, and you deserve "
            f"support right now. Please talk to someone today: {numbers.crisis_line}. If you might act on these "
            f"thoughts or you are not safe, call {numbers.emergency_number} now."
        )
    headline = {
        "emergency": f"What you describe can be a sign of an emergency. Please call {numbers.emergency_number} now or go to the nearest emergency department.",
        "urgent": f"What you describe needs a doctor today. Please contact your GP or call {numbers.urgent_number} today.",
        "consultation": "What you describe should be checked by a doctor soon. Please book an appointment in the next few days.",
    }[ordered[0].triage_level]
    if not (len(flags) == 1 and flags[0].id == SUICIDAL_IDEATION):
        messages.append(headline)
    for flag in ordered:
        if flag.id == SUICIDAL_IDEATION:
            continue
        messages.append(f"{flag.name}: {for_patient(_fill(flag.advice, numbers), flag.review)}")
    sources = tuple(sorted({source for flag in flags for source in flag.source_ids}))
    return Escalation(level, tuple(flag.id for flag in ordered), tuple(messages), sources)


def hold_advice(flags: Sequence[RedFlagFacts], numbers: EmergencyNumbers, level: str | None) -> Tuple[str, ...]:
    """What the patient is told when they push back ("can I wait till Monday?"): the same advice again, kindly, with
    the number, never softer than the level the conversation reached. Without a warning sign, safety-netting only."""
    if level == "emergency":
        named = ", ".join(flag.name.lower() for flag in flags) or "what you told me"
        return (f"I understand this isn't what you hoped to hear, and going to hospital can feel like a lot. But "
                f"{named} can be serious, and waiting could make it worse. Please don't wait: call "
                f"{numbers.emergency_number} now, or go to the nearest emergency department. If you're unsure, call "
                f"{numbers.emergency_number} and tell them what you told me.",)
    if level == "urgent":
        return ("I understand. But what you told me needs a doctor today, not after the weekend. Please contact your "
                f"GP today or call {numbers.urgent_number}. If it gets worse or you feel very unwell, call "
                f"{numbers.emergency_number}.",)
    return ("That's your decision to make, and I can't examine you. If the pain gets worse, or you notice new "
            "weakness, numbness, problems with your bladder or bowels, or you feel very unwell, call "
            f"{numbers.urgent_number}, or {numbers.emergency_number} in an emergency.",)
