"""The assessment: screening and history forms, the end of the assessment, corrections, "why?", booking, fallback.

Thin: answers are read by neurotriage.clinical.answers, scored by .screening, decided by .triage, assembled by
.summary; the knowledge base supplies questions, options, warnings and sources.
"""
from __future__ import annotations

import logging
from abc import abstractmethod
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import knowledge
from neurotriage.clinical import answers
from neurotriage.clinical import warning_questions
from neurotriage.clinical.escalation import TRIAGE_ORDER, escalate
from neurotriage.clinical.patient_report import PatientReport
from neurotriage.clinical.profile import PatientProfile
from neurotriage.clinical.screening import NO, UNKNOWN, YES, score
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
# Pregnancy is not asked from this age (nor in the 65-plus band), as symptom checkers do.
NO_PREGNANCY_AGE = 55
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


# ---------------------------------------------------------------------------------------------------------------
# Answer first: while a question is open, the patient's words are read as its answer. Only an explicit digression
# that is no answer leaves the question; the rules in data/rules.yml answer it and come back to the same question.

# Intents that may leave an open question (a red flag never reaches a validator: the form ignores that intent).
DIGRESSIONS = ("why_question", "faq", "correct", "request_human", "ask_about_therapy", "ask_therapy_options",
               "book_appointment", "goodbye", "start_over", "pushback")
# Small talk inside a question is answered and the question asked again; it does not count as a failed answer.
SMALL_TALK = {"thank": "utter_you_are_welcome", "greet": "utter_continue", "bot_challenge": "utter_iamabot"}
MAX_FAILED_ANSWERS = 2


def _failed_answer(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                   hint: Optional[str] = None) -> Dict[str, Any]:
    """First miss: say what kind of answer fits, with examples and a way out (utter_help_<slot>). Second miss: record
    "not given" (never a "no"), say so, and move on, so no question is asked a third time."""
    misses = int(tracker.get_slot("answer_retries") or 0) + 1
    if misses >= MAX_FAILED_ANSWERS:
        dispatcher.utter_message(response="utter_answer_skipped")
        return {slot: answers.NOT_GIVEN, "answer_retries": 0}
    if hint:
        dispatcher.utter_message(text=hint)
    else:
        dispatcher.utter_message(response=f"utter_help_{'screening' if slot.startswith('dn4_') else slot}")
    return {slot: None, "answer_retries": misses}


class AnswerFirstValidation(FormValidationAction):
    """Base of the form validators. Before any validate_<slot> runs, a message that does not read as an answer to the
    open question and is an explicit digression is handed back to the rules (ActionExecutionRejected), with the open
    slot cleared so the question is asked again afterwards. Subclasses say what reads as an answer."""

    @abstractmethod  # abstract, so rasa_sdk does not register this base class as an action
    def reads_as_answer(self, slot: str, tracker: Tracker) -> bool:
        """Whether the latest message reads as an answer to `slot`."""

    def is_digression(self, slot: str, tracker: Tracker) -> bool:
        """An explicit digression that is no answer. Leaving and starting again need the words as well as the
        intent ("on and off" is no goodbye), and "not sure" is always an answer."""
        intent, text = _intent(tracker), _text(tracker)
        if intent not in DIGRESSIONS or self.reads_as_answer(slot, tracker) or answers.describes_pattern(text):
            return False
        if intent == "goodbye":
            return answers.says("leaving", text)
        if intent == "start_over":
            return answers.says("starting_over", text)
        if intent == "correct":  # "sorry what do you mean?" is no correction
            return answers.says("correction", text)
        return True

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        slot = tracker.get_slot("requested_slot")
        # Only a new message is judged: after a digression the form validates nothing and just asks again.
        if slot and slot in tracker.slots_to_validate() and self.is_digression(slot, tracker):
            return [SlotSet(slot, None), ActionExecutionRejected(self.form_name())]
        if slot and slot in tracker.slots_to_validate() and _intent(tracker) in SMALL_TALK \
                and not self.reads_as_answer(slot, tracker):
            dispatcher.utter_message(response=SMALL_TALK[_intent(tracker)])
            return [SlotSet(slot, None)]
        return await super().run(dispatcher, tracker, domain)


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


