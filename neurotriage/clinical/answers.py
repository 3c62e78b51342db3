"""Reading a patient's answers to the assessment's questions, typed the way people type. Pure functions on text,
intent and entities.

Each reader returns None when the words are no answer to its question ("4 months" is no pain score, "on and off" is
no duration), so the question can be asked again with help instead of storing a wrong fact. "I don't know" and
"rather not say" are answers: they are recorded as not given, never as "no".
"""
from __future__ import annotations

import calendar
import re
from typing import Iterable, List, Mapping, Optional, Tuple

from neurotriage.clinical.screening import NO, UNKNOWN, YES

NOT_GIVEN = "not given"
NONE = "none"
WORD_NUMBERS = {"zero": 0, "nought": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1,
                "a few": 3, "few": 3, "several": 4, "a couple of": 2, "couple of": 2, "couple": 2, "a couple": 2,
                "eighteen": 18, "eighteeen": 18, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
                "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "half a": 0.5}
DECLINES = ("rather not", "prefer not", "don't want to say", "dont want to say", "skip", "pass", "not sure",
            "don't know", "dont know", "do not know", "no idea", "dunno", "unsure", "can't say", "cant say",
            "idk", "not certain", "can't remember", "cant remember", "don't remember", "dont remember", "no clue",
            "not a clue", "hard to say", "couldn't say", "couldnt say")

_WORD = re.compile(r"[a-z']+")
# Whole answers that mean yes / no / don't know, typed as patients type them (lower case, no punctuation).
YES_WORDS = {"yes", "yeah", "yea", "ye", "yep", "yup", "y", "yess", "yees", "yas", "ya", "yah", "aye", "sure", "ok",
             "okay", "correct", "right", "true", "definitely", "absolutely", "indeed", "certainly", "affirmative",
             "kinda", "sorta", "somewhat", "slightly", "sometimes", "occasionally", "mostly", "often", "always",
             "constantly", "probably", "totally", "please", "it", "does", "do", "i", "am", "go", "on"}
NO_WORDS = {"no", "nope", "nah", "na", "n", "never", "nothing", "none", "negative", "nay", "noo", "nooo", "nop",
            "thanks", "thank", "you", "not", "at", "all"}
_YES_PHRASES = re.compile(r"^(no problem|no worries|no bother|of course|go on|go ahead|fine|that'?s fine|alright|"
                          r"all right|ok+|okay|okey|k|kk|yse|ys|yeh|yh|yeh|yas|sure thing|please do|agreed|i agree)\b")
_NO_START = re.compile(r"^(no+|nope|nah|na|n|never|not really|not at all|not particularly|not exactly|not much|not that i know of|not as far as i know|"
                       r"none|negative|i don'?t think so|don'?t think so|i dont think so)\b")
_YES_START = re.compile(r"^(y+e+[sp]*|yeah|yea|ya|yup|yep|aye|sure|definitely|absolutely|of course|i (do|am|have|did)|"
                        r"it (does|is)|kind of|kinda|sort of|sorta|a (bit|little|lot)|sometimes|occasionally|mostly|"
                        r"often|always|constantly|yes+|i think so|think so|i guess|i believe so|probably)\b")
_UNSURE = re.compile(r"\b(not sure|unsure|dunno|idk|i don'?t know|dont know|do not know|no idea|not certain|maybe|"
                     r"perhaps|possibly|hard to say|can'?t (say|tell|remember)|couldn'?t say|don'?t remember|no clue|"
                     r"not a clue|i'?m not (really )?sure)\b")


def _clean(text: str) -> str:
    return " ".join(re.sub(r"[^\w'/.\-+ ]", " ", text.lower().replace("’", "'")).split())


def yes_no_text(text: str) -> Optional[str]:
    """yes / no / unknown from the words alone ("ye", "yes i am", "kinda", "not really", "no... but no", "idk")."""
    cleaned = _clean(text)
    if not cleaned:
        return None
    if _UNSURE.search(cleaned) and not re.match(r"^(yes|yeah|yep|yup|no|nope|nah)\b(?! idea| clue)", cleaned):
        return UNKNOWN
    if _YES_PHRASES.match(cleaned):
        return YES
    if _NO_START.match(cleaned):
        return NO
    if _YES_START.match(cleaned):
        return YES
    words = _WORD.findall(cleaned)
    if words and len(words) <= 3 and all(w in YES_WORDS for w in words):
        return YES
    if words and len(words) <= 3 and all(w in NO_WORDS for w in words):
        return NO
    return None


def yes_no(intent: str, entities: Iterable[Mapping] = (), symptom_id: Optional[str] = None,
           text: str = "") -> Optional[str]:
    """yes / no / unknown for a yes-no question, or None when the reply is no answer to it. The symptom itself ("it
    burns") answers its item; then the patient's words, before the intent (a classifier can take "ye go on" for
    something else)."""
    for entity in entities:
        if symptom_id and entity.get("entity") == "symptom" and entity.get("value") == symptom_id:
            return NO if entity.get("role") == "negated" else YES
    return (yes_no_text(text) if text else None) or {"affirm": YES, "deny": NO, "dont_know": UNKNOWN}.get(intent)


def declined(intent: str, text: str) -> bool:
    """"I don't know", "rather not say", "skip": an answer that gives nothing (never read as "no")."""
    lowered = " " + _clean(text) + " "
    return intent == "dont_know" or any(f" {phrase} " in lowered or lowered.strip() == phrase for phrase in DECLINES)


_TIME_UNIT = r"(?:day|days|week|weeks|wk|wks|month|months|mth|mths|mo|mos|year|years|yr|yrs|hour|hours|hr|hrs|min|mins|minutes|am|pm|o'?clock|mg|ml|tablets?|times)"
_SCORE_NUMBER = re.compile(r"(?<![\d.])(\d{1,2}(?:\.5)?)(?:\s*ish)?(?!\s*[\d.]*\s*" + _TIME_UNIT + r"\b)(?![\d.])")
_SCORE_WORD = re.compile(r"\b(zero|nought|one|two|three|four|five|six|seven|eight|nine|ten)(?:ish)?\b(?!\s*" + _TIME_UNIT + r"\b)")


def pain_scores(text: str) -> List[float]:
    """Every 0-10 score in the answer, in order ("usually a 3 but 9 at night" -> [3, 9]); numbers with a time or dose
    unit ("4 months", "300mg") are not scores, and nor are ages or years."""
    lowered = _clean(text).replace("out of ten", "/10").replace("out of 10", "/10")
    lowered = re.sub(r"/\s*10\b", "", lowered)
    # "two and a half years" is a duration: its number is no score
    lowered = _DURATION.sub(lambda m: " " * len(m.group(0)), lowered)
    found: List[Tuple[int, float]] = []
    for match in _SCORE_NUMBER.finditer(lowered):
        found.append((match.start(), float(match.group(1))))
    for match in _SCORE_WORD.finditer(lowered):
        found.append((match.start(), float(WORD_NUMBERS[match.group(1)])))
    return [value for _, value in sorted(found) if 0 <= value <= 10]


def pain_score(text: str) -> Optional[int]:
    """The score to act on: the highest one given ("7-8" -> 8, "usually 3 but 9 at night" -> 9), because the worst
    pain is what decides how soon someone is seen. Halves round up. None when no 0-10 score is in the answer."""
    scores = pain_scores(text)
    if not scores:
        return None
    best = max(scores)
    return int(best) + (1 if best % 1 else 0)


_UNIT_MONTHS = {"day": 1 / 30, "week": 0.25, "wk": 0.25, "month": 1, "mth": 1, "mo": 1, "year": 12, "yr": 12}
_MONTH_NAMES = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTH_NAMES.update({name.lower(): index for index, name in enumerate(calendar.month_abbr) if name})
_AMOUNT = (r"(\d+(?:\.\d+)?|a couple of|couple of|a couple|couple|a few|few|several|half a|an?|one|two|three|four|"
           r"five|six|seven|eight|nine|ten|eleven|twelve|eighteen|fifteen|twenty)")
_DURATION = re.compile(_AMOUNT + r"\s*(?:and a half\s*)?(?:more\s*)?(day|week|wk|month|mth|mo|year|yr)s?\b")
# Words that describe how the pain comes and goes, not how long it has lasted.
PATTERN_WORDS = re.compile(r"\b(on and off|off and on|comes and goes|come and go|on\s*/\s*off|constant(ly)?|all the "
                           r"time|every ?day|daily|at night|now and then|now and again|intermittent|flares?)\b")


def duration_months(text: str, current_year: int, current_month: int = 0) -> Optional[float]:
    """Months from "6 months", "2 yrs", "a few weeks", "18 mo", "since 2019", "since march", "since last summer";
    None if the words give no length of time ("on and off", "a while", "since the chemo")."""
    lowered = _clean(text)
    match = _DURATION.search(lowered)
    if match:
        amount_text, unit = match.groups()
        amount = float(amount_text) if amount_text[0].isdigit() else WORD_NUMBERS.get(amount_text.strip(), 1)
        if "and a half" in match.group(0) or lowered[match.end():].startswith(" and a half"):
            amount += 0.5
        months = amount * _UNIT_MONTHS[unit]
        if re.search(r"\b(over|more than|longer than|at least|just over)\s*$", lowered[:match.start()]):
            months += 1  # "over a year" is more than a year
        return round(months, 2)
    year = re.search(r"\b(19[5-9]\d|20[0-4]\d)\b", lowered)
    if year:
        return max(0.0, (current_year - int(year.group(1))) * 12.0)
    since_month = re.search(r"\b(?:since|from|in|started in|back in) (?:last |early |late |mid )?(" +
                            "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\b", lowered)
    if since_month and current_month:
        months = (current_month - _MONTH_NAMES[since_month.group(1)]) % 12
        return float(months or 12 if "last" in since_month.group(0) else months or 0.5)
    if re.search(r"\b(last (year|summer|spring|autumn|fall|winter|christmas)|since christmas|ages|years|as long as i "
                 r"can remember|forever|long time|decades?|most of my life)\b", lowered):
        return 12.0
    if re.search(r"\b(months|several months)\b", lowered):
        return 3.0
    if re.search(r"\b(weeks)\b", lowered):
        return 0.5
    if re.search(r"\b(yesterday|today|this morning|last night|this week|few days|couple of days|recently|"
                 r"this afternoon|since monday|since tuesday|since wednesday|since thursday|since friday|"
                 r"since saturday|since sunday|last week|days)\b", lowered):
        return 0.1
    return None


def describes_pattern(text: str) -> bool:
    """"On and off", "comes and goes": how the pain behaves, given to the question of how long it has lasted."""
    return bool(PATTERN_WORDS.search(_clean(text)))


_DECADE = re.compile(r"\b(?:(in my|in her|in his|mid|mid-|late|early|about|around)\s*)?(\d)0'?s\b")
_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                 "eighties": 8, "nineties": 9}


