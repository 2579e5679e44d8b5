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
