"""The canonical schema: round-trip of unknown fields, validation errors and warnings, gzip."""

from __future__ import annotations

import gc
import json
import weakref

import pytest

from synae.errors import DataError
from synae.schema import (
    Trajectory,
    check_trajectory,
    gc_paused,
    gc_relaxed,
    read_jsonl,
    to_chat_messages,
    write_jsonl,
)

RECORD = {"id": "-9007199254740993", "messages": [
    {"role": "user", "content": "hi", "x_extra": 1},
    {"role": "assistant", "content": None, "code": "f(a=1)", "metadata": {"k": "v"},
     "tool_calls": [{"id": "call_1_0", "type": "function",
                     "function": {"name": "f", "arguments": "{\"a\": 1}"}}]},
    {"role": "tool", "tool_call_id": "call_1_0", "content": "ok"}],
    "custom": {"nested": [1, 2]}, "attributes": {"n": 9007199254740993}}


def test_round_trip_keeps_unknown_fields_and_big_ints(tmp_path):
    path = tmp_path / "d.jsonl.gz"
    write_jsonl([Trajectory.model_validate(RECORD)], path)
    back = read_jsonl(path)
    assert json.loads(back[0].to_json()) == RECORD
    assert back.name == "d"


def test_absent_fields_stay_absent():
    line = Trajectory.model_validate({"id": "a", "messages": []}).to_json()
    assert json.loads(line) == {"id": "a", "messages": []}


@pytest.mark.parametrize("record", [
    RECORD, {"id": "a", "messages": []},
    {"id": "é", "messages": [{"role": "user", "content": "Zürich 東京 \u2028"}], "attributes": {"x": "ß"}}])
def test_to_json_bytes_is_to_json_in_utf8(record):
    traj = Trajectory.model_validate(record)
    assert traj.to_json_bytes() == traj.to_json().encode("utf-8")


def test_to_chat_messages_strips_extensions():
    chat = to_chat_messages(Trajectory.model_validate(RECORD).messages)
    assert "code" not in chat[1] and "metadata" not in chat[1] and chat[1]["content"] is None
    assert chat[2] == {"role": "tool", "content": "ok", "tool_call_id": "call_1_0"}


@pytest.mark.parametrize("mutate, field", [
    (lambda r: r["messages"][0].update(tool_calls=[]), "messages[0].tool_calls"),
    (lambda r: r["messages"][1]["tool_calls"][0]["function"].update(arguments="[1]"),
     "messages[1].tool_calls[0].function.arguments"),
    (lambda r: r["messages"][1]["tool_calls"][0]["function"].update(arguments="{bad"),
     "messages[1].tool_calls[0].function.arguments"),
    (lambda r: r["messages"][2].update(tool_call_id="nope"), "messages[2].tool_call_id"),
])
def test_schema_errors(mutate, field):
    record = json.loads(json.dumps(RECORD))
    mutate(record)
    issues = check_trajectory(Trajectory.model_validate(record))
    assert issues.errors and issues.errors[0][0] == field


def test_schema_warnings_and_reader_errors(tmp_path):
    traj = Trajectory.model_validate({"id": "w", "messages": [
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}],
        "output": " "})
    fields = [f for f, _ in check_trajectory(traj).warnings]
    assert fields == ["messages", "messages", "output"]
    path = tmp_path / "d.jsonl"
    path.write_text(traj.to_json() + "\n" + json.dumps({"id": "x", "messages": [{"role": "bot"}]}) + "\n")
    with pytest.raises(DataError, match="line 2"):
        read_jsonl(path)
    ds = read_jsonl(path, skip_invalid=True)
    assert len(ds) == 1 and ds.n_skipped == 1 and len(ds.warnings) == 3


def test_arguments_object_is_stored_as_json_text():
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": {"city": "Köln", "n": 2}}}
    traj = Trajectory.model_validate({"id": "a", "messages": [{"role": "assistant", "tool_calls": [call]}]})
    stored = traj.messages[0].tool_calls[0].function
    assert stored.arguments == '{"city": "Köln", "n": 2}'
    assert stored.parsed_arguments() == {"city": "Köln", "n": 2}
    again = Trajectory.model_validate_json(traj.to_json())
    assert again.messages[0].tool_calls[0].function.arguments == stored.arguments


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
def test_write_jsonl_is_atomic(tmp_path, name):
    traj = Trajectory.model_validate(RECORD)

    def interrupted():
        yield traj
        raise KeyboardInterrupt

    path = tmp_path / name
    with pytest.raises(KeyboardInterrupt):
        write_jsonl(interrupted(), path)
    assert list(tmp_path.iterdir()) == []
    assert write_jsonl([traj], path) == 1
    assert [t.to_json() for t in read_jsonl(path)] == [traj.to_json()]


