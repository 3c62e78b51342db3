"""Redaction of personal identifiers in patient messages (standard library only, no Rasa or spaCy).

Used before a conversation is stored and before a log line is written. `redact_text` replaces:

* e-mail addresses with ``[email]`` (plus-addressing, subdomains and any letter case included);
* phone numbers with ``[phone]``: international (+44 7700 900123, +1 (555) 010-0199, 0044 ...), UK
  (07700 900123, 020 7946 0958), US ((555) 010-0199, 555-010-0199, 555.010.0199) and European
  (+49 30 1234567, 06 12 34 56 78) layouts. A number counts only with 9 to 15 digits in groups of two or
  more (a single digit is accepted only as a country code, a "(0)", or the digit after the country code),
  so emergency and crisis lines (999, 111, 112, 911, 988, 116 123) never qualify;
* identifier numbers with ``[id number]``: a number after an explicit cue ("NHS number", "NHS no",
  "hospital number", "patient ID", "SSN", "MRN", ...), a ten-digit number written 3-3-4 with spaces (the NHS
  layout, 485 777 3456) and a nine-digit number written 3-2-4 (the US social security layout, 123-45-6789);
* dates of birth with ``[date of birth]``: a date after a cue ("born", "date of birth", "year of birth",
  "birth date", "DOB", "D.O.B.", "birthday", "birth"), as 12/03/1961, 12-03-61, 1961-03-12, 12 March 1961,
  March 12th 1961 or 12th of March 1961. The cue words are kept: "born in 1961" becomes
  "born in [date of birth]". A bare year is taken only after "born", "DOB" or "date/year of birth", not
  after "birthday" or "birth" ("since giving birth in 2015" is an onset, not a birth date).
  **Rule for dates without a cue:** a date is clinical information ("the pain started on 03/02/2024") and is
  kept, except that a full date (day, month and a four-digit year, numeric or with the month written out)
  whose year is before 1990 is treated as an adult patient's birth date and redacted;
* names with ``[name]``, after explicit cues only: "my name is", "my name's", "my first name / surname is",
  "name:" (at the start of a line or sentence), "I am called", "I'm called" (these also take lowercase
  names) and "call me" (capitalised names only, so "call me back" stays). One to three words are taken,
  stopping at punctuation and at common words ("and", "I", "from", "with", "aged", "born", "please", ...);
  a title (Mr, Mrs, Ms, Dr, ...) goes with the name. "I'm Sarah" / "I am Sarah Jones" counts only when
  the words are capitalised, are not common words ("I'm Diabetic", "I'm Tired", "I'm Fine" stay) and are
  followed by the end of the sentence, a comma or the end of the message.

Deliberately not redacted: pain scores (7, 7/10, 8 out of 10), ages (I'm 58), durations (2 years,
18 months), doses (300 mg, 75mg twice a day, 1200 mg/day), years and recent dates of onset without a
birth cue (since 2019, 03/02/2024), times (3am, 10:30), emergency numbers, and names without a cue.
Clinicians' names ("Dr Smith told me ...") are left alone on purpose: they are not the patient and they
matter to the clinical story. The identifiers the software writes itself are kept too (UUIDs, hexadecimal
message ids, timestamps, decimal numbers, IPv4 addresses), so stored events and log lines stay usable.

This is a best-effort safeguard that keeps obvious identifiers out of stored transcripts and logs. It is
not anonymisation: names without a cue, addresses, postcodes, unusual layouts and the free-text details of
a person's life get through, so redacted data must still be handled as personal data.

Every pattern is precompiled, and wherever a repeated group holds a repeated part, the group starts with a
character that part cannot match: no text can be split two ways, so matching does not backtrack
catastrophically and the work grows linearly with the length of the text. Any ``str`` is accepted (control
characters, surrogates, very long input).
"""
from __future__ import annotations

import re
from typing import Any, Callable, List, Optional, Tuple

__all__ = ["redact_text", "redact_value", "NAME", "EMAIL", "PHONE", "DATE_OF_BIRTH", "ID_NUMBER"]

NAME = "[name]"
EMAIL = "[email]"
PHONE = "[phone]"
DATE_OF_BIRTH = "[date of birth]"
ID_NUMBER = "[id number]"

_HAS_DIGIT = re.compile(r"[0-9]")

