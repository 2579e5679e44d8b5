"""Size budgets of reading (synae.schema.ReadLimits): an oversized record is an error of that
record (skippable), a malformed JSON array element is reported when it is read, and a gzip bomb
stops at the decompressed-size bound."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import synae.adapters.common as common
from synae.adapters import load_dataset
from synae.errors import DataError
from synae.schema import ReadLimits, reading_limits


def record(i: int, text: str = "hi") -> dict:
    return {"id": f"r{i}", "messages": [{"role": "user", "content": text}]}


def test_a_jsonl_line_over_the_record_budget_is_an_error_of_that_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [json.dumps(record(1)), json.dumps(record(2, "x" * 5000)), json.dumps(record(3))]
    path.write_text("\n".join(lines) + "\n")
    with reading_limits(ReadLimits(max_record_bytes=1000)):
        with pytest.raises(DataError, match=r"line 2: record is 50\d\d bytes, over the limit of 1000 "):
            load_dataset(path)
        ds = load_dataset(path, skip_invalid=True)
    assert [t.id for t in ds] == ["r1", "r3"] and ds.n_skipped == 1
    assert len(load_dataset(path)) == 3  # the default budget (16 MiB) takes it


def test_a_csv_row_over_the_record_budget_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "acp.csv"
    path.write_text(f"id,context,question,answer\n1,ctx,q?,yes\n2,{'c' * 3000},q?,no\n3,ctx,q?,no\n")
    with reading_limits(ReadLimits(max_record_bytes=1000)):
        with pytest.raises(DataError, match=r"acp\.csv: row 2: record is 30\d\d bytes"):
            load_dataset(path, fmt="acp")
        assert load_dataset(path, fmt="acp", skip_invalid=True).n_skipped == 1


def test_a_malformed_array_element_is_reported_when_read(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.json"
    good = [json.dumps(record(i)) for i in range(1, 11)]
    tail = ",\n".join(json.dumps(record(i)) for i in range(12, 20_000))
    path.write_text("[\n" + ",\n".join(good) + ',\n{"id": "r11", "messages": [oops]},\n' + tail + "\n]\n")
    monkeypatch.setattr(common, "JSON_BLOCK", 4096)
    blocks: list[int] = []
    fill = common._ArrayReader._fill

    def counted(self: common._ArrayReader, fh: common._Readable) -> None:
        blocks.append(1)
        fill(self, fh)

    monkeypatch.setattr(common._ArrayReader, "_fill", counted)
    with pytest.raises(DataError, match=r"big\.json: line 12: malformed JSON \(Expecting value\)"):
        load_dataset(path)
    assert path.stat().st_size > 250 * 4096 and len(blocks) < 5  # not the whole file


def test_values_cut_by_a_block_boundary_still_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "JSON_BLOCK", 7)  # every literal, escape and number is cut somewhere
    records = [{**record(i, "caf\u00e9 \\u00e9 \"q\""), "attributes": {"ok": True, "n": -12.5e3, "z": None}}
               for i in range(5)]
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(records))
    assert [t.attributes for t in load_dataset(path)] == [r["attributes"] for r in records]


def test_an_array_element_over_the_record_budget_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([record(1), record(2, "y" * 3_000_000)]))
    with reading_limits(ReadLimits(max_record_bytes=100_000)), \
            pytest.raises(DataError, match=r"a\.json: record 2 \(from line 1\): record is \d+ bytes, over"):
        load_dataset(path)


def test_a_gzip_bomb_stops_at_the_decompressed_size_bound(tmp_path: Path) -> None:
    lines = tmp_path / "bomb.jsonl.gz"
    with gzip.open(lines, "wb", compresslevel=1) as fh:
        fh.write((json.dumps(record(1)) + "\n").encode())
        for _ in range(12):
            fh.write(b"\n" * (1 << 20))  # 12 MiB of blank lines, a few dozen KB compressed
    with reading_limits(ReadLimits(max_decompressed_bytes=4 << 20)), \
            pytest.raises(DataError, match=r"bomb\.jsonl\.gz: decompresses to more than 4194304 bytes"):
        load_dataset(lines)
    one_line = tmp_path / "line.jsonl.gz"
    with gzip.open(one_line, "wb", compresslevel=1) as fh:
        for _ in range(12):
            fh.write(b"a" * (1 << 20))  # one 12 MiB line: never held, an error of line 1
    with reading_limits(ReadLimits(max_record_bytes=1 << 20)), \
            pytest.raises(DataError, match=r"line\.jsonl\.gz: line 1: record is 12582912 bytes"):
        load_dataset(one_line)


def _nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_a_record_nested_too_deeply_is_an_error_of_that_record_not_a_crash(tmp_path: Path) -> None:
    """3,000 levels break the JSON decoder (RecursionError) and 150 levels would break serialisation
    further on once past ~250 (fingerprints, writing): both are errors of their own record, skippable."""
    path = tmp_path / "d.jsonl"
    lines = [json.dumps(record(1)), "{\"x\": " + "[" * 3000 + "]" * 3000 + "}",
             json.dumps({**record(3), "environment": _nested(150)}), json.dumps(record(4))]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 2: malformed JSON \((nested too deeply|.*recursion)"):
        load_dataset(path, fmt="canonical")
    ds = load_dataset(path, fmt="canonical", skip_invalid=True)
    assert [t.id for t in ds] == ["r1", "r4"] and ds.n_skipped == 2
    assert any("environment is nested more than 100 levels deep" in s for s in ds.skipped)
    array = tmp_path / "d.json"
    array.write_text("[" + json.dumps(record(1)) + ", " + "[" * 3000 + "]" * 3000 + "]")
    with pytest.raises(DataError, match="nested too deeply"):
        list(common.iter_json_array(array))


def test_a_benchmark_record_nested_too_deeply_is_skippable(tmp_path: Path) -> None:
    """A BFCL question whose initial_config nests 400 levels (it loads, then breaks writing and the
    environment): an error naming its line, or a skip."""
    from synae.schema import nesting_depth

    classes = ["GorillaFileSystem"]
    question = {"id": "q1", "question": [[{"role": "user", "content": "ls"}]],
                "initial_config": {"GorillaFileSystem": _nested(400)}, "involved_classes": classes}
    ok = {"id": "q0", "question": [[{"role": "user", "content": "pwd"}]], "involved_classes": classes}
    path = tmp_path / "BFCL_v4_multi_turn_base.json"
    path.write_text(json.dumps(ok) + "\n" + json.dumps(question) + "\n")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"id": "q0", "ground_truth": [["pwd()"]]}) + "\n"
                       + json.dumps({"id": "q1", "ground_truth": [["ls()"]]}) + "\n")
    with pytest.raises(DataError, match=r"line 2: .*environment is nested more than 100 levels deep"):
        load_dataset(path, fmt="bfcl", answers=answers)
    ds = load_dataset(path, fmt="bfcl", answers=answers, skip_invalid=True)
    assert [t.id for t in ds] == ["q0"] and ds.n_skipped == 1
    assert nesting_depth(_nested(10)) == 11 and nesting_depth([[1], {"a": [2]}]) == 3
    assert nesting_depth("text") == 0
    assert nesting_depth(_nested(500), limit=100) == 101  # stops counting past the limit
