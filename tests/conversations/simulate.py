"""Conversation robustness suite: simulated patients talk to the RUNNING assistant over REST.

Each patient (tests/conversations/patients/*.yml) has a profile of facts and a way of typing. The simulator reads
every bot message, recognises which question is asked by matching the texts the project itself defines (domain.yml
responses, screening questions and red-flag advice from knowledge/, loaded at run time), and answers from the profile
in the patient's own phrasings. At the end the triage summary (or the tracker's slots as a fallback) is checked
against the profile.

    python tests/conversations/simulate.py --url http://127.0.0.1:5005 --token "$RASA_API_TOKEN" [--enforce]
        [--only ID[,ID...]] [--show] [--jobs 2] [--out results/conversations.json]

Figures: completed, loops, median messages to a result, fact recall, wrong facts, and messages to a result for the
typical patient. With --enforce the exit status is 1 unless: 100% completed, 0 loops, recall >= 0.95, 0 wrong
facts, typical patient <= 20 messages. Standard library and PyYAML only, so it runs from any Python with PyYAML.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent

GATES = {"completed": 1.0, "loops": 0, "recall": 0.95, "wrong_facts": 0, "typical_messages": 20}
MAX_MESSAGES = 60     # a patient who has typed this much without a result gives up
PATIENCE = 3          # bot turns in a row the patient cannot make sense of before giving up
LOOP_REPEATS = 3      # the same bot message this many times in a row is a loop
HISTORY_SLOTS = ("pain_location", "pain_duration", "pain_score", "daily_impact", "other_conditions",
                 "current_medications", "treatments_tried", "age_band", "pregnancy_status", "kidney_problems",
                 "liver_problems", "heart_problems", "implanted_device", "blood_thinners")
# Conditions a "yes" to an organ question stands for (any one of them counts), and what "no" denies.
ORGAN_CONDITIONS = {"kidney": ["kidney_disease"], "liver": ["liver_disease"],
                    "heart": ["heart_disease", "recent_heart_attack", "heart_rhythm_problem", "heart_failure"],
                    "implant": ["pacemaker", "implanted_defibrillator"]}
ORGAN_SLOT = {"kidney_problems": "kidney", "liver_problems": "liver", "heart_problems": "heart",
              "implanted_device": "implant"}

# What patients type when they cannot tell what the bot wants, and when it said something with no question in it.
CONFUSED = ["sorry what do you mean?", "sorry i dont get what you're asking", "what do you need me to say?"]
NO_QUESTION = ["ok", "ok so what now?", "right... what next?"]
# Short answers, when the patient's file has no phrasing of their own for a question.
BANK = {
    "plain": {"yes": ["yes", "yes, definitely", "yes, quite a lot"], "no": ["no", "no, not really", "no, I don't think so"],
              "unsure": ["not sure", "I'm not sure to be honest", "hard to say"],
              "none": ["none", "no, nothing else", "nothing"], "consent": ["yes", "yes that's fine", "ok, I agree"]},
    "casual": {"yes": ["yeah", "yep", "yes def", "ya"], "no": ["nope", "no", "nah not really"],
               "unsure": ["dunno", "not sure tbh", "maybe? hard to tell"],
               "none": ["nope none", "nothing", "no"], "consent": ["yep", "ok sure", "yeah fine"]},
    "typo": {"yes": ["yse", "yeh", "yes", "yep"], "no": ["no", "nop", "noo"], "unsure": ["not sur", "dunno", "not sure"],
             "none": ["non", "none", "nothin"], "consent": ["yes", "ok", "yse ok"]},
}
# Questions whose plain answer can be said from the profile alone, when the patient's own words were not understood.
PLAIN_AGAIN = {"pain_location", "pain_duration", "pain_score", "daily_impact", "age_band", "pregnancy_status",
               "kidney_problems", "liver_problems", "heart_problems", "implanted_device", "blood_thinners",
               "current_medications"}
LOCATION_WORDS = {"feet": "feet", "toes": "toes", "legs": "legs", "knees": "knees", "thighs": "thigh",
                  "buttocks": "bum", "hips": "hip", "lower_back": "lower back", "back": "back", "neck": "neck",
                  "shoulders": "shoulder", "arms": "arm", "elbows": "elbow", "hands": "hands", "fingers": "fingers",
                  "wrists": "wrist", "face": "face", "jaw": "jaw", "teeth": "teeth", "head": "head", "eyes": "eye",
                  "chest": "chest", "abdomen": "tummy", "groin": "groin", "whole_body": "all over"}


# ----------------------------------------------------------------------------------------------------------------
# What the bot says: the project's own texts, loaded at run time

def _norm(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Template:
    key: str          # "ask:pain_score", "screen:burning", "consent", "escalation:saddle_anaesthesia", "info:utter_x"
    text: str         # normalised
    pattern: re.Pattern


def _template(key: str, text: str) -> Template:
    text = _norm(text)
    parts = re.split(r"\{[a-z_]+\}", text)
    return Template(key, text, re.compile(".+?".join(re.escape(p) for p in parts)))


def _response_kind(name: str) -> str:
    if name == "utter_ask_consent":
        return "consent"
    if name in ("utter_ask_describe_pain", "utter_ask_how_can_help"):
        return "describe"
    if name == "utter_offer_next_steps":
        return "next_steps"
    if name == "utter_still_not_understood":
        return "offer_person"
    if name == "utter_handoff":
        return "handoff"
    if name == "utter_goodbye":
        return "goodbye"
    if name in ("utter_please_answer", "utter_ask_rephrase", "utter_default", "utter_help_screening",
                "utter_help_warning_answer"):
        return "reask"
    if name.startswith("utter_help_"):  # help with examples for one question: the same question again
        return "ask:" + name[len("utter_help_"):]
    if name in ("utter_confirm_stop", "utter_confirm_restart"):
        return "confirm_stop"
    if name.startswith("utter_ask_"):
        return "ask:" + name[len("utter_ask_"):]
    return "info:" + name


def load_templates(project: Path) -> List[Template]:
    templates: List[Template] = []
    domain_files = [project / "domain.yml"] + sorted((project / "domain").glob("**/*.yml"))
    for path in domain_files:
        if not path.exists():
            continue
        responses = (yaml.safe_load(path.read_text()) or {}).get("responses") or {}
        for name, variants in responses.items():
            for variant in variants or []:
                if isinstance(variant, dict) and variant.get("text"):
                    templates.append(_template(_response_kind(name), variant["text"]))
    for instrument in yaml.safe_load((project / "knowledge" / "screening.yml").read_text()) or []:
        for item in instrument.get("items") or []:
            if item.get("symptom_id") and item.get("question"):
                templates.append(_template("screen:" + item["symptom_id"], item["question"]))
    for flag in yaml.safe_load((project / "knowledge" / "red_flags.yml").read_text()) or []:
        if flag.get("advice"):
            templates.append(_template("escalation:" + flag["id"], flag["advice"]))
        if flag.get("question"):  # a warning-sign question asked by presentation
            templates.append(_template("warn:" + flag["id"], flag["question"]))
    return templates


def classify(text: str, templates: Sequence[Template]) -> Optional[str]:
    """The key of the project text this bot message is (or ends with); None if it is none of them."""
    message = _norm(text)
    if not message:
        return None
    best: Optional[Tuple[int, int, str]] = None  # (end position, length, key): the text said last wins
    for template in templates:
        # a short text ("Thank you.") only when it is the whole message, not when it opens a longer one; a short
        # question also when it ends the message ("Thanks! How old are you?")
        found = template.pattern.search(message)
        if found and len(template.text) < 30 and not (found.start() == 0 and found.end() == len(message)):
            if not (template.key.startswith(("ask:", "screen:")) and found.end() == len(message)):
                found = None
        if found and (found.end() - found.start()) >= min(len(template.text), 12):
            candidate = (found.end(), len(template.text), template.key)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if best:
        return best[2]
    # reworded slightly (a rewrite of a response): close enough to one text as a whole
    scored = [(difflib.SequenceMatcher(None, message, t.text).ratio(), t.key) for t in templates
              if abs(len(t.text) - len(message)) < max(20, len(message) // 4)]
    ratio, key = max(scored, default=(0.0, None))
    return key if ratio >= 0.85 else None


# ----------------------------------------------------------------------------------------------------------------
# Patients

def _alts(fact: Any) -> List[str]:
    """A fact is an id, or several acceptable ids written "a|b"."""
    return [part.strip() for part in str(fact).split("|") if part.strip()]


def _months_band(months: Optional[float]) -> Optional[str]:
    if months is None:
        return None
    return "under 3 months" if months < 3 else "3 to 12 months" if months <= 12 else "over a year"


def _same_duration(recorded: Optional[float], true: float) -> bool:
    if recorded is None:
        return False
    return _months_band(recorded) == _months_band(true) or abs(recorded - true) <= 0.25 * true


def _age_band(age: Optional[int]) -> Optional[str]:
    if age is None:
        return None
    return "under_18" if age < 18 else "65_plus" if age >= 65 else "18_to_64"


@dataclass
class Patient:
    id: str
    data: Dict[str, Any]
    path: Path

    @property
    def profile(self) -> Dict[str, Any]:
        return self.data.get("profile") or {}

    @property
    def say(self) -> Dict[str, Any]:
        return self.data.get("say") or {}

    @property
    def voice(self) -> str:
        return self.data.get("voice", "plain")

    @property
    def red_flags(self) -> List[str]:
        return list(self.profile.get("red_flags") or [])

    @property
    def levels(self) -> List[str]:
        triage = self.profile.get("triage")
        return [triage] if isinstance(triage, str) else list(triage or [])

    @property
    def typical(self) -> bool:
        return bool(self.data.get("typical"))

    @property
    def stops(self) -> bool:
        return any("stop" in event for event in self.data.get("events") or [])

    def seed(self, run_seed: int) -> int:
        return int(hashlib.sha256(f"{run_seed}:{self.id}".encode()).hexdigest()[:8], 16)


def load_patients(directory: Path) -> List[Patient]:
    patients = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        # YAML reads an unquoted yes / no as a boolean: the patient typed the word
        words = {True: "yes", False: "no"}
        data["say"] = {k: ([words.get(x, x) if isinstance(x, bool) else x for x in v] if isinstance(v, list)
                           else words.get(v, v) if isinstance(v, bool) else v)
                       for k, v in (data.get("say") or {}).items()}
        patients.append(Patient(data.get("id") or path.stem, data, path))
    ids = [p.id for p in patients]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    if duplicates:
        raise SystemExit(f"duplicate patient ids: {duplicates}")
    return patients


class Speaker:
    """Chooses what the patient types: their own phrasings first, else short answers in their voice. The first
    choice for each question is seeded; a question asked again gets the next phrasing, as people rephrase."""

    def __init__(self, patient: Patient, seed: int) -> None:
        self.patient = patient
        self.seed = seed
        self.asked: Counter = Counter()

    def _pick(self, key: str, options: Sequence[str]) -> str:
        offset = int(hashlib.sha256(f"{self.seed}:{key}".encode()).hexdigest()[:6], 16)
        return options[(offset + self.asked[key] - 1) % len(options)]

    def bank(self, kind: str) -> List[str]:
        return BANK.get(self.patient.voice, BANK["plain"])[kind]

    def answer(self, key: str) -> Optional[str]:
        """The reply to the question `key` ("ask:pain_score", "screen:burning", "consent", ...); None: no idea."""
        self.asked[key] += 1
        name = key.split(":", 1)[-1]
        own = self.patient.say.get(name)
        if own:
            options = [own] if isinstance(own, str) else list(own)
            if self.asked[key] > len(options) and len(options) == 1:
                # asked again: a plain answer like the bot's examples where the profile gives one, else repeated
                plain = self._from_profile(key, name) if name in PLAIN_AGAIN or key.startswith(("screen:", "warn:")) \
                    else None
                if plain and plain[0] != options[0]:
                    return self._pick(key + ":plain", plain)
                return "like I said, " + options[0]
            return self._pick(key, options)
        generated = self._from_profile(key, name)
        return self._pick(key, generated) if generated else None

    def filler(self, kind: str) -> str:
        self.asked["filler:" + kind] += 1
        own = self.patient.say.get("confused" if kind == "confused" else "no_question")
        options = ([own] if isinstance(own, str) else own) if own else (CONFUSED if kind == "confused" else NO_QUESTION)
        return self._pick("filler:" + kind, options)

    def _from_profile(self, key: str, name: str) -> Optional[List[str]]:
        profile = self.patient.profile
        if key == "consent":
            return self.bank("consent")
        if key.startswith("warn:"):  # a warning-sign question: yes only for the patient's own warning signs
            own_flags = [a for flag in profile.get("red_flags") or [] for a in _alts(flag)]
            return self.bank("yes" if name in own_flags else "no")
        if name == "what_to_change":  # "what would you like to change?" when nothing was meant to change
            return ["nothing, sorry, I didn't want to change anything"]
        if key.startswith("screen:"):
            symptoms = profile.get("symptoms") or {}
            for status in ("present", "absent", "unsure"):
                if name in (symptoms.get(status) or []):
                    return self.bank({"present": "yes", "absent": "no", "unsure": "unsure"}[status])
            return self.bank("no")
        pain = profile.get("pain") or {}
        if name == "pain_location":
            return ["my " + " and ".join(LOCATION_WORDS.get(p, p.replace("_", " ")) for p in pain.get("locations", []))]
        if name == "pain_duration":
            months = pain.get("months")
            if months is None:
                return self.bank("unsure")
            return [f"{int(months // 12)} years" if months >= 24 else f"{int(round(months))} months"]
        if name == "pain_score":
            score = pain.get("score")
            return [str(score[0] if isinstance(score, list) else score)] if score is not None else self.bank("unsure")
        if name == "daily_impact":
            return self.bank({True: "yes", False: "no"}.get(profile.get("daily_impact"), "unsure"))
        if name == "age_band":
            return [str(profile["age"])] if profile.get("age") is not None else None
        if name == "pregnancy_status":
            status = profile.get("pregnancy", "no")
            return {"pregnant": ["yes I'm pregnant"], "breastfeeding": ["I'm breastfeeding"]}.get(status, self.bank("no"))
        if name in ORGAN_SLOT:
            value = profile.get(ORGAN_SLOT[name], False)
            return self.bank("unsure" if value == "unsure" else "yes" if value else "no")
        if name == "blood_thinners":
            value = profile.get("blood_thinner")
            return self.bank("unsure" if value == "unsure" else "yes" if value else "no")
        if name == "other_conditions":
            return self.bank("none")
        if name == "current_medications":
            said = [m.get("said") or m.get("id") for m in profile.get("medications") or []]
            return [" and ".join(said)] if said else self.bank("none")
        if name == "treatments_tried":
            return self.bank("none")
        if key == "next_steps":
            return ["that's all thanks"]
        return None


# ----------------------------------------------------------------------------------------------------------------
# Talking to the assistant

class Assistant:
    def __init__(self, url: str, token: Optional[str], wait_seconds: float = 180.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.wait_seconds = wait_seconds

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        """JSON over HTTP; connection errors (the assistant restarting) are retried for up to wait_seconds."""
        deadline = time.monotonic() + self.wait_seconds
        delay = 1.0
        while True:
            request = urllib.request.Request(self.url + path, method=method,
                                             data=None if body is None else json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                if error.code < 500 or time.monotonic() > deadline:
                    raise
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def send(self, sender: str, message: str) -> List[Dict[str, Any]]:
        return self._request("POST", "/webhooks/rest/webhook", {"sender": sender, "message": message}) or []

    def tracker(self, sender: str) -> Dict[str, Any]:
        if not self.token:
            return {}
        query = urllib.parse.urlencode({"token": self.token})
        try:
            return self._request("GET", f"/conversations/{urllib.parse.quote(sender)}/tracker?{query}") or {}
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # HTTPError included: nothing to read
            return {}


@dataclass
class Turn:
    patient: str
    bot: List[str]
    keys: List[Optional[str]]
    note: str = ""


@dataclass
class Conversation:
    patient: Patient
    sender: str
    turns: List[Turn] = field(default_factory=list)
    summary: Optional[Dict[str, Any]] = None
    slots: Dict[str, Any] = field(default_factory=dict)
    outcome: str = "gave up"      # result | escalated | stopped | gave up | loop | too long | error
    messages_to_result: Optional[int] = None
    loop_line: Optional[str] = None
    escalated_after: Optional[int] = None  # messages between the red flag and the escalation
    pushback_held: Optional[bool] = None
    error: Optional[str] = None

    @property
    def completed(self) -> bool:
        return self.outcome in ("result", "escalated", "stopped")  # a stop the patient asked for and confirmed

    @property
    def sent(self) -> int:
        return len(self.turns)


def _bot_lines(replies: List[Dict[str, Any]]) -> Tuple[List[str], Optional[Dict[str, Any]]]:
    lines, summary = [], None
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("triage_summary"), dict):
            summary = custom["triage_summary"]
            lines.append("[triage_summary payload]")
        elif reply.get("text"):
            lines.append(reply["text"])
    return lines, summary


class Simulation:
    """One patient's conversation: send, read the bot's turn, decide the next message."""

    def __init__(self, patient: Patient, assistant: Assistant, templates: Sequence[Template], run_seed: int,
                 stamp: str) -> None:
        self.patient = patient
        self.assistant = assistant
        self.templates = templates
        self.speaker = Speaker(patient, patient.seed(run_seed))
        self.conv = Conversation(patient, f"convsuite-{patient.id}-{stamp}")
        self.events = [dict(e) for e in patient.data.get("events") or []]
        self.asked_keys: Counter = Counter()
        self.flag_sent_at: Optional[int] = None
        self.last_question: Optional[str] = None
        self.stop_sent = False
        self.stop_confirmed = False

    # -- one exchange
    def _exchange(self, message: str, note: str = "") -> Tuple[List[str], List[Optional[str]]]:
        replies = self.assistant.send(self.conv.sender, message)
        lines, summary = _bot_lines(replies)
        keys = ["summary" if line == "[triage_summary payload]" else classify(line, self.templates) for line in lines]
        self.conv.turns.append(Turn(message, lines, keys, note))
        if summary is not None and self.conv.summary is None:
            self.conv.summary = summary
            self.conv.messages_to_result = self.conv.sent
        return lines, keys

    def _loop_detected(self) -> bool:
        recent = [" | ".join(t.bot) for t in self.conv.turns[-LOOP_REPEATS:]]
        if len(recent) == LOOP_REPEATS and len(set(recent)) == 1 and recent[0]:
            self.conv.loop_line = recent[0]
            return True
        return False

    def _escalated(self) -> bool:
        slots = (self.assistant.tracker(self.conv.sender).get("slots") or {})
        self.conv.slots = slots
        return bool(slots.get("red_flags")) or slots.get("triage_level") in ("emergency", "urgent")

    def _event_for(self, key: str) -> Optional[Dict[str, Any]]:
        """A digression the patient makes when this question comes; a correction comes with the next question
        after the mistaken answer, as people notice their slip."""
        name = key.split(":", 1)[-1]
        for event in self.events:
            if event.get("done"):
                continue
            if event.get("correct") and event.get("wrong_said") and event.get("wrong_question") != key:
                event["at"] = name
                return event
            if event.get("at") == name and not event.get("correct"):
                return event
        return None

    def _wrong_first_answer(self, key: str) -> Optional[str]:
        name = key.split(":", 1)[-1]
        for event in self.events:
            if event.get("correct") == name and not event.get("wrong_said"):
                event["wrong_said"], event["wrong_question"] = True, key
                return event["wrong"]
        return None

    def _next_message(self, keys: List[Optional[str]]) -> Tuple[Optional[str], str]:
        """What the patient types after this bot turn, and a note for the transcript."""
        question = None
        for key in keys:  # the last question of the turn is the one to answer
            if key and (key.startswith(("ask:", "screen:", "warn:")) or key in ("consent", "describe", "next_steps",
                                                                                 "offer_person", "confirm_stop")):
                question = key
        if question is None and "reask" in keys and self.last_question:
            question = self.last_question  # "Sorry, I didn't catch that": say it another way
        if question is None:
            if any(k is None for k in keys) or not keys:
                return self.speaker.filler("confused"), "confused"
            return self.speaker.filler("no_question"), "no question"
        self.last_question = question
        self.asked_keys[question] += 1
        if self.stop_sent and not self.stop_confirmed:  # "do you want to end here?" after "i have to go"
            self.stop_confirmed = True
            return self.patient.say.get("confirm_stop") or "yes, bye", "confirms the stop"
        if question == "confirm_stop":  # asked to confirm a stop the patient never meant
            return "no, carry on", "carries on"
        if question == "offer_person":
            own = self.patient.say.get("offer_person")
            return (own or "no, let me try again"), "declines a person"
        event = self._event_for(question)
        if event:
            event["done"] = True
            messages = event.get("say") or event.get("stop")
            messages = [messages] if isinstance(messages, str) else list(messages)
            if event.get("flag"):
                self.flag_sent_at = self.conv.sent + len(messages)
            if event.get("stop"):
                self.stop_sent = True
            # every message but the last is sent here; the last is returned
            for extra in messages[:-1]:
                self._exchange(extra, f"event at {event['at']}")
            return messages[-1], f"event at {event['at']}"
        if question.startswith("warn:"):
            flag = next((e for e in self.events if e.get("flag") and not e.get("done") and e.get("say")), None)
            own = [a for f in self.patient.red_flags for a in _alts(f)]
            if flag and question.split(":", 1)[1] in own:  # asked about their own warning sign: they tell it now
                flag["done"] = True
                self.flag_sent_at = self.conv.sent + 1
                return flag["say"] if isinstance(flag["say"], str) else flag["say"][-1], "warning sign"
        wrong = self._wrong_first_answer(question)
        if wrong:
            return wrong, f"mistaken answer to {question}"
        answer = self.speaker.answer(question)
        if answer is None:
            flag = next((e for e in self.events if e.get("flag") and not e.get("done") and e.get("say")), None)
            if flag:  # the question the warning sign was meant for never came: it is said now
                flag["done"] = True
                self.flag_sent_at = self.conv.sent + 1
                return flag["say"] if isinstance(flag["say"], str) else flag["say"][-1], "warning sign"
            return self.speaker.filler("confused"), f"no answer for {question}"
        return answer, f"answers {question}"

    def run(self) -> Conversation:
        conv = self.conv
        try:
            openings = self.patient.say.get("opening") or ["hi"]
            openings = [openings] if isinstance(openings, str) else list(openings)
            for event in self.events:  # a red flag said in the opening message
                if event.get("at") == "opening" and event.get("flag"):
                    self.flag_sent_at = len(openings)
                    event["done"] = True
            keys: List[Optional[str]] = []
            for message in openings:
                _, keys = self._exchange(message, "opening")
            confused = 0
            while True:
                if self._finished(keys):
                    break
                if self._loop_detected():
                    conv.outcome = "loop"
                    break
                if conv.sent >= MAX_MESSAGES:
                    conv.outcome = "too long"
                    break
                message, note = self._next_message(keys)
                confused = confused + 1 if note in ("confused", "no question") or note.startswith("no answer") else 0
                if confused > PATIENCE:
                    conv.outcome = "gave up"
                    break
                _, keys = self._exchange(message, note)
        except Exception as error:  # the conversation is reported, the suite goes on
            conv.outcome, conv.error = "error", f"{type(error).__name__}: {error}"
        if not conv.slots:
            conv.slots = self.assistant.tracker(conv.sender).get("slots") or {}
        return conv

    def _finished(self, keys: List[Optional[str]]) -> bool:
        conv = self.conv
        escalation_said = any(k and k.startswith("escalation:") for k in keys)
        flag_said = self.flag_sent_at is not None and conv.sent >= self.flag_sent_at
        if self.patient.red_flags and (flag_said or escalation_said):
            if (escalation_said or conv.sent - self.flag_sent_at <= 2) and self._escalated():
                right_level = conv.slots.get("triage_level") in self.patient.levels
                conv.outcome = "escalated" if right_level else "escalated at the wrong level"
                conv.escalated_after = conv.sent - self.flag_sent_at if flag_said else 0
                conv.messages_to_result = conv.sent
                self._pushback()
                return True
        flag_to_come = any(e.get("flag") and not e.get("done") for e in self.events)
        if conv.summary is not None and not flag_to_come:
            if self.patient.red_flags:
                conv.outcome = "result without escalation"
            else:
                conv.outcome = "result"
            self._closing()
            return True
        if self.stop_sent and "goodbye" in keys:
            conv.outcome = "stopped"
            conv.messages_to_result = conv.sent
            return True
        if not self.patient.red_flags and escalation_said:
            conv.outcome = "escalated by mistake"
            return True
        return False

    def _pushback(self) -> None:
        """A patient who argues with the advice: it must be repeated, not softened."""
        text = self.patient.say.get("pushback")
        if not text:
            return
        lines, keys = self._exchange(text, "pushback")
        numbers = re.findall(r"\b\d{3}\b", " ".join(t for turn in self.conv.turns[:-1] for t in turn.bot))
        said = " ".join(lines)
        self.conv.pushback_held = any(k and k.startswith("escalation:") for k in keys) or \
            any(n in said for n in set(numbers))

    def _closing(self) -> None:
        text = self.patient.say.get("closing")
        if text:
            self._exchange(text, "closing")


# ----------------------------------------------------------------------------------------------------------------
# Facts: the profile against the summary (tracker slots as a fallback)

DURATION_UNITS = {"day": 1 / 30, "week": 0.25, "wk": 0.25, "month": 1, "mth": 1, "mo": 1, "year": 12, "yr": 12}
DURATION_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                  "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "few": 3, "several": 4}


def parse_months(text: Any) -> Optional[float]:
    """Months in a duration as staff would read it ("2 yrs", "about six months"); the last one said wins, so a
    corrected answer ("3 years not 3 months" is read as said) is not guessed at here: None when several disagree."""
    if isinstance(text, (int, float)):
        return float(text)
    if not isinstance(text, str):
        return None
    found = re.findall(r"(\d+(?:\.\d+)?|[a-z]+)\s*(?:or so\s*)?(day|week|wk|month|mth|mo|year|yr)s?\b", text.lower())
    values = []
    for amount, unit in found:
        number = float(amount) if amount[0].isdigit() else DURATION_WORDS.get(amount)
        if number is not None:
            values.append(number * DURATION_UNITS[unit])
    bands = {_months_band(v) for v in values}
    return values[0] if len(bands) == 1 else None


@dataclass
class Record:
    """What the assistant kept, from the summary if there is one, else from the tracker's slots."""
    symptoms_present: List[str]
    symptoms_absent: List[str]
    conditions: List[str]
    condition_history: List[str]  # had before (an operation, shingles last year): still the patient's history
    medications: List[str]
    medication_history: List[str]
    unrecognised: List[str]
    locations: List[str]
    months: Optional[float]
    score: Optional[int]
    level: Optional[str]
    tracker_level: Optional[str]  # the level now: a warning sign after the result raises it above the summary's
    red_flags: List[str]
    age_band: Optional[str]
    source: str


