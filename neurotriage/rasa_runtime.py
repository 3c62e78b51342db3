"""Rasa's command line with fixes for Rasa 3.6: `python -m neurotriage.rasa_runtime run|shell|test ...`.

Two speed fixes, below; one for faults: a failing custom action is explained to the patient (resilience.py); and
one for privacy: log lines have personal identifiers redacted (privacy/log_redaction.py).

1. Rasa 3.6 checks every answer from the action server with `jsonschema.validate(result, schema)`. With the jsonschema
that Rasa 3.6 allows (4.17), that call first re-checks the schema itself against the 2020-12 meta-schema: about 16 ms
per custom action on a 2-core machine, and a triage turn runs several custom actions. The fix checks answers against
the same schema with a validator built once. An invalid answer still raises the same ValidationError.
2. Loading a conversation from the tracker store looks up each stored event's class by walking every subclass of
Event, once per event. The fix remembers the class for each event name; an unknown name takes Rasa's own path.
"""
from __future__ import annotations

import functools
import sys
from typing import Any, Dict, Optional

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.utils.common import all_subclasses


@functools.lru_cache(maxsize=1)
def _action_result_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """Same contract as RemoteAction._validate_action_result: True, or the best-matching ValidationError."""
    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (f". Failed to validate Action server response from API, make sure your response from the "
                      f"Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
    raise error


_resolve_event_class = Event.resolve_by_type
_event_classes: Dict[str, type] = {}


def resolve_event_class(type_name: str, default: Optional[type] = None) -> Optional[type]:
    """Same contract as Event.resolve_by_type, remembering each class found."""
    found = _event_classes.get(type_name)
    if found is None:
        found = next((cls for cls in all_subclasses(Event) if cls.type_name == type_name), None)
        if found is None:
            return _resolve_event_class(type_name, default)
        _event_classes[type_name] = found
    return found


def apply_fixes() -> None:
    from neurotriage.privacy.log_redaction import redact_log_records
    from neurotriage.resilience import explain_failed_actions

    redact_log_records()
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_class)
    explain_failed_actions()


def main() -> None:
    from rasa.__main__ import main as rasa_main

    apply_fixes()
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
