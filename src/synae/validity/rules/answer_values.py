"""The checkable values a text states, and whether a body of evidence contains them.

A *value* is a piece of an answer that must come from somewhere: a number (``72``, ``71.6``,
``1,200``, ``$45``, ``30 %``, ``12 °C``), a date (``2024-05-03``, ``05/03/2024``, ``May 3``,
``3rd of May 2024``), a clock time (``15:30``, ``3 pm``, ``3:30 p.m.``), a quoted title
(``"Team sync"``) or a proper name (a run of capitalised words such as ``Pike Place Market``, or
one capitalised word that does not start a sentence, such as ``Oslo`` in "… cloudy in Oslo.").

:class:`Evidence` indexes the texts an answer may draw on (each one lower-cased, JSON decoded
where it parses) and answers :meth:`Evidence.grounds`:

- **numbers** compare as values after dropping thousands separators (``1,200`` = ``1200``,
  ``72`` = ``72.0``); an evidence number also grounds its roundings to 0, 1 and 2 decimals
  (``71.6`` grounds "about 72"), its ×100 and ÷100 (``0.3`` grounds ``30 %``) and its absolute
  value (``-5`` grounds "5 below zero"). Bare integers 0–10 without a unit, currency or percent sign,
  and list markers (``1.`` at a line start), are not values: counts and enumerations rarely come
  from a source;
- **dates** compare as (month, day) plus the year when both sides state one; a numeric
  ``a/b/yyyy`` date matches month/day either way round; month names match in any case (``MAY 3``,
  and ``ſept`` with a long s is September);
- **times** compare as minutes after midnight; a time without am/pm also matches 12 hours later,
  and a full hour is grounded by its hour number in the evidence (``15`` or ``3``);
- **titles and names** compare as words (lower case, accents and punctuation removed): the phrase
  must occur in the evidence, or else every word of it must occur somewhere in the evidence. Weekday
  and month names, ``I``, units and time-zone abbreviations are never names; a run that starts a
  sentence is grounded with or without its first word (often an ordinary word: "Sunny skies in …"),
  and a single capitalised word that starts a sentence, a list item or a table cell is checked only
  as a subject label ("Bergen: 12 °C", "Bergen is cloudy"; not a common opener such as "Today is").
  Text in quotes is checked as a title, not as names.

A temperature (a number with ``°`` or *degrees*) is also grounded by an evidence number converted
between °C and °F (rounded to 0 or 1 decimals). Title-case heading lines ("Oslo Weather
Forecast", a line without ``.!?`` whose first words are capitalised) are not searched for names.

Other unit conversions (km/h in the answer, m/s in the source), computed values (sums, differences, counts
above 10) and numbers written as words are outside these rules.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from synae.schema import json_loads

ValueKind = Literal["number", "temperature", "date", "time", "title", "name"]

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FUNCTION_WORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
    "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further",
    "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "no", "nor", "not", "now",
    "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same", "she",
    "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
    "you", "your", "yours", "yes", "let", "let's", "it's", "i'm", "i've", "i'll", "you're", "you'll",
    "we've", "we're", "there's", "that's", "here's", "don't", "can't", "won't", "isn't", "aren't",
    "didn't"
})
NEVER_NAMES = frozenset({"i", "i'm", "i've", "i'll", "i'd", "ok", "okay", "am", "pm", "a.m", "p.m", "utc",
                         "gmt", "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "cet", "cest", "bst",
                         "jst", "ist", "aest", "n/a", "fyi", "asap", "tbd", "etc",
                         "celsius", "fahrenheit", "kelvin", "c", "f", "mr", "mrs", "ms", "dr",
                         *MONTHS, *(m[:3] for m in MONTHS), "sept", *WEEKDAYS, *(d[:3] for d in WEEKDAYS)})
CONNECTORS = frozenset({"of", "the", "de", "del", "la", "le", "du", "van", "von", "and", "&", "y", "da"})
ABBREVIATIONS = frozenset({"st", "dr", "mr", "mrs", "ms", "mt", "ft", "jr", "sr", "no", "vs", "u.s"})

_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
# A lookahead for the first character a match can have: it changes no match, but lets a search pass
# over the other characters fast.
FIRST_LETTER_OF_A_MONTH = r"(?=[adfjmnos])"
FIRST_CHARACTER_OF_A_NUMBER = r"(?=[$€£¥\s\d])"
DATE_PATTERNS = (
    ("iso", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
    ("slash", re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")),
    ("month_day", re.compile(FIRST_LETTER_OF_A_MONTH + _MONTH
                             + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?", re.I)),
    ("day_month", re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH
                             + r"\b\.?(?:,?\s+(\d{4})\b)?", re.I)),
)
TIME_PATTERN = re.compile(r"\b(\d{1,2}):(\d{2})(?::\d{2})?\s*([ap]\.?m\b\.?)?|\b(\d{1,2})\s*([ap]\.?m\b\.?)",
                          re.I)
NUMBER_PATTERN = re.compile(
    FIRST_CHARACTER_OF_A_NUMBER
    + r"(?<![\w.,])(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d,]\d)"
    r"(?P<unit>\s?(?:%|percent\b|°\s?[cf]?|degrees?\b))?", re.I)
LIST_MARKER = re.compile(r"(?:^|\n)[ \t]*(\d+)[.)]\s")
DIGIT = re.compile(r"\d")  # every date, time and number pattern needs one: texts without are skipped
MONTH_PREFIXES = tuple(m[:3] for m in MONTHS)  # every month-name date contains one (any case)
ISO_T = re.compile(r"(\d)t(\d)")  # the ``t`` between an ISO date and its time, in lower case
TOKEN = re.compile(r"\S+")
ALNUM = re.compile(r"[^\W_]")  # a character ``str.isalnum`` accepts
ITEM_NUMBER = re.compile(r"\d+[.)]")  # a list item's number: it ends with "." or ")"
QUOTED = re.compile(r"\"([^\"\n]{2,80})\"|“([^”\n]{2,80})”|(?<![\w'])'([^'\n]{2,80})'(?![\w'])")
QUOTE_MARKS = ("\"", "“", "'")  # every match of QUOTED starts with one
WORD = re.compile(r"[^\W\d_](?:[\w'’&.-]*\w)?")
DIGIT_RUN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
NON_WORD = re.compile(r"[\W_]+")
NON_ASCII = re.compile(r"[^\x00-\x7f]")
CASE_TWINS = "\u0130\u0131\u017f\u212a"  # İ ı ſ K: the non-ASCII characters that case-insensitive
# matching takes for an ASCII letter (i, i, s, k)
ASCII_NON_WORD = bytes(c if chr(c).isalnum() else 32 for c in range(256))  # non-word → space (on ASCII)
MARKDOWN = re.compile(r"\*\*|__|`+|^#+\s", re.M)
MARKDOWN_MARKS = ("**", "__", "`", "#")  # every match of MARKDOWN has one
HEADING = re.compile(r"^[ \t]*(?:[^\W\d_][\w'’-]*[ \t]+){0,2}(?:[A-Z][\w'’-]{3,}[ \t]+\W*){2,}"
                     r"[^\n.!?]*:?[ \t]*$", re.M)
STRIP = "\"'“”‘’()[]{}*_,;:!?"
CLOSERS = "\"'“”‘’)]}*_"
BULLETS = frozenset({"-", "*", "•", "–", "|"})
SUBJECT_VERBS = frozenset({"is", "has", "will", "was", "looks", "remains", "stays", "gets", "sees", "expects",
                           "reports", "can", "should"})
OPENERS = frozenset({
    "today", "tomorrow", "tonight", "yesterday", "currently", "now", "here", "there", "everything", "nothing",
    "weather", "temperature", "temperatures", "humidity", "wind", "rain", "snow", "forecast", "conditions",
    "note", "answer", "result", "results", "status", "update", "summary", "total", "time", "date", "event",
    "events", "meeting", "schedule", "calendar", "reminder", "morning", "afternoon", "evening", "night",
    "weekend", "location", "price", "cost", "sky", "skies", "outlook", "overall", "everyone", "someone",
    "done", "sure", "yes", "great", "good", "unfortunately", "sorry", "thanks", "tip", "details", "source",
    "sources", "link", "links", "reference", "info", "information", "warning", "caution", "alert", "advice",
    "recommendation", "question", "next", "important", "example", "high", "low", "feels", "pressure",
    "visibility", "precipitation", "sunrise", "sunset", "title", "duration", "attendees", "organizer",
    "agenda", "notes", "start", "end", "subject", "body", "message", "recipient", "confirmation", "rating",
    "distance", "address", "phone", "hours", "when", "where", "who", "what", "why", "how"})
DateKey = tuple[tuple[tuple[int, int], ...], int | None]  # (candidate (month, day) pairs, year)


@dataclass(frozen=True)
class Value:
    """One checkable value of an answer: its kind, the text as written, and its comparable form."""

    kind: ValueKind
    text: str
    key: Any


@functools.lru_cache(maxsize=4096)
def words(text: str) -> str:
    """The words of ``text`` (:func:`word_list`) joined by spaces and padded by spaces (cached: the
    checks of one trajectory read the same texts several times; see :func:`clear_caches`)."""
    return f" {' '.join(word_list(text))} "


@functools.lru_cache(maxsize=4096)
def word_set(text: str) -> frozenset[str]:
    """The distinct words of ``text`` (:func:`word_list`; cached like :func:`words`): the checks ask
    whether texts share a word, or whether a text has a word outside a list."""
    return frozenset(word_list(text))


def word_list(text: str) -> list[str]:
    """The words of ``text``: lower-cased, accents removed (``Zürich`` → ``zurich``), split at every
    run of non-word characters (``_`` included)."""
    folded = text.lower()
    if folded.isascii():  # no accents to remove, and the word characters are letters and digits
        return folded.encode("ascii").translate(ASCII_NON_WORD).decode("ascii").split()
    folded = NON_ASCII.sub(_without_combining, unicodedata.normalize("NFKD", folded))
    return NON_WORD.sub(" ", folded).split()


def _without_combining(match: re.Match[str]) -> str:
    """A non-ASCII character, or nothing for a combining mark (an ASCII character is none)."""
    return "" if unicodedata.combining(match[0]) else match[0]


def _number(text: str) -> float:
    """The number a digit run writes; a run too long for a float (hundreds of digits) becomes the
    largest finite float, so that both sides of a comparison read it alike and nothing overflows."""
    value = float(text.replace(",", ""))
    return value if math.isfinite(value) else math.copysign(sys.float_info.max, value)


def _clock(hour: int, minute: int, suffix: str | None) -> int | None:
    """Minutes after midnight, or ``None`` for an impossible time."""
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix.lower().startswith("p") else 0)
    return hour * 60 + minute if hour < 24 and minute < 60 else None


def _month(name: str) -> int:
    """The month (1–12) a name matched by the case-insensitive month pattern writes; case-folded,
    because that pattern also takes ``ſ`` (long s) for ``s``: ``ſept`` is September."""
    return next(i for i, m in enumerate(MONTHS, start=1) if m.startswith(name.casefold()[:3]))


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def contains_any(text: str, literals: Iterable[str]) -> bool:
    """Whether ``text`` contains one of ``literals``: an exact precheck for a pattern that cannot
    match without one of them."""
    return any(map(text.__contains__, literals))


def may_contain(text: str, literals: Iterable[str]) -> bool:
    """``False`` only when ``text`` contains none of ``literals`` (lower-case ASCII) in any case: an
    exact precheck for a case-insensitive pattern that cannot match without one of them. A text with
    one of :data:`CASE_TWINS` always passes: case-insensitive matching takes them for ASCII letters
    (``ſ`` for ``s``), ``str.lower`` does not; any other character matches a literal's ASCII
    character only as itself in upper or lower case."""
    if not text.isascii() and contains_any(text, CASE_TWINS):
        return True
    return contains_any(text.lower(), literals)


def _date_kinds(text: str) -> set[str]:
    """The :data:`DATE_PATTERNS` that can match ``text``: none without a digit, ``iso`` only with a
    ``-``, ``slash`` only with a ``/``, the month-name ones only with a month's first three letters
    (:func:`may_contain`)."""
    if not DIGIT.search(text):
        return set()
    kinds = {kind for kind, char in (("iso", "-"), ("slash", "/")) if char in text}
    if may_contain(text, MONTH_PREFIXES):
        kinds |= {"month_day", "day_month"}
    return kinds


def date_values(text: str) -> Iterator[tuple[tuple[int, int], DateKey]]:
    """(span, key) of every date in ``text``; the key lists the possible (month, day) readings."""
    kinds = _date_kinds(text)
    for kind, pattern in DATE_PATTERNS:
        if kind not in kinds:
            continue
        for m in pattern.finditer(text):
            if kind == "iso":
                pairs, year = [(int(m[2]), int(m[3]))], _year(m[1])
            elif kind == "slash":
                pairs, year = [(int(m[1]), int(m[2])), (int(m[2]), int(m[1]))], _year(m[3])
            elif kind == "month_day":
                pairs, year = [(_month(m[1]), int(m[2]))], _year(m[3])
            else:
                pairs, year = [(_month(m[2]), int(m[1]))], _year(m[3])
            valid = tuple(p for p in pairs if 1 <= p[0] <= 12 and 1 <= p[1] <= 31)
            if valid:
                yield m.span(), (valid, year)


def time_values(text: str) -> Iterator[tuple[tuple[int, int], int, bool]]:
    """(span, minutes after midnight, whether am/pm was given) of every clock time in ``text``."""
    if not DIGIT.search(text):
        return
    for m in TIME_PATTERN.finditer(text):
        minutes = _clock(int(m[1]), int(m[2]), m[3]) if m[1] is not None else _clock(int(m[4]), 0, m[5])
        if minutes is not None:
            yield m.span(), minutes, bool(m[3] or m[5])


def _masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    spans = list(spans)
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def answer_values(text: str) -> list[Value]:
    """The values of the module docstring in ``text``: dates, times, numbers, titles, names (each
    distinct value once, in that order)."""
    text = MARKDOWN.sub(" ", text) if contains_any(text, MARKDOWN_MARKS) else text
    found = _digit_values(text) if DIGIT.search(text) else []
    quoted = list(QUOTED.finditer(text)) if contains_any(text, QUOTE_MARKS) else []
    for m in quoted:
        title = next(g for g in m.groups() if g is not None).strip()
        if WORD.search(title):
            found.append(Value("title", title, (words(title),)))
    if not text.islower():  # a heading and a name need a capital letter
        headings = [m.span() for m in HEADING.finditer(text)]
        for run, starts_sentence in proper_names(_masked(text, [m.span() for m in quoted] + headings)):
            phrases = [words(" ".join(run))] + ([words(" ".join(run[1:]))] if starts_sentence else [])
            found.append(Value("name", " ".join(run), tuple(phrases)))
    unique: dict[tuple[str, str], Value] = {}
    for item in found:
        unique.setdefault((item.kind, str(item.key)), item)
    return list(unique.values())


def _digit_values(text: str) -> list[Value]:
    """The dates, times and numbers of ``text``, in that order (each needs a digit)."""
    found: list[Value] = []
    spans: list[tuple[int, int]] = []
    for span, key in date_values(text):
        if not any(s[0] < span[1] and span[0] < s[1] for s in spans):
            spans.append(span)
            found.append(Value("date", text[span[0]:span[1]], key))
    for span, minutes, suffixed in time_values(_masked(text, spans)):
        spans.append(span)
        found.append(Value("time", text[span[0]:span[1]].strip(), (minutes, suffixed)))
    return found + _numbers(_masked(text, spans))


def _numbers(text: str) -> list[Value]:
    """The numbers and temperatures of ``text`` (dates and times masked), without small bare
    integers and list markers (rules of the module docstring)."""
    if not DIGIT.search(text):
        return []
    found: list[Value] = []
    markers = {m.end(1) for m in LIST_MARKER.finditer(text)}
    for m in NUMBER_PATTERN.finditer(text):
        value, unit = _number(m["num"]), (m["unit"] or "").strip().lower()
        marked = bool(m["cur"]) or unit in ("%", "percent") or unit.startswith(("°", "degree"))
        if m.end("num") in markers or (not marked and value == int(value) and 0 <= value <= 10):
            continue
        kind: ValueKind = "temperature" if unit.startswith(("°", "degree")) else "number"
        found.append(Value(kind, m[0].strip(), value))
    return found


def _ends_sentence(token: str, after: str) -> bool:
    """``token`` (closing quotes and brackets removed) ends a sentence: it ends with ``.!?:;`` but is
    not an abbreviation such as *St.* or an initial, or a line break follows it."""
    if token[-1:] not in ".!?:;":
        return "\n" in after
    core = token.rstrip(".").lower()
    if token.endswith(".") and (core in ABBREVIATIONS or len(core) == 1):
        return False
    return token[-1:] in ".!?:;" or "\n" in after


def proper_names(text: str) -> list[tuple[list[str], bool]]:
    """Runs of capitalised words (connectors such as *of*, *de* allowed inside; possessive ``'s``
    removed) with whether the run starts a sentence (see :func:`_name_of` for which are kept). A
    run starts only at an upper-case letter: a text with none (``str.islower``) has no names."""
    if text.islower():
        return []
    names: list[tuple[list[str], bool]] = []
    run: list[str] = []
    run_starts_sentence = sentence_start = True
    for m in TOKEN.finditer(text):
        raw, after = m.group(), text[m.end():m.end() + 2]
        if not run and raw.isalpha() and raw.islower():  # outside a run, a lower-case word only
            sentence_start = "\n" in after  # ends a sentence, at a line break (as below)
            continue
        core = raw.strip(STRIP).rstrip(".")
        if core.endswith(("'s", "’s")):
            core = core[:-2]
        closed = raw.rstrip(CLOSERS)
        ends = bool(closed) and _ends_sentence(closed, after)
        if core[:1].isalpha() and core[:1].isupper() and core.lower() not in NEVER_NAMES:
            if not run:
                run_starts_sentence = sentence_start
            run.append(core)
        elif run and core.lower() in CONNECTORS and not closed.endswith((",", ";", ":", ".")):
            run.append(core)
        elif run:
            names += _name_of(run, run_starts_sentence, raw.lower())
            run = []
        if run and (ends or closed.endswith((",", ";", ":"))):
            names += _name_of(run, run_starts_sentence, closed[-1])
            run = []
        if raw.isalnum() or ALNUM.search(raw) or raw in BULLETS:  # emoji and other symbols keep the state
            sentence_start = ends or raw in BULLETS or (raw[-1] in ".)" and bool(ITEM_NUMBER.fullmatch(raw)))
    return names + _name_of(run, run_starts_sentence, "")


def _name_of(run: list[str], starts_sentence: bool, follower: str) -> list[tuple[list[str], bool]]:
    """The run with connectors trimmed at both ends. A single sentence-initial word is kept only as
    a subject label — followed by ``:`` or by *is*, *has*, *will*, … ("Bergen: 12 °C", "Bergen is
    cloudy") — and not when it is a common opener ("Today is …", "Weather:")."""
    while run and run[0].lower() in CONNECTORS:
        run = run[1:]
    while run and run[-1].lower() in CONNECTORS:
        run = run[:-1]
    if starts_sentence and len(run) == 1:
        labelled = follower == ":" or follower in SUBJECT_VERBS
        return [(run, False)] if labelled and run[0].lower() not in OPENERS | FUNCTION_WORDS else []
    return [(run, starts_sentence)] if run else []


def _leaves(value: Any) -> Iterator[tuple[str, Any]]:
    """(key, scalar) of every leaf of decoded JSON, in no particular order (the key is the nearest
    object key, ``""`` at the top level)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, dict):
            stack += [(str(k), v) for k, v in item.items()]
        elif isinstance(item, list):
            stack += [(key, v) for v in item]
        else:
            yield key, item


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> tuple[Any, tuple[tuple[str, Any], ...]]:
    """:func:`decoded` and the leaves of ``text``, computed once for each text: the checks of one
    trajectory read the same call arguments and results several times.
    :func:`synae.validity.rules.output_checks.output_checks` empties this cache (:func:`clear_caches`)
    after each trajectory, so that it never holds more than one trajectory's texts."""
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return None, ()
    try:
        value = json_loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return None, ()
    return value, () if value is None else tuple(_leaves(value))


def clear_caches() -> None:
    """Empty the caches of :func:`_parsed`, :func:`words` and :func:`word_set`."""
    _parsed.cache_clear()
    words.cache_clear()
    word_set.cache_clear()


def decoded(text: str) -> Any:
    """``text`` as JSON when it is a JSON object or array, else ``None`` (the value is shared
    between calls: read it, never change it)."""
    return _parsed(text)[0]


def json_leaves(text: str) -> tuple[tuple[str, Any], ...]:
    """(key, scalar) of every leaf of ``text`` when it is JSON (see :func:`_leaves`), else ``()``
    (shared between calls, like :func:`decoded`)."""
    return _parsed(text)[1]


@functools.lru_cache(maxsize=65536)
def _number_keys(value: float) -> tuple[frozenset[float], frozenset[int], frozenset[float]]:
    """The keys :class:`Evidence` indexes ``value`` under: its roundings (0, 1, 2 and 6
    digits) of |value|, |100·value| and |value/100|; its hour (a whole number 0–24, modulo 12); and
    |°C→°F| and |°F→°C| conversions rounded to 0 and 1 digit. A number whose ×100 overflows keys
    under itself only."""
    if not math.isfinite(value * 100):  # only the number itself: its scaled forms overflow
        return frozenset({round(abs(value), 6)}), frozenset(), frozenset()
    numbers = frozenset(round(abs(v), digits) for v in (value, value * 100, value / 100)
                        for digits in (0, 1, 2, 6))
    hours = frozenset({int(value) % 12}) if value == int(value) and 0 <= value <= 24 else frozenset()
    temperatures = frozenset(r for converted in (value * 9 / 5 + 32, (value - 32) * 5 / 9)
                             for r in (round(abs(converted)), round(abs(converted), 1)))
    return numbers, hours, temperatures


class Evidence:
    """Texts an answer may draw on, indexed for :meth:`grounds` (see the module docstring). A JSON
    text is read both as written and as its decoded strings (so ``\\u00e9`` reads as ``é``).

    ``joined`` is those texts lower-cased and joined by line breaks; each index below is built from
    it on first use (a check that needs only the words never pays for the dates)."""

    def __init__(self, joined: str = "") -> None:
        self.joined = joined

    @classmethod
    def of(cls, texts: Iterable[str]) -> Evidence:
        pieces: list[str] = []
        for text in texts:
            pieces.append(text)
            leaves = json_leaves(text)
            if leaves:
                pieces += [leaf for _, leaf in leaves if isinstance(leaf, str)]
        return cls("\n".join(pieces).lower())

    @functools.cached_property
    def text(self) -> str:
        """The texts in :func:`words` form."""
        return words(self.joined)

    @functools.cached_property
    def vocabulary(self) -> set[str]:
        """The words of :attr:`text`."""
        return set(word_list(self.joined))

    @functools.cached_property
    def dates(self) -> list[DateKey]:
        return [key for _, key in date_values(self.joined)]

    @functools.cached_property
    def times(self) -> set[int]:
        return {minutes for _, minutes, _ in time_values(ISO_T.sub(r"\1 \2", self.joined))}

    @functools.cached_property
    def _number_index(self) -> tuple[set[float], set[int], set[float]]:
        """(numbers, hours, temperatures): every digit run (and each of its comma-separated parts)
        under the keys of :func:`_number_keys`, gathered once per distinct value."""
        numbers: set[float] = set()
        hours: set[int] = set()
        temperatures: set[float] = set()
        runs = set(DIGIT_RUN.findall(self.joined))
        parts = runs.union(*(run.split(",") for run in runs if "," in run))
        for value in {_number(part) for part in parts if part}:
            keys = _number_keys(value)
            numbers.update(keys[0])
            hours.update(keys[1])
            temperatures.update(keys[2])
        return numbers, hours, temperatures

    @property
    def numbers(self) -> set[float]:
        return self._number_index[0]

    @property
    def hours(self) -> set[int]:
        return self._number_index[1]

    @property
    def temperatures(self) -> set[float]:
        return self._number_index[2]

    def has_phrase(self, phrase: str) -> bool:
        """``phrase`` (in :func:`words` form) occurs, or else every word of it does."""
        return phrase in self.text or all(w in self.vocabulary for w in phrase.split())

    def grounds(self, value: Value) -> bool:
        """Whether the evidence contains ``value`` (rules of the module docstring)."""
        if value.kind in ("number", "temperature"):
            magnitude = round(abs(value.key), 6)
            converted = value.kind == "temperature" and magnitude in self.temperatures
            return magnitude in self.numbers or converted
        if value.kind == "date":
            pairs, year = value.key
            return any(set(pairs) & set(their_pairs) and (year is None or their_year in (None, year))
                       for their_pairs, their_year in self.dates)
        if value.kind == "time":
            minutes, suffixed = value.key
            candidates = {minutes} if suffixed else {minutes, (minutes + 720) % 1440}
            return bool(candidates & self.times) or (minutes % 60 == 0 and (minutes // 60) % 12 in self.hours)
        return any(self.has_phrase(phrase) for phrase in value.key)
