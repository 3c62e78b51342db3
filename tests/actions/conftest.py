"""Actions run against a real rasa_sdk Tracker, the project's real domain and the real knowledge content,
loaded into a temporary SQLite knowledge base."""
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.knowledge as knowledge
from neurotriage.kb import load, make_engine, make_session_factory
from neurotriage.kb.repository import KnowledgeRepository
from neurotriage.records import RecordsStore
from tests.async_support import run_sync

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture(scope="session")
def repository(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.db'}")
    load(engine, ROOT / "knowledge")
    return KnowledgeRepository(make_session_factory(engine))


@pytest.fixture
def records_store(tmp_path):
    return RecordsStore(f"sqlite:///{tmp_path / 'records.db'}")


@pytest.fixture(autouse=True)
def use_repository(repository, records_store, monkeypatch):
    monkeypatch.setattr(knowledge, "repository", lambda: repository)
    monkeypatch.setattr(knowledge, "records", lambda: records_store)
    monkeypatch.setenv("LOCALE", "UK")


def tracker(text="", intent="inform", entities=(), slots=None, active_loop=None, response_selector=None, events=()):
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    if response_selector:
        latest["response_selector"] = response_selector
    all_slots = {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}
    all_slots.update(slots or {})
    return Tracker("test-sender", all_slots, latest, list(events), False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = run_sync(action.run(dispatcher, tracker_, DOMAIN))
    return dispatcher.messages, events


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)
