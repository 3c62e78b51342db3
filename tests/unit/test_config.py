"""Settings: defaults, overrides, and one clear sentence for each wrong setting."""
import socket

import pytest

from neurotriage import config
from neurotriage.config import SettingsError, check, load_settings


@pytest.fixture
def env_file(tmp_path, monkeypatch):
    for key in list(config.DEFAULTS) + sorted(config._OTHER_KEYS | config._CHANNEL_KEYS):
        monkeypatch.delenv(key, raising=False)
    path = tmp_path / ".env"
    path.write_text("RASA_API_TOKEN=a-long-random-token\nACTION_SERVER_SECRET=another-long-random-secret\n")
    return path


def test_defaults_are_embedded_sqlite_and_standard_ports(env_file):
    settings = load_settings(env_file)
    assert (settings.rasa_port, settings.action_server_port, settings.web_port) == (5005, 5055, 8080)
    assert settings.database_url == f"sqlite:///{config.PROJECT_ROOT / '.run' / 'knowledge.db'}"
    assert settings.tracker_store_url.startswith("sqlite:///") and settings.tracker_store_url.endswith("tracker.db")
    assert settings.action_server_url == "http://127.0.0.1:5055/webhook"


def test_environment_overrides_env_file(env_file, monkeypatch):
    monkeypatch.setenv("RASA_PORT", "6000")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///data/kb.db")
    settings = load_settings(env_file)
    assert settings.rasa_port == 6000
    assert settings.database_url == f"sqlite:///{config.PROJECT_ROOT / 'data' / 'kb.db'}"


@pytest.mark.parametrize("content, named", [
    ("", "RASA_API_TOKEN"),
    ("RASA_API_TOKEN=change-me\n", "RASA_API_TOKEN"),
    ("RASA_API_TOKEN=x\nRASA_PORT=fifty\n", "RASA_PORT"),
    ("RASA_API_TOKEN=x\nWEB_PORT=70000\n", "WEB_PORT"),
    ("RASA_API_TOKEN=x\nACTION_SERVER_PORT=5005\n", "ACTION_SERVER_PORT"),
    ("RASA_API_TOKEN=x\nACTION_SERVER_SECRET=0123456789abcdef\nMAX_MESSAGE_LENGTH=ten\n", "MAX_MESSAGE_LENGTH"),
    ("RASA_API_TOKEN=x\n", "ACTION_SERVER_SECRET"),
    ("RASA_API_TOKEN=x\nACTION_SERVER_SECRET=short\n", "ACTION_SERVER_SECRET"),
    ("RASA_API_TOKEN=x\nACTION_SERVER_SECRET=0123456789abcdef\nACTION_SERVER_WORKERS=0\n", "ACTION_SERVER_WORKERS"),
])
def test_wrong_settings_name_the_setting(env_file, content, named):
    env_file.write_text(content)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file)
    message = str(error.value)
    assert named in message and "\n" not in message


