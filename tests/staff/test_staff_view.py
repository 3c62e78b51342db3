"""The staff web view over real HTTP: sign-in, filters, reading a summary, CSV export, escaping and headers."""
import csv
import html
import http.client
import io
import logging
import re
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from types import SimpleNamespace

import pytest

from neurotriage.records import RecordsStore
from neurotriage.records.__main__ import main as records_command
from neurotriage.staff import StaffParams, make_server
from neurotriage.staff import server as staff_server
from neurotriage.staff.auth import SessionStore

TOKEN = "staff-token-for-tests-0123456789"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
LOGIN_ATTEMPTS = 3

SOURCES = [
    {"id": "S12", "citation": "NICE CG173: Neuropathic pain in adults, pharmacological management (2020).",
     "url": "https://www.nice.org.uk/guidance/cg173"},
    {"id": "S37", "citation": "NICE CKS: Sciatica (lumbar radiculopathy), red flags.",
     "url": "https://cks.nice.org.uk/topics/sciatica-lumbar-radiculopathy/"},
]


def make_summary(conversation_id, level, created_at, reasons=None, red_flags=()):
    """A summary shaped like the contract in DESIGN.md, as the assistant stores it."""
    return {
        "conversation_id": conversation_id,
        "created_at": created_at,
        "triage_level": level,
        "reasons": reasons or ["Burning and tingling in both feet for months, with diabetes: likely neuropathic."],
        "red_flags": list(red_flags),
        "symptoms": {"present": ["burning", "pins_and_needles"], "absent": ["numbness"]},
        "conditions": ["diabetes", "glaucoma"],
        "medications": ["metformin"],
        "medication_history": [{"id": "amitriptyline", "reason": "side_effect"}],
        "unrecognised_medications": ["my blue inhaler"],
        "pain": {"locations": ["feet"], "duration": "more_than_3_months", "score": 6},
        "screening": {"instrument": "dn4_interview", "score": 4, "max_score": 7, "threshold": 3, "positive": True,
                      "answers": {"burning": "yes", "painful_cold": "no", "electric_shock": "no", "tingling": "yes",
                                  "pins_and_needles": "yes", "numbness": "no", "itching": "yes"}},
        "contraindications": [{"therapy_id": "amitriptyline", "suitability": "caution",
                               "text": "Can raise eye pressure in angle-closure glaucoma.", "severity": "high",
                               "kind": "condition", "source_ids": ["S12"], "review": "verified"}],
        "therapy_options": [
            {"id": "duloxetine", "name": "Duloxetine", "category": "medication", "guideline_line": "first",
             "suitability": "discuss", "warnings": [], "source_ids": ["S12"], "review": "verified"},
            {"id": "amitriptyline", "name": "Amitriptyline", "category": "medication", "guideline_line": "first",
             "suitability": "caution",
             "warnings": [{"text": "Can raise eye pressure in angle-closure glaucoma.", "severity": "high",
                           "kind": "condition", "source_ids": ["S12"], "review": "verified"}],
             "source_ids": ["S12"], "review": "verified"},
        ],
        "sources": SOURCES,
    }


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).isoformat()


# Times chosen around the day 2026-11-20 to test the date filter's edges.
SEED = [
    ("conv-before", "urgent", utc("2026-11-19T23:59:59")),
    ("conv-midnight", "consultation", utc("2026-11-20T00:00:00")),
    ("conv-late", "urgent", utc("2026-11-20T23:59:59")),
    ("conv-next-day", "self_care", utc("2026-11-21T00:00:00")),
    ("conv-emergency", "emergency", utc("2026-11-22T08:30:00")),
]


@pytest.fixture
def store(tmp_path):
    return RecordsStore(f"sqlite:///{tmp_path / 'records.db'}")


@pytest.fixture
def ids(store):
    """Summary ids by conversation id."""
    found = {}
    for conversation, level, when in SEED:
        red_flags = ["saddle_anaesthesia"] if level == "emergency" else []
        found[conversation] = store.save_summary(make_summary(conversation, level, when, red_flags=red_flags))
    store.request_consultation("conv-late")
    return found


@pytest.fixture
def base(store):
    params = StaffParams(host="127.0.0.1", port=0, token=TOKEN, login_attempts=LOGIN_ATTEMPTS)
    server = make_server(params, store)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def header(self, name):
        return self.headers.get(name)

    def cookies(self):
        return self.headers.get_all("Set-Cookie") or []


