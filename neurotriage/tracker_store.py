"""Rasa's SQL tracker store, storing every event with personal identifiers redacted, and reading and writing with
plain SQL statements instead of ORM queries.

Rasa anonymises only its logs, not what it stores. Here names, e-mail addresses, phone numbers and dates of birth
in what patients write, and in anything copied from it into slots, are replaced before an event reaches the
database (neurotriage/privacy/redaction.py). The turn being processed still works on the original text; later turns
read the stored, redacted history. Configured in endpoints.yml as `neurotriage.tracker_store.RedactingSQLTrackerStore`.

Every message loads the conversation and saves it again. Rasa's store builds ORM queries for that, turns every stored
row into an object and writes new events through the ORM's unit of work: a fifth of a Rasa instance's time under
load. The statements below ask the same table the same questions (the events since the conversation's latest
session start, in insertion order; how many of them are stored) and insert the new events in one statement, so the
rows written and the trackers read are the same as Rasa's, and Rasa's own store can still read them.

Each pooled connection is tested before use: after a PostgreSQL restart, Rasa's store would fail the next message of
every conversation that drew a dead connection, and carry that conversation on in memory, out of the other
instances' sight.
"""
import itertools
import json
from typing import Any, Dict, Iterator, Optional, Text

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from neurotriage.privacy.redaction import redact_value


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)
        events = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        latest_session_start = (sa.select(sa.func.max(events.c.timestamp))
                                .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
                                .scalar_subquery())
        in_latest_session = sa.and_(events.c.sender_id == sender,
                                    sa.or_(events.c.timestamp >= latest_session_start,
                                           latest_session_start.is_(None)))
        self._latest_session_events = sa.select(events.c.data).where(in_latest_session).order_by(events.c.id)
        self._all_events = sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id)
        self._latest_session_count = sa.select(sa.func.count()).select_from(events).where(in_latest_session)
        self._insert_events = events.insert()

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        statement = self._all_events if fetch_events_from_all_sessions else self._latest_session_events
        with self.session_scope() as session:
            rows = session.execute(statement, {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [self._row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(self._insert_events, rows)
            session.commit()

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events that are not stored yet, as Rasa's store decides it."""
        stored = session.execute(self._latest_session_count, {"sender_id": tracker.sender_id}).scalar_one()
        return itertools.islice(tracker.events, stored, len(tracker.events))

    @staticmethod
    def _row(sender_id: Text, event: Event) -> Dict[str, Any]:
        """The columns Rasa's store writes for an event, from the event with identifiers redacted."""
        data = redact_value(event.as_dict())
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
