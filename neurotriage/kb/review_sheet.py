"""The clinical sign-off sheet: every fact the assistant can state, with its sources and review status.

Read from the loaded database (what the bot really uses), not from the YAML, so the sheet cannot disagree with
the bot. Markdown is for reading, CSV for a spreadsheet where reviewers fill in the sign-off columns.
"""
from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from neurotriage.kb import models
from neurotriage.kb.repository import source_ids_by_owner

SIGN_OFF_COLUMNS = ("reviewer", "date", "decision", "comment")
SECTIONS = ("Therapies", "Contraindications and cautions", "Red flags", "Screening", "FAQs", "Locales",
            "Conditions", "Medications", "Symptoms")


@dataclass(frozen=True)
class ReviewRow:
    section: str
    fact_id: str
    statement: str
    source_ids: tuple[str, ...]
    review: str


def _join(parts: Iterable[str | None]) -> str:
    """Sentences from the parts that have a value: "A. B: x. C."."""
    return ". ".join(part.rstrip(".") for part in parts if part) + "."


def _labelled(label: str, value: str | None) -> str | None:
    return f"{label}: {value}" if value else None


def _grouped(session: Session, table, key: str, value: str, order: str | None = None) -> dict[str, list[str]]:
    """Values per owner, ordered by `order` (default: the value itself)."""
    query = select(table.c[key], table.c[value]).order_by(table.c[key], table.c[order or value])
    grouped: dict[str, list[str]] = {}
    for owner, item in session.execute(query):
        grouped.setdefault(owner, []).append(item)
    return grouped


def _therapy_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.therapy_sources)
    overrides: dict[str, list[str]] = {}
    for therapy_id, condition_id, line in sorted(session.execute(select(models.therapy_condition_lines))):
        overrides.setdefault(therapy_id, []).append(f"{condition_id} -> {line}")
    indications = _grouped(session, models.therapy_indications, "therapy_id", "condition_id")
    medications = _grouped(session, models.therapy_medications, "therapy_id", "medication_id", order="position")
    rows = []
    for therapy in session.execute(select(models.Therapy).order_by(models.Therapy.id)).scalars():
        statement = _join([
            f"{therapy.name} ({therapy.category}); guideline line: {therapy.guideline_line}",
            _labelled("Condition-specific lines", ", ".join(overrides.get(therapy.id, []))),
            _labelled("Only for", ", ".join(indications.get(therapy.id, []))),
            _labelled("Medications", ", ".join(medications.get(therapy.id, []))),
            _labelled("Basis", therapy.guideline_basis),
            _labelled("NNT", therapy.nnt),
            _labelled("Description", therapy.description),
            _labelled("What to expect", therapy.what_to_expect),
            _labelled("First step", therapy.first_step),
        ])
        rows.append(ReviewRow("Therapies", therapy.id, statement, sources.get(therapy.id, ()), therapy.review))
    return rows


def _rule_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.rule_sources)
    rule = models.ContraindicationRule
    outcome = {"absolute": "not advised", "relative": "caution", "caution": "caution"}
    rows = []
    for r in session.execute(select(rule).order_by(rule.entry, rule.therapy_id)).scalars():
        statement = (f"{r.therapy_id} when {r.when_key.replace('_', ' ')} = {r.when_value}: {r.kind}, "
                     f"{r.severity} (shown as {outcome.get(r.severity, r.severity)}). Warning: \"{r.warning}\"")
        rows.append(ReviewRow("Contraindications and cautions", f"entry {r.entry}: {r.therapy_id}", statement,
                              sources.get(r.id, ()), r.review))
    return rows


def _red_flag_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.red_flag_sources)
    phrases = _grouped(session, models.RedFlagPhrase.__table__, "red_flag_id", "phrase", order="position")
    rows = []
    for flag in session.execute(select(models.RedFlag).order_by(models.RedFlag.id)).scalars():
        triggers = "; or ".join(" + ".join("(" + " / ".join(group) + ")" for group in alternative)
                                for alternative in json.loads(flag.triggers_json))
        statement = _join([f"{flag.name}: triage {flag.triage_level}", _labelled("Advice", flag.advice),
                           _labelled("Detected when", triggers),
                           _labelled("Example phrases", " | ".join(phrases.get(flag.id, [])))])
        rows.append(ReviewRow("Red flags", flag.id, statement, sources.get(flag.id, ()), flag.review))
    return rows


def _screening_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.screening_sources)
    rows = []
    for instrument in session.execute(select(models.ScreeningInstrument)
                                      .order_by(models.ScreeningInstrument.id)).scalars():
        instrument_sources = sources.get(instrument.id, ())
        statement = _join([f"{instrument.name}: scores {instrument.min_score}-{instrument.max_score}, "
                           f"positive at {instrument.threshold} or more",
                           _labelled("Attribution", instrument.attribution)])
        rows.append(ReviewRow("Screening", instrument.id, statement, instrument_sources, instrument.review))
        items = session.execute(select(models.ScreeningItem).where(models.ScreeningItem.instrument_id == instrument.id)
                                .order_by(models.ScreeningItem.position)).scalars()
        for item in items:
            statement = _join([f"Q{item.position}: \"{item.question}\" yes = {item.yes_points}, no = {item.no_points}",
                               _labelled("Answered by symptom", item.symptom_id)])
            rows.append(ReviewRow("Screening", f"{instrument.id}/{item.id}", statement, instrument_sources,
                                  instrument.review))
    return rows


