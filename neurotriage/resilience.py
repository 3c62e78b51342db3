"""What the patient hears when the action server, or a database behind it, fails.

Rasa 3.6 logs the failure of a custom action and goes on as if it had run: the patient hears nothing, or only part
of an answer. Here the failing action's place is taken by `utter_assessment_unavailable` (domain.yml): the
assessment cannot go on right now, nothing said so far is lost, and the emergency and urgent numbers. The failing
action set nothing, so the conversation stays where it was and goes on when the server answers again. A form that
fails to validate and then to ask in the same turn explains once, not twice.

When a form's validation fails, what Rasa's slot mappings took from the patient's answer this turn is taken back:
it was never checked, and keeping it would move the form on to a question the patient was never asked. The open
question stays open, and the patient's next answer goes to it.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.exceptions import RasaException

UNAVAILABLE_RESPONSE = "utter_assessment_unavailable"
_REMEMBERED_TURNS = 10_000

logger = logging.getLogger(__name__)
_run_remote_action = RemoteAction.run
_explained_turns: "OrderedDict[tuple, None]" = OrderedDict()


def _first_explanation_this_turn(tracker: Any) -> bool:
    turn = (tracker.sender_id, tracker.latest_message.message_id if tracker.latest_message else None)
    if turn in _explained_turns:
        return False
    _explained_turns[turn] = None
    if len(_explained_turns) > _REMEMBERED_TURNS:
        _explained_turns.popitem(last=False)
    return True


def _take_back_unvalidated_slots(tracker: Any) -> List[SlotSet]:
    """SlotSets that return each slot filled since the patient's last message to its value before it."""
    filled = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            before = tracker.travel_back_in_time(event.timestamp)
            return [SlotSet(name, before.get_slot(name)) for name in dict.fromkeys(filled)]
        if isinstance(event, SlotSet) and event.key != REQUESTED_SLOT:
            filled.append(event.key)
    return []


async def run_or_explain_unavailable(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any,
                                     domain: Any) -> List[Any]:
    """RemoteAction.run, except that a failure of the action server is explained to the patient."""
    try:
        return await _run_remote_action(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:  # a form's normal "not this slot" answer, handled by Rasa
        raise
    except RasaException as error:  # cannot connect, time-out, or the server answered 5xx
        cause = type(error.__cause__ or error).__name__
        logger.error("Custom action %s failed (%s); the patient was told the assessment cannot go on right now.",
                     self.name(), cause)
        taken_back = _take_back_unvalidated_slots(tracker) if self.name().startswith("validate_") else []
        if not _first_explanation_this_turn(tracker):
            return taken_back
        message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
        return ([create_bot_utterance(message)] if message else []) + taken_back


def explain_failed_actions() -> None:
    RemoteAction.run = run_or_explain_unavailable
