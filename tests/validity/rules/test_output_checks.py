"""The generic answer checks (validity/rules/output_checks.py through ``GenericOutputChecker``) on
hand-written OpenAI-chat traces: each corruption is caught by the right check with a message that
quotes it, consistent answers pass, and checks that cannot apply are *not run*."""

from __future__ import annotations

import json
from typing import Any

import pytest

from synae.adapters import load_dataset
from synae.schema import Trajectory
from synae.validity.rules.generic import OUTPUT_CHECKS, GenericOutputChecker
from synae.validity.rules.output_checks import MAX_ANSWER_CHARS
from synae.validity.verdict import Verdict

WEATHER = {"city": "Oslo", "temperature_c": 12, "conditions": "cloudy", "humidity": 0.81}
EVENT_OK = {"status": "ok", "event_id": "evt_881"}


def trace(answer: str | None, *, user: str = "What's the weather in Oslo right now?",
          calls: list[tuple[str, dict[str, Any], Any]] | None = None, system: str | None = None,
          tools: bool = False) -> dict[str, Any]:
    """One OpenAI-chat record: system/user, one assistant turn with ``calls`` (name, arguments,
    result; result ``None`` = no tool message), the tool results, then ``answer``."""
    calls = [("get_weather", {"city": "Oslo"}, WEATHER)] if calls is None else calls
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": user})
    if calls:
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"c{i}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(arguments)}}
            for i, (name, arguments, _) in enumerate(calls)]})
        messages += [{"role": "tool", "tool_call_id": f"c{i}",
                      "content": result if isinstance(result, str) else json.dumps(result)}
                     for i, (_, _, result) in enumerate(calls) if result is not None]
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    record: dict[str, Any] = {"messages": messages}
    if tools:
        record["tools"] = [{"type": "function", "function": {"name": "create_event", "parameters": {
            "type": "object", "properties": {"title": {"type": "string"}}}}}]
    return record


def check(record: dict[str, Any]) -> Verdict:
    [traj] = load_dataset([{"id": "t", **record}], "openai").trajectories
    return GenericOutputChecker().check(traj)


def assert_caught(verdict: Verdict, check_name: str, *quoted: str) -> None:
    assert verdict.valid is False
    assert check_name in verdict.reasons and verdict.details["checks"][check_name] == "failed"
    message = " ".join(verdict.details[check_name])
    for text in quoted:
        assert text in message, message


CALENDAR_USER = "Please add lunch with Priya on May 3, 2024 at 12:30 to my calendar."
CREATE_LUNCH = ("create_event", {"title": "Lunch with Priya", "start": "2024-05-03T12:30:00"}, EVENT_OK)


def test_a_temperature_the_tool_never_returned() -> None:
    verdict = check(trace("It is 25 °C and cloudy in Oslo."))
    assert_caught(verdict, "ungrounded_values", "'25 °C'")
    assert verdict.reasons == ["ungrounded_values"]


def test_another_city() -> None:
    verdict = check(trace("It is 12 °C and cloudy in Bergen."))
    assert_caught(verdict, "ungrounded_values", "name 'Bergen'")
    as_the_subject = check(trace("Bergen is cloudy at 12 °C right now."))
    assert_caught(as_the_subject, "ungrounded_values", "name 'Bergen'")
    as_a_label = check(trace("Current weather\n- Bergen: 12 °C, cloudy"))
    assert_caught(as_a_label, "ungrounded_values", "name 'Bergen'")


def test_an_apology_after_a_successful_call() -> None:
    verdict = check(trace("Sorry, something went wrong."))
    assert_caught(verdict, "ignores_tool_results", "'Sorry, something went wrong.'", "get_weather()")
    assert verdict.reasons == ["ignores_tool_results"]


def test_done_after_a_lookup() -> None:
    verdict = check(trace("Done."))
    assert_caught(verdict, "ignores_tool_results", "'Done.'", "carries nothing")
    after_an_action = check(trace("Done.", user=CALENDAR_USER, calls=[CREATE_LUNCH]))
    assert_caught(after_an_action, "ignores_tool_results", "'Done.'", "create_event()")


