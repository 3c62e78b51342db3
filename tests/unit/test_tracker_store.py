"""The tracker store's own SQL statements keep Rasa's SQLTrackerStore contract: the same rows written, the same
trackers read back, in SQLite and (when TEST_POSTGRES_URL is set, as in `make test`) in PostgreSQL."""
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from neurotriage.tracker_store import RedactingSQLTrackerStore
from tests.async_support import run_sync

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


def _turn(at: float, text: str, intent: str, reply: str):
    return [ActionExecuted("action_listen", timestamp=at),
            UserUttered(text, {"name": intent, "confidence": 0.97}, timestamp=at + 0.1),
            SlotSet("pain_described", text, timestamp=at + 0.2),
            ActionExecuted("utter_ask_pain_score", policy="RulePolicy", confidence=1.0, timestamp=at + 0.3),
            BotUttered(reply, {"buttons": None}, timestamp=at + 0.4)]


def conversation(start: float):
    """Two sessions of three turns each."""
    sessions = []
    for session_start in (start, start + 100):
        events = [ActionExecuted("action_session_start", timestamp=session_start),
                  SessionStarted(timestamp=session_start + 0.01)]
        for index in range(3):
            events += _turn(session_start + 1 + index, f"my feet burn, turn {index}", "describe_pain",
                            "On a scale from 0 to 10, how bad is it?")
        sessions.append(events)
    return sessions


def save_turn_by_turn(store, sender: str, start: float = 1_700_000_000.0) -> None:
    """As Rasa does for every message: read the conversation, add the turn's events, save it."""
    for session in conversation(start):
        for first, last in ((0, 2), (2, 7), (7, 12), (12, 17)):
            tracker = run_sync(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
            for event in session[first:last]:
                tracker.update(event)
            run_sync(store.save(tracker))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    return POSTGRES_URL


def rows(url: str, sender: str):
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            result = connection.execute(sa.text(f"SELECT {', '.join(COLUMNS)} FROM events WHERE sender_id = :s "
                                                "ORDER BY id"), {"s": sender})
            return [tuple(row) for row in result]
    finally:
        engine.dispose()


def test_the_rows_written_are_the_rows_rasas_store_writes(database_url):
    ours, rasas = f"ours-{uuid.uuid4().hex}", f"rasa-{uuid.uuid4().hex}"
    save_turn_by_turn(RedactingSQLTrackerStore(domain=DOMAIN, host=database_url), ours)
    save_turn_by_turn(SQLTrackerStore(domain=DOMAIN, host=database_url), rasas)
    written = rows(database_url, ours)
    assert len(written) == sum(len(session) for session in conversation(0))  # each event once
    assert [row[1:] for row in written] == [row[1:] for row in rows(database_url, rasas)]


@pytest.mark.parametrize("full", [False, True], ids=["latest session", "all sessions"])
def test_both_stores_read_the_same_tracker(database_url, full):
    sender = f"patient-{uuid.uuid4().hex}"
    ours, rasas = RedactingSQLTrackerStore(domain=DOMAIN, host=database_url), SQLTrackerStore(domain=DOMAIN,
                                                                                                 host=database_url)
    save_turn_by_turn(ours, sender)
    read = (lambda store: store.retrieve_full_tracker(sender)) if full else (lambda store: store.retrieve(sender))
    from_ours, from_rasas = run_sync(read(ours)), run_sync(read(rasas))
    assert from_ours.current_state() == from_rasas.current_state()
    sessions = [event for event in from_ours.events if isinstance(event, SessionStarted)]
    assert len(sessions) == (2 if full else 1)
    assert from_ours.get_slot("pain_described") == "my feet burn, turn 2"


def test_an_unknown_conversation_reads_as_none(database_url):
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=database_url)
    assert run_sync(store.retrieve(f"nobody-{uuid.uuid4().hex}")) is None
    assert run_sync(store.retrieve_full_tracker(f"nobody-{uuid.uuid4().hex}")) is None


def test_saving_an_unchanged_tracker_writes_nothing(database_url):
    sender = f"patient-{uuid.uuid4().hex}"
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=database_url)
    save_turn_by_turn(store, sender)
    before = rows(database_url, sender)
    run_sync(store.save(run_sync(store.retrieve(sender))))
    assert rows(database_url, sender) == before


def test_identifiers_are_redacted_in_the_stored_row_and_its_columns(database_url):
    sender = f"patient-{uuid.uuid4().hex}"
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=database_url)
    said = "my name is Sarah Jones, call me on 07700 900123"
    events = [ActionExecuted("action_listen"), UserUttered(said, {"name": "inform", "confidence": 1.0}),
              SlotSet("pain_described", said)]
    tracker = DialogueStateTracker.from_events(sender, events, DOMAIN.slots)
    run_sync(store.save(tracker))
    stored = " ".join(row[-1] for row in rows(database_url, sender))
    assert "Sarah" not in stored and "900123" not in stored and "[name]" in stored and "[phone]" in stored
    assert tracker.latest_message.text == said  # the live tracker keeps what the patient wrote


def test_a_postgresql_restart_costs_no_message():
    """Every connection the store holds is cut, as a PostgreSQL restart does; the next turn still reads and saves."""
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    sender = f"patient-{uuid.uuid4().hex}"
    store = RedactingSQLTrackerStore(domain=DOMAIN, host=POSTGRES_URL)
    save_turn_by_turn(store, sender)
    stored_before = len(rows(POSTGRES_URL, sender))
    admin = sa.create_engine(POSTGRES_URL, future=True)
    try:
        with admin.connect() as connection:
            cut = connection.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    finally:
        admin.dispose()
    assert cut >= 1
    tracker = run_sync(store.retrieve(sender))
    assert tracker is not None and tracker.get_slot("pain_described") == "my feet burn, turn 2"
    tracker.update(UserUttered("it is worse at night", {"name": "describe_pain", "confidence": 1.0}))
    run_sync(store.save(tracker))
    stored = rows(POSTGRES_URL, sender)
    assert len(stored) == stored_before + 1 and "worse at night" in stored[-1][-1]
