"""`synae quickstart`: generate from example data and evaluate in one command (lexical embedder, so
no model is loaded in these tests)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from synae.cli.app import app
from synae.datapaths import example_input
from synae.errors import ConfigError, SynaeError
from synae.run.inputs.data import load_dataset

runner = CliRunner()


@pytest.mark.data
def test_t1_run_writes_data_and_results(tmp_path):
    result = runner.invoke(app, ["quickstart", "t1", "--embedder", "lexical", "--metrics",
                                 "diversity.instructions.*,fidelity.tool_calls.*", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    synthetic = load_dataset(tmp_path / "oversample_frac0_3.jsonl")
    assert len(synthetic) == 225
    assert sum(t.metadata["generation"]["source_id"] == "0" for t in synthetic) == 68  # ceil(0.3 · 225)
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["datasets"]["synthetic"]["name"] == "oversample_frac0_3"
    assert report["datasets"]["real"]["n"] == 225
    assert report["config"]["preset"] == "t1"
    vendi = report["metrics"]["diversity.instructions.vendi"]
    assert vendi["status"] == "ok"
    assert vendi["value"] < vendi["details"]["real_value"]  # copies of one conversation → less diverse
    assert report["metrics"]["fidelity.tool_calls.tcnm"]["status"] == "ok"
    assert (tmp_path / "manifest.json").is_file()
    # copies of real conversations keep the real plans: rule validity stays at the real rate
    tool_validity = report["metrics"]["validity.tool_calls.rate"]
    assert tool_validity["value"] == tool_validity["details"]["real_value"] == 1.0
    assert set(report["aggregates"]["scores"]["oversample_frac0_3"]) == {"validity", "fidelity", "diversity"}
    assert "<svg" in (tmp_path / "report.html").read_text()


@pytest.mark.data
def test_relabel_evaluates_both_sets(tmp_path):
    result = runner.invoke(app, ["quickstart", "t1", "relabel", "--embedder", "lexical", "--metrics",
                                 "diversity.*", "--validity", "none", "--no-html", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    skewed = json.loads((tmp_path / "results_skewed.json").read_text())
    relabeled = json.loads((tmp_path / "results_relabeled.json").read_text())
    assert skewed["datasets"]["synthetic"]["n"] == 71 and relabeled["datasets"]["synthetic"]["n"] == 100
    assert set(skewed["metrics"]) == {m for m in skewed["metrics"] if m.startswith("diversity.")}
    assert not (tmp_path / "report_skewed.html").exists()


def test_sources_and_errors(bench_data):
    valid = bench_data / "t1" / "t1_attraction_augmented_valid.csv"
    assert example_input("t1", "invalidate") == (valid, "none")
    assert example_input("t1", "fewshot")[1] == "int_id"
    assert example_input("acp", "relabel")[0].name == "acp_app_prog.csv"
    with pytest.raises(SynaeError, match="no example data"):
        example_input("gsm8k", "oversample")
    result = runner.invoke(app, ["quickstart", "acp", "oversample", "0.1,0.2"])
    assert isinstance(result.exception, ConfigError) and "one parameter value" in str(result.exception)


@pytest.mark.data
def test_method_default_parameter(tmp_path):
    result = runner.invoke(app, ["quickstart", "acp", "dropmin", "--embedder", "lexical", "--metrics",
                                 "diversity.instructions.ad", "--no-html", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dropmin_2domain_frac0_3.jsonl").is_file()  # n_min = 2 by default
    assert json.loads((tmp_path / "results.json").read_text())["datasets"]["synthetic"]["n"] == 248


def _quickstart_without_data_folder(tmp_path, monkeypatch, *args):
    """`synae quickstart` with SYNAE_DATA_DIR an empty folder: the default reads the BFCL copy the
    bfcl-eval package ships."""
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("SYNAE_DATA_DIR", str(tmp_path / "empty"))
    out = tmp_path / "qs"
    result = runner.invoke(app, ["quickstart", "--embedder", "lexical", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "results.json").read_text())


def test_default_runs_on_the_shipped_bfcl_data_without_a_data_folder(tmp_path, monkeypatch):
    out, report = _quickstart_without_data_folder(tmp_path, monkeypatch, "--metrics",
                                                  "validity.*,fidelity.*,diversity.*")
    assert report["config"]["preset"] == "bfcl"
    assert report["datasets"]["real"]["n"] == report["datasets"]["synthetic"]["n"] == 200
    synthetic = load_dataset(out / "oversample_frac0_3.jsonl")
    assert sum(t.metadata["generation"]["source_id"] == "multi_turn_base_0" for t in synthetic) == 60
    assert report["metrics"]["validity.tool_calls.rate"]["status"] == "ok"
    vendi = report["metrics"]["diversity.instructions.vendi"]
    assert vendi["status"] == "ok" and vendi["value"] < vendi["details"]["real_value"]
    scores = report["aggregates"]["scores"]["oversample_frac0_3"]
    assert set(scores) == {"validity", "fidelity", "diversity"}
    assert all(isinstance(scores[pillar], float) for pillar in scores)  # anchored: one set is enough
    assert "<svg" in (out / "report.html").read_text()


def test_shipped_bfcl_data_is_checked_with_its_function_docs(tmp_path, monkeypatch):
    """Without the function docs every BFCL plan fails its environment check (rate 0)."""
    _, report = _quickstart_without_data_folder(tmp_path, monkeypatch, "--metrics", "fidelity.tool_calls.tum",
                                                "--no-html")
    assert report["metrics"]["validity.tool_calls.rate"]["details"]["real_value"] > 0.9