def test_an_apology_after_an_action_that_succeeded() -> None:
    verdict = check(trace("Sorry, something went wrong. Please try again later.", user=CALENDAR_USER,
                          calls=[CREATE_LUNCH]))
    assert_caught(verdict, "ignores_tool_results", "reports a failure ('something went wrong')",
                  "create_event() succeeded")


def test_an_answer_cut_off_mid_sentence() -> None:
    verdict = check(trace("It is 12 °C and cloudy in Oslo, so you might want to take a"))
    assert_caught(verdict, "truncated", "take a'", "function word 'a'")
    assert verdict.reasons == ["truncated"]
    cut_mid_word = check(trace("It is 12 °C in Oslo and the sky is cloudy with some clou"))
    assert_caught(cut_mid_word, "truncated", "mid-word ('clou')")
    cut_after_a_sentence = check(trace("It is 12 °C in Oslo. The sky is cloudy with a light breeze from"))
    assert_caught(cut_after_a_sentence, "truncated", "breeze from'")
    cut_on_a_full_word = check(trace("It is 12 °C in St. Louis. The sky over the river is cloudy today"))
    assert_caught(cut_on_a_full_word, "truncated", "the last sentence has no end")


def test_another_conversations_answer() -> None:
    verdict = check(trace("Your flight to Tokyo departs on March 14 at 9:40 from Narita Airport."))
    assert_caught(verdict, "ungrounded_values", "'Tokyo'", "'March 14'", "'9:40'", "'Narita Airport'")
    assert_caught(verdict, "ignores_tool_results", "carries nothing from the calls and results")


def test_reversed_words() -> None:
    verdict = check(trace(".olsO ni ydwolc dna C° 21 si tI"))
    assert_caught(verdict, "garbled_text", "read as words only backwards", "olso")


def test_keyboard_mash_is_not_words() -> None:
    verdict = check(trace("Xkcdq zzpltr in Oslo bcdfgh qwrtzp", calls=[]))
    assert_caught(verdict, "garbled_text", "are not words", "xkcdq")


def test_a_booking_that_was_never_made() -> None:
    verdict = check(trace("I've booked the Design review for May 3.", user="Am I free on May 3?",
                          calls=[("list_events", {"date": "2024-05-03"},
                                  {"events": [{"title": "Design review"}]})]))
    assert_caught(verdict, "unsupported_action_claim", "claims 'booked'", "list_events()")
    assert verdict.reasons == ["unsupported_action_claim"]


def test_a_claim_without_any_call_when_tools_are_declared() -> None:
    verdict = check(trace("I have added lunch with Priya to your calendar.", user=CALENDAR_USER, calls=[],
                          tools=True))
    assert_caught(verdict, "unsupported_action_claim", "claims 'added'", "calls: none")


def test_a_claim_that_contradicts_the_result() -> None:
    failed = ("delete_event", {"title": "Standup"}, {"error": "Event not found"})
    verdict = check(trace("The Standup event has been deleted.", user="Delete my Standup event.",
                          calls=[failed]))
    assert_caught(verdict, "unsupported_action_claim", "claims 'deleted'", "delete_event() returned an error",
                  "Event not found")
    success = check(trace("All set, your event was handled successfully.", user=CALENDAR_USER,
                          calls=[("create_event", {"title": "Lunch"}, "Error: calendar is read-only")]))
    assert_caught(success, "unsupported_action_claim", "reports success", "calendar is read-only")


