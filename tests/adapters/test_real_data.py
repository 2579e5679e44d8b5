"""Every shipped benchmark file loads with its known counts; canonical JSONL round-trips."""

from __future__ import annotations

from collections import Counter

import pytest

from synae.run.inputs.data import load_dataset
from synae.schema import read_jsonl

pytestmark = pytest.mark.data  # the counts of the real files

T1_FILES = ["t1_attraction_turns.csv", "t1_attraction_turns_with_output.csv", "t1_attraction_augmented.csv",
            "t1_attraction_augmented_valid.csv", "raw_attraction_train_1.csv",
            "synthetic_prototype_claude_turns.csv"]


def roles(ds):
    return Counter(m.role for t in ds for m in t.messages)


def calls(ds):
    return [c for t in ds for m in t.messages for c in m.tool_calls or ()]


def code_messages(ds):
    return [m for t in ds for m in t.messages if m.code is not None]


@pytest.fixture(scope="module")
def bfcl_newer(shared_data):
    return load_dataset(shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json")


@pytest.fixture(scope="module")
def bfcl_older(shared_data):
    return load_dataset(shared_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json")


def test_t1_turn_level(shared_data):
    ds = load_dataset(shared_data / "t1" / "t1_attraction_turns_with_output.csv")
    assert ds.format == "t1" and ds.name == "t1_attraction_turns_with_output"
    assert len(ds) == 225 and [t.id for t in ds] == [str(i) for i in range(225)]
    assert roles(ds) == {"user": 675, "assistant": 675 + 555}
    assert len(code_messages(ds)) == 555
    assert all(t.output for t in ds)
    first = ds[0]
    assert first.messages[0].role == "assistant"
    assert first.messages[1].content.startswith("I'm planning a trip to CO")
    plan = first.messages[2]
    assert plan.content is None and plan.code.startswith('attractions = search_attractions(state="CO"')
    assert [c.id for c in plan.tool_calls] == ["call_1_0", "call_1_1"]
    assert plan.tool_calls[1].function.parsed_arguments() == {"key": "attractions",
                                                              "value": {"$var": "attractions"}}
    assert first.attributes == {"type": "Guided", "city": None, "state": "CO"}
    assert first.environment == {"kind": "t1_attractions"}
    assert first.metadata["turn_alignment"] == "known" and first.metadata["tool_results"] == "absent"
    assert first.metadata["source_file"] == "t1/t1_attraction_turns_with_output.csv"
    assert len(first.metadata["source"]["Template"]) == 6
    names = Counter(c.function.name for c in calls(ds))
    assert set(names) == {"search_attractions", "filter_attractions", "get_results_from_cache",
                          "save_to_cache"}


def test_t1_without_output_has_null_output(shared_data):
    ds = load_dataset(shared_data / "t1" / "t1_attraction_turns.csv")
    assert len(ds) == 225 and all(t.output is None for t in ds)


def test_t1_eval_level(shared_data):
    ds = load_dataset(shared_data / "t1" / "t1_attraction_augmented.csv")
    assert len(ds) == 225 and [t.id for t in ds][:4] == ["0", "1", "10", "100"]
    assert roles(ds) == {"user": 675, "assistant": 675 + 225}
    for traj in ds:
        users = [i for i, m in enumerate(traj.messages) if m.role == "user"]
        code_at = [i for i, m in enumerate(traj.messages) if m.code is not None]
        assert code_at == [users[-1] + 1]
        assert traj.metadata["turn_alignment"] == "unknown"
        assert set(traj.metadata["source"]) == {"ID", "Data", "Tool Call", "Output"}
    valid = load_dataset(shared_data / "t1" / "t1_attraction_augmented_valid.csv")
    assert len(valid) == 100 and [t.id for t in valid][:6] == ["10", "100", "102", "104", "108", "11"]


def test_t1_sort_orders(shared_data):
    path = shared_data / "t1" / "t1_attraction_augmented.csv"
    by_int = load_dataset(path, sort="int_id")
    assert [t.id for t in by_int] == [str(i) for i in range(225)]
    turns = load_dataset(shared_data / "t1" / "t1_attraction_turns.csv", sort="str_id")
    assert [t.id for t in turns] == [t.id for t in load_dataset(path)]


def test_t1_calls_identical_between_turn_and_eval_level(shared_data):
    turn = load_dataset(shared_data / "t1" / "t1_attraction_turns.csv", sort="str_id")
    flat = load_dataset(shared_data / "t1" / "t1_attraction_augmented.csv")
    assert len(calls(turn)) == len(calls(flat)) == 1155
    for a, b in zip(turn, flat, strict=True):
        assert [c.function.name for c in calls([a])] == [c.function.name for c in calls([b])]


def test_t1_raw_split(shared_data):
    raw = load_dataset(shared_data / "t1" / "raw_attraction_train_1.csv")
    turns = load_dataset(shared_data / "t1" / "t1_attraction_turns.csv")
    assert len(raw) == 15 and [t.id for t in raw][:3] == ["2", "8", "10"] and raw[-1].id == "59"
    assert all(t.metadata["split"] == 1 for t in raw)
    for a, b in zip(raw, turns[:15], strict=True):
        assert [(m.role, m.content, m.code) for m in a.messages] == \
               [(m.role, m.content, m.code) for m in b.messages]


def test_t1_prototype(shared_data):
    ds = load_dataset(shared_data / "t1" / "synthetic_prototype_claude_turns.csv")
    assert len(ds) == 200
    assert len(code_messages(ds)) == 244
    lengths = Counter(sum(1 for m in t.messages if m.code is None) for t in ds)
    assert lengths == {6: 181, 8: 19}
    errors = [m.metadata["execution_error"] for m in code_messages(ds) if m.metadata]
    assert errors and all(e != "success" for e in errors)
    assert any("validation error" in e for e in errors)
    assert sum(1 for t in ds if t.output) == 200


def test_bfcl_newer_counts(bfcl_newer):
    ds = bfcl_newer
    assert len(ds) == 200 and ds.format == "bfcl"
    assert roles(ds)["user"] == 734
    turns_per_entry = Counter(sum(1 for m in t.messages if m.role == "user") for t in ds)
    assert turns_per_entry == {1: 3, 2: 40, 3: 50, 4: 50, 5: 43, 6: 12, 7: 2}
    assert roles(ds)["assistant"] == 734 - 3  # three empty turns get no assistant message
    all_calls = calls(ds)
    assert len(all_calls) == 1142
    assert len({c.function.name for c in all_calls}) == 81
    assert sum(1 for c in all_calls if "__args__" in c.function.parsed_arguments()) == 40
    assert all(t.metadata["copy"] == "newer" for t in ds)
    assert sum(1 for t in ds if "excluded_function" in t.environment) == 18
    first = ds[0]
    assert first.id == "multi_turn_base_0"
    assert first.messages[1].code.split("\n")[0] == "cd(folder='document')"
    assert [c.id for c in first.messages[1].tool_calls] == ["call_1_0", "call_1_1", "call_1_2"]
    assert first.environment["involved_classes"] == ["TwitterAPI", "GorillaFileSystem"]
    assert [t["function"]["name"] for t in first.tools][:1] == ["authenticate_twitter"]
    assert len(first.tools) == 14 + 18
    assert first.attributes["primary_api"] == "GorillaFileSystem"


def test_bfcl_older_counts(bfcl_older):
    assert len(bfcl_older) == 200
    assert roles(bfcl_older)["user"] == 745
    assert len(calls(bfcl_older)) == 1160
    assert all(t.metadata["copy"] == "older" for t in bfcl_older)
    names = Counter(c.function.name for c in calls(bfcl_older))
    assert names["update_market_status"] == 11 and names["make_transaction"] == 1


def test_bfcl_tool_schemas_converted(bfcl_newer):
    types = set()

    def walk(schema):
        if "type" in schema:
            types.add(schema["type"])
        for prop in schema.get("properties", {}).values():
            walk(prop)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"])

    for tool in bfcl_newer[0].tools:
        walk(tool["function"]["parameters"])
        assert "response" not in tool["function"]
    assert "dict" not in types and "float" not in types and "object" in types


def test_acp(shared_data):
    ds = load_dataset(shared_data / "acp" / "acp_app_prog.csv")
    assert len(ds) == 260 and ds.format == "acp"
    assert Counter(t.output for t in ds) == {"yes": 135, "no": 125}
    assert ds[0].id == "-110568902122935062"
    content = ds[0].messages[0].content.split("\n")
    assert len(content) == 3 and content[2] == "Only answer yes or no."
    domains = Counter(t.attributes["domain"] for t in ds)
    assert len(domains) == 13 and set(domains.values()) == {20}
    parquet = [t.id for name in ("acp_app_bool", "acp_prog_bool")
               for t in load_dataset(shared_data / "acp" / f"{name}.parquet")]
    assert parquet == [t.id for t in ds]  # int64 ids read exactly, same as the CSV text


@pytest.mark.parametrize("parts", [("t1", f) for f in T1_FILES] + [
    ("bfcl", "BFCL_v4_multi_turn_base.json"), ("bfcl", "v_older", "BFCL_v4_multi_turn_base_instr.json"),
    ("acp", "acp_app_prog.csv"), ("acp", "acp_app_bool.parquet")])
def test_canonical_round_trip(shared_data, tmp_path, parts):
    ds = load_dataset(shared_data.joinpath(*parts))
    assert not ds.warnings and ds.n_skipped == 0
    out = tmp_path / "out.jsonl"
    from synae.adapters.export import write_dataset

    assert write_dataset(ds, out) == len(ds)
    back = read_jsonl(out)
    assert back.fingerprint() == ds.fingerprint()
    assert [t.model_dump() for t in back] == [t.model_dump() for t in ds]
    again = load_dataset(out)
    assert again.format == "canonical" and again.fingerprint() == ds.fingerprint()
