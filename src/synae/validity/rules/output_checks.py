"""Grounding and consistency checks of a trajectory's final answer against the trajectory itself.

:func:`output_checks` runs five checks on ``traj.output`` (the first :data:`MAX_ANSWER_CHARS`
characters; the evidence is the first :data:`MAX_EVIDENCE_CHARS` characters of the trajectory's
texts; at most :data:`MAX_VALUES` values are looked up; ``details["capped"]`` says what was cut),
each giving failure messages that quote the offending text, or why it did not run:

- ``ungrounded_values`` — a number, date, time, quoted title or proper name of the answer occurs in
  no tool result, tool-call argument, user or system message (rules of
  :mod:`synae.validity.rules.answer_values`). E.g. "It is 25 °C in Oslo" when the tool returned 12.
  Runs when the trajectory has tool results and every call has one (an answer may otherwise quote a
  result we cannot see, or the model's own knowledge).
- ``ignores_tool_results`` — a call succeeded but the answer reports a failure ("Sorry, something
  went wrong.", "I couldn't retrieve …") while no call failed; or it carries nothing of the
  exchange: no word (3+ letters, not a function or status word), number, date or time of a
  successful result or of a call's arguments ("Done." after a weather lookup or an event creation,
  another conversation's answer); or it apologises or refuses while carrying nothing of results that
  say more than a status. Runs when a call succeeded; the "carries nothing" part needs calls or
  results with content (``{"status": "ok", "id": 7}`` after a call without arguments has none); an
  answer that starts with *yes* or *no* passes it, and so does a negative answer ("no events", "not
  found", "nothing") when every successful result is empty (``[]``, ``{"events": []}``, ``null``).
- ``unsupported_action_claim`` — the answer claims an action in the first person, the perfect
  passive or with *successfully* ("I've booked", "has been added", "Successfully cancelled",
  "Booked a …" at a sentence start; not in a question or after a negation) and no call whose name
  (or ``action``-like argument) relates to the verb succeeded; or every related call returned an
  error; or every call failed and the answer reports success. Runs when the trajectory has tool
  calls or tool definitions.
- ``garbled_text`` — at least 30 % (and 3) of the words read as known words only backwards
  (known: common English function words and the words of the evidence), or at least 40 % (and 2)
  are not pronounceable (4+ letters without a vowel, 6 consonants in a row, or a letter 4 times in a
  row; all-capital acronyms, URLs and e-mail addresses are left out). Runs on answers of 3+ words,
  mostly in Latin script.
- ``truncated`` — the answer ends without terminal punctuation and with a comma, a hyphen, an open
  bracket, a word that cannot end a sentence ("… the", "… and", "… mostly"; "… is", "… have" unless
  the answer starts with yes or no: "Yes, it is"), an unclosed bracket, quote or bold marker,
  a word cut short (a word of at most 4 letters, or without a vowel, that is not a word of the
  evidence but starts a longer one of the answer or the evidence: "… partly clou"), or a last
  sentence without an end on a line whose earlier sentences have one ("It is 12 °C. The sky is
  cloudy with light"). An answer that ends on a URL or e-mail address passes. Runs on answers of 3+
  words.

A tool result *fails* when it is a JSON object with a non-empty ``error``-like key, a
``status``/``result`` of ``error``/``failed``/…, or ``success``/``ok`` false; or a text that starts
with *error*/*exception*/*failed*, or (at most 300 characters) says *not found*, *invalid*, *could not*,
… Calls without a result count as possibly successful.

What these rules cannot see: unit conversions, computed values, a value that exists in the
evidence but belongs to something else (the humidity quoted as the temperature), wrong reasoning
and paraphrased contradictions — those need ``--validity llm``.

Cost: about 0.1 ms for a short trajectory (one call, an answer of one sentence) and 0.3 ms for an
answer of 400 characters on the shared 2-core machine. The answer's values are found only when a
check reads them (beside tool results) or when there may be more of them than are looked up; the
evidence's number, date and time indexes are built only when a value of that kind is looked up, each
JSON text is decoded once per trajectory, the answer's words are found once for all checks, and a
pattern is skipped where an exact precheck shows it cannot match (no digit: no date, time or number;
no phrase of a list in the lower-cased text: no failure claim, refusal or error phrase; no claimed
verb among the words of the answer read in ASCII: no action claim; a text with one of the
characters that case-insensitive matching takes for an ASCII letter, ``İ ı ſ K``, is always
searched). Check results are immutable and shared (one object for every check that passed).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, NamedTuple

from synae.schema import Trajectory
from synae.validity.rules.answer_values import (
    ABBREVIATIONS,
    CASE_TWINS,
    FUNCTION_WORDS,
    NON_ASCII,
    QUOTE_MARKS,
    STRIP,
    WORD,
    Evidence,
    Value,
    answer_values,
    clear_caches,
    contains_any,
    decoded,
    json_leaves,
    may_contain,
    word_set,
)

MAX_ANSWER_CHARS = 4_000
MAX_EVIDENCE_CHARS = 200_000
MAX_VALUES = 200  # answer values looked up in the evidence
MAX_QUOTED = 60  # characters of the answer quoted in a message
ANSWER_CHECKS = ("ungrounded_values", "ignores_tool_results", "unsupported_action_claim", "garbled_text",
                 "truncated")

STATUS_WORDS = frozenset({"ok", "okay", "success", "successful", "successfully", "succeeded", "done", "true",
                          "false", "created", "added", "updated", "deleted", "removed", "sent", "scheduled",
                          "booked", "saved", "confirmed", "completed", "complete", "accepted", "status",
                          "result", "null", "none"})
NOT_CONTENT_WORDS = FUNCTION_WORDS | STATUS_WORDS
NON_CONTENT_KEY = re.compile(r"(?:^|_)(?:id|uuid|key|token|code|status|success|ok)$", re.I)
ERROR_KEYS = frozenset({"error", "errors", "error_message", "exception", "err"})
STATUS_KEYS = frozenset({"status", "result", "state", "outcome"})
FAILED_STATUS = frozenset({"error", "failed", "failure", "fail", "not_found", "not found", "denied",
                           "rejected", "invalid", "unavailable"})
ERROR_START = re.compile(r"^\W*(?:error|exception|traceback|failed|failure)\b", re.I)
ERROR_WORDS = re.compile(r"\b(?:not found|does not exist|doesn't exist|no such|permission denied|"
                         r"access denied|unauthori[sz]ed|forbidden|invalid|timed out|failed to|could not|"
                         r"couldn't|unable to)\b", re.I)
ERROR_MARKS = ("not found", "not exist", "n't exist", "no such", "denied", "unauthori", "forbidden",
               "invalid", "timed out", "failed to", "could", "unable to")  # in every match of ERROR_WORDS
REFUSAL = re.compile(r"\b(?:sorry|apologi[sz]e|something went wrong|an error occurred|error occurred|"
                     r"(?:could ?n[o']t|can ?n[o']t|unable to|was unable|am unable|failed to)\s+"
                     r"(?:\w+\s+)?(?:get|retrieve|find|fetch|access|complete|process|load|reach|connect|"
                     r"determine|look|check)|try again later|not available right now)\b", re.I)
REFUSAL_MARKS = ("sorry", "apologi", "wrong", "error", "could", "can", "unable", "failed to",
                 "try again later", "not available right now")  # every match of REFUSAL has one
FAILURE_CLAIM = re.compile(r"\b(?:something went wrong|an? (?:unexpected )?error (?:has )?occurred|"
                           r"error occurred|technical (?:issue|problem|difficult)\w*|try again later|"
                           r"(?:could ?n[o']t|can ?n[o']t|unable to|was unable to|failed to)\s+(?:\w+\s+)?"
                           r"(?:complete|process|access|reach|connect|retrieve|fetch|load|help))", re.I)
FAILURE_MARKS = ("wrong", "error", "technical", "try again later", "could", "can", "unable to",
                 "failed to")  # every match of FAILURE_CLAIM has one
SUCCESS = re.compile(r"\b(?:successfully|all set|went through|succeeded|is confirmed|has been confirmed)\b",
                     re.I)
NEGATIVE = re.compile(r"\b(?:no|none|nothing|empty|free|not|zero|any)\b|n['’]t\b", re.I)
YES_NO = re.compile(r"^\W*(?:yes|no)\b", re.I)

ACTIONS = {  # claimed verb forms → stems of call names (or action-like arguments) that can do them
    "added": "add create insert append put save schedule book new post set register upload write",
    "booked": "book reserve create add schedule order buy purchase hold",
    "created": "create add new insert make schedule book post generate write open register mkdir touch",
    "scheduled rescheduled": "schedule reschedule create add book set plan move update",
    "sent emailed messaged texted forwarded": "send email mail message post notify reply forward sms text "
                                              "share submit publish",
    "cancelled canceled": "cancel delete remove decline void refund",
    "deleted removed erased": "delete remove cancel clear rm drop erase purge trash archive unsubscribe",
    "updated changed modified edited renamed moved": "update edit modify change set patch rename move mv "
                                                     "reschedule replace put write",
    "reserved": "reserve book hold create add",
    "saved stored": "save store write add create put set cache remember bookmark",
    "ordered purchased bought paid": "order buy purchase pay checkout book transfer send",
    "transferred": "transfer send pay move",
    "posted published submitted uploaded": "post publish submit upload send create share",
    "invited": "invite add send share create",
}
STEMS = {form: tuple(stems.split()) for forms, stems in ACTIONS.items() for form in forms.split()}
ACTION_ARGUMENT_KEYS = frozenset({"action", "operation", "op", "method", "command", "cmd", "mode", "verb",
                                  "intent"})
_VERB = "|".join(sorted(STEMS, key=len, reverse=True))
CLAIM = re.compile(
    rf"\b(?:(?:i|we)(?:['’]ve| have| had)?|(?:has|have) been|(?:is|are) now|successfully)"
    rf"(?:\s+(?:also|just|now|already|successfully|gone ahead and|been))*\s+(?P<verb>{_VERB})\b"
    rf"|(?:^|[.!?]\s+|\n\s*(?:[-*•]\s+)?)(?P<lead>{_VERB})\s+(?:a|an|the|your|it|them|this|that|my|all)\b"
    rf"|\b(?P<after>{_VERB})\s+successfully\b", re.I)
NEGATION = re.compile(r"\b(?:not|never|no|unable|cannot|failed|if|n't)\b|n['’]t\b", re.I)

DANGLING = frozenset({  # words that cannot end a sentence
    "a", "an", "the", "to", "of", "and", "or", "but", "with", "for", "at", "from", "into", "about", "as",
    "than", "your", "my", "our", "their", "its", "whose", "during", "including", "because", "if", "while",
    "such", "very", "every", "each", "between", "whether", "although", "though", "unless", "via", "per",
    "toward", "towards", "upon", "within", "across", "among", "despite", "except", "onto", "in", "on", "by",
    "mostly", "approximately", "roughly", "nearly", "almost"})
AUXILIARIES = frozenset({"is", "are", "was", "were", "has", "have", "had", "will", "can", "would", "should",
                         "could", "be", "been", "not"})  # end only a yes/no answer: "Yes, it is"
TERMINAL = tuple(".!?…)]}\"'”’»*`|>:;")
VOWELS = set("aeiouy")
URL_OR_EMAIL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.I)
LINK_MARKS = ("://", "www.", "@")  # one of them is in every match of URL_OR_EMAIL
NOT_PRONOUNCEABLE = re.compile(r"[^aeiouy\W\d_]{6}|(\w)\1{3}", re.I)
FOUR_SAME = re.compile(r"([a-z])\1{3}")
VOWEL_RUNS = tuple(vowel * 4 for vowel in "aeiouy")
LETTER_MARKS = bytes(ord("c") if chr(c) in "bcdfghjklmnpqrstvwxz" else ord("v") if chr(c) in "aeiouy" else 32
                     for c in range(256))  # "c" for a consonant, "v" for a vowel, else " "
CAMEL = re.compile(r"([a-z])([A-Z])")
NAME_SPLIT = re.compile(r"[^a-z0-9]+")
REVERSED_FUNCTION_WORDS = frozenset(w[::-1] for w in FUNCTION_WORDS)
FUNCTION_WORD_STARTS = frozenset(w[:n] for w in FUNCTION_WORDS for n in range(1, len(w) - 1))  # and 2+ more
SENTENCE_END = re.compile(r"(?<!\S)(\S+)[.!?]\s+")  # a match starts a word: fail fast inside one


class CheckResult(NamedTuple):
    """One check's failure messages, or why it did not run (``not_run``)."""

    failures: tuple[str, ...] = ()
    not_run: str | None = None