# --- e-mail -------------------------------------------------------------------------------------------
# The local part is found from the first character of its run (the look-behind), so each run is read once.
_EMAIL_LOCAL = re.compile(r"(?<![\w.%+\-])[\w.%+\-]+@")
_EMAIL_DOMAIN = re.compile(r"[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}[\w\-]*")  # the tail keeps "[email]" off a word


def _redact_emails(text: str) -> str:
    spans: List[List[int]] = []
    for local in _EMAIL_LOCAL.finditer(text):
        domain = _EMAIL_DOMAIN.match(text, local.end())
        if domain is None:
            continue
        start, end = local.start(), domain.end()
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    if not spans:
        return text
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        pieces.append(EMAIL)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


# --- identifier numbers after a cue ---------------------------------------------------------------------
_ID_AFTER_CUE = re.compile(
    r"""
    (?P<cue>\b(?i:
        (?:nhs|chi|hospital|patient|medical[ \t]+record|insurance|policy|passport|national[ \t]+insurance
          |social[ \t]+security)[ \t]*(?:number|no\b\.?|num\b|\#|id\b)
      | ssn | mrn | nino
    ))
    (?P<fill>(?:[ \t]{0,3}(?:[:=\#\-–]|(?i:is)(?!\w))){0,3}[ \t]{0,3})
    (?P<id>[A-Za-z]{0,3}[ ]?[0-9]{2,}(?:[ \-][0-9]{2,}){0,4}[A-Za-z]?)(?!\w)
    """,
    re.VERBOSE,
)


_ID_CUES = ("nhs", "chi", "hospital", "patient", "record", "insurance", "policy", "passport", "security", "ssn",
            "mrn", "nino")
_ID_KEYS = ("number", "no", "num", "#", "id", "ssn", "mrn", "nino")


def _id_after_cue(match: "re.Match[str]") -> str:
    if sum(ch.isdigit() for ch in match.group("id")) < 6:
        return match.group(0)
    return match.group("cue") + match.group("fill") + ID_NUMBER


# --- dates ------------------------------------------------------------------------------------------
_MONTH = (r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![^\W\d_])\.?")
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?i:st|nd|rd|th)?(?![0-9])"
_YEAR4 = r"(?:1[89][0-9]{2}|20[0-9]{2})(?![0-9])"
_YEAR = r"(?:1[89][0-9]{2}|20[0-9]{2}|['’]?[0-9]{2})(?![0-9])"
_OLD_YEAR = r"1[89][0-8][0-9]"  # 1800 to 1989

_NUMERIC_DATE = (r"[0-9]{1,2}(?P<s1>[/.\-])[0-9]{1,2}(?P=s1)(?:[0-9]{4}|[0-9]{2})(?![0-9])"
                 r"|[0-9]{4}(?P<s2>[/.\-])[0-9]{1,2}(?P=s2)[0-9]{1,2}(?![0-9])"
                 r"|[0-9]{1,2}[ ][0-9]{1,2}[ ][0-9]{4}(?![0-9])")
_DAY_MONTH = _DAY + r"(?:[ \t]+(?i:of))?[ \t]+" + _MONTH + r"(?:,?[ \t]+" + _YEAR + ")?"
_MONTH_DAY = _MONTH + r"[ \t]+" + _DAY + r"(?:,?[ \t]+" + _YEAR + ")?"
_MONTH_YEAR = _MONTH + r",?[ \t]+" + _YEAR4

_DOB_FILLER = (r"(?P<fill>(?:[ \t]{0,3}(?:[:=,\-–—]|['’](?i:s)|(?i:is|was|on|in|of|the|around|about)(?!\w)))"
               r"{0,4}\s{0,3})")
# Cues after which a bare year or a month and year is a birth date.
_DOB_FULL_CUE = re.compile(
    r"(?P<cue>\b(?i:born|date[ \t]+of[ \t]+birth|year[ \t]+of[ \t]+birth|birth[ \t]*(?:date|year)"
    r"|d\.?o\.?b(?!\w)\.?))" + _DOB_FILLER
    + r"(?<!\w)(?P<date>" + "|".join([_NUMERIC_DATE, _DAY_MONTH, _MONTH_DAY, _MONTH_YEAR, _YEAR4]) + r")(?!\w)"
)
# Cues after which only a day and month (with or without a year) is a birth date.
_DOB_DAY_CUE = re.compile(
    r"(?P<cue>\b(?i:birth[ \t]*day|b['’]?day|birth)(?!\w))" + _DOB_FILLER
    + r"(?<!\w)(?P<date>" + "|".join([_NUMERIC_DATE, _DAY_MONTH, _MONTH_DAY]) + r")(?!\w)"
)


