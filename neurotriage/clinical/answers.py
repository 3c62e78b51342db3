"""Reading a patient's short answers to the assessment's questions. Pure functions on text, intent and entities.

Every question accepts "no" / "I don't know" / "rather not say": the answer is then recorded as not given and the
assessment goes on, so a patient is never stuck on a question.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, Optional, Tuple

from neurotriage.clinical.screening import NO, UNKNOWN, YES

NOT_GIVEN = "not given"
NONE = "none"
WORD_NUMBERS = {"zero": 0, "nought": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1,
                "a few": 3, "few": 3, "several": 4, "a couple of": 2, "couple of": 2, "couple": 2}
DECLINES = ("rather not", "prefer not", "don't want to say", "dont want to say", "skip", "pass", "not sure",
            "don't know", "dont know", "no idea", "dunno", "unsure", "can't say", "cant say")


def yes_no(intent: str, entities: Iterable[Mapping] = (), symptom_id: Optional[str] = None) -> Optional[str]:
    """yes / no / unknown for a yes-no question, or None when the reply is no answer to it."""
    for entity in entities:
        if symptom_id and entity.get("entity") == "symptom" and entity.get("value") == symptom_id:
            return NO if entity.get("role") == "negated" else YES
    return {"affirm": YES, "deny": NO, "dont_know": UNKNOWN}.get(intent)


def declined(intent: str, text: str) -> bool:
    lowered = text.lower()
    return intent in ("deny", "dont_know") or any(phrase in lowered for phrase in DECLINES)


def pain_score(text: str) -> Optional[int]:
    """0-10 from "about a 7", "8/10", "seven out of ten", "ten, the worst"."""
    lowered = text.lower()
    numbers = [int(n) for n in re.findall(r"\b(\d{1,2})(?:\s*/\s*10|\s*out of\s*10)?\b", lowered)]
    words = [WORD_NUMBERS[w] for w in re.findall(r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten)\b", lowered)]
    candidates = [n for n in numbers + words if 0 <= n <= 10]
    return candidates[0] if candidates else None


_UNIT_MONTHS = {"day": 1 / 30, "week": 0.25, "wk": 0.25, "month": 1, "mth": 1, "year": 12, "yr": 12}


def duration_months(text: str, current_year: int) -> Optional[float]:
    """Months from "6 months", "2 yrs", "a few weeks", "since 2019", "since last summer"; None if unreadable."""
    lowered = text.lower()
    match = re.search(r"(\d+(?:\.\d+)?|a couple of|couple of|a few|few|several|an?|one|two|three|four|five|six|seven|"
                      r"eight|nine|ten|eleven|twelve)\s*(?:and a half\s*)?(day|week|wk|month|mth|year|yr)s?", lowered)
    if match:
        amount_text, unit = match.groups()
        amount = float(amount_text) if amount_text[0].isdigit() else WORD_NUMBERS.get(amount_text.strip(), 1)
        return round(amount * _UNIT_MONTHS[unit], 2)
    year = re.search(r"\b(19[5-9]\d|20[0-4]\d)\b", lowered)
    if year:
        return max(0.0, (current_year - int(year.group(1))) * 12.0)
    if re.search(r"\blast (year|summer|spring|autumn|fall|winter)\b|\bages\b|\byears\b|\bas long as i can remember\b|"
                 r"\bcan'?t remember\b|\bforever\b|\blong time\b", lowered):
        return 12.0
    if re.search(r"\b(yesterday|today|this morning|last night|this week|few days|couple of days|recently)\b", lowered):
        return 0.1
    return None


def age_band(text: str) -> Optional[str]:
    """under_18 / 18_to_64 / 65_plus from "i'm 67", "in my 40s", "over 65", "pensioner"."""
    lowered = text.lower()
    decade = re.search(r"\b(?:in my|mid|late|early)?\s*(\d)0s\b", lowered)
    if decade:
        return _band(int(decade.group(1)) * 10)
    if re.search(r"\bover (65|seventy|70|80)\b|\bpensioner\b|\bretired\b", lowered):
        return "65_plus"
    if re.search(r"\bunder 18\b|\bteen(ager)?\b", lowered):
        return "under_18"
    numbers = [int(n) for n in re.findall(r"\b(\d{1,3})\b", lowered) if 0 < int(n) < 120]
    return _band(numbers[0]) if numbers else None


def _band(age: int) -> str:
    if age < 18:
        return "under_18"
    return "65_plus" if age >= 65 else "18_to_64"


def listed_or_none(intent: str, text: str, entities: Iterable[Mapping], entity_type: str) -> Tuple[Optional[str], list]:
    """For "which conditions / medicines / treatments": (answer, ids). "none" counts as an answer."""
    ids = [e["value"] for e in entities if e.get("entity") == entity_type and e.get("role") != "negated"]
    if ids:
        return ", ".join(ids), ids
    lowered = text.lower()
    if intent == "deny" or re.search(r"\b(none|nothing|no\b|nope|nah|not any|n/a)", lowered):
        return NONE, []
    if declined(intent, text):
        return NOT_GIVEN, []
    return (text.strip() or None), []
