"""Format detection and the generic adapters (OpenAI chat JSONL, transcript tables, BFCL layouts)."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synae.adapters import detect_format, load_dataset
from synae.adapters.bfcl import CLASS_FILES, convert_schema, find_answers, tool_definitions


def test_detect_format_real_files(bench_data):
    assert detect_format(bench_data / "t1" / "t1_attraction_turns.csv") == "t1"
    assert detect_format(bench_data / "t1" / "t1_attraction_augmented.csv") == "t1"
    assert detect_format(bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json") == "bfcl"
    assert detect_format(bench_data / "acp" / "acp_app_prog.csv") == "acp"
    assert detect_format(bench_data / "acp" / "acp_app_bool.parquet") == "acp"
    with pytest.raises(Exception, match="ground-truth file"):
        detect_format(bench_data / "bfcl" / "possible_answer" / "BFCL_v4_multi_turn_base.json")


def test_openai_chat_jsonl(tmp_path):
    lines = [
        {"messages": [{"role": "system", "content": "be brief"},
                      {"role": "user", "content": "weather in Oslo?"},
                      {"role": "assistant", "content": None, "tool_calls": [
                          {"id": "c1", "type": "function",
                           "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}]},
                      {"role": "tool", "tool_call_id": "c1", "content": "rain"},
                      {"role": "assistant", "content": "It rains."}],
         "tools": [{"type": "function",
                    "function": {"name": "get_weather", "parameters": {"type": "object"}}}]},
        {"messages": [{"role": "user", "content": "hi"}], "id": 99},
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    assert detect_format(path) == "openai"
    ds = load_dataset(path)
    assert ds.format == "openai" and [t.id for t in ds] == ["0", "99"]
    assert ds[0].tools[0]["function"]["name"] == "get_weather"
    assert ds[0].messages[2].tool_calls[0].function.name == "get_weather"
    assert not ds.warnings


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_transcript_tables(tmp_path, kind):
    rows = {"ID": ["r1", "r2"],
            "Data": ["assistant: Hello!\nuser: Find Art in Boston\nplease\nassistant: Sure.", "user: hi"],
            "Tool Calls": ['a = search_attractions(city="Boston", type=["Art"])\n'
                           'save_to_cache(key="a", value=a)',
                           "broken(("],
            "Output": ["Visit the MFA.", ""],
            "persona": ["student", "retiree"]}
    path = tmp_path / f"t.{kind}"
    if kind == "csv":
        import csv

        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(rows)
            w.writerows(zip(*rows.values(), strict=True))
    elif kind == "parquet":
        pq.write_table(pa.table(rows), path)
    else:
        records = [dict(zip(rows, vals, strict=True)) for vals in zip(*rows.values(), strict=True)]
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert detect_format(path) == "transcript"
    ds = load_dataset(path)
    first, second = ds
    assert [m.role for m in first.messages] == ["assistant", "user", "assistant", "assistant"]
    assert first.messages[1].content == "Find Art in Boston\nplease"
    assert [c.id for c in first.messages[2].tool_calls] == ["call_1_0", "call_1_1"]
    assert first.attributes == {"persona": "student"} and first.output == "Visit the MFA."
    assert second.output is None
    assert second.messages[1].code == "broken((" and "parse_error" in second.messages[1].metadata
    assert second.messages[1].tool_calls is None


def test_transcript_custom_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("conv,calls,answer,x,y\nuser: hi,f(1),ok,1,2\n", encoding="utf-8")
    ds = load_dataset(path, columns={"transcript": "conv", "tool_calls": "calls", "output": "answer",
                                     "attributes": ["y"]})
    assert ds[0].id == "0" and ds[0].output == "ok" and ds[0].attributes == {"y": "2"}
    assert ds[0].messages[1].tool_calls[0].function.parsed_arguments() == {"__args__": [1]}


def test_bfcl_answers_found_or_given(bench_data, tmp_path):
    newer = bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json"
    older = bench_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json"
    assert find_answers(newer) == bench_data / "bfcl" / "possible_answer" / newer.name
    assert find_answers(older).name == "BFCL_v4_multi_turn_base_tool_calls.json"
    copied = tmp_path / "questions.json"
    shutil.copy(newer, copied)
    alone = load_dataset(copied)
    assert alone.warnings and sum(len(m.tool_calls or ()) for t in alone for m in t.messages) == 0
    given = load_dataset(copied, answers=bench_data / "bfcl" / "possible_answer" / newer.name)
    assert sum(len(m.tool_calls or ()) for t in given for m in t.messages) == 1142
    assert given[0].tools  # func docs found under the data folder
    assert given[0].metadata["copy"] == "newer"


def test_tool_definitions_and_schema_conversion(bench_data):
    defs = tool_definitions(["MathAPI"])
    assert len(defs) == 17 and defs[0]["type"] == "function"
    assert defs[0]["function"]["parameters"]["type"] == "object"
    assert {len(tool_definitions([c])) for c in CLASS_FILES} >= {17, 18, 22}
    schema = {"type": "dict", "properties": {"x": {"type": "float", "description": "d", "extra": 1},
                                             "t": {"type": "tuple", "items": {"type": "any"}},
                                             "a": {"type": "any", "default": None}},
              "required": ["x"], "response": {}}
    assert convert_schema(schema) == {"type": "object", "properties": {
        "x": {"type": "number", "description": "d"}, "t": {"type": "array", "items": {}},
        "a": {"default": None}}, "required": ["x"]}


def test_gzipped_csv_table(bench_data, tmp_path):
    import gzip

    path = tmp_path / "valid.csv.gz"
    plain = bench_data / "t1" / "t1_attraction_augmented_valid.csv"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    ds = load_dataset(path)
    assert ds.format == "t1" and ds.name == "valid" and len(ds) == len(load_dataset(plain)) > 1