_DOB_FULL_CUES = ("born", "birth", "dob", "d.o.b", "d.ob", "do.b")
_DOB_DAY_CUES = ("birth", "bday", "b'day", "b’day")


def _date_after_cue(match: "re.Match[str]") -> str:
    return match.group("cue") + match.group("fill") + DATE_OF_BIRTH


_OLD_YEAR_ANYWHERE = re.compile(_OLD_YEAR)
_OLD_DATE = re.compile(
    r"(?<![\w/.\-])(?:"
    r"(?P<a>[0-9]{1,2})(?P<s1>[/.\-])(?P<b>[0-9]{1,2})(?P=s1)" + _OLD_YEAR
    + r"|" + _OLD_YEAR + r"(?P<s2>[/.\-])(?P<c>[0-9]{1,2})(?P=s2)(?P<d>[0-9]{1,2})"
    + r"|" + _DAY + r"(?:[ \t]+(?i:of))?[ \t]+" + _MONTH + r",?[ \t]+" + _OLD_YEAR
    + r"|" + _MONTH + r"[ \t]+" + _DAY + r",?[ \t]+" + _OLD_YEAR
    + r")(?!\w|[/.\-][0-9])"
)


def _old_date(match: "re.Match[str]") -> str:
    first, second = match.group("a") or match.group("c"), match.group("b") or match.group("d")
    if first is not None:
        first_n, second_n = int(first), int(second)
        if not (1 <= first_n <= 31 and 1 <= second_n <= 31 and min(first_n, second_n) <= 12):
            return match.group(0)
    return DATE_OF_BIRTH


# --- phone numbers --------------------------------------------------------------------------------------
# A run of digit groups joined by one space, dot or hyphen, or by brackets. Each repetition starts with a
# character that cannot end the one before, so the run is read once, without backtracking.
_PHONE_CANDIDATE = re.compile(
    r"""
    [+(0-9]                     # starting on a character class lets the engine skip ahead quickly
    (?<![\w+@/£$€][+(0-9])      # not glued to a word, an address, a fraction or an amount
    (?<![0-9][:.,][+(0-9])      # not the minutes of a time nor the decimals of a number
    (?<!\w-[+(0-9])             # not the tail of a hyphenated code (a UUID, a reference)
    (?<!\[phone\][+(])           # and the same after a number already replaced, so that a second
    (?<!\[phone\][:.,\-][+(0-9])  # pass finds nothing new
    (?<!\[id\ number\][+(])
    (?<!\[id\ number\][:.,\-][+(0-9])
    (?:
        (?<=\+)[ ]?(?:\([0-9]{1,5}\)|[0-9]+)
      | (?<=\()[0-9]{1,5}\)
      | (?<=[0-9])[0-9]*
    )
    (?:
        [ .\-]?\([0-9]{1,5}\)
      | [ .\-][0-9]+
      | (?<=\))[0-9]+
    )*
    (?!\w)                      # nor glued to a word after it (300mg, hexadecimal ids)
    """,
    re.VERBOSE,
)
_PHONE_GROUP = re.compile(r"\(([0-9]+)\)|([0-9]+)")
_UNIT_AFTER = re.compile(r"[ \t]?(?i:mg|mcg|µg|ug|ml|mls|g|kg|mmol|iu|units?|tabs?|tablets?|capsules?|caps"
                         r"|pills?|puffs?|drops?|%)(?![^\W\d_])")
_DATE_INSIDE = re.compile(r"(?<![0-9])[0-9]{1,2}([.\-])[0-9]{1,2}\1(?:19|20)[0-9]{2}(?![0-9])"
                          r"|(?<![0-9])(?:19|20)[0-9]{2}([.\-])[0-9]{1,2}\2[0-9]{1,2}(?![0-9])")
_IPV4 = re.compile(r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9]|\.[0-9])")
_SERVICE_NUMBERS = frozenset({"999", "111", "112", "911", "988", "116", "123", "117", "101", "119", "000"})
_MAX_GROUPS = 7

