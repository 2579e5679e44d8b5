"""The shortcuts of the generic rule checks give the results of the general rules they skip:
hand-written edge cases (non-ASCII text, letter runs, status-only texts, calls whose arguments were
not captured) read both ways."""

from __future__ import annotations

import re
import unicodedata

import pytest

from synae.schema import FunctionCall, Message, ToolCall, Trajectory
from synae.validity.rules.answer_values import (
    CASE_TWINS,
    DATE_PATTERNS,
    FIRST_CHARACTER_OF_A_NUMBER,
    FIRST_LETTER_OF_A_MONTH,
    MONTH_PREFIXES,
    NON_WORD,
    NUMBER_PATTERN,
    QUOTED,
    WORD,
    Evidence,
    answer_values,
    decoded,
    json_leaves,
    may_contain,
    proper_names,
    word_list,
    word_set,
)
from synae.validity.rules.generic import GenericOutputChecker, GenericToolCallChecker
from synae.validity.rules.output_checks import (
    CLAIM,
    ERROR_MARKS,
    ERROR_WORDS,
    FAILURE_CLAIM,
    FAILURE_MARKS,
    LINK_MARKS,
    MAX_VALUES,
    NON_CONTENT_KEY,
    NOT_PRONOUNCEABLE,
    PASSED,
    REFUSAL,
    REFUSAL_MARKS,
    STATUS_WORDS,
    URL_OR_EMAIL,
    VOWELS,
    Exchange,
    _may_claim,
    _non_content_key,
    _odd_words,
    _value_marks,
    content_values,
    garbled_text,
    ungrounded_values,
)


def odd_words_by_the_rule(prose: str) -> list[str]:
    """:func:`_odd_words` without its prechecks: every word tested on its own."""
    return [t.lower() for t in WORD.findall(prose)
            if len(t) >= 4 and t.isascii() and t.isalpha() and not t.isupper()
            and (VOWELS.isdisjoint(t.lower()) or NOT_PRONOUNCEABLE.search(t))]


@pytest.mark.parametrize("prose", [
    "the queue is queueing", "aeiou and you", "Saaaaw grooooss cloudy", "COOOOL but cooool", "Hawaii aaah",
    "EeeEk ptkrstav in Oslo", "hmmmm brrrr tsk", "naïve caaaat in Zürich", "straße queueing ſeeee",
    "rhythms in Oslo", "", "AAAA BBBB", "a e i o u y yyyy", "brrrr° and tsktsk’s", "Zürichhhh bbbbé",
    "hmm—brrrr, 12 °C", "\u212akkk ok", "café queue", "naïve aaaa",
])
def test_the_letter_run_prechecks_keep_every_unpronounceable_word(prose: str) -> None:
    """Four vowels in a row (``queue``) let the same-vowel search run; without them, and without
    four consonants in a row, no word is unpronounceable."""
    assert _odd_words(prose, WORD.findall(prose)) == odd_words_by_the_rule(prose)


@pytest.mark.parametrize("text", [
    "it is cloudy in oslo", "straße in münchen", "ǆemal lives in sarajevo", "your trip is on ſept 3",
    "σοφία μένει στην αθήνα", 'the "team sync" is at noon', "ok - done!",
])
def test_lower_case_text_has_no_names(text: str) -> None:
    """:func:`answer_values` skips the name search for a lower-case text: it finds none there."""
    assert text.islower()
    assert proper_names(text) == []
    masked = text
    for m in QUOTED.finditer(text):
        masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    assert proper_names(masked) == []
    assert all(v.kind != "name" for v in answer_values(text))


def test_text_with_a_capital_or_title_case_letter_is_searched_for_names() -> None:
    assert [v.text for v in answer_values("we met ǅemal in Sarajevo") if v.kind == "name"] == ["Sarajevo"]
    assert not "ǅemal".islower()  # a title-case letter: the general path runs (and finds no name start)


def content_values_by_the_rule(text: str) -> list[str]:
    """:func:`content_values` as first written: leaves (or the text) filtered by their words."""
    texts = [text] if decoded(text) is None else [
        str(leaf) for key, leaf in json_leaves(text)
        if leaf is not None and not isinstance(leaf, bool) and not NON_CONTENT_KEY.search(key)]
    return [t for t in texts if not STATUS_WORDS.issuperset(word_list(t))]


@pytest.mark.parametrize("text", [
    "result 0.5", "OK, done.", "Status: success", "", "   ", "null", "[]", "{}", "not json {", '{"broken": ',
    '{"status": "ok", "id": 7}', '{"query": "Oslo weather", "limit": 7, "user_id": "u1", "ok": true}',
    '{"Event_ID": "e1", "title": "Lunch", "TOKEN": "x", "keywords": ["rain", "done"]}',
    '[{"city": "Zürich", "temp": null}, "created"]', '"a JSON string"',
])
def test_content_values_read_texts_and_json_alike(text: str) -> None:
    assert sorted(content_values(text)) == sorted(content_values_by_the_rule(text))


