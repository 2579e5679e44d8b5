"""Writers of the research's flat formats: byte-identical output for unmodified trajectories."""

from __future__ import annotations

import csv

import pytest

from synae.adapters import load_dataset
from synae.adapters.export import (
    bfcl_answers_path,
    write_acp_csv,
    write_bfcl,
    write_dataset,
    write_t1_eval_csv,
)
from synae.errors import DataError
from synae.schema import Message, Trajectory


@pytest.mark.parametrize("name", ["t1_attraction_augmented_valid.csv", "t1_attraction_augmented.csv"])
def test_t1_eval_csv_byte_identical(bench_data, tmp_path, name):
    source = bench_data / "t1" / name
    out = tmp_path / name
    assert write_t1_eval_csv(load_dataset(source), out) > 0
    assert out.read_bytes() == source.read_bytes()


def test_t1_eval_csv_modified_fields_rendered(bench_data, tmp_path):
    ds = load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv")
    traj = ds[0]
    traj.messages[1].content = 'I want "Scenic" spots, he said'
    traj.output = None
    out = tmp_path / "mod.csv"
    write_t1_eval_csv([traj, ds[1]], out)
    rows = list(csv.reader(out.open(newline="")))
    assert rows[0] == ["ID", "Data", "Tool Call", "Output"]
    assert rows[1][0] == "10" and rows[1][3] == ""
    assert rows[1][1].split("\n")[1] == 'user: I want "Scenic" spots, he said'
    assert rows[1][2] == traj.metadata["source"]["Tool Call"]  # unchanged field verbatim
    assert rows[2][1] == ds[1].metadata["source"]["Data"]


def test_t1_eval_csv_from_turn_level_matches_data_and_calls(bench_data, tmp_path):
    turns = load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv", sort="str_id")
    out = tmp_path / "from_turns.csv"
    write_t1_eval_csv(turns, out)
    ours = list(csv.reader(out.open(newline="")))
    ref = list(csv.reader((bench_data / "t1" / "t1_attraction_augmented.csv").open(newline="")))
    assert [r[:3] for r in ours] == [r[:3] for r in ref]  # ID, Data, Tool Call rebuilt exactly


def test_acp_csv_byte_identical(bench_data, tmp_path):
    source = bench_data / "acp" / "acp_app_prog.csv"
    out = tmp_path / "acp.csv"
    write_acp_csv(load_dataset(source), out)
    assert out.read_bytes() == source.read_bytes()


def test_bfcl_newer_byte_identical(bench_data, tmp_path):
    source = bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json"
    q, a = tmp_path / "q.json", tmp_path / "a.json"
    assert write_bfcl(load_dataset(source), q, a) == 200
    assert q.read_bytes() == source.read_bytes()
    assert a.read_bytes() == (bench_data / "bfcl" / "possible_answer" / source.name).read_bytes()


def test_bfcl_write_then_load_round_trip(bench_data, tmp_path):
    ds = load_dataset(bench_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json")
    out = tmp_path / "synthetic.json"
    write_dataset(ds, out, "bfcl")
    assert bfcl_answers_path(out).is_file()
    back = load_dataset(out)

    def dump(d):
        return [[m.model_dump() for m in t.messages] for t in d]

    assert dump(back) == dump(ds)
    assert [t.environment for t in back] == [t.environment for t in ds]


def test_bfcl_ground_truth_rendered_without_code(tmp_path, bench_data):
    ds = load_dataset(bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json")
    traj = ds[0]
    for m in traj.messages:
        m.code = None
    write_bfcl([traj], tmp_path / "q.json", tmp_path / "a.json")
    back = load_dataset(tmp_path / "q.json", answers=tmp_path / "a.json")
    assert [c.function.model_dump() for m in back[0].messages for c in m.tool_calls or ()] == \
           [c.function.model_dump() for m in traj.messages for c in m.tool_calls or ()]


def test_acp_row_from_modified_trajectory(bench_data, tmp_path):
    traj = load_dataset(bench_data / "acp" / "acp_app_prog.csv")[0]
    traj.messages = [Message(role="user", content="A new context.\nIs it so?\nOnly answer yes or no.")]
    traj.output = "no"
    write_acp_csv([traj], tmp_path / "x.csv")
    rows = list(csv.reader((tmp_path / "x.csv").open(newline="")))
    assert rows[1] == [traj.id, "applicable_actions_bool", "A new context.", "Is it so?", "no"]


def test_unknown_export_format(tmp_path, bench_data):
    ds = load_dataset(bench_data / "acp" / "acp_prog_bool.parquet")
    with pytest.raises(DataError, match="unknown export format"):
        write_dataset(ds, tmp_path / "x", "xml")


def _interrupted(items):
    """Yield ``items``, then fail like an interrupted conversion."""
    yield from items
    raise RuntimeError("interrupted")


@pytest.mark.parametrize("fmt", ["canonical", "t1-csv", "acp-csv", "bfcl"])
def test_interrupted_export_leaves_no_file(tmp_path, fmt):
    traj = Trajectory(id="1", messages=[Message(role="user", content="ctx\nq?\nOnly answer yes or no.")],
                      output="yes")
    out = tmp_path / "out" / "data.csv"
    with pytest.raises(RuntimeError, match="interrupted"):
        write_dataset(_interrupted([traj, traj.model_copy(update={"id": "2"})]), out, fmt)
    assert not out.exists() and not bfcl_answers_path(out).exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no temporary file left either
    assert write_dataset([traj], out, fmt) == 1 and out.is_file()
