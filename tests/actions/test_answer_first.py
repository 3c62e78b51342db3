"""While a question is open, the patient's words are read as its answer first; only an explicit digression that is
no answer leaves the question (handed back to the rules), and nothing is stored from it."""
import pytest

from actions.actions import ActionResumeAssessment
from actions.assessment import ActionApplyCorrection, ValidateHistoryForm, ValidateScreeningForm
from tests.actions.conftest import run, slot_events, texts, tracker

REJECTED = "action_execution_rejected"


def turn(form, text, intent, requested, entities=(), slots=None):
    """One patient message to an open question, as Rasa's form hands it to the validator."""
    all_slots = {"requested_slot": requested, requested: text, **(slots or {})}
    events = [{"event": "user", "text": text}, {"event": "slot", "name": requested, "value": text}]
    return run(form, tracker(text, intent, entities, all_slots, active_loop=form.form_name(), events=events))


@pytest.mark.parametrize("text, intent, requested", [
    ("why do you need to know that", "why_question", "pain_score"),
    ("bye", "goodbye", "pain_duration"),
    ("can i start again", "start_over", "age_band"),
    ("what is neuropathy anyway", "faq", "daily_impact"),
    ("can i speak to a nurse", "request_human", "kidney_problems"),
])
def test_an_explicit_digression_leaves_the_question_and_stores_nothing(text, intent, requested):
    messages, events = turn(ValidateHistoryForm(), text, intent, requested)
    assert events[-1]["event"] == REJECTED and events[-1]["name"] == "history_form"
    assert slot_events(events) == {requested: None} and not messages


@pytest.mark.parametrize("text, intent, requested, slot, value", [
    ("on and off", "goodbye", "pain_duration", "pain_duration", None),  # a pattern, not a goodbye: help follows
    ("6ish", "out_of_scope", "pain_score", "pain_score", 6),
    ("ye go on", "goodbye", "daily_impact", "daily_impact", "yes"),
    ("left leg", "goodbye", "pain_location", "pain_location", "left leg"),
    ("why not, maybe 2 years", "why_question", "pain_duration", "pain_duration", "why not, maybe 2 years"),
    ("not sure", "faq", "kidney_problems", "kidney_problems", "unknown"),
    ("yes i am", "affirm", "pregnancy_status", "pregnancy_status", "pregnancy"),
])
def test_an_answer_is_read_as_an_answer_whatever_the_intent(text, intent, requested, slot, value):
    messages, events = turn(ValidateHistoryForm(), text, intent, requested)
    assert all(e["event"] != REJECTED for e in events)
    assert slot_events(events)[slot] == value


def test_kinda_answers_a_screening_item_and_is_no_bot_challenge():
    _, events = turn(ValidateScreeningForm(), "kinda? like zingy", "bot_challenge", "dn4_electric_shock")
    assert slot_events(events)["dn4_electric_shock"] == "yes"


def test_on_and_off_gets_help_for_the_duration_question_and_then_moves_on():
    messages, events = turn(ValidateHistoryForm(), "on and off", "inform", "pain_duration")
    assert "first start" in texts(messages) and slot_events(events)["answer_retries"] == 1
    messages, events = turn(ValidateHistoryForm(), "it comes and goes", "inform", "pain_duration",
                            slots={"answer_retries": 1})
    assert slot_events(events)["pain_duration"] == "not given"
    assert [m["response"] for m in messages] == ["utter_answer_skipped"]


def test_a_duration_given_for_the_score_is_not_a_score():
    messages, events = turn(ValidateHistoryForm(), "4 months", "inform", "pain_score")
    assert slot_events(events)["pain_score"] is None and "0 (none) to 10" in texts(messages)


def test_the_worst_score_is_kept_with_the_patients_words():
    _, events = turn(ValidateHistoryForm(), "usually a 3 but 9 at night", "inform", "pain_score")
    slots = slot_events(events)
    assert slots["pain_score"] == 9 and slots["pain_score_text"] == "usually a 3 but 9 at night"


def test_small_talk_is_answered_and_the_question_asked_again_without_counting_a_miss():
    messages, events = turn(ValidateHistoryForm(), "thanks", "thank", "age_band")
    assert [m["response"] for m in messages] == ["utter_you_are_welcome"]
    assert slot_events(events) == {"age_band": None}


def test_a_yes_to_pregnancy_records_the_condition():
    _, events = turn(ValidateHistoryForm(), "yes i am, 20 weeks", "affirm", "pregnancy_status")
    slots = slot_events(events)
    assert slots["pregnancy_status"] == "pregnancy" and "pregnancy" in slots["conditions"]


def test_unknown_medicines_are_kept_for_staff():
    entities = [{"entity": "medication", "value": "metformin", "start": 0, "end": 9}]
    _, events = turn(ValidateHistoryForm(), "metformin, tamoxiphen and my blue inhaler", "inform",
                     "current_medications", entities)
    slots = slot_events(events)
    assert slots["medications"] == ["metformin"]
    assert slots["unrecognised_medications"] == ["tamoxiphen", "my blue inhaler"]


def test_none_to_conditions_answers_the_heart_kidney_and_liver_questions_it_names():
    _, events = turn(ValidateHistoryForm(), "none", "deny", "other_conditions")
    slots = slot_events(events)
    assert slots["other_conditions"] == "none"
    assert (slots["kidney_problems"], slots["liver_problems"], slots["heart_problems"]) == ("no", "no", "no")


