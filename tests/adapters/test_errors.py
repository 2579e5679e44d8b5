"""Hand-made malformed inputs give a DataError naming the file, the record and the field;
``skip_invalid`` skips such records and counts them."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synae.adapters import detect_format, load_dataset
from synae.errors import DataError

GOOD = {"id": "a", "messages": [{"role": "user", "content": "hi"}]}


def write_lines(path, *lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def error_of(path, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        load_dataset(path, **kwargs)
    return info.value


def test_canonical_malformed_line(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", json.dumps(GOOD), '{"id": "b", "messages": [')
    err = error_of(path)
    assert err.source == str(path) and err.location == "line 2" and "malformed JSON" in str(err)


def test_canonical_unknown_role(tmp_path):
    bad = {"id": "b", "messages": [{"role": "robot", "content": "x"}]}
    err = error_of(write_lines(tmp_path / "d.jsonl", json.dumps(GOOD), json.dumps(bad)))
    assert err.location == "line 2" and err.field == "messages.0.role"


def test_canonical_wrong_type(tmp_path):
    bad = {"id": 7, "messages": []}
    err = error_of(write_lines(tmp_path / "d.jsonl", json.dumps(bad)))
    assert err.location == "line 1" and err.field == "id"


def test_canonical_duplicate_id_and_skip_invalid(tmp_path):
    bad_role = {"id": "c", "messages": [{"role": "robot", "content": "x"}]}
    path = write_lines(tmp_path / "d.jsonl", json.dumps(GOOD), json.dumps(GOOD), "not json",
                       json.dumps(bad_role),
                       json.dumps({**GOOD, "id": "d"}))
    assert "duplicate id" in str(error_of(path))
    ds = load_dataset(path, skip_invalid=True)
    assert [t.id for t in ds] == ["a", "d"] and ds.n_skipped == 3
    assert any("line 3" in s for s in ds.skipped)


def test_empty_files(tmp_path):
    for name in ("e.jsonl", "e.csv"):
        (tmp_path / name).write_text("", encoding="utf-8")
        err = error_of(tmp_path / name)
        assert "empty" in str(err) and err.source == str(tmp_path / name)
    (tmp_path / "h.csv").write_text("ID,Data,Tool Call,Output\n", encoding="utf-8")
    assert "no records" in str(error_of(tmp_path / "h.csv"))


def test_openai_missing_messages_and_bad_role(tmp_path):
    path = write_lines(tmp_path / "chat.jsonl", json.dumps({"messages": [{"role": "user", "content": "x"}]}),
                       json.dumps({"messages": [{"role": "narrator", "content": "x"}]}))
    err = error_of(path)
    assert err.location == "line 2" and err.field == "messages.0.role"
    path2 = write_lines(tmp_path / "chat2.jsonl", json.dumps({"messages": []}), json.dumps({"tools": []}))
    err = error_of(path2, fmt="openai")
    assert err.location == "line 2" and err.field == "messages"


def test_transcript_missing_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ID,Conversation\n1,user: hi\n", encoding="utf-8")
    err = error_of(path)
    assert err.field == "Data" and "missing column" in str(err)
    ok = load_dataset(path, columns={"transcript": "Conversation"})
    assert ok[0].messages[0].content == "hi"


def test_transcript_line_without_role(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('ID,Data\n1,"user: hi"\n2,"hello there\nuser: x"\n', encoding="utf-8")
    err = error_of(path)
    assert err.location == "row 2" and err.field == "Data"
    ds = load_dataset(path, skip_invalid=True)
    assert len(ds) == 1 and ds.n_skipped == 1


def test_t1_unknown_role_names_row_and_field(tmp_path):
    path = tmp_path / "turns.csv"
    path.write_text("ID,Filled_Template,Filled_Plan\n0,assistant: hi,\n0,bot: hello,\n1,user: x,\n",
                    encoding="utf-8")
    err = error_of(path)
    assert err.location == "row 2" and err.field == "Filled_Template" and "'bot'" in str(err)
    ds = load_dataset(path, skip_invalid=True)
    assert [t.id for t in ds] == ["1"] and ds.n_skipped == 1


def test_t1_missing_id_column(tmp_path):
    path = tmp_path / "turns.csv"
    path.write_text("Filled_Template,Filled_Plan\nuser: x,\n", encoding="utf-8")
    err = error_of(path, fmt="t1")
    assert err.field == "ID"


def test_csv_ragged_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ID,Data\n1,user: a,extra\n", encoding="utf-8")
    err = error_of(path)
    assert err.location == "row 1" and "fields" in str(err)


def test_bfcl_errors(tmp_path):
    q = write_lines(tmp_path / "q.json",
                    json.dumps({"id": "x0", "question": [[{"role": "user", "content": "a"}]],
                                "involved_classes": ["MathAPI"]}),
                    json.dumps({"id": "x1", "question": [[{"role": "wizard", "content": "a"}]],
                                "involved_classes": ["MathAPI"]}))
    a = write_lines(tmp_path / "a.json", json.dumps({"id": "x0", "ground_truth": [["add(a=1, b=2)"]]}),
                    json.dumps({"id": "x1", "ground_truth": [[]]}))
    err = error_of(q, answers=a)
    assert err.location == "line 2" and err.field == "question[0][0].role"
    a2 = write_lines(tmp_path / "a2.json", json.dumps({"id": "x1", "ground_truth": [[]]}))
    err = error_of(q, answers=a2)
    assert err.location == "line 1" and "no ground truth" in str(err)
    a3 = write_lines(tmp_path / "a3.json", json.dumps({"id": "x0"}))
    err = error_of(q, answers=a3)
    assert err.source == str(a3) and err.field == "ground_truth"
    ds = load_dataset(q, answers=a, skip_invalid=True)
    assert [t.id for t in ds] == ["x0"] and ds.n_skipped == 1


def test_acp_missing_column_and_float_id(tmp_path):
    path = tmp_path / "acp.csv"
    path.write_text("id,context,question\n1,c,q\n", encoding="utf-8")
    err = error_of(path, fmt="acp")
    assert err.field == "answer"
    table = pa.table({"id": [1.5], "context": ["c"], "question": ["q"], "answer": ["yes"]})
    pq.write_table(table, tmp_path / "acp.parquet")
    err = error_of(tmp_path / "acp.parquet")
    assert err.field == "id" and err.location == "row 1"


def test_unknown_format_and_missing_file(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", json.dumps(GOOD))
    assert "unknown format" in str(error_of(path, fmt="yaml"))
    assert "not found" in str(error_of(tmp_path / "missing.jsonl"))
    assert "unknown sort" in str(error_of(path, sort="random"))


def test_sort_int_id_needs_integers(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", json.dumps(GOOD))
    err = error_of(path, sort="int_id")
    assert err.field == "id" and "'a'" in str(err)


def test_bytes_that_are_not_utf8_name_the_line_and_can_be_skipped(tmp_path):
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
    bad = json.dumps({"messages": [{"role": "user", "content": "caf\u00e9"}]},
                     ensure_ascii=False).encode("latin-1")
    path = tmp_path / "chat.jsonl"
    path.write_bytes(good + b"\n" + bad + b"\n" + good + b"\n")
    with pytest.raises(DataError, match=r"chat.jsonl: line 2: not valid UTF-8 \(byte 0xe9"):
        load_dataset(path)
    ds = load_dataset(path, skip_invalid=True)
    assert len(ds) == 2 and ds.n_skipped == 1 and "line 2" in ds.skipped[0]
    canonical = tmp_path / "canonical.jsonl"
    canonical.write_bytes(b'{"id": "a", "messages": []}\n{"id": "b", "messages": [], "output": "caf\xe9"}\n')
    with pytest.raises(DataError, match=r"canonical.jsonl: line 2: not valid UTF-8"):
        load_dataset(canonical)
    assert load_dataset(canonical, skip_invalid=True).n_skipped == 1


def test_undecodable_csv_row_and_json_array_record(tmp_path):
    path = tmp_path / "acp.csv"
    path.write_bytes(b"id,context,question,answer\n1,ctx,q?,yes\n2,caf\xe9,q?,no\n")
    with pytest.raises(DataError, match=r"acp.csv: row 2: not valid UTF-8"):
        load_dataset(path)
    assert load_dataset(path, skip_invalid=True).n_skipped == 1
    array = tmp_path / "chat.json"
    array.write_bytes(b'[{"messages": [{"role": "user", "content": "hi"}]},\n'
                      b' {"messages": [{"role": "user", "content": "caf\xe9"}]}]')
    with pytest.raises(DataError, match=r"chat.json: record 2: not valid UTF-8"):
        load_dataset(array)
    assert len(load_dataset(array, skip_invalid=True)) == 1


def test_byte_order_mark_is_accepted(tmp_path):
    bom = b"\xef\xbb\xbf"
    jsonl = tmp_path / "chat.jsonl"
    jsonl.write_bytes(bom + json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode() + b"\n")
    assert load_dataset(jsonl)[0].messages[0].content == "hi"
    table = tmp_path / "acp.csv"
    table.write_bytes(bom + b"id,context,question,answer\n1,ctx,q?,yes\n")
    assert detect_format(table) == "acp" and load_dataset(table)[0].id == "1"


def test_file_that_is_not_parquet(tmp_path):
    path = tmp_path / "chat.parquet"
    path.write_text('{"messages": []}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"chat.parquet: not a readable Parquet file"):
        detect_format(path)
    with pytest.raises(DataError, match=r"chat.parquet: not a readable Parquet file"):
        load_dataset(path, "openai")


def test_in_memory_sources_take_chat_records_only():
    with pytest.raises(DataError, match="reads files only"):
        load_dataset([{"context": "c", "question": "q", "answer": "yes"}])
    with pytest.raises(DataError, match="cannot read a int"):
        load_dataset(3)


@pytest.mark.parametrize(("name", "text", "fmt"), [
    ("acp.csv", "id,context,question,answer\n1,ctx,q?,yes\n2,ctx,q?\n3,ctx,q?,no,extra\n4,c,q?,no\n", "acp"),
    ("turns.csv", "ID,Filled_Template,Filled_Plan\n1,user: a,\n1,assistant: b,x\n2,user: c\n3,user: d,\n",
     "t1"),
    ("chat.csv", 'id,messages\na,"[{""role"": ""user"", ""content"": ""hi""}]"\nb\n'
                 'c,"[{""role"": ""user"", ""content"": ""yo""}]"\n', None),
])
def test_a_ragged_csv_row_is_skipped_and_counted_with_skip_invalid(tmp_path, name, text, fmt):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"row \d: has \d fields, the header has \d"):
        load_dataset(path, fmt=fmt)
    ds = load_dataset(path, fmt=fmt, skip_invalid=True)
    assert len(ds) == 2 and ds.n_skipped == len(ds.skipped) >= 1
    assert all("fields, the header has" in reason for reason in ds.skipped)


def test_a_directory_fifo_or_device_as_input_says_what_it_is(tmp_path):
    import os

    with pytest.raises(DataError, match=r"is a directory, not a file"):
        load_dataset(tmp_path)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=r"pipe\.jsonl: is not a regular file \(a FIFO\)"):
        load_dataset(fifo)  # opening it would block forever
    with pytest.raises(DataError, match=r"/dev/null: is not a regular file \(a device\)"):
        load_dataset("/dev/null")
    with pytest.raises(DataError, match=r"nothing\.jsonl: file not found"):
        load_dataset(tmp_path / "nothing.jsonl")
