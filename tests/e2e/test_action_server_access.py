"""The running action server: reachable only on the inside, and only with the shared secret."""
import json
import os
import socket
import urllib.error
import urllib.request

import pytest

from neurotriage.action_server import SECRET_HEADER

ACTION_URL = f"http://127.0.0.1:{os.environ.get('ACTION_SERVER_PORT', '5155')}"
SESSION_START_CALL = {"next_action": "action_session_start", "sender_id": "access-test", "version": "3.6.21",
                      "domain": {}, "tracker": {"sender_id": "access-test", "slots": {}, "latest_message": {},
                                                "events": [], "paused": False, "active_loop": {}}}


def call_webhook(headers):
    request = urllib.request.Request(f"{ACTION_URL}/webhook", data=json.dumps(SESSION_START_CALL).encode(),
                                     headers={"Content-Type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module", autouse=True)
def action_server_running():
    try:
        urllib.request.urlopen(f"{ACTION_URL}/health", timeout=3)
    except OSError:
        pytest.skip(f"no action server at {ACTION_URL}: `make test` starts it")


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""},
                                     {"Authorization": f"Bearer {os.environ.get('ACTION_SERVER_SECRET', '')}"}])
def test_a_call_without_the_shared_secret_is_refused(headers):
    status, body = call_webhook(headers)
    assert status == 401 and body == {"error": "unauthorised"}


def test_a_call_with_the_shared_secret_runs_the_action():
    status, body = call_webhook({SECRET_HEADER: os.environ["ACTION_SERVER_SECRET"]})
    assert status == 200 and any(event["event"] == "session_started" for event in body["events"])


def test_health_needs_no_secret():
    with urllib.request.urlopen(f"{ACTION_URL}/health", timeout=5) as answer:
        assert json.loads(answer.read()) == {"status": "ok"}


def test_the_action_server_does_not_listen_beyond_this_machine():
    outside = [address for address in socket.gethostbyname_ex(socket.gethostname())[2] if not address.startswith("127.")]
    if not outside:
        pytest.skip("this machine has no address other than loopback")
    with pytest.raises(OSError):
        socket.create_connection((outside[0], int(ACTION_URL.rsplit(":", 1)[1])), timeout=3).close()
