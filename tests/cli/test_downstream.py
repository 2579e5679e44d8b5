"""`synae downstream` end to end with scripted agents (and a dry run)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from synae.cli.app import app
from synae.datapaths import data_path
from synae.errors import ConfigError
from synae.run.inputs.data import load_dataset
from synae.schema import read_jsonl, write_jsonl


@pytest.fixture(scope="module")
def acp_files(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    folder = tmp_path_factory.mktemp("acp")
    data = load_dataset(data_path("acp", "acp_app_prog.csv"))
    real, synthetic = folder / "real.jsonl", folder / "synthetic.jsonl"
    write_jsonl(data.trajectories[:12], real)
    write_jsonl(list(reversed(data.trajectories[:12])), synthetic)  # same items, other order
    return real, synthetic


def test_downstream_command_writes_metrics_and_agent_trajectories(tmp_path, acp_files) -> None:
    real, synthetic = acp_files
    out = tmp_path / "results.json"
    result = CliRunner().invoke(app, ["downstream", "--real", str(real), "--synthetic", str(synthetic),
                                      "--agent", "oracle", "--agent", "noisy-oracle:0.5", "--runs", "2",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "budget" in result.output and "0 LLM calls" in result.output
    data = json.loads(out.read_text())
    assert data["preset"] == "acp" and data["runs"] == 2
    assert set(data["metrics"]) == {"fidelity.downstream.tdd.output", "fidelity.downstream.rd.output"}
    tdd = data["metrics"]["fidelity.downstream.tdd.output"]
    assert tdd["status"] == "ok" and tdd["value"] == 0.0
    assert data["metrics"]["fidelity.downstream.rd.output"]["value"] == 1.0
    oracle, noisy = tdd["details"]["agents"]
    assert oracle["real"]["mean"] == oracle["synthetic"]["mean"] == 1.0
    assert noisy["real"]["mean"] == noisy["synthetic"]["mean"] < 1.0
    saved = read_jsonl(tmp_path / "results.agents" / "synthetic" / "oracle" / "run0.jsonl")
    assert len(saved) == 12


def test_dry_run_prints_only_the_budget(tmp_path, acp_files) -> None:
    real, synthetic = acp_files
    out = tmp_path / "results.json"
    result = CliRunner().invoke(app, ["downstream", "--real", str(real), "--synthetic", str(synthetic),
                                      "--agent", "some-model", "--agent", "oracle", "--runs", "3",
                                      "--llm-base-url", "http://127.0.0.1:9/v1", "--dry-run",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "12 agent calls per model agent and run" in result.output
    assert "budget total: 72 LLM calls" in result.output  # 1 model agent × 3 runs × (12 + 12)
    assert not out.exists()


def test_bad_options_are_clear_errors(acp_files) -> None:
    real, synthetic = acp_files
    result = CliRunner().invoke(app, ["downstream", "--real", str(real), "--synthetic", str(synthetic),
                                      "--agent", "oracle", "--scorer", "magic"])
    assert isinstance(result.exception, ConfigError) and "--scorer" in str(result.exception)
    result = CliRunner().invoke(app, ["downstream", "--real", str(real), "--synthetic", str(synthetic)])
    assert isinstance(result.exception, ConfigError) and "--agent" in str(result.exception)


def test_model_agent_run_is_cached_and_resumable(tmp_path, acp_files) -> None:
    from helpers.openai_server import ScriptedOpenAIServer

    real, synthetic = acp_files
    args = ["downstream", "--real", str(real), "--synthetic", str(synthetic), "--agent", "qa-model",
            "--agent", "oracle", "--runs", "1"]
    with ScriptedOpenAIServer(responder=lambda body: "Yes, it is.") as server:
        args += ["--llm-base-url", server.base_url]
        first = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "a.json")])
        n_first = len(server.requests)
        second = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "b.json")])
        n_second = len(server.requests) - n_first
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert n_first == 12 and n_second == 0  # same items on both sides: identical requests sent once
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("a.json", "b.json"))
    assert b["llm_usage"]["calls"] == 0 and b["llm_usage"]["cached"] == 24
    assert a["metrics"] == b["metrics"]
    model = a["metrics"]["fidelity.downstream.tdd.output"]["details"]["agents"][0]
    assert model["name"] == "qa-model" and 0 < model["real"]["mean"] < 1  # always "yes"


def test_an_unknown_model_stops_the_run_with_exit_4(tmp_path, acp_files, capsys, monkeypatch) -> None:
    from helpers.openai_server import ScriptedOpenAIServer
    from helpers.synae_cli import run_synae

    real, synthetic = acp_files
    monkeypatch.setenv("SYNAE_CACHE_DIR", str(tmp_path / "cache"))
    with ScriptedOpenAIServer(models=["served-model"]) as server:
        code, _, err = run_synae(["downstream", "--real", real, "--synthetic", synthetic, "--agent",
                                  "typo-model", "--runs", "1", "--llm-base-url", server.base_url, "--out",
                                  tmp_path / "d.json"], capsys, monkeypatch)
        n_requests = len(server.requests)
    assert code == 4, err
    assert "error: LLM model not found" in err and "cached" in err
    assert n_requests < 24  # stopped early, not once per trajectory


def test_a_trajectory_beyond_its_state_budget_is_unscored_and_the_metrics_stay(tmp_path) -> None:
    """Issue 21: ``downstream.state_max_nodes`` (here from the environment) reaches the scoring; the
    2^40-path trajectory is unscored, the others are scored and both metrics are computed."""
    from helpers.hostile_bfcl import doubling_calls, fs_trajectory, self_copy_calls

    plain = [fs_trajectory("plain", [("mkdir", {"dir_name": "a"})]),
             fs_trajectory("cycle", self_copy_calls())]
    real, synthetic = tmp_path / "real.jsonl", tmp_path / "synthetic.jsonl"
    write_jsonl(plain, real)
    write_jsonl([fs_trajectory("doubling", doubling_calls(40)), *plain], synthetic)
    out = tmp_path / "results.json"
    result = CliRunner().invoke(app, ["downstream", "--real", str(real), "--synthetic", str(synthetic),
                                      "--preset", "bfcl", "--agent", "oracle", "--agent", "noisy-oracle:0.5",
                                      "--runs", "1", "--out", str(out)],
                                env={"SYNAE_DOWNSTREAM_STATE_MAX_NODES": "400"})
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())["metrics"]
    tdd = metrics["fidelity.downstream.tdd.tool_calls"]
    assert tdd["status"] == "ok" and "fidelity.downstream.rd.tool_calls" in metrics
    oracle = tdd["details"]["agents"][0]["synthetic"]
    assert oracle["counts"] == [{"success": 2, "failure": 0, "unscored": 1}]
    assert oracle["unscored_reasons"] == {"state_budget_exceeded": 1}
