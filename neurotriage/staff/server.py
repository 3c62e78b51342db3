"""The staff web view: `python -m neurotriage.staff` (standard library HTTP server, no scripts on the pages).

Routes (all under /staff; everything but the health check, the stylesheet and sign-in needs STAFF_TOKEN):
  GET  /staff/                        triage summaries, newest first; ?level=..&from=YYYY-MM-DD&to=YYYY-MM-DD
  GET  /staff/summaries/<id>          one summary, readable, with the stored JSON
  GET  /staff/summaries/<id>.json     the stored JSON alone, for scripts
  GET  /staff/requests                consultation requests, newest first
  GET  /staff/export.csv              the filtered summaries as CSV (same filters and columns as the staff command)
  GET  /staff/login, POST /staff/login, POST /staff/logout
  GET  /staff/healthz                 "ok", without sign-in

Scripts send `Authorization: Bearer <STAFF_TOKEN>`; browsers sign in once with the token and get a session cookie.
Pages redirect to the sign-in form when not signed in; the CSV and JSON answers say 401 instead.
The server speaks plain HTTP: outside the clinic's own machine, put it behind a TLS reverse proxy that sets
X-Forwarded-Proto (the session cookie is then marked Secure) and passes the Host header through.
"""
from __future__ import annotations

import io
import json
import logging
import sys
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union
from urllib.parse import parse_qs, unquote, urlsplit

from neurotriage.config import Settings, SettingsError, load_settings
from neurotriage.records.export import write_summaries_csv
from neurotriage.records.store import RecordsStore
from neurotriage.staff import pages
from neurotriage.staff.auth import (FORM_COOKIE, SESSION_COOKIE, FailedSignInLimiter, Session, SessionStore,
                                    bearer_token, cookie_header, looks_issued, new_secret, tokens_match)
from neurotriage.staff.filters import BadFilter, SummaryFilter, parse_summary_filter

logger = logging.getLogger("neurotriage.staff")

STYLESHEET = Path(__file__).resolve().parent / "static" / "staff.css"
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
HTML = "text/html; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"
MIN_TOKEN_LENGTH = 16
MAX_FORM_BYTES = 4096
FORM_COOKIE_SECONDS = 2 * 3600
SUMMARY_PREFIX = "/staff/summaries/"
UNAUTHORIZED_HEADER = ("WWW-Authenticate", 'Bearer realm="NeuroTriage staff"')


@dataclass(frozen=True)
class StaffParams:
    host: str
    port: int
    token: Optional[str]
    session_hours: float = 8
    login_attempts: int = 10  # failed sign-ins allowed per client address within the window
    login_window_seconds: int = 300

    @classmethod
    def from_settings(cls, settings: Settings) -> "StaffParams":
        return cls(host=settings.staff_host, port=settings.staff_port, token=settings.staff_token)

    def validate(self) -> None:
        if not self.token:
            raise SettingsError("STAFF_TOKEN is not set: put a long random value in .env "
                                "(`python -m neurotriage.config init-env` adds one) and start the staff view again.")
        if len(self.token) < MIN_TOKEN_LENGTH:
            raise SettingsError(f"STAFF_TOKEN is too short: use at least {MIN_TOKEN_LENGTH} random characters in .env.")


