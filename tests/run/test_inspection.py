"""Streaming dataset statistics: equal to a whole-dataset computation, chunk by chunk, and in bounded
memory on a canonical JSONL file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from synae.config import Config, load_config
from synae.errors import DataError
from synae.examples import example_path
from synae.presets import detect_preset, get_preset
from synae.presets.base import Preset, stored_attribute_values
from synae.run.commands import load_input
from synae.run.inputs import streaming
from synae.run.inputs.streaming import streams
from synae.run.inspection import dataset_stats, inspect_input
from synae.schema import ROLES, Dataset, Trajectory, write_jsonl


def _counts(labels: list[list[str]]) -> dict[str, int]:
    counter = Counter(label for item in labels for label in item)
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _summary(v: list[float]) -> dict[str, float]:
    return {"n": len(v), "mean": sum(v) / len(v), "min": min(v), "max": max(v)}


def whole_dataset_stats(dataset: Dataset, preset: Preset, options: Any) -> dict[str, Any]:
    """The oracle: the former one-shot computation of ``synae inspect`` over a list of trajectories."""
    trajs = dataset.trajectories
    roles = Counter(m.role for t in trajs for m in t.messages)
    names = Counter(c.function.name for t in trajs for m in t.messages for c in m.tool_calls or ())
    attributes: dict[str, Any] = {}
    numeric: dict[str, Any] = {}
    for name in (*preset.am_attributes, *preset.output_am_attributes):
        values = preset.attribute_values(trajs, name, options)
        if values.kind == "categorical":
            attributes[name] = _counts(values.values)
        elif values.values:
            numeric[name] = _summary(values.values)
    for name in dict.fromkeys(k for t in trajs for k in t.attributes):
        if name in attributes or name in numeric:
            continue
        values = stored_attribute_values(trajs, name)
        if values.kind == "categorical":
            attributes[name] = _counts(values.values)
        elif values.values:
            numeric[name] = _summary(values.values)
    return {"n": len(trajs), "messages": {r: roles[r] for r in ROLES}, "tool_calls": sum(names.values()),
            "unparsed_tool_calls": sum(1 for t in trajs for m in t.messages
                                       if m.metadata and "parse_error" in m.metadata),
            "tool_names": dict(sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))),
            "with_output": sum(1 for t in trajs if t.output is not None),
            "attributes": attributes, "numeric": numeric}


def _traj(i: int, **attributes: Any) -> Trajectory:
    calls = [{"id": f"c{i}", "function": {"name": f"tool_{i % 3}", "arguments": "{}"}}]
    return Trajectory.model_validate({
        "id": str(i), "attributes": attributes,
        "messages": [{"role": "user", "content": f"question {i} " * (i % 4 + 1)},
                     {"role": "assistant", "tool_calls": calls},
                     {"role": "tool", "tool_call_id": f"c{i}", "content": "ok"},
                     {"role": "assistant", "content": f"answer {i}"}]})


def _mixed_dataset(n: int = 2600) -> Dataset:
    """More than two chunks; attributes numeric, categorical, multi-label, sometimes missing, and one
    (``mixed``) that is numeric for 2,500 records before a string appears."""
    trajs = []
    for i in range(n):
        attrs: dict[str, Any] = {"score": i * 0.37, "topic": ["a", "b", "c"][i % 3],
                                 "tags": [f"t{i % 2}", "x"] if i % 5 else [],
                                 "mixed": i % 7 if i < 2500 else "text"}
        if i % 11 == 0:
            attrs["rare"] = True
        trajs.append(_traj(i, **attrs))
    return Dataset(trajs, name="mixed")


def _keys(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: stats[k] for k in ("n", "messages", "tool_calls", "unparsed_tool_calls", "tool_names",
                                  "with_output", "attributes", "numeric")}


@pytest.mark.parametrize("preset_name", ["generic", "t1"])
def test_chunked_stats_equal_the_whole_dataset_computation(preset_name):
    dataset = _mixed_dataset()
    preset = get_preset(preset_name)
    options = Config().metrics
    stats = dataset_stats(dataset, preset, options)
    assert _keys(stats) == whole_dataset_stats(dataset, preset, options)
    assert stats["attributes"]["mixed"]["text"] == 100  # the second pass counted the numbers' labels too
    assert stats["attributes"]["rare"]["None"] == 2600 - 237


def test_example_file_streams_with_the_same_statistics(tmp_path):
    config = load_config()
    path = example_path("t1-tiny")
    assert streams(path, config)
    streamed, header = inspect_input(path, config, name="t1-tiny")
    assert header.trajectories == []
    dataset = load_input(path, config, name="t1-tiny")
    preset = get_preset(detect_preset(dataset))
    assert streamed["preset"] == preset.name
    assert _keys(streamed) == whole_dataset_stats(dataset, preset, config.metrics)
    assert streamed["warnings"] == len(dataset.warnings)
    assert streamed["name"] == "t1-tiny" and streamed["format"] == "canonical"


def test_streaming_counts_skipped_records_and_keeps_the_first_reasons(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = [_traj(i).to_json() for i in range(5)]
    lines = [good[0], "{not json", good[1], '{"id": "x"}', good[2], "[]", *good[3:]]
    path.write_text("\n".join(lines) + "\n")
    config = load_config(inputs={"skip_invalid": True})
    stats, header = inspect_input(path, config)
    assert stats["n"] == 5 and stats["n_skipped"] == 3 and header.n_skipped == 3
    assert len(stats["skipped"]) == 3 and "line 2" in stats["skipped"][0]
    with pytest.raises(DataError, match="line 2"):
        inspect_input(path, load_config())


def test_all_records_skipped_is_an_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "", "messages": []}\n{"id": "", "messages": []}\n')
    with pytest.raises(DataError, match="every record"):
        inspect_input(path, load_config(inputs={"skip_invalid": True}))


def test_sorted_or_tabular_input_is_loaded_whole(tmp_path):
    path = tmp_path / "d.jsonl"
    write_jsonl(_mixed_dataset(30), path)
    assert not streams(path, load_config(inputs={"sort": "str_id"}))
    stats, header = inspect_input(path, load_config(inputs={"sort": "str_id"}))
    assert len(header.trajectories) == 30 and stats["n"] == 30
    streamed, _ = inspect_input(path, load_config())
    assert _keys(streamed) == _keys(stats)


def test_streaming_pass_memory_does_not_grow_with_n(tmp_path):
    """Peak RSS of a child process inspecting 3,000 vs 12,000 trajectories differs by far less than
    holding the trajectories would take (the whole-dataset path grows ~4x)."""
    def peak_kb(n: int) -> int:
        path = tmp_path / f"d{n}.jsonl"
        write_jsonl((_traj(i, score=i, topic=str(i % 5)) for i in range(n)), path)
        code = ("import resource, sys; from pathlib import Path; from synae.config import load_config; "
                "from synae.run.inspection import inspect_input; "
                "s, _ = inspect_input(Path(sys.argv[1]), load_config()); assert s['n'] == int(sys.argv[2]); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", code, str(path), str(n)], check=True, capture_output=True,
                             text=True)
        return int(out.stdout.strip())

    small, large = peak_kb(3000), peak_kb(12000)
    assert large - small < 15_000, (small, large)  # < 15 MB for 9,000 more trajectories


def test_chunk_size_does_not_change_the_result(monkeypatch):
    dataset = _mixed_dataset(700)
    preset = get_preset("generic")
    expected = dataset_stats(dataset, preset, Config().metrics)
    monkeypatch.setattr(streaming, "CHUNK", 64)
    assert json.dumps(dataset_stats(dataset, preset, Config().metrics)) == json.dumps(expected)


def test_a_bad_record_at_the_start_of_a_json_array_is_reported_before_reading_the_rest(tmp_path) -> None:
    """Preset detection no longer reads the whole file with bad records skipped: the record is
    reported as it is read (the garbage at the end of the file is never reached)."""
    import json

    import pytest

    from synae.config import Config
    from synae.errors import DataError
    from synae.run.inspection import inspect_input

    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    bad = {"messages": [{"role": "robot", "content": "beep"}]}
    path = tmp_path / "chats.json"
    path.write_text("[" + ", ".join([json.dumps(good)] * 3 + [json.dumps(bad)] + [json.dumps(good)] * 50)
                    + ", {broken")
    with pytest.raises(DataError) as info:
        inspect_input(path, Config())
    assert "robot" in str(info.value) or "role" in str(info.value)
    assert "broken" not in str(info.value) and "malformed" not in str(info.value)
