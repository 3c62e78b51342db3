"""The triage level at the end of an assessment, with the reasons a patient and staff can read.

Red flags decide first (they are set the moment they are heard). Without them the level comes from the screening
result, how long the pain has lasted, how severe it is, and how much it limits daily life (NICE CG173 key principles:
refer when pain is severe, limits daily activities or an underlying condition is getting worse).

Silence is not reassurance: self-care needs every one of those facts to have been given and to be reassuring. A fact
that was not given (None) is named as not assessed, and leads to at least a consultation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from neurotriage.clinical.escalation import more_urgent

CHRONIC_MONTHS = 3  # pain that lasts or recurs for more than 3 months is chronic (IASP, S55)
SEVERE_PAIN_SCORE = 7


@dataclass(frozen=True)
class TriageInput:
    red_flag_level: Optional[str] = None  # the most urgent red flag's level, if any
    red_flag_names: Tuple[str, ...] = ()
    screening_positive: Optional[bool] = None
    chronic: Optional[bool] = None  # None: not known
    pain_score: Optional[int] = None
    limits_daily_life: Optional[bool] = None
    # warning-sign questions answered "not sure" or not answered: (name, the sign's level)
    unsure_warning_signs: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TriageDecision:
    level: str
    reasons: Tuple[str, ...]
    source_ids: Tuple[str, ...]


def decide(facts: TriageInput) -> TriageDecision:
    reasons, sources = [], set()
    level = None
    if facts.red_flag_level:
        level = facts.red_flag_level
        reasons.append("Warning signs mentioned: " + ", ".join(facts.red_flag_names) + ".")
        sources.update({"S37", "S41"})
    if facts.screening_positive:
        level = more_urgent(level, "consultation")
        reasons.append("The screening questions suggest nerve pain, which is worth a clinician's assessment.")
        sources.update({"S16", "S20"})
    if facts.pain_score is not None and facts.pain_score >= SEVERE_PAIN_SCORE:
        level = more_urgent(level, "consultation")
        reasons.append(f"The pain is severe ({facts.pain_score} out of 10).")
        sources.add("S04")
    if facts.limits_daily_life:
        level = more_urgent(level, "consultation")
        reasons.append("The pain limits sleep, daily activities or work.")
        sources.add("S04")
    if facts.chronic:
        level = more_urgent(level, "consultation")
        reasons.append("The pain has lasted more than 3 months.")
        sources.add("S55")
    if facts.unsure_warning_signs:
        # not knowing is no reassurance: one step below the sign's own level, today for an emergency sign
        step_down = {"emergency": "urgent", "urgent": "consultation", "consultation": "consultation"}
        for _, sign_level in facts.unsure_warning_signs:
            level = more_urgent(level, step_down.get(sign_level, "consultation"))
        reasons.append("You weren't sure about " + _listing([name.lower() for name, _ in facts.unsure_warning_signs])
                       + ": please get it checked by a doctor, and call the emergency number at once if it happens.")
        sources.update({"S37", "S41"})
    unknown = [what for what, value in (
        ("whether the pain feels like nerve pain (screening questions)", facts.screening_positive),
        ("how long you've had the pain", facts.chronic), ("how strong the pain is", facts.pain_score),
        ("how much it affects your daily life", facts.limits_daily_life)) if value is None]
    if unknown:
        level = more_urgent(level, "consultation")
        reasons.append("I couldn't assess " + _listing(unknown) + ", because those answers weren't given; a "
                       "clinician can go through them with you.")
        sources.add("S04")
    if level is None:
        level = "self_care"
        reasons.append(f"You told me there are no warning signs, the screening does not suggest nerve pain, the pain "
                       f"started less than 3 months ago, it is {facts.pain_score} out of 10 and it does not stop you "
                       "sleeping, working or doing daily things: self-care with safety advice, and see a doctor if "
                       "it lasts or gets worse.")
        sources.update({"S04", "S46"})
    return TriageDecision(level, tuple(reasons), tuple(sorted(sources)))


def _listing(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