def age_years(text: str) -> Optional[int]:
    """An age in years, conservative for a range: "late 60s" -> 67, "mid 60s" -> 65, "early 60s" -> 61,
    "sixty seven" -> 67, "67 years old" -> 67. None for durations ("4 months")."""
    lowered = _clean(text)
    decade = _DECADE.search(lowered)
    words = re.search(r"\b(?:(mid|late|early)\s*)?(" + "|".join(_DECADE_WORDS) + r")\b", lowered)
    if decade or words:
        where = (decade.group(1) if decade else words.group(1)) or ""
        base = int(decade.group(2)) * 10 if decade else _DECADE_WORDS[words.group(2)] * 10
        return base + {"late": 7, "mid": 5, "mid-": 5, "early": 1}.get(where.strip(), 0)
    tens = re.search(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s-]?(one|two|three|four|five|six|"
                     r"seven|eight|nine)?\b", lowered)
    if tens:
        return int(WORD_NUMBERS[tens.group(1)] + (WORD_NUMBERS[tens.group(2)] if tens.group(2) else 0))
    numbers = [int(n) for n in re.findall(r"(?<![\d.])(\d{1,3})(?!\s*(?:day|week|wk|month|mth|mo|hour|hr|mg|%|"
                                          r"/10|out of)\w*)(?![\d.])", lowered) if 0 < int(n) < 120]
    return numbers[0] if numbers else None


