"""Log records are redacted before any handler sees them, whichever logger writes them."""
import logging

import pytest

from neurotriage.privacy.log_redaction import redact_log_records


@pytest.fixture
def redacting(monkeypatch):
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())
    redact_log_records()


def test_a_debug_line_quoting_a_patient_loses_the_identifiers(redacting, caplog):
    with caplog.at_level(logging.DEBUG, logger="rasa.core.processor"):
        logging.getLogger("rasa.core.processor").debug("Received user message '%s'", "my email is jo.bloggs@example.com")
    assert "example.com" not in caplog.text and "[email]" in caplog.text


def test_lines_without_identifiers_are_left_as_they_are(redacting, caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("neurotriage").info("Pain score %d of %d for %s", 7, 10, "sender-1")
    assert caplog.records[-1].getMessage() == "Pain score 7 of 10 for sender-1"


def test_installing_twice_redacts_once(redacting):
    first = logging.getLogRecordFactory()
    redact_log_records()
    assert logging.getLogRecordFactory() is first
