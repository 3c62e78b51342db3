"""The first real conversation over REST: greeting, emergency notice, consent, red flag, goodbye, fallback."""

from tests.e2e.conftest import http


def test_greeting_says_what_it_is_and_is_not_and_gives_the_emergency_number(patient):
    replies = patient.say("hello")
    text = " ".join(r.get("text", "") for r in replies)
    assert "not a doctor" in text and "diagnose" in text
    assert "999" in text  # LOCALE defaults to UK
    buttons = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert buttons == ["/affirm", "/deny"]


def test_consent_is_recorded_and_the_pain_asked_for(patient):
    patient.say("hi")
    text = patient.text("yes i agree")
    assert "in your own words" in text
    assert patient.slot("consent_given") is True


def test_declined_consent_is_recorded(patient):
    patient.say("hello there")
    text = patient.text("no i don't want that")
    assert "won't keep anything" in text
    assert patient.slot("consent_given") is False


def test_red_flag_as_first_message_escalates_and_sets_the_level(patient):
    text = patient.text("my legs went weak and i've had no bladder control since this morning")
    assert "999" in text
    assert patient.slot("triage_level") == "emergency"
    assert "bladder_bowel_dysfunction" in patient.slot("red_flags")


def test_red_flag_after_greeting_escalates(patient):
    patient.say("hi")
    text = patient.text("i've got a crushing pain in my chest going down my left arm")
    assert "999" in text
    assert patient.slot("triage_level") == "emergency"


def test_goodbye(patient):
    assert "Goodbye" in patient.text("bye")


def test_fallback_asks_to_rephrase(patient):
    assert "not sure I understood" in patient.text("/nlu_fallback")


def test_description_is_kept_with_denials(patient):
    patient.say("hi")
    patient.say("yes")
    patient.say("my feet burn and tingle at night but no numbness, im on lyrica")
    slots = patient.tracker()["slots"]
    assert "burning" in slots["symptoms_present"]
    assert "numbness" in slots["symptoms_absent"]
    assert "pregabalin" in slots["medications"]


def test_http_api_needs_the_token(patient):
    status, _ = http("GET", f"/conversations/{patient.sender}/tracker")
    assert status in (401, 403)
    status, _ = http("GET", f"/conversations/{patient.sender}/tracker", token="wrong-token")
    assert status in (401, 403)