def age_band(text: str) -> Optional[str]:
    """under_18 / 18_to_64 / 65_plus from "i'm 67", "in my 40s", "late 60s", "over 65", "pensioner"."""
    lowered = _clean(text)
    if re.search(r"\bover (65|seventy|70|80)\b|\bpensioner\b|\bretired\b|\boap\b", lowered):
        return "65_plus"
    if re.search(r"\bunder 18\b|\bteen(ager)?\b|\bat school\b", lowered):
        return "under_18"
    years = age_years(lowered)
    return _band(years) if years is not None else None


def _band(age: int) -> str:
    if age < 18:
        return "under_18"
    return "65_plus" if age >= 65 else "18_to_64"


PREGNANCY, BREASTFEEDING, NEITHER = "pregnancy", "breastfeeding", "neither"
_BREASTFEEDING = re.compile(r"\b(breast ?feed\w*|breastfeeding|nursing|feeding (my|the) baby|bf|expressing)\b")
_PREGNANT = re.compile(r"\b(pregnant|pregnancy|expecting|weeks? (pregnant|gone|along)|\d+ weeks?|trying( for a baby|"
                       r" to (get pregnant|conceive))?|ttc|ivf)\b")
_NOT_APPLICABLE = re.compile(r"\b(i'?m (a )?(man|male|bloke|guy)|male|man|menopaus\w*|post ?menopaus\w*|hysterectomy|"
                             r"too old|past (that|it)|not applicable|n/?a)\b")


