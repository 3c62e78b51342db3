"""The speed fixes in neurotriage.rasa_runtime keep Rasa's contracts: same verdicts, same errors, same classes."""
import logging

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from neurotriage import rasa_runtime

ACTION = RemoteAction("action_example", None)
VALID_ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "pain_score", "value": 7}], "responses": [{"text": "Thank you."}]},
    {"events": [{"event": "active_loop", "name": None}], "responses": [{"custom": {"triage_summary": {}}}]},
]
INVALID_ANSWERS = [
    {"events": "not a list", "responses": []},
    {"events": [{"name": "pain_score"}], "responses": []},
    {"events": [{"event": "slot", "name": "pain_score"}], "responses": []},
    {"events": [], "responses": "not a list"},
]


@pytest.mark.parametrize("answer", VALID_ANSWERS)
def test_a_valid_action_answer_passes_as_with_rasa(answer):
    validate(answer, RemoteAction.action_response_format_spec())
    assert rasa_runtime.validate_action_result(ACTION, answer) is True


@pytest.mark.parametrize("answer", INVALID_ANSWERS)
def test_an_invalid_action_answer_raises_rasas_error(answer):
    with pytest.raises(ValidationError) as rasas:
        RemoteAction._validate_action_result(ACTION, answer)
    with pytest.raises(ValidationError) as fixed:
        rasa_runtime.validate_action_result(ACTION, answer)
    assert fixed.value.message == rasas.value.message


@pytest.mark.parametrize("event_class", [cls for cls in all_subclasses(Event) if cls.type_name != "event"],
                         ids=lambda cls: cls.type_name)
def test_every_event_name_resolves_to_the_class_rasa_finds(event_class):
    assert rasa_runtime.resolve_event_class(event_class.type_name) is Event.resolve_by_type(event_class.type_name)


def test_unknown_event_names_keep_rasas_handling():
    assert rasa_runtime.resolve_event_class("topic") is None
    assert rasa_runtime.resolve_event_class("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="no_such_event"):
        rasa_runtime.resolve_event_class("no_such_event")


def test_apply_fixes_replaces_the_methods(monkeypatch):
    monkeypatch.setattr(logging, "_logRecordFactory", logging.getLogRecordFactory())
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    rasa_runtime.apply_fixes()
    assert RemoteAction._validate_action_result is rasa_runtime.validate_action_result
    assert Event.resolve_by_type is rasa_runtime.resolve_event_class
    assert getattr(logging.getLogRecordFactory(), "redacts", False)
