"""`synae validate` end to end: real data files, rule checkers, the judge over loopback HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.openai_server import ScriptedOpenAIServer
from synae.cli.app import app
from synae.errors import ConfigError
from synae.schema import read_jsonl, write_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def t1_small(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 real T1-Augmented trajectories as a canonical JSONL file."""
    from synae.adapters import load_dataset

    data = load_dataset(shared_data / "t1" / "t1_attraction_augmented_valid.csv")
    path = tmp_path_factory.mktemp("data") / "t1_small.jsonl"
    write_jsonl(data.trajectories[:12], path)
    return path


def test_json_summary_with_rules(t1_small: Path) -> None:
    result = runner.invoke(app, ["validate", str(t1_small), "--preset", "t1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == {"tool_calls", "output"}
    assert summary["tool_calls"] == {"valid": 12, "invalid": 0, "unscored": 0, "rate": 1.0}
    assert set(summary["output"]) == {"valid", "invalid", "unscored", "rate"}
    assert summary["output"]["valid"] + summary["output"]["invalid"] == 12


def test_acp_has_no_tool_call_target(shared_data: Path) -> None:
    result = runner.invoke(app, ["validate", str(shared_data / "acp" / "acp_app_prog.csv"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["tool_calls"] is None and summary["output"]["valid"] == 260


def test_judge_verdicts_written_with_reasons(t1_small: Path, tmp_path: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    with ScriptedOpenAIServer(responder=lambda body: "No" if "## Final output" in
                              body["messages"][1]["content"] else "Yes") as server:
        result = runner.invoke(app, ["validate", str(t1_small), "--checker", "both", "--out", str(out),
                                     "--llm-base-url", server.base_url, "--judge-model", "judge-model",
                                     "--concurrency", "4"])
        n_requests = len(server.requests)
    assert result.exit_code == 0, result.output
    assert "judge" in result.stdout and "rules (primary)" in result.stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 12 * 4  # 2 targets x 2 checkers
    judge_output = [r for r in rows if r["kind"] == "judge" and r["target"] == "output"]
    assert all(r["valid"] is False and r["reasons"] == ["judge_no"] and r["explanation"] == "No"
               for r in judge_output)
    assert {r["trajectory_id"] for r in judge_output} == {t.id for t in read_jsonl(t1_small)}
    assert 0 < n_requests <= 24


def test_dry_run_prints_budget_and_sends_nothing(t1_small: Path) -> None:
    with ScriptedOpenAIServer() as server:
        result = runner.invoke(app, ["validate", str(t1_small), "--checker", "llm", "--dry-run", "--json",
                                     "--llm-base-url", server.base_url, "--judge-model", "judge-model"])
        n_requests = len(server.requests)
    assert result.exit_code == 0, result.output
    budget = json.loads(result.stdout)
    assert n_requests == 0
    assert budget["dry_run"] is True and budget["calls"] + budget["cached"] == 24  # 2n (§5.7)
    assert budget["prompt_tokens"] > 24 * 100 and budget["completion_tokens"] == budget["calls"] * 16


def test_llm_checker_needs_a_model(t1_small: Path) -> None:
    result = runner.invoke(app, ["validate", str(t1_small), "--checker", "llm"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError) and "judge model" in str(result.exception)


def test_agreement_with_construction_labels(shared_data: Path, tmp_path: Path) -> None:
    from synae.adapters import load_dataset
    from synae.generate.invalidate import invalidate

    real = load_dataset(shared_data / "t1" / "t1_attraction_augmented_valid.csv")
    broken = invalidate(real, 0.5, target="tool_calls", seed=123)
    path = tmp_path / "invalidated.jsonl"
    write_jsonl(broken.trajectories, path)
    result = runner.invoke(app, ["validate", str(path), "--preset", "t1", "--labels", "construction",
                                 "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["agreement"]["tool_calls"]["rules"]
    assert found["n_labelled"] == 100 and found["coverage"] == 1.0
    assert found["kappa"] > 0.8 and found["f1_valid"] > 0.9  # rules track validity by construction
    table = runner.invoke(app, ["validate", str(path), "--preset", "t1", "--labels", "construction"])
    assert "agreement with labels" in table.stdout
