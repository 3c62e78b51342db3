"""The knowledge repository and the records store the action server uses, each opened once, lazily, from its URL."""
from __future__ import annotations

import os
from functools import lru_cache

from neurotriage.config import DEFAULTS
from neurotriage.kb.repository import KnowledgeRepository, Locale
from neurotriage.records import RecordsStore


@lru_cache(maxsize=1)
def repository() -> KnowledgeRepository:
    return KnowledgeRepository.from_url(os.environ.get("DATABASE_URL") or DEFAULTS["DATABASE_URL"])


@lru_cache(maxsize=1)
def records() -> RecordsStore:
    """Where triage summaries and consultation requests are stored for staff."""
    return RecordsStore(os.environ.get("RECORDS_DATABASE_URL") or DEFAULTS["RECORDS_DATABASE_URL"])


def locale_numbers() -> Locale:
    """The emergency, urgent-care and crisis numbers of the configured LOCALE."""
    return repository().locale((os.environ.get("LOCALE") or DEFAULTS["LOCALE"]).upper())