def _ids(items: Any) -> List[str]:
    out = []
    for item in items or []:
        if isinstance(item, dict):
            item = item.get("id") or item.get("name") or item.get("text")
        if item:
            out.append(str(item))
    return out


def build_record(summary: Optional[Dict[str, Any]], slots: Dict[str, Any]) -> Record:
    s = summary or {}
    pain = s.get("pain") or {}
    symptoms = s.get("symptoms") or {}

    def pick(summary_value: Any, *slot_names: str) -> Any:
        if summary_value not in (None, [], ""):
            return summary_value
        for name in slot_names:
            if slots.get(name) not in (None, [], ""):
                return slots[name]
        return summary_value

    months = pain.get("duration_months")
    if months is None:
        months = parse_months(pain.get("duration"))
    if months is None:
        months = slots.get("pain_duration_months")
    score = pick(pain.get("score"), "pain_score")
    age = s.get("age_band") or (s.get("patient") or {}).get("age_band") or slots.get("age_band")
    return Record(
        symptoms_present=_ids(pick(symptoms.get("present"), "symptoms_present")),
        symptoms_absent=_ids(pick(symptoms.get("absent"), "symptoms_absent")),
        conditions=_ids(pick(s.get("conditions"), "conditions")),
        condition_history=_ids(pick(s.get("condition_history"), "condition_history", "conditions_past")),
        medications=_ids(pick(s.get("medications"), "medications")),
        medication_history=_ids(pick(s.get("medication_history"), "medication_history", "medications_past",
                                     "medications_stopped")),
        unrecognised=[str(x.get("text") if isinstance(x, dict) else x).lower()
                      for x in pick(s.get("unrecognised_medications"), "unrecognised_medications") or []],
        locations=_ids(pick(pain.get("locations"), "pain_locations")),
        months=float(months) if isinstance(months, (int, float)) else None,
        score=int(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        level=s.get("triage_level") or slots.get("triage_level"), tracker_level=slots.get("triage_level"),
        red_flags=list(dict.fromkeys(_ids(s.get("red_flags")) + _ids(slots.get("red_flags")))),
        age_band=age if isinstance(age, str) else None,
        source="summary" if summary else "tracker")


def check_facts(patient: Patient, record: Record) -> Tuple[List[str], List[str], List[str]]:
    """(facts found, facts missed, wrong facts), each as a short readable string."""
    profile = patient.profile
    found: List[str] = []
    missed: List[str] = []
    wrong: List[str] = []

    def expect(label: str, ok: bool) -> None:
        (found if ok else missed).append(label)

    levels = patient.levels
    if patient.red_flags:
        flags = set(record.red_flags)
        for flag in patient.red_flags:
            expect(f"red flag {flag}", any(a in flags for a in _alts(flag)))
        level = record.tracker_level or record.level
        if level:
            expect(f"level in {levels}", level in levels)
            if level not in levels:
                wrong.append(f"triage level {level}, expected one of {levels}")
        else:
            missed.append(f"level in {levels}")
        return found, missed, wrong
    symptoms = profile.get("symptoms") or {}
    pain = profile.get("pain") or {}
    stopped = profile.get("stopped") or []
    counting = not patient.stops  # a patient who left early is owed nothing; what was kept must still be right

    if counting:
        for s in symptoms.get("present") or []:
            expect(f"symptom {s}", any(a in record.symptoms_present for a in _alts(s)))
        for s in symptoms.get("absent") or []:
            expect(f"no {s}", any(a in record.symptoms_absent for a in _alts(s)))
        for c in profile.get("conditions") or []:
            expect(f"condition {c}", any(a in record.conditions + record.condition_history for a in _alts(c)))
        for organ, alternatives in ORGAN_CONDITIONS.items():
            if profile.get(organ) is True:
                expect(f"{organ} problem", any(a in record.conditions for a in alternatives))
        if profile.get("pregnancy") in ("pregnant", "breastfeeding"):
            wanted = "pregnancy" if profile["pregnancy"] == "pregnant" else "breastfeeding"
            expect(wanted, wanted in record.conditions)
        for m in profile.get("medications") or []:
            if m.get("id"):
                expect(f"medicine {m['id']}", any(a in record.medications for a in _alts(m["id"])))
            else:
                word = str(m.get("said")).lower()  # or known by now: the vocabulary grows
                expect(f"unrecognised medicine '{word}'", any(word in u or u in word for u in record.unrecognised)
                       or word.replace(" ", "_") in record.medications)
        blood_thinner = profile.get("blood_thinner")
        if isinstance(blood_thinner, str) and blood_thinner != "unsure":
            expect(f"blood thinner {blood_thinner}", any(a in record.medications for a in _alts(blood_thinner)))
        for m in stopped:
            expect(f"stopped {m['id']}", m["id"] in record.medication_history)
        for place in pain.get("locations") or []:
            expect(f"place {place}", any(a in record.locations for a in _alts(place)))
        if pain.get("months") is not None:
            expect(f"duration {_months_band(pain['months'])}", _same_duration(record.months, pain["months"]))
        if pain.get("score") is not None:
            scores = pain["score"] if isinstance(pain["score"], list) else [pain["score"]]
            expect(f"score {'/'.join(map(str, scores))}", record.score in scores)
        if profile.get("age") is not None:
            expect(f"age band {_age_band(profile['age'])}", record.age_band == _age_band(profile["age"]))
        if levels:
            expect(f"level in {levels}", record.level in levels)

    # wrong facts: what the record says against what the patient said
    for s in symptoms.get("absent") or []:
        if any(a in record.symptoms_present for a in _alts(s)):
            wrong.append(f"denied symptom {s} listed as present")
    for s in symptoms.get("present") or []:
        if any(a in record.symptoms_absent for a in _alts(s)):
            wrong.append(f"symptom {s} listed as absent")
    denied_conditions = list(profile.get("denied_conditions") or []) + list((profile.get("not_mine") or {}).get("conditions") or [])
    for organ, alternatives in ORGAN_CONDITIONS.items():
        if profile.get(organ) is False:
            denied_conditions += alternatives
    pregnancy = profile.get("pregnancy", "no")
    if pregnancy != "pregnant":
        denied_conditions.append("pregnancy")
    if pregnancy != "breastfeeding":
        denied_conditions.append("breastfeeding")
    for c in dict.fromkeys(denied_conditions):
        if c in record.conditions:
            wrong.append(f"condition {c} recorded, but the patient {'is not' if c in ('pregnancy', 'breastfeeding') else 'does not have it'}")
    for m in stopped:
        if m["id"] in record.medications:
            wrong.append(f"stopped medicine {m['id']} listed as current")
    for m in list(profile.get("denied_medications") or []) + list((profile.get("not_mine") or {}).get("medications") or []):
        if m in record.medications:
            wrong.append(f"medicine {m} listed, but the patient does not take it")
    if profile.get("blood_thinner") is False:
        for m in record.medications:
            if m in ("warfarin", "apixaban", "rivaroxaban", "edoxaban", "dabigatran", "enoxaparin", "clopidogrel",
                     "anticoagulant_unspecified"):
                wrong.append(f"blood thinner {m} listed, but the patient takes none")
    for place in profile.get("denied_locations") or []:
        if place in record.locations:
            wrong.append(f"place {place} listed, but the patient corrected it")
    if pain.get("months") is not None and record.months is not None \
            and not _same_duration(record.months, pain["months"]):
        wrong.append(f"duration {record.months:g} months ({_months_band(record.months)}), "
                     f"but {pain['months']:g} months ({_months_band(pain['months'])})")
    if pain.get("score") is not None and record.score is not None:
        scores = pain["score"] if isinstance(pain["score"], list) else [pain["score"]]
        if record.score not in scores:
            wrong.append(f"pain score {record.score}, but {'/'.join(map(str, scores))}")
    if profile.get("age") is not None and record.age_band and record.age_band in ("under_18", "18_to_64", "65_plus") \
            and record.age_band != _age_band(profile["age"]):
        wrong.append(f"age band {record.age_band}, but {profile['age']} years old")
    if levels and record.level and record.level not in levels and record.source == "summary":
        wrong.append(f"triage level {record.level}, expected one of {levels}")
    for flag in record.red_flags:
        wrong.append(f"red flag {flag} recorded, but the patient reported none")
    return found, missed, wrong


# ----------------------------------------------------------------------------------------------------------------
# The run and its figures

def run_suite(patients: Sequence[Patient], assistant: Assistant, templates: Sequence[Template], run_seed: int,
              jobs: int) -> List[Dict[str, Any]]:
    stamp = time.strftime("%Y%m%d%H%M%S")

    def one(patient: Patient) -> Dict[str, Any]:
        conv = Simulation(patient, assistant, templates, run_seed, stamp).run()
        record = build_record(conv.summary, conv.slots)
        found, missed, wrong = check_facts(patient, record)
        return {
            "id": patient.id, "file": patient.path.name, "sender": conv.sender, "typical": patient.typical,
            "red_flag_patient": bool(patient.red_flags), "style": patient.data.get("style") or [],
            "outcome": conv.outcome, "completed": conv.completed, "loop": conv.outcome == "loop",
            "loop_line": conv.loop_line, "messages_sent": conv.sent, "messages_to_result": conv.messages_to_result,
            "escalated_after": conv.escalated_after, "pushback_held": conv.pushback_held, "error": conv.error,
            "record_source": record.source, "facts_found": found, "facts_missed": missed, "wrong_facts": wrong,
            "transcript": [{"patient": t.patient, "note": t.note, "bot": t.bot, "recognised": t.keys}
                           for t in conv.turns],
        }

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, patients))


