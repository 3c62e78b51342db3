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


def test_a_traceback_quoting_a_patient_loses_the_identifiers(redacting, caplog):
    logger = logging.getLogger("rasa.core.channels.rest")
    with caplog.at_level(logging.ERROR, logger=logger.name):
        try:
            raise ValueError("could not handle 'my name is Sarah Jones, call me on 07700 900123'")
        except ValueError:
            logger.exception("An exception occurred while handling a user message.")
    assert "Traceback" in caplog.text and "ValueError" in caplog.text
    assert "Sarah" not in caplog.text and "900123" not in caplog.text and "[phone]" in caplog.text


def test_a_logged_stack_loses_the_identifiers(redacting, caplog):
    def handling_jo_bloggs_at_example_com():
        logging.getLogger("neurotriage").error("stack of %s", "jo.bloggs@example.com", stack_info=True)

    with caplog.at_level(logging.ERROR):
        handling_jo_bloggs_at_example_com()
    record = caplog.records[-1]
    assert "Stack (most recent call last)" in record.stack_info and "example.com" not in caplog.text
