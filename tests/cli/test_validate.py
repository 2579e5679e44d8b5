"""`synae validate` end to end: real data files, rule checkers, the judge over loopback HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers.openai_server import ScriptedOpenAIServer
from synae.cli.app import app
from synae.errors import ConfigError
from synae.run.inputs.data import load_dataset
from synae.schema import read_jsonl, write_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def t1_small(bench_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 real T1-Augmented trajectories as a canonical JSONL file."""
    from synae.run.inputs.data import load_dataset

    data = load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv")
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


def test_acp_has_no_tool_call_target(bench_data: Path) -> None:
    result = runner.invoke(app, ["validate", str(bench_data / "acp" / "acp_app_prog.csv"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    n = len(load_dataset(bench_data / "acp" / "acp_app_prog.csv"))
    assert summary["tool_calls"] is None and summary["output"]["valid"] == n


def test_judge_verdicts_written_with_reasons(t1_small: Path, tmp_path: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    with ScriptedOpenAIServer(responder=lambda body: "No" if "## Final output" in
                              body["messages"][1]["content"] else "Yes") as server:
        result = runner.invoke(app, ["validate", str(t1_small), "--validity", "both", "--out", str(out),
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
        result = runner.invoke(app, ["validate", str(t1_small), "--validity", "llm", "--dry-run", "--json",
                                     "--llm-base-url", server.base_url, "--judge-model", "judge-model"])
        n_requests = len(server.requests)
    assert result.exit_code == 0, result.output
    budget = json.loads(result.stdout)
    assert n_requests == 0
    assert budget["dry_run"] is True and budget["calls"] + budget["cached"] == 24  # 2n (docs/method.md §7.7)
    assert budget["prompt_tokens"] > 24 * 100 and budget["completion_tokens"] == budget["calls"] * 16


def test_llm_checker_needs_a_model(t1_small: Path) -> None:
    result = runner.invoke(app, ["validate", str(t1_small), "--validity", "llm"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError) and "judge model" in str(result.exception)


def test_agreement_with_construction_labels(bench_data: Path, tmp_path: Path) -> None:
    from synae.generate.invalidate import invalidate
    from synae.presets import get_preset
    from synae.run.inputs.data import load_dataset

    real = load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv")
    broken = invalidate(real, 0.5, preset=get_preset("t1"), target="tool_calls", seed=123)
    path = tmp_path / "invalidated.jsonl"
    write_jsonl(broken.trajectories, path)
    result = runner.invoke(app, ["validate", str(path), "--preset", "t1", "--known-labels", "construction",
                                 "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["agreement"]["tool_calls"]["rules"]
    assert found["n_labelled"] == len(real) and found["coverage"] == 1.0
    assert found["kappa"] > 0.8 and found["f1_valid"] > 0.9  # rules track validity by construction
    table = runner.invoke(app, ["validate", str(path), "--preset", "t1", "--known-labels", "construction"])
    assert "agreement with labels" in table.stdout


def test_an_endpoint_that_refuses_the_key_stops_the_run_with_exit_4(
        t1_small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.synae_cli import run_synae

    monkeypatch.setenv("OPENAI_API_KEY", "wrong")
    monkeypatch.setenv("SYNAE_CACHE_DIR", str(tmp_path / "cache"))
    with ScriptedOpenAIServer(api_key="right") as server:
        code, _, err = run_synae(["validate", t1_small, "--validity", "llm", "--judge-model", "judge-model",
                                  "--llm-base-url", server.base_url], capsys, monkeypatch)
        n_requests = len(server.requests)
    assert code == 4, err
    assert "error: LLM auth" in err and "cached" in err and len(err.strip().splitlines()) <= 3
    assert n_requests <= 2  # stopped at the first refusal, not after every item


def test_a_judge_that_scores_nothing_exits_4_after_writing_the_verdicts(
        t1_small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.synae_cli import run_synae

    monkeypatch.setenv("SYNAE_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "verdicts.jsonl"
    with ScriptedOpenAIServer(default_text="Perhaps, it depends.") as server:
        code, _, err = run_synae(["validate", t1_small, "--validity", "llm", "--judge-model", "judge-model",
                                  "--llm-base-url", server.base_url, "--out", out], capsys, monkeypatch)
    assert code == 4, err
    assert "all_unscored" not in err and "unscored" in err and str(out) in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["valid"] is None for r in rows)


def test_skipped_records_are_counted_and_skipping_everything_fails(
        t1_small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.synae_cli import run_synae

    data = tmp_path / "with_bad.jsonl"
    data.write_text(t1_small.read_text() + "{broken\n", encoding="utf-8")
    code, out, err = run_synae(["validate", data, "--preset", "t1", "--skip-invalid", "--json"], capsys,
                               monkeypatch)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["n_skipped"] == 1 and "line 13" in summary["skipped"][0]
    assert summary["tool_calls"]["valid"] == 12
    code, out, _ = run_synae(["validate", data, "--preset", "t1", "--skip-invalid"], capsys, monkeypatch)
    assert code == 0 and "data: skipped 1 invalid record(s); first:" in out
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{broken\n[1]\n", encoding="utf-8")
    code, _, err = run_synae(["validate", broken, "--from", "canonical", "--preset", "t1", "--skip-invalid"],
                             capsys, monkeypatch)
    assert code == 2 and "every record (2) was skipped as invalid" in err
