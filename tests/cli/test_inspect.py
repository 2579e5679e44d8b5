"""`synae inspect`: the JSON summary (exact counts on real data), tables, the bundled example."""

from __future__ import annotations

import json

import pytest

from helpers.synae_cli import run_synae
from synae.run.inputs.data import load_dataset


def inspect_json(args, capsys, monkeypatch):
    code, out, err = run_synae(["inspect", *args, "--json"], capsys, monkeypatch)
    assert code == 0, err
    return json.loads(out)


def test_inspect_bfcl_json(bench_data, capsys, monkeypatch):
    stats = inspect_json([bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json"], capsys, monkeypatch)
    assert stats["n"] == 200 and stats["preset"] == "bfcl"
    assert stats["messages"] == {"system": 0, "user": 734, "assistant": 731, "tool": 0}
    assert stats["tool_calls"] == 1142 and stats["unparsed_tool_calls"] == 0
    assert len(stats["tool_names"]) == 81 and sum(stats["tool_names"].values()) == 1142
    assert sum(stats["attributes"]["primary_api"].values()) == 200
    assert stats["attributes"]["primary_api"]["GorillaFileSystem"] == 50


@pytest.mark.data
def test_inspect_t1_modes_and_multilabel_counts(shared_data, capsys, monkeypatch):
    path = shared_data / "t1" / "t1_attraction_augmented.csv"
    default = inspect_json([path], capsys, monkeypatch)
    reference = inspect_json([path, "--mode", "reference"], capsys, monkeypatch)
    assert default["n"] == 225 and default["tool_calls"] == 1155
    assert default["attributes"]["type"] == reference["attributes"]["type"]
    assert sum(default["attributes"]["type"].values()) >= 225  # multi-label: every label counts
    assert default["attributes"]["state"]["None"] == 120  # stored attribute, null → "None"


@pytest.mark.data
def test_inspect_acp_and_example_tables(shared_data, capsys, monkeypatch):
    stats = inspect_json([shared_data / "acp" / "acp_app_prog.csv"], capsys, monkeypatch)
    assert stats["attributes"]["group"] == {"applicable_actions_bool": 130, "progression_bool": 130}
    assert len(stats["attributes"]["domain"]) == 13
    code, out, _ = run_synae(["inspect", "--example", "t1-tiny"], capsys, monkeypatch)
    assert code == 0 and "trajectories" in out and "search_attractions" in out
    example = inspect_json(["--example", "t1-tiny"], capsys, monkeypatch)
    assert example["n"] == 6 and example["unparsed_tool_calls"] == 1 and example["preset"] == "t1"


def test_inspect_errors(tmp_path, capsys, monkeypatch):
    code, _, err = run_synae(["inspect"], capsys, monkeypatch)
    assert code == 2 and "DATA file or --example" in err
    code, _, err = run_synae(["inspect", "--example", "nope"], capsys, monkeypatch)
    assert code == 2 and "unknown example" in err
    bad = tmp_path / "t.csv"
    bad.write_text("ID,Data\n1,user: ok\n2,no prefix here\n", encoding="utf-8")
    code, _, err = run_synae(["inspect", bad], capsys, monkeypatch)
    assert code == 2 and "row 2" in err and "'Data'" in err
    code, out, _ = run_synae(["inspect", bad, "--skip-invalid", "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["n_skipped"] == 1


def test_inspect_takes_its_options_from_a_config_file(bench_data, tmp_path, capsys, monkeypatch):
    path = bench_data / "t1" / "t1_attraction_augmented.csv"
    config = tmp_path / "synae.yaml"
    config.write_text(f"mode: reference\ninputs:\n  data: {path}\n")
    stats = inspect_json(["--config", config], capsys, monkeypatch)
    assert stats["mode"] == "reference" and stats["n"] == len(load_dataset(path))
    stats = inspect_json(["--config", config, "--mode", "default"], capsys, monkeypatch)
    assert stats["mode"] == "default"  # the flag wins over the file


def test_inspect_counts_skipped_records_and_fails_when_all_are(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "t.csv"
    bad.write_text("ID,Data\n1,user: ok\n2,no prefix here\n", encoding="utf-8")
    code, out, _ = run_synae(["inspect", bad, "--skip-invalid"], capsys, monkeypatch)
    assert code == 0 and "skipped 1 invalid record(s); first:" in out and "row 2" in out
    stats = inspect_json([bad, "--skip-invalid"], capsys, monkeypatch)
    assert stats["n_skipped"] == 1 and "row 2" in stats["skipped"][0]
    bad.write_text("ID,Data\n1,no prefix\n2,no prefix here\n", encoding="utf-8")
    code, _, err = run_synae(["inspect", bad, "--skip-invalid", "--from", "t1"], capsys, monkeypatch)
    assert code == 2 and "every record (2) was skipped" in err
