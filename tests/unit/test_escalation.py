"""Red-flag escalation: level, wording with the locale's numbers, crisis response, never downgraded."""
import pytest

from types import SimpleNamespace

from neurotriage.clinical.escalation import escalate, more_urgent


def numbers(emergency, urgent, crisis):
    return SimpleNamespace(emergency_number=emergency, urgent_number=urgent, crisis_line=crisis)


def flag(id, name, triage_level, advice, source_ids, review):
    return SimpleNamespace(id=id, name=name, triage_level=triage_level, advice=advice, source_ids=source_ids, review=review)


UK = numbers("999", "111", "Samaritans on 116 123")
US = numbers("911", "your doctor", "988")
CAUDA = flag("bladder_bowel_dysfunction", "Loss of bladder control", "emergency",
                      "Call {emergency_number} or go to A&E now.", ("S37",), "verified")
SHINGLES_EYE = flag("shingles_eye", "Shingles near the eye", "urgent",
                             "Ring {urgent_number} today.", ("S44",), "verified")
SUICIDAL = flag("suicidal_ideation", "Thoughts of suicide", "emergency", "", ("S22",), "verified")
WEIGHT = flag("weight_loss", "Weight loss", "consultation", "See a doctor soon.", ("S41",), "unverified")


def test_emergency_names_the_locale_number():
    result = escalate([CAUDA], US)
    assert result.triage_level == "emergency"
    assert "911" in result.messages[0] and "999" not in " ".join(result.messages)
    assert any("Call 911 or go to A&E now." in m for m in result.messages)
    assert result.source_ids == ("S37",)


def test_most_urgent_flag_decides_and_leads():
    result = escalate([SHINGLES_EYE, CAUDA], UK)
    assert result.triage_level == "emergency"
    assert result.red_flag_ids == ("bladder_bowel_dysfunction", "shingles_eye")
    assert "Ring 111 today." in " ".join(result.messages)


def test_level_never_goes_down():
    assert escalate([SHINGLES_EYE], UK, current_level="emergency").triage_level == "emergency"
    assert escalate([WEIGHT], UK, current_level="urgent").triage_level == "urgent"


def test_suicidal_thoughts_get_a_caring_crisis_response():
    result = escalate([SUICIDAL], UK)
    text = " ".join(result.messages)
    assert result.triage_level == "emergency"
    assert "sorry" in text.lower() and "Samaritans on 116 123" in text and "999" in text


def test_unverified_advice_is_marked():
    assert any("awaiting clinical review" in m for m in escalate([WEIGHT], UK).messages)


def test_no_flags_is_a_programming_error():
    with pytest.raises(ValueError):
        escalate([], UK)


def test_more_urgent():
    assert more_urgent(None, "self_care") == "self_care"
    assert more_urgent("urgent", "consultation") == "urgent"
    assert more_urgent(None, None) is None
