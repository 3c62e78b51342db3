"""Every setting of NeuroTriage, read in one place from the environment and `.env` (python-dotenv).

Scripts call `python -m neurotriage.config env` to get the settings as shell exports (defaults filled in, so
endpoints.yml and credentials.yml can name them), `python -m neurotriage.config credentials` to write the Rasa
server's credentials and endpoints files (.run/) with the messaging channels whose secrets are set and the lock store, and `python -m neurotriage.config check`
before start-up, which stops with one sentence naming the setting that is wrong instead of a traceback.
"""
from __future__ import annotations

import os
import secrets
import shlex
import socket
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = PROJECT_ROOT / ".run"
PLACEHOLDER_TOKEN = "change-me"
# Secrets that `init-env` generates on a fresh machine (and adds to an older .env that lacks them).
GENERATED_SECRETS = ("RASA_API_TOKEN", "STAFF_TOKEN", "ACTION_SERVER_SECRET")


@dataclass(frozen=True)
class MessagingChannel:
    """A messaging app Rasa can serve: on when all its required variables are set, off when none are."""
    name: str
    credentials_key: str  # the channel's entry in credentials.yml
    required: Tuple[Tuple[str, str], ...]  # (credentials field, environment variable)
    optional: Tuple[Tuple[str, str], ...] = ()

    @property
    def variables(self) -> Tuple[str, ...]:
        return tuple(variable for _, variable in self.required + self.optional)


MESSAGING_CHANNELS = (
    # The classes in neurotriage/channels.py keep a conversation when a reply cannot be delivered.
    MessagingChannel("telegram", "neurotriage.channels.TelegramInput", (("access_token", "TELEGRAM_ACCESS_TOKEN"), ("verify", "TELEGRAM_BOT_NAME"),
                                              ("webhook_url", "TELEGRAM_WEBHOOK_URL"))),
    MessagingChannel("slack", "neurotriage.channels.SlackInput", (("slack_token", "SLACK_BOT_TOKEN"), ("slack_signing_secret", "SLACK_SIGNING_SECRET")),
                     (("slack_channel", "SLACK_CHANNEL"),)),
    MessagingChannel("facebook", "neurotriage.channels.FacebookInput", (("verify", "FACEBOOK_VERIFY_TOKEN"), ("secret", "FACEBOOK_APP_SECRET"),
                                              ("page-access-token", "FACEBOOK_PAGE_ACCESS_TOKEN"))),
    # Rasa's Twilio channel trusts any caller; this one also checks Twilio's signature.
    MessagingChannel("twilio", "neurotriage.channels.TwilioInput",
                     (("account_sid", "TWILIO_ACCOUNT_SID"), ("auth_token", "TWILIO_AUTH_TOKEN"),
                      ("twilio_number", "TWILIO_NUMBER"), ("webhook_url", "TWILIO_WEBHOOK_URL"))),
)


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
    web_host: str
    rasa_socket_url: Optional[str]  # None: the page uses http(s)://<its own host>:RASA_PORT
    staff_host: str
    staff_port: int
    staff_token: Optional[str]  # None: the staff view does not start
    channel_secrets: Mapping[str, str]  # variables of the messaging channels that are on
    lock_store_url: Optional[str]  # redis://[:password@]host[:port][/db]; None: Rasa's in-memory lock store
    action_server_host: str
    action_server_workers: int
    action_server_secret: str  # Rasa sends it on every action call; the action server refuses calls without it
    rate_limit_messages: int  # per sender and channel, within rate_limit_window_seconds
    rate_limit_window_seconds: int
    retention_days: int  # conversations and records older than this are removed by `python -m neurotriage.privacy purge`

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def enabled_channels(self) -> List[MessagingChannel]:
        return [channel for channel in MESSAGING_CHANNELS if channel.required[0][1] in self.channel_secrets]

    def as_environment(self) -> Dict[str, str]:
        """The settings under the names that .env, endpoints.yml, credentials and the scripts use."""
        values = {field.name.upper(): getattr(self, field.name) for field in fields(self) if field.name != "channel_secrets"}
        values.update(self.channel_secrets)
        if self.lock_store_url and urlsplit(self.lock_store_url).password:
            values["LOCK_STORE_PASSWORD"] = urlsplit(self.lock_store_url).password
        return {key: str(value) for key, value in values.items() if value is not None}

    def endpoints(self, base: Mapping[str, object]) -> Dict[str, object]:
        """endpoints.yml for Rasa, with a Redis lock store when LOCK_STORE_URL is set. Several Rasa processes that
        share a tracker store need it, so two turns of one conversation are never processed at the same time."""
        result = dict(base)
        if self.lock_store_url:
            parts = urlsplit(self.lock_store_url)
            lock_store: Dict[str, object] = {"type": "redis", "url": parts.hostname, "port": parts.port or 6379,
                                             "db": int(parts.path.strip("/") or 0), "key_prefix": "neurotriage"}
            if parts.password:
                lock_store["password"] = "${LOCK_STORE_PASSWORD}"
            result["lock_store"] = lock_store
        return result

    def credentials(self, base: Mapping[str, object]) -> Dict[str, object]:
        """credentials.yml for Rasa: the base channels plus each messaging channel that is on. Secrets stay
        ${VARIABLE} references, which Rasa fills in from its environment, so no secret is written to disk."""
        result = dict(base)
        for channel in self.enabled_channels:
            result[channel.credentials_key] = {field: f"${{{variable}}}" for field, variable
                                               in channel.required + channel.optional if variable in self.channel_secrets}
        return result


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
    "WEB_HOST": "127.0.0.1",
    "STAFF_HOST": "127.0.0.1",
    "STAFF_PORT": "8090",
    "ACTION_SERVER_HOST": "127.0.0.1",
    "ACTION_SERVER_WORKERS": "1",
    "RATE_LIMIT_MESSAGES": "60",
    "RATE_LIMIT_WINDOW_SECONDS": "60",
    "RETENTION_DAYS": "365",
}


