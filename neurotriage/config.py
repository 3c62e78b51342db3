"""Every setting of NeuroTriage, read in one place from the environment and `.env` (python-dotenv).

Scripts call `python -m neurotriage.config env` to get the settings as shell exports (defaults filled in, so
endpoints.yml and credentials.yml can name them) and `python -m neurotriage.config check` before start-up, which
stops with one sentence naming the setting that is wrong instead of a traceback.
"""
from __future__ import annotations

import os
import secrets
import shlex
import socket
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Dict, Iterable, List, Optional
from urllib.parse import urlsplit

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = PROJECT_ROOT / ".run"
PLACEHOLDER_TOKEN = "change-me"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one sentence that names it."""


@dataclass(frozen=True)
class Settings:
    rasa_api_token: str
    rasa_host: str
    rasa_port: int
    action_server_port: int
    action_server_url: str
    web_port: int
    database_url: str
    tracker_store_url: str
    records_database_url: str
    locale: str
    max_message_length: int
    log_level: str

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def as_environment(self) -> Dict[str, str]:
        """The settings under the names that .env, endpoints.yml and the scripts use."""
        return {field.name.upper(): str(getattr(self, field.name)) for field in fields(self)}


def _sqlite_url(relative_file: str) -> str:
    return f"sqlite:///{RUN_DIR / relative_file}"


DEFAULTS: Dict[str, str] = {
    "RASA_HOST": "127.0.0.1",
    "RASA_PORT": "5005",
    "ACTION_SERVER_PORT": "5055",
    "WEB_PORT": "8080",
    "DATABASE_URL": _sqlite_url("knowledge.db"),
    "TRACKER_STORE_URL": _sqlite_url("tracker.db"),
    "RECORDS_DATABASE_URL": _sqlite_url("records.db"),
    "LOCALE": "UK",
    "MAX_MESSAGE_LENGTH": "2000",
    "LOG_LEVEL": "INFO",
}


def _raw_values(env_file: Optional[Path]) -> Dict[str, str]:
    """The process environment wins over .env, so CI and tests can override one setting."""
    values: Dict[str, str] = {}
    if env_file is not None and env_file.exists():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update({k: v for k, v in os.environ.items() if k in DEFAULTS or k in _OTHER_KEYS})
    return values


_OTHER_KEYS = {"RASA_API_TOKEN", "ACTION_SERVER_URL"}


def _port(values: Dict[str, str], name: str) -> int:
    raw = values.get(name) or DEFAULTS[name]
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a port number, but it is '{raw}'.") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name} must be between 1 and 65535, but it is {port}.")
    return port


def _absolute_sqlite(url: str) -> str:
    """Relative SQLite paths are taken from the project root, whatever directory a command runs in."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str(PROJECT_ROOT / url[len(prefix):])
    return url


def load_settings(env_file: Optional[Path] = PROJECT_ROOT / ".env") -> Settings:
    values = _raw_values(env_file)
    token = (values.get("RASA_API_TOKEN") or "").strip()
    if not token:
        raise SettingsError("RASA_API_TOKEN is not set: put a long random value in .env (see .env.example).")
    if token == PLACEHOLDER_TOKEN:
        raise SettingsError("RASA_API_TOKEN still has the example value: replace it in .env with a long random value.")
    rasa_port = _port(values, "RASA_PORT")
    action_port = _port(values, "ACTION_SERVER_PORT")
    web_port = _port(values, "WEB_PORT")
    if len({rasa_port, action_port, web_port}) < 3:
        raise SettingsError("RASA_PORT, ACTION_SERVER_PORT and WEB_PORT must be three different ports.")
    max_length_raw = values.get("MAX_MESSAGE_LENGTH") or DEFAULTS["MAX_MESSAGE_LENGTH"]
    if not max_length_raw.isdigit() or int(max_length_raw) < 100:
        raise SettingsError(f"MAX_MESSAGE_LENGTH must be a whole number of at least 100, but it is '{max_length_raw}'.")
    return Settings(
        rasa_api_token=token,
        rasa_host=values.get("RASA_HOST") or DEFAULTS["RASA_HOST"],
        rasa_port=rasa_port,
        action_server_port=action_port,
        action_server_url=values.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{action_port}/webhook",
        web_port=web_port,
        database_url=_absolute_sqlite(values.get("DATABASE_URL") or DEFAULTS["DATABASE_URL"]),
        tracker_store_url=_absolute_sqlite(values.get("TRACKER_STORE_URL") or DEFAULTS["TRACKER_STORE_URL"]),
        records_database_url=_absolute_sqlite(values.get("RECORDS_DATABASE_URL") or DEFAULTS["RECORDS_DATABASE_URL"]),
        locale=(values.get("LOCALE") or DEFAULTS["LOCALE"]).upper(),
        max_message_length=int(max_length_raw),
        log_level=(values.get("LOG_LEVEL") or DEFAULTS["LOG_LEVEL"]).upper(),
    )


def ensure_env_file(env_file: Path = PROJECT_ROOT / ".env", example: Path = PROJECT_ROOT / ".env.example") -> bool:
    """On a fresh machine, write .env from .env.example with a newly generated API token. True if written."""
    if env_file.exists():
        return False
    token = secrets.token_urlsafe(32)
    lines = []
    for line in example.read_text().splitlines():
        if line.startswith("RASA_API_TOKEN="):
            line = f"RASA_API_TOKEN={token}"
        lines.append(line)
    env_file.write_text("\n".join(lines) + "\n")
    env_file.chmod(0o600)
    return True


def _check_port_free(name: str, host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise SettingsError(f"{name}={port} is already in use by another program: stop it or choose another port in .env.") from None


def _check_database(name: str, url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        path = Path(url.split(":///", 1)[-1])
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise SettingsError(f"{name} points at {path}, whose folder cannot be written.")
        return
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, future=True, connect_args={"connect_timeout": 5} if scheme.startswith("postgresql") else {})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any driver error means the same thing to the operator
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SettingsError(f"{name} cannot be reached ({reason}): check the address, user and password in .env.") from None


def check(settings: Settings, ports: Iterable[str] = ()) -> None:
    """Start-up checks. `ports` names the servers about to start, whose ports must be free."""
    _check_database("DATABASE_URL", settings.database_url)
    _check_database("TRACKER_STORE_URL", settings.tracker_store_url)
    _check_database("RECORDS_DATABASE_URL", settings.records_database_url)
    port_settings = {"rasa": ("RASA_PORT", settings.rasa_port), "actions": ("ACTION_SERVER_PORT", settings.action_server_port),
                     "web": ("WEB_PORT", settings.web_port)}
    for server in ports:
        name, port = port_settings[server]
        _check_port_free(name, "127.0.0.1", port)


def main(argv: List[str]) -> int:
    command = argv[0] if argv else "check"
    try:
        if command == "init-env":
            if ensure_env_file():
                print("Created .env from .env.example with a new random RASA_API_TOKEN.")
            return 0
        settings = load_settings()
        if command == "env":
            for key, value in settings.as_environment().items():
                print(f"export {key}={shlex.quote(value)}")
        elif command == "check":
            check(settings, ports=argv[1:])
        else:
            print(f"unknown command '{command}': use init-env, env or check [rasa] [actions] [web]", file=sys.stderr)
            return 2
    except SettingsError as error:
        print(f"Configuration problem: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