def pregnancy_answer(text: str, intent: str = "") -> Optional[str]:
    """pregnancy / breastfeeding / neither / not given from "yes i am, 20 weeks", "breastfeeding", "no", "i'm a man"."""
    lowered = _clean(text)
    negation = _NO_START.match(lowered) or re.search(r"\bnot (pregnant|breast ?feeding|trying)\b", lowered)
    if _BREASTFEEDING.search(lowered) and not re.search(r"\bnot (breast ?feeding|nursing)\b", lowered):
        return BREASTFEEDING
    if _PREGNANT.search(lowered) and not negation:
        return PREGNANCY
    if _NOT_APPLICABLE.search(lowered) or negation:
        return NEITHER
    answer = yes_no_text(lowered) or {"affirm": YES, "deny": NO, "dont_know": UNKNOWN}.get(intent)
    if answer == YES:  # a plain yes: the question named pregnancy first, and it is the more cautious reading
        return PREGNANCY
    if answer == NO:
        return NEITHER
    if answer == UNKNOWN or declined(intent, lowered):
        return NOT_GIVEN
    return None


# Words of a list answer that are not themselves a medicine or condition: "and", doses, how often, filler.
_LIST_SPLIT = re.compile(r"\s*(?:,|;|\+|&|\band\b|\balso\b|\bplus\b|\bwith\b|\bthen\b|/|\n)\s*")
_FILLER = re.compile(r"\b(i|i'm|im|am|take|taking|takes|took|on|the|a|an|some|my|for|of|at|in|to|is|are|it|its|"
                     r"that|thats|that's|all|just|only|also|too|as|well|daily|nightly|morning|night|evening|every|each|"
                     r"day|days|week|twice|once|three|times|x|a\s*day|mg|mcg|ml|g|tablet|tablets|tabs|pill|pills|"
                     r"capsule|capsules|dose|doses|when|needed|prn|sometimes|occasionally|prescribed|by|gp|doctor|"
                     r"dr|currently|now|at|moment|still|regular|regularly|and|or|me|about|think|not|sure|"
                     r"i've|ive|been|have|had|got|get|use|using|used|other|else|stuff|thing|things|meds|medicines|"
                     r"medication|medications|tabs|ones|one|that's it|nothing|none|no|yes|yeah|ok|okay|"
                     r"\d+(\.\d+)?\s*(mg|mcg|ml|g|x)?)\b")


def list_items(text: str) -> List[Tuple[int, int, str]]:
    """The items of a list answer as (start, end, words): "metformin 500mg, ramipril and my inhaler"."""
    items, position = [], 0
    for piece in _LIST_SPLIT.split(text):
        start = text.find(piece, position) if piece else -1
        if start < 0:
            continue
        position = start + len(piece)
        words = piece.strip(" .!?-")
        if words:
            items.append((start, start + len(piece), words))
    return items


def unrecognised_items(text: str, entity_spans: Iterable[Tuple[int, int]]) -> List[str]:
    """Items of a list answer that no recognised entity covers, in the patient's words ("my blue inhaler",
    "tamoxiphen"), so staff see them instead of losing them. Doses, filler and "none" are not items."""
    spans = list(entity_spans)
    unknown = []
    for start, end, words in list_items(text):
        if any(s < end and start < e for s, e in spans):
            continue
        meaningful = _FILLER.sub(" ", words.lower())
        if re.search(r"[a-z]{3,}", meaningful) and not declined("", words) and not yes_no_text(words):
            unknown.append(words)
    return unknown


