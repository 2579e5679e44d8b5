"""`synae generate`: sweeps to folders with a manifest, single files in research layouts, LLM methods
through a loopback server, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from helpers.openai_server import ScriptedOpenAIServer
from synae.cli.app import app
from synae.errors import ConfigError
from synae.run.inputs.data import load_dataset
from synae.schema import Message, Trajectory, write_jsonl

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, ["generate", *[str(a) for a in args]])


@pytest.mark.data
def test_oversample_sweep_folder(shared_data, tmp_path):
    out = tmp_path / "ov"
    result = _cli("oversample", "--input", shared_data / "acp" / "acp_app_prog.csv", "--param", "0.1,0.5",
                  "--out", out, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [d["name"] for d in report["datasets"]] == ["oversample_frac0_1", "oversample_frac0_5"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert [d["counts"]["max_copies"] for d in manifest["datasets"]] == [26, 130]
    data = load_dataset(out / "oversample_frac0_5.jsonl")
    positions = [t.metadata["generation"]["source_position"] for t in data]
    drawn = np.random.default_rng(123).choice(list(range(1, 260)), size=130, replace=False).tolist()
    assert positions == [0] * 130 + drawn


def test_invalidate_t1_csv_v0_is_byte_identical(bench_data, tmp_path):
    source = bench_data / "t1" / "t1_attraction_augmented_valid.csv"
    out = tmp_path / "invalidate_frac0.csv"
    result = _cli("invalidate", "-i", source, "--param", "0", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == source.read_bytes()
    meta = json.loads((tmp_path / "invalidate_frac0.meta.json").read_text())
    assert meta["counts"]["n_modified"] == 0 and meta["format"] == "t1-csv"


@pytest.mark.data
def test_invalidate_output_target_and_reference_mode(shared_data, tmp_path):
    source = shared_data / "t1" / "t1_attraction_augmented_valid.csv"
    result = _cli("invalidate", "-i", source, "--param", "1", "--target", "output", "-o", tmp_path / "i",
                  "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["datasets"][0]["counts"]["n_modified"] == 88
    acp = shared_data / "acp" / "acp_app_prog.csv"
    result = _cli("invalidate", "-i", acp, "--mode", "reference", "-o", tmp_path / "acp",
                  "--format", "acp-csv", "--json")
    assert [d["counts"]["n_modified"] for d in json.loads(result.stdout)["datasets"]] == \
        [0, 26, 62, 98, 124, 150, 157]
    header = (tmp_path / "acp" / "invalidate_frac0_9.csv").read_text().split("\n", 1)[0]
    assert header == "id,group,context,question,answer"


@pytest.mark.data
def test_relabel_and_dropmin(shared_data, tmp_path):
    source = shared_data / "t1" / "t1_attraction_augmented_valid.csv"
    result = _cli("relabel", "-i", source, "-o", tmp_path / "case", "--format", "t1-csv")
    assert result.exit_code == 0, result.output
    assert "skewed.csv" in result.stdout
    assert len(load_dataset(tmp_path / "case" / "skewed.csv")) == 71
    assert len(load_dataset(tmp_path / "case" / "relabeled.csv")) == 100
    bfcl = shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json"
    result = _cli("dropmin", "-i", bfcl, "--param", "2", "--mode", "reference", "-o", tmp_path / "dm.json",
                  "--json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "possible_answer" / "dm.json").is_file()
    n_out = json.loads(result.stdout)["datasets"][0]["counts"]["n_out"]
    assert n_out == len(load_dataset(tmp_path / "dm.json")) == 187


def test_fewshot_through_loopback_server(bench_data, tmp_path):
    reply = "Question: Is the following action applicable in this state: move the robot to room two?"
    with ScriptedOpenAIServer(default_text=reply) as server:
        result = _cli("fewshot", "-i", bench_data / "acp" / "acp_app_prog.csv", "--param", "3",
                      "--n-out", "4", "--examples", "random", "--model", "gen",
                      "--llm-base-url", server.base_url,
                      "-o", tmp_path / "fs.jsonl")
        assert len(server.requests) == 4
        assert {b["model"] for b in server.requests} == {"gen"}
    assert result.exit_code == 0, result.output
    data = load_dataset(tmp_path / "fs.jsonl")
    assert [t.id for t in data] == [f"fewshot_rand_ex3_{i}" for i in range(4)]
    assert all(t.output in ("yes", "no") for t in data)


def test_errors_are_clear(bench_data, tmp_path):
    acp = bench_data / "acp" / "acp_app_prog.csv"
    result = _cli("oversample", "-i", acp, "--target", "answer", "-o", tmp_path)
    assert isinstance(result.exception, ConfigError) and "does not take" in str(result.exception)
    result = _cli("oversample", "-i", acp, "--param", "0.1,0.2", "-o", tmp_path / "x.jsonl")
    assert isinstance(result.exception, ConfigError) and "give a folder" in str(result.exception)
    command = [sys.executable, "-m", "synae", "generate", "blankfill", "-i", str(acp), "--param", "0.5",
               "-o", str(tmp_path / "b")]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "needs a generator model" in proc.stderr


def test_generic_data_oversamples_and_invalidates_outputs(tmp_path):
    rows = [Trajectory(id=f"r{i}", messages=[Message(role="user", content=f"question {i}")], output=str(i))
            for i in range(4)]
    write_jsonl(rows, tmp_path / "mine.jsonl")
    result = _cli("oversample", "-i", tmp_path / "mine.jsonl", "--param", "0.5", "-o", tmp_path / "ov.jsonl")
    assert result.exit_code == 0, result.output
    out = load_dataset(tmp_path / "ov.jsonl")
    assert [t.metadata["generation"]["source_id"] for t in out[:2]] == ["r0", "r0"]
    # the generic preset invalidates outputs (no tool calls here); nothing to corrupt is an error
    result = _cli("invalidate", "-i", tmp_path / "mine.jsonl", "--param", "1", "-o", tmp_path / "inv.jsonl",
                  "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["benchmark"] == "generic" and summary["datasets"][0]["counts"]["n_modified"] == 4
    bare = [Trajectory(id=f"b{i}", messages=[Message(role="user", content=f"question {i}")])
            for i in range(2)]
    write_jsonl(bare, tmp_path / "bare.jsonl")
    result = _cli("invalidate", "-i", tmp_path / "bare.jsonl", "--param", "0.5", "-o", tmp_path / "b.jsonl")
    assert isinstance(result.exception, ConfigError) and "nothing to invalidate" in str(result.exception)
