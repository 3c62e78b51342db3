"""Privacy on the running servers: identifiers never stored, and one command erases a conversation everywhere."""
import os
import subprocess
from pathlib import Path

from neurotriage.records import RecordsStore
from tests.e2e.test_assessment_http import converse

ROOT = Path(__file__).resolve().parents[2]


def user_texts(patient):
    return [e["text"] for e in patient.tracker()["events"] if e["event"] == "user"]


def test_identifiers_are_understood_in_the_turn_but_never_stored(patient):
    patient.say("hello")
    patient.say("yes i agree")
    patient.say("my name is Sarah Okafor, sarah.okafor@example.org or 07700 900461, and my feet burn at night")
    stored = " ".join(user_texts(patient)) + " " + str(patient.tracker()["slots"])
    assert "Okafor" not in stored and "example.org" not in stored and "900461" not in stored
    assert "feet burn at night" in stored
    assert "burning" in patient.slot("symptoms_present")


def test_the_erasure_command_removes_the_conversation_and_its_records(patient):
    converse(patient, "my hands tingle and go numb, i have diabetes")
    patient.text("book an appointment please")
    records = RecordsStore(os.environ["RECORDS_DATABASE_URL"])
    assert any(r["conversation_id"] == patient.sender for r in records.summaries())
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "neurotriage.privacy", "delete", patient.sender]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert user_texts(patient) == []
    assert not any(r["conversation_id"] == patient.sender for r in records.summaries())
    assert not any(r["conversation_id"] == patient.sender for r in records.consultation_requests())