@pytest.mark.parametrize("key", ["id", "user_id", "Event_ID", "uuid", "status", "ok", "token", "tokens",
                                 "keyword", "query", "", "idle", "code", "zip_code", "Success"])
def test_the_cached_key_rule_is_the_pattern(key: str) -> None:
    assert _non_content_key(key) == (NON_CONTENT_KEY.search(key) is not None)
    assert _non_content_key(key) == (NON_CONTENT_KEY.search(key) is not None)  # from the cache


@pytest.mark.parametrize("text", ["Zürich, ZÜRICH and zurich", "a_b-c d", "", "It's 12 °C"])
def test_the_word_set_is_the_set_of_the_words(text: str) -> None:
    assert word_set(text) == set(word_list(text))


def test_an_answer_without_values_is_grounded_when_every_call_has_a_result() -> None:
    calls = [Exchange("get_weather", "{}", "cloudy")]
    assert ungrounded_values([], Evidence.of(["cloudy"]), calls) == PASSED
    assert ungrounded_values([], Evidence.of([]), []).not_run == (
        "no tool results: the answer may rest on the model's own knowledge")
    assert ungrounded_values([], Evidence.of([]), [*calls, Exchange("x", "{}")]).not_run == (
        "1 tool call(s) without a result: the answer may quote them")


def _call(call_id: str, arguments: str = '{"city": "Oslo"}') -> ToolCall:
    return ToolCall(id=call_id, function=FunctionCall(name="get_weather", arguments=arguments))


@pytest.mark.parametrize(("messages", "parses"), [
    ([Message(role="assistant", tool_calls=[_call("a")], metadata={"arguments_not_captured": ["a"]})],
     "not_run"),
    ([Message(role="assistant", tool_calls=[_call("a"), _call("b", "{")],
              metadata={"arguments_not_captured": ["a"]})], "failed"),
    ([Message(role="assistant", tool_calls=[_call("a", "{")], metadata={"arguments_not_captured": ["a"]})],
     "not_run"),
    ([Message(role="assistant", content="x", metadata={"parse_error": "bad call"})], "failed"),
    ([Message(role="assistant", code="get_weather(city='Oslo')")], "passed"),
    ([Message(role="assistant", code="get_weather(city='Oslo'")], "failed"),
    ([Message(role="assistant", tool_calls=[_call("a")], metadata={"parse_error": "bad call"})], "failed"),
    ([Message(role="user", content="hi")], "not_run"),
])
def test_parses_runs_on_recorded_calls_code_and_parse_errors(messages: list[Message], parses: str) -> None:
    """``parses`` runs on a message with a parse error, code or a call whose arguments were captured;
    calls without captured arguments are not checked."""
    verdict = GenericToolCallChecker().check(Trajectory(id="t", messages=messages))
    assert verdict.details["checks"]["parses"] == parses
    assert ("parses" in verdict.details["not_run"]) == (parses == "not_run")
    assert ("parses" in verdict.reasons) == (parses == "failed")


NON_ASCII_TEXTS = [
    "Sorry — something went wrong ☹", "An error occurred at Café Oslo.", "I couldn’t retrieve it, ſorry.",
    "Il fait 12 °C à Oslo.", "ERROR: not found → retry", "See https://météo.no or ask anna@café.no",
    "Your trip is on ſept 3 (Zürich).", "“Team sync” is on MAY 3RD, 2024 – 15:30.", "I’ve booked a table.",
    "Ich habe es ſent, ok?", "I have \u212aept it", "we’ve ıNVITED them", "İ have added it – done",
    "I’ve booked\u2121 it", "Successfully cancelled → ok", "Привет, I’ve saved it", "東京: I have moved it",
    "No worries – nothing was changed.", "The café is 2 km away.", "", "ſorry about that", "I have ſent it",
    "we have ınvıted them",
]


@pytest.mark.parametrize("text", NON_ASCII_TEXTS)
def test_the_phrase_prechecks_pass_every_text_their_patterns_match(text: str) -> None:
    """A non-ASCII text is searched for the literals too; one with a CASE_TWINS character always
    passes."""
    for pattern, marks in ((FAILURE_CLAIM, FAILURE_MARKS), (REFUSAL, REFUSAL_MARKS),
                           (ERROR_WORDS, ERROR_MARKS), (URL_OR_EMAIL, LINK_MARKS),
                           (DATE_PATTERNS[2][1], MONTH_PREFIXES), (DATE_PATTERNS[3][1], MONTH_PREFIXES)):
        if pattern.search(text):
            assert may_contain(text, marks), (pattern.pattern, text)
    if CLAIM.search(text):
        assert _may_claim(text)


def test_non_ascii_text_without_the_literals_skips_the_patterns() -> None:
    assert not may_contain("Il fait 12 °C à Oslo.", FAILURE_MARKS)
    assert not may_contain("Il fait 12 °C à Oslo.", MONTH_PREFIXES)
    assert may_contain("Il fait 12 °C à Oſlo.", FAILURE_MARKS)  # a case twin: always searched
    assert not _may_claim("Il fait 12 °C à Oslo.")
    assert _may_claim("J’ai dit: I’ve booked it.")


