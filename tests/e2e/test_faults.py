"""Faults in the middle of an assessment, with real processes: nothing is lost and the conversation goes on.

The conversation starts on the test Rasa server, then goes on in a second Rasa process on the same tracker store
(what a restart of Rasa looks like to the patient), with its own action server that the test stops, starts, and
points at an unreachable knowledge base.
"""
import json
import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import Patient

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SECOND_RASA_PORT = int(os.environ.get("RASA_PORT", "5105")) + 7
OWN_ACTION_PORT = int(os.environ.get("RASA_PORT", "5105")) + 8
UNAVAILABLE = "can't go on with the assessment right now"
UNREACHABLE_DATABASE = "postgresql+psycopg2://nobody:nothing@127.0.0.1:1/none"


def wait_until_answering(url, process, limit=180):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server for {url} exited"
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {limit} s")


@contextmanager
def action_server(**environ):
    env = {**os.environ, "ACTION_SERVER_PORT": str(OWN_ACTION_PORT), **environ}
    process = subprocess.Popen([PYTHON, "-m", "neurotriage.action_server"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{OWN_ACTION_PORT}/health", process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def second_rasa():
    """A second Rasa process on the test tracker store, calling the action server that the tests control."""
    env = {**os.environ, "ACTION_SERVER_URL": f"http://127.0.0.1:{OWN_ACTION_PORT}/webhook"}
    process = subprocess.Popen(
        [PYTHON, "-m", "neurotriage.rasa_runtime", "run", "--model", os.environ["MODEL_PATH"],
         "--endpoints", str(ROOT / "endpoints.yml"), "--port", str(SECOND_RASA_PORT), "--enable-api"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{SECOND_RASA_PORT}/", process)
        yield f"http://127.0.0.1:{SECOND_RASA_PORT}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def say_to(base_url, patient, message):
    request = urllib.request.Request(f"{base_url}/webhooks/rest/webhook", method="POST",
                                     data=json.dumps({"sender": patient.sender, "message": message}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200
        return " ".join(reply.get("text", "") for reply in json.loads(answer.read()))


def form_position(patient):
    tracker = patient.tracker()
    return (tracker["active_loop"] or {}).get("name"), tracker["slots"]["requested_slot"], tracker["slots"]


def test_restart_action_server_down_and_database_down_lose_nothing(second_rasa, token):
    patient = Patient(token)
    patient.say("hello")
    patient.say("yes i agree")
    patient.say("my feet burn at night")
    loop, asked, _ = form_position(patient)
    assert loop == "screening_form" and asked, "the screening has started on the first Rasa process"

    # Rasa restarted mid-form: another process answers the next turn and the form goes on from the same question.
    with action_server():
        say_to(second_rasa, patient, "no")
    loop, next_asked, slots = form_position(patient)
    assert loop == "screening_form" and slots[asked] == "no" and next_asked != asked

    # Action server down: the patient is told, gets the emergency number, and the question stays open.
    text = say_to(second_rasa, patient, "no")
    assert UNAVAILABLE in text and "call 999 now" in text and text.count(UNAVAILABLE) == 1
    assert form_position(patient)[:2] == ("screening_form", next_asked)

    # The knowledge base cannot be reached: the same.
    with action_server(DATABASE_URL=UNREACHABLE_DATABASE):
        text = say_to(second_rasa, patient, "no")
    assert UNAVAILABLE in text and "call 999 now" in text
    assert form_position(patient)[:2] == ("screening_form", next_asked)

    # Back again: the conversation resumes at the open question, on either Rasa process.
    with action_server():
        say_to(second_rasa, patient, "no")
    loop, after, slots = form_position(patient)
    assert slots[next_asked] == "no" and after != next_asked
    assert patient.slot("consent_given") is True and "burning" in patient.slot("symptoms_present")
    assert patient.say("no")  # the first process carries on with its own action server too