CONSISTENT = [
    trace("It is 12 °C and cloudy in Oslo right now."),
    trace("Right now Oslo is cloudy, about 12 degrees Celsius, with 81% humidity."),
    trace("Expect clouds in Oslo today: the temperature is around 54 °F (12 °C)."),
    trace("Yes, bring a jacket: it's cloudy and only 12 degrees.", user="Do I need a jacket in Oslo?"),
    trace("It's about 72 degrees and sunny in Austin this afternoon.", user="Weather in Austin, TX?",
          calls=[("get_weather", {"city": "Austin", "state": "TX"},
                  {"temp_f": 71.6, "sky": "sunny", "time": "2024-06-01T15:00:00"})]),
    trace("Lunch with Priya is in your calendar for May 3 at 12:30 pm.", user=CALENDAR_USER,
          calls=[CREATE_LUNCH]),
    trace("I've added \"Lunch with Priya\" to your calendar on Friday, 3 May 2024 at 12:30.",
          user=CALENDAR_USER, calls=[CREATE_LUNCH]),
    trace("Done! Your lunch with Priya has been scheduled for 12:30 on 05/03/2024.", user=CALENDAR_USER,
          calls=[CREATE_LUNCH]),
    trace("You have 2 events tomorrow: Standup at 9:00 am and Design Review at 2 pm.",
          user="What's on my calendar tomorrow?",
          calls=[("list_events", {"date": "2024-05-04"},
                  {"events": [{"title": "Standup", "start": "2024-05-04T09:00"},
                              {"title": "Design review", "start": "2024-05-04T14:00"}]})]),
    trace("Your Standup on May 6 has been cancelled.", user="Cancel Monday's standup (May 6).",
          calls=[("cancel_event", {"title": "Standup", "date": "2024-05-06"}, {"status": "cancelled"})]),
    trace("I sent the agenda to Maria Lopez.", user="Email the agenda to maria@example.com",
          calls=[("send_email", {"to": "maria@example.com", "subject": "Agenda"},
                  {"delivered": True, "recipient_name": "Maria Lopez"})]),
    trace("The flight costs $1,249.50 and leaves at 7:05 am from Terminal 2.",
          user="How much is the morning flight to Lisbon?",
          calls=[("search_flights", {"to": "Lisbon"},
                  {"price": 1249.5, "departure": "07:05", "terminal": "2"})]),
    trace("There are no events on your calendar on Sunday.", user="Anything on Sunday?",
          calls=[("list_events", {"date": "2024-05-05"}, {"events": []})]),
    trace("No, it will not rain in Oslo: the chance is 10%.", user="Will it rain in Oslo?",
          calls=[("get_forecast", {"city": "Oslo"}, {"precipitation_probability": 0.1})]),
    trace("**Oslo Weather Update**\n- Temperature: 12 °C\n- Conditions: cloudy\n- Humidity: 81%"),
    trace("Today is cloudy in Oslo.\n| City | Temp |\n|---|---|\n| Oslo | 12 °C |"),
    trace("It is 12 °C and cloudy in Oslo. Full forecast: https://met.example.com/oslo/cloud"),
    trace("It is 20 °C in Zurich. Source: https://wx.example.com/bcdfgh/qwrtzp", user="Weather in Zürich?",
          calls=[("get_weather", {"city": "Zürich"}, {"temp_c": 20})]),
    trace("Sure! Oslo is currently cloudy with a temperature of 12°C.",
          system="You are a helpful assistant. Today is 2024-05-03."),
]


@pytest.mark.parametrize("record", CONSISTENT, ids=range(len(CONSISTENT)))
def test_consistent_traces_are_not_flagged(record: dict[str, Any]) -> None:
    verdict = check(record)
    assert verdict.valid is True, verdict.details
    ran = [c for c, state in verdict.details["checks"].items() if state != "not_run"]
    assert "empty_output" in ran and "garbled_text" in ran


def test_every_verdict_lists_every_check() -> None:
    verdict = check(trace("It is 12 °C and cloudy in Oslo."))
    assert list(verdict.details["checks"]) == list(OUTPUT_CHECKS)
    assert set(verdict.details["checks"].values()) == {"passed"} and verdict.details["not_run"] == {}


