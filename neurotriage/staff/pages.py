"""HTML of the staff view. Every value from the records passes through `text()` (html.escape) on its way in:
summaries hold what patients typed, so nothing in them may become markup. No scripts, no inline styles."""
from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Iterable, List, Mapping, Optional, Sequence
from urllib.parse import quote, urlsplit

from neurotriage.records.export import LEVELS
from neurotriage.staff.filters import SummaryFilter

LEVEL_LABELS = {"emergency": "Emergency", "urgent": "Urgent (same day)", "consultation": "Consultation",
                "self_care": "Self-care"}
SUITABILITY_LABELS = {"discuss": "Can be discussed", "caution": "Use with caution", "not_advised": "Not advised"}
MAX_LISTED = 500  # a page this long is already hard to read; the count and the CSV still cover everything

NAV_ITEMS = (("summaries", "/staff/", "Summaries"), ("requests", "/staff/requests", "Consultation requests"))


def text(value: object) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def readable(identifier: object) -> str:
    """A canonical id such as pins_and_needles, escaped and shown as words."""
    return text(str(identifier).replace("_", " ")) if identifier is not None else ""


def as_list(value: object) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def summary_href(summary_id: str) -> str:
    return "/staff/summaries/" + quote(str(summary_id), safe="")


def timestamp(iso: object) -> str:
    """A stored ISO time as "2026-11-20 10:00 UTC" in a <time> element; unreadable values are shown as stored."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return text(iso)
    offset = moment.utcoffset()
    zone = "" if offset is None else (" UTC" if not offset else f" {moment:%z}")
    # Date and clock time each stay on one line, so a narrow column breaks between them, not inside a date.
    return (f'<time datetime="{text(iso)}"><span class="nowrap">{moment:%Y-%m-%d}</span> '
            f'<span class="nowrap">{moment:%H:%M}{zone}</span></time>')


def level_badge(level: object) -> str:
    """The level as a coloured badge whose words carry the meaning, so colour is never the only cue."""
    known = level in LEVEL_LABELS
    label = LEVEL_LABELS[level] if known else (readable(level) if level else "Not recorded")
    css = f"badge badge-{level}" if known else "badge"
    return f'<span class="{css}">{text(label) if known else label}</span>'


def bullet_list(items: Iterable[object], empty: str, show=readable) -> str:
    entries = [f"<li>{show(item)}</li>" for item in items]
    return f"<ul>{''.join(entries)}</ul>" if entries else f'<p class="muted">{text(empty)}</p>'


# --- page frame ---------------------------------------------------------------------------------------------

def layout(title: str, body: str, *, current: Optional[str] = None, signed_in: bool = True,
           sign_out_token: Optional[str] = None) -> bytes:
    """The page frame. The sign-out button appears for browser sessions (a bearer token has nothing to end)."""
    header_tools = _navigation(current) if signed_in else ""
    if sign_out_token:
        header_tools += ('<form class="sign-out" method="post" action="/staff/logout">'
                         f'<input type="hidden" name="form_token" value="{text(sign_out_token)}">'
                         '<button type="submit">Sign out</button></form>')
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{text(title)} - NeuroTriage staff</title>
<link rel="stylesheet" href="/staff/static/staff.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><div class="wrap header-row">
<p class="brand">NeuroTriage <span>staff</span></p>
{header_tools}
</div></header>
<main id="main" class="wrap" tabindex="-1">
{body}
</main>
</body>
</html>
"""
    return page.encode("utf-8")


def _navigation(current: Optional[str]) -> str:
    links = []
    for key, href, label in NAV_ITEMS:
        marker = ' aria-current="page"' if key == current else ""
        links.append(f'<li><a href="{href}"{marker}>{text(label)}</a></li>')
    return f'<nav aria-label="Staff pages"><ul>{"".join(links)}</ul></nav>'


def notice(message: Optional[str], kind: str = "error") -> str:
    if not message:
        return ""
    role = ' role="alert"' if kind == "error" else ""
    return f'<div class="notice notice-{kind}"{role}><p>{text(message)}</p></div>'


def message_page(title: str, sentence: str, *, back_href: str = "/staff/", back_label: str = "Back to the summaries",
                 signed_in: bool = True, sign_out_token: Optional[str] = None) -> bytes:
    body = f'<h1>{text(title)}</h1>{notice(sentence)}<p><a href="{text(back_href)}">{text(back_label)}</a></p>'
    return layout(title, body, signed_in=signed_in, sign_out_token=sign_out_token)


