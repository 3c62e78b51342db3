"""The one knowledge repository the action server uses, opened lazily from the configured DATABASE_URL."""
from __future__ import annotations

import os
from functools import lru_cache

from neurotriage.clinical.escalation import LocaleNumbers
from neurotriage.config import DEFAULTS
from neurotriage.kb.repository import KnowledgeRepository
from neurotriage.kb.session import make_engine, make_session_factory


@lru_cache(maxsize=1)
def repository() -> KnowledgeRepository:
    return KnowledgeRepository(make_session_factory(make_engine(os.environ.get("DATABASE_URL") or DEFAULTS["DATABASE_URL"])))


def locale_numbers() -> LocaleNumbers:
    locale = repository().locale((os.environ.get("LOCALE") or DEFAULTS["LOCALE"]).upper())
    return LocaleNumbers(locale.emergency_number, locale.urgent_number, locale.crisis_line)


def cite(source_ids) -> str:
    """The short form every clinical message ends with, so each statement traces to its sources."""
    ids = sorted(set(source_ids))
    return f"(Sources: {', '.join(ids)})" if ids else ""
