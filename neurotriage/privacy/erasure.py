"""Deleting a patient's conversation and everything derived from it, and purging what is past the retention period.

The conversation lives in the tracker store (Rasa's `events` table, one row per event, keyed by sender_id); what was
derived from it lives in the records store (triage summaries and consultation requests). No Rasa imports.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import MetaData, Table, delete, func, inspect, select

from neurotriage.kb.session import make_engine
from neurotriage.records.store import RecordsStore

EVENTS_TABLE = "events"  # the table Rasa's SQL tracker store writes


@dataclass(frozen=True)
class Erased:
    conversations: int
    events: int
    records: int


def _events_table(engine) -> Table | None:
    if not inspect(engine).has_table(EVENTS_TABLE):
        return None
    return Table(EVENTS_TABLE, MetaData(), autoload_with=engine)


def delete_conversation(tracker_store_url: str, records: RecordsStore, conversation_id: str) -> Erased:
    """Removes the conversation's events, summaries and consultation requests."""
    engine = make_engine(tracker_store_url)
    events = _events_table(engine)
    removed_events = 0
    if events is not None:
        with engine.begin() as connection:
            removed_events = connection.execute(delete(events).where(events.c.sender_id == conversation_id)).rowcount
    engine.dispose()
    removed_records = records.delete_conversation(conversation_id)
    return Erased(conversations=int(bool(removed_events or removed_records)), events=removed_events, records=removed_records)


def purge(tracker_store_url: str, records: RecordsStore, older_than: datetime) -> Erased:
    """Removes every conversation whose last event is older than `older_than`, with everything derived from it,
    and any summary or request created before then."""
    cutoff = older_than if older_than.tzinfo else older_than.replace(tzinfo=timezone.utc)
    engine = make_engine(tracker_store_url)
    events = _events_table(engine)
    stale, removed_events = [], 0
    if events is not None:
        with engine.begin() as connection:
            stale = list(connection.scalars(select(events.c.sender_id).group_by(events.c.sender_id)
                                            .having(func.max(events.c.timestamp) < cutoff.timestamp())))
            for sender_id in stale:
                removed_events += connection.execute(delete(events).where(events.c.sender_id == sender_id)).rowcount
    engine.dispose()
    removed_records = sum(records.delete_conversation(sender_id) for sender_id in stale)
    removed_records += records.delete_created_before(cutoff)
    return Erased(conversations=len(stale), events=removed_events, records=removed_records)