_Group = Tuple[int, int, str, bool]  # start, end (in the candidate), digits, written in brackets


def _number_kind(candidate: str, window: List[_Group], plus: bool) -> Optional[str]:
    """PHONE or ID_NUMBER when the groups of `window` make a phone or identifier number, otherwise None."""
    digits = "".join(group[2] for group in window)
    count = len(digits) - (2 if not plus and digits.startswith("00") else 0)
    if not 9 <= count <= 15:
        return None
    for index, (_, _, group_digits, bracketed) in enumerate(window):
        if len(group_digits) >= 2 or (bracketed and group_digits == "0"):
            continue
        if plus and (index == 0 or (index == 1 and len(window[0][2]) <= 3)):
            continue  # +1 555 ..., +33 6 12 34 56 78
        if index == 0 and not plus and group_digits == "1" and count == 11:
            continue  # 1-800-555-0199
        return None
    if all(group[2] in _SERVICE_NUMBERS for group in window):
        return None
    separators = [candidate[window[k - 1][1]:window[k][0]] for k in range(1, len(window))]
    plain = separators[1:] if plus and separators else separators
    if "." in plain and any(separator != "." for separator in plain):
        return None  # 10.30 11.45 12.15 is a list of times
    if not plus and not any(group[3] for group in window):
        sizes = [len(group[2]) for group in window]
        if sizes == [3, 3, 4] and separators == [" ", " "]:
            return ID_NUMBER  # NHS number layout
        if sizes == [3, 2, 4] and separators in ([" ", " "], ["-", "-"]):
            return ID_NUMBER  # social security number layout
    return PHONE


def _blocked_groups(candidate: str, groups: List[_Group]) -> List[bool]:
    """Groups that belong to something else: an IPv4 address, a date, or a decimal number (1718000000.25).

    A number may not include them; keeping them out as a whole (rather than trimming a window) means a second
    pass over the redacted text finds nothing new.
    """
    spans = sorted((found.start(), found.end()) for pattern in (_IPV4, _DATE_INSIDE)
                   for found in pattern.finditer(candidate))
    blocked = [False] * len(groups)
    first = 0  # groups and spans are both in text order, so one sweep marks the overlaps
    for start, end in spans:
        while first < len(groups) and groups[first][1] <= start:
            first += 1
        index = first
        while index < len(groups) and groups[index][0] < end:
            blocked[index] = True
            index += 1
    for index in range(1, len(groups)):
        before, after = groups[index - 1], groups[index]
        if candidate[before[1]:after[0]] == "." and max(len(before[2]), len(after[2])) > 4:
            blocked[index - 1] = blocked[index] = True
    return blocked


def _phone(match: "re.Match[str]") -> str:
    candidate = match.group(0)
    if len(candidate) < 9:
        return candidate
    groups: List[_Group] = [(g.start(), g.end(), g.group(1) or g.group(2), g.group(1) is not None)
                            for g in _PHONE_GROUP.finditer(candidate)]
    if sum(len(group[2]) for group in groups) < 9:
        return candidate
    if _UNIT_AFTER.match(match.string, match.end()):
        groups = groups[:-1]  # the last number belongs to the dose
        if all(group[2].endswith(("0", "5")) for group in groups):
            return candidate  # "300 600 900 mg" is a list of doses
    blocked = _blocked_groups(candidate, groups)
    plus = candidate.startswith("+")
    digits_before = [0]  # digits_before[k]: how many digits groups[:k] hold
    for group in groups:
        digits_before.append(digits_before[-1] + len(group[2]))
    pieces, position, first = [], 0, 0
    while first < len(groups):
        found = None
        longest = first
        while longest + 1 < min(len(groups), first + _MAX_GROUPS) and not blocked[longest + 1]:
            longest += 1
        for last in range(longest, first - 1, -1):
            if blocked[first] or digits_before[last + 1] - digits_before[first] < 9:
                break  # shorter windows hold even fewer digits
            kind = _number_kind(candidate, groups[first:last + 1], plus and first == 0)
            if kind is not None:
                found = last, kind
                break
        if found is None:
            first += 1
            continue
        last, kind = found
        pieces.append(candidate[position:0 if first == 0 else groups[first][0]])
        pieces.append(kind)
        position = groups[last][1]
        first = last + 1
    if not pieces:
        return candidate
    pieces.append(candidate[position:])
    return "".join(pieces)


