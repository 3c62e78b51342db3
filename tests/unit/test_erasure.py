"""Deleting one conversation and purging old ones remove the tracker store's events and the derived records."""
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.async_support import run_sync
from neurotriage.privacy import __main__ as privacy_cli
from neurotriage.privacy.erasure import delete_conversation, purge
from neurotriage.records import RecordsStore
from neurotriage.tracker_store import RedactingSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def summary(conversation_id, created_at):
    return {"conversation_id": conversation_id, "created_at": created_at.isoformat(), "triage_level": "consultation",
            "reasons": ["Pain for 6 months."], "red_flags": [], "therapy_options": []}


@pytest.fixture
def stores(tmp_path):
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    tracker_store = RedactingSQLTrackerStore(domain=DOMAIN, host=tracker_url)
    records = RecordsStore(f"sqlite:///{tmp_path / 'records.db'}")
    return tracker_url, tracker_store, records


def save_conversation(tracker_store, sender, text, at=None):
    events = [ActionExecuted("action_listen", timestamp=at), UserUttered(text, {"name": "inform", "confidence": 1.0}, timestamp=at),
              SlotSet("pain_described", text, timestamp=at)]
    run_sync(tracker_store.save(DialogueStateTracker.from_events(sender, events, DOMAIN.slots)))


def stored_events(tracker_store, sender):
    tracker = run_sync(tracker_store.retrieve_full_tracker(sender))
    return [] if tracker is None else list(tracker.events)


def test_deleting_a_conversation_removes_its_events_summaries_and_requests_only(stores):
    tracker_url, tracker_store, records = stores
    now = datetime.now(timezone.utc)
    for sender in ("patient-a", "patient-b"):
        save_conversation(tracker_store, sender, "my feet burn")
        records.save_summary(summary(sender, now))
        records.request_consultation(sender)
    erased = delete_conversation(tracker_url, records, "patient-a")
    assert erased.events == 3 and erased.records == 2
    assert stored_events(tracker_store, "patient-a") == []
    assert [r["conversation_id"] for r in records.summaries()] == ["patient-b"]
    assert [r["conversation_id"] for r in records.consultation_requests()] == ["patient-b"]
    assert len(stored_events(tracker_store, "patient-b")) == 3


def test_deleting_an_unknown_conversation_erases_nothing(stores):
    tracker_url, _, records = stores
    assert delete_conversation(tracker_url, records, "nobody").conversations == 0


def test_purge_removes_only_what_is_past_the_retention_period(stores):
    tracker_url, tracker_store, records = stores
    now = datetime.now(timezone.utc)
    old = now - timedelta(days=400)
    save_conversation(tracker_store, "old-patient", "numb toes", at=old.timestamp())
    records.save_summary(summary("old-patient", old))
    save_conversation(tracker_store, "recent-patient", "numb toes", at=time.time())
    records.save_summary(summary("recent-patient", now))
    erased = purge(tracker_url, records, now - timedelta(days=365))
    assert (erased.conversations, erased.events, erased.records) == (1, 3, 1)
    assert stored_events(tracker_store, "old-patient") == []
    assert [r["conversation_id"] for r in records.summaries()] == ["recent-patient"]


def test_stored_events_have_identifiers_redacted_but_the_live_tracker_keeps_them(stores):
    _, tracker_store, _ = stores
    said = "my name is Sarah Jones, email sarah.jones@example.org, my feet burn"
    save_conversation(tracker_store, "patient-c", said)
    stored = stored_events(tracker_store, "patient-c")
    texts = [e.text for e in stored if isinstance(e, UserUttered)] + [e.value for e in stored if isinstance(e, SlotSet)]
    assert texts and all("Sarah" not in t and "example.org" not in t and "feet burn" in t for t in texts)


def test_the_summary_is_stored_redacted_with_its_conversation_id(stores):
    _, _, records = stores
    record = summary("+447700900123", datetime.now(timezone.utc))
    record["reasons"] = ["Patient wrote: call me on 07700 900123"]
    stored = records.summary(records.save_summary(record))
    assert stored["conversation_id"] == "+447700900123" and "900123" not in stored["reasons"][0]


def test_the_command_names_what_it_deleted(stores, monkeypatch, capsys):
    tracker_url, tracker_store, records = stores
    save_conversation(tracker_store, "patient-d", "my back aches")

    class Settings:
        tracker_store_url, records_database_url, retention_days = tracker_url, "sqlite://", 365

    monkeypatch.setattr(privacy_cli, "load_settings", lambda: Settings)
    monkeypatch.setattr(privacy_cli, "RecordsStore", lambda url: records)
    assert privacy_cli.main(["delete", "patient-d"]) == 0
    assert "3 events" in capsys.readouterr().out
    assert privacy_cli.main(["delete", "patient-d"]) == 1
