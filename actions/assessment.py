"""The assessment: screening and history forms, the end of the assessment, corrections, "why?", booking, fallback.

Thin: answers are read by neurotriage.clinical.answers, scored by .screening, decided by .triage, assembled by
.summary; the knowledge base supplies questions, options, warnings and sources.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import knowledge
from neurotriage.clinical import answers
from neurotriage.clinical.escalation import TRIAGE_ORDER
from neurotriage.clinical.patient_report import PatientReport
from neurotriage.clinical.profile import PatientProfile
from neurotriage.clinical.screening import NO, YES, score
from neurotriage.clinical.summary import AssessmentRecord, build_summary
from neurotriage.clinical.triage import CHRONIC_MONTHS, TriageInput, decide
from neurotriage.clinical.wording import cite, for_patient

logger = logging.getLogger(__name__)

SCREENING_INSTRUMENT = "dn4_interview"
# The DN4 interview's item ids, which are also the screening form's slots (a test keeps them equal to the KB's).
DN4_ITEMS = ("dn4_burning", "dn4_painful_cold", "dn4_electric_shock", "dn4_tingling", "dn4_pins_and_needles",
             "dn4_numbness", "dn4_itching")
YES_NO_BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"},
                  {"title": "Not sure", "payload": "/dont_know"}]
# A yes to a history question records this condition (or medication) unless the patient named a more exact one.
YES_MEANS_CONDITION = {"kidney_problems": "kidney_disease", "liver_problems": "liver_disease",
                       "heart_problems": "heart_disease", "implanted_device": "pacemaker"}
KNOWN_BY_CONDITIONS = {
    "kidney_problems": {"kidney_disease"},
    "liver_problems": {"liver_disease"},
    "heart_problems": {"heart_disease", "recent_heart_attack", "heart_rhythm_problem", "heart_failure"},
    "implanted_device": {"pacemaker", "implanted_defibrillator"},
    "pregnancy_status": {"pregnancy", "breastfeeding"},
}
BLOOD_THINNER_CLASSES = {"anticoagulant", "antiplatelet"}
UNNAMED_BLOOD_THINNER = "anticoagulant_unspecified"
LEVEL_MESSAGES = {
    "emergency": "Because of what you told me, please call {emergency_number} now or go to the nearest emergency department.",
    "urgent": "Please see a doctor today: contact your GP or call {urgent_number}.",
    "consultation": "I suggest booking an appointment with the clinic so a clinician can assess your pain.",
    "self_care": ("Self-care looks reasonable for now. See a doctor if the pain lasts more than a few weeks, gets "
                  "worse, or you notice new weakness, numbness or problems with your bladder or bowels."),
}


def _intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def _entities(tracker: Tracker) -> List[Dict[str, Any]]:
    return tracker.latest_message.get("entities") or []


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def report_slot_updates(tracker: Tracker, entities: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The report slots that change when these entities join the patient report (denied ones included)."""
    report = PatientReport.from_slots(tracker.current_slot_values())
    report.add_entities(entities)
    return {name: values for name, values in report.slots.items() if values != (tracker.get_slot(name) or [])}


def _report_updates(tracker: Tracker, extra_entities: List[Dict[str, Any]] = ()) -> Dict[str, Any]:
    """This message's entities, and any implied by an answer, added to the patient report."""
    return report_slot_updates(tracker, list(_entities(tracker)) + list(extra_entities))


