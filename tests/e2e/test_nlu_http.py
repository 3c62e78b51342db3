"""The NLU as the clinic's systems see it: POST /model/parse with the API token."""
import pytest

from tests.e2e.conftest import http


def parse(text, token):
    status, result = http("POST", "/model/parse", {"text": text}, token=token)
    assert status == 200, f"/model/parse answered {status} for {text[:40]!r}"
    return result


def mentions(result):
    return {(e["entity"], e["value"], e.get("role")) for e in result.get("entities", [])}


def test_contract_example(token):
    found = mentions(parse("no numbness but my feet burn, im on lyrica", token))
    assert ("symptom", "burning", None) in found
    assert ("symptom", "numbness", "negated") in found
    assert any(t == "medication" and v == "pregabalin" for t, v, _ in found)


def test_metaphors_brands_and_misspellings(token):
    found = mentions(parse("my feet feel like theyre on fire and i get zaps at night, im diabetic, on neurontin", token))
    assert {("symptom", "burning", None), ("symptom", "electric_shock", None), ("condition", "diabetes", None),
            ("medication", "gabapentin", None)} <= found
    found = mentions(parse("constant numbess and tinglin in both hands", token))
    assert {("symptom", "numbness", None), ("symptom", "tingling", None)} <= found


@pytest.mark.parametrize("text, not_expected", [
    ("i've felt emotionally numb since my mum died", ("symptom", "numbness")),
    ("bad heartburn after dinner most nights", ("symptom", "burning")),
    ("i had an insulin shock last year", ("symptom", "electric_shock")),
    ("i cleaned the cut with rubbing alcohol", ("condition", "alcohol_use")),
    ("the shock absorbers on my car are gone", ("symptom", "electric_shock")),
    ("i have a burning question about my appointment", ("symptom", "burning")),
])
def test_hard_negatives_are_not_extracted(token, text, not_expected):
    assert not any((t, v) == not_expected for t, v, _ in mentions(parse(text, token)))


def test_red_flag_overrides_the_intent(token):
    result = parse("i'm on lyrica and since this morning i can't control my bladder", token)
    assert result["intent"]["name"] == "report_red_flag"
    assert any(e["entity"] == "red_flag" and e["value"] == "bladder_bowel_dysfunction" for e in result["entities"])


@pytest.mark.parametrize("text", ["", "   \n\t ", "😭😭🔥🔥", "j'ai mal aux pieds depuis trois mois",
                                  "<script>alert('x')</script>", "<img src=x onerror=alert(1)>",
                                  "'; DROP TABLE events; --", "\x00\x01 binary \x7f junk"])
def test_bad_input_parses_without_error(token, text):
    result = parse(text, token)
    assert "intent" in result


def test_over_long_text_is_cut_to_the_limit(token):
    result = parse("my feet burn " * 1000, token)  # 13,000 characters
    assert len(result["text"]) == 2000
    assert any(e["value"] == "burning" for e in result["entities"])