# --- requests and responses ---------------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: Dict[str, str]  # names in lower case
    client: str
    body: bytes = b""

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    @property
    def secure(self) -> bool:
        forwarded = (self.header("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
        return forwarded == "https"

    def cookie(self, name: str) -> Optional[str]:
        """Read by hand: SimpleCookie gives up on the whole header when another site on this host name set a
        cookie it cannot parse, which would sign staff out. Our own values are plain URL-safe text."""
        for part in (self.header("Cookie") or "").split(";"):
            key, separator, value = part.strip().partition("=")
            if separator and key == name:
                return value.strip()
        return None

    def form(self) -> Dict[str, List[str]]:
        try:
            return parse_qs(self.body.decode("utf-8", "replace"), max_num_fields=10)
        except ValueError:
            return {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: List[Tuple[str, str]] = field(default_factory=list)
    cache: str = "no-store"  # pages carry patient data; only the stylesheet may be kept


def plain(status: int, sentence: str, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(status, (sentence + "\n").encode("utf-8"), PLAIN, headers or [])


def redirect(location: str, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(HTTPStatus.SEE_OTHER, b"", PLAIN, [("Location", location), *(headers or [])])


def method_not_allowed(*allowed: str) -> Response:
    return plain(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed.", [("Allow", ", ".join(allowed))])


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site. Browsers send "Origin: null" under our
    no-referrer policy, so a missing or null origin passes here and the paired form token decides."""
    host = (request.header("Host") or "").strip().lower()
    origin = request.header("Origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc.lower() == host
    referer = request.header("Referer")
    if referer:
        return urlsplit(referer).netloc.lower() == host
    return True


# --- the application ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    session: Optional[Session]  # None when the request carried a bearer token

    @property
    def sign_out_token(self) -> Optional[str]:
        return self.session.form_token if self.session else None


class StaffApp:
    """Turns a Request into a Response; holds the sessions and the failed sign-in counts."""

    def __init__(self, params: StaffParams, store: RecordsStore) -> None:
        self.params = params
        self.store = store
        self.sessions = SessionStore(lifetime=int(params.session_hours * 3600))
        self.limiter = FailedSignInLimiter(limit=params.login_attempts, window=params.login_window_seconds)

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except Exception as error:  # an answer for the browser; the log gets the kind and place, not the data
            frame = traceback.extract_tb(error.__traceback__)[-1]
            logger.error("%s %s failed with %s at %s:%s", request.method, request.path, type(error).__name__,
                         Path(frame.filename).name, frame.lineno)
            return plain(HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong on the server; the error is logged.")

    def _route(self, request: Request) -> Response:
        path = request.path
        if path in ("/", "/staff"):
            return redirect("/staff/")
        if path == "/staff/healthz":
            return self._get_only(request) or plain(HTTPStatus.OK, "ok")
        if path == "/staff/static/staff.css":
            return self._get_only(request) or self._stylesheet()
        if path == "/staff/login":
            return self._login(request)
        if path == "/staff/logout":
            return self._logout(request) if request.method == "POST" else method_not_allowed("POST")
        if path == "/staff/":
            return self._protected(request, "page", self._summaries)
        if path == "/staff/requests":
            return self._protected(request, "page", self._requests)
        if path == "/staff/export.csv":
            return self._protected(request, "data", self._export)
        if path.startswith(SUMMARY_PREFIX) and "/" not in path[len(SUMMARY_PREFIX):]:
            return self._summary_route(request, unquote(path[len(SUMMARY_PREFIX):]))
        return plain(HTTPStatus.NOT_FOUND, "Not found.")

    @staticmethod
    def _get_only(request: Request) -> Optional[Response]:
        return None if request.method in ("GET", "HEAD") else method_not_allowed("GET", "HEAD")

    def _stylesheet(self) -> Response:
        if not STYLESHEET.is_file():
            return plain(HTTPStatus.NOT_FOUND, "Not found.")
        return Response(HTTPStatus.OK, STYLESHEET.read_bytes(), "text/css; charset=utf-8", cache="no-cache")

    # --- access ---

    def _protected(self, request: Request, kind: str, answer) -> Response:
        """Runs `answer(request, access)` for signed-in staff; `kind` "page" redirects strangers to the
        sign-in form, "data" (CSV, JSON) answers 401."""
        refusal = self._get_only(request)
        if refusal:
            return refusal
        access = self._authorize(request, kind)
        return access if isinstance(access, Response) else answer(request, access)

    def _authorize(self, request: Request, kind: str) -> Union[Access, Response]:
        authorization = request.header("Authorization")
        if authorization is not None:
            return self._check_bearer(request, authorization)
        session = self.sessions.get(request.cookie(SESSION_COOKIE))
        if session is not None:
            return Access(session)
        if kind == "page":
            return redirect("/staff/login")
        return plain(HTTPStatus.UNAUTHORIZED, "Sign-in needed: send the header Authorization: Bearer <STAFF_TOKEN>.",
                     [UNAUTHORIZED_HEADER])

    def _check_bearer(self, request: Request, authorization: str) -> Union[Access, Response]:
        wait = self.limiter.retry_after(request.client)
        if wait:
            return plain(HTTPStatus.TOO_MANY_REQUESTS, "Too many wrong tokens from this address; try again later.",
                         [("Retry-After", str(wait))])
        if tokens_match(bearer_token(authorization), self.params.token):
            return Access(session=None)
        self.limiter.record_failure(request.client)
        return plain(HTTPStatus.UNAUTHORIZED, "The bearer token is not correct.",
                     [('WWW-Authenticate', 'Bearer realm="NeuroTriage staff", error="invalid_token"')])

    # --- sign-in and sign-out ---

    def _login(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            if self.sessions.get(request.cookie(SESSION_COOKIE)):
                return redirect("/staff/")
            signed_out = "signed_out" in parse_qs(request.query, keep_blank_values=True)
            return self._login_form(request, HTTPStatus.OK, "You have signed out." if signed_out else None, "info")
        if request.method != "POST":
            return method_not_allowed("GET", "HEAD", "POST")
        return self._attempt_login(request)

    def _attempt_login(self, request: Request) -> Response:
        wait = self.limiter.retry_after(request.client)
        if wait:
            minutes = max(1, round(wait / 60))
            return self._login_form(request, HTTPStatus.TOO_MANY_REQUESTS,
                                    f"Too many failed sign-ins from this address. Try again in about {minutes} "
                                    f"minute{'s' if minutes != 1 else ''}.", headers=[("Retry-After", str(wait))])
        form = request.form()
        if not self._genuine_login_form(request, form):
            return self._login_form(request, HTTPStatus.FORBIDDEN, "This sign-in form has expired or was sent from "
                                    "another site. Please enter the token again.")
        if not tokens_match((form.get("token") or [""])[0], self.params.token):
            self.limiter.record_failure(request.client)
            return self._login_form(request, HTTPStatus.UNAUTHORIZED,
                                    "That staff token is not correct. Check it and try again.",
                                    headers=[UNAUTHORIZED_HEADER])
        self.limiter.clear(request.client)
        session = self.sessions.create()
        return redirect("/staff/", [
            ("Set-Cookie", cookie_header(SESSION_COOKIE, session.id, self.sessions.lifetime, request.secure)),
            ("Set-Cookie", cookie_header(FORM_COOKIE, "", 0, request.secure)),
        ])

    def _genuine_login_form(self, request: Request, form: Dict[str, List[str]]) -> bool:
        """The form must come from this site and carry the token paired with this browser's form cookie."""
        paired = request.cookie(FORM_COOKIE)
        submitted = (form.get("form_token") or [None])[0]
        return same_origin(request) and looks_issued(paired) and tokens_match(submitted, paired)

    def _login_form(self, request: Request, status: int, message: Optional[str], kind: str = "error",
                    headers: Optional[List[Tuple[str, str]]] = None) -> Response:
        form_token = request.cookie(FORM_COOKIE)
        if not looks_issued(form_token):
            form_token = new_secret()
        cookie = ("Set-Cookie", cookie_header(FORM_COOKIE, form_token, FORM_COOKIE_SECONDS, request.secure))
        return Response(status, pages.login_page(form_token, message, kind), HTML, [cookie, *(headers or [])])

    def _logout(self, request: Request) -> Response:
        clear_session = ("Set-Cookie", cookie_header(SESSION_COOKIE, "", 0, request.secure))
        session = self.sessions.get(request.cookie(SESSION_COOKIE))
        if session is None:
            return redirect("/staff/login", [clear_session])
        submitted = (request.form().get("form_token") or [None])[0]
        if not (same_origin(request) and tokens_match(submitted, session.form_token)):
            return Response(HTTPStatus.FORBIDDEN, pages.message_page(
                "Not signed out", "The sign-out request did not come from this site's own button.",
                sign_out_token=session.form_token))
        self.sessions.end(session.id)
        return redirect("/staff/login?signed_out=1", [clear_session])

    # --- pages ---

    def _filter(self, request: Request) -> SummaryFilter:
        try:
            query = parse_qs(request.query, keep_blank_values=True, max_num_fields=20)
        except ValueError:
            raise BadFilter("The address has too many filter values.") from None
        return parse_summary_filter(query)

    def _filtered_rows(self, chosen: SummaryFilter) -> List[dict]:
        return self.store.summaries(triage_level=chosen.level, since=chosen.since, until=chosen.until)

    def _summaries(self, request: Request, access: Access) -> Response:
        try:
            chosen = self._filter(request)
        except BadFilter as problem:
            return Response(HTTPStatus.BAD_REQUEST, pages.message_page(
                "Filter not understood", str(problem), back_label="Show all summaries",
                sign_out_token=access.sign_out_token))
        rows = self._filtered_rows(chosen)
        return Response(HTTPStatus.OK, pages.summaries_page(rows, chosen, access.sign_out_token))

    def _requests(self, request: Request, access: Access) -> Response:
        return Response(HTTPStatus.OK, pages.requests_page(self.store.consultation_requests(), access.sign_out_token))

    def _export(self, request: Request, access: Access) -> Response:
        try:
            chosen = self._filter(request)
        except BadFilter as problem:
            return plain(HTTPStatus.BAD_REQUEST, str(problem))
        buffer = io.StringIO(newline="")
        write_summaries_csv(self.store, self._filtered_rows(chosen), buffer)
        disposition = f'attachment; filename="triage-summaries{chosen.file_suffix()}.csv"'
        return Response(HTTPStatus.OK, buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8",
                        [("Content-Disposition", disposition)])

    def _summary_route(self, request: Request, name: str) -> Response:
        as_json = name.endswith(".json")
        summary_id = name[:-len(".json")] if as_json else name
        return self._protected(request, "data" if as_json else "page",
                               lambda request, access: self._summary(summary_id, as_json, access))

    def _summary(self, summary_id: str, as_json: bool, access: Access) -> Response:
        summary = self.store.summary(summary_id) if summary_id else None
        if summary is None:
            if as_json:
                return plain(HTTPStatus.NOT_FOUND, "There is no triage summary with this id.")
            return Response(HTTPStatus.NOT_FOUND, pages.message_page(
                "Summary not found", "There is no triage summary with this id; it may have been deleted.",
                sign_out_token=access.sign_out_token))
        if as_json:
            return Response(HTTPStatus.OK, json.dumps(summary, indent=2).encode("utf-8"), "application/json")
        return Response(HTTPStatus.OK, pages.summary_page(summary, access.sign_out_token))


# --- HTTP ---------------------------------------------------------------------------------------------------

class StaffRequestHandler(BaseHTTPRequestHandler):
    server_version = "NeuroTriageStaff"
    sys_version = ""
    timeout = 30  # a client that stops sending cannot hold a thread for ever
    app: StaffApp

    def version_string(self) -> str:
        return self.server_version

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        request = Request(method=self.command, path=parts.path, query=parts.query,
                          headers={name.lower(): value for name, value in self.headers.items()},
                          client=self.client_address[0])
        if self.command == "POST":
            problem = self._read_body(request)
            if problem is not None:
                self._write(problem)
                return
        self._write(self.app.handle(request))

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve  # noqa: N815

    def _read_body(self, request: Request) -> Optional[Response]:
        raw_length = self.headers.get("Content-Length")
        if raw_length is None or not raw_length.strip().isdigit():
            return plain(HTTPStatus.LENGTH_REQUIRED, "A form needs a Content-Length header.")
        length = int(raw_length)
        if length > MAX_FORM_BYTES:
            self.close_connection = True  # the unread body must not be taken for the next request
            return plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The form is too large.")
        request.body = self.rfile.read(length)
        return None

    def _write(self, response: Response) -> None:
        # http.server answers a request line it cannot read as HTTP/0.9, i.e. without headers; no browser speaks
        # 0.9, and every answer must carry the security headers.
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        try:
            self.send_response(response.status)
            headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body))),
                       ("Cache-Control", response.cache), ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                       ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                       ("X-Frame-Options", "DENY"), *response.headers]
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """Malformed requests get the same security headers as everything else, and no echo of what was sent."""
        self.close_connection = True
        self._write(plain(code, HTTPStatus(code).phrase + "."))

    def log_request(self, code: object = "-", size: object = "-") -> None:
        # The path only: query strings carry filters and patient-related searches, which stay out of the log.
        path = urlsplit(getattr(self, "path", "") or "").path
        logger.info("%s %s %s %s", self.client_address[0], getattr(self, "command", None) or "-", path or "-",
                    getattr(code, "value", code))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        logger.warning("%s %s", self.client_address[0], format % args)


def make_server(settings_or_params: Union[Settings, StaffParams], store: RecordsStore) -> ThreadingHTTPServer:
    """A server bound to the configured address (port 0 picks a free one, for tests); not yet serving.
    Its StaffApp is `server.staff_app`. Raises SettingsError with one sentence when it cannot start."""
    params = (StaffParams.from_settings(settings_or_params) if isinstance(settings_or_params, Settings)
              else settings_or_params)
    params.validate()
    app = StaffApp(params, store)
    handler = type("ConfiguredStaffHandler", (StaffRequestHandler,), {"app": app})
    try:
        server = ThreadingHTTPServer((params.host, params.port), handler)
    except OSError as error:
        raise SettingsError(f"STAFF_PORT={params.port} cannot be used on {params.host} ({error.strerror or error}): "
                            "stop the other program or choose another port in .env.") from None
    server.daemon_threads = True
    server.staff_app = app
    return server


def open_store(database_url: str) -> RecordsStore:
    try:
        return RecordsStore(database_url)
    except Exception as error:  # any driver or file error means the same thing to the operator
        raise SettingsError(f"RECORDS_DATABASE_URL cannot be opened ({type(error).__name__}): "
                            "check the address in .env.") from None


def _configure_logging(level_name: str) -> None:
    level = logging.getLevelName(level_name)
    logging.basicConfig(level=level if isinstance(level, int) else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


def main() -> int:
    try:
        settings = load_settings()
        _configure_logging(settings.log_level)
        params = StaffParams.from_settings(settings)
        params.validate()
        server = make_server(params, open_store(settings.records_database_url))
    except SettingsError as error:
        print(f"Configuration problem: {error}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"Staff view on http://{host}:{port}/staff/ (sign in with STAFF_TOKEN; Ctrl-C stops it)", flush=True)
    if host not in ("127.0.0.1", "::1", "localhost"):
        print("Note: this server speaks plain HTTP; reach it from other machines only through a TLS reverse proxy.",
              flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
