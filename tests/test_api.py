"""The top-level Python API (``synae.evaluate``, ``synae.compare``, ``synae.write_html``): the CLI's
results from files, in-memory trajectories, DataFrames and ``datasets`` objects (lexical embedder,
the bundled ``t1-tiny`` example)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import synae
from helpers.synae_cli import run_synae
from synae.errors import ConfigError, DataError
from synae.examples import example_path
from synae.results import METRIC_COLUMNS, EvaluationReport
from synae.run.inputs.data import load_dataset
from synae.schema import Trajectory, write_jsonl

OPTIONS = {"embedding_model": "lexical", "checker": "rules"}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The real example and a synthetic set (its first four trajectories, one twice) as files."""
    folder = tmp_path_factory.mktemp("api")
    real = load_dataset(example_path("t1-tiny"))
    synthetic = folder / "few.v2.jsonl"
    again = real.trajectories[0].model_copy(update={"id": "again"})
    write_jsonl([*real.trajectories[:4], again], synthetic)
    return example_path("t1-tiny"), synthetic


def _values(report: EvaluationReport) -> dict[str, Any]:
    return {mid: m.value for mid, m in report.metrics.items()}


def test_import_synae_is_cheap() -> None:
    code = "import sys, synae; print(sorted(m for m in sys.modules if m.startswith(('synae.', 'pandas'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_evaluate_gives_the_cli_results_from_files_and_from_memory(files, tmp_path, capsys,
                                                                   monkeypatch) -> None:
    real_path, syn_path = files
    code, _, err = run_synae(["evaluate", "--real", real_path, "--synthetic", syn_path, "--embedder",
                              "lexical", "--validity", "rules", "--out", tmp_path / "cli.json"],
                             capsys, monkeypatch)
    assert code == 0, err
    cli = EvaluationReport.read(tmp_path / "cli.json")
    from_files = synae.evaluate(real_path, syn_path, **OPTIONS)
    trajectories = load_dataset(syn_path).trajectories
    in_memory = synae.evaluate(load_dataset(real_path), trajectories, **OPTIONS)
    assert _values(from_files) == _values(in_memory) == _values(cli)
    assert cli.aggregates is not None and from_files.aggregates is not None
    assert from_files.aggregates["scores"]["few.v2"] == cli.aggregates["scores"]["few.v2"]
    for report in (from_files, in_memory):
        assert report.aggregates is not None
        assert set(report.aggregates["labels"][report.member]) >= {"validity", "fidelity", "diversity"}
        assert report.aggregates["targets"][report.member]["fidelity"]
    assert from_files.member == "few.v2" and in_memory.member == "synthetic"
    assert in_memory.datasets["real"].name == "t1_tiny"  # a Dataset keeps its own name
    named = synae.evaluate(real_path, trajectories, name="mine", select="fidelity.tool_calls.*", **OPTIONS)
    fidelity = {m for m in named.metrics if m.startswith("fidelity.")}
    assert named.member == "mine" and fidelity and all(m.startswith("fidelity.tool_calls.") for m in fidelity)


def test_evaluate_reads_dataframes_and_datasets_objects(files) -> None:
    import datasets
    import pandas as pd

    real_path, syn_path = files
    records = [json.loads(line) for line in syn_path.read_text(encoding="utf-8").splitlines()]
    frame = pd.DataFrame({"id": [r["id"] for r in records],
                          "messages": [json.dumps(r["messages"]) for r in records]})
    from_frame = synae.evaluate(real_path, frame, select="fidelity.instructions.*", **OPTIONS)
    hf = datasets.Dataset.from_pandas(frame)
    from_hf = synae.evaluate(real_path, hf, select="fidelity.instructions.*", **OPTIONS)
    assert from_frame.metrics and _values(from_frame) == _values(from_hf)
    assert from_frame.datasets["synthetic"].n == from_hf.datasets["synthetic"].n == 5


