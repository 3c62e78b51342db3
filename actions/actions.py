"""Thin Rasa actions: read the tracker, ask the clinical core and the knowledge base, say the answer."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from neurotriage.clinical.escalation import escalate
from neurotriage.clinical.patient_report import PatientReport
from neurotriage.clinical.profile import PatientProfile
from neurotriage.clinical.wording import cite, for_patient

logger = logging.getLogger(__name__)


def _entities(tracker: Tracker, entity_type: str) -> List[Dict[str, Any]]:
    return [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity_type]


def _report_events(tracker: Tracker) -> List[SlotSet]:
    """Keep every symptom, condition, medication and place the latest message mentioned, denied ones included."""
    report = PatientReport.from_slots(tracker.current_slot_values())
    report.add_entities(tracker.latest_message.get("entities", []))
    return [SlotSet(name, values) for name, values in report.slots.items() if values != (tracker.get_slot(name) or [])]


def _locale_slots() -> List[SlotSet]:
    """The emergency, urgent-care and crisis numbers of the configured LOCALE, for responses to use."""
    numbers = knowledge.locale_numbers()
    return [SlotSet("emergency_number", numbers.emergency_number), SlotSet("urgent_number", numbers.urgent_number),
            SlotSet("crisis_line", numbers.crisis_line)]


class ActionSessionStart(Action):
    """Starts every session with the clinic's numbers for the configured locale."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        return [SessionStarted(), *_locale_slots(), ActionExecuted("action_listen")]


class ActionEscalateRedFlag(Action):
    """Runs the moment a red flag is heard, in any state: advice first, triage level set, any form ended."""

    def name(self) -> Text:
        return "action_escalate_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        flag_ids = list(dict.fromkeys(e["value"] for e in _entities(tracker, "red_flag")))
        flags = [flag for flag in map(knowledge.repository().red_flag, flag_ids) if flag]
        numbers = knowledge.locale_numbers()
        if not flags:  # the intent without a known flag: still the safest general advice
            dispatcher.utter_message(text=f"If you think this could be an emergency, call {numbers.emergency_number} now.")
            return []
        escalation = escalate(flags, numbers, tracker.get_slot("triage_level"))
        for message in escalation.messages:
            dispatcher.utter_message(text=message)
        dispatcher.utter_message(text=cite(escalation.source_ids))
        known = tracker.get_slot("red_flags") or []
        events: List[Dict] = [SlotSet("triage_level", escalation.triage_level),
                              SlotSet("red_flags", known + [f for f in escalation.red_flag_ids if f not in known])]
        events += _report_events(tracker)
        if tracker.active_loop.get("name"):
            events.append(ActiveLoop(None))
        return events


class ActionNotePatientReport(Action):
    """Keeps what the patient described (including what they deny) and says back what was understood."""

    def name(self) -> Text:
        return "action_note_patient_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        events = _report_events(tracker)
        noted = [e["value"].replace("_", " ") for e in tracker.latest_message.get("entities", [])
                 if e.get("entity") in ("symptom", "condition", "medication", "body_part") and e.get("role") != "negated"]
        denied = [e["value"].replace("_", " ") for e in tracker.latest_message.get("entities", [])
                  if e.get("role") == "negated"]
        parts = []
        if noted:
            parts.append("I've noted " + ", ".join(dict.fromkeys(noted)))
        if denied:
            parts.append(("and that you don't have " if noted else "I've noted that you don't have ") + ", ".join(dict.fromkeys(denied)))
        dispatcher.utter_message(text=(" ".join(parts) + ".") if parts else "Thank you, I've noted that.")
        return events


class ActionAnswerFaq(Action):
    """Answers a frequently asked question from the knowledge base, with its sources."""

    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        selected = tracker.latest_message.get("response_selector", {}).get("faq", {}).get("response", {})
        topic = (selected.get("intent_response_key") or "").split("/", 1)[-1]
        faq = knowledge.repository().faq(topic) if topic else None
        if faq is None:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(text=f"{for_patient(faq.answer, faq.review)} {cite(faq.source_ids)}".strip())
        return []


class ActionExplainTherapy(Action):
    """General information about a treatment the patient asked about: what it is, what to expect, first step."""

    def name(self) -> Text:
        return "action_explain_therapy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        kb = knowledge.repository()
        therapies = [kb.therapy(e["value"]) for e in _entities(tracker, "therapy")]
        therapies += [kb.therapy_for_medication(e["value"]) for e in _entities(tracker, "medication")]
        therapies = list({t.id: t for t in therapies if t is not None}.values())
        if not therapies:
            dispatcher.utter_message(text="Which treatment would you like to know about? For example: pregabalin, "
                                          "a TENS machine, or a spinal cord stimulator.")
            return []
        for therapy in therapies[:2]:
            facts = " ".join(part for part in (therapy.description, therapy.what_to_expect, therapy.first_step) if part)
            dispatcher.utter_message(text=f"{therapy.name}: {for_patient(facts, therapy.review)} {cite(therapy.source_ids)}")
        dispatcher.utter_message(text="This is general information, not advice for you: whether it fits you is for "
                                      "you and a clinician to decide together.")
        return _report_events(tracker)


class ActionRecordConsent(Action):
    """Records the patient's answer to the consent question (affirm -> true, anything else -> false)."""

    def name(self) -> Text:
        return "action_record_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        agreed = tracker.latest_message.get("intent", {}).get("name") == "affirm"
        dispatcher.utter_message(response="utter_consent_given" if agreed else "utter_consent_declined")
        return [SlotSet("consent_given", agreed)]


class ActionHandoff(Action):
    """Hands the conversation to a person: says so, then pauses the bot until staff resume it."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_handoff")
        return [ConversationPaused()]


class ActionListTherapyOptions(Action):
    """The options that fit what the patient has said so far, ranked by guideline line, each with its safety."""

    def name(self) -> Text:
        return "action_list_therapy_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        profile = PatientProfile(conditions=tracker.get_slot("conditions") or [],
                                 medications=tracker.get_slot("medications") or [])
        options = knowledge.repository().therapy_options(profile)
        suitable = [o for o in options if o.suitability != "not_advised"]
        lines = ["These are options to discuss with a clinician, most recommended first:"]
        for option in suitable[:6]:
            caution = (" Take care: " + " ".join(for_patient(w.text, w.review) for w in option.warnings)
                       if option.suitability == "caution" else "")
            lines.append(f"- {option.name} ({option.guideline_line.replace('_', ' ')}).{caution} {cite(option.source_ids)}")
        not_advised = [o for o in options if o.suitability == "not_advised" and o.warnings]
        for option in not_advised[:4]:
            reason = option.warnings[0]
            lines.append(f"- Not advised for you: {option.name}. {for_patient(reason.text, reason.review)} {cite(reason.source_ids)}")
        dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionRestart(Action):
    """Replaces Rasa's default restart so the patient is told that nothing from before is kept."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_restarted")
        return [Restarted(), *_locale_slots()]