PASSED = CheckResult()  # results are immutable: one object serves every check that passes


def failed(*messages: str) -> CheckResult:
    """The result of a check that failed with ``messages`` (at least one)."""
    return CheckResult(messages)


@functools.lru_cache(maxsize=256)
def skipped(why: str) -> CheckResult:
    """The result of a check that did not run, and why (one shared object for each reason)."""
    return CheckResult(not_run=why)


@dataclass(slots=True)
class Exchange:
    """One tool call with its result (``None`` when none came back) and the error the result reports."""

    name: str
    arguments: str
    result: str | None = None
    error: str | None = None


def quote(text: str) -> str:
    """``text`` on one line, cut to :data:`MAX_QUOTED` characters, in single quotes."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= MAX_QUOTED else flat[:MAX_QUOTED - 1] + "…")


def result_error(text: str) -> str | None:
    """What a tool result says went wrong (rules of the module docstring), else ``None``."""
    value = decoded(text)
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key).lower()
            if name in ERROR_KEYS and item not in (None, "", [], {}, False):
                return f"{key}: {item}"
            if name in STATUS_KEYS and isinstance(item, str) and item.strip().lower() in FAILED_STATUS:
                return f"{key}: {item}"
            if name in ("success", "ok", "succeeded") and item is False:
                return f"{key}: false"
        return None
    if value is not None:
        return None
    stripped = text.strip()
    if ERROR_START.match(stripped) or (len(stripped) <= 300 and may_contain(stripped, ERROR_MARKS)
                                       and ERROR_WORDS.search(stripped)):
        return stripped
    return None


def exchanges(traj: Trajectory) -> list[Exchange]:
    """Every tool call of the trajectory, in order, with its result and error."""
    calls: dict[str, Exchange] = {}
    out: list[Exchange] = []
    for message in traj.messages:
        for call in message.tool_calls or ():
            calls[call.id] = Exchange(call.function.name, call.function.arguments)
            out.append(calls[call.id])
        if message.role == "tool":
            exchange = calls.get(message.tool_call_id or "")
            if exchange is None:
                exchange = Exchange(message.name or "tool", "{}")
                out.append(exchange)
            exchange.result = message.content or ""
            exchange.error = result_error(exchange.result)
    return out


def call_names(calls: list[Exchange]) -> str:
    """The distinct names of ``calls`` as ``name()``, in order, comma-separated."""
    return ", ".join(dict.fromkeys(f"{x.name}()" for x in calls))


def content_values(text: str) -> list[str]:
    """The values of a result or arguments text that carry content: JSON leaves other than ids,
    statuses and booleans (the whole text when it is not JSON), without status words."""
    if decoded(text) is None:
        return [] if STATUS_WORDS.issuperset(word_set(text)) else [text]
    texts = [str(leaf) for key, leaf in json_leaves(text)
             if leaf is not None and not isinstance(leaf, bool) and not _non_content_key(key)]
    return [t for t in texts if not STATUS_WORDS.issuperset(word_set(t))]


@functools.lru_cache(maxsize=1024)
def _non_content_key(key: str) -> bool:
    """:data:`NON_CONTENT_KEY` matches ``key`` (cached: the same keys recur from call to call)."""
    return NON_CONTENT_KEY.search(key) is not None


def content_words(text: str) -> set[str]:
    """Lower-case words of 3+ characters that are neither function nor status words nor numbers."""
    return {w for w in word_set(text) - NOT_CONTENT_WORDS if len(w) >= 3 and not w.isdigit()}


def carried(answer_words: set[str], numbers: Sequence[Value], texts: list[str]) -> bool:
    """Whether the answer repeats something of ``texts`` (results or arguments): one of its content
    words (``answer_words``) is a word of a text (then a content word of it too: the filter is per
    word), or else one of its ``numbers`` (its numbers, dates and times) is in the texts (their
    :class:`Evidence` is built only in that case)."""
    if any(not answer_words.isdisjoint(word_set(text)) for text in texts):
        return True
    if not numbers:
        return False
    evidence = Evidence.of(texts)
    return any(evidence.grounds(v) for v in numbers)


def evidence_texts(traj: Trajectory) -> tuple[list[str], bool]:
    """User and system messages, call arguments and code, and tool results, in order, up to
    :data:`MAX_EVIDENCE_CHARS` characters; and whether that cap cut anything."""
    pieces: list[str] = []
    for message in traj.messages:
        if message.role != "assistant":
            pieces.append(message.content or "")
        if message.tool_calls:
            pieces += [call.function.arguments for call in message.tool_calls]
        if message.code:
            pieces.append(message.code)
    if sum(map(len, pieces)) < MAX_EVIDENCE_CHARS:
        return pieces, False
    texts: list[str] = []
    budget = MAX_EVIDENCE_CHARS
    for piece in pieces:
        if budget <= 0:
            return texts, True
        texts.append(piece[:budget])
        budget -= len(piece)
    return texts, budget < 0


def ungrounded_values(values: Sequence[Value], evidence: Evidence, calls: list[Exchange]) -> CheckResult:
    missing = sum(x.result is None for x in calls)
    if missing == len(calls):
        return skipped("no tool results: the answer may rest on the model's own knowledge")
    if missing:
        return skipped(f"{missing} tool call(s) without a result: the answer may quote them")
    if not values:
        return PASSED
    return CheckResult(tuple(f"{v.kind} {quote(v.text)} appears in no tool result, tool-call argument, user "
                             "or system message" for v in values if not evidence.grounds(v)))


def _empty(result: str) -> bool:
    """The result holds no data: blank, ``null``/``none``, or JSON whose containers are all empty."""
    stripped = result.strip().lower()
    return stripped in ("", "null", "none") or (decoded(result) is not None and not json_leaves(result))


def ignores_tool_results(answer: str, values: Sequence[Value], calls: list[Exchange]) -> CheckResult:
    answered = [x for x in calls if x.result is not None]
    if not answered:
        return skipped("no tool results")
    succeeded = [x for x in answered if x.error is None]
    if not succeeded:
        return skipped("no tool call succeeded")
    failure = FAILURE_CLAIM.search(answer) if may_contain(answer, FAILURE_MARKS) else None
    if failure and len(succeeded) == len(answered):
        return failed(f"{quote(answer)} reports a failure ({quote(failure.group())}) although "
                      f"{call_names(succeeded)} succeeded")
    results = [v for x in succeeded for v in content_values(x.result or "")]
    arguments = [v for x in calls for v in content_values(x.arguments)]
    exchanged = results + arguments
    if not exchanged:
        return skipped("the tool calls and results carry only statuses and ids")
    answer_words = content_words(answer)
    numbers = [v for v in values if v.kind in ("number", "temperature", "date", "time")] if values else []
    if (results and carried(answer_words, numbers, results)) or YES_NO.match(answer):
        return PASSED
    if all(_empty(x.result or "") for x in succeeded) and NEGATIVE.search(answer):
        return PASSED  # "no events on Sunday" after an empty result
    refusal = REFUSAL.search(answer) if may_contain(answer, REFUSAL_MARKS) else None
    if refusal and results:
        return failed(f"{quote(answer)} apologises or refuses ({quote(refusal.group())}) although "
                      f"{call_names(succeeded)} returned results")
    if not carried(answer_words, numbers, exchanged):
        return failed(f"{quote(answer)} carries nothing from the calls and results of "
                      f"{call_names(succeeded)}")
    return PASSED


def _related(exchange: Exchange, stems: tuple[str, ...]) -> bool:
    """The call's name (split at ``_``, ``.``, ``-`` and camelCase) or an action-like argument has a
    word starting with one of ``stems``."""
    tokens = CAMEL.sub(r"\1 \2", exchange.name).lower()
    tokens += " " + " ".join(str(v) for k, v in json_leaves(exchange.arguments)
                             if k.lower() in ACTION_ARGUMENT_KEYS)
    return any(token.startswith(stems) for token in NAME_SPLIT.split(tokens.lower()) if token)


def action_claims(answer: str) -> list[tuple[str, str]]:
    """(claimed verb, the claim's sentence) of every action claim (rules of the module docstring)."""
    claims: list[tuple[str, str]] = []
    if not _may_claim(answer):
        return claims
    for m in CLAIM.finditer(answer):
        verb = next(g for g in (m["verb"], m["lead"], m["after"]) if g)
        start = max(answer.rfind(c, 0, m.start() + 1) for c in ".!?\n") + 1
        ends = [i for i in (answer.find(c, m.end()) for c in ".!?\n") if i >= 0]
        end = min(ends) if ends else len(answer)
        if answer[end:end + 1] == "?" or NEGATION.search(answer[max(start, m.start() - 30):m.start()]):
            continue
        claims.append((verb.lower(), answer[start:end + 1].strip()))
    return claims


def _may_claim(answer: str) -> bool:
    """Whether :data:`CLAIM` can match ``answer``: the verb of a claim is a whole word, so one of the
    claimed verb forms is a word of the answer read in ASCII (each other character as a space). A text
    with one of :data:`CASE_TWINS` always can (case-insensitive matching takes them for letters)."""
    if answer.isascii():
        return not STEMS.keys().isdisjoint(word_set(answer))
    if contains_any(answer, CASE_TWINS):
        return True
    return not STEMS.keys().isdisjoint(word_set(NON_ASCII.sub(" ", answer)))


def unsupported_action_claim(traj: Trajectory, answer: str, calls: list[Exchange]) -> CheckResult:
    if not calls and not traj.tools:
        return skipped("no tool calls or tool definitions")
    failures: list[str] = []
    for verb, sentence in action_claims(answer):
        related = [x for x in calls if _related(x, STEMS[verb])]
        erred = [x for x in related if x.error is not None]
        if len(erred) == len(related) and erred:
            failures.append(f"{quote(sentence)} claims '{verb}' but {erred[-1].name}() returned an "
                            f"error: {quote(erred[-1].error or '')}")
        elif not related:
            failures.append(f"{quote(sentence)} claims '{verb}' but no tool call could have done it "
                            f"(calls: {call_names(calls) or 'none'})")
    answered = [x for x in calls if x.result is not None]
    every_call_failed = answered and all(x.error is not None for x in answered)
    success = SUCCESS.search(answer) if every_call_failed and not failures else None
    if success:
        failures.append(f"{quote(answer)} reports success ({quote(success.group())}) but every tool "
                        f"call failed ({answered[-1].name}(): {quote(answered[-1].error or '')})")
    return failed(*failures) if failures else PASSED


def _tokens(answer: str) -> list[str]:
    return _lowered(WORD.findall(answer))


def _lowered(found: list[str]) -> list[str]:
    """Each word of ``found`` lower-cased, with ``’`` as ``'`` (in one pass: a word has no space)."""
    return " ".join(found).lower().replace("’", "'").split(" ") if found else []


def _odd_words(prose: str, found: list[str]) -> list[str]:
    """The words of ``found`` (the words of ``prose``) that are not pronounceable: ASCII letters only,
    4+ of them, not all capitals, and without a vowel or matching :data:`NOT_PRONOUNCEABLE`. The prose
    is first read in lower case with every non-ASCII character as a space (such a word is kept
    whole) for what such a word needs (4 consonants, as every word without a vowel has, or one letter
    4 times in a row: a vowel, as 4 same consonants are 4 consonants; looked for only where 4 vowels
    are in a row): without it there is none; and a word of letters matches
    :data:`NOT_PRONOUNCEABLE` only where that text has 6 consonants in a row or a match of
    :data:`FOUR_SAME`."""
    text = (prose if prose.isascii() else NON_ASCII.sub(" ", prose)).lower()
    letters = text.encode("ascii").translate(LETTER_MARKS)
    if b"cccc" not in letters and (b"vvvv" not in letters or not contains_any(text, VOWEL_RUNS)):
        return []
    unpronounceable = b"cccccc" in letters or FOUR_SAME.search(text) is not None
    return [t.lower() for t in found
            if len(t) >= 4 and t.isascii() and t.isalpha() and not t.isupper()
            and (VOWELS.isdisjoint(t.lower()) or (unpronounceable and NOT_PRONOUNCEABLE.search(t)))]


def garbled_text(answer: str, found: list[str], tokens: list[str], vocabulary: set[str]) -> CheckResult:
    """``found`` are the words of ``answer`` and ``tokens`` the same lower-cased; *known* words are
    :data:`FUNCTION_WORDS` and ``vocabulary`` (the evidence's)."""
    prose = URL_OR_EMAIL.sub(" ", answer) if may_contain(answer, LINK_MARKS) else answer
    if prose != answer:
        found = WORD.findall(prose)
        tokens = _lowered(found)
    if len(tokens) < 3:
        return skipped("fewer than 3 words")
    if not prose.isascii():  # ASCII: all Latin
        letters = sum(map(str.isalpha, prose))
        other = sum(map(str.isalpha, NON_ASCII.findall(prose)))  # the letters outside ASCII
        if letters - other < letters / 2:
            return skipped("not mostly Latin-script text")
    known_backwards = {t for t in set(tokens) - vocabulary
                       if len(t) >= 2 and (t in REVERSED_FUNCTION_WORDS or t[::-1] in vocabulary)}
    backwards = ([t for t in tokens if t in known_backwards and t not in FUNCTION_WORDS]
                 if known_backwards else [])
    if len(backwards) >= 3 and len(backwards) >= 0.3 * len(tokens):
        return failed(f"{len(backwards)} of {len(tokens)} words read as words only backwards: "
                      f"{quote(' '.join(backwards))}")
    odd = _odd_words(prose, found)
    if len(odd) >= 2 and len(odd) >= 0.4 * len(tokens):
        return failed(f"{len(odd)} of {len(tokens)} words are not words: {quote(' '.join(odd))}")
    return PASSED


def _starts_a_longer_word(start: str, candidates: Iterable[str]) -> bool:
    """One of ``candidates`` starts with ``start`` and has at least 2 more characters."""
    shortest = len(start) + 2
    return any(len(w) >= shortest and w.startswith(start) for w in candidates)


def _unfinished_last_sentence(text: str) -> bool:
    """The last line of ``text`` has a sentence end (``.!?`` and a space, not after an abbreviation
    or an initial) followed by 3+ more words."""
    line = text.rsplit("\n", 1)[-1]
    if not any(mark in line for mark in ".!?"):
        return False
    ends = [m for m in SENTENCE_END.finditer(line)
            if not ("." in m[1] or len(m[1].strip(STRIP)) <= 1 or m[1].strip(STRIP).lower() in ABBREVIATIONS)]
    return bool(ends) and len(line[ends[-1].end():].split()) >= 3


def truncated(answer: str, found: list[str], tokens: list[str], vocabulary: set[str]) -> CheckResult:
    """``found`` are the words of ``answer`` and ``tokens`` the same lower-cased; ``vocabulary`` is
    the evidence's."""
    if len(found) < 3:
        return skipped("fewer than 3 words")
    text = answer.rstrip()
    if text.endswith(TERMINAL) or (not text[-1:].isalnum() and text[-1:] not in ",-–(/&[{"):
        return PASSED
    last = text.rsplit(None, 1)[-1]  # the text ends on no space
    if URL_OR_EMAIL.fullmatch(last):
        return PASSED  # an answer may end on a link or an address
    last_tokens = _tokens(last)
    word = last_tokens[-1] if last_tokens else ""
    if text[-1:] in ",-–(/&[{":
        why = f"ends with {text[-1]!r}"
    elif last.lower().endswith(word) and (word in DANGLING
                                          or (word in AUXILIARIES and not YES_NO.match(text))):
        why = f"ends with the function word {word!r}"
    elif text.count("(") > text.count(")") or text.count("**") % 2 or text.count('"') % 2:
        why = "leaves a bracket, quote or bold marker open"
    elif (word and word not in vocabulary and word not in FUNCTION_WORDS and word.isalpha()
          and (len(word) <= 4 or not VOWELS & set(word))
          and (word in FUNCTION_WORD_STARTS or _starts_a_longer_word(word, chain(tokens[:-1], vocabulary)))):
        why = f"ends mid-word ({word!r})"
    elif _unfinished_last_sentence(text):
        why = "the last sentence has no end although the ones before it on its line do"
    else:
        return PASSED
    return failed(f"the answer stops mid-sentence: {quote('…' + text[2 - MAX_QUOTED:])} ({why})")


def output_checks(traj: Trajectory) -> tuple[dict[str, CheckResult], dict[str, Any]]:
    """Each check of :data:`ANSWER_CHECKS` on ``traj.output`` (all *not run* without an output) and
    the details to record: ``capped`` says which texts were cut to their limits. Each JSON text is
    decoded once (a cache emptied on return)."""
    try:
        return _output_checks(traj)
    finally:
        clear_caches()


def _value_marks(answer: str) -> int:
    """At least the number of values :func:`answer_values` finds in ``answer``: each value has a
    character of its own that is a digit (a number, date or time), a capital letter (the first of a
    name) or a quote mark (the one that opens a title)."""
    return sum(map(str.isdigit, answer)) + sum(map(str.isupper, answer)) + sum(map(answer.count, QUOTE_MARKS))


def _output_checks(traj: Trajectory) -> tuple[dict[str, CheckResult], dict[str, Any]]:
    answer = (traj.output or "").strip()
    if not answer:
        return {name: skipped("no output") for name in ANSWER_CHECKS}, {}
    details: dict[str, Any] = {}
    capped: list[str] = []
    if len(answer) > MAX_ANSWER_CHARS:
        capped.append(f"answer: first {MAX_ANSWER_CHARS} of {len(answer)} characters examined")
        answer = answer[:MAX_ANSWER_CHARS]
    texts, cut = evidence_texts(traj)
    if cut:
        capped.append(f"evidence: first {MAX_EVIDENCE_CHARS} characters of the trajectory's texts used")
    evidence = Evidence.of(texts)
    calls = exchanges(traj)
    # the values are read only beside tool results (else both value checks do not run), but always
    # found where there may be more than can be looked up, to record the cap
    needed = any(x.result is not None for x in calls) or _value_marks(answer) > MAX_VALUES
    values = answer_values(answer) if needed else []
    if len(values) > MAX_VALUES:
        capped.append(f"values: first {MAX_VALUES} of {len(values)} looked up")
        values = values[:MAX_VALUES]
    if capped:
        details["capped"] = capped
    found = WORD.findall(answer)
    tokens = _lowered(found)
    return {"ungrounded_values": ungrounded_values(values, evidence, calls),
            "ignores_tool_results": ignores_tool_results(answer, values, calls),
            "unsupported_action_claim": unsupported_action_claim(traj, answer, calls),
            "garbled_text": garbled_text(answer, found, tokens, evidence.vocabulary),
            "truncated": truncated(answer, found, tokens, evidence.vocabulary)}, details
