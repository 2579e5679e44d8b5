"""Streaming input: which files stream, chunks, and a header that stays small however many bad
records and warnings go by."""

from __future__ import annotations

from pathlib import Path

import pytest

from synae.config import load_config
from synae.run.inputs.data import SKIPPED_SHOWN
from synae.run.inputs.streaming import (
    StreamHeader,
    chunked,
    detect_preset_streaming,
    stream_trajectories,
    streaming_format,
    streams,
)
from synae.schema import Dataset, Message, Trajectory, write_jsonl


def _trajs(n: int) -> list[Trajectory]:
    return [Trajectory(id=f"t{i}", messages=[Message(role="user", content=f"q{i}"),
                                             Message(role="assistant", content=f"a{i}")]) for i in range(n)]


def test_unsorted_input_files_stream(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    write_jsonl(_trajs(3), path)
    assert streams(path, load_config())
    assert not streams(path, load_config(inputs={"sort": "str_id"}))  # sorting needs every record
    table = tmp_path / "data.csv"
    table.write_text("id,transcript\n1,user: hi\n", encoding="utf-8")
    assert streaming_format(table, load_config()) == "transcript"
    assert not streams(tmp_path / "data.txt", load_config())  # not a file type synae reads


def test_chunks_keep_order_and_the_header_keeps_counts_not_every_reason(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = _jsonl_lines(_trajs(10), tmp_path)
    bad = ["{broken"] * (SKIPPED_SHOWN + 4)
    path.write_text("\n".join(good[:5] + bad + good[5:]) + "\n", encoding="utf-8")
    header = Dataset(trajectories=[], name="mixed")
    counted = StreamHeader(header)
    chunks = list(chunked(stream_trajectories(path, skip_invalid=True, dataset=header), counted, size=4))
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert [t.id for c in chunks for t in c] == [f"t{i}" for i in range(10)]
    assert chunks[0][0].output == "a0"  # outputs from the last assistant turn, as a whole-file load
    assert header.n_skipped == len(bad) and len(header.skipped) == SKIPPED_SHOWN
    assert "line 6" in header.skipped[0]


def test_drain_counts_warnings_and_keeps_the_first() -> None:
    header = Dataset(trajectories=[], name="h")
    counted = StreamHeader(header)
    header.warnings += ["first", "second"]
    counted.drain()
    header.warnings.append("third")
    counted.drain()
    assert counted.n_warnings == 3 and counted.first_warning == "first" and header.warnings == []


def test_preset_detected_from_the_lines_that_can_name_a_benchmark(tmp_path: Path) -> None:
    path = tmp_path / "bfcl.jsonl"
    trajs = _trajs(3)
    trajs[2].metadata = {"benchmark": "bfcl"}
    write_jsonl(trajs, path)
    plain = tmp_path / "plain.jsonl"
    write_jsonl(_trajs(3), plain)
    assert detect_preset_streaming(plain) == "generic"
    assert detect_preset_streaming(path) == _detect_whole(path) == "bfcl"


def _detect_whole(path: Path) -> str:
    from synae.presets import detect_preset
    from synae.schema import read_jsonl

    return detect_preset(read_jsonl(path).trajectories)


def _jsonl_lines(trajs: list[Trajectory], tmp_path: Path) -> list[str]:
    path = tmp_path / "lines.jsonl"
    write_jsonl(trajs, path)
    return path.read_text(encoding="utf-8").splitlines()


def _chat_records(tmp_path: Path) -> dict[str, Path]:
    """The same 6 conversations as OpenAI chat and ShareGPT JSON Lines, each with a bad record in
    the middle; the fourth names a benchmark in its metadata."""
    import json

    openai, sharegpt = [], []
    for i in range(6):
        call = {"id": f"c{i}", "type": "function",
                "function": {"name": "lookup", "arguments": json.dumps({"q": i})}}
        extra = {"metadata": {"benchmark": "bfcl"}} if i == 3 else {}
        openai.append({"messages": [{"role": "user", "content": f"find {i}"},
                                    {"role": "assistant", "tool_calls": [call]},
                                    {"role": "tool", "tool_call_id": f"c{i}", "content": f"r{i}"},
                                    {"role": "assistant", "content": f"answer {i}"}], **extra})
        sharegpt.append({"conversations": [{"from": "human", "value": f"find {i}"},
                                           {"from": "function_call",
                                            "value": json.dumps({"name": "lookup", "arguments": {"q": i}})},
                                           {"from": "observation", "value": f"r{i}"},
                                           {"from": "gpt", "value": f"answer {i}"}], **extra})
    paths = {}
    for fmt, records in (("openai", openai), ("sharegpt", sharegpt)):
        lines = [json.dumps(r) for r in records]
        lines.insert(2, '{"messages": "not a list", "conversations": "not a list"}')
        paths[fmt] = tmp_path / f"{fmt}.jsonl"
        paths[fmt].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def test_openai_and_sharegpt_jsonl_stream_as_they_load(tmp_path: Path) -> None:
    from synae.run.inputs.data import load_dataset

    for fmt, path in _chat_records(tmp_path).items():
        assert streaming_format(path, load_config()) == fmt
        whole = load_dataset(path, fmt, skip_invalid=True)
        header = Dataset(trajectories=[], name=fmt)
        streamed = list(stream_trajectories(path, fmt, skip_invalid=True, dataset=header))
        assert [t.model_dump() for t in streamed] == [t.model_dump() for t in whole.trajectories]
        assert [t.id for t in streamed] == ["0", "1", "3", "4", "5", "6"]  # ids by record position
        assert streamed[0].output == "answer 0" and streamed[0].messages[1].tool_calls
        assert header.n_skipped == whole.n_skipped == 1 and header.skipped == whole.skipped
        assert detect_preset_streaming(path, fmt) == "bfcl"


def test_json_arrays_and_tables_of_chat_records_stream_as_they_load(tmp_path: Path) -> None:
    """The same records as a JSON array, a Parquet table and a CSV table (``messages`` as JSON
    text): they stream (a JSON array element by element, a table row by row) to exactly the
    trajectories, skipped records and preset the whole load gives."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from synae.run.inputs.data import load_dataset

    jsonl = _chat_records(tmp_path)
    openai = [json.loads(line) for line in jsonl["openai"].read_text(encoding="utf-8").splitlines()]
    sharegpt = [json.loads(line) for line in jsonl["sharegpt"].read_text(encoding="utf-8").splitlines()]
    canonical = [{"id": f"k{i}", **{k: v for k, v in r.items() if k != "conversations"}}
                 for i, r in enumerate(openai)]
    files = {"openai": tmp_path / "openai.json", "sharegpt": tmp_path / "sharegpt.json",
             "canonical": tmp_path / "canonical.json"}
    for fmt, records in (("openai", openai), ("sharegpt", sharegpt), ("canonical", canonical)):
        files[fmt].write_text(json.dumps(records), encoding="utf-8")
    good = [r for r in openai if isinstance(r["messages"], list)]
    files["parquet"] = tmp_path / "openai.parquet"
    pq.write_table(pa.Table.from_pylist(good), files["parquet"])
    files["csv"] = tmp_path / "openai.csv"
    files["csv"].write_text("messages\n" + "".join(
        '"' + json.dumps(r["messages"]).replace('"', '""') + '"\n' for r in good), encoding="utf-8")
    for name, path in files.items():
        fmt = name if name in ("openai", "sharegpt", "canonical") else "openai"
        assert streaming_format(path, load_config()) == fmt, name
        whole = load_dataset(path, fmt, skip_invalid=True)
        header = Dataset(trajectories=[], name=name)
        streamed = list(stream_trajectories(path, fmt, skip_invalid=True, dataset=header))
        assert [t.model_dump() for t in streamed] == [t.model_dump() for t in whole.trajectories], name
        assert len(streamed) in (6, 7) and streamed[0].output == "answer 0"
        assert header.n_skipped == whole.n_skipped and header.skipped == whole.skipped
        assert detect_preset_streaming(path, fmt) == "bfcl" or name in ("parquet", "csv")


def test_inspect_and_validate_stream_openai_records(tmp_path: Path) -> None:
    from synae.presets import get_preset
    from synae.run.commands import load_input, validate_command
    from synae.run.inspection import dataset_stats, inspect_input

    path = _chat_records(tmp_path)["openai"]
    config = load_config(inputs={"skip_invalid": True}, preset="generic")
    stats, header = inspect_input(path, config)
    whole = load_input(path, config)
    expected = dataset_stats(whole, get_preset("generic"), config.metrics)
    assert header.trajectories == [] and header.format == "openai"  # streamed, nothing held
    assert {k: v for k, v in stats.items() if k != "mode"} == expected
    out = tmp_path / "verdicts.jsonl"
    outcome = validate_command(load_config(inputs={"data": path, "skip_invalid": True}, output={"out": out},
                                           validity={"checker": "rules"}, preset="generic"), progress=False)
    assert outcome.run.counts("tool_calls").n == 6 and outcome.skipped["data"]["n_skipped"] == 1
    assert len(out.read_text(encoding="utf-8").splitlines()) == 12


@pytest.mark.parametrize("name", ["t1/t1_attraction_turns_with_output.csv", "t1/t1_attraction_augmented.csv",
                                  "bfcl/BFCL_v4_multi_turn_base.json", "acp/acp_app_prog.csv",
                                  "acp/acp_app_bool.parquet"])
def test_benchmark_files_stream_as_they_load(bench_data: Path, name: str) -> None:
    """Each shipped benchmark file read record by record by its reader (T1 turn-level: grouped by
    conversation first) gives the trajectories, stored attributes, warnings and preset of the whole
    load."""
    from synae.presets import detect_preset
    from synae.run.inputs.data import load_dataset

    path = bench_data / name
    whole = load_dataset(path)
    fmt = streaming_format(path, load_config())
    assert fmt == whole.format == name.split("/")[0]
    header = Dataset(trajectories=[], name=name)
    streamed = list(stream_trajectories(path, fmt, dataset=header))
    assert [t.model_dump() for t in streamed] == [t.model_dump() for t in whole.trajectories]
    assert len(streamed) > 10 and streamed[0].attributes  # the preset's stored attributes derived
    assert sorted(header.warnings) == sorted(whole.warnings)
    assert detect_preset_streaming(path, fmt) == detect_preset(whole) == whole.format
