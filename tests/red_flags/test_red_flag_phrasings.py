"""Every warning sign in knowledge/red_flags.yml against patient-style phrasings written for these tests.

The detector is the real one: triggers from the knowledge base, tokenised by the same blank spaCy pipeline that reads
patient messages, then find_red_flags + red_flag_denied as RedFlagDetector runs them. phrasings.yml holds, per sign,
positives (must raise the sign: recall 1.0) and near misses (must raise neither an emergency-level sign nor the sign
itself; at most 2% may, overall). Run with -s to see the figures.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from neurotriage.clinical.wording import AWAITING_REVIEW, UNVERIFIED, for_patient
from neurotriage.kb.loader import TRIAGE_LEVELS
from neurotriage.nlu.lexicon import Word, find_red_flags, red_flag_denied
from neurotriage.nlu.spacy_builder import blank_pipeline, tokenised_triggers
from tests.kb.kb_support import REAL_DIR, read_yaml, repository_for

PHRASINGS = yaml.safe_load((Path(__file__).parent / "phrasings.yml").read_text(encoding="utf-8"))
MIN_PHRASINGS = 5
MAX_FALSE_ALARM_RATE = 0.02
NLP = blank_pipeline()


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    repository = repository_for(REAL_DIR, f"sqlite:///{tmp_path_factory.mktemp('red_flags') / 'knowledge.db'}")
    return {flag.id: flag for flag in repository.red_flags()}


@pytest.fixture(scope="module")
def detect(flags):
    triggers = tokenised_triggers(NLP, {flag.id: [[list(group) for group in alternative] for alternative in flag.triggers]
                                        for flag in flags.values()})

    def detected(text: str) -> set[str]:
        # as Rasa's SpacyTokenizer hands them over: whitespace tokens dropped
        words = [Word(t.lower_, t.lemma_.lower(), t.idx, t.idx + len(t.text)) for t in NLP(text) if t.text.strip()]
        found = find_red_flags(words, triggers, [f.id for f in flags.values() if f.scope == "message"])
        return {flag for flag, start, end in found if not red_flag_denied(words, start, end)}

    return detected


def _cases(kind: str) -> list[tuple[str, str]]:
    return [(sign, text) for sign, sets in PHRASINGS.items() for text in sets[kind]]


def test_every_sign_has_its_phrasings(flags):
    assert sorted(PHRASINGS) == sorted(flags), "phrasings.yml and red_flags.yml must name the same signs"
    thin = {sign: (len(sets["positives"]), len(sets["near_misses"])) for sign, sets in PHRASINGS.items()
            if len(sets["positives"]) < MIN_PHRASINGS or len(sets["near_misses"]) < MIN_PHRASINGS}
    assert not thin, f"signs with fewer than {MIN_PHRASINGS} positives or near misses: {thin}"


@pytest.mark.parametrize("sign, text", _cases("positives"))
def test_positive_phrasing_raises_its_sign(detect, sign, text):
    assert sign in detect(text)


def _false_alarm(sign: str, text: str, found: set[str], flags: dict) -> set[str]:
    return {flag for flag in found if flag == sign or flags[flag].triage_level == "emergency"}


def test_recall_and_false_alarms(flags, detect):
    positives, near_misses = _cases("positives"), _cases("near_misses")
    missed = [(sign, text) for sign, text in positives if sign not in detect(text)]
    alarms = [(sign, text, sorted(raised)) for sign, text in near_misses
              if (raised := _false_alarm(sign, text, detect(text), flags))]
    recall = 1 - len(missed) / len(positives)
    false_alarm_rate = len(alarms) / len(near_misses)
    print(f"\nred-flag phrasings: {len(flags)} signs, {len(positives)} positives, {len(near_misses)} near misses")
    print(f"recall {recall:.3f} ({len(positives) - len(missed)}/{len(positives)})")
    print(f"false alarms on near misses {false_alarm_rate:.3%} ({len(alarms)}/{len(near_misses)})")
    for sign, text, raised in alarms:
        print(f"  false alarm [{sign}] {text!r} -> {raised}")
    assert not missed, f"positives that did not raise their sign: {missed}"
    assert false_alarm_rate <= MAX_FALSE_ALARM_RATE, f"near misses raising an alarm: {alarms}"


def test_every_sign_has_level_advice_and_sources(flags):
    known_sources = {source["id"] for source in read_yaml(REAL_DIR, "sources.yml")}
    for flag in flags.values():
        assert flag.triage_level in TRIAGE_LEVELS, flag.id
        assert flag.advice.strip(), flag.id
        assert flag.source_ids and set(flag.source_ids) <= known_sources, flag.id


def test_no_emergency_advice_goes_out_unverified(flags):
    emergencies = [flag for flag in flags.values() if flag.triage_level == "emergency"]
    assert emergencies
    unverified = [flag.id for flag in emergencies
                  if flag.review == UNVERIFIED or AWAITING_REVIEW in for_patient(flag.advice, flag.review)]
    assert not unverified, f"emergency advice awaiting clinical review: {unverified}"