_OTHER_KEYS = {"RASA_API_TOKEN", "ACTION_SERVER_URL", "RASA_SOCKET_URL", "STAFF_TOKEN", "LOCK_STORE_URL",
               "ACTION_SERVER_SECRET"}
_CHANNEL_KEYS = {variable for channel in MESSAGING_CHANNELS for variable in channel.variables}


def _raw_values(env_file: Optional[Path], environ: Mapping[str, str]) -> Dict[str, str]:
    """The process environment wins over .env, so CI and tests can override one setting. Empty means unset."""
    values: Dict[str, str] = {}
    if env_file is not None and env_file.exists():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update({k: v for k, v in environ.items() if k in DEFAULTS or k in _OTHER_KEYS or k in _CHANNEL_KEYS})
    return {k: v.strip() for k, v in values.items() if v.strip()}


def _channel_secrets(values: Dict[str, str]) -> Dict[str, str]:
    secrets_found: Dict[str, str] = {}
    for channel in MESSAGING_CHANNELS:
        required = [variable for _, variable in channel.required]
        missing = [variable for variable in required if variable not in values]
        if len(missing) == len(required):
            continue
        if missing:
            raise SettingsError(f"The {channel.name} channel is half configured: set {', '.join(missing)} as well "
                                f"(or remove {', '.join(v for v in required if v not in missing)}) in .env.")
        secrets_found.update({variable: values[variable] for variable in channel.variables if variable in values})
    return secrets_found


def _redis_url(values: Dict[str, str]) -> Optional[str]:
    url = values.get("LOCK_STORE_URL")
    if url and (urlsplit(url).scheme != "redis" or not urlsplit(url).hostname):
        raise SettingsError(f"LOCK_STORE_URL must look like redis://host:6379/0, but it is '{url}'.")
    return url


def _http_url(values: Dict[str, str], name: str) -> Optional[str]:
    url = values.get(name)
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise SettingsError(f"{name} must start with http:// or https://, but it is '{url}'.")
    return url


def _whole_number(values: Dict[str, str], name: str, lowest: int, highest: int) -> int:
    raw = values.get(name) or DEFAULTS[name]
    if not raw.isdigit() or not lowest <= int(raw) <= highest:
        raise SettingsError(f"{name} must be a whole number from {lowest} to {highest}, but it is '{raw}'.")
    return int(raw)


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


def load_settings(env_file: Optional[Path] = PROJECT_ROOT / ".env", environ: Mapping[str, str] = os.environ) -> Settings:
    values = _raw_values(env_file, environ)
    token = values.get("RASA_API_TOKEN") or ""
    if not token:
        raise SettingsError("RASA_API_TOKEN is not set: put a long random value in .env (see .env.example).")
    if token == PLACEHOLDER_TOKEN:
        raise SettingsError("RASA_API_TOKEN still has the example value: replace it in .env with a long random value.")
    rasa_port = _port(values, "RASA_PORT")
    action_port = _port(values, "ACTION_SERVER_PORT")
    web_port = _port(values, "WEB_PORT")
    staff_port = _port(values, "STAFF_PORT")
    if len({rasa_port, action_port, web_port, staff_port}) < 4:
        raise SettingsError("RASA_PORT, ACTION_SERVER_PORT, WEB_PORT and STAFF_PORT must be four different ports.")
    action_secret = values.get("ACTION_SERVER_SECRET") or ""
    if len(action_secret) < 16 or action_secret == PLACEHOLDER_TOKEN:
        raise SettingsError("ACTION_SERVER_SECRET must be a random value of at least 16 characters (make run writes one "
                            "into .env).")
    staff_token = values.get("STAFF_TOKEN")
    if staff_token in (PLACEHOLDER_TOKEN, token):
        raise SettingsError("STAFF_TOKEN must be its own long random value, not the example value or RASA_API_TOKEN.")
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
        web_host=values.get("WEB_HOST") or DEFAULTS["WEB_HOST"],
        rasa_socket_url=_http_url(values, "RASA_SOCKET_URL"),
        staff_host=values.get("STAFF_HOST") or DEFAULTS["STAFF_HOST"],
        staff_port=staff_port,
        staff_token=staff_token,
        channel_secrets=_channel_secrets(values),
        lock_store_url=_redis_url(values),
        action_server_host=values.get("ACTION_SERVER_HOST") or DEFAULTS["ACTION_SERVER_HOST"],
        action_server_workers=_whole_number(values, "ACTION_SERVER_WORKERS", 1, 32),
        action_server_secret=action_secret,
        rate_limit_messages=_whole_number(values, "RATE_LIMIT_MESSAGES", 1, 10_000),
        rate_limit_window_seconds=_whole_number(values, "RATE_LIMIT_WINDOW_SECONDS", 1, 86_400),
        retention_days=_whole_number(values, "RETENTION_DAYS", 1, 36_500),
    )