# --- names ------------------------------------------------------------------------------------------
_WORD = r"[^\W\d_]+(?:['’\-][^\W\d_]+){0,2}"
_TITLE = r"(?i:mr|mrs|ms|miss|mx|dr|prof)\.?[ \t]+"
_TITLE_AT_START = re.compile(_TITLE)
_WORD_RE = re.compile(_WORD)
_NAME_WORDS = r"(?P<words>(?:" + _TITLE + r")?" + _WORD + r"(?:[ \t]+" + _WORD + r"){0,2})(?!\w)"

_NAME_AFTER_CUE = re.compile(
    r"""
    (?P<cue>
        \b(?i:my)[ \t]+(?:(?i:first|full|last|given|christian|middle|preferred|real|sur)[ \t]*)?(?i:name)
          (?:[ \t]+(?i:is)(?!\w)|['’](?i:s)(?!\w)|(?i:s)(?=[ \t]))
      | \b(?i:(?:first|full|last|given|christian|middle|preferred|sur)[ \t]*name)
          (?:[ \t]*[:=]|[ \t]+(?i:is)(?!\w))
      | (?:\A|(?<=[\n.;!?(]))[ \t]*(?i:(?:patient['’]?s?[ \t]+)?name)[ \t]*[:=]
      | \b(?i:i[ \t]+am|i['’]?m)[ \t]+(?i:called)(?!\w)
      | (?P<weak>\b(?i:call)[ \t]+(?i:me)(?!\w))
    )
    (?P<sep>[ \t]*[:=\-–][ \t]*|[ \t]+|(?<=[:=]))
    """ + _NAME_WORDS,
    re.VERBOSE,
)

_STOP_WORDS = frozenset("""
    a about after again age aged also although am an and anytime are as asap at back be because been before
    being born but by can cheers could did do does dob doing for from had has have having he hello her here
    hey hi his how however i i'd i'll i'm i've id if ill im in instead is it it's its ive just later lol me
    mine my myself no nor not now of off ok okay on or our pls please she should since so soon than thank
    thanks that the their them then there these they this those though thx to today tomorrow tonight too
    until up us was we were what when whenever where which while who why will with without would x xx
    year years yes yesterday yet yrs you your
""".split())
# Stop words that are also first names: they end a name only when written in lowercase.
_NAME_LIKE = frozenset({"will", "may", "can", "hope", "joy", "rose", "mark", "bill", "pat", "sue"})
# Words that follow "I'm" without being a name.
_NOT_A_NAME = _STOP_WORDS | frozenset("""
    afraid african agony alive alright allergic alone american angry anxious arthritic asian asthmatic
    awake awful bad bedbound better black blind bored british broke busy catholic christian clean cold
    concerned confused curious dad daughter deaf depressed desperate diabetic dizzy disabled divorced
    doctor done down drunk dutch employed english epileptic european exhausted fed female fine finished
    free french frustrated gay german glad good grateful great gp happy heavy hindu home hopeless hot
    housebound hungry hurt ill immunocompromised indian irish italian jewish just lost male married
    menopausal mother mum muslim nervous new nurse numb obese old overweight pakistani partner patient
    perimenopausal polish poorly postmenopausal pregnant pretty quite ready really relieved retired
    right sad safe scared scottish short sick sikh single sober son sore sorry spanish stiff still
    stressed stuck student sure tall terrified thankful tired trans type unemployed unsure unwell upset
    vegan vegetarian very weak welsh well white widowed wife worried worse young
""".split())
_NOT_A_NAME_ENDINGS = ("ous", "ful", "less", "ness", "ated", "ised", "ized", "ical")


def _is_stop(word: str) -> bool:
    lower = word.lower().replace("’", "'")
    if lower not in _STOP_WORDS:
        return False
    return not (lower in _NAME_LIKE and word[:1].isupper())


def _name_after_cue(match: "re.Match[str]") -> Optional[int]:
    """Where the name after a cue ends: its title and leading words up to the first common word."""
    title = _TITLE_AT_START.match(match.string, match.start("words"))
    taken_end = None
    start = title.end() if title else match.start("words")
    for word in _WORD_RE.finditer(match.string, start, match.end("words")):
        text = word.group(0)
        if _is_stop(text) or (match.group("weak") and not text[:1].isupper()):
            break
        taken_end = word.end()
    return taken_end