def test_without_tool_results_the_tool_checks_do_not_run() -> None:
    plain = check(trace("Oslo is usually cloudy and about 12 degrees in May.", calls=[]))
    assert plain.valid is True
    assert plain.details["not_run"] == {
        "ungrounded_values": "no tool results: the answer may rest on the model's own knowledge",
        "ignores_tool_results": "no tool results",
        "unsupported_action_claim": "no tool calls or tool definitions"}
    unanswered = check(trace("It is 12 °C in Oslo and 9 °C in Bergen.",
                             calls=[("get_weather", {"city": "Oslo"}, WEATHER),
                                    ("get_weather", {"city": "Bergen"}, None)]))
    assert unanswered.details["checks"]["ungrounded_values"] == "not_run"
    assert unanswered.details["not_run"]["ungrounded_values"] == (
        "1 tool call(s) without a result: the answer may quote them")
    assert unanswered.details["checks"]["unsupported_action_claim"] == "passed"


def test_an_exchange_of_statuses_and_ids_need_not_be_carried() -> None:
    verdict = check(trace("All done, the cache is cleared.", user="Clear the cache.",
                          calls=[("clear_cache", {}, {"ok": True, "request_id": "r-17"})]))
    assert verdict.valid is True
    assert verdict.details["not_run"] == {
        "ignores_tool_results": "the tool calls and results carry only statuses and ids"}
    short = check(trace("Done.", user="Clear the cache.", calls=[("clear_cache", {}, {"ok": True})]))
    assert short.valid is True
    assert short.details["not_run"]["truncated"] == "fewer than 3 words"


def test_no_output_runs_only_empty_output() -> None:
    record = trace(None)
    verdict = check(record)
    assert verdict.valid is False and verdict.reasons == ["empty_output"]
    assert set(verdict.details["not_run"].values()) == {"no output"}
    assert len(verdict.details["not_run"]) == len(OUTPUT_CHECKS) - 1


def test_a_long_answer_is_examined_up_to_the_cap() -> None:
    answer = "It is 12 °C and cloudy in Oslo. " * 200 + "Later it will be 31 °C in Bergen."
    verdict = check(trace(answer))
    assert verdict.valid is True
    assert verdict.details["capped"] == [
        f"answer: first {MAX_ANSWER_CHARS} of {len(answer)} characters examined"]


def test_long_tool_results_are_read_up_to_the_cap() -> None:
    listing = json.dumps({"conditions": "cloudy", "log": "x" * 250_000, "temperature_c": 12})
    verdict = check(trace("It is cloudy in Oslo.", calls=[("get_weather", {"city": "Oslo"}, listing)]))
    assert verdict.valid is True
    assert verdict.details["capped"] == ["evidence: first 200000 characters of the trajectory's texts used"]


def test_the_generic_preset_uses_the_answer_checks() -> None:
    from synae.presets.generic import GenericPreset

    [traj] = load_dataset([{"id": "t", **trace("It is 25 °C in Oslo.")}], "openai").trajectories
    checkers = GenericPreset().rule_checkers()
    output = next(c for c in checkers if c.target == "output")
    [verdict] = output.check_all([traj])
    assert verdict.reasons == ["ungrounded_values"]
    assert isinstance(traj, Trajectory)


def test_numbers_too_long_for_a_float_neither_crash_nor_ground_a_small_number() -> None:
    """A run of 400 digits in a tool result and in the answer overflowed int() before."""
    from synae.schema import FunctionCall, Message, ToolCall, Trajectory
    from synae.validity.rules.generic import GenericOutputChecker

    huge = "9" * 400
    call = ToolCall(id="c", function=FunctionCall(name="get_balance", arguments="{}"))
    messages = [Message(role="user", content="What is my balance?"),
                Message(role="assistant", tool_calls=[call]),
                Message(role="tool", tool_call_id="c", content=f'{{"balance": {huge}}}')]
    same = Trajectory(id="same", messages=messages, output=f"Your balance is {huge} euros.")
    other = Trajectory(id="other", messages=messages, output="Your balance is 12 euros.")
    verdicts = GenericOutputChecker().check_all([same, other])
    assert verdicts[0].valid is True
    assert verdicts[1].valid is False and "ungrounded_values" in verdicts[1].reasons