class Browser:
    """A minimal HTTP client that keeps cookies and never follows redirects, so each answer can be checked."""

    def __init__(self, address):
        self.address = address
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(*self.address, timeout=10)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        answer = Answer(response.status, response.headers, response.read().decode("utf-8"))
        connection.close()
        self._remember(answer)
        return answer

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, fields, headers=None):
        body = "&".join(f"{name}={value}" for name, value in fields.items())
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, body=body, headers=sent)

    def _remember(self, answer):
        for line in answer.cookies():
            jar = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def sign_in(self, token=TOKEN, headers=None):
        form_token = form_token_of(self.get("/staff/login").text)
        return self.post_form("/staff/login", {"form_token": form_token, "token": token}, headers)


def form_token_of(page):
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def bearer(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def listed_conversations(page):
    return re.findall(r"<td><code>([^<]*)</code></td>", page)


def csv_rows(text):
    return list(csv.reader(io.StringIO(text)))


# --- access ---------------------------------------------------------------------------------------------------

def test_without_credentials_pages_redirect_to_sign_in_and_data_answers_401(base, ids):
    browser = Browser(base)
    for page in ("/staff/", "/staff/requests", f"/staff/summaries/{ids['conv-late']}"):
        answer = browser.get(page)
        assert answer.status == 303 and answer.header("Location") == "/staff/login", page
    for data in ("/staff/export.csv", f"/staff/summaries/{ids['conv-late']}.json"):
        answer = browser.get(data)
        assert answer.status == 401 and answer.header("WWW-Authenticate").startswith("Bearer"), data
        assert "conv-late" not in answer.text


def test_health_check_needs_no_sign_in(base):
    answer = Browser(base).get("/staff/healthz")
    assert answer.status == 200 and answer.text.strip() == "ok"


def test_a_wrong_bearer_token_is_refused_and_the_right_one_is_accepted(base, ids):
    browser = Browser(base)
    for path in ("/staff/", "/staff/export.csv"):
        assert browser.get(path, bearer("not-the-token-at-all-000")).status == 401
    answer = browser.get("/staff/", bearer())
    assert answer.status == 200 and "conv-emergency" in answer.text
    assert "Sign out" not in answer.text  # a bearer token has no session to end
    data = browser.get(f"/staff/summaries/{ids['conv-late']}.json", bearer())
    assert data.status == 200 and '"conversation_id": "conv-late"' in data.text


def test_signing_in_with_the_form_sets_a_session_cookie_that_opens_the_pages(base, ids):
    browser = Browser(base)
    answer = browser.sign_in()
    assert answer.status == 303 and answer.header("Location") == "/staff/"
    [session_cookie] = [line for line in answer.cookies() if line.startswith("nt_staff_session=")]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/staff", "Max-Age=28800"):
        assert attribute in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP here; browsers would drop a Secure cookie
    page = browser.get("/staff/")
    assert page.status == 200 and "conv-midnight" in page.text and "Sign out" in page.text
    # A cookie another local app set, which the standard library's parser cannot read, must not sign staff out.
    session_only = f"theme={{\"dark\": true}}; nt_staff_session={browser.cookies['nt_staff_session']}"
    assert Browser(base).get("/staff/", {"Cookie": session_only}).status == 200
    assert browser.get("/staff/export.csv").status == 200


def test_the_session_cookie_is_secure_behind_an_https_proxy(base, ids):
    answer = Browser(base).sign_in(headers={"X-Forwarded-Proto": "https"})
    [session_cookie] = [line for line in answer.cookies() if line.startswith("nt_staff_session=")]
    assert "Secure" in session_cookie


def test_a_wrong_token_on_the_form_gets_401_and_the_form_again_without_echoing_it(base, ids):
    browser = Browser(base)
    answer = browser.sign_in(token="guessed-value-4711-abcdef")
    assert answer.status == 401
    assert "That staff token is not correct" in answer.text and 'name="token"' in answer.text
    assert "guessed-value-4711-abcdef" not in answer.text
    assert "nt_staff_session" not in browser.cookies
    assert browser.get("/staff/").status == 303


def test_signing_out_ends_the_session(base, ids):
    browser = Browser(base)
    browser.sign_in()
    page = browser.get("/staff/")
    stolen_cookie = dict(browser.cookies)

    forged = browser.post_form("/staff/logout", {"form_token": "x" * 43})
    assert forged.status == 403 and browser.get("/staff/").status == 200  # still signed in

    answer = browser.post_form("/staff/logout", {"form_token": form_token_of(page.text)})
    assert answer.status == 303 and answer.header("Location").startswith("/staff/login")
    assert "nt_staff_session" not in browser.cookies
    replay = Browser(base)
    replay.cookies = stolen_cookie  # the old cookie must be dead on the server too, not just forgotten
    assert replay.get("/staff/").status == 303


def test_sessions_expire():
    now = [1000.0]
    sessions = SessionStore(lifetime=60, clock=lambda: now[0])
    session = sessions.create()
    assert sessions.get(session.id) == session
    now[0] += 61
    assert sessions.get(session.id) is None


def test_failed_sign_ins_are_limited_per_address(base, ids):
    browser = Browser(base)
    for _ in range(LOGIN_ATTEMPTS):
        assert browser.sign_in(token="wrong-token-wrong-token").status == 401
    blocked = browser.sign_in()  # even the right token is refused while the address is blocked
    assert blocked.status == 429 and int(blocked.header("Retry-After")) > 0
    assert "Too many failed sign-ins" in blocked.text
    assert "nt_staff_session" not in browser.cookies
    assert browser.get("/staff/", bearer()).status == 429


def test_wrong_bearer_tokens_count_towards_the_limit(base, ids):
    browser = Browser(base)
    for _ in range(LOGIN_ATTEMPTS):
        assert browser.get("/staff/export.csv", bearer("wrong-token-wrong-token")).status == 401
    assert browser.get("/staff/export.csv", bearer()).status == 429


def test_a_sign_in_from_another_site_is_rejected(base, ids):
    browser = Browser(base)
    form_token = form_token_of(browser.get("/staff/login").text)
    cross_site = browser.post_form("/staff/login", {"form_token": form_token, "token": TOKEN},
                                   {"Origin": "https://attacker.example"})
    assert cross_site.status == 403 and "another site" in cross_site.text
    assert "nt_staff_session" not in browser.cookies

    # A page elsewhere cannot read the form token, and SameSite keeps the form cookie from being sent.
    stranger = Browser(base)
    without_pairing = stranger.post_form("/staff/login", {"form_token": form_token, "token": TOKEN},
                                         {"Origin": "null"})
    assert without_pairing.status == 403 and "nt_staff_session" not in stranger.cookies


# --- list, filters and requests -----------------------------------------------------------------------------

def test_the_list_shows_every_summary_newest_first_with_badges_and_links(base, ids):
    page = Browser(base).get("/staff/", bearer()).text
    assert listed_conversations(page) == ["conv-emergency", "conv-next-day", "conv-late", "conv-midnight",
                                          "conv-before"]
    assert "<strong>5</strong> summaries in total" in page
    assert '<span class="badge badge-emergency">Emergency</span>' in page
    assert f'href="/staff/summaries/{ids["conv-emergency"]}"' in page
    assert '<th scope="col">Level</th>' in page and "<caption>" in page


def test_filtering_by_level(base, ids):
    page = Browser(base).get("/staff/?level=urgent", bearer()).text
    assert listed_conversations(page) == ["conv-late", "conv-before"]
    assert "<strong>2</strong> summaries matching these filters" in page
    assert '<option value="urgent" selected>' in page


def test_the_date_range_includes_the_whole_to_day_and_nothing_outside(base, ids):
    browser = Browser(base)
    one_day = browser.get("/staff/?from=2026-11-20&to=2026-11-20", bearer()).text
    assert listed_conversations(one_day) == ["conv-late", "conv-midnight"]
    from_next_day = browser.get("/staff/?from=2026-11-21", bearer()).text
    assert listed_conversations(from_next_day) == ["conv-emergency", "conv-next-day"]
    up_to_the_19th = browser.get("/staff/?to=2026-11-19", bearer()).text
    assert listed_conversations(up_to_the_19th) == ["conv-before"]
    combined = browser.get("/staff/?level=urgent&from=2026-11-20&to=2026-11-21", bearer()).text
    assert listed_conversations(combined) == ["conv-late"]


@pytest.mark.parametrize("query, sentence", [
    ("level=critical", "is not a triage level"),
    ("from=2026-13-01", "must be a calendar date"),
    ("to=yesterday", "must be a calendar date"),
    ("from=2026-11-21&to=2026-11-20", "is after the 'to' date"),
    ("level=urgent&level=emergency", "give it once"),
])
def test_bad_filter_values_get_400_with_a_sentence(base, ids, query, sentence):
    browser = Browser(base)
    page = browser.get(f"/staff/?{query}", bearer())
    assert page.status == 400 and sentence in html.unescape(page.text)
    export = browser.get(f"/staff/export.csv?{query}", bearer())
    assert export.status == 400 and sentence in export.text


def test_the_last_possible_to_day_is_not_a_server_error(base, ids):
    answer = Browser(base).get("/staff/?to=9999-12-31", bearer())
    assert answer.status == 200 and len(listed_conversations(answer.text)) == 5


def test_consultation_requests_are_listed_with_a_link_to_the_summary(base, ids, store):
    store.request_consultation("no-summary-conversation")
    page = Browser(base).get("/staff/requests", bearer()).text
    assert listed_conversations(page) == ["no-summary-conversation", "conv-late"]
    assert f'href="/staff/summaries/{ids["conv-late"]}"' in page
    assert "Urgent (same day)" in page and "No summary" in page and "<td>new</td>" in page


# --- one summary ----------------------------------------------------------------------------------------------

def test_a_summary_reads_with_reasons_flags_symptoms_screening_options_and_sources(base, ids):
    page = Browser(base).get(f"/staff/summaries/{ids['conv-emergency']}", bearer())
    assert page.status == 200 and page.header("Cache-Control") == "no-store"
    text = page.text
    assert "Burning and tingling in both feet for months" in text
    assert "saddle anaesthesia" in text
    assert "pins and needles" in text and "numbness" in text
    assert "<strong>positive</strong>, score 4 of 7" in text
    assert "metformin" in text and "6 out of 10" in text
    assert "amitriptyline (side effects)" in text and "my blue inhaler" in text
    assert "Can raise eye pressure in angle-closure glaucoma." in text
    assert '<span class="suitability suitability-caution">Use with caution</span>' in text
    assert '<a href="#source-S12">S12</a>' in text and 'id="source-S12"' in text
    assert "NICE CG173: Neuropathic pain in adults" in text
    assert '<a href="https://www.nice.org.uk/guidance/cg173"' in text
    assert "<details class=\"raw\"><summary>Raw JSON as stored</summary>" in text


def test_an_unknown_summary_id_is_404(base, ids):
    browser = Browser(base)
    page = browser.get("/staff/summaries/00000000-0000-0000-0000-000000000000", bearer())
    assert page.status == 404 and "no triage summary with this id" in page.text
    assert browser.get("/staff/summaries/missing.json", bearer()).status == 404


def test_markup_stored_in_a_summary_is_shown_as_text(base, store):
    hostile = make_summary('<script>alert("id")</script>', "urgent", utc("2026-11-20T12:00:00"),
                           reasons=['Patient wrote <img src=x onerror="alert(1)"> in the chat.'])
    hostile["sources"] = [{"id": "S99", "citation": "<b>bold</b>", "url": "javascript:alert(1)"}]
    summary_id = store.save_summary(hostile)
    browser = Browser(base)
    for page in (browser.get("/staff/", bearer()).text, browser.get(f"/staff/summaries/{summary_id}", bearer()).text):
        assert "<script>" not in page and "&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;" in page
    summary = browser.get(f"/staff/summaries/{summary_id}", bearer()).text
    assert "<img" not in summary and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in summary
    assert "<b>bold</b>" not in summary and 'href="javascript:' not in summary


# --- CSV ------------------------------------------------------------------------------------------------------

def test_the_csv_export_has_the_filtered_rows_and_download_headers(base, ids):
    answer = Browser(base).get("/staff/export.csv?level=urgent&from=2026-11-20", bearer())
    assert answer.status == 200
    assert answer.header("Content-Type") == "text/csv; charset=utf-8"
    assert answer.header("Content-Disposition") == 'attachment; filename="triage-summaries-urgent-from-2026-11-20.csv"'
    assert answer.header("Cache-Control") == "no-store"
    header, *rows = csv_rows(answer.text)
    assert header == ["id", "created_at", "conversation_id", "triage_level", "reasons", "red_flags",
                      "screening_score", "therapy_options"]
    assert [row[2] for row in rows] == ["conv-late"]
    assert rows[0][0] == ids["conv-late"] and rows[0][6] == "4"
    assert rows[0][7] == "duloxetine:discuss amitriptyline:caution"


def test_the_csv_export_defuses_spreadsheet_formulas(base, store):
    store.save_summary(make_summary("@SUM(A1:A9)", "urgent", utc("2026-11-20T12:00:00"),
                                    reasons=['=HYPERLINK("http://evil.example","click")', "-2+3", "plain words"]))
    header, row = csv_rows(Browser(base).get("/staff/export.csv", bearer()).text)
    assert row[2] == "'@SUM(A1:A9)"
    assert row[4] == "'=HYPERLINK(\"http://evil.example\",\"click\") | -2+3 | plain words"


def test_the_staff_command_and_the_web_view_export_the_same_rows(base, ids, store, tmp_path, monkeypatch):
    store.save_summary(make_summary("+formula-conversation", "urgent", utc("2026-11-20T13:00:00")))
    monkeypatch.setattr("neurotriage.records.__main__.load_settings",
                        lambda: settings_stub(records_database_url=f"sqlite:///{tmp_path / 'records.db'}"))
    browser = Browser(base)
    for cli_filters, web_query in ([], ""), (["--level", "urgent", "--since", "2026-11-20", "--until", "2026-11-21"],
                                             "?level=urgent&from=2026-11-20&to=2026-11-20"):
        out = tmp_path / "cli.csv"
        assert records_command(["export-csv", "--out", str(out), *cli_filters]) == 0
        cli_rows = csv_rows(out.read_text())
        web_rows = csv_rows(browser.get(f"/staff/export.csv{web_query}", bearer()).text)
        assert cli_rows == web_rows and len(web_rows) > 1


# --- headers, logging, start-up -------------------------------------------------------------------------------

def test_every_answer_carries_the_security_headers(base, ids):
    browser = Browser(base)
    answers = {
        "login": browser.get("/staff/login"),
        "redirect": browser.get("/staff/"),
        "list": browser.get("/staff/", bearer()),
        "not found": browser.get("/staff/nothing-here", bearer()),
        "health": browser.get("/staff/healthz"),
        "stylesheet": browser.get("/staff/static/staff.css"),
        "bad method": browser.request("DELETE", "/staff/"),
    }
    for name, answer in answers.items():
        assert answer.header("Content-Security-Policy") == CSP, name
        assert answer.header("X-Content-Type-Options") == "nosniff", name
        assert answer.header("Referrer-Policy") == "no-referrer", name
    assert answers["list"].header("Cache-Control") == "no-store"
    assert answers["login"].header("Cache-Control") == "no-store"
    assert answers["stylesheet"].header("Content-Type") == "text/css; charset=utf-8"
    assert answers["bad method"].status == 405


def test_a_malformed_request_gets_400_with_the_same_headers(base):
    with socket.create_connection(base, timeout=10) as raw:
        raw.sendall(b"GET /staff/ HTTP/9.x\r\n\r\n")
        reply = raw.makefile("rb").read().decode("latin-1")
    assert reply.startswith("HTTP/1.0 400") and f"Content-Security-Policy: {CSP}" in reply
    assert "HTTP/9.x" not in reply  # what was sent is not echoed back


def test_the_log_leaves_out_query_strings(base, ids, caplog):
    with caplog.at_level(logging.INFO, logger="neurotriage.staff"):
        Browser(base).get("/staff/?level=urgent&from=2026-11-20", bearer())
    messages = [record.getMessage() for record in caplog.records if record.name == "neurotriage.staff"]
    assert any("GET /staff/ 200" in message for message in messages)
    assert not any("level=urgent" in message or "2026-11-20" in message for message in messages)


def settings_stub(**values):
    """The settings these commands read, without the rest of the clinic's configuration."""
    defaults = {"staff_host": "127.0.0.1", "staff_port": 8090, "staff_token": None, "log_level": "INFO",
                "records_database_url": "sqlite://"}
    return SimpleNamespace(**{**defaults, **values})


def settings_with(monkeypatch, **values):
    monkeypatch.setattr(staff_server, "load_settings", lambda: settings_stub(**values))


def test_main_refuses_to_start_without_a_staff_token(monkeypatch, capsys, tmp_path):
    settings_with(monkeypatch, records_database_url=f"sqlite:///{tmp_path / 'r.db'}")
    assert staff_server.main() == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("Configuration problem: STAFF_TOKEN is not set:") and error.count("\n") == 0


def test_main_refuses_a_busy_port(base, monkeypatch, capsys, tmp_path):
    settings_with(monkeypatch, staff_token=TOKEN, staff_port=base[1],
                  records_database_url=f"sqlite:///{tmp_path / 'r.db'}")
    assert staff_server.main() == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"Configuration problem: STAFF_PORT={base[1]} cannot be used") and "\n" not in error
