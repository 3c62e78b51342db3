"""Messaging channels on the running Rasa server, over HTTP, as each app would call them.

scripts/test.sh turns on Telegram, Slack, Messenger and Twilio with test secrets. This
machine cannot reach the apps' own servers, so every reply fails to be delivered: these tests check what NeuroTriage
controls, namely that only correctly signed calls reach the bot, that they reach it on the right channel, and that a
failed delivery loses nothing of the conversation.
"""
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from twilio.request_validator import RequestValidator

from tests.e2e.conftest import RASA_URL, http

pytestmark = pytest.mark.skipif(not os.environ.get("SLACK_SIGNING_SECRET"),
                                reason="messaging channels are off: scripts/test.sh turns them on with test secrets")


def post(path, body, headers):
    request = urllib.request.Request(RASA_URL + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def events_of(sender, token, wait_for_user=False):
    """The conversation's user and bot events; waits up to 20 s for a user event when asked (Slack answers first)."""
    deadline = time.monotonic() + (20 if wait_for_user else 0)
    while True:
        status, tracker = http("GET", f"/conversations/{urllib.parse.quote(sender, safe='+')}/tracker", token=token)
        assert status == 200
        events = [e for e in tracker["events"] if e["event"] in ("user", "bot")]
        if not wait_for_user or any(e["event"] == "user" for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.3)


def twilio_post(form, signature):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature:
        headers["X-Twilio-Signature"] = signature
    return post("/webhooks/twilio/webhook", urllib.parse.urlencode(form).encode(), headers)


def twilio_signature(form):
    return RequestValidator(os.environ["TWILIO_AUTH_TOKEN"]).compute_signature(os.environ["TWILIO_WEBHOOK_URL"], form)


def test_twilio_refuses_unsigned_and_forged_messages(token):
    phone = "+4477009" + uuid.uuid4().hex[:5].translate(str.maketrans("abcdef", "123456"))
    form = {"From": phone, "To": os.environ["TWILIO_NUMBER"], "Body": "my feet burn"}
    assert twilio_post(form, None)[0] == 403
    assert twilio_post(form, "forged-signature")[0] == 403
    assert twilio_post(form, RequestValidator("another-account").compute_signature(os.environ["TWILIO_WEBHOOK_URL"], form))[0] == 403
    assert events_of(phone, token) == []


def test_a_signed_twilio_message_reaches_the_bot_and_the_conversation_is_kept(token):
    phone = "+4477008" + uuid.uuid4().hex[:5].translate(str.maketrans("abcdef", "123456"))
    form = {"From": phone, "To": os.environ["TWILIO_NUMBER"], "Body": "hello"}
    assert twilio_post(form, twilio_signature(form))[0] == 204
    events = events_of(phone, token)
    user = [e for e in events if e["event"] == "user"]
    assert [(e["text"], e["input_channel"]) for e in user] == [("hello", "twilio")]
    assert any(e["event"] == "bot" for e in events), "the replies stay in the conversation though undelivered"


def slack_call(event, secret):
    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "Ev" + uuid.uuid4().hex,
                       "event_time": int(time.time()), "event": event}).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return post("/webhooks/slack/webhook", body, {"Content-Type": "application/json",
                                                  "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})


def slack_message(user, text):
    return {"type": "message", "channel": "D" + user, "user": user, "text": text, "ts": f"{time.time():.6f}",
            "channel_type": "im"}


def test_slack_refuses_a_wrong_signature(token):
    user = "U" + uuid.uuid4().hex[:8].upper()
    assert slack_call(slack_message(user, "hello"), "not-the-signing-secret")[0] == 400
    time.sleep(1)
    assert events_of(user, token) == []


def test_a_signed_slack_message_reaches_the_bot_on_the_slack_channel(token):
    user = "U" + uuid.uuid4().hex[:8].upper()
    assert slack_call(slack_message(user, "hello"), os.environ["SLACK_SIGNING_SECRET"])[0] == 200
    user_events = [e for e in events_of(user, token, wait_for_user=True) if e["event"] == "user"]
    assert [(e["text"], e["input_channel"]) for e in user_events] == [("hello", "slack")]


def test_messenger_answers_only_the_right_verify_token():
    query = "hub.mode=subscribe&hub.challenge=4711&hub.verify_token="
    with urllib.request.urlopen(f"{RASA_URL}/webhooks/facebook/webhook?{query}{os.environ['FACEBOOK_VERIFY_TOKEN']}") as answer:
        assert answer.read() == b"4711"
    with urllib.request.urlopen(f"{RASA_URL}/webhooks/facebook/webhook?{query}wrong") as answer:
        assert b"4711" not in answer.read()


def test_messenger_drops_a_message_with_a_wrong_signature(token):
    sender = "fb-" + uuid.uuid4().hex[:10]
    body = json.dumps({"object": "page", "entry": [{"id": "P1", "time": 1, "messaging": [
        {"sender": {"id": sender}, "recipient": {"id": "P1"}, "timestamp": 1, "message": {"mid": "m1", "text": "hi"}}]}]}).encode()
    forged = "sha1=" + hmac.new(b"not-the-app-secret", body, hashlib.sha1).hexdigest()
    status, text = post("/webhooks/facebook/webhook", body, {"Content-Type": "application/json", "X-Hub-Signature": forged})
    assert (status, text) == (200, "not validated")
    assert events_of(sender, token) == []


def test_telegram_is_on_although_telegram_cannot_be_reached():
    with urllib.request.urlopen(f"{RASA_URL}/webhooks/telegram/") as answer:
        assert json.loads(answer.read()) == {"status": "ok"}