def _retry_or_skip(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
    """One clear re-ask; a second answer that still can't be read is recorded as not given, so no one is stuck."""
    if tracker.get_slot("answer_retries"):
        return {slot: answers.NOT_GIVEN, "answer_retries": 0}
    dispatcher.utter_message(response="utter_please_answer")
    return {slot: None, "answer_retries": 1}


def _screening_instrument():
    return knowledge.repository().screening_instrument(SCREENING_INSTRUMENT)


def _make_ask_action(item_id: str) -> type:
    """action_ask_<item>: the item's question, worded in the knowledge base, with yes / no / not sure buttons."""

    class AskScreeningItem(Action):
        def name(self) -> Text:
            return f"action_ask_{item_id}"

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
            item = next(i for i in _screening_instrument().items if i.id == item_id)
            dispatcher.utter_message(text=item.question, buttons=YES_NO_BUTTONS)
            return []

    AskScreeningItem.__name__ = f"ActionAsk_{item_id}"
    return AskScreeningItem


ASK_ACTIONS = [_make_ask_action(item_id) for item_id in DN4_ITEMS]


class ValidateScreeningForm(FormValidationAction):
    """Each DN4 answer: yes / no / not sure, or the symptom itself ("it burns"); other symptoms the same message
    mentions answer their items too, so nothing already said is asked again. One validate_<item> per item."""

    def name(self) -> Text:
        return "validate_screening_form"

    def validate_item(self, item_id: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        items = {item.id: item for item in _screening_instrument().items}
        symptom_id = items[item_id].symptom_id
        answer = answers.yes_no(_intent(tracker), _entities(tracker), symptom_id)
        if answer is None:
            return _retry_or_skip(item_id, dispatcher, tracker)
        result: Dict[str, Any] = {item_id: answer, "answer_retries": 0}
        for other in items.values():  # "yes, and it tingles too"
            if other.id != item_id and tracker.get_slot(other.id) is None:
                found = answers.yes_no("", _entities(tracker), other.symptom_id)
                if found:
                    result[other.id] = found
        # the answer is itself a statement about the symptom: keep it in the patient's report
        implied = [{"entity": "symptom", "value": symptom_id, **({"role": "negated"} if answer == NO else {})}] \
            if symptom_id and answer in (YES, NO) else []
        result.update(_report_updates(tracker, implied))
        return result


def _make_item_validator(item_id: str):
    def validate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        return self.validate_item(item_id, dispatcher, tracker)
    return validate


for _item_id in DN4_ITEMS:
    setattr(ValidateScreeningForm, f"validate_{_item_id}", _make_item_validator(_item_id))


class ValidateHistoryForm(FormValidationAction):
    """History questions, skipping what is already known and what does not apply (pregnancy over 65)."""

    def name(self) -> Text:
        return "validate_history_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        known = set(tracker.get_slot("conditions") or []) | set(tracker.get_slot("conditions_absent") or [])
        medications = tracker.get_slot("medications") or []
        classes = {c for m in medications for c in knowledge.repository().medication_classes(m)}
        skip = {slot for slot, conditions in KNOWN_BY_CONDITIONS.items() if known & conditions}
        if tracker.get_slot("pain_locations"):
            skip.add("pain_location")
        if tracker.get_slot("age_band") == "65_plus":
            skip.add("pregnancy_status")
        if classes & BLOOD_THINNER_CLASSES:
            skip.add("blood_thinners")
        return [slot for slot in domain_slots if slot not in skip]

    def validate_pain_location(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        updates = _report_updates(tracker)
        if updates.get("pain_locations"):
            return {"pain_location": ", ".join(updates["pain_locations"]), **updates, "answer_retries": 0}
        if answers.declined(_intent(tracker), _text(tracker)):
            return {"pain_location": answers.NOT_GIVEN, **updates}
        return {"pain_location": _text(tracker).strip() or answers.NOT_GIVEN, **updates}

    def validate_pain_duration(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        months = answers.duration_months(_text(tracker), datetime.now(timezone.utc).year)
        if months is not None:
            return {"pain_duration": _text(tracker).strip(), "pain_duration_months": months, "answer_retries": 0}
        if answers.declined(_intent(tracker), _text(tracker)):
            return {"pain_duration": answers.NOT_GIVEN}
        return _retry_or_skip("pain_duration", dispatcher, tracker)

    def validate_pain_score(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        pain = answers.pain_score(_text(tracker))
        if pain is not None:
            return {"pain_score": pain, "answer_retries": 0}
        if answers.declined(_intent(tracker), _text(tracker)):
            return {"pain_score": answers.NOT_GIVEN}
        return _retry_or_skip("pain_score", dispatcher, tracker)

    def validate_daily_impact(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return self._yes_no("daily_impact", dispatcher, tracker)

    def _listed(self, slot: str, entity_type: str, tracker: Tracker) -> Dict[str, Any]:
        answer, _ = answers.listed_or_none(_intent(tracker), _text(tracker), _entities(tracker), entity_type)
        return {slot: answer or answers.NOT_GIVEN, **_report_updates(tracker)}

    def validate_other_conditions(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return self._listed("other_conditions", "condition", tracker)

    def validate_current_medications(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return self._listed("current_medications", "medication", tracker)

    def validate_treatments_tried(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        answer, _ = answers.listed_or_none(_intent(tracker), _text(tracker), _entities(tracker), "therapy")
        return {"treatments_tried": answer or answers.NOT_GIVEN, **_report_updates(tracker)}

    def validate_age_band(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        band = answers.age_band(_text(tracker))
        if band:
            return {"age_band": band, "answer_retries": 0}
        if answers.declined(_intent(tracker), _text(tracker)):
            return {"age_band": answers.NOT_GIVEN}
        return _retry_or_skip("age_band", dispatcher, tracker)

    def validate_pregnancy_status(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        mentioned = {e["value"]: e.get("role") for e in _entities(tracker) if e.get("entity") == "condition"}
        updates = _report_updates(tracker)
        for state in ("pregnancy", "breastfeeding"):
            if state in mentioned and mentioned[state] != "negated":
                return {"pregnancy_status": state, **updates, "answer_retries": 0}
        if _intent(tracker) == "deny" or mentioned or answers.yes_no(_intent(tracker)) == "no":
            return {"pregnancy_status": "neither", **updates}
        if answers.declined(_intent(tracker), _text(tracker)):
            return {"pregnancy_status": answers.NOT_GIVEN}
        return _retry_or_skip("pregnancy_status", dispatcher, tracker)

    def validate_kidney_problems(self, value, dispatcher, tracker, domain):
        return self._yes_no("kidney_problems", dispatcher, tracker)

    def validate_liver_problems(self, value, dispatcher, tracker, domain):
        return self._yes_no("liver_problems", dispatcher, tracker)

    def validate_heart_problems(self, value, dispatcher, tracker, domain):
        return self._yes_no("heart_problems", dispatcher, tracker)

    def validate_implanted_device(self, value, dispatcher, tracker, domain):
        return self._yes_no("implanted_device", dispatcher, tracker)

    def validate_blood_thinners(self, value, dispatcher, tracker, domain):
        result = self._yes_no("blood_thinners", dispatcher, tracker)
        named = [e for e in _entities(tracker) if e.get("entity") == "medication"]
        if result.get("blood_thinners") == YES and not named:
            result.update(_report_updates(tracker, [{"entity": "medication", "value": UNNAMED_BLOOD_THINNER}]))
        return result

    def _yes_no(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        named = [e for e in _entities(tracker) if e.get("entity") in ("condition", "medication")]
        answer = answers.yes_no(_intent(tracker)) or ((NO if all(e.get("role") == "negated" for e in named)
                                                       else YES) if named else None)
        if answer is None:
            return _retry_or_skip(slot, dispatcher, tracker)
        implied = []
        condition = YES_MEANS_CONDITION.get(slot)
        if condition and not named and answer in (YES, NO):
            implied = [{"entity": "condition", "value": condition, **({} if answer == YES else {"role": "negated"})}]
        return {slot: answer, "answer_retries": 0, **_report_updates(tracker, implied)}


class ActionReportScreening(Action):
    """Says what the screening answers suggest, never as a diagnosis."""

    def name(self) -> Text:
        return "action_report_screening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        instrument = _screening_instrument()
        result = score(instrument, {item.id: tracker.get_slot(item.id) for item in instrument.items if tracker.get_slot(item.id)})
        dispatcher.utter_message(text=f"{result.wording} {cite(instrument.source_ids)}")
        return []


def _profile(tracker: Tracker) -> PatientProfile:
    band = tracker.get_slot("age_band")
    return PatientProfile(conditions=tracker.get_slot("conditions") or [],
                          medications=tracker.get_slot("medications") or [],
                          age_band=band if band in ("under_18", "18_to_64", "65_plus") else None)


def option_lines(options) -> List[str]:
    """Options to discuss, most recommended first, with cautions; then those not advised and why."""
    lines = []
    for option in [o for o in options if o.suitability != "not_advised"][:6]:
        caution = (" Take care: " + " ".join(for_patient(w.text, w.review) for w in option.warnings)
                   if option.suitability == "caution" else "")
        lines.append(f"- {option.name} ({option.guideline_line.replace('_', ' ')}).{caution} {cite(option.source_ids)}")
    for option in [o for o in options if o.suitability == "not_advised" and o.warnings][:4]:
        reason = option.warnings[0]
        lines.append(f"- Not advised for you: {option.name}. {for_patient(reason.text, reason.review)} {cite(reason.source_ids)}")
    return lines


# Channels whose clients read the summary payload. Messaging apps (Telegram, Slack, Messenger, Twilio) would fail on
# it or show raw JSON; they get the same content as the text messages above, and staff read the stored summary.
CUSTOM_PAYLOAD_CHANNELS = {"rest", "socketio", "cmdline"}


def sends_custom_payloads(input_channel: Optional[str]) -> bool:
    return input_channel is None or input_channel in CUSTOM_PAYLOAD_CHANNELS


class ActionFinishAssessment(Action):
    """The end of the assessment: triage level with reasons, options with their safety, the summary payload."""

    def name(self) -> Text:
        return "action_finish_assessment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        kb = knowledge.repository()
        numbers = knowledge.locale_numbers()
        instrument = _screening_instrument()
        screening_answers = {item.id: tracker.get_slot(item.id) for item in instrument.items if tracker.get_slot(item.id)}
        screening = score(instrument, screening_answers) if screening_answers else None
        flags = [flag for flag in map(kb.red_flag, tracker.get_slot("red_flags") or []) if flag]
        flag_level = max((f.triage_level for f in flags), key=TRIAGE_ORDER.index, default=None)
        months = tracker.get_slot("pain_duration_months")
        pain = tracker.get_slot("pain_score")
        decision = decide(TriageInput(
            red_flag_level=flag_level, red_flag_names=tuple(f.name for f in flags),
            screening_positive=screening.positive if screening else None,
            chronic=None if months is None else months >= CHRONIC_MONTHS,
            pain_score=pain if isinstance(pain, (int, float)) else None,
            limits_daily_life=tracker.get_slot("daily_impact") == YES))
        options = kb.therapy_options(_profile(tracker))
        record = AssessmentRecord(
            conversation_id=tracker.sender_id, decision=decision, red_flags=[f.id for f in flags],
            symptoms_present=tracker.get_slot("symptoms_present") or [],
            symptoms_absent=tracker.get_slot("symptoms_absent") or [],
            conditions=tracker.get_slot("conditions") or [], medications=tracker.get_slot("medications") or [],
            pain_locations=tracker.get_slot("pain_locations") or [], pain_duration=tracker.get_slot("pain_duration"),
            pain_score=pain if isinstance(pain, (int, float)) else None, screening=screening, therapy_options=options,
            extra_source_ids=[s for f in flags for s in f.source_ids] + list(instrument.source_ids))
        summary = build_summary(record, lambda ids: [{"id": s.id, "citation": s.citation, "url": s.url}
                                                     for s in kb.sources(ids)])
        level_text = LEVEL_MESSAGES[decision.level].format(emergency_number=numbers.emergency_number,
                                                           urgent_number=numbers.urgent_number)
        dispatcher.utter_message(text=f"Triage: {decision.level.replace('_', ' ')}. {level_text}")
        dispatcher.utter_message(text="Why: " + " ".join(decision.reasons) + f" {cite(decision.source_ids)}")
        dispatcher.utter_message(text="\n".join(["Treatment options you could discuss with a clinician (general "
                                                 "information, not advice for you):"] + option_lines(options)))
        if sends_custom_payloads(tracker.get_latest_input_channel()):
            dispatcher.utter_message(json_message={"triage_summary": summary})
        if tracker.get_slot("consent_given"):
            knowledge.records().save_summary(summary)
        return [SlotSet("triage_level", decision.level), SlotSet("assessment_complete", True)]


class ActionExplainQuestion(Action):
    """"Why do you ask?" inside the assessment: the reason for the current question; the form then asks again."""

    def name(self) -> Text:
        return "action_explain_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        requested = tracker.get_slot("requested_slot") or ""
        topic = "screening" if requested.startswith("dn4_") else requested
        response = f"utter_why_{topic}"
        dispatcher.utter_message(response=response if response in domain.get("responses", {}) else "utter_why_general")
        return []


class ActionApplyCorrection(Action):
    """"Actually it's my hands", "I meant 8", "I'm not diabetic": earlier answers are changed, nothing else lost."""

    def name(self) -> Text:
        return "action_apply_correction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        updates = _report_updates(tracker)
        text = _text(tracker)
        pain = answers.pain_score(text)
        months = answers.duration_months(text, datetime.now(timezone.utc).year)
        if months is not None and tracker.get_slot("pain_duration") is not None:
            updates.update(pain_duration=text.strip(), pain_duration_months=months)
        elif pain is not None and tracker.get_slot("pain_score") is not None:
            updates["pain_score"] = pain
        locations = [e["value"] for e in _entities(tracker) if e.get("entity") == "body_part" and e.get("role") != "negated"]
        if locations:  # "it's my hands, not my feet": the new places replace the old
            updates["pain_locations"] = list(dict.fromkeys(locations))
            updates["pain_location"] = ", ".join(updates["pain_locations"])
        dispatcher.utter_message(text="Thank you, I've updated that." if updates else
                                 "Thank you. Could you tell me exactly what to change?")
        return [SlotSet(name, value) for name, value in updates.items()]


class ActionRequestConsultation(Action):
    """Books a consultation request for staff, linked to the stored summary; before the assessment, explains."""

    def name(self) -> Text:
        return "action_request_consultation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        if not (tracker.get_slot("assessment_complete") and tracker.get_slot("consent_given")):
            dispatcher.utter_message(response="utter_book_after_assessment")
            return []
        knowledge.records().request_consultation(tracker.sender_id)
        dispatcher.utter_message(response="utter_booking_confirmed")
        return []


INTENT_LABELS = {
    "describe_pain": "you're describing your pain", "inform": "you're answering my question",
    "ask_therapy_options": "you'd like to know the treatment options", "ask_about_therapy": "you're asking about a treatment",
    "faq": "you have a general question", "request_human": "you'd like to talk to a person",
    "book_appointment": "you'd like to book an appointment", "why_question": "you're asking why I need this",
    "correct": "you want to change an earlier answer", "restart": "you want to start again", "goodbye": "you're leaving",
    "affirm": "yes", "deny": "no", "dont_know": "you're not sure", "greet": "hello", "thank": "thank you",
}


class ActionDefaultAskAffirmation(Action):
    """First stage of the two-stage fallback: "Did you mean ...?" with the best guess and "Something else"."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        ranking = [r for r in tracker.latest_message.get("intent_ranking") or []
                   if r.get("name") in INTENT_LABELS]
        if not ranking:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        best = ranking[0]["name"]
        dispatcher.utter_message(text=f"Sorry, I'm not sure I understood. Did you mean that {INTENT_LABELS[best]}?",
                                 buttons=[{"title": "Yes", "payload": f"/{best}"},
                                          {"title": "No, something else", "payload": "/out_of_scope"}])
        return []


class ActionDefaultFallback(Action):
    """After two misunderstandings in a row: offer a person, and forget the misunderstood messages."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        dispatcher.utter_message(response="utter_still_not_understood")
        return [UserUtteranceReverted()]
