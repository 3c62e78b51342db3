"""The staff view that `make run` starts, with the real settings: closed without STAFF_TOKEN, open with it."""
import os
import urllib.error
import urllib.request

import pytest

STAFF_URL = f"http://127.0.0.1:{os.environ.get('STAFF_PORT', '8090')}/staff"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(STAFF_URL + path, headers=headers), timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture(scope="module", autouse=True)
def staff_view_running():
    try:
        urllib.request.urlopen(STAFF_URL + "/healthz", timeout=3)
    except OSError:
        pytest.skip(f"no staff view at {STAFF_URL}: `make test` starts it")


def test_without_the_token_pages_send_to_sign_in_and_exports_are_refused():
    status, headers, _ = get("/")
    assert status == 303 and "/staff/login" in headers["Location"]
    assert get("/export.csv")[0] == 401
    assert get("/export.csv", token="not-the-staff-token")[0] == 401


def test_with_the_token_staff_read_the_lists_and_export():
    token = os.environ["STAFF_TOKEN"]
    status, headers, body = get("/", token=token)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert get("/requests", token=token)[0] == 200
    status, headers, body = get("/export.csv", token=token)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0].startswith("id,created_at,conversation_id,triage_level")