def login_page(form_token: str, message: Optional[str] = None, kind: str = "error") -> bytes:
    body = f"""<h1>Staff sign-in</h1>
{notice(message, kind)}
<form class="login" method="post" action="/staff/login">
<input type="hidden" name="form_token" value="{text(form_token)}">
<input type="text" name="username" value="staff" autocomplete="username" hidden>
<div class="field">
<label for="token">Staff token</label>
<input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" required
 aria-describedby="token-hint">
<p class="hint" id="token-hint">The STAFF_TOKEN value from the server's settings.</p>
</div>
<button type="submit">Sign in</button>
</form>"""
    return layout("Sign in", body, signed_in=False)


# --- list of summaries --------------------------------------------------------------------------------------

def summaries_page(rows: Sequence[Mapping], chosen: SummaryFilter, sign_out_token: Optional[str]) -> bytes:
    count = len(rows)
    shown = rows[:MAX_LISTED]
    noun = "summary" if count == 1 else "summaries"
    scope = "matching these filters" if chosen.active else "in total"
    export_href = "/staff/export.csv" + (f"?{chosen.query_string()}" if chosen.query_string() else "")
    more = (f'<p class="muted">Showing the newest {MAX_LISTED}; narrow the filters or download the CSV for all.</p>'
            if count > MAX_LISTED else "")
    body = f"""<h1>Triage summaries</h1>
{_filter_form(chosen)}
<p class="count"><strong>{count}</strong> {noun} {scope}.
<a href="{text(export_href)}">Download {"them" if count != 1 else "it"} as CSV</a></p>
{more}
{_summaries_table(shown) if shown else '<p class="muted">No summaries to show.</p>'}"""
    return layout("Triage summaries", body, current="summaries", sign_out_token=sign_out_token)


def _filter_form(chosen: SummaryFilter) -> str:
    options = ['<option value="">All levels</option>']
    for level in LEVELS:
        selected = " selected" if level == chosen.level else ""
        options.append(f'<option value="{level}"{selected}>{text(LEVEL_LABELS[level])}</option>')
    date_from = chosen.date_from.isoformat() if chosen.date_from else ""
    date_to = chosen.date_to.isoformat() if chosen.date_to else ""
    return f"""<form class="filters" method="get" action="/staff/" aria-labelledby="filters-heading">
<h2 id="filters-heading">Filter</h2>
<div class="filter-fields">
<div class="field"><label for="level">Triage level</label>
<select id="level" name="level">{"".join(options)}</select></div>
<div class="field"><label for="from">From (day, UTC)</label>
<input id="from" name="from" type="date" value="{text(date_from)}"></div>
<div class="field"><label for="to">To (day included, UTC)</label>
<input id="to" name="to" type="date" value="{text(date_to)}"></div>
</div>
<div class="actions"><button type="submit">Show</button> <a href="/staff/">Clear filters</a></div>
</form>"""


def _summaries_table(rows: Iterable[Mapping]) -> str:
    lines = []
    for row in rows:
        conversation = text(row.get("conversation_id"))
        lines.append(
            f'<tr><td>{timestamp(row.get("created_at"))}</td><td>{level_badge(row.get("triage_level"))}</td>'
            f'<td><code>{conversation}</code></td>'
            f'<td><a href="{text(summary_href(row["id"]))}">Read<span class="visually-hidden"> the summary of '
            f'conversation {conversation}</span></a></td></tr>')
    return _table("Triage summaries, newest first",
                  ("Time (UTC)", "Level", "Conversation", "Summary"), lines)


def _table(caption: str, headings: Sequence[str], lines: List[str]) -> str:
    """A table in a scroll box that keyboards can reach, so wide rows stay usable on a narrow screen."""
    head = "".join(f'<th scope="col">{text(heading)}</th>' for heading in headings)
    return (f'<div class="table-scroll" role="region" aria-label="{text(caption)}" tabindex="0">'
            f'<table><caption>{text(caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(lines)}</tbody></table></div>')


# --- consultation requests ----------------------------------------------------------------------------------

def requests_page(requests: Sequence[Mapping], sign_out_token: Optional[str]) -> bytes:
    lines = []
    for request in requests:
        summary_id = request.get("summary_id")
        conversation = text(request.get("conversation_id"))
        link = (f'<a href="{text(summary_href(summary_id))}">Read<span class="visually-hidden"> the summary of '
                f'conversation {conversation}</span></a>' if summary_id else '<span class="muted">No summary</span>')
        lines.append(f'<tr><td>{timestamp(request.get("created_at"))}</td>'
                     f'<td>{level_badge(request.get("triage_level"))}</td><td><code>{conversation}</code></td>'
                     f'<td>{readable(request.get("status"))}</td><td>{link}</td></tr>')
    count = len(requests)
    table = (_table("Consultation requests, newest first",
                    ("Received (UTC)", "Level", "Conversation", "Status", "Summary"), lines)
             if lines else '<p class="muted">No consultation requests yet.</p>')
    body = (f'<h1>Consultation requests</h1><p class="count"><strong>{count}</strong> '
            f'request{"" if count == 1 else "s"}.</p>{table}')
    return layout("Consultation requests", body, current="requests", sign_out_token=sign_out_token)


