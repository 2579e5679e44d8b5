"""The shortcuts of the generic rule checks give the results of the general rules they skip:
hand-written edge cases (non-ASCII text, letter runs, status-only texts, calls whose arguments were
not captured) read both ways."""

from __future__ import annotations

import pytest

from synae.schema import FunctionCall, Message, ToolCall, Trajectory
from synae.validity.rules.answer_values import (
    QUOTED,
    WORD,
    Evidence,
    answer_values,
    decoded,
    json_leaves,
    proper_names,
    word_list,
    word_set,
)
from synae.validity.rules.generic import GenericToolCallChecker
from synae.validity.rules.output_checks import (
    NON_CONTENT_KEY,
    NOT_PRONOUNCEABLE,
    PASSED,
    STATUS_WORDS,
    VOWELS,
    Exchange,
    _non_content_key,
    _odd_words,
    content_values,
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
    "rhythms in Oslo", "", "AAAA BBBB", "a e i o u y yyyy",
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
