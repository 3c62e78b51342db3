"""Whole conversations over REST, checked through the tracker (triage_level) and the summary payload."""
import os
import re

import pytest

from neurotriage.records import RecordsStore
from tests.e2e.conftest import Patient

SUMMARY_FIELDS = {"conversation_id", "created_at", "triage_level", "reasons", "red_flags", "symptoms", "conditions",
                  "medications", "pain", "screening", "contraindications", "therapy_options", "sources"}


def summary_of(replies):
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and "triage_summary" in custom:
            return custom["triage_summary"]
    return None


def converse(patient, description, answers=None, limit=45):
    """Consent, the description, then answers chosen by what each question asks (default "no"). An answer given as
    a list is used in turn, one item each time that question comes."""
    answers = {pattern: list(answer) if isinstance(answer, list) else [answer] for pattern, answer in (answers or {}).items()}
    patient.say("hello")
    patient.say("yes i agree")
    replies = patient.say(description)
    for _ in range(limit):
        found = summary_of(replies)
        if found:
            return found, replies
        question = " ".join(r.get("text", "") for r in replies).lower()
        queue = next((queue for pattern, queue in answers.items() if re.search(pattern, question)), ["no"])
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        replies = patient.say(reply)
    pytest.fail(f"no triage summary after {limit} answers; last question: {question[-200:]}")


def records():
    return RecordsStore(os.environ["RECORDS_DATABASE_URL"])


def test_plain_answers_end_in_a_stored_summary_with_every_field(patient):
    summary, _ = converse(patient, "my feet burn and tingle at night, i have type 2 diabetes")
    assert SUMMARY_FIELDS <= set(summary)
    assert summary["conversation_id"] == patient.sender
    assert summary["triage_level"] in {"emergency", "urgent", "consultation", "self_care"}
    assert patient.slot("triage_level") == summary["triage_level"]
    assert {"burning", "tingling"} <= set(summary["symptoms"]["present"])
    assert "diabetes" in summary["conditions"]
    assert summary["screening"]["instrument"] == "dn4_interview" and summary["screening"]["answers"]
    assert all(o["suitability"] in ("discuss", "caution", "not_advised") for o in summary["therapy_options"])
    cited = {s["id"] for s in summary["sources"]}
    assert all(set(o["source_ids"]) <= cited for o in summary["therapy_options"])
    stored = [row for row in records().summaries() if row["conversation_id"] == patient.sender]
    assert len(stored) == 1 and records().summary(stored[0]["id"])["triage_level"] == summary["triage_level"]


def test_positive_screening_gives_a_consultation(patient):
    summary, replies = converse(patient, "burning and electric shocks in my feet, they also feel numb",
                                {r"painful cold|freezing|cold": "yes", r"pins and needles": "yes",
                                 r"how long": "about 2 years", r"0 \(no pain\)": "7", r"how old": "58"})
    assert summary["screening"]["positive"] is True
    assert summary["triage_level"] == "consultation"
    assert summary["pain"]["score"] == 7
    assert any("suggests" in r.get("text", "") for r in replies) or summary["screening"]["score"] >= 3


def test_sciatica_never_shows_gabapentinoids_as_suitable(patient):
    summary, _ = converse(patient, "shooting pain down my leg from my back, my gp says its sciatica")
    options = {o["id"]: o for o in summary["therapy_options"]}
    for drug in ("pregabalin", "gabapentin"):
        assert options[drug]["suitability"] == "not_advised"
        assert options[drug]["warnings"] and options[drug]["warnings"][0]["source_ids"]


def test_trigeminal_neuralgia_puts_carbamazepine_first(patient):
    summary, _ = converse(patient, "electric shocks in my face when i brush my teeth, diagnosed with trigeminal neuralgia")
    assert summary["therapy_options"][0]["id"] == "carbamazepine"


def test_red_flag_inside_the_screening_escalates_and_ends_it(patient):
    patient.say("hi")
    patient.say("yes")
    patient.say("my feet burn all the time")
    text = patient.text("and since this morning i can't control my bladder")
    assert "999" in text
    assert patient.slot("triage_level") == "emergency"
    tracker = patient.tracker()
    assert tracker["active_loop"] in ({}, None) or not tracker["active_loop"].get("name")


def test_suicidal_thoughts_in_the_history_get_the_crisis_line(patient):
    patient.say("hi")
    patient.say("yes")
    patient.say("burning pins and needles in my hands")
    for _ in range(6):
        patient.say("no")
    text = patient.text("honestly some days i want to end it all")
    assert "116 123" in text and "999" in text
    assert patient.slot("triage_level") == "emergency"


def test_declined_consent_stores_nothing(patient):
    patient.say("hello")
    patient.say("no thanks")
    text = patient.text("my feet burn at night")
    assert "can't assess" in text
    assert patient.slot("symptoms_present") in (None, [])
    assert not [row for row in records().summaries() if row["conversation_id"] == patient.sender]


def test_why_do_you_ask_explains_then_asks_again(patient):
    patient.say("hi")
    patient.say("yes")
    question = patient.text("my feet burn")
    explained = patient.text("why do you need to know that")
    assert "(Sources: S16" in explained
    assert question.splitlines()[-1] in explained or "?" in explained.splitlines()[-1]


def test_correction_changes_the_pain_score(patient):
    summary, replies = converse(patient, "tingling and burning in my legs",
                                {r"how long": "a year", r"0 \(no pain\)": "6",
                                 r"sleeping, working": ["sorry i meant 8 not 6", "yes"]})
    assert summary["pain"]["score"] == 8


def test_handoff_pauses_the_bot(patient):
    patient.say("hi")
    assert "pass this conversation to the clinic team" in patient.text("can i talk to a real person please")
    text = patient.text("yes please")
    assert "member of the clinic team" in text
    assert patient.tracker()["paused"] is True
    assert patient.say("hello?") == []


def test_booking_after_the_assessment_is_stored_for_staff(patient):
    converse(patient, "pins and needles and numbness in both feet for years")
    text = patient.text("/book_appointment")
    assert "sent your request" in text
    assert [r for r in records().consultation_requests() if r["conversation_id"] == patient.sender]


def test_over_65_is_not_asked_about_pregnancy(patient):
    summary, _ = converse(patient, "burning feet at night", {r"how old": "I'm 72"})
    assert summary is not None
    assert "pregnant" not in patient.tracker_text()
