"""Judge calibration: labelled set by construction, agreement, κ interval, curve, and the reliability
that travels with the verdicts — judges scripted on the loopback server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.judge_fixtures import N, construction_judge, prompt_of, random_judge, real_set
from helpers.openai_server import ScriptedOpenAIServer
from synae.config import Config
from synae.errors import DataError
from synae.presets import get_preset
from synae.results import MetricResult
from synae.run.factory import llm_client
from synae.run.scoring.judge_calibration import (
    MIN_KAPPA,
    attach,
    calibrate,
    find_calibration,
    invalidation_curve,
    kappa_interval,
    load_calibration,
    slope,
    write_calibration,
)
from synae.validity.verdict import Verdict


def run(responder: Any, **validity: Any) -> dict[str, Any]:
    with ScriptedOpenAIServer(responder=responder) as server:
        llm = {"base_url": server.base_url, "api_key": "t", "concurrency": 4}
        config = Config.model_validate({"judge": {"model": "judge"}, "validity": validity, "llm": llm})
        return calibrate(real_set(), get_preset("generic"), config, llm_client(config), source="real.jsonl")


def test_a_judge_that_follows_the_construction_agrees_and_tracks_the_curve() -> None:
    found = run(construction_judge)
    assert set(found["targets"]) == {"tool_calls", "output"}
    for target in found["targets"].values():
        assert target["n_originals"] == N and target["n_invalidated"] == N
        assert (target["tp"], target["fn"], target["fp"], target["tn"]) == (N, 0, 0, N)
        assert target["kappa"] == 1.0 and target["f1_valid"] == 1.0 and target["coverage"] == 1.0
        curve = target["curve"]
        rates = [p["judged_rate"] for p in curve["points"]]
        assert rates == [p["construction_rate"] for p in curve["points"]] == [1.0, 0.8, 0.5, 0.3, 0.0]
        assert curve["slope"] == pytest.approx(curve["construction_slope"]) == pytest.approx(-1.0, abs=0.05)
    assert found["overall"]["kappa"] >= 0.9 and found["overall"]["n_scored"] == 4 * N
    assert found["warnings"] == [] and found["endpoint"].startswith("http://127.0.0.1")
    assert found["judge"]["model"] == "judge" and found["preset"] == "generic" and found["seed"] == 123


def test_a_judge_that_always_says_invalid_gets_kappa_zero_and_the_warning() -> None:
    found = run(lambda body: "no")
    overall = found["overall"]
    assert overall["kappa"] == 0.0 and overall["accuracy"] == 0.5 and overall["tp"] == 0
    assert found["targets"]["output"]["curve"]["slope"] == 0.0
    assert len(found["warnings"]) == 1 and "unreliable judge" in found["warnings"][0]


def test_a_judge_that_answers_at_random_gets_kappa_near_zero_and_the_warning() -> None:
    found = run(random_judge)
    overall = found["overall"]
    assert abs(overall["kappa"]) < MIN_KAPPA and overall["coverage"] == 1.0
    assert overall["kappa_interval"][0] <= 0 <= overall["kappa_interval"][1]
    assert found["warnings"] and "unreliable judge" in found["warnings"][0]


def test_unscored_replies_lower_coverage_not_agreement() -> None:
    found = run(lambda body: "maybe" if "## Final output" in prompt_of(body) else construction_judge(body))
    assert found["targets"]["output"]["coverage"] == 0.0 and found["targets"]["output"]["kappa"] is None
    assert found["targets"]["output"]["unscored_reasons"] == {"unparseable_reply": 2 * N}
    assert found["targets"]["tool_calls"]["kappa"] == 1.0 and found["overall"]["coverage"] == 0.5


def test_dry_run_counts_calls_and_sends_nothing() -> None:
    with ScriptedOpenAIServer() as server:
        config = Config.model_validate({"judge": {"model": "judge"}, "validity": {"calibration_items": 4},
                                        "llm": {"base_url": server.base_url, "dry_run": True}})
        budget = calibrate(real_set(), get_preset("generic"), config, llm_client(config))
        assert server.requests == []
    assert budget["dry_run"] is True and budget["n_items"] == 16 and budget["calls"] == 16
    assert budget["prompt_tokens"] > 0


def test_items_are_a_seeded_draw_of_the_rule_valid_originals() -> None:
    broken = real_set()
    broken[0].messages[1].tool_calls[0].function.name = "undeclared"  # type: ignore[index]
    with ScriptedOpenAIServer(responder=construction_judge) as server:
        config = Config.model_validate({"judge": {"model": "judge"}, "validity": {"calibration_items": 5},
                                        "llm": {"base_url": server.base_url, "api_key": "t"}})
        found = calibrate(broken, get_preset("generic"), config, llm_client(config))
        prompts = [prompt_of(b) for b in server.requests]
    assert found["n_rule_valid"] == N - 1 and found["targets"]["output"]["n_originals"] == 5
    assert not any("City0 on day 0?" in p for p in prompts)


def test_kappa_interval_and_slope() -> None:
    agree = [(True, True)] * 10 + [(False, False)] * 10
    assert kappa_interval(agree, 200, 1) == [1.0, 1.0]
    assert kappa_interval(agree, 0, 1) is None and kappa_interval([], 100, 1) is None
    assert kappa_interval([(True, True)] * 5, 100, 1) is None  # p_e = 1 in every resample
    assert slope([(0.0, 1.0), (1.0, 0.0)]) == -1.0 and slope([(0.5, 1.0)]) is None


def test_curve_mixes_originals_and_modified_copies() -> None:
    def v(i: int, valid: bool | None) -> Verdict:
        return Verdict(trajectory_id=str(i), target="output", valid=valid, checker="judge")

    valid = [v(i, True) for i in range(4)]
    invalid = {i: v(i, False) for i in range(3)}  # original 3 could not be invalidated
    curve = invalidation_curve(valid, invalid, [0.0, 1.0], seed=1)
    assert [p["judged_rate"] for p in curve["points"]] == [1.0, 0.25]
    assert [p["construction_rate"] for p in curve["points"]] == [1.0, 0.25]
    assert curve["construction_slope"] == -0.75


def test_written_found_in_the_cache_and_attached(tmp_path: Path) -> None:
    found = run(lambda body: "no")
    path = write_calibration(found, tmp_path / "cal", cache=True)
    assert load_calibration(tmp_path / "cal")["overall"]["kappa"] == 0.0
    config = Config.model_validate({"judge": {"model": "judge"}})
    cached = find_calibration(config, found["endpoint"], "generic")
    assert cached is not None and cached["path"] != str(path)
    assert find_calibration(config, "http://elsewhere/v1", "generic") is None
    metric = MetricResult(id="validity.output.rate", pillar="validity", target="output", value=0.5,
                          direction="higher_is_better", bounds=(0.0, 1.0), details={"checker": "judge"})
    attach([metric], cached, model="other", endpoint=found["endpoint"], preset="generic")
    recorded = metric.details["judge_calibration"]
    assert recorded["kappa"] == 0.0 and recorded["n"] == 2 * N and recorded["scope"] == "output"
    assert any("unreliable judge" in w for w in metric.warnings)
    assert any("another judge model 'judge' (this run: 'other')" in w for w in metric.warnings)


def test_a_file_that_is_not_a_calibration_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "judge_calibration.json").write_text('{"kind": "other"}')
    with pytest.raises(DataError, match="not a judge calibration"):
        load_calibration(tmp_path)
    with pytest.raises(DataError, match="judge calibrate"):
        load_calibration(tmp_path / "missing")
