"""`synae judge calibrate`, and the calibration recorded by `validate` / `evaluate` (loopback judge)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from helpers.judge_fixtures import N, construction_judge, write_real
from helpers.openai_server import ScriptedOpenAIServer
from synae.cli.app import app

runner = CliRunner()


def _llm(server: ScriptedOpenAIServer) -> list[str]:
    return ["--judge-model", "judge", "--llm-base-url", server.base_url, "--concurrency", "4"]


def test_calibrate_writes_the_record_and_prints_kappa(tmp_path: Path) -> None:
    real = write_real(tmp_path / "real.jsonl")
    with ScriptedOpenAIServer(responder=construction_judge) as server:
        result = runner.invoke(app, ["judge", "calibrate", "--real", str(real), "--out",
                                     str(tmp_path / "cal"), "--preset", "generic", "--resamples", "50",
                                     *_llm(server)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "cal" / "judge_calibration.json").read_text())
    assert record["overall"]["kappa"] == 1.0 and record["config"]["resamples"] == 50
    assert f"judge κ = 1.00 [1.00, 1.00] on {4 * N} items" in result.stdout
    assert "warning" not in result.stdout and "curve output" in result.stdout


def test_dry_run_prints_the_budget_and_sends_nothing(tmp_path: Path) -> None:
    real = write_real(tmp_path / "real.jsonl")
    with ScriptedOpenAIServer() as server:
        result = runner.invoke(app, ["judge", "calibrate", "--real", str(real), "--dry-run", "--items", "3",
                                     *_llm(server)])
        assert server.requests == []
    assert result.exit_code == 0, result.output
    assert "dry run: 12 judge calls to make (0 already cached) for 12 labelled items" in result.stdout


def test_validate_and_evaluate_record_an_unreliable_judge(tmp_path: Path) -> None:
    """A judge that always says "no": κ = 0, so validate and evaluate warn, on the console and in the
    results; validate finds the cached calibration of the same judge by itself."""
    real = write_real(tmp_path / "real.jsonl", n=4)
    cal = tmp_path / "cal"
    with ScriptedOpenAIServer(default_text="no") as server:
        llm = _llm(server)
        made = runner.invoke(app, ["judge", "calibrate", "--real", str(real), "--out", str(cal), *llm])
        assert made.exit_code == 0 and "unreliable judge" in made.stdout
        shown = runner.invoke(app, ["validate", str(real), "--validity", "llm", "--judge-calibration",
                                    str(cal), *llm])
        cached = runner.invoke(app, ["validate", str(real), "--validity", "llm", "--json", *llm])
        out = tmp_path / "results.json"
        evaluated = runner.invoke(app, ["evaluate", "--real", str(real), "--synthetic", str(real),
                                        "--embedder", "lexical", "--metrics",
                                        "fidelity.tool_calls.tum,validity.*", "--validity", "llm",
                                        "--judge-calibration", str(cal), "--out", str(out), *llm])
    assert shown.exit_code == 0, shown.output
    assert "output: judge κ = 0.00" in shown.stdout and "on 8 items" in shown.stdout
    assert "warning: output: unreliable judge" in shown.stdout.replace("\n", " ")
    found = json.loads(cached.stdout)["judge_calibration"]
    assert set(found) == {"tool_calls", "output"} and found["output"]["kappa"] == 0.0
    assert evaluated.exit_code == 0, evaluated.output
    metric = json.loads(out.read_text())["metrics"]["validity.output.rate"]
    assert metric["details"]["judge_calibration"]["kappa"] == 0.0
    assert any("unreliable judge" in w for w in metric["warnings"])
    assert "validity.output.rate: judge κ = 0.00" in evaluated.stdout


def test_without_a_calibration_the_results_say_reliability_is_unknown(tmp_path: Path) -> None:
    real = write_real(tmp_path / "real.jsonl", n=3)
    with ScriptedOpenAIServer(default_text="yes") as server:
        result = runner.invoke(app, ["validate", str(real), "--validity", "llm", "--json", *_llm(server)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["judge_calibration"] == {"tool_calls": None, "output": None}
