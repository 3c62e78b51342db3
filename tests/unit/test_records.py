"""The records store and the staff command: save, list, filter by level and date, read, export, delete."""
import csv
import json
from datetime import datetime, timedelta, timezone

import pytest

from neurotriage.records import RecordsStore
from neurotriage.records.__main__ import main as staff_command


def summary(conversation, level, when):
    return {"conversation_id": conversation, "created_at": when.isoformat(timespec="seconds"), "triage_level": level,
            "reasons": ["because"], "red_flags": [], "symptoms": {"present": [], "absent": []}, "conditions": [],
            "medications": [], "pain": {"locations": [], "duration": None, "score": None},
            "screening": {"instrument": "dn4_interview", "score": 3, "max_score": 7, "threshold": 3, "positive": True,
                          "answers": {}},
            "contraindications": [], "therapy_options": [{"id": "tens", "suitability": "discuss"}], "sources": []}


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("RECORDS_DATABASE_URL", url)
    monkeypatch.setenv("RASA_API_TOKEN", "test-token")
    return RecordsStore(url)


NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def test_save_list_filter_and_read(store):
    first = store.save_summary(summary("a", "urgent", NOW - timedelta(days=3)))
    store.save_summary(summary("b", "self_care", NOW))
    assert [row["conversation_id"] for row in store.summaries()] == ["b", "a"]
    assert [row["id"] for row in store.summaries(triage_level="urgent")] == [first]
    assert [row["conversation_id"] for row in store.summaries(since=NOW - timedelta(days=1))] == ["b"]
    assert [row["conversation_id"] for row in store.summaries(until=NOW - timedelta(days=1))] == ["a"]
    assert store.summary(first)["triage_level"] == "urgent"
    assert store.summary("missing") is None


def test_consultation_request_links_the_latest_summary(store):
    store.save_summary(summary("a", "urgent", NOW - timedelta(hours=1)))
    latest = store.save_summary(summary("a", "consultation", NOW))
    store.request_consultation("a")
    [request] = store.consultation_requests()
    assert request["summary_id"] == latest and request["triage_level"] == "consultation" and request["status"] == "new"


def test_delete_conversation_removes_everything_derived_from_it(store):
    store.save_summary(summary("a", "urgent", NOW))
    store.request_consultation("a")
    store.save_summary(summary("b", "urgent", NOW))
    assert store.delete_conversation("a") == 2
    assert [row["conversation_id"] for row in store.summaries()] == ["b"]
    assert store.consultation_requests() == []


def test_staff_command_lists_shows_and_exports(store, tmp_path, capsys):
    summary_id = store.save_summary(summary("conv-1", "urgent", NOW))
    assert staff_command(["list", "--level", "urgent"]) == 0
    assert "conv-1" in capsys.readouterr().out
    assert staff_command(["show", summary_id]) == 0
    assert json.loads(capsys.readouterr().out)["conversation_id"] == "conv-1"
    out = tmp_path / "export.csv"
    assert staff_command(["export-csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["triage_level"] == "urgent" and rows[0]["therapy_options"] == "tens:discuss"
    assert staff_command(["show", "missing"]) == 1