def _faq_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.faq_sources)
    return [ReviewRow("FAQs", faq.id, f"{faq.title} ({'clinical' if faq.clinical else 'not clinical'}): {faq.answer}",
                      sources.get(faq.id, ()), faq.review)
            for faq in session.execute(select(models.Faq).order_by(models.Faq.id)).scalars()]


def _locale_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.locale_sources)
    return [ReviewRow("Locales", locale.id, f"Emergency {locale.emergency_number}; urgent {locale.urgent_number}; "
                                            f"crisis line {locale.crisis_line}.", sources.get(locale.id, ()),
                      locale.review)
            for locale in session.execute(select(models.Locale).order_by(models.Locale.id)).scalars()]


def _condition_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.condition_sources)
    return [ReviewRow("Conditions", c.id, _join([f"{c.name} ({c.kind})", _labelled("Description", c.description),
                                                 _labelled("Guideline note", c.guideline_note)]),
                      sources.get(c.id, ()), c.review)
            for c in session.execute(select(models.Condition).order_by(models.Condition.id)).scalars()]


def _medication_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.medication_sources)
    classes = _grouped(session, models.medication_class_members, "medication_id", "class_id")
    brands = _grouped(session, models.MedicationBrand.__table__, "medication_id", "brand")
    return [ReviewRow("Medications", m.id, _join([f"{m.name}", _labelled("Classes", ", ".join(classes.get(m.id, []))),
                                                  _labelled("Brands", ", ".join(brands.get(m.id, [])))]),
                      sources.get(m.id, ()), m.review)
            for m in session.execute(select(models.Medication).order_by(models.Medication.id)).scalars()]


def _symptom_rows(session: Session) -> list[ReviewRow]:
    sources = source_ids_by_owner(session, models.symptom_sources)
    return [ReviewRow("Symptoms", s.id, f"{s.name}.", sources.get(s.id, ()), s.review)
            for s in session.execute(select(models.Symptom).order_by(models.Symptom.id)).scalars()]


ROW_BUILDERS: tuple[Callable[[Session], list[ReviewRow]], ...] = (
    _therapy_rows, _rule_rows, _red_flag_rows, _screening_rows, _faq_rows, _locale_rows, _condition_rows,
    _medication_rows, _symptom_rows)


@dataclass(frozen=True)
class ReviewSheet:
    rows: list[ReviewRow]
    citations: dict[str, tuple[str, str | None]]  # source id -> (citation, url)
    content_state: dict[str, str]


def build_review_sheet(session_factory: Callable[[], Session]) -> ReviewSheet:
    with session_factory() as session:
        rows = [row for build in ROW_BUILDERS for row in build(session)]
        citations = {s.id: (s.citation, s.url)
                     for s in session.execute(select(models.Source).order_by(models.Source.id)).scalars()}
        state = dict(session.execute(select(models.ContentState.key, models.ContentState.value)).all())
    return ReviewSheet(rows, citations, state)


def write_csv(sheet: ReviewSheet, out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", "id", "statement", "review", "source_ids", "citations", *SIGN_OFF_COLUMNS])
        for row in sheet.rows:
            citations = " | ".join(sheet.citations[s][0] for s in row.source_ids if s in sheet.citations)
            writer.writerow([row.section, row.fact_id, row.statement, row.review, " ".join(row.source_ids), citations,
                             *("" for _ in SIGN_OFF_COLUMNS)])


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def write_markdown(sheet: ReviewSheet, out: Path) -> None:
    counts = Counter(row.review for row in sheet.rows)
    lines = [
        "# NeuroTriage knowledge: clinical review sheet",
        "",
        f"Content hash `{sheet.content_state.get('content_hash', '?')[:12]}`, loaded "
        f"{sheet.content_state.get('loaded_at', '?')}. {len(sheet.rows)} facts: "
        + ", ".join(f"{counts.get(status, 0)} {status}" for status in models.REVIEW_STATUSES) + ".",
        "",
        "Facts marked `unverified` reach patients only with the words \"awaiting clinical review\". "
        "Sign off by writing your initials and the date in the last column.",
    ]
    for section in SECTIONS:
        section_rows = [row for row in sheet.rows if row.section == section]
        if not section_rows:
            continue
        lines += ["", f"## {section}", "", "| id | statement | sources | review | sign-off |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(row.fact_id)} | {_cell(row.statement)} | {' '.join(row.source_ids)} | {row.review} | |"
                  for row in section_rows]
    lines += ["", "## Sources", ""]
    lines += [f"- **{source_id}** {_cell(citation)}" + (f" <{url}>" if url else "")
              for source_id, (citation, url) in sheet.citations.items()]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