def test_medicines_tried_for_the_pain_are_history_not_current():
    entities = [{"entity": "medication", "value": "ibuprofen", "start": 6, "end": 15}]
    _, events = turn(ValidateHistoryForm(), "tried ibuprofen, didnt help", "inform", "treatments_tried", entities)
    slots = slot_events(events)
    assert slots["treatments_tried"] == "ibuprofen" and "ibuprofen" not in (slots.get("medications") or [])


def test_a_correction_changes_only_that_fact_and_recomputes_a_finished_assessment():
    slots = {"pain_duration": "3 months", "pain_duration_months": 3, "pain_score": 6, "assessment_complete": True}
    messages, events = run(ActionApplyCorrection(), tracker("actually its 3 years not 3 months", "correct",
                                                             slots=slots))
    changed = slot_events(events)
    assert changed["pain_duration_months"] == 36 and "pain_score" not in changed
    assert events[-1] == {"event": "followup", "name": "action_finish_assessment", "timestamp": None}
    _, events = run(ActionApplyCorrection(), tracker("sorry i'm 67", "correct", slots=slots))
    assert slot_events(events) == {"age_band": "65_plus"}


@pytest.mark.parametrize("slots, step", [
    ({"consent_given": None}, "ask_consent"), ({"consent_given": True}, "describe"),
    ({"consent_given": True, "pain_described": True}, "screening"),
    ({"consent_given": True, "pain_described": True, "assessment_complete": True}, "none"),
    ({"consent_given": False}, "none")])
def test_carrying_on_goes_back_to_where_the_conversation_was(slots, step):
    _, events = run(ActionResumeAssessment(), tracker("no", "deny", slots=slots))
    assert slot_events(events)["next_step"] == step


@pytest.mark.parametrize("level, expected", [("emergency", "call 999 now"), ("urgent", "call 111")])
def test_pushback_gets_the_same_advice_again_with_the_number(level, expected):
    from actions.actions import ActionHoldAdvice
    messages, events = run(ActionHoldAdvice(), tracker("can i wait till monday?", "pushback",
                                                       slots={"red_flags": ["chest_pain"], "triage_level": level}))
    said = texts(messages)
    assert expected in said and "Source" in said and events == []
    assert "can wait" not in said.lower()


def test_a_conditions_list_answers_the_heart_kidney_and_liver_questions_it_names():
    entities = [{"entity": "condition", "value": "diabetes"}, {"entity": "condition", "value": "kidney_disease"}]
    _, events = turn(ValidateHistoryForm(), "diabetes and ckd", "inform", "other_conditions", entities)
    slots = slot_events(events)
    assert (slots.get("kidney_problems"), slots["liver_problems"], slots["heart_problems"]) == (None, "no", "no")
    _, events = turn(ValidateHistoryForm(), "not sure", "dont_know", "other_conditions")
    assert "heart_problems" not in slot_events(events)


def test_the_action_server_registers_every_validator_and_not_the_base_class():
    from rasa_sdk.executor import ActionExecutor
    executor = ActionExecutor()
    executor.register_package("actions")
    assert {"validate_screening_form", "validate_history_form", "action_ask_warning_answer",
            "action_hold_advice", "action_resume_assessment"} <= set(executor.actions)


@pytest.mark.parametrize("text, value, role, current", [
    ("tramadol, no help", "tramadol", "past", ["tramadol"]),      # failed: history even if given as current before
    ("pregabalin, it helps a bit", "pregabalin", None, ["pregabalin"]),  # still taken
    ("it's trileptal now", "oxcarbazepine", None, []),             # now: current
    ("ibuprofen", "ibuprofen", "past", []),                        # tried: history
])
def test_a_medicine_named_as_tried_keeps_the_status_the_words_give(text, value, role, current):
    start = text.index(text.split()[0] if value != "oxcarbazepine" else "trileptal")
    entities = [{"entity": "medication", "value": value, "start": start, "end": start + 5}]
    _, events = turn(ValidateHistoryForm(), text, "inform", "treatments_tried", entities, slots={"medications": current})
    slots = slot_events(events)
    now = slots.get("medications", current)
    history = [m["id"] for m in slots.get("medications_past", [])]
    assert (value in now) == (role is None) and (value in history) == (role == "past")


@pytest.mark.parametrize("asked, text, expected", [
    ("utter_confirm_handoff", "actually no thanks, it's fine, let's just carry on", "followup"),
    ("utter_confirm_handoff", "yeah go on then", "pause"),
    ("utter_confirm_stop", "ok bye then", None),
    ("utter_confirm_stop", "hmm what do you mean", "followup"),
    ("utter_confirm_restart", "yes start over please", "restart"),
])
def test_a_confirmation_in_other_words_is_read_from_the_words(asked, text, expected):
    from actions.actions import ActionReadConfirmation
    events = [{"event": "bot", "text": "?", "metadata": {"utter_action": asked}}, {"event": "user", "text": text}]
    messages, result = run(ActionReadConfirmation(), tracker(text, "correct", events=events))
    kinds = [e["event"] for e in result]
    assert (kinds[0] if kinds else None) == expected


def test_a_yes_after_declining_asks_for_consent_again():
    _, events = run(ActionResumeAssessment(), tracker("yes please", "affirm", slots={"consent_given": False}))
    assert slot_events(events)["next_step"] == "ask_consent"