def listed_or_none(intent: str, text: str, entities: Iterable[Mapping], entity_type: str) -> Tuple[Optional[str], list]:
    """For "which conditions / medicines / treatments": (answer, ids). "none" counts as an answer."""
    ids = [e["value"] for e in entities if e.get("entity") == entity_type and not e.get("role")]
    if ids:
        return ", ".join(dict.fromkeys(ids)), ids
    lowered = _clean(text)
    if declined(intent, text):
        return NOT_GIVEN, []
    if intent == "deny" or re.search(r"^(none|nothing|no|nope|nah|not any|n/a|na|nil|zero)\b|\bno (other|more|"
                                     r"medicines?|meds|tablets|conditions?|treatments?)\b|\bnone\b|\bnothing\b",
                                     lowered):
        return NONE, []
    return (text.strip() or None), []


_DENIED_PART = re.compile(r"\b(?:not|isn'?t|wasn'?t|rather than|instead of|no longer)\s+(?:a\s+|an\s+|about\s+)?"
                          r"[\w.]+(?:\s*(?:day|week|wk|month|mth|mo|year|yr)s?\b)?")
_AGE_WORDS = re.compile(r"\b(years? old|yrs? old|yo|aged?|my age|i'?m \d{2}|i am \d{2}|birthday)\b")


def corrected_text(text: str) -> str:
    """A correction without what it takes back: "actually 3 years not 3 months" -> "actually 3 years"."""
    return _DENIED_PART.sub(" ", _clean(text))


def mentions_age(text: str) -> bool:
    return bool(_AGE_WORDS.search(_clean(text)))


# What a message says beyond an answer, read from its words rather than taken from an intent classifier's guess.
CUES = {
    # ending the conversation: "bye", "i have to go", "stop"
    "leaving": re.compile(r"\b(bye|goodbye|good bye|byee*|cya|see (you|ya)|got to go|gotta go|have to go|need to go|"
                          r"must go|i'?m off|stop|quit|exit|leave|leaving|later|ttyl|that'?s all|enough|done now|"
                          r"end (this|the) (chat|conversation))\b"),
    # starting again: "can we start over", "from the beginning"
    "starting_over": re.compile(r"\b(start (again|over|afresh|from (the )?(beginning|scratch))|restart|begin again|"
                                r"from the (beginning|start|top)|reset|new (conversation|chat)|clear (everything|it all)|"
                                r"wipe|do it again|go back to the start)\b"),
    # a correction, not a confused "sorry what?": "actually it's 3 years", "I meant 8", "not months, years"
    "correction": re.compile(r"\b(actually|i meant|i mean|meant to say|sorry,? (it'?s|its|i)|correction|change (my|that|"
                             r"the)|wrong|mistake|not \d|not (a|an|my|months?|years?|weeks?|days?)\b|instead|rather than|"
                             r"typo|let me correct|should have said|should be)\b"),
    # a medicine named as tried that is still taken: "it's trileptal now", "still on the lyrica"
    "still_taking": re.compile(r"\b(now|currently|at the moment|still (on|taking|take|use|using)|these days|nowadays)\b"),
    # a tried treatment that failed or was stopped: "tramadol, no help", "made me dizzy so i stopped"
    "stopped_or_failed": re.compile(r"\b(no help|didn'?t help|did nothing|didn'?t work|not work|useless|no good|no use|"
                                    r"no better|side effects?|made me|stopp?ed|quit|came off|come off|gave up|"
                                    r"couldn'?t (take|tolerate|cope)|no difference|waste of time)\b"),
}


def says(cue: str, text: str) -> bool:
    """Whether the words carry this cue (a key of CUES)."""
    return bool(CUES[cue].search(_clean(text)))


_QUESTION_START = re.compile(r"^(what|why|how|when|where|which|who|can|could|would|should|is|are|do|does|will|did|"
                             r"isn'?t|aren'?t|won'?t)\b")


def is_question(text: str) -> bool:
    """A question back ("what is neuropathy?", "why do you need that"), as opposed to an answer in free words."""
    cleaned = _clean(text)
    return text.strip().endswith("?") or bool(_QUESTION_START.match(cleaned))
