"""Scale-out: two Rasa instances on one PostgreSQL tracker store and one Redis lock store, behind nginx.

These tests need the production shape (scripts/production.sh start) and run only when its addresses are set:

    eval "$(scripts/production.sh env)" && .venv/bin/python -m pytest tests/production

PRODUCTION_URL is nginx; PRODUCTION_RASA_URLS names the two Rasa instances, comma-separated; PRODUCTION_DIR (default
.run/production) holds their pid files. The patient's turns are the whole triage conversation of
bench/bench_conversation.py. One test stops instance 1 and starts it again with `scripts/production.sh restart-rasa 1`;
one stops Redis (the lock store) and starts it again with `scripts/production.sh start`.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.async_support import run_sync

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from bench_conversation import SCRIPT  # noqa: E402  (bench/ is a folder of scripts, not a package)

PRODUCTION_URL = os.environ.get("PRODUCTION_URL", "").rstrip("/")
RASA_URLS = [url.strip().rstrip("/") for url in os.environ.get("PRODUCTION_RASA_URLS", "").split(",") if url.strip()]
PRODUCTION_DIR = Path(os.environ.get("PRODUCTION_DIR") or ROOT / ".run" / "production")

pytestmark = pytest.mark.skipif(
    not PRODUCTION_URL or len(RASA_URLS) != 2,
    reason="needs the production shape: scripts/production.sh start, then set PRODUCTION_URL and "
           "PRODUCTION_RASA_URLS (eval \"$(scripts/production.sh env)\")")


def http(base: str, method: str, path: str, body=None, token: str | None = None, timeout: float = 60):
    url = base + path + (f"?token={token}" if token else "")
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.fixture(scope="module")
def token() -> str:
    if os.environ.get("RASA_API_TOKEN"):
        return os.environ["RASA_API_TOKEN"]
    from neurotriage.config import load_settings
    return load_settings().rasa_api_token


class Patient:
    """One REST conversation; each turn and each tracker read names the server it goes to."""

    def __init__(self, token: str, prefix: str):
        self.sender = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.token = token
        self.replies: list[list[dict]] = []

    def say(self, base: str, message: str) -> list[dict]:
        status, replies = http(base, "POST", "/webhooks/rest/webhook", {"sender": self.sender, "message": message})
        assert status == 200, f"{base} answered {status} to {message!r}"
        assert replies, f"{base} gave no reply to {message!r}"
        self.replies.append(replies)
        return replies

    def tracker(self, base: str) -> dict:
        status, tracker = http(base, "GET", f"/conversations/{self.sender}/tracker", token=self.token)
        assert status == 200, f"{base} answered {status} to the tracker request"
        return tracker


def user_texts(tracker: dict) -> list[str]:
    return [event.get("text") for event in tracker["events"] if event.get("event") == "user"]


def summary_given(patient: Patient) -> bool:
    return any("triage_summary" in (reply.get("custom") or {}) for replies in patient.replies for reply in replies)


def check_slots_of_the_script(slots: dict) -> None:
    """What the patient of SCRIPT told the assistant, turn by turn."""
    assert slots["consent_given"] is True
    assert {"burning", "tingling"} <= set(slots["symptoms_present"] or [])
    assert "feet" in (slots["pain_locations"] or [])
    assert "diabetes" in (slots["conditions"] or [])
    assert {"pregabalin", "paracetamol"} <= set(slots["medications"] or [])
    assert slots["pain_duration"] == "about 2 years" and slots["pain_duration_months"] == 24
    assert slots["pain_score"] == 7
    assert slots["daily_impact"] == "yes"
    assert slots["age_band"] == "18_to_64"
    assert slots["assessment_complete"] is True
    assert slots["triage_level"]


@pytest.fixture(scope="module")
def reference_slots(token) -> dict:
    """The slots after the whole conversation on one instance alone: what every other run must end with."""
    patient = Patient(token, "reference")
    for message in SCRIPT:
        patient.say(RASA_URLS[1], message)
    slots = patient.tracker(RASA_URLS[1])["slots"]
    check_slots_of_the_script(slots)
    return slots


def test_turns_alternating_between_the_two_instances_keep_every_slot(token, reference_slots):
    patient = Patient(token, "alternating")
    for turn, message in enumerate(SCRIPT):
        here, there = RASA_URLS[turn % 2], RASA_URLS[(turn + 1) % 2]
        patient.say(here, message)
        # The other instance sees this turn at once, with the same slots.
        seen_there, seen_here = patient.tracker(there), patient.tracker(here)
        assert user_texts(seen_there) == SCRIPT[:turn + 1], f"turn {turn + 1} is not in {there}'s tracker"
        assert seen_there["slots"] == seen_here["slots"], f"the instances disagree after turn {turn + 1}"
    first, second = patient.tracker(RASA_URLS[0]), patient.tracker(RASA_URLS[1])
    assert first["slots"] == second["slots"] == reference_slots
    assert len(first["events"]) == len(second["events"])
    check_slots_of_the_script(first["slots"])
    assert summary_given(patient)


def _pid(instance: int) -> int:
    return int((PRODUCTION_DIR / f"rasa-{instance}.pid").read_text().strip())


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has stopped; only its exit status waits for its parent


def _restart_instance_1() -> None:
    subprocess.run([str(ROOT / "scripts" / "production.sh"), "restart-rasa", "1"], check=True, timeout=900,
                   stdout=subprocess.DEVNULL)


def test_stopping_an_instance_mid_conversation_loses_nothing(token, reference_slots):
    patient = Patient(token, "failover")
    half = len(SCRIPT) // 2
    for message in SCRIPT[:half]:
        patient.say(PRODUCTION_URL, message)
    before = patient.tracker(RASA_URLS[1])
    assert user_texts(before) == SCRIPT[:half]

    pid = _pid(1)
    assert _running(pid), "Rasa instance 1 does not run"
    os.kill(pid, signal.SIGTERM)
    try:
        deadline = time.monotonic() + 60
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(pid), "Rasa instance 1 did not stop within 60 s of SIGTERM"
        with pytest.raises(OSError):
            urllib.request.urlopen(RASA_URLS[0] + "/", timeout=5)

        # Through nginx the conversation goes on, on instance 2, with everything said so far.
        assert patient.tracker(PRODUCTION_URL) == before
        for message in SCRIPT[half:]:
            patient.say(PRODUCTION_URL, message)
        after = patient.tracker(PRODUCTION_URL)
        assert user_texts(after) == SCRIPT, "a turn was lost or processed twice"
        assert after["slots"] == reference_slots
        check_slots_of_the_script(after["slots"])
        assert summary_given(patient), "the conversation did not reach its triage summary"
    finally:
        _restart_instance_1()
    with urllib.request.urlopen(RASA_URLS[0] + "/", timeout=10) as response:
        assert response.status == 200, "instance 1 did not come back"
    # After the restart instance 1 serves the same conversation again.
    assert patient.tracker(RASA_URLS[0])["slots"] == reference_slots


def _stop_redis() -> None:
    pid = int((PRODUCTION_DIR / "redis.pid").read_text().strip())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pid), "Redis did not stop within 30 s of SIGTERM"


def test_a_message_that_cannot_be_taken_in_is_answered_and_can_be_sent_again(token, reference_slots):
    """With the lock store down no instance may process a message; the patient is told so, and sends it again."""
    patient = Patient(token, "lock-store-down")
    half = len(SCRIPT) // 2
    for message in SCRIPT[:half]:
        patient.say(PRODUCTION_URL, message)
    _stop_redis()
    try:
        # Each instance on its own (one of them was restarted by the test before), then through nginx.
        for base in RASA_URLS + [PRODUCTION_URL]:
            answer = " ".join(reply.get("text") or "" for reply in patient.say(base, SCRIPT[half]))
            assert "couldn't take in your last message" in answer and "send it again" in answer, base
            assert "call 999 now" in answer and "call 111" in answer
    finally:
        subprocess.run([str(ROOT / "scripts" / "production.sh"), "start"], check=True, timeout=900,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert user_texts(patient.tracker(PRODUCTION_URL)) == SCRIPT[:half], "the message was processed after all"
    for message in SCRIPT[half:]:
        patient.say(PRODUCTION_URL, message)
    after = patient.tracker(PRODUCTION_URL)
    assert user_texts(after) == SCRIPT
    assert after["slots"] == reference_slots


def test_web_chat_over_socketio_through_nginx():
    """The clinic page's channel: socket.io through nginx, long polling first, then upgraded to a websocket."""
    import socketio

    async def chat() -> tuple[str, list[str], str]:
        client = socketio.AsyncClient(reconnection=False)
        session_id = uuid.uuid4().hex
        confirmed, answered = asyncio.Event(), asyncio.Event()
        texts: list[str] = []

        @client.on("session_confirm")
        async def on_confirm(_data):
            confirmed.set()

        @client.on("bot_uttered")
        async def on_bot(data):
            texts.append(data.get("text") or "")
            if re.search(r"\bagree\b", data.get("text") or ""):
                answered.set()

        await client.connect(PRODUCTION_URL, socketio_path="/socket.io/", transports=["polling", "websocket"],
                             wait_timeout=10)
        try:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), 10)
            await client.emit("user_uttered", {"message": "hello", "session_id": session_id})
            await asyncio.wait_for(answered.wait(), 30)
            await asyncio.sleep(0.5)  # the transport upgrade finishes in the background
            return client.transport(), texts, session_id
        finally:
            await client.disconnect()

    transport, texts, _ = run_sync(chat())
    assert any("NeuroTriage" in text for text in texts)
    assert transport == "websocket"
