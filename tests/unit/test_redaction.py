"""Redaction of identifiers in patient messages: what is replaced, what clinical detail is kept."""
import copy
import re
from collections import namedtuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurotriage.privacy.redaction import redact_text, redact_value

EMAILS = [
    ("email me at sarah.jones@example.com please", "email me at [email] please"),
    ("my email is Tom+pain@Mail.Example.co.uk.", "my email is [email]."),
    ("SARAH_J@NHS.NET", "[email]"),
    ("contact: a.b-c@clinic.sub.example.org, thanks", "contact: [email], thanks"),
    ("(priya.k@uni.example.ac.in)", "([email])"),
    ("josé.garcía@correo.example.es", "[email]"),
    ("write to j.o.smith@example.com or jo@example.net", "write to [email] or [email]"),
]

PHONES = [
    ("call me on +44 7700 900123 after 5", "call me on [phone] after 5"),
    ("my number is +1 (555) 010-0199", "my number is [phone]"),
    ("ring 0044 7700 900123 if the clinic closes", "ring [phone] if the clinic closes"),
    ("mobile 07700 900123", "mobile [phone]"),
    ("landline 020 7946 0958.", "landline [phone]."),
    ("(555) 010-0199", "[phone]"),
    ("555-010-0199", "[phone]"),
    ("555.010.0199", "[phone]"),
    ("Festnetz +49 30 1234567", "Festnetz [phone]"),
    ("portable 06 12 34 56 78", "portable [phone]"),
    ("+33 6 12 34 56 78", "[phone]"),
    ("+44 (0)20 7946 0958", "[phone]"),
    ("07700900123", "[phone]"),
    ("1-800-555-0199", "[phone]"),
    ("tel:07700900123", "tel:[phone]"),
    ("home 020 7946 0958, mobile 07700 900123.", "home [phone], mobile [phone]."),
    ("07700 900123 07700 900124", "[phone] [phone]"),
    ("text 07700 900123 300mg is my dose", "text [phone] 300mg is my dose"),
]

ID_NUMBERS = [
    ("my NHS number is 485 777 3456", "my NHS number is [id number]"),
    ("485 777 3456", "[id number]"),
    ("NHS no: 4857773456", "NHS no: [id number]"),
    ("SSN 123-45-6789", "SSN [id number]"),
    ("123-45-6789", "[id number]"),
    ("hospital number: RX123456", "hospital number: [id number]"),
]

DATES_OF_BIRTH = [
    ("I was born on 12/03/1961", "I was born on [date of birth]"),
    ("DOB: 12-03-61", "DOB: [date of birth]"),
    ("date of birth 1961-03-12", "date of birth [date of birth]"),
    ("born 12 March 1961 in Cardiff", "born [date of birth] in Cardiff"),
    ("my birthday is March 12th 1961", "my birthday is [date of birth]"),
    ("D.O.B. 12th of March 1961", "D.O.B. [date of birth]"),
    ("born in 1961, pain since 2019", "born in [date of birth], pain since 2019"),
    ("born on the 12th of March, 1961", "born on the [date of birth]"),
    ("Date of birth: 12.3.1961", "Date of birth: [date of birth]"),
    ("dob 12 03 1961", "dob [date of birth]"),
    ("year of birth: 1961", "year of birth: [date of birth]"),
    ("my birthday is 12 March", "my birthday is [date of birth]"),
    ("I was born in March 1961", "I was born in [date of birth]"),
    ("born 2004-07-30 so I am 21", "born [date of birth] so I am 21"),
    # no cue, but a full date before 1990 is taken for a birth date
    ("12/03/1961", "[date of birth]"),
    ("1961-03-12", "[date of birth]"),
    ("signed up 03/02/2024, 14.07.1975 on the form", "signed up 03/02/2024, [date of birth] on the form"),
    ("12 March 1961", "[date of birth]"),
]

NAMES = [
    ("my name is Sarah Jones", "my name is [name]"),
    ("My name's Tom and I have sciatica", "My name's [name] and I have sciatica"),
    ("I am called Priya.", "I am called [name]."),
    ("call me Alex", "call me [name]"),
    ("name: Jo Smith", "name: [name]"),
    ("Name: Aoife O'Sullivan\nPain: burning", "Name: [name]\nPain: burning"),
    ("my name is sarah", "my name is [name]"),
    ("Hi, I'm Sarah.", "Hi, I'm [name]."),
    ("I'm Sarah, 58, with burning feet", "I'm [name], 58, with burning feet"),
    ("Hello I am Sarah Jones", "Hello I am [name]"),
    ("my name is Sarah Jones from Leeds", "my name is [name] from Leeds"),
    ("my name is sarah and im 58", "my name is [name] and im 58"),
    ("My name is Mrs. Amara Okafor-Bello", "My name is [name]"),
    ("my first name is José", "my first name is [name]"),
    ("you can call me Sam, I'm 40", "you can call me [name], I'm 40"),
    ("i'm called priya", "i'm called [name]"),
    ("surname is Kowalski", "surname is [name]"),
    ("my name is Will and my feet burn", "my name is [name] and my feet burn"),
    ("my name is Mary Anne Louise Smith", "my name is [name] Smith"),
]

