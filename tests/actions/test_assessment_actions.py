"""The assessment's actions and form validators with a real Tracker, the real domain and the real knowledge base."""

import pytest

from actions.actions import ActionNotePatientReport, ActionRecordConsent
from actions.assessment import (ASK_ACTIONS, DN4_ITEMS, ActionApplyCorrection, ActionDefaultAskAffirmation,
                                ActionDefaultFallback, ActionExplainQuestion, ActionFinishAssessment,
                                ActionRequestConsultation, ValidateHistoryForm, ValidateScreeningForm)
from tests.actions.conftest import DOMAIN, run, slot_events, texts, tracker
from tests.async_support import run_sync

ANSWERED_SCREENING = {item: "no" for item in DN4_ITEMS}


def validate(form, text, intent, requested, entities=(), slots=None):
    """Runs a form validator the way Rasa calls it: the requested slot already holds the raw text."""
    all_slots = {"requested_slot": requested, requested: text, **(slots or {})}
    # Rasa's form appends the extracted candidate as the last event; that is what gets validated
    events = [{"event": "user", "text": text}, {"event": "slot", "name": requested, "value": text}]
    return slot_events(run(form, tracker(text, intent, entities, all_slots, active_loop=form.form_name(), events=events))[1])


def test_domain_screening_slots_are_the_knowledge_base_items(repository):
    items = [item.id for item in repository.screening_instrument("dn4_interview").items]
    assert list(DN4_ITEMS) == items == DOMAIN["forms"]["screening_form"]["required_slots"]
    assert {a().name() for a in ASK_ACTIONS} <= set(DOMAIN["actions"])


def test_ask_action_uses_the_knowledge_base_question_with_buttons(repository):
    messages, _ = run(ASK_ACTIONS[0](), tracker())
    assert messages[0]["text"] == repository.screening_instrument("dn4_interview").items[0].question
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny", "/dont_know"]


def test_screening_answers_yes_no_and_dont_know():
    assert validate(ValidateScreeningForm(), "yes", "affirm", "dn4_burning")["dn4_burning"] == "yes"
    assert validate(ValidateScreeningForm(), "nope", "deny", "dn4_itching")["dn4_itching"] == "no"
    assert validate(ValidateScreeningForm(), "not sure", "dont_know", "dn4_numbness")["dn4_numbness"] == "unknown"


def test_one_answer_also_answers_the_other_symptoms_it_mentions():
    result = validate(ValidateScreeningForm(), "yes and it tingles too", "affirm", "dn4_burning",
                      [{"entity": "symptom", "value": "tingling"}])
    assert result["dn4_burning"] == "yes" and result["dn4_tingling"] == "yes"
    assert set(result["symptoms_present"]) >= {"burning", "tingling"}


def test_an_unreadable_answer_is_asked_once_more_then_skipped():
    first = validate(ValidateScreeningForm(), "purple", "out_of_scope", "dn4_burning")
    assert first == {"dn4_burning": None, "answer_retries": 1}
    second = validate(ValidateScreeningForm(), "purple", "out_of_scope", "dn4_burning", slots={"answer_retries": 1})
    assert second == {"dn4_burning": "not given", "answer_retries": 0}


def test_history_reads_scores_durations_and_ages():
    assert validate(ValidateHistoryForm(), "about a 7", "inform", "pain_score")["pain_score"] == 7
    result = validate(ValidateHistoryForm(), "2 years", "inform", "pain_duration")
    assert result["pain_duration_months"] == 24
    assert validate(ValidateHistoryForm(), "i'm 70", "inform", "age_band")["age_band"] == "65_plus"
    # "no" is no pain score: asked once more with help, then recorded as not given (never as 0)
    assert validate(ValidateHistoryForm(), "no", "deny", "pain_score")["pain_score"] is None
    assert validate(ValidateHistoryForm(), "no", "deny", "pain_score", slots={"answer_retries": 1})["pain_score"] \
        == "not given"


def test_history_yes_records_the_condition_and_no_the_denial():
    assert "kidney_disease" in validate(ValidateHistoryForm(), "yes", "affirm", "kidney_problems")["conditions"]
    assert "heart_disease" in validate(ValidateHistoryForm(), "no", "deny", "heart_problems")["conditions_absent"]
    result = validate(ValidateHistoryForm(), "yes", "affirm", "blood_thinners")
    assert "anticoagulant_unspecified" in result["medications"]


@pytest.mark.parametrize("slots, skipped", [
    ({"age_band": "65_plus"}, "pregnancy_status"),
    ({"conditions": ["kidney_disease"]}, "kidney_problems"),
    ({"conditions_absent": ["liver_disease"]}, "liver_problems"),
    ({"medications": ["warfarin"]}, "blood_thinners"),
    ({"pain_locations": ["feet"]}, "pain_location"),
])
def test_history_skips_what_is_known_or_does_not_apply(slots, skipped):
    form = ValidateHistoryForm()
    required = run_sync(form.required_slots(DOMAIN["forms"]["history_form"]["required_slots"], None,
                                               tracker(slots=slots), DOMAIN))
    assert skipped not in required


def test_description_before_consent_keeps_nothing_and_asks_for_consent():
    _, events = run(ActionNotePatientReport(), tracker("my feet burn", "describe_pain",
                                                       [{"entity": "symptom", "value": "burning"}]))
    assert slot_events(events) == {"next_step": "ask_consent"}


