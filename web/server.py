"""The clinic page server: `python -m web.server`.

Serves the page in web/ on WEB_PORT (default 8080) and tells it where the Rasa server's socket.io channel is
(RASA_PORT, default 5005, on the same host name the page was loaded from).

Routes (GET and HEAD only):
  /                         the page; the emergency number of LOCALE (UK 999, US 911, EU 112) is written into it
  /config.json              what the page's scripts need: Rasa's port and socket path, the locale's numbers
  /static/<file>            the page's own CSS and JS (web/static/)
  /vendor/rasa-webchat.js   the chat widget's built file from web/node_modules (installed by web/setup.sh),
                            served with its web-font @import removed, so nothing loads from another site
  /healthz                  "ok"

Every answer carries a Content-Security-Policy that allows scripts from this server only and connections to this
server and the Rasa server only, so a message that smuggles in HTML cannot run or load anything.

Settings come from neurotriage.config (environment, then .env, then defaults): WEB_HOST, WEB_PORT, RASA_PORT,
LOCALE (its numbers from the knowledge base) and RASA_SOCKET_URL (optional: the socket.io server's full URL when it
is not http://<page host>:RASA_PORT, e.g. behind a reverse proxy).
"""
from __future__ import annotations

import html
import json
import logging
import re
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

from neurotriage.config import Settings, SettingsError, load_settings
from neurotriage.kb.repository import KnowledgeRepository

WEB_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = WEB_DIR.parent
STATIC_DIR = WEB_DIR / "static"
PAGE_TEMPLATE = WEB_DIR / "index.html"
WIDGET_FILE = WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"

logger = logging.getLogger("web.server")

CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

# The widget's stylesheets @import a web font from a font CDN; the page uses system fonts instead.
_REMOTE_IMPORT = re.compile(r"@import url\((?:https?:)?//[^)]*\);?")
_HOST_NAME = re.compile(r"^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$|^\[[0-9A-Fa-f:.]+\]$")


class ConfigError(Exception):
    """Something the page needs is wrong or missing; the message is one sentence that says which."""


def locale_numbers(settings: Settings) -> Dict[str, str]:
    """The emergency, urgent-care and crisis contacts of LOCALE, from the knowledge base (knowledge/locales.yml)."""
    locale = KnowledgeRepository.from_url(settings.database_url).locale(settings.locale)
    if locale is None:
        raise ConfigError(f"LOCALE '{settings.locale}' is not in the knowledge base (knowledge/locales.yml).")
    return {"emergency_number": locale.emergency_number, "urgent_number": locale.urgent_number,
            "crisis_line": locale.crisis_line}


@dataclass(frozen=True)
class PageConfig:
    host: str
    port: int
    rasa_port: int
    locale: str
    numbers: Dict[str, str]
    socket_url: Optional[str] = None  # None: the page uses http(s)://<its own host>:rasa_port

    @classmethod
    def from_settings(cls, settings: Settings, numbers: Optional[Dict[str, str]] = None) -> "PageConfig":
        return cls(host=settings.web_host, port=settings.web_port, rasa_port=settings.rasa_port,
                   locale=settings.locale, numbers=numbers or locale_numbers(settings),
                   socket_url=settings.rasa_socket_url)

    def client_config(self) -> Dict[str, object]:
        """What /config.json gives the page's scripts."""
        return {
            "rasaPort": self.rasa_port,
            "socketUrl": self.socket_url,
            "socketPath": "/socket.io/",
            "locale": self.locale,
            "emergencyNumber": self.numbers["emergency_number"],
            "urgentNumber": self.numbers["urgent_number"],
            "crisisLine": self.numbers["crisis_line"],
        }

    def connect_sources(self, request_host: str) -> str:
        """CSP connect-src: this server and the Rasa server (http/https for polling, ws/wss for the websocket)."""
        if self.socket_url:
            parts = urlsplit(self.socket_url)
            secure = parts.scheme == "https"
            origins = [f"{parts.scheme}://{parts.netloc}", f"{'wss' if secure else 'ws'}://{parts.netloc}"]
        else:
            name = request_host if _HOST_NAME.match(request_host or "") else "127.0.0.1"
            netloc = f"{name}:{self.rasa_port}"
            origins = [f"http://{netloc}", f"https://{netloc}", f"ws://{netloc}", f"wss://{netloc}"]
        return " ".join(["'self'", *origins])