def test_unreachable_database_is_one_sentence(env_file, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(SettingsError, match=r"^DATABASE_URL cannot be reached \(.*\): check"):
        check(load_settings(env_file))


def test_busy_port_is_named(env_file, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setenv("RASA_PORT", str(busy.getsockname()[1]))
        with pytest.raises(SettingsError, match="RASA_PORT=.* is already in use"):
            check(load_settings(env_file), ports=["rasa"])


def test_cli_prints_one_line_and_exits_1(env_file, monkeypatch, capsys):
    monkeypatch.setattr(config, "load_settings", lambda: load_settings(env_file))
    env_file.write_text("")
    assert config.main(["check"]) == 1
    assert capsys.readouterr().err.strip().count("\n") == 0


def _value(path, name):
    return [line for line in path.read_text().splitlines() if line.startswith(name + "=")][0].split("=", 1)[1]


def test_init_env_writes_fresh_secrets_once(tmp_path):
    example = tmp_path / ".env.example"
    example.write_text("# comment\nRASA_API_TOKEN=change-me\nSTAFF_TOKEN=change-me\nACTION_SERVER_SECRET=change-me\nRASA_PORT=5005\n")
    target = tmp_path / ".env"
    assert config.ensure_env_file(target, example) == ["RASA_API_TOKEN", "STAFF_TOKEN", "ACTION_SERVER_SECRET"]
    token, staff = _value(target, "RASA_API_TOKEN"), _value(target, "STAFF_TOKEN")
    assert len(token) >= 32 and len(staff) >= 32 and len({token, staff, "change-me"}) == 3
    assert config.ensure_env_file(target, example) == []
    assert _value(target, "RASA_API_TOKEN") == token


def test_init_env_adds_a_missing_secret_to_an_older_env_file(tmp_path):
    target = tmp_path / ".env"
    target.write_text("RASA_API_TOKEN=kept-as-it-was\nRASA_PORT=5005")
    assert config.ensure_env_file(target, tmp_path / "unused") == ["STAFF_TOKEN", "ACTION_SERVER_SECRET"]
    assert _value(target, "RASA_API_TOKEN") == "kept-as-it-was" and _value(target, "RASA_PORT") == "5005"
    assert len(_value(target, "STAFF_TOKEN")) >= 32


def settings_with(**environ):
    return load_settings(None, {"RASA_API_TOKEN": "a-long-random-token", "ACTION_SERVER_SECRET": "0123456789abcdef", **environ})


def test_no_messaging_channel_is_on_without_its_secrets():
    settings = settings_with()
    assert settings.enabled_channels == [] and settings.channel_secrets == {}
    assert set(settings.credentials({"rest": None, "socketio": {}})) == {"rest", "socketio"}


ALL_CHANNELS = {
    "TELEGRAM_ACCESS_TOKEN": "123:abc", "TELEGRAM_BOT_NAME": "clinic_bot", "TELEGRAM_WEBHOOK_URL": "https://c.example/tg",
    "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s1",
    "FACEBOOK_VERIFY_TOKEN": "v", "FACEBOOK_APP_SECRET": "fs", "FACEBOOK_PAGE_ACCESS_TOKEN": "pat",
    "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tw", "TWILIO_NUMBER": "+441234", "TWILIO_WEBHOOK_URL": "https://c.example/tw",
}


def test_each_channel_is_on_exactly_when_its_secrets_are_set():
    for channel in config.MESSAGING_CHANNELS:
        only = {variable: ALL_CHANNELS[variable] for _, variable in channel.required}
        settings = settings_with(**only)
        assert [c.name for c in settings.enabled_channels] == [channel.name]
        assert settings.as_environment()[channel.required[0][1]] == only[channel.required[0][1]]


def test_credentials_name_secrets_by_variable_and_never_hold_them(tmp_path):
    settings = settings_with(**ALL_CHANNELS, SLACK_CHANNEL="#pain-clinic")
    out = config.write_credentials(settings, base=config.PROJECT_ROOT / "credentials.yml", out=tmp_path / "c.yml")
    text = out.read_text()
    for secret in ("123:abc", "xoxb-1", "fs", "pat", "tw"):
        assert f": {secret}" not in text
    written = __import__("yaml").safe_load(text)
    assert written["neurotriage.channels.TelegramInput"] == {"access_token": "${TELEGRAM_ACCESS_TOKEN}", "verify": "${TELEGRAM_BOT_NAME}",
                                   "webhook_url": "${TELEGRAM_WEBHOOK_URL}"}
    assert written["neurotriage.channels.SlackInput"]["slack_channel"] == "${SLACK_CHANNEL}"
    assert written["neurotriage.channels.FacebookInput"]["page-access-token"] == "${FACEBOOK_PAGE_ACCESS_TOKEN}"
    assert written["neurotriage.channels.TwilioInput"]["auth_token"] == "${TWILIO_AUTH_TOKEN}"
    assert "neurotriage.channels.RestInput" in written and "neurotriage.channels.SocketIOInput" in written


@pytest.mark.parametrize("given, named", [
    ({"TELEGRAM_ACCESS_TOKEN": "123:abc"}, "TELEGRAM_BOT_NAME"),
    ({"SLACK_SIGNING_SECRET": "s1"}, "SLACK_BOT_TOKEN"),
    ({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tw", "TWILIO_NUMBER": "+44"}, "TWILIO_WEBHOOK_URL"),
    ({"RASA_SOCKET_URL": "ftp://x"}, "RASA_SOCKET_URL"),
    ({"STAFF_TOKEN": "change-me"}, "STAFF_TOKEN"),
    ({"STAFF_TOKEN": "a-long-random-token"}, "STAFF_TOKEN"),
    ({"STAFF_PORT": "5005"}, "STAFF_PORT"),
])
def test_half_set_channels_and_wrong_web_settings_name_what_is_wrong(given, named):
    with pytest.raises(SettingsError) as error:
        settings_with(**given)
    assert named in str(error.value) and "\n" not in str(error.value)


def test_without_a_lock_store_url_rasa_keeps_its_in_memory_lock_store():
    assert "lock_store" not in settings_with().endpoints({"tracker_store": {"type": "SQL"}})


def test_a_lock_store_url_becomes_a_redis_lock_store_with_the_password_by_reference():
    settings = settings_with(LOCK_STORE_URL="redis://:s3cret@10.0.0.7:6380/2")
    lock_store = settings.endpoints({})["lock_store"]
    assert lock_store == {"type": "redis", "url": "10.0.0.7", "port": 6380, "db": 2, "key_prefix": "neurotriage",
                          "password": "${LOCK_STORE_PASSWORD}"}
    assert settings.as_environment()["LOCK_STORE_PASSWORD"] == "s3cret"


@pytest.mark.parametrize("url", ["10.0.0.7:6379", "http://10.0.0.7:6379", "redis://"])
def test_a_malformed_lock_store_url_is_named(url):
    with pytest.raises(SettingsError, match="LOCK_STORE_URL must look like redis://"):
        settings_with(LOCK_STORE_URL=url)


def test_an_unreachable_lock_store_is_one_sentence(env_file, monkeypatch):
    monkeypatch.setenv("LOCK_STORE_URL", "redis://127.0.0.1:1/0")
    with pytest.raises(SettingsError, match=r"^LOCK_STORE_URL cannot be reached \(\w+\): check"):
        check(load_settings(env_file))
