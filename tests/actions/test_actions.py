"""Each action with a real Tracker and the real domain: the events it returns and what it says."""
import pytest

from actions.actions import (ActionAnswerFaq, ActionEscalateRedFlag, ActionExplainTherapy, ActionHandoff,
                             ActionListTherapyOptions, ActionNotePatientReport, ActionRecordConsent, ActionSessionStart)
from tests.actions.conftest import run, slot_events, texts, tracker, DOMAIN


def red_flag(value):
    return {"entity": "red_flag", "value": value, "start": 0, "end": 1}


def test_every_action_is_in_the_domain():
    for action in (ActionAnswerFaq, ActionEscalateRedFlag, ActionExplainTherapy, ActionHandoff,
                   ActionListTherapyOptions, ActionNotePatientReport, ActionRecordConsent, ActionSessionStart):
        assert action().name() in DOMAIN["actions"]


def test_session_start_sets_the_locale_numbers(monkeypatch):
    monkeypatch.setenv("LOCALE", "US")
    _, events = run(ActionSessionStart(), tracker())
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    assert slot_events(events)["emergency_number"] == "911"


def test_escalation_sets_emergency_and_keeps_the_report():
    entities = [red_flag("bladder_bowel_dysfunction"), {"entity": "symptom", "value": "weakness", "start": 3, "end": 7}]
    messages, events = run(ActionEscalateRedFlag(), tracker(intent="report_red_flag", entities=entities,
                                                            active_loop="some_form"))
    slots = slot_events(events)
    assert slots["triage_level"] == "emergency"
    assert slots["red_flags"] == ["bladder_bowel_dysfunction"]
    assert slots["symptoms_present"] == ["weakness"]
    assert "999" in texts(messages) and "Sources:" in texts(messages)


def test_escalation_never_lowers_the_level():
    _, events = run(ActionEscalateRedFlag(), tracker(intent="report_red_flag", entities=[red_flag("shingles_eye")],
                                                     slots={"triage_level": "emergency"}))
    assert slot_events(events)["triage_level"] == "emergency"


def test_suicidal_thoughts_get_the_crisis_line():
    messages, events = run(ActionEscalateRedFlag(), tracker(intent="report_red_flag", entities=[red_flag("suicidal_ideation")]))
    assert "116 123" in texts(messages)
    assert slot_events(events)["triage_level"] == "emergency"


@pytest.mark.parametrize("flag_id", ["saddle_anaesthesia", "bladder_bowel_dysfunction", "progressive_weakness",
                                     "stroke_signs", "ascending_weakness", "fever_back_pain", "cancer_back_pain",
                                     "weight_loss", "major_trauma", "suicidal_ideation", "chest_pain",
                                     "breathing_difficulty", "foot_ulcer_infection", "shingles_eye",
                                     "severe_allergic_reaction"])
def test_every_contract_red_flag_escalates_with_a_level(flag_id):
    messages, events = run(ActionEscalateRedFlag(), tracker(intent="report_red_flag", entities=[red_flag(flag_id)]))
    assert slot_events(events)["triage_level"] in ("emergency", "urgent", "consultation")
    assert messages


def test_patient_report_keeps_denials():
    entities = [{"entity": "symptom", "value": "burning"}, {"entity": "symptom", "value": "numbness", "role": "negated"}]
    messages, events = run(ActionNotePatientReport(), tracker(entities=entities, slots={"consent_given": True}))
    slots = slot_events(events)
    assert slots["symptoms_present"] == ["burning"] and slots["symptoms_absent"] == ["numbness"]
    assert "burning" in texts(messages) and "don't have numbness" in texts(messages)


def test_consent_recorded_both_ways():
    assert slot_events(run(ActionRecordConsent(), tracker(intent="affirm"))[1]) == {"consent_given": True,
                                                                                 "next_step": "describe"}
    messages, events = run(ActionRecordConsent(), tracker(intent="deny"))
    assert slot_events(events) == {"consent_given": False, "next_step": "none"}
    assert messages[0]["response"] == "utter_consent_declined"


def test_handoff_pauses_the_conversation():
    messages, events = run(ActionHandoff(), tracker(intent="request_human"))
    assert messages[0]["response"] == "utter_handoff"
    # paused, and listening, so a warning sign heard while waiting for the person still matches the rules
    assert [e["event"] for e in events] == ["pause", "action"] and events[-1]["name"] == "action_listen"


def test_faq_answer_comes_from_the_knowledge_base_with_sources():
    selector = {"faq": {"response": {"intent_response_key": "faq/stopping_medicine"}}}
    messages, _ = run(ActionAnswerFaq(), tracker(intent="faq", response_selector=selector))
    assert "Sources: S" in texts(messages)


def test_unknown_faq_falls_back():
    selector = {"faq": {"response": {"intent_response_key": "faq/not_a_topic"}}}
    messages, _ = run(ActionAnswerFaq(), tracker(intent="faq", response_selector=selector))
    assert messages[0]["response"] == "utter_default"


def test_explaining_a_brand_name_medicine():
    messages, _ = run(ActionExplainTherapy(), tracker(intent="ask_about_therapy",
                                                      entities=[{"entity": "medication", "value": "pregabalin"}]))
    text = texts(messages)
    assert "Pregabalin" in text and "Sources:" in text and "not advice for you" in text


def test_therapy_options_never_show_a_contraindicated_option_as_suitable():
    # Sciatica: NICE NG59 advises against gabapentinoids.
    messages, _ = run(ActionListTherapyOptions(), tracker(intent="ask_therapy_options",
                                                          slots={"conditions": ["sciatica"]}))
    suitable_part = texts(messages).split("Not advised for you")[0]
    assert "Pregabalin" not in suitable_part and "Gabapentin" not in suitable_part


def test_restart_says_so_and_keeps_the_locale_numbers(monkeypatch):
    from actions.actions import ActionRestart
    monkeypatch.setenv("LOCALE", "EU")
    messages, events = run(ActionRestart(), tracker(intent="restart"))
    assert messages[0]["response"] == "utter_restarted"
    assert events[0]["event"] == "restart"
    assert slot_events(events)["emergency_number"] == "112"


def test_every_faq_answer_carries_sources_and_review_status(repository):
    for faq in repository.faqs():
        selector = {"faq": {"response": {"intent_response_key": f"faq/{faq.id}"}}}
        text = texts(run(ActionAnswerFaq(), tracker(intent="faq", response_selector=selector))[0])
        assert ("awaiting clinical review" in text) == (faq.review == "unverified"), faq.id
        if faq.clinical:
            assert "(Sources: S" in text, faq.id


def test_unverified_therapy_facts_are_marked(repository):
    unverified = [t for t in ("intrathecal_pump", "acupuncture") if repository.therapy(t).review == "unverified"]
    assert unverified, "the content marks these as unverified; the test needs at least one"
    for therapy_id in unverified:
        text = texts(run(ActionExplainTherapy(), tracker(intent="ask_about_therapy",
                                                         entities=[{"entity": "therapy", "value": therapy_id}]))[0])
        assert "awaiting clinical review" in text