class ValidateScreeningForm(AnswerFirstValidation):
    """Each DN4 answer: yes / no / not sure in the patient's words ("ye", "kinda", "not really"), or the symptom itself
    ("it burns"); other symptoms the same message mentions answer their items too, so nothing is asked twice."""

    def name(self) -> Text:
        return "validate_screening_form"

    def reads_as_answer(self, slot: str, tracker: Tracker) -> bool:
        items = {item.id: item for item in _screening_instrument().items}
        symptom_id = items[slot].symptom_id if slot in items else None
        return answers.yes_no("", _entities(tracker), symptom_id, _text(tracker)) is not None

    def validate_item(self, item_id: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        items = {item.id: item for item in _screening_instrument().items}
        symptom_id = items[item_id].symptom_id
        answer = answers.yes_no(_intent(tracker), _entities(tracker), symptom_id, _text(tracker))
        if answer is None:
            return {**_failed_answer(item_id, dispatcher, tracker), **_report_updates(tracker)}
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


def _has(tracker: Tracker, entity_type: str) -> bool:
    return any(e.get("entity") == entity_type for e in _entities(tracker))


def _current_year_month() -> Tuple[int, int]:
    now = datetime.now(timezone.utc)
    return now.year, now.month


WARNING_SLOT = "warning_answer"


def _presentation(tracker: Tracker) -> warning_questions.Presentation:
    return warning_questions.Presentation.of(tracker.get_slot("conditions"), tracker.get_slot("pain_locations"),
                                             tracker.get_slot("symptoms_present"))


def _pending_warning_questions(tracker: Tracker) -> list:
    asked = warning_questions.answered(tracker.get_slot("warning_answers") or [])
    return warning_questions.pending(knowledge.repository().red_flags(), _presentation(tracker), asked,
                                     tracker.get_slot("red_flags") or [])


class ActionAskWarningAnswer(Action):
    """action_ask_warning_answer: the next warning-sign question for this patient's presentation."""

    def name(self) -> Text:
        return "action_ask_warning_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        questions = _pending_warning_questions(tracker)
        if questions:
            dispatcher.utter_message(text=questions[0].question, buttons=YES_NO_BUTTONS)
        return []


class ValidateHistoryForm(AnswerFirstValidation):
    """History questions, skipping what is already known and what does not apply (pregnancy over 65)."""

    def name(self) -> Text:
        return "validate_history_form"

    def reads_as_answer(self, slot: str, tracker: Tracker) -> bool:
        text, intent = _text(tracker), _intent(tracker)
        year, month = _current_year_month()
        readers = {
            "pain_location": lambda: _has(tracker, "body_part") or not answers.is_question(text),
            "pain_duration": lambda: answers.duration_months(text, year, month) is not None,
            "pain_score": lambda: answers.pain_score(text) is not None,
            "age_band": lambda: answers.age_band(text) is not None,
            "pregnancy_status": lambda: answers.pregnancy_answer(text) not in (None, answers.NOT_GIVEN)
            or _has(tracker, "condition"),
            # lists are kept in the patient's words ("exercise classes, some help"): anything but a question answers
            "other_conditions": lambda: _has(tracker, "condition") or not answers.is_question(text),
            "current_medications": lambda: _has(tracker, "medication") or not answers.is_question(text),
            "treatments_tried": lambda: _has(tracker, "therapy") or _has(tracker, "medication")
            or not answers.is_question(text),
        }
        reader = readers.get(slot, lambda: answers.yes_no("", [], None, text) is not None)
        return bool(reader()) or answers.declined(intent, text)

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        known = set(tracker.get_slot("conditions") or []) | set(tracker.get_slot("conditions_absent") or [])
        medications = tracker.get_slot("medications") or []
        classes = {c for m in medications for c in knowledge.repository().medication_classes(m)}
        skip = {slot for slot, conditions in KNOWN_BY_CONDITIONS.items() if known & conditions}
        if tracker.get_slot("pain_locations"):
            skip.add("pain_location")
        age = tracker.get_slot("age_years")
        if tracker.get_slot("age_band") == "65_plus" or (isinstance(age, (int, float)) and age >= NO_PREGNANCY_AGE):
            skip.add("pregnancy_status")
        if classes & BLOOD_THINNER_CLASSES or tracker.get_slot("current_medications") == answers.NONE:
            skip.add("blood_thinners")  # no medicines at all means no blood thinner either
        if not _pending_warning_questions(tracker):
            skip.add(WARNING_SLOT)
        return [slot for slot in domain_slots if slot not in skip]

    def validate_warning_answer(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        """The answer to one warning-sign question. Yes escalates at once and ends the questions, as a warning sign
        volunteered would; "not sure" is kept and never counts as a no; the next question follows."""
        questions = _pending_warning_questions(tracker)
        if not questions:
            return {WARNING_SLOT: None}
        flag = questions[0]
        answer = answers.yes_no(_intent(tracker), [], None, _text(tracker))
        if answer is None:
            if answers.declined(_intent(tracker), _text(tracker)):
                answer = UNKNOWN
            else:
                failed = _failed_answer(WARNING_SLOT, dispatcher, tracker)
                if failed[WARNING_SLOT] != answers.NOT_GIVEN:
                    return failed
                answer = UNKNOWN
        asked = warning_questions.record(tracker.get_slot("warning_answers") or [], flag.id, answer)
        if answer != YES:
            return {WARNING_SLOT: None, "warning_answers": asked, "answer_retries": 0}
        escalation = escalate([flag], knowledge.locale_numbers(), tracker.get_slot("triage_level"))
        for message in escalation.messages:
            dispatcher.utter_message(text=message)
        dispatcher.utter_message(text=cite(escalation.source_ids))
        known = tracker.get_slot("red_flags") or []
        return {WARNING_SLOT: YES, "warning_answers": asked, "answer_retries": 0, "requested_slot": None,
                "triage_level": escalation.triage_level, "red_flags": known + [f for f in escalation.red_flag_ids
                                                                                 if f not in known]}

    def validate_pain_location(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        updates = _report_updates(tracker)
        if updates.get("pain_locations") or tracker.get_slot("pain_locations"):
            places = updates.get("pain_locations") or tracker.get_slot("pain_locations")
            return {"pain_location": ", ".join(places), **updates, "answer_retries": 0}
        if answers.declined(_intent(tracker), _text(tracker)):
            return {"pain_location": answers.NOT_GIVEN, **updates}
        words = _text(tracker).strip()
        if len(words) < 3 or answers.yes_no_text(words):  # "yes" or "?" says nothing about where
            return {**_failed_answer("pain_location", dispatcher, tracker), **updates}
        return {"pain_location": words, **updates, "answer_retries": 0}  # kept in the patient's words

    def validate_pain_duration(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        text = _text(tracker)
        months = answers.duration_months(text, *_current_year_month())
        if months is not None:
            return {"pain_duration": text.strip(), "pain_duration_months": months, "answer_retries": 0,
                    **_report_updates(tracker)}
        if answers.declined(_intent(tracker), text):
            return {"pain_duration": answers.NOT_GIVEN, "answer_retries": 0}
        hint = ("Thank you, so it comes and goes. What I need here is roughly how long ago it first started, for "
                "example: 3 weeks, 6 months, 2 years, or 'not sure'.") if answers.describes_pattern(text) else None
        return {**_failed_answer("pain_duration", dispatcher, tracker, hint), **_report_updates(tracker)}

    def validate_pain_score(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        text = _text(tracker)
        pain = answers.pain_score(text)
        if pain is not None:
            return {"pain_score": pain, "pain_score_text": text.strip(), "answer_retries": 0}
        if answers.declined(_intent(tracker), text):
            return {"pain_score": answers.NOT_GIVEN, "answer_retries": 0}
        hint = None
        if answers.duration_months(text, *_current_year_month()) is not None:
            hint = ("That sounds like how long you've had it, thank you. For this question I need how strong the "
                    "pain is, as a number from 0 (none) to 10 (the worst you can imagine).")
        return _failed_answer("pain_score", dispatcher, tracker, hint)

    def validate_daily_impact(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        return self._yes_no("daily_impact", dispatcher, tracker)

    def _listed(self, slot: str, entity_type: str, dispatcher, tracker: Tracker) -> Dict[str, Any]:
        answer, _ = answers.listed_or_none(_intent(tracker), _text(tracker), _entities(tracker), entity_type)
        return {slot: answer or answers.NOT_GIVEN, "answer_retries": 0, **_report_updates(tracker)}

    def validate_other_conditions(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        result = self._listed("other_conditions", "condition", dispatcher, tracker)
        if result["other_conditions"] != answers.NOT_GIVEN:
            # the question names heart, kidney and liver problems, as a checklist does: a list without them, or
            # "none", answers those too; one that names them answers yes (set from the conditions themselves)
            named = set(result.get("conditions") or tracker.get_slot("conditions") or [])
            for slot in ("kidney_problems", "liver_problems", "heart_problems"):
                if tracker.get_slot(slot) is None and not named & KNOWN_BY_CONDITIONS[slot]:
                    result[slot] = NO
        return result

    def validate_current_medications(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        result = self._listed("current_medications", "medication", dispatcher, tracker)
        spans = [(e["start"], e["end"]) for e in _entities(tracker) if "start" in e and "end" in e]
        unknown = answers.unrecognised_items(_text(tracker), spans)
        if unknown and result["current_medications"] not in (answers.NONE, answers.NOT_GIVEN):
            known = tracker.get_slot("unrecognised_medications") or []
            result["unrecognised_medications"] = known + [u for u in unknown if u not in known]
        return result

    def validate_treatments_tried(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        # A medicine named here was tried for this pain: history, not a current medicine. One the patient still takes
        # (given to the medicines question, or "it's trileptal now") stays current unless they say it failed or
        # stopped; a status the words give ("i'm not on it any more") is kept as it is.
        text = _text(tracker)
        current = set(tracker.get_slot("medications") or [])
        still_taken = answers.says("still_taking", text)
        stopped = answers.says("stopped_or_failed", text)

        def as_tried(entity: Dict[str, Any]) -> Dict[str, Any]:
            if entity.get("entity") != "medication" or entity.get("role"):
                return entity
            if still_taken or (entity["value"] in current and not stopped):
                return entity
            return {**entity, "role": "past"}

        tried = [as_tried(e) for e in _entities(tracker)]
        named = [e["value"] for e in tried if e.get("entity") in ("therapy", "medication") and e.get("role") != "negated"]
        answer = ", ".join(dict.fromkeys(named)) or answers.listed_or_none(_intent(tracker), text, [], "therapy")[0]
        return {"treatments_tried": answer or answers.NOT_GIVEN, "answer_retries": 0,
                **report_slot_updates(tracker, tried)}

    def validate_age_band(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        text = _text(tracker)
        band = answers.age_band(text)
        if band:
            return {"age_band": band, "age_years": answers.age_years(text), "answer_retries": 0}
        if answers.declined(_intent(tracker), text):
            return {"age_band": answers.NOT_GIVEN, "answer_retries": 0}
        return _failed_answer("age_band", dispatcher, tracker)

    def validate_pregnancy_status(self, value: Any, dispatcher, tracker: Tracker, domain) -> Dict[str, Any]:
        mentioned = {e["value"]: e.get("role") for e in _entities(tracker) if e.get("entity") == "condition"}
        updates = _report_updates(tracker)
        for state in ("pregnancy", "breastfeeding"):
            if state in mentioned and not mentioned[state]:
                return {"pregnancy_status": state, **updates, "answer_retries": 0}
        if any(role == "other_person" for role in mentioned.values()) and not any(r is None for r in mentioned.values()):
            # "my daughter is pregnant" says nothing about the patient: ask again
            return {**_failed_answer("pregnancy_status", dispatcher, tracker), **updates}
        status = answers.pregnancy_answer(_text(tracker), _intent(tracker))
        if status in (answers.PREGNANCY, answers.BREASTFEEDING):
            return {"pregnancy_status": status, **report_slot_updates(
                tracker, list(_entities(tracker)) + [{"entity": "condition", "value": status}]), "answer_retries": 0}
        if status or mentioned:
            return {"pregnancy_status": status or answers.NEITHER, **updates, "answer_retries": 0}
        return {**_failed_answer("pregnancy_status", dispatcher, tracker), **updates}

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
        mine = [e for e in named if e.get("role") in (None, "negated")]
        answer = answers.yes_no(_intent(tracker), [], None, _text(tracker))
        if answer is None and mine:  # "i have ckd", "not on any blood thinner"
            answer = NO if all(e.get("role") == "negated" for e in mine) else YES
        if answer is None:
            return {**_failed_answer(slot, dispatcher, tracker), **_report_updates(tracker)}
        implied = []
        condition = YES_MEANS_CONDITION.get(slot)
        if condition and not mine and answer in (YES, NO):
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
        impact = tracker.get_slot("daily_impact")
        unsure = [flag for flag_id, answer in warning_questions.answered(tracker.get_slot("warning_answers") or []).items()
                  if answer in (UNKNOWN, answers.NOT_GIVEN) for flag in [kb.red_flag(flag_id)] if flag]
        decision = decide(TriageInput(
            unsure_warning_signs=tuple((f.name, f.triage_level) for f in unsure),
            red_flag_level=flag_level, red_flag_names=tuple(f.name for f in flags),
            screening_positive=screening.positive if screening and screening.decided else None,
            chronic=None if months is None else months >= CHRONIC_MONTHS,
            pain_score=pain if isinstance(pain, (int, float)) else None,
            limits_daily_life={YES: True, NO: False}.get(impact)))
        options = kb.therapy_options(_profile(tracker))
        record = AssessmentRecord(
            conversation_id=tracker.sender_id, decision=decision, red_flags=[f.id for f in flags],
            symptoms_present=tracker.get_slot("symptoms_present") or [],
            symptoms_absent=tracker.get_slot("symptoms_absent") or [],
            symptoms_past=tracker.get_slot("symptoms_past") or [],
            conditions=tracker.get_slot("conditions") or [], medications=tracker.get_slot("medications") or [],
            conditions_past=tracker.get_slot("conditions_past") or [],
            medication_history=tracker.get_slot("medications_past") or [],
            unrecognised_medications=tracker.get_slot("unrecognised_medications") or [],
            pain_locations=tracker.get_slot("pain_locations") or [], pain_duration=tracker.get_slot("pain_duration"),
            pain_score=pain if isinstance(pain, (int, float)) else None, screening=screening, therapy_options=options,
            extra_source_ids=[s for f in flags for s in f.source_ids] + list(instrument.source_ids))
        summary = build_summary(record, lambda ids: [{"id": s.id, "citation": s.citation, "url": s.url}
                                                     for s in kb.sources(ids)])
        level_text = LEVEL_MESSAGES[decision.level].format(emergency_number=numbers.emergency_number,
                                                           urgent_number=numbers.urgent_number)
        dispatcher.utter_message(text=f"Triage: {decision.level.replace('_', ' ')}. {level_text}")
        dispatcher.utter_message(text="Why: " + " ".join(decision.reasons) + f" {cite(decision.source_ids)}")
        if not flags:  # after a warning sign, getting care comes first: options wait for the clinician
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
    """"Actually it's 3 years not 3 months", "I meant 8", "I'm 67", "it's my hands", "I'm not diabetic": that fact
    and only that fact changes; after the assessment the result is worked out again from the corrected facts."""

    def name(self) -> Text:
        return "action_apply_correction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        updates = _report_updates(tracker)
        text = answers.corrected_text(_text(tracker))
        months = answers.duration_months(text, *_current_year_month())
        band = answers.age_band(text) if answers.mentions_age(text) else None
        pain = answers.pain_score(text)
        if band:
            updates["age_band"] = band
        elif months is not None:
            updates.update(pain_duration=_text(tracker).strip(), pain_duration_months=months)
        elif pain is not None:
            updates.update(pain_score=pain, pain_score_text=_text(tracker).strip())
        locations = [e["value"] for e in _entities(tracker) if e.get("entity") == "body_part" and not e.get("role")]
        if locations:  # "it's my hands, not my feet": the new places replace the old
            updates["pain_locations"] = list(dict.fromkeys(locations))
            updates["pain_location"] = ", ".join(updates["pain_locations"])
        for entity in _entities(tracker):  # "actually i do have kidney problems": the history answer follows
            if entity.get("entity") != "condition" or entity.get("role") not in (None, "negated"):
                continue
            for slot, conditions in KNOWN_BY_CONDITIONS.items():
                if entity["value"] in conditions and slot != "pregnancy_status":
                    updates[slot] = NO if entity.get("role") == "negated" else YES
                elif entity["value"] in conditions:
                    updates[slot] = answers.NEITHER if entity.get("role") == "negated" else entity["value"]
        if not updates:
            # a correction with nothing to change asks what to change; "sorry, what?" gets an honest "I didn't follow"
            dispatcher.utter_message(response="utter_ask_what_to_change" if answers.says("correction", _text(tracker))
                                     else "utter_default")
            return []
        dispatcher.utter_message(text="Thank you, I've updated that.")
        events: List[Dict] = [SlotSet(name, value) for name, value in updates.items()]
        if tracker.get_slot("assessment_complete") and not tracker.active_loop.get("name"):
            events.append(FollowupAction("action_finish_assessment"))
        return events


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
    "correct": "you want to change an earlier answer", "pushback": "you'd rather wait", "start_over": "you want to start again", "goodbye": "you're leaving",
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
