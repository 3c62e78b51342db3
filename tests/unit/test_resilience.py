"""A failing action server is explained to the patient, with the emergency advice, and the turn keeps its place."""
import socket
from pathlib import Path

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from tests.async_support import run_sync
from neurotriage import resilience

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tracker_after(text: str, message_id: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("patient-1", [SlotSet("emergency_number", "911"),
                                                             SlotSet("urgent_number", "your doctor")], DOMAIN.slots)
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}, message_id=message_id))
    return tracker


def run(action, tracker):
    return run_sync(resilience.run_or_explain_unavailable(
        action, CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses), tracker, DOMAIN))


def unreachable_action(name="action_finish_assessment"):
    return RemoteAction(name, EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook"))


def test_an_unreachable_action_server_is_explained_with_the_emergency_number():
    events = run(unreachable_action(), tracker_after("7", "m-1"))
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    assert "can't go on with the assessment right now" in events[0].text
    assert "call 911 now" in events[0].text and "your doctor" in events[0].text


def test_the_explanation_comes_once_per_turn():
    tracker = tracker_after("no", "m-2")
    assert len(run(unreachable_action("validate_screening_form"), tracker)) == 1
    assert run(unreachable_action("action_ask_dn4_numbness"), tracker) == []
    assert len(run(unreachable_action(), tracker_after("no", "m-3"))) == 1


def test_a_form_rejection_is_left_to_rasa(monkeypatch):
    async def rejects(*_):
        raise ActionExecutionRejection("validate_screening_form")

    monkeypatch.setattr(resilience, "_run_remote_action", rejects)
    with pytest.raises(ActionExecutionRejection):
        run(unreachable_action("validate_screening_form"), tracker_after("no", "m-4"))


def test_a_failed_validation_takes_back_what_the_slot_mappings_filled_this_turn():
    tracker = DialogueStateTracker.from_events("patient-2", [SlotSet("dn4_burning", "yes")], DOMAIN.slots)
    tracker.update(UserUttered("no", {"name": "deny", "confidence": 1.0}, message_id="m-5"))
    tracker.update(SlotSet("dn4_electric_shock", "no"))
    tracker.update(SlotSet("requested_slot", "dn4_electric_shock"))
    events = run(unreachable_action("validate_screening_form"), tracker)
    assert isinstance(events[0], BotUttered)
    assert [(e.key, e.value) for e in events[1:]] == [("dn4_electric_shock", None)]


def test_other_failed_actions_take_nothing_back():
    tracker = tracker_after("7", "m-6")
    tracker.update(SlotSet("pain_score", 7))
    assert [type(e) for e in run(unreachable_action("action_finish_assessment"), tracker)] == [BotUttered]
