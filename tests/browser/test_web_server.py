"""The page server (web/server.py) on its own: no browser, no Rasa. Runs on a free port of 127.0.0.1."""
from __future__ import annotations

import dataclasses
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from neurotriage.config import SettingsError, load_settings
from neurotriage.kb import load, make_engine
from web.server import ConfigError, PageConfig, WidgetFile, make_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def knowledge_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge.db'}"
    load(make_engine(url), ROOT / "knowledge")
    return url


@pytest.fixture
def page_config(knowledge_url):
    """page_config(**environ): the settings from these variables only (no .env), on a free port."""
    def build(**environ):
        settings = load_settings(None, {"RASA_API_TOKEN": "a-test-token", "ACTION_SERVER_SECRET": "0123456789abcdef",
                                        "DATABASE_URL": knowledge_url, **environ})
        return dataclasses.replace(PageConfig.from_settings(settings), port=0)
    return build


@pytest.fixture
def serve(tmp_path):
    """serve(config, widget_text=...): a running server; returns its base URL. Stopped after the test."""
    servers = []

    def start(config, widget_text="/* widget */ @import url(https://fonts.googleapis.com/css?family=Inter);x();"):
        widget = tmp_path / "index.js"
        widget.write_text(widget_text)
        server = make_server(config, WidgetFile(widget))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.parametrize("locale, number", [("UK", "999"), ("US", "911"), ("EU", "112"), ("uk", "999")])
def test_each_locale_gets_its_emergency_number(page_config, locale, number):
    assert page_config(LOCALE=locale).numbers["emergency_number"] == number


def test_an_unknown_locale_is_a_one_sentence_error(page_config):
    with pytest.raises(ConfigError, match="LOCALE 'FR' is not in the knowledge base"):
        page_config(LOCALE="FR")


def test_a_bad_port_is_a_one_sentence_error(page_config):
    with pytest.raises(SettingsError, match="RASA_PORT must be a port number"):
        page_config(RASA_PORT="http")


def test_the_page_carries_the_number_and_the_config_tells_where_rasa_is(serve, page_config):
    base = serve(page_config(LOCALE="US", RASA_PORT="5999"))
    status, headers, body = get(base + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "This assistant is not for emergencies — call 911" in body
    assert "{{" not in body
    status, _, body = get(base + "/config.json")
    config = json.loads(body)
    assert config["rasaPort"] == 5999 and config["emergencyNumber"] == "911" and config["socketUrl"] is None


def test_every_answer_has_a_policy_that_allows_only_this_server_and_rasa(serve, page_config):
    base = serve(page_config(RASA_PORT="5999"))
    _, headers, _ = get(base + "/")
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self' http://127.0.0.1:5999 https://127.0.0.1:5999 ws://127.0.0.1:5999 wss://127.0.0.1:5999;" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_socket_url_behind_a_proxy_is_used_as_given(serve, page_config):
    base = serve(page_config(RASA_SOCKET_URL="https://chat.clinic.example"))
    _, headers, body = get(base + "/config.json")
    assert json.loads(body)["socketUrl"] == "https://chat.clinic.example"
    assert "connect-src 'self' https://chat.clinic.example wss://chat.clinic.example;" in headers["Content-Security-Policy"]


def test_the_widget_is_served_without_remote_imports(serve, page_config):
    base = serve(page_config())
    status, headers, body = get(base + "/vendor/rasa-webchat.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert "fonts.googleapis.com" not in body and "x();" in body


def test_only_the_static_folder_is_served(serve, page_config):
    base = serve(page_config())
    assert get(base + "/static/app.js")[0] == 200
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/server.py", "/package.json",
                 "/node_modules/rasa-webchat/package.json", "/static/nothing.js"):
        assert get(base + path)[0] == 404, path


def test_only_get_and_head_are_answered(serve, page_config):
    base = serve(page_config())
    request = urllib.request.Request(base + "/", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 405
