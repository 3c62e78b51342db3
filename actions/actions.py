"""Thin Rasa actions: read the tracker, ask the clinical core and the knowledge base, say the answer."""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, FollowupAction, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.assessment import DN4_ITEMS, SCREENING_INSTRUMENT, option_lines, report_slot_updates
from neurotriage.clinical import answers
from neurotriage.clinical.escalation import escalate, hold_advice
from neurotriage.clinical.profile import PatientProfile
from neurotriage.clinical.screening import NO, YES, answers_from_report
from neurotriage.clinical.wording import cite, for_patient

logger = logging.getLogger(__name__)


def _entities(tracker: Tracker, entity_type: str) -> List[Dict[str, Any]]:
    return [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity_type]


def _report_events(tracker: Tracker, entities: Optional[List[Dict[str, Any]]] = None) -> List[SlotSet]:
    """Keep every symptom, condition, medication and place the message mentioned, denied ones included."""
    entities = tracker.latest_message.get("entities", []) if entities is None else entities
    return [SlotSet(name, values) for name, values in report_slot_updates(tracker, entities).items()]


def _screening_prefill(tracker: Tracker, report_events: List[SlotSet]) -> List[SlotSet]:
    """Screening items the patient has already answered in their own words are not asked again."""
    slots = {**tracker.current_slot_values(), **{e["name"]: e["value"] for e in report_events}}
    instrument = knowledge.repository().screening_instrument(SCREENING_INSTRUMENT)
    known = answers_from_report(instrument, slots.get("symptoms_present") or [], slots.get("symptoms_absent") or [])
    return [SlotSet(item_id, answer) for item_id, answer in known.items() if tracker.get_slot(item_id) is None]


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
    """Runs the moment a red flag is heard, in any state (rules end a running form first): advice, then the
    triage level, which never goes down."""

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
        return events + _report_events(tracker)


class ActionHoldAdvice(Action):
    """Pushback on advice ("can I wait?", "I don't want to go to A&E"): the same advice again, never softened."""

    def name(self) -> Text:
        return "action_hold_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        flags = [flag for flag in map(knowledge.repository().red_flag, tracker.get_slot("red_flags") or []) if flag]
        for message in hold_advice(flags, knowledge.locale_numbers(), tracker.get_slot("triage_level")):
            dispatcher.utter_message(text=message)
        if flags:
            dispatcher.utter_message(text=cite(sorted({s for flag in flags for s in flag.source_ids})))
        return []


class ActionNotePatientReport(Action):
    """Keeps what the patient described (including what they deny), says back what was understood, and answers
    the screening items the description already covers. Without consent nothing is kept."""

    def name(self) -> Text:
        return "action_note_patient_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        consent = tracker.get_slot("consent_given")
        if consent is None:  # a description before the consent question: the rules ask first, nothing is kept yet
            return [SlotSet("next_step", "ask_consent")]
        if consent is False:
            dispatcher.utter_message(response="utter_general_information_only")
            return [SlotSet("next_step", "none")]
        entities = tracker.latest_message.get("entities", [])
        noted = [e["value"].replace("_", " ") for e in entities
                 if e.get("entity") in ("symptom", "condition", "medication", "body_part") and e.get("role") != "negated"]
        denied = [e["value"].replace("_", " ") for e in entities if e.get("role") == "negated"]
        parts = []
        if noted:
            parts.append("I've noted " + ", ".join(dict.fromkeys(noted)))
        if denied:
            parts.append(("and that you don't have " if noted else "I've noted that you don't have ") + ", ".join(dict.fromkeys(denied)))
        dispatcher.utter_message(text=(" ".join(parts) + ".") if parts else "Thank you, I've noted that.")
        events = _report_events(tracker)
        events += _screening_prefill(tracker, events) + [SlotSet("pain_described", True)]
        text = tracker.latest_message.get("text") or ""
        if tracker.get_slot("pain_score") is None and re.search(r"/\s*10\b|out of (10|ten)\b", text.lower()):
            events += [SlotSet("pain_score", answers.pain_score(text)), SlotSet("pain_score_text", text.strip())]
        return events + _continue_assessment(dispatcher, tracker)


def _continue_assessment(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict]:
    """Which part of the assessment comes next (the rules branch on `next_step`): none once it is done or a red flag
    has already sent the patient on."""
    if tracker.get_slot("assessment_complete") or tracker.get_slot("triage_level") in ("emergency", "urgent") \
            or tracker.active_loop.get("name"):
        return [SlotSet("next_step", "none")]
    screening_done = all(tracker.get_slot(item) is not None for item in DN4_ITEMS)
    return [SlotSet("next_step", "history" if screening_done else "screening")]