def content_security_policy(config: PageConfig, request_host: str) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        # The widget adds its stylesheet as <style> elements at run time, so inline styles must be allowed.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src {config.connect_sources(request_host)}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def render_page(config: PageConfig, template: Path = PAGE_TEMPLATE) -> bytes:
    """The page with the locale's numbers written in (escaped), so the emergency notice shows even without scripts."""
    text = template.read_text(encoding="utf-8")
    replacements = {
        "{{EMERGENCY_NUMBER}}": config.numbers["emergency_number"],
        "{{URGENT_NUMBER}}": config.numbers["urgent_number"],
        "{{CRISIS_LINE}}": config.numbers["crisis_line"],
        "{{LOCALE}}": config.locale,
    }
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, html.escape(value, quote=True))
    return text.encode("utf-8")


class WidgetFile:
    """The widget's built file without remote @imports, re-read when the installed file changes."""

    def __init__(self, path: Path = WIDGET_FILE):
        self.path = path
        self._cache: Tuple[float, bytes] = (-1.0, b"")

    def exists(self) -> bool:
        return self.path.is_file()

    def read(self) -> bytes:
        mtime = self.path.stat().st_mtime
        if self._cache[0] != mtime:
            text = self.path.read_text(encoding="utf-8")
            self._cache = (mtime, _REMOTE_IMPORT.sub("", text).encode("utf-8"))
        return self._cache[1]


class PageHandler(BaseHTTPRequestHandler):
    server_version = "NeuroTriageWeb"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version
    config: PageConfig
    widget: WidgetFile

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _not_allowed(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"method not allowed\n", "text/plain; charset=utf-8",
                   extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed  # noqa: N815

    def _answer(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        try:
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, render_page(self.config), "text/html; charset=utf-8", send_body=send_body)
            elif path == "/config.json":
                body = json.dumps(self.config.client_config()).encode("utf-8")
                self._send(HTTPStatus.OK, body, "application/json", send_body=send_body)
            elif path == "/healthz":
                self._send(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8", send_body=send_body)
            elif path == "/vendor/rasa-webchat.js":
                if not self.widget.exists():
                    self._send(HTTPStatus.NOT_FOUND, b"chat widget not installed: run web/setup.sh\n",
                               "text/plain; charset=utf-8", send_body=send_body)
                else:
                    self._send(HTTPStatus.OK, self.widget.read(), CONTENT_TYPES[".js"], send_body=send_body,
                               cache="public, max-age=3600")
            elif path.startswith("/static/"):
                self._static(path[len("/static/"):], send_body)
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", send_body=send_body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _static(self, name: str, send_body: bool) -> None:
        file = (STATIC_DIR / name).resolve()
        content_type = CONTENT_TYPES.get(file.suffix)
        if STATIC_DIR.resolve() not in file.parents or content_type is None or not file.is_file():
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", send_body=send_body)
            return
        self._send(HTTPStatus.OK, file.read_bytes(), content_type, send_body=send_body)

    def _request_host_name(self) -> str:
        host = (self.headers.get("Host") or "").strip()
        if host.startswith("["):
            return host.split("]", 1)[0] + "]"
        return host.rsplit(":", 1)[0] if ":" in host else host

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, send_body: bool = True,
              cache: str = "no-cache", extra: Optional[Dict[str, str]] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", content_security_policy(self.config, self._request_host_name()))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        logger.info("%s %s", self.address_string(), format % args)


def make_server(config: PageConfig, widget: Optional[WidgetFile] = None) -> ThreadingHTTPServer:
    handler = type("ConfiguredPageHandler", (PageHandler,), {"config": config, "widget": widget or WidgetFile()})
    try:
        server = ThreadingHTTPServer((config.host, config.port), handler)
    except OSError as error:
        raise ConfigError(f"WEB_PORT={config.port} cannot be used on {config.host} ({error.strerror or error}): "
                          "stop the other program or choose another port in .env.") from None
    server.daemon_threads = True
    return server


def main() -> int:
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        config = PageConfig.from_settings(settings)
        widget = WidgetFile()
        if not widget.exists():
            raise ConfigError(f"the chat widget is not installed ({WIDGET_FILE.relative_to(PROJECT_ROOT)} is missing): run web/setup.sh.")
        server = make_server(config, widget)
    except (ConfigError, SettingsError) as error:
        print(f"Configuration problem: {error}", file=sys.stderr)
        return 1
    socket_url = config.socket_url or f"http://<this host>:{config.rasa_port}"
    print(f"Clinic page on http://{config.host}:{config.port}/ (chat via socket.io at {socket_url}; "
          f"locale {config.locale}, emergency number {config.numbers['emergency_number']})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
