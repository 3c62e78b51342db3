"""Log lines with personal identifiers redacted, whichever library writes them.

Rasa logs what patients write at debug level, and a traceback can quote it at any level. Installed once at process
start (Rasa server, action server), the record factory redacts each record's final message before any handler sees it,
and the text of its traceback and stack, which handlers' formatters then use as they are.
"""
import logging

from neurotriage.privacy.redaction import redact_text

_FORMATTER = logging.Formatter()


def redact_log_records() -> None:
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts", False):
        return

    def make_redacted_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging's own error report
            return record
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters format a traceback only when exc_text is empty: the redacted text is what they print.
            record.exc_text = redact_text(_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return record

    make_redacted_record.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_redacted_record)