def test_description_with_consent_prefills_the_screening_and_starts_it():
    _, events = run(ActionNotePatientReport(), tracker("my feet burn, no numbness", "describe_pain",
                                                       [{"entity": "symptom", "value": "burning"},
                                                        {"entity": "symptom", "value": "numbness", "role": "negated"}],
                                                       slots={"consent_given": True}))
    slots = slot_events(events)
    assert slots["dn4_burning"] == "yes" and slots["dn4_numbness"] == "no"
    assert slots["next_step"] == "screening"


def test_consent_keeps_what_was_said_before_it():
    earlier = [{"event": "user", "text": "my feet burn", "parse_data": {"entities": [{"entity": "symptom", "value": "burning"}]}}]
    _, events = run(ActionRecordConsent(), tracker("yes", "affirm", events=earlier))
    slots = slot_events(events)
    assert slots["consent_given"] is True and slots["symptoms_present"] == ["burning"]
    assert slots["next_step"] == "screening"


def test_finish_assessment_sends_and_stores_the_summary(records_store):
    slots = {**ANSWERED_SCREENING, "dn4_burning": "yes", "dn4_tingling": "yes", "dn4_electric_shock": "yes",
             "consent_given": True, "symptoms_present": ["burning"], "conditions": ["sciatica"], "pain_score": 8,
             "pain_duration_months": 6, "pain_duration": "6 months"}
    messages, events = run(ActionFinishAssessment(), tracker(slots=slots))
    summary = next(m["custom"]["triage_summary"] for m in messages if m.get("custom"))
    assert summary["triage_level"] == "consultation" == slot_events(events)["triage_level"]
    assert summary["screening"]["score"] == 3 and summary["screening"]["positive"] is True
    assert {o["id"]: o["suitability"] for o in summary["therapy_options"]}["pregabalin"] == "not_advised"
    assert records_store.summaries()[0]["conversation_id"] == "test-sender"


@pytest.mark.parametrize("channel, gets_payload", [("socketio", True), ("rest", True), ("cmdline", True),
                                                   ("telegram", False), ("slack", False), ("facebook", False),
                                                   ("twilio", False)])
def test_summary_payload_only_where_the_client_reads_it(records_store, channel, gets_payload):
    said = [{"event": "user", "text": "no", "input_channel": channel, "parse_data": {"entities": []}}]
    slots = {**ANSWERED_SCREENING, "consent_given": True}
    messages, _ = run(ActionFinishAssessment(), tracker(slots=slots, events=said))
    assert any(m.get("custom") for m in messages) is gets_payload
    assert "Triage: " in texts(messages) and "Why: " in texts(messages)
    assert len(records_store.summaries()) == 1


def test_finish_without_consent_stores_nothing(records_store):
    run(ActionFinishAssessment(), tracker(slots={**ANSWERED_SCREENING, "consent_given": False}))
    assert records_store.summaries() == []


def test_red_flags_heard_earlier_decide_the_final_level():
    messages, events = run(ActionFinishAssessment(), tracker(slots={**ANSWERED_SCREENING, "red_flags": ["shingles_eye"]}))
    assert slot_events(events)["triage_level"] == "urgent"


def test_why_explains_the_current_question():
    messages, _ = run(ActionExplainQuestion(), tracker(slots={"requested_slot": "kidney_problems"}))
    assert messages[0]["response"] == "utter_why_kidney_problems"
    messages, _ = run(ActionExplainQuestion(), tracker(slots={"requested_slot": "dn4_itching"}))
    assert messages[0]["response"] == "utter_why_screening"


def test_correction_replaces_places_and_scores():
    _, events = run(ActionApplyCorrection(), tracker("actually it's my hands not my feet", "correct",
                                                     [{"entity": "body_part", "value": "hands"},
                                                      {"entity": "body_part", "value": "feet", "role": "negated"}],
                                                     slots={"pain_locations": ["feet"]}))
    assert slot_events(events)["pain_locations"] == ["hands"]
    _, events = run(ActionApplyCorrection(), tracker("sorry i meant 8", "correct", slots={"pain_score": 6}))
    assert slot_events(events)["pain_score"] == 8


def test_booking_needs_a_finished_assessment(records_store):
    messages, _ = run(ActionRequestConsultation(), tracker(intent="book_appointment"))
    assert messages[0]["response"] == "utter_book_after_assessment"
    messages, _ = run(ActionRequestConsultation(), tracker(intent="book_appointment",
                                                           slots={"assessment_complete": True, "consent_given": True}))
    assert messages[0]["response"] == "utter_booking_confirmed"
    assert records_store.consultation_requests()[0]["conversation_id"] == "test-sender"


def test_fallback_stages_guess_then_offer_a_person():
    t = tracker("hmm", "nlu_fallback")
    t.latest_message["intent_ranking"] = [{"name": "nlu_fallback"}, {"name": "ask_about_therapy"}]
    messages, _ = run(ActionDefaultAskAffirmation(), t)
    assert "asking about a treatment" in messages[0]["text"]
    assert messages[0]["buttons"][1]["payload"] == "/out_of_scope"
    messages, events = run(ActionDefaultFallback(), tracker("hmm", "nlu_fallback"))
    assert messages[0]["response"] == "utter_still_not_understood" and events[0]["event"] == "rewind"
