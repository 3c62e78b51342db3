"""Conversations typed the way patients type, over REST against the running assistant: answers are read as answers,
nothing ends without the patient confirming it, facts keep their status, warning signs are asked where they fit, and
advice holds under pushback."""
import pytest

from tests.e2e.test_assessment_http import converse, summary_of


def start(patient, description):
    patient.say("hi")
    patient.say("yes thats fine")
    return patient.text(description)


def test_on_and_off_is_no_goodbye_and_the_duration_question_goes_on(patient):
    summary, replies = converse(patient, "burning feet, im diabetic", {
        r"how long": ["on and off", "about 2 years"], r"0 \(no pain\)": "6ish"})
    said = patient.tracker_text()
    assert "Goodbye" not in said and "comes and goes" in said
    assert summary["pain"]["score"] == 6 and patient.slot("pain_duration_months") == 24


def test_four_months_is_no_pain_score(patient):
    summary, _ = converse(patient, "shooting pains down my leg", {
        r"0 \(no pain\)": ["4 months", "7"], r"how long": "4 months"})
    assert summary["pain"]["score"] == 7 and "how long you've had it" in patient.tracker_text()


def test_a_typed_yes_to_pregnancy_is_recorded(patient):
    summary, _ = converse(patient, "my hands tingle and burn at night", {
        r"pregnant": "yes i am, 20 weeks", r"how old": "31"})
    assert patient.slot("pregnancy_status") == "pregnancy" and "pregnancy" in summary["conditions"]


def test_goodbye_is_confirmed_and_no_carries_on_with_the_same_question(patient):
    start(patient, "my feet burn")
    asked = patient.text("no")
    confirm = patient.text("ok bye")
    assert "stop here" in confirm and "Goodbye" not in confirm
    again = patient.text("no, carry on")
    assert asked.splitlines()[-1] in again


def test_start_again_is_confirmed_before_anything_is_cleared(patient):
    start(patient, "burning pain in my feet")
    assert "start again" in patient.text("can we start again from the beginning")
    assert patient.slot("symptoms_present") == ["burning"]
    patient.say("no")
    assert patient.slot("symptoms_present") == ["burning"]


def test_stopped_and_unknown_medicines_keep_their_status(patient):
    summary, _ = converse(patient, "burning and tingling feet, type 2 diabetes", {
        r"which medicines": "metformin and tamoxiphen, i stopped the amitriptyline cos it made me drowsy",
        r"already tried": "tried ibuprofen, didnt help", r"how old": "58"})
    assert "metformin" in summary["medications"]
    assert "amitriptyline" not in summary["medications"] and "ibuprofen" not in summary["medications"]
    assert {"id": "amitriptyline", "reason": "side_effect"} in summary["medication_history"]
    assert any("tamox" in words for words in summary["unrecognised_medications"]) or "tamoxifen" in summary["medications"]


def test_sciatica_is_asked_about_bladder_and_a_yes_escalates(patient):
    start(patient, "sciatica down my left leg, burning and pins and needles")
    for _ in range(12):
        text = patient.text("no")
        if "bladder or bowels" in text:
            break
    else:
        pytest.fail("never asked about the bladder or bowels")
    assert "999" in patient.text("yes actually")
    assert patient.slot("triage_level") == "emergency"


def test_not_sure_is_never_self_care(patient):
    summary, _ = converse(patient, "my feet feel a bit odd", {r".": "not sure"}, limit=60)
    assert summary["triage_level"] != "self_care"
    assert "couldn't assess" in " ".join(summary["reasons"])


def test_denials_do_not_escalate(patient):
    start(patient, "burning in my feet")
    patient.say("no chest pain at all and my breathing is fine")
    assert patient.slot("triage_level") in (None, "consultation", "self_care")


@pytest.mark.parametrize("pushback", ["can i wait till monday?", "i dont want to go to a&e"])
def test_emergency_advice_holds_under_pushback(patient, pushback):
    patient.say("hi")
    assert "999" in patient.text("i suddenly cant feel anything around my bum and i cant pee")
    text = patient.text(pushback)
    assert "999" in text and "wait" in text.lower()
    assert patient.slot("triage_level") == "emergency"


def test_a_warning_sign_while_waiting_for_a_person_is_not_met_with_silence(patient):
    patient.say("hi")
    patient.text("can i talk to a real person please")
    patient.text("yes please")
    assert patient.tracker()["paused"] is True
    assert "999" in patient.text("my face has dropped on one side and my speech is slurred")
    assert patient.slot("triage_level") == "emergency"


def test_no_thanks_to_a_person_goes_back_and_nothing_repeats_three_times(patient):
    patient.say("hi")
    said = []
    for message in ("purple monkey", "asdfgh qwerty", "zzzz", "no thanks", "no thanks", "yes please"):
        said.append(patient.text(message))
    assert not any(a == b == c for a, b, c in zip(said, said[1:], said[2:])), said
    assert patient.tracker()["paused"] is False


def test_no_thanks_to_a_person_returns_to_the_same_question(patient):
    start(patient, "my feet burn")
    asked = patient.text("no")
    assert "clinic team" in patient.text("can i talk to someone real")
    again = patient.text("no thanks, lets carry on")
    assert asked.splitlines()[-1] in again and patient.tracker()["paused"] is False
