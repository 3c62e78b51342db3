"""Triage summaries as CSV: one writer shared by the staff command and the staff web view, so both files match.

Cells are defused against spreadsheet formula injection: a patient's words end up in `reasons`, and a cell that
starts with = + - @ (or a tab or carriage return) would otherwise be run as a formula when the file is opened.
"""
from __future__ import annotations

import csv
from typing import Iterable, List, Mapping, TextIO

LEVELS = ("emergency", "urgent", "consultation", "self_care")

CSV_COLUMNS = ("id", "created_at", "conversation_id", "triage_level", "reasons", "red_flags", "screening_score",
               "therapy_options")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(value: object) -> str:
    """The cell as text, with a leading single quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def summary_cells(row: Mapping, summary: Mapping) -> List[str]:
    """One CSV line: the listing row (id, time, conversation, level) and the summary's reasons, flags and options."""
    screening = summary.get("screening") or {}
    options = summary.get("therapy_options") or []
    cells = [row["id"], row["created_at"], row["conversation_id"], row["triage_level"],
             " | ".join(str(reason) for reason in summary.get("reasons") or []),
             " ".join(str(flag) for flag in summary.get("red_flags") or []),
             screening.get("score", ""),
             " ".join(f"{option.get('id')}:{option.get('suitability')}" for option in options)]
    return [defuse_formula(cell) for cell in cells]


def write_summaries_csv(store, rows: Iterable[Mapping], stream: TextIO) -> int:
    """Writes the header and one line per listed summary (as `store.summaries()` returns them); returns the count.
    A summary deleted between listing and reading is skipped."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    written = 0
    for row in rows:
        summary = store.summary(row["id"])
        if summary is None:
            continue
        writer.writerow(summary_cells(row, summary))
        written += 1
    return written
