"""`python -m neurotriage.kb` and the clinical review sheet, run in-process on the fixture content."""
from __future__ import annotations

import csv
import shutil

import pytest

from neurotriage.kb.__main__ import main
from tests.kb.kb_support import FIXTURE_DIR, read_yaml


@pytest.fixture()
def cli(tmp_path, capsys):
    """Runs the CLI against a fresh SQLite file; returns (exit status, stdout, stderr)."""
    database_url = f"sqlite:///{tmp_path / 'kb.db'}"

    def run(*args: str, content_dir=FIXTURE_DIR):
        status = main(["--database-url", database_url, "--content-dir", str(content_dir), *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err
    return run


def test_load_then_up_to_date_then_forced(cli):
    assert cli("load")[1].startswith("Loaded")
    assert "up to date" in cli("load")[1]
    assert cli("load", "--force")[1].startswith("Loaded")


def test_options_also_work_after_the_command(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'after.db'}"
    assert main(["load", "--database-url", url, "--content-dir", str(FIXTURE_DIR)]) == 0
    assert str(tmp_path / "after.db") in capsys.readouterr().out


def test_stats_before_and_after_loading(cli):
    status, out, _ = cli("stats")
    assert status == 1 and "no knowledge yet" in out
    cli("load")
    status, out, _ = cli("stats")
    assert status == 0 and "up to date" in out
    assert "contraindication_rules" in out and "verified 16  partial 1  unverified 1" in out


def test_invalid_content_exits_1_with_every_problem(cli, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURE_DIR, broken)
    (broken / "locales.yml").write_text("- id: UK\n  emergency_number: '999'\n  review: sure\n")
    status, _, err = cli("load", content_dir=broken)
    assert status == 1
    assert "missing field 'urgent_number'" in err and "review 'sure' is not one of" in err


def test_review_sheet_markdown_lists_every_fact_with_sources_and_status(cli, tmp_path):
    out = tmp_path / "review" / "sheet.md"
    status, stdout, _ = cli("export-review", "--format", "md", "--out", str(out))
    assert status == 0 and out.is_file()
    sheet = out.read_text()
    for file_name in ("therapies.yml", "red_flags.yml", "faq.yml", "locales.yml", "screening.yml"):
        for record in read_yaml(FIXTURE_DIR, file_name):
            assert f"| {record['id']} |" in sheet, f"{file_name} {record['id']} missing from the review sheet"
    rules = read_yaml(FIXTURE_DIR, "contraindications.yml")
    for number, rule in enumerate(rules, start=1):
        for therapy_id in rule["therapies"]:
            assert f"| entry {number}: {therapy_id} |" in sheet
    assert "| microvascular_decompression |" in sheet and "| S04 | unverified |" in sheet
    assert "- **S05** NICE NG59" in sheet


def test_review_sheet_csv_has_one_row_per_fact_and_sign_off_columns(cli, tmp_path):
    out = tmp_path / "sheet.csv"
    assert cli("export-review", "--format", "csv", "--out", str(out))[0] == 0
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"section", "id", "statement", "review", "source_ids", "citations", "reviewer", "decision"} <= set(rows[0])
    rule_rows = sum(len(rule["therapies"]) for rule in read_yaml(FIXTURE_DIR, "contraindications.yml"))
    screening_rows = sum(1 + len(s["items"]) for s in read_yaml(FIXTURE_DIR, "screening.yml"))
    expected = rule_rows + screening_rows + sum(len(read_yaml(FIXTURE_DIR, f)) for f in (
        "therapies.yml", "red_flags.yml", "faq.yml", "locales.yml", "conditions.yml", "medications.yml",
        "symptoms.yml"))
    assert len(rows) == expected
    tramadol_epilepsy = next(r for r in rows if r["id"] == "entry 9: tramadol")
    assert tramadol_epilepsy["review"] == "unverified" and tramadol_epilepsy["citations"] == "Tramadol SmPC (UK)."