def test_the_case_twins_are_every_non_ascii_character_matching_an_ascii_letter() -> None:
    letter = re.compile("[a-z]", re.I)
    assert {chr(c) for c in range(128, 0x110000) if letter.fullmatch(chr(c))} == set(CASE_TWINS)


@pytest.mark.parametrize("text", [*NON_ASCII_TEXTS, "Zürich", "e\u0301te\u0301", "ﬁne ℡ İstanbul",
                                  "한국어 ok", "ǅemal ÅNGSTRÖM", "x\u0338y"])
def test_accents_are_removed_as_before(text: str) -> None:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    assert word_list(text) == NON_WORD.sub(" ", folded).split()


@pytest.mark.parametrize("text", ["Привет мир, как дела в Oslo", "東京 is nice today",
                                  "Tokyo 東京 is nice today", "Ünïcödé wörds äre Latin", "αβγ δεζ abc",
                                  "Café au lait, très bien merci"])
def test_the_latin_script_share_is_counted_as_before(text: str) -> None:
    letters = [c for c in text if c.isalpha()]
    latin = sum(c.isascii() for c in letters) >= len(letters) / 2
    found = WORD.findall(text)
    result = garbled_text(text, found, [t.lower() for t in found], set())
    assert (result.not_run != "not mostly Latin-script text") == latin


@pytest.mark.parametrize(("text", "names"), [
    ("we met Anna Berg in the city of Oslo today.\nthen Paris and rome",
     [(["Anna", "Berg"], False), (["Oslo"], False), (["Paris"], False)]),
    ("visit the Museum of Modern Art, then lunch at noon\nBergen is rainy",
     [(["Museum", "of", "Modern", "Art"], False), (["Bergen"], False)]),
    ("in zürich Straße 5 is near the Bahnhof\n- oslo: fine\n- Bergen: wet",
     [(["Straße"], False), (["Bahnhof"], False), (["Bergen"], False)]),
    ("it rained in Oslo\nbergen stays dry and Trondheim too", [(["Oslo"], False), (["Trondheim"], False)]),
    ("1. call Priya\n2. email de la Cruz about the van Gogh tickets",
     [(["Priya"], False), (["Cruz"], False), (["Gogh"], False)]),
    ("the weather is fine ☀ in Oslo ⛅ today", [(["Oslo"], False)]),
])
def test_lower_case_words_between_names_keep_the_sentence_state(text: str, names: list[object]) -> None:
    """Names found as before the shortcut for lower-case words (a line break still starts a
    sentence, a connector still joins a run)."""
    assert proper_names(text) == names


@pytest.mark.parametrize("text", [*NON_ASCII_TEXTS, "May 3, 2024 and ſept 3rd", "SEPT. 12 or jun 1st 2024",
                                  "$45, €1,200.50 and 30 % of 12 °C", "x1 2.5 .5 1,2 3,456 ¥7 £ 8"])
def test_the_lookaheads_change_no_match(text: str) -> None:
    for pattern, lookahead in ((DATE_PATTERNS[2][1], FIRST_LETTER_OF_A_MONTH),
                               (NUMBER_PATTERN, FIRST_CHARACTER_OF_A_NUMBER)):
        general = re.compile(pattern.pattern.removeprefix(lookahead), pattern.flags)
        assert general.pattern != pattern.pattern
        assert [m.groups() + m.span() for m in pattern.finditer(text)] == [
            m.groups() + m.span() for m in general.finditer(text)]


@pytest.mark.parametrize("text", [
    'Your "Room 101" meeting with Anna Berg is on May 3, 2024 at 15:30 in Oslo (12 °C, $45, 30 %).',
    "“Q3 Review” – ÅSE, Bob and 2024-05-03 at 3 pm; 'Plan B' costs €1,200.50 and 1,250 NOK.",
    "The Museum of Modern Art, the Van Gogh Museum and St. Olav's Church: 12, 13 and 14 May.",
    "no capitals, digits or quotes here", "", "MAY 3RD ſept 4 İstanbul 07/08/2024 12:30 pm",
])
def test_every_value_has_a_digit_capital_or_quote_of_its_own(text: str) -> None:
    """Values are found only where a check reads them or there may be more than can be looked up;
    the count of those characters bounds the count of values."""
    assert len(answer_values(text)) <= _value_marks(text)


def test_more_values_than_can_be_looked_up_are_recorded_without_tool_results() -> None:
    answer = "Free rooms: " + ", ".join(str(n) for n in range(100, 400)) + "."
    verdict = GenericOutputChecker().check(Trajectory(id="t", messages=[
        Message(role="user", content="Which rooms?"), Message(role="assistant", content=answer)],
        output=answer))
    assert verdict.details["capped"] == [f"values: first {MAX_VALUES} of 300 looked up"]
    few = GenericOutputChecker().check(Trajectory(id="t", messages=[Message(role="user", content="?")],
                                                  output="Room 101 is booked."))
    assert "capped" not in few.details