ALL_POSITIVES = EMAILS + PHONES + ID_NUMBERS + DATES_OF_BIRTH + NAMES


@pytest.mark.parametrize("text, expected", EMAILS)
def test_email_addresses_are_replaced(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text, expected", PHONES)
def test_phone_numbers_are_replaced(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text, expected", ID_NUMBERS)
def test_identifier_numbers_are_replaced(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text, expected", DATES_OF_BIRTH)
def test_birth_dates_are_replaced_and_the_cue_kept(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text, expected", NAMES)
def test_names_after_a_cue_are_replaced(text, expected):
    assert redact_text(text) == expected


def test_a_whole_introduction_loses_every_identifier():
    text = ("Hi, my name is Sarah Jones, DOB 12/03/1961. You can reach me on 07700 900123 or "
            "sarah.jones+nhs@example.com. Burning feet 7/10 since 2019, on pregabalin 150 mg twice a day.")
    assert redact_text(text) == (
        "Hi, my name is [name], DOB [date of birth]. You can reach me on [phone] or "
        "[email]. Burning feet 7/10 since 2019, on pregabalin 150 mg twice a day.")


CLINICAL = [
    "My feet have been burning for 2 years, worse at night.",
    "The pain is about 7/10 today.",
    "I'd say 8 out of 10 when it flares up.",
    "I'm 58 and diabetic.",
    "I'm on pregabalin 75mg twice a day.",
    "They put me up to 300 mg of pregabalin in March.",
    "I take gabapentin 1200 mg/day split into three doses.",
    "Sciatica down my left leg for 18 months, shooting into the heel.",
    "It started on 03/02/2024 after I lifted a box.",
    "The tingling started around 12 March 2023.",
    "I've had the numbness since 2019.",
    "It wakes me at 3am most nights.",
    "I usually take my tablets at 10:30 and 22:30.",
    "Should I call 999 or 111?",
    "In Europe I would ring 112, in the US 911.",
    "If I feel hopeless I can call 988 or the Samaritans on 116 123.",
    "The Samaritans number is 116 123 and NHS 111 is open 24/7.",
    "I'm Diabetic.",
    "I'm Tired.",
    "I'm fine, thanks.",
    "I'm Not Sure.",
    "I'm Exhausted, the burning never stops.",
    "Dr Patel told me it was sciatica.",
    "This is Dr Patel's patient asking about amitriptyline.",
    "Please call me back tomorrow.",
    "My pain scores this week were 6, 7, 7, 8 and 5.",
    "Duloxetine 60 mg once daily since 2021-06-14.",
    "My HbA1c was 58 mmol/mol in January and my B12 was 180 ng/L.",
    "I can walk 2 km, then the numbness kicks in after 20 to 30 minutes.",
    "The shooting pains last 5-10 seconds, 20-30 times a day.",
    "The doses went 300 600 900 mg over three weeks.",
    "The pain started on 14.02.2024 and got worse by 01.03.2024.",
    "My name is not important, I just want advice.",
    "I've had sciatica since giving birth in 2015.",
    "I was born with a club foot but this pain is new.",
    "My daughter was born 3 weeks early and the pain began after the birth.",
    "Capsaicin 8% patch applied on 5 June 2024, it stung for 2 hours.",
    "Blood pressure 140/90, pulse 72, weight 84 kg.",
    "Is 1800 mg of gabapentin too much?",
    "I tried 10 sessions of TENS, 30 minutes each.",
    "Can someone call me about my sciatica referral?",
    "I'm on lyrica and amitriptyline 10mg at night.",
]


@pytest.mark.parametrize("text", CLINICAL)
def test_clinical_sentences_come_out_unchanged(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("text", [
    "550e8400-e29b-41d4-a716-446655440000",
    "message_id 123456789abcdef0123456789abcdef0",
    "2024-03-12T10:30:00.123456+00:00",
    "2024-03-12 10:30:00,123 INFO rasa.core.processor - Received user message from 203.0.113.195",
    "sanic.access - 203.0.113.195:51234 - POST /webhooks/rest/webhook 200 1234",
    "{'timestamp': 1718000000.25, 'confidence': 0.9987654321}",
    "utter_ask_name action_listen faq/data_privacy policy_2_TEDPolicy",
])
def test_identifiers_of_the_software_in_events_and_log_lines_are_kept(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("text", ["", "ok", "[name] [email] [phone] [date of birth] [id number]",
                                  "my name is [name]", "I'm [name].", "born on [date of birth]",
                                  "call me on [phone]", "NHS number [id number]", "call me [name]"])
def test_placeholders_and_plain_text_are_left_alone(text):
    assert redact_text(text) == text


@pytest.mark.parametrize("text", [text for text, _ in ALL_POSITIVES] + CLINICAL)
def test_redacting_twice_is_the_same_as_once(text):
    once = redact_text(text)
    assert redact_text(once) == once


def test_a_non_string_is_refused():
    with pytest.raises(TypeError):
        redact_text(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "\x00\x1b[31m\x7f\u200b\ufeff",
    "\ud800 lone surrogate, my name is \udfff",
    "é" * 20_000,
    "1 " * 50_000,
    "12 " * 50_000 + "mg",
    "a" * 50_000 + "@",
    "a@" * 30_000,
    "my name is " * 10_000,
    "born " * 10_000 + "1961",
    "(" * 10_000 + "1" * 10_000 + ")" * 10_000,
    "+" + "-1" * 30_000,
])
def test_odd_and_long_input_is_returned_as_text(text):
    assert isinstance(redact_text(text), str)


@pytest.mark.parametrize("text", ["\x00\x1b[31m\x7f\u200b\ufeff", "\ud800 my name is \udfff", "é" * 20_000,
                                  "1 " * 50_000, "a" * 50_000 + "@"])
def test_odd_input_without_identifiers_comes_back_unchanged(text):
    assert redact_text(text) == text


def test_long_runs_are_still_redacted_at_the_end():
    text = "x " * 50_000 + "sarah@example.com 07700 900123"
    assert redact_text(text) == "x " * 50_000 + "[email] [phone]"


def test_event_dicts_are_redacted_all_the_way_down_without_touching_keys_or_numbers():
    message = "my name is Sarah Jones, ring 07700 900123"
    event = {
        "event": "user",
        "timestamp": 1718000000.25,
        "text": message,
        "parse_data": {
            "text": message,
            "intent": {"name": "inform", "confidence": 0.97},
            "entities": [{"entity": "phone", "value": "07700 900123", "start": 29, "end": 41}],
        },
        "metadata": {"tags": ("sarah@example.com", 3, None, True), "sarah@example.com": "key stays"},
    }
    original = copy.deepcopy(event)

    result = redact_value(event)

    expected_text = "my name is [name], ring [phone]"
    assert result["text"] == expected_text
    assert result["parse_data"]["text"] == expected_text
    assert result["parse_data"]["entities"] == [{"entity": "phone", "value": "[phone]", "start": 29, "end": 41}]
    assert result["parse_data"]["intent"] == {"name": "inform", "confidence": 0.97}
    assert result["timestamp"] == 1718000000.25
    assert result["metadata"]["tags"] == ("[email]", 3, None, True)
    assert result["metadata"]["sarah@example.com"] == "key stays"
    assert event == original  # the input is not changed
    assert result is not event and result["parse_data"] is not event["parse_data"]
    assert result["parse_data"]["entities"] is not event["parse_data"]["entities"]


def test_sets_are_redacted_too():
    assert redact_value({"tags": {"sarah@example.com", "sciatica"}}) == {"tags": {"[email]", "sciatica"}}


def test_named_tuples_keep_their_type():
    Turn = namedtuple("Turn", "sender text")
    assert redact_value(Turn("u1", "call me Alex")) == Turn("u1", "call me [name]")
    assert type(redact_value(Turn("u1", "x"))) is Turn


@pytest.mark.parametrize("value", [None, 3, 2.5, True, b"sarah@example.com"])
def test_values_that_are_not_text_or_containers_are_returned_as_they_are(value):
    assert redact_value(value) is value


LOOKS_LIKE_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_local = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._+-]{0,15}[A-Za-z0-9])?\Z")
_domain = st.from_regex(r"\A([A-Za-z0-9]{1,10}\.){1,3}[A-Za-z]{2,6}\Z")
plain_emails = st.builds(lambda local, domain: f"{local}@{domain}", _local, _domain)
# Pieces that put identifiers, cues and clinical numbers next to each other in many ways.
messy_text = st.lists(st.sampled_from(list("aZé59 .,:@+-_()%\n'’/") + [
    "com", "my name is ", "I'm ", "call me ", "name: ", "Sarah", "Jo", "born ", "DOB ", "12th ", "March ", "1961",
    "12/03/1961", "2024-03-12", "07700 ", "900123", "+44 ", "(0)", "0044", "116 123", "485 777 3456",
    "NHS number ", "mg ", "192.168.1.1", "x@y.com", "[phone]", "1", "12", "123", "1234"]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(before=st.text(), email=plain_emails, after=st.text())
def test_an_email_in_any_text_is_removed(before, email, after):
    result = redact_text(f"{before} {email} {after}")
    assert email not in result
    assert "[email]" in result
    assert LOOKS_LIKE_EMAIL.search(result) is None


@settings(max_examples=300, deadline=None)
@given(before=messy_text, email=st.emails(), after=messy_text)
def test_nothing_that_looks_like_an_email_survives(before, email, after):
    result = redact_text(before + email + after)
    assert LOOKS_LIKE_EMAIL.search(result) is None


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(), messy_text))
def test_any_text_gives_text_back_and_settles_after_one_pass(text):
    once = redact_text(text)
    assert isinstance(once, str)
    assert redact_text(once) == once
