"""End-to-end fixtures: the Rasa and action servers that scripts/test.sh started, reached over HTTP only."""
import json
import os
import urllib.error
import urllib.request
import uuid

import pytest

RASA_URL = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5105')}"


def http(method, path, body=None, token=None):
    url = f"{RASA_URL}{path}"
    if token:
        url += ("&" if "?" in url else "?") + f"token={token}"
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.fixture(scope="session", autouse=True)
def servers_running():
    try:
        urllib.request.urlopen(RASA_URL, timeout=3)
    except OSError:
        pytest.skip(f"no Rasa server at {RASA_URL}: `make test` starts the servers for these tests")


@pytest.fixture
def token():
    return os.environ["RASA_API_TOKEN"]


class Patient:
    """One conversation over the REST channel."""

    def __init__(self, token):
        self.sender = "e2e-" + uuid.uuid4().hex[:10]
        self.token = token

    def say(self, message):
        status, replies = http("POST", "/webhooks/rest/webhook", {"sender": self.sender, "message": message})
        assert status == 200, f"REST answered {status}"
        return replies or []

    def text(self, message):
        return "\n".join(r.get("text", "") for r in self.say(message))

    def tracker(self):
        status, tracker = http("GET", f"/conversations/{self.sender}/tracker", token=self.token)
        assert status == 200
        return tracker

    def slot(self, name):
        return self.tracker()["slots"].get(name)

    def tracker_text(self):
        """Everything the bot has said in this conversation."""
        return " ".join(e.get("text") or "" for e in self.tracker()["events"] if e.get("event") == "bot")


@pytest.fixture
def patient(token):
    return Patient(token)