@pytest.mark.parametrize("depth, ok", [(5, True), (99, True), (100, False)])
def test_nesting_limit_holds_whether_or_not_the_text_is_counted_shallow(tmp_path, depth, ok):
    """A line with few brackets skips the nesting walk (:func:`synae.schema.shallow_json`); one with
    more is walked; the limit is the same either way, and brackets inside strings only count extra.
    (``attributes`` is one level itself: ``{"x": <depth levels>}`` nests ``depth + 1``.)"""
    from synae.schema import MAX_NESTING, shallow_json

    nested: object = 1
    for _ in range(depth):
        nested = [nested]
    padding = "[" * MAX_NESTING  # inside a string: makes the line count as deep
    for text in ("", padding):
        record = {"id": "a", "messages": [{"role": "user", "content": text}], "attributes": {"x": nested}}
        line = json.dumps(record)
        path = tmp_path / "d.jsonl"
        path.write_text(line + "\n")
        assert shallow_json(line) is (text == "" and depth == 5)
        if ok:
            assert read_jsonl(path)[0].attributes["x"] == nested
        else:
            with pytest.raises(DataError, match="attributes is nested more than 100 levels deep"):
                read_jsonl(path)


class _Node:
    """An object that can sit in a reference cycle and be watched through a weak reference."""

    other: object = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_gc_paused_freezes_what_it_leaves_alive_inside_a_relaxed_scope_until_the_scope_ends():
    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()
    with gc_relaxed():
        assert gc.get_threshold() != before
        with gc_paused():
            assert not gc.isenabled()
            ref = _cycle()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # the survivors are not rescanned by later collections
        gc.collect()
        assert ref() is not None  # a frozen cycle waits for the scope's end
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
    gc.collect()
    assert ref() is None  # and is collected after it


def test_gc_paused_freezes_nothing_outside_a_relaxed_scope():
    with gc_paused():
        ref = _cycle()
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_gc_relaxed_leaves_an_earlier_freeze_alone():
    earlier = _cycle()  # unreachable once frozen: only a collection that sees it could free it
    gc.freeze()  # e.g. an application that froze its heap before forking workers
    try:
        frozen = gc.get_freeze_count()
        with gc_relaxed(), gc_paused():
            ref = _cycle()
        # nothing more frozen (frozen objects freed by reference counting meanwhile lower the count:
        # other threads of the test process may free some)
        assert gc.get_freeze_count() <= frozen
        gc.collect()
        assert ref() is None  # the cycle made inside was not frozen
        assert earlier() is not None  # and the earlier freeze was not undone
    finally:
        gc.unfreeze()
    gc.collect()
    assert earlier() is None


JSON_CASES = ['{"a": 1, "a": 2}', '"\\ud800"', '"\\udc00\\ud800"', "[" * 300 + "]" * 300,
              "[" * 150 + "]" * 150, " {} ", "{}x", "1e999", "-Infinity", "NaN", "-0", "0.1e-400",
              '"\\u00e9"', "", "null", "[1,]", '{"a": 1,}', "01", ".5", '"a\x01b"', '"\\u0000"',
              "9" * 4300, "9" * 4301, "\ufeff{}", "0.30000000000000004", "123456789012345678901234567890",
              '{"q": "x", "n": [1, 2.5]}']


@pytest.mark.parametrize("text", JSON_CASES)
def test_json_loads_gives_json_loads_value_or_error(text: str) -> None:
    """The same value (NaN compared as text) or the same error as ``json.loads``, also where
    pydantic-core's parser refuses what ``json.loads`` reads (lone surrogates, 300 levels)."""
    import json

    from synae.schema import json_loads

    try:
        expected: object = json.loads(text)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            json_loads(text)
        return
    assert repr(json_loads(text)) == repr(expected)
