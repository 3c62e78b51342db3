"""The first real conversation over REST: greeting, emergency notice, consent, red flag, goodbye, fallback."""
import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.e2e.conftest import http

ROOT = Path(__file__).resolve().parents[2]


def test_greeting_says_what_it_is_and_is_not_and_gives_the_emergency_number(patient):
    replies = patient.say("hello")
    text = " ".join(r.get("text", "") for r in replies)
    assert "not a doctor" in text and "diagnose" in text
    assert "999" in text  # LOCALE defaults to UK
    buttons = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert buttons == ["/affirm", "/deny"]


def test_consent_is_recorded_and_the_pain_asked_for(patient):
    patient.say("hi")
    text = patient.text("yes i agree")
    assert "in your own words" in text
    assert patient.slot("consent_given") is True


def test_declined_consent_is_recorded(patient):
    patient.say("hello there")
    text = patient.text("no i don't want that")
    assert "won't keep anything" in text
    assert patient.slot("consent_given") is False


def test_red_flag_as_first_message_escalates_and_sets_the_level(patient):
    text = patient.text("my legs went weak and i've had no bladder control since this morning")
    assert "999" in text
    assert patient.slot("triage_level") == "emergency"
    assert "bladder_bowel_dysfunction" in patient.slot("red_flags")


def test_red_flag_after_greeting_escalates(patient):
    patient.say("hi")
    text = patient.text("i've got a crushing pain in my chest going down my left arm")
    assert "999" in text
    assert patient.slot("triage_level") == "emergency"


def test_goodbye(patient):
    assert "Goodbye" in patient.text("bye")


def test_fallback_asks_to_rephrase(patient):
    assert "not sure I understood" in patient.text("/nlu_fallback")


def test_description_is_kept_with_denials(patient):
    patient.say("hi")
    patient.say("yes")
    patient.say("my feet burn and tingle at night but no numbness, im on lyrica")
    slots = patient.tracker()["slots"]
    assert "burning" in slots["symptoms_present"]
    assert "numbness" in slots["symptoms_absent"]
    assert "pregabalin" in slots["medications"]


def test_http_api_needs_the_token(patient):
    status, _ = http("GET", f"/conversations/{patient.sender}/tracker")
    assert status in (401, 403)
    status, _ = http("GET", f"/conversations/{patient.sender}/tracker", token="wrong-token")
    assert status in (401, 403)


def test_conversation_survives_a_restart(patient):
    """A second Rasa process on the same SQLite tracker store sees the conversation the first one had."""
    patient.say("hi")
    patient.say("yes")
    port = int(os.environ.get("RASA_PORT", "5105")) + 7
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rasa"), "run", "--model", os.environ["MODEL_PATH"], "--endpoints", "endpoints.yml",
         "--port", str(port), "--enable-api", "--auth-token", patient.token],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                assert server.poll() is None, "second Rasa server exited"
                time.sleep(0.5)
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/conversations/{patient.sender}/tracker?token={patient.token}", timeout=30) as r:
            slots = json.loads(r.read())["slots"]
        assert slots["consent_given"] is True
    finally:
        server.terminate()
        server.wait(timeout=30)