# --- one summary --------------------------------------------------------------------------------------------

def summary_page(summary: Mapping, sign_out_token: Optional[str]) -> bytes:
    sources = [as_dict(source) for source in as_list(summary.get("sources"))]
    known_sources = {str(source.get("id")) for source in sources if source.get("id") is not None}
    body = "".join([
        _summary_heading(summary),
        _section("reasons", "Why this level", bullet_list(as_list(summary.get("reasons")), "No reasons recorded.",
                                                          show=text)),
        _section("red-flags", "Red flags", bullet_list(as_list(summary.get("red_flags")), "None reported.")),
        _section("symptoms", "Symptoms", _symptoms(as_dict(summary.get("symptoms")))),
        _section("screening", "Screening", _screening(summary.get("screening"))),
        _section("history", "History", _history(summary)),
        _section("therapy-options", "Therapy options",
                 _therapy_options(as_list(summary.get("therapy_options")), known_sources)),
        _section("sources", "Sources", _sources(sources)),
        '<details class="raw"><summary>Raw JSON as stored</summary>'
        f'<pre>{text(json.dumps(summary, indent=2, ensure_ascii=False))}</pre></details>',
    ])
    return layout("Triage summary", body, current="summaries", sign_out_token=sign_out_token)


def _section(anchor: str, heading: str, content: str) -> str:
    return f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{text(heading)}</h2>{content}</section>'


def _summary_heading(summary: Mapping) -> str:
    return f"""<p><a href="/staff/">Back to the summaries</a></p>
<h1>Triage summary</h1>
<dl class="facts">
<div><dt>Level</dt><dd>{level_badge(summary.get("triage_level"))}</dd></div>
<div><dt>Time</dt><dd>{timestamp(summary.get("created_at"))}</dd></div>
<div><dt>Conversation</dt><dd><code>{text(summary.get("conversation_id"))}</code></dd></div>
<div><dt>Summary id</dt><dd><code>{text(summary.get("id"))}</code></dd></div>
</dl>"""


def _symptoms(symptoms: Mapping) -> str:
    return (f'<div class="columns"><div><h3>Present</h3>'
            f'{bullet_list(as_list(symptoms.get("present")), "None recorded.")}</div>'
            f'<div><h3>Absent (the patient denied them)</h3>'
            f'{bullet_list(as_list(symptoms.get("absent")), "None recorded.")}</div></div>')


def _screening(screening: object) -> str:
    if not isinstance(screening, dict):
        return '<p class="muted">No screening was completed.</p>'
    result = {True: "positive", False: "negative"}.get(screening.get("positive"), "not decided")
    lines = [f'<tr><th scope="row">{readable(item)}</th><td>{text(answer)}</td></tr>'
             for item, answer in as_dict(screening.get("answers")).items()]
    answers = ""
    if lines:
        answers = ('<details><summary>Answers</summary><table><caption>Screening answers</caption>'
                   '<thead><tr><th scope="col">Question</th><th scope="col">Answer</th></tr></thead>'
                   f'<tbody>{"".join(lines)}</tbody></table></details>')
    return (f'<p>{readable(screening.get("instrument"))}: <strong>{result}</strong>, score '
            f'{text(screening.get("score"))} of {text(screening.get("max_score"))} '
            f'(positive from {text(screening.get("threshold"))}).</p>{answers}')


def _history(summary: Mapping) -> str:
    pain = as_dict(summary.get("pain"))
    score = pain.get("score")
    contraindications = [as_dict(item) for item in as_list(summary.get("contraindications"))]
    return f"""<dl class="history">
<div><dt>Conditions</dt><dd>{_inline(as_list(summary.get("conditions")))}</dd></div>
<div><dt>Medications</dt><dd>{_inline(as_list(summary.get("medications")))}</dd></div>
<div><dt>Stopped medicines</dt><dd>{_stopped(as_list(summary.get("medication_history")))}</dd></div>
<div><dt>Not recognised (patient's words, check them)</dt><dd>{", ".join(text(item) for item in as_list(summary.get("unrecognised_medications"))) or "None"}</dd></div>
<div><dt>Past conditions</dt><dd>{_inline(as_list(summary.get("condition_history")))}</dd></div>
<div><dt>Where it hurts</dt><dd>{_inline(as_list(pain.get("locations")))}</dd></div>
<div><dt>How long</dt><dd>{readable(pain.get("duration")) or "Not recorded"}</dd></div>
<div><dt>Pain score</dt><dd>{f"{text(score)} out of 10" if score is not None else "Not recorded"}</dd></div>
</dl>
<h3>Contraindications</h3>
{bullet_list(contraindications, "None found.", show=_contraindication)}"""