def ensure_env_file(env_file: Path = PROJECT_ROOT / ".env", example: Path = PROJECT_ROOT / ".env.example") -> List[str]:
    """On a fresh machine, write .env from .env.example with newly generated secrets; to an existing .env, add
    any generated secret it lacks. Returns the names of the secrets generated."""
    generated: List[str] = []
    if not env_file.exists():
        lines = []
        for line in example.read_text().splitlines():
            name = line.split("=", 1)[0]
            if name in GENERATED_SECRETS:
                line = f"{name}={secrets.token_urlsafe(32)}"
                generated.append(name)
            lines.append(line)
        env_file.write_text("\n".join(lines) + "\n")
        env_file.chmod(0o600)
        return generated
    present = dotenv_values(env_file)
    missing = [name for name in GENERATED_SECRETS if not present.get(name)]
    if missing:
        text = env_file.read_text()
        additions = "".join(f"{name}={secrets.token_urlsafe(32)}\n" for name in missing)
        env_file.write_text(text + ("" if text.endswith("\n") or not text else "\n") + additions)
    return missing


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


def _check_redis(name: str, url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except Exception as error:  # refused, timed out, wrong password: the operator fixes the URL either way
        raise SettingsError(f"{name} cannot be reached ({type(error).__name__}): check the address and password in .env.") from None


def check(settings: Settings, ports: Iterable[str] = ()) -> None:
    """Start-up checks. `ports` names the servers about to start, whose ports must be free."""
    _check_database("DATABASE_URL", settings.database_url)
    _check_database("TRACKER_STORE_URL", settings.tracker_store_url)
    _check_database("RECORDS_DATABASE_URL", settings.records_database_url)
    if settings.lock_store_url:
        _check_redis("LOCK_STORE_URL", settings.lock_store_url)
    port_settings = {"rasa": ("RASA_PORT", settings.rasa_port), "actions": ("ACTION_SERVER_PORT", settings.action_server_port),
                     "web": ("WEB_PORT", settings.web_port), "staff": ("STAFF_PORT", settings.staff_port)}
    for server in ports:
        name, port = port_settings[server]
        _check_port_free(name, "127.0.0.1", port)


def _write_completed(base: Path, out: Path, complete: Callable[[Mapping[str, object]], Dict[str, object]]) -> Path:
    """Writes the committed Rasa file `base`, completed from the settings, to `out`."""
    import yaml

    out.parent.mkdir(parents=True, exist_ok=True)
    heading = f"# Written by `python -m neurotriage.config credentials` from {base.name} and .env; do not edit.\n"
    out.write_text(heading + yaml.safe_dump(complete(yaml.safe_load(base.read_text()) or {}), sort_keys=False))
    return out


def write_credentials(settings: Settings, base: Path = PROJECT_ROOT / "credentials.yml",
                      out: Path = RUN_DIR / "credentials.yml") -> Path:
    """The credentials file the Rasa server starts with: credentials.yml plus the messaging channels that are on."""
    return _write_completed(base, out, settings.credentials)


def write_endpoints(settings: Settings, base: Path = PROJECT_ROOT / "endpoints.yml",
                    out: Path = RUN_DIR / "endpoints.yml") -> Path:
    """The endpoints file the Rasa server starts with: endpoints.yml plus the Redis lock store when one is set."""
    return _write_completed(base, out, settings.endpoints)


def main(argv: List[str]) -> int:
    command = argv[0] if argv else "check"
    try:
        if command == "init-env":
            generated = ensure_env_file()
            if generated:
                print(f"Wrote new random {' and '.join(generated)} to .env.")
            return 0
        settings = load_settings()
        if command == "env":
            for key, value in settings.as_environment().items():
                print(f"export {key}={shlex.quote(value)}")
        elif command == "check":
            check(settings, ports=argv[1:])
        elif command == "credentials":
            out_dir = Path(argv[1]) if len(argv) > 1 else RUN_DIR
            write_credentials(settings, out=out_dir / "credentials.yml")
            write_endpoints(settings, out=out_dir / "endpoints.yml")
        else:
            print(f"unknown command '{command}': use init-env, env, credentials [DIR] or check [rasa] [actions] [web] [staff]",
                  file=sys.stderr)
            return 2
    except SettingsError as error:
        print(f"Configuration problem: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
