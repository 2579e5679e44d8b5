"""Chat records (OpenAI, ShareGPT, canonical) in every container, and the output_from rule."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synae.adapters import detect_format, load_dataset
from synae.errors import DataError
from synae.views import instruction_transcript, responses

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                           "parameters": {"type": "object",
                                                          "properties": {"city": {"type": "string"}}}}}]


def chat(city: str, answer: str, *, object_args: bool = False) -> dict:
    args = {"city": city}
    return {"messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": f"Weather in {city}?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "get_weather", "arguments": args if object_args else json.dumps(args)}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "rain"},
        {"role": "assistant", "content": answer}],
        "tools": TOOLS}


RECORDS = [chat("Oslo", "It rains in Oslo."), chat("Köln", "Rain in Köln, take an umbrella.")]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def canonical(ds) -> list[str]:
    return [t.to_json() for t in ds]


@pytest.fixture
def twin(tmp_path):
    return canonical(load_dataset(write_jsonl(tmp_path / "twin.jsonl", RECORDS)))


def test_final_assistant_message_is_the_output_and_not_a_response(tmp_path):
    ds = load_dataset(write_jsonl(tmp_path / "c.jsonl", RECORDS))
    assert ds.format == "openai"
    first = ds[0]
    assert first.output == "It rains in Oslo."
    assert first.messages[-1].metadata == {"is_output": True}
    assert responses(first) == []
    assert instruction_transcript(first) == "user: Weather in Oslo?"


def test_output_field_wins_and_other_modes(tmp_path):
    given = {**RECORDS[0], "output": "stored answer"}
    explicit_null = {**RECORDS[0], "output": None}
    path = write_jsonl(tmp_path / "c.jsonl", [given, explicit_null, RECORDS[1]])
    ds = load_dataset(path)
    assert [t.output for t in ds] == ["stored answer", None, "Rain in Köln, take an umbrella."]
    assert responses(ds[0]) == ["It rains in Oslo."]  # not taken as output: counted as a response
    field = load_dataset(path, output_from="field")
    assert [t.output for t in field] == ["stored answer", None, None]
    assert responses(field[2]) == ["Rain in Köln, take an umbrella."]
    none = load_dataset(path, output_from="none")
    assert [t.output for t in none] == [None, None, None]
    with pytest.raises(DataError, match="unknown output_from"):
        load_dataset(path, output_from="first")  # type: ignore[arg-type]


def test_no_final_answer_no_output(tmp_path):
    ends_with_call = {"messages": RECORDS[0]["messages"][:3]}
    ends_with_user = {"messages": [*RECORDS[0]["messages"], {"role": "user", "content": "thanks"}]}
    ds = load_dataset(write_jsonl(tmp_path / "c.jsonl", [ends_with_call, ends_with_user]))
    assert [t.output for t in ds] == [None, None]
    assert responses(ds[1]) == ["It rains in Oslo."]


def test_canonical_records_derive_output_and_reread_stably(tmp_path):
    from synae.schema import write_jsonl as write_canonical

    path = write_jsonl(tmp_path / "c.jsonl", [{**r, "id": f"w{i}"} for i, r in enumerate(RECORDS)])
    ds = load_dataset(path)
    assert ds.format == "canonical" and ds[0].output == "It rains in Oslo."
    write_canonical(ds, tmp_path / "out.jsonl")
    again = load_dataset(tmp_path / "out.jsonl")
    assert canonical(again) == canonical(ds)
    assert canonical(load_dataset([{**r, "id": f"w{i}"} for i, r in enumerate(RECORDS)])) == canonical(ds)


def test_arguments_as_object_or_string_give_the_same_records(tmp_path, twin):
    records = [chat("Oslo", "It rains in Oslo.", object_args=True), RECORDS[1]]
    objects = load_dataset(write_jsonl(tmp_path / "o.jsonl", records))
    assert canonical(objects) == twin
    call = objects[0].messages[2].tool_calls[0]
    assert isinstance(call.function.arguments, str) and call.function.parsed_arguments() == {"city": "Oslo"}


def test_json_array(tmp_path, twin):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(RECORDS, indent=2), encoding="utf-8")
    assert detect_format(path) == "openai"
    assert canonical(load_dataset(path)) == twin


@pytest.mark.parametrize("nested", [True, False])
def test_parquet_messages_column(tmp_path, twin, nested):
    path = tmp_path / "c.parquet"
    if nested:
        pq.write_table(pa.Table.from_pylist(RECORDS), path)
    else:
        columns = {k: [json.dumps(r[k]) for r in RECORDS] for k in ("messages", "tools")}
        pq.write_table(pa.table(columns), path)
    assert detect_format(path) == "openai"
    assert canonical(load_dataset(path)) == twin


def test_csv_messages_column(tmp_path, twin):
    path = tmp_path / "c.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["messages", "tools"])
        writer.writerows([json.dumps(r["messages"]), json.dumps(r["tools"])] for r in RECORDS)
    assert detect_format(path) == "openai"
    assert canonical(load_dataset(path)) == twin


def test_in_memory_list_and_dataframe(twin):
    pd = pytest.importorskip("pandas")
    ds = load_dataset(RECORDS)
    assert canonical(ds) == twin and ds.source == "<list>" and ds.name == "dataset"
    assert canonical(load_dataset(pd.DataFrame(RECORDS))) == twin


def test_dataframe_read_from_parquet(tmp_path, twin):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS), path)
    frame = pd.read_parquet(path)  # nested cells come back as numpy arrays
    assert canonical(load_dataset(frame)) == twin


def test_hugging_face_datasets(tmp_path, twin):
    datasets = pytest.importorskip("datasets")
    assert canonical(load_dataset(datasets.Dataset.from_list(RECORDS))) == twin
    jsonl = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    from_json = datasets.load_dataset("json", data_files=str(jsonl), cache_dir=str(tmp_path / "cache"))
    assert canonical(load_dataset(from_json)) == twin  # a one-split DatasetDict
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_pylist(RECORDS), parquet)
    from_parquet = datasets.load_dataset("parquet", data_files=str(parquet), split="train",
                                         cache_dir=str(tmp_path / "cache"))
    assert canonical(load_dataset(from_parquet)) == twin
    saved = tmp_path / "saved"
    datasets.Dataset.from_list(RECORDS).save_to_disk(str(saved))
    assert canonical(load_dataset(saved)) == twin


SHAREGPT = [
    {"conversations": [
        {"from": "human", "value": "Weather in Oslo?"},
        {"from": "function_call",
         "value": json.dumps({"name": "get_weather", "arguments": {"city": "Oslo"}})},
        {"from": "observation", "value": "rain"},
        {"from": "gpt", "value": "It rains in Oslo."}],
     "system": "be brief", "tools": json.dumps([TOOLS[0]["function"]])},
]


def test_sharegpt_matches_its_openai_twin(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", SHAREGPT)
    assert detect_format(path) == "sharegpt"
    ds = load_dataset(path)
    openai = load_dataset([chat("Oslo", "It rains in Oslo.")])
    got, want = ds[0], openai[0]
    assert [m.role for m in got.messages] == [m.role for m in want.messages]
    assert got.messages[2].tool_calls[0].function.parsed_arguments() == {"city": "Oslo"}
    assert got.messages[3].tool_call_id == got.messages[2].tool_calls[0].id == "call_1_0"
    assert got.tools == want.tools and got.output == want.output == "It rains in Oslo."
    array = tmp_path / "s.json"
    array.write_text(json.dumps(SHAREGPT), encoding="utf-8")
    assert canonical(load_dataset(array)) == canonical(ds)
    assert canonical(load_dataset(SHAREGPT)) == canonical(ds)


def test_sharegpt_bad_role_and_orphan_observation(tmp_path):
    bad_role = {"conversations": [{"from": "bot", "value": "hi"}]}
    orphan = {"conversations": [{"from": "human", "value": "hi"}, {"from": "observation", "value": "x"}]}
    path = write_jsonl(tmp_path / "s.jsonl", [bad_role, orphan, *SHAREGPT])
    with pytest.raises(DataError, match=r"s.jsonl: line 1: field 'conversations.0.from': unknown role 'bot'"):
        load_dataset(path, fmt="sharegpt")
    ds = load_dataset(path, fmt="sharegpt", skip_invalid=True)
    assert len(ds) == 1 and ds.n_skipped == 2
    assert "line 2" in ds.skipped[1] and "without a preceding function_call" in ds.skipped[1]
