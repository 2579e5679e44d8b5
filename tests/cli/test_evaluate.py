"""`synae evaluate` end to end with the lexical embedder."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from synae.cli.app import app
from synae.errors import ConfigError

runner = CliRunner()


def test_evaluate_writes_results_and_prints_a_table(shared_data, tmp_path):
    data = shared_data / "acp" / "acp_app_bool.parquet"
    out = tmp_path / "results.json"
    result = runner.invoke(app, ["evaluate", "--real", str(data), "--synthetic", str(data),
                                 "--embedder", "lexical", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "instructions" in result.output and "knn_precision" in result.output and "↑" in result.output
    data_json = json.loads(out.read_text())
    assert data_json["config"]["preset"] == "acp"
    assert data_json["metrics"]["fidelity.instructions.knn_recall"]["value"] == 1.0
    assert data_json["datasets"]["real"]["n"] == 130


def test_evaluate_metric_patterns_json_and_mode(shared_data, tmp_path):
    real = shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json"
    older = shared_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json"
    result = runner.invoke(app, ["evaluate", "--real", str(real), "--synthetic", str(older),
                                 "--mode", "reference", "--metrics", "fidelity.tool_calls.*", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["metrics"]) == {"fidelity.tool_calls.tum", "fidelity.tool_calls.tcnm",
                                    "fidelity.tool_calls.planning.k2", "fidelity.tool_calls.planning.k3"}
    assert data["config"]["mode"] == "reference" and data["embedder"] is None
    assert data["metrics"]["fidelity.tool_calls.tum"]["value"] > 0


def test_evaluate_bad_options_are_config_errors(shared_data):
    data = str(shared_data / "acp" / "acp_app_bool.parquet")
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--metrics", "nope.*"])
    assert isinstance(result.exception, ConfigError)
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--validity", "maybe"])
    assert isinstance(result.exception, ConfigError)


def test_config_file_values_apply_unless_a_flag_overrides(shared_data, tmp_path):
    data = str(shared_data / "acp" / "acp_app_bool.parquet")
    config = tmp_path / "synae.yaml"
    config.write_text("mode: reference\nmetrics:\n  knn_k: 5\nembedding:\n  model: lexical\n")
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--config", str(config),
                                 "--metrics", "fidelity.instructions.knn_*", "--json"])
    assert result.exit_code == 0, result.output
    data_json = json.loads(result.output)
    assert data_json["config"]["mode"] == "reference"
    assert data_json["metrics"]["fidelity.instructions.knn_recall"]["details"]["k"] == 5
    assert data_json["embedder"]["model"].startswith("synae-lexical")


def test_validity_rules_are_added_to_the_results(shared_data):
    real = str(shared_data / "t1" / "t1_attraction_turns_with_output.csv")
    syn = str(shared_data / "t1" / "t1_attraction_augmented_valid.csv")
    result = runner.invoke(app, ["evaluate", "--real", real, "--synthetic", syn, "--validity", "rules",
                                 "--metrics", "fidelity.tool_calls.tum", "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)["metrics"]
    assert metrics["validity.tool_calls.rate"]["status"] == "ok"
    assert 0 <= metrics["validity.output.rate"]["value"] <= 1
    assert "fidelity.tool_calls.tum" in metrics