def figures(results: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    n = len(results)
    completed = sum(r["completed"] for r in results)
    found = sum(len(r["facts_found"]) for r in results)
    total = found + sum(len(r["facts_missed"]) for r in results)
    to_result = [r["messages_to_result"] for r in results if r["completed"] and r["messages_to_result"]]
    typical = [r for r in results if r["typical"]]
    flagged = [r for r in results if r["red_flag_patient"]]
    pushbacks = [r["pushback_held"] for r in results if r["pushback_held"] is not None]
    return {
        "patients": n, "red_flag_patients": len(flagged),
        "completed": completed, "completed_share": completed / n if n else 0.0,
        "loops": sum(r["loop"] for r in results),
        "median_messages_to_result": statistics.median(to_result) if to_result else None,
        "facts": total, "facts_found": found, "fact_recall": found / total if total else 0.0,
        "wrong_facts": sum(len(r["wrong_facts"]) for r in results),
        "typical_patient": typical[0]["id"] if typical else None,
        "typical_messages_to_result": (typical[0]["messages_to_result"] if typical and typical[0]["completed"]
                                       else None),
        "red_flags_escalated_at_once": sum(1 for r in flagged if r["escalated_after"] is not None
                                           and r["escalated_after"] <= 1),
        "pushback_held": f"{sum(pushbacks)}/{len(pushbacks)}",
        "outcomes": dict(Counter(r["outcome"] for r in results)),
        "mix": dict(Counter(tag for r in results for tag in r["style"])),
    }


def gate_failures(fig: Dict[str, Any]) -> List[str]:
    failures = []
    if fig["completed_share"] < GATES["completed"]:
        failures.append(f"completed {fig['completed']}/{fig['patients']} (gate: all)")
    if fig["loops"] > GATES["loops"]:
        failures.append(f"{fig['loops']} loops (gate: 0)")
    if fig["fact_recall"] < GATES["recall"]:
        failures.append(f"fact recall {fig['fact_recall']:.3f} (gate: >= {GATES['recall']})")
    if fig["wrong_facts"] > GATES["wrong_facts"]:
        failures.append(f"{fig['wrong_facts']} wrong facts (gate: 0)")
    typical = fig["typical_messages_to_result"]
    if typical is None or typical > GATES["typical_messages"]:
        failures.append(f"typical patient: {typical if typical is not None else 'no result'} messages "
                        f"(gate: <= {GATES['typical_messages']})")
    return failures


def _fact_kind(label: str) -> str:
    if label.startswith("no "):
        return "denied symptom"
    if label.startswith(("unrecognised", "stopped", "blood thinner", "red flag", "age band", "level")):
        return " ".join(label.split()[:2])
    return label.split()[0]


def failure_kinds(results: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The bot lines patients could not make sense of, questions asked again after an answer, facts missed and wrong,
    counted over all patients, for finding what to fix first."""
    unrecognised: Counter = Counter()
    asked_again: Counter = Counter()
    asked_again_example: Dict[str, str] = {}
    for r in results:
        previous = None
        for turn in r["transcript"]:
            for line, key in zip(turn["bot"], turn["recognised"]):
                if key is None:
                    unrecognised[line[:200]] += 1
            questions = [k for k in turn["recognised"] if k and k.startswith(("ask:", "screen:", "consent"))]
            question = questions[-1] if questions else None
            if question and question == previous:
                asked_again[question] += 1
                asked_again_example.setdefault(question, turn["patient"])
            previous = question
    missed = Counter(_fact_kind(f) for r in results for f in r["facts_missed"])
    missed_exact = Counter(f for r in results for f in r["facts_missed"])
    wrong = Counter(re.sub(r"\b\d+(\.\d+)?\b", "N", w) for r in results for w in r["wrong_facts"])
    return {"unrecognised_bot_lines": unrecognised.most_common(20),
            "asked_again": [(k, n, asked_again_example[k]) for k, n in asked_again.most_common(20)],
            "facts_missed_by_kind": missed.most_common(), "facts_missed": missed_exact.most_common(30),
            "wrong_facts": wrong.most_common(20), "outcomes": Counter(r["outcome"] for r in results).most_common()}


def print_report(results: Sequence[Dict[str, Any]], fig: Dict[str, Any], url: str, show: bool) -> None:
    print(f"Conversation suite: {fig['patients']} simulated patients ({fig['red_flag_patients']} with red flags) "
          f"against {url}")
    print("mix: " + ", ".join(f"{tag} {n}" for tag, n in sorted(fig["mix"].items())))
    print()
    for r in results:
        facts = len(r["facts_found"]) + len(r["facts_missed"])
        mark = "ok  " if r["completed"] and not r["wrong_facts"] and not r["facts_missed"] else "FAIL"
        print(f"  {mark} {r['id']:<34} {r['outcome']:<26} sent {r['messages_sent']:>2}  "
              f"facts {len(r['facts_found'])}/{facts}  wrong {len(r['wrong_facts'])}")
    print()
    median = fig["median_messages_to_result"]
    typical = fig["typical_messages_to_result"]
    print(f"completed                      {fig['completed']}/{fig['patients']} ({fig['completed_share']:.0%})   gate 100%")
    print(f"loops                          {fig['loops']}   gate 0")
    print(f"median messages to a result    {median if median is not None else '-'}")
    print(f"fact recall                    {fig['fact_recall']:.3f} ({fig['facts_found']}/{fig['facts']})   gate >= 0.95")
    print(f"wrong facts                    {fig['wrong_facts']}   gate 0")
    print(f"typical patient ({fig['typical_patient']}) messages to a result   "
          f"{typical if typical is not None else 'no result'}   gate <= 20")
    print(f"red flags escalated at once    {fig['red_flags_escalated_at_once']}/{fig['red_flag_patients']}; "
          f"advice held on pushback {fig['pushback_held']}")
    print(f"outcomes                       {fig['outcomes']}")
    if show:
        for r in results:
            if r["completed"] and not r["wrong_facts"] and not r["facts_missed"]:
                continue
            print()
            print(f"===== {r['id']} ({r['file']}): {r['outcome']}"
                  + (f", loop on: {r['loop_line'][:120]}" if r["loop_line"] else "")
                  + (f", error: {r['error']}" if r["error"] else ""))
            for turn in r["transcript"]:
                print(f"  patient: {turn['patient']}    [{turn['note']}]")
                for line, key in zip(turn["bot"], turn["recognised"]):
                    print(f"      bot: {line[:200]!s}    <{key or '?'}>".replace("\n", " "))
            if r["facts_missed"]:
                print(f"  missed: {', '.join(r['facts_missed'])}")
            if r["wrong_facts"]:
                print(f"  WRONG: {'; '.join(r['wrong_facts'])}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--token", default=os.environ.get("RASA_API_TOKEN"),
                        help="RASA_API_TOKEN, to read the tracker (default: the environment)")
    parser.add_argument("--enforce", action="store_true", help="exit 1 unless every gate is met")
    parser.add_argument("--only", help="comma-separated patient ids (or parts of ids)")
    parser.add_argument("--show", action="store_true", help="print the transcript of every failed conversation")
    parser.add_argument("--jobs", type=int, default=2, help="conversations at the same time")
    parser.add_argument("--seed", type=int, default=13, help="seed for the patients' choice of phrasing")
    parser.add_argument("--patients", type=Path, default=HERE / "patients")
    parser.add_argument("--project", type=Path, default=PROJECT, help="where domain.yml and knowledge/ are")
    parser.add_argument("--out", type=Path, default=PROJECT / "results" / "conversations.json")
    args = parser.parse_args(argv)

    patients = load_patients(args.patients)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        patients = [p for p in patients if any(w == p.id or w in p.id for w in wanted)]
        if not patients:
            print(f"no patient matches {args.only}", file=sys.stderr)
            return 2
    if not args.token:
        print("warning: no --token / RASA_API_TOKEN: tracker slots (escalations, fallback facts) cannot be read",
              file=sys.stderr)
    assistant = Assistant(args.url, args.token)
    try:
        assistant._request("GET", "/version")
    except Exception as error:  # noqa: BLE001 - any failure to reach it is reported the same way
        print(f"the assistant at {args.url} does not answer: {error}", file=sys.stderr)
        return 2
    templates = load_templates(args.project)
    started = time.monotonic()
    results = run_suite(patients, assistant, templates, args.seed, args.jobs)
    fig = figures(results)
    fig["seconds"] = round(time.monotonic() - started, 1)
    print_report(results, fig, args.url, args.show)
    failures = gate_failures(fig)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"url": args.url, "seed": args.seed, "figures": fig, "gates": GATES,
                                    "gate_failures": failures, "failure_kinds": failure_kinds(results),
                                    "patients": list(results)}, indent=1, default=str))
    print(f"written {args.out} ({fig['seconds']} s)")
    if failures:
        print("gates not met: " + "; ".join(failures))
    return 1 if (args.enforce and failures) else 0


if __name__ == "__main__":
    sys.exit(main())