class ActionResumeAssessment(Action):
    """"No, carry on" (to stopping, starting again or talking to a person), or a stray "no": back to where the
    conversation was. The rules branch on `next_step`; the question that was open is asked again."""

    def name(self) -> Text:
        return "action_resume_assessment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        consent = tracker.get_slot("consent_given")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if consent is None or (consent is False and intent == "affirm"):  # a yes after "not now": ask again
            return [SlotSet("next_step", "ask_consent")]
        if consent is False:
            dispatcher.utter_message(response="utter_general_information_only")
            return [SlotSet("next_step", "none")]
        if tracker.get_slot("assessment_complete") or tracker.get_slot("triage_level") in ("emergency", "urgent"):
            dispatcher.utter_message(response="utter_offer_next_steps")
            return [SlotSet("next_step", "none")]
        if not tracker.get_slot("pain_described"):
            return [SlotSet("next_step", "describe")]
        dispatcher.utter_message(response="utter_continue")
        return _continue_assessment(dispatcher, tracker)


CONFIRMATIONS = {"utter_confirm_stop": "stop", "utter_confirm_restart": "restart", "utter_confirm_handoff": "handoff"}


def _last_bot_response(tracker: Tracker) -> Optional[str]:
    return next((e.get("metadata", {}).get("utter_action") for e in reversed(tracker.events)
                 if e.get("event") == "bot"), None)


class ActionReadConfirmation(Action):
    """The answer to "do you want to stop / start again / talk to a person?" when the classifier gave neither yes
    nor no ("actually no thanks, let's carry on"): read from the words. Anything but a clear yes carries on."""

    def name(self) -> Text:
        return "action_read_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        asked = CONFIRMATIONS.get(_last_bot_response(tracker) or "")
        text = tracker.latest_message.get("text") or ""
        answer = answers.yes_no_text(text)
        if (asked == "stop" and answers.says("leaving", text)) or \
                (asked == "restart" and answers.says("starting_over", text)):
            answer = YES  # "bye then", "yes start over please"
        if asked and answer == YES:
            if asked == "stop":
                dispatcher.utter_message(response="utter_goodbye")
                return []
            if asked == "restart":
                dispatcher.utter_message(response="utter_restarted")
                return [Restarted(), *_locale_slots()]
            dispatcher.utter_message(response="utter_handoff")
            return [ConversationPaused(), ActionExecuted("action_listen")]
        return [FollowupAction("action_resume_assessment")]


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
    """Records the patient's answer to the consent question, read from their words first ("yse ok", "go on then",
    "nah"). An answer that is neither yes nor no is never taken as either: the question is explained and asked again."""

    def name(self) -> Text:
        return "action_record_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        text = tracker.latest_message.get("text") or ""
        answer = answers.yes_no(intent if intent in ("affirm", "deny") else "", [], None, text)
        if answer not in (YES, NO):
            if answers.says("leaving", text):
                dispatcher.utter_message(response="utter_goodbye")
                return [SlotSet("next_step", "none")]
            asked_before = any(e.get("event") == "action" and e.get("name") == self.name() for e in tracker.events)
            if not asked_before:
                dispatcher.utter_message(response="utter_explain_consent")
                return [SlotSet("next_step", "ask_consent")]
            # a second unclear answer is taken as "not now" (nothing kept), never asked a third time
            dispatcher.utter_message(response="utter_consent_unclear")
            return [SlotSet("consent_given", False), SlotSet("next_step", "none")]
        agreed = answer == YES
        dispatcher.utter_message(response="utter_consent_given" if agreed else "utter_consent_declined")
        if not agreed:
            return [SlotSet("consent_given", False), SlotSet("next_step", "none")]
        # what the patient said before agreeing is kept now, so nothing has to be said twice
        earlier = [entity for event in tracker.events if event.get("event") == "user"
                   for entity in (event.get("parse_data") or {}).get("entities", [])]
        events = _report_events(tracker, earlier)
        if not any(e["name"] == "symptoms_present" and e["value"] for e in events):
            return [SlotSet("consent_given", True), *events, SlotSet("next_step", "describe")]
        return [SlotSet("consent_given", True), *events, *_screening_prefill(tracker, events),
                SlotSet("pain_described", True), *_continue_assessment(dispatcher, tracker)]


class ActionHandoff(Action):
    """Hands the conversation to a person: says so, then pauses the bot until staff resume it."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_handoff")
        # Rasa stops predicting once paused, so it never listens: the listen is recorded here, so that a warning sign
        # heard while waiting for the person (rasa_runtime handles those) matches the rules like any other message
        return [ConversationPaused(), ActionExecuted("action_listen")]


class ActionListTherapyOptions(Action):
    """The options that fit what the patient has said so far, ranked by guideline line, each with its safety."""

    def name(self) -> Text:
        return "action_list_therapy_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        profile = PatientProfile(conditions=tracker.get_slot("conditions") or [],
                                 medications=tracker.get_slot("medications") or [])
        lines = ["These are options to discuss with a clinician, most recommended first:"]
        lines += option_lines(knowledge.repository().therapy_options(profile))
        dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionRestart(Action):
    """Replaces Rasa's default restart so the patient is told that nothing from before is kept."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(response="utter_restarted")
        return [Restarted(), *_locale_slots()]