STOP_REASONS = {"side_effect": "side effects", "no_help": "did not help"}


def _stopped(items: Sequence[object]) -> str:
    entries = [as_dict(item) for item in items]
    return ", ".join(readable(e.get("id")) + (f" ({STOP_REASONS.get(e.get('reason'), readable(e.get('reason')))})"
                                             if e.get("reason") else "") for e in entries) or "None recorded"


def _inline(items: Sequence[object]) -> str:
    return ", ".join(readable(item) for item in items) or "None recorded"


def _contraindication(item: Mapping) -> str:
    return (f'<strong>{readable(item.get("therapy_id"))}</strong> ({_suitability(item.get("suitability"))}): '
            f'{text(item.get("text"))} <span class="muted">Severity: {readable(item.get("severity"))}.</span>')


def _suitability(value: object) -> str:
    label = SUITABILITY_LABELS.get(value) if isinstance(value, str) else None
    css = f"suitability suitability-{value}" if label else "suitability"
    return f'<span class="{css}">{text(label) if label else readable(value)}</span>'


def _therapy_options(options: List[object], known_sources: set) -> str:
    if not options:
        return '<p class="muted">No therapy options were offered.</p>'
    return "".join(_therapy_option(as_dict(option), known_sources) for option in options)


def _therapy_option(option: Mapping, known_sources: set) -> str:
    warnings = [as_dict(warning) for warning in as_list(option.get("warnings"))]
    warning_items = "".join(f"<li>{_warning(warning, known_sources)}</li>" for warning in warnings)
    warnings_html = f"<ul>{warning_items}</ul>" if warning_items else '<p class="muted">No warnings.</p>'
    details = [f"Suitability: {_suitability(option.get('suitability'))}"]
    if option.get("category"):
        details.append(f"Category: {readable(option.get('category'))}")
    if option.get("guideline_line"):
        details.append(f"Guideline line: {readable(option.get('guideline_line'))}")
    return f"""<article class="option">
<h3>{text(option.get("name") or option.get("id"))}{_review_tag(option)}</h3>
<p>{" · ".join(details)}</p>
<h4>Warnings</h4>
{warnings_html}
<p class="muted">Sources: {_source_refs(as_list(option.get("source_ids")), known_sources)}</p>
</article>"""


def _warning(warning: Mapping, known_sources: set) -> str:
    severity = readable(warning.get("severity")) or "unspecified"
    return (f'<span class="severity">{severity}</span> {text(warning.get("text"))}{_review_tag(warning)} '
            f'<span class="muted">(sources: {_source_refs(as_list(warning.get("source_ids")), known_sources)})</span>')


def _review_tag(item: Mapping) -> str:
    return ' <span class="tag">awaiting clinical review</span>' if item.get("review") == "unverified" else ""


def source_anchor(source_id: object) -> str:
    return "source-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(source_id))


def _source_refs(source_ids: Sequence[object], known_sources: set) -> str:
    refs = []
    for source_id in source_ids:
        if str(source_id) in known_sources:
            refs.append(f'<a href="#{source_anchor(source_id)}">{text(source_id)}</a>')
        else:
            refs.append(text(source_id))
    return ", ".join(refs) or "none listed"


def _sources(sources: Sequence[Mapping]) -> str:
    if not sources:
        return '<p class="muted">No sources listed.</p>'
    items = []
    for source in sources:
        url = str(source.get("url") or "")
        # Only web addresses become links: a stored "javascript:" address must stay inert text.
        link = (f' <a href="{text(url)}" rel="noreferrer noopener">{text(url)}</a>'
                if urlsplit(url).scheme in ("http", "https") else (f" {text(url)}" if url else ""))
        items.append(f'<li id="{text(source_anchor(source.get("id")))}"><strong>{text(source.get("id"))}</strong> '
                     f'{text(source.get("citation"))}{link}</li>')
    return f'<ol class="sources">{"".join(items)}</ol>'