def test_prechecks_keep_the_values_of_texts_without_digits_or_in_capitals() -> None:
    """Patterns are skipped only where they cannot match: a text without digits still has titles and
    names; a month name or a failure phrase in capitals is still found."""
    no_digits = check(trace('Your "Budget Review" is with Ingrid in Bergen.'))
    assert_caught(no_digits, "ungrounded_values", "title 'Budget Review'", "name 'Ingrid'", "name 'Bergen'")
    month = check(trace("Oslo stays cloudy until MAY 3RD.", user="Weather in Oslo on 2024-05-04?"))
    assert_caught(month, "ungrounded_values", "date 'MAY 3RD'")
    failure = check(trace("TECHNICAL DIFFICULTIES: please ask again."))
    assert_caught(failure, "ignores_tool_results", "reports a failure ('TECHNICAL DIFFICULTIES')")


def test_claims_in_capitals_or_with_verbs_without_ed_are_found() -> None:
    """The claim precheck looks for ``ed`` or a verb form without it (*sent*, *paid*), in any case."""
    shouted = check(trace("I'VE BOOKED A TABLE IN OSLO FOR TONIGHT."))
    assert_caught(shouted, "unsupported_action_claim", "claims 'booked'", "get_weather()")
    sent = check(trace("I sent the Oslo forecast to Priya."))
    assert_caught(sent, "unsupported_action_claim", "claims 'sent'")


def test_unpronounceable_words_with_vowels_are_found_in_any_case() -> None:
    """The precheck on the lower-cased answer still finds a letter four times in a row in mixed case
    and six consonants in a row inside a word that has vowels."""
    verdict = check(trace("EeeEk ptkrstav in Oslo okay", calls=[]))
    assert_caught(verdict, "garbled_text", "are not words", "'eeeek ptkrstav'")


def test_a_month_written_with_a_long_s_is_september() -> None:
    """``ſ`` (long s) matches ``s`` in the case-insensitive month pattern: ``ſept 3`` is read as
    September 3 (it raised StopIteration before, costing the verdict)."""
    grounded = check(trace("Your trip is on ſept 3.", user="When is my trip?",
                           calls=[("get_trip", {}, {"date": "2024-09-03"})]))
    assert grounded.valid is True and grounded.details["checks"]["ungrounded_values"] == "passed"
    other_day = check(trace("Your trip is on ſept 4.", user="When is my trip?",
                            calls=[("get_trip", {}, {"date": "2024-09-03"})]))
    assert_caught(other_day, "ungrounded_values", "date 'ſept 4'")


def test_letter_runs_and_cut_function_words_are_found_without_the_evidence() -> None:
    """A vowel four times in a row makes a word unpronounceable even in an answer without four
    consonants in a row; a last word that only a function word continues ("… wh") is cut short
    although no word of the answer or the evidence starts with it."""
    vowels = check(trace("Saaaaw grooooss cloudy in Oslo", calls=[]))
    assert_caught(vowels, "garbled_text", "2 of 5 words are not words", "'saaaaw grooooss'")
    cut = check(trace("It is 12 °C and cloudy in Oslo today, wh", user="Oslo weather now?"))
    assert_caught(cut, "truncated", "mid-word ('wh')")
    assert cut.reasons == ["truncated"]


def test_claimed_verbs_next_to_punctuation_or_in_unicode_text_are_found() -> None:
    """The claim precheck reads the answer's words: a verb before a comma is a word of it, and an
    answer with non-ASCII characters is always searched."""
    comma = check(trace("Done: I've booked, as asked, a table in Oslo."))
    assert_caught(comma, "unsupported_action_claim", "claims 'booked'")
    curly = check(trace("I’ve booked a table at Café Oslo."))
    assert_caught(curly, "unsupported_action_claim", "claims 'booked'")
