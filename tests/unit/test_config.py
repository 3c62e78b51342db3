"""Settings: defaults, overrides, and one clear sentence for each wrong setting."""
import socket

import pytest

from neurotriage import config
from neurotriage.config import SettingsError, check, load_settings


@pytest.fixture
def env_file(tmp_path, monkeypatch):
    for key in list(config.DEFAULTS) + ["RASA_API_TOKEN", "ACTION_SERVER_URL"]:
        monkeypatch.delenv(key, raising=False)
    path = tmp_path / ".env"
    path.write_text("RASA_API_TOKEN=a-long-random-token\n")
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
    ("RASA_API_TOKEN=x\nMAX_MESSAGE_LENGTH=ten\n", "MAX_MESSAGE_LENGTH"),
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


def test_init_env_writes_a_fresh_token_once(tmp_path):
    example = tmp_path / ".env.example"
    example.write_text("# comment\nRASA_API_TOKEN=change-me\nRASA_PORT=5005\n")
    target = tmp_path / ".env"
    assert config.ensure_env_file(target, example) is True
    token = [l for l in target.read_text().splitlines() if l.startswith("RASA_API_TOKEN=")][0].split("=", 1)[1]
    assert len(token) >= 32 and token != "change-me"
    assert config.ensure_env_file(target, example) is False