def test_compare_names_sets_ranks_them_and_gives_a_tidy_table(files, tmp_path) -> None:
    real_path, _ = files
    real = load_dataset(real_path)
    sets: list[list[Trajectory]] = [real.trajectories[:3], real.trajectories[2:]]
    results = synae.compare(real, sets, **OPTIONS)
    assert list(results.members) == ["synthetic", "synthetic_2"]
    assert results.aggregates is not None
    assert sorted(results.aggregates["ranking"]) == ["synthetic", "synthetic_2"]
    assert set(results.aggregates["targets"]) >= {"synthetic", "synthetic_2"}
    table = results.to_pandas()
    assert tuple(table.columns) == METRIC_COLUMNS
    assert len(table) == sum(len(m.metrics) for m in results.members.values())
    assert list(table["member"].unique()) == ["synthetic", "synthetic_2"]
    row = table[(table["member"] == "synthetic") & (table["id"] == "validity.tool_calls.rate")].iloc[0]
    assert row["value"] == results.members["synthetic"].metrics["validity.tool_calls.rate"].value
    metric = results.members["synthetic"].metrics["validity.tool_calls.rate"]
    assert row["real_value"] == metric.details["real_value"] is not None
    assert row["pillar"] == "validity" and row["target"] == "tool_calls" and row["status"] == "ok"
    named = synae.compare(real, {"head": sets[0], "tail": sets[1]}, out=tmp_path / "runs", **OPTIONS)
    assert list(named.members) == ["head", "tail"]
    assert list(json.loads((tmp_path / "runs" / "results.json").read_text())["members"]) == ["head", "tail"]
    assert not (tmp_path / "runs" / "report.html").exists()  # no report asked for


def test_write_html_needs_report_data(files, tmp_path, capsys, monkeypatch) -> None:
    """`synae.write_html` and `synae report` (the same function) refuse results without report data."""
    real_path, syn_path = files
    bare = synae.evaluate(real_path, syn_path, select="fidelity.tool_calls.*", **OPTIONS)
    with pytest.raises(DataError, match=r"no report data .*report=True"):
        synae.write_html(bare, tmp_path / "bare.html")
    bare.write(tmp_path / "bare.json")
    code, _, err = run_synae(["report", tmp_path / "bare.json", "--out", tmp_path / "bare.html"], capsys,
                             monkeypatch)
    assert code == 2 and "no report data" in err and "--report" in err
    assert not (tmp_path / "bare.html").exists()
    full = synae.evaluate(real_path, syn_path, report=True, out=tmp_path / "r.json", **OPTIONS)
    page = synae.write_html(full, tmp_path / "api.html").read_text(encoding="utf-8")
    assert "<svg" in page and 'id="drilldown"' in page and ">few.v2<" in page
    assert EvaluationReport.read(tmp_path / "r.json").report_data  # what `synae report` renders from


def test_options_are_config_keys(files) -> None:
    from synae.run.api import api_config

    config = api_config(None, {"bootstrap": 20, "judge_model": "m", "knn_k": 5, "mode": "reference",
                               "llm": {"concurrency": 2}})
    assert (config.evaluation.bootstrap, config.judge.model, config.metrics.knn_k, config.mode,
            config.llm.concurrency) == (20, "m", 5, "reference", 2)
    with pytest.raises(ConfigError, match=r"ambiguous.*judge_model="):
        api_config(None, {"model": "m"})
    with pytest.raises(ConfigError, match=r"'validity' is a config section.*checker="):
        api_config(None, {"validity": "rules"})
    with pytest.raises(ConfigError, match=r"unknown option 'bootstrp'; did you mean 'bootstrap'"):
        api_config(None, {"bootstrp": 3})
    real_path, syn_path = files
    with pytest.raises(ConfigError, match="names must give 2 distinct names"):
        synae.compare(real_path, [syn_path, syn_path], names=["a", "a"], **OPTIONS)
