"""The summary filters of the list page and the CSV export: triage level and a range of whole days (UTC)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Dict, List, Optional
from urllib.parse import urlencode

from neurotriage.records.export import LEVELS

FILTER_NAMES = ("level", "from", "to")


class BadFilter(ValueError):
    """A filter value that cannot be used; the message is one sentence for the person who typed it."""


@dataclass(frozen=True)
class SummaryFilter:
    level: Optional[str] = None
    date_from: Optional[date] = None
    date_to: Optional[date] = None  # inclusive: the whole day counts

    @property
    def since(self) -> Optional[datetime]:
        return _start_of(self.date_from) if self.date_from else None

    @property
    def until(self) -> Optional[datetime]:
        """The store's upper bound is exclusive, so "to" becomes the start of the following day."""
        if self.date_to is None or self.date_to == date.max:
            return None
        return _start_of(self.date_to + timedelta(days=1))

    @property
    def active(self) -> bool:
        return any((self.level, self.date_from, self.date_to))

    def query_string(self) -> str:
        """The filters as a query string (without "?"), for links that keep them."""
        values = {"level": self.level, "from": self.date_from and self.date_from.isoformat(),
                  "to": self.date_to and self.date_to.isoformat()}
        return urlencode({name: value for name, value in values.items() if value})

    def file_suffix(self) -> str:
        """Part of the download's file name; built only from validated values."""
        parts = [self.level, self.date_from and f"from-{self.date_from}", self.date_to and f"to-{self.date_to}"]
        return "".join(f"-{part}" for part in parts if part)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _single(query: Dict[str, List[str]], name: str) -> str:
    values = query.get(name) or [""]
    if len(values) > 1:
        raise BadFilter(f"The filter '{name}' was given {len(values)} times; give it once.")
    return values[0].strip()


def _level(raw: str) -> Optional[str]:
    if raw in ("", "all"):
        return None
    if raw not in LEVELS:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise BadFilter(f"'{shown}' is not a triage level: choose {', '.join(LEVELS[:-1])} or {LEVELS[-1]}.")
    return raw


def _day(raw: str, name: str) -> Optional[date]:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadFilter(f"The '{name}' date must be a calendar date written as year-month-day, "
                        f"for example 2026-11-20.") from None


def parse_summary_filter(query: Dict[str, List[str]]) -> SummaryFilter:
    """The filters from a parsed query string (empty values mean "any"); raises BadFilter with a sentence."""
    level = _level(_single(query, "level"))
    date_from = _day(_single(query, "from"), "from")
    date_to = _day(_single(query, "to"), "to")
    if date_from and date_to and date_from > date_to:
        raise BadFilter(f"The 'from' date ({date_from}) is after the 'to' date ({date_to}).")
    return SummaryFilter(level=level, date_from=date_from, date_to=date_to)
