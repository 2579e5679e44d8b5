"""Readers that stream: JSON arrays element by element (:func:`iter_json_array`) and CSV/Parquet
tables row by row (:func:`table_rows`) give exactly what reading the whole file gives."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from synae.adapters import common
from synae.adapters.common import first_json_object, iter_json_array, read_header, table_rows
from synae.errors import DataError

ELEMENTS = [{"id": "a", "n": 12345, "s": "] , [ \" \\\\ {", "nested": [1, [2, {"x": None}]]},
            {"id": "b", "n": -0.5e-3, "t": True, "u": "caf\u00e9 \u2603"}, 7, "text", None, [], {}]


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 20])
def test_a_json_array_streams_to_the_elements_json_loads_gives(tmp_path: Path, block: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "JSON_BLOCK", block)  # blocks end inside strings, numbers, escapes
    text = "\ufeff [\n " + ",\n  ".join(json.dumps(e, ensure_ascii=False) for e in ELEMENTS) + "\n]\n"
    path = tmp_path / "records.json"
    path.write_text(text, encoding="utf-8")
    assert list(iter_json_array(path)) == ELEMENTS == json.loads(text.removeprefix("\ufeff"))
    packed = tmp_path / "records.json.gz"
    packed.write_bytes(gzip.compress(json.dumps(ELEMENTS).encode()))
    assert list(iter_json_array(packed)) == ELEMENTS
    empty = tmp_path / "empty.json"
    empty.write_text(" [ ] ", encoding="utf-8")
    assert list(iter_json_array(empty)) == []
    assert first_json_object(path) == ELEMENTS[0]


def test_a_number_at_the_end_of_a_block_is_read_whole(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "JSON_BLOCK", 4)
    path = tmp_path / "numbers.json"
    path.write_text("[123456789, 2]", encoding="utf-8")  # the first block ends inside 123456789
    assert list(iter_json_array(path)) == [123456789, 2]


@pytest.mark.parametrize(("text", "line", "message"), [
    ('[{"a": 1},\n{"a": }]', 2, "Expecting value"),
    ('[{"a": 1}\n {"a": 2}]', 2, "Expecting ',' delimiter"),
    ('[{"a": 1},\n]', 2, "Expecting value"),
    ('[{"a": 1}]\n\n[]', 3, "Extra data"),
    ('[{"a": 1},\n{"a": 2}', 2, "Expecting ',' delimiter"),
])
def test_malformed_arrays_name_the_line_after_the_good_elements(tmp_path: Path, text: str, line: int,
                                                                message: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "JSON_BLOCK", 5)
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    read = []
    with pytest.raises(DataError, match=rf"bad.json: line {line}: malformed JSON \({message}"):
        for element in iter_json_array(path):
            read.append(element)
    assert read[0] == {"a": 1}  # what came before the error was read


def test_bytes_that_are_not_utf8_stay_in_their_record(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "JSON_BLOCK", 3)
    path = tmp_path / "latin.json"
    path.write_bytes(b'[{"a": "caf\xe9"}, {"a": "ok \xc3\xa9"}]')
    first, second = iter_json_array(path)
    assert common.has_undecodable(first) and second == {"a": "ok \u00e9"}


def test_parquet_rows_stream_in_batches_as_the_table_reads(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    records = [{"id": i, "messages": [{"role": "user", "content": f"q{i}"}],
                "score": i / 3 if i % 2 else None} for i in range(10)]
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=4)
    monkeypatch.setattr(common, "PARQUET_BATCH", 3)
    rows = list(table_rows(path))
    assert [r.cells for r in rows] == pq.read_table(path).to_pylist()
    assert [r.number for r in rows] == list(range(1, 11)) and read_header(path) == ["id", "messages", "score"]
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"broken\.parquet: not a readable Parquet file"):
        list(table_rows(broken))


def test_csv_rows_stream_and_a_short_row_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,text\n1,a\n\n2,\"b, c\"\n3\n", encoding="utf-8")
    rows = table_rows(path)
    assert next(rows).cells == {"id": "1", "text": "a"}
    assert next(rows).cells == {"id": "2", "text": "b, c"}  # the blank line is skipped
    short = next(rows)
    assert short.cells == {"id": "3", "text": ""}
    with pytest.raises(DataError, match=r"t\.csv: row 4: has 1 fields, the header has 2"):
        short.check(str(path))