def _replace_names(pattern: "re.Pattern[str]", name_end: Callable[["re.Match[str]"], Optional[int]],
                   text: str) -> str:
    """Replaces group "words" of each match, up to `name_end(match)`, with NAME (nothing when None).

    The search goes on right after what was replaced, or after the cue, so that words matched but kept
    (which may hold the next cue) are searched again.
    """
    pieces, position, search_from = [], 0, 0
    while True:
        match = pattern.search(text, search_from)
        if match is None:
            break
        end = name_end(match)
        if end is None:
            search_from = match.end("cue")
            continue
        pieces.append(text[position:match.start("words")])
        pieces.append(NAME)
        position = search_from = end
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)


_IM_NAME = re.compile(
    r"(?P<cue>[iI](?<![\w'’][iI])(?:['’]?[mM]|[ \t]+[aA][mM]))"  # I'm, Im, I am (a letter first: fast)
    r"[ \t]+(?P<words>" + _WORD + r"(?:[ \t]+" + _WORD + r")?)"
    r"(?=[ \t]*(?:[,.;:!?…)]|\n|\Z)|[ \t]+[\-–—])"  # then the end of the sentence, a comma or a dash
)


# Run on the lowercased text, to decide whether _NAME_AFTER_CUE and _IM_NAME need to run at all.
_CALL_ME_LOWER = re.compile(r"call[ \t]+me")
_I_AM_LOWER = re.compile(r"im[ \t]|i[ \t]+am")


def _looks_like_a_name(word: str) -> bool:
    lower = word.lower().replace("’", "'")
    if not (word[:1].isupper() or word[:1].istitle()) or lower in _NOT_A_NAME:
        return False
    if lower.endswith(_NOT_A_NAME_ENDINGS) or (len(lower) >= 6 and lower.endswith("ing")):
        return False
    return True


def _im_name(match: "re.Match[str]") -> Optional[int]:
    """Where the name after "I'm" ends, when every word looks like a name."""
    if all(_looks_like_a_name(word) for word in match.group("words").split()):
        return match.end("words")
    return None


# --- public -----------------------------------------------------------------------------------------
def redact_text(text: str) -> str:
    """The text with e-mail addresses, phone and identifier numbers, birth dates and cued names replaced by
    placeholders; the text itself when nothing was found."""
    if not isinstance(text, str):
        raise TypeError(f"redact_text expects a str, not {type(text).__name__}")
    if not text:
        return text
    # The case-insensitive patterns are slow to scan, so each runs only when a plain substring test on the
    # lowercased text shows that its cue may be there.
    lower = text.lower()
    has_digit = _HAS_DIGIT.search(text) is not None
    if "@" in text:
        text = _redact_emails(text)
    if has_digit:
        if any(cue in lower for cue in _ID_CUES) and any(key in lower for key in _ID_KEYS):
            text = _ID_AFTER_CUE.sub(_id_after_cue, text)
        if any(cue in lower for cue in _DOB_FULL_CUES):
            text = _DOB_FULL_CUE.sub(_date_after_cue, text)
        if any(cue in lower for cue in _DOB_DAY_CUES):
            text = _DOB_DAY_CUE.sub(_date_after_cue, text)
        if _OLD_YEAR_ANYWHERE.search(text):
            text = _OLD_DATE.sub(_old_date, text)
    if "name" in lower or "called" in lower or _CALL_ME_LOWER.search(lower):
        text = _replace_names(_NAME_AFTER_CUE, _name_after_cue, text)
    if "'m" in lower or "’m" in lower or _I_AM_LOWER.search(lower):
        text = _replace_names(_IM_NAME, _im_name, text)
    if has_digit:
        # Last, so that the characters next to a number are the same on a second pass as on the first.
        text = _PHONE_CANDIDATE.sub(_phone, text)
    return text


def redact_value(value: Any) -> Any:
    """A copy of `value` with every string inside dicts, lists, tuples and sets redacted (dict keys untouched).

    Other values (numbers, booleans, None, ...) are returned as they are. Meant for JSON-like data such as
    tracker events; a structure that contains itself is not supported.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, tuple):
        items = [redact_value(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, (set, frozenset)):
        return type(value)(redact_value(item) for item in value)
    return value
