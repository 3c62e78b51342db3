"""How a fact from the knowledge base is worded for a patient: unverified facts say they await clinical review."""
from __future__ import annotations

from typing import Iterable

UNVERIFIED = "unverified"
AWAITING_REVIEW = "(This information is awaiting clinical review.)"


def for_patient(text: str, review: str) -> str:
    """The text as a patient may see it: a fact flagged unverified never goes out without the review notice."""
    text = text.strip()
    return f"{text} {AWAITING_REVIEW}" if review == UNVERIFIED else text


def cite(source_ids: Iterable[str]) -> str:
    """The short form every clinical message ends with, so each statement traces to its sources."""
    ids = sorted(set(source_ids))
    return f"(Sources: {', '.join(ids)})" if ids else ""
