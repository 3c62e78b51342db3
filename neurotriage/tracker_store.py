"""Rasa's SQL tracker store, storing every event with personal identifiers redacted.

Rasa anonymises only its logs, not what it stores. Here names, e-mail addresses, phone numbers and dates of birth
in what patients write, and in anything copied from it into slots, are replaced before an event reaches the
database (neurotriage/privacy/redaction.py). The turn being processed still works on the original text; later turns
read the stored, redacted history. Configured in endpoints.yml as `neurotriage.tracker_store.RedactingSQLTrackerStore`.
"""
from typing import Any, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event

from neurotriage.privacy.redaction import redact_value


class RedactingSQLTrackerStore(SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: Any) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield Event.from_parameters(redact_value(event.as_dict()))
