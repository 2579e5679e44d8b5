"""Thresholds file parsing and gate outcomes."""

from __future__ import annotations

import json

import pytest

from helpers.report_fixtures import metric, report
from synae.errors import ConfigError
from synae.report.gate import EXIT_FAIL, EXIT_MISSING, EXIT_PASS, check, exit_code, load_thresholds
from synae.run.scoring.aggregate import aggregate_single


@pytest.fixture
def results() -> dict:
    ms = {m.id: m for m in [metric("validity.tool_calls.rate", 0.92), metric("fidelity.tool_calls.tum", 0.08),
                            metric("fidelity.instructions.fid", None)]}
    rep = report(ms)
    rep.aggregates = aggregate_single(rep.metrics, "syn")
    return rep.to_json_dict()


def test_yaml_and_toml_formats(tmp_path) -> None:
    y = tmp_path / "t.yaml"
    y.write_text("thresholds:\n  fidelity.tool_calls.tum: {max: 0.1}\n  validity: {min: 0.9}\n")
    t = tmp_path / "t.toml"
    t.write_text('["fidelity.tool_calls.tum"]\nmax = 0.1\n[validity]\nmin = 0.9\n')
    assert load_thresholds(y) == load_thresholds(t) == {"fidelity.tool_calls.tum": {"max": 0.1},
                                                        "validity": {"min": 0.9}}


@pytest.mark.parametrize("text, match", [
    ("fidelity.tool_calls.tum: 0.1\n", "bounds must be a mapping"),
    ("fidelity.tool_calls.tum: {maximum: 0.1}\n", "bounds must be a mapping"),
    ("fidelity.tool_calls.tum: {max: high}\n", "must be a number"),
    ("fidelity.tool_calls.tum: {min_label: Strong}\n", "min_label applies to pillars"),
    ("[1, 2]\n", "expected a mapping"),
])
def test_bad_thresholds_are_clear_errors(tmp_path, text, match) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_thresholds(path)


def test_pass_fail_missing(results) -> None:
    ok = check(results, {"fidelity.tool_calls.tum": {"max": 0.1}, "validity": {"min": 0.9}})
    assert [c.outcome for c in ok] == ["pass", "pass"] and exit_code(ok) == EXIT_PASS
    assert ok[1].value == pytest.approx(0.92)  # the pillar score (mean of validity rates)
    failed = check(results, {"fidelity.tool_calls.tum": {"max": 0.05}, "validity": {"min": 0.9}})
    assert [c.outcome for c in failed] == ["fail", "pass"] and exit_code(failed) == EXIT_FAIL
    missing = check(results, {"fidelity.instructions.fid": {"max": 1.0}, "fidelity.output.fid": {"max": 1}})
    assert [c.outcome for c in missing] == ["missing", "missing"] and exit_code(missing) == EXIT_MISSING
    both = check(results, {"fidelity.output.fid": {"max": 1}, "fidelity.tool_calls.tum": {"min": 0.5}})
    assert exit_code(both) == EXIT_FAIL  # a failure outranks a missing value


def test_labels_and_comparisons(results) -> None:
    # Single set: validity δ = 0.08 → Moderate; fidelity has no score without a comparison group.
    checks = check(results, {"validity": {"min_label": "Moderate"}, "fidelity": {"min_label": "Moderate"}})
    assert [(c.value, c.outcome) for c in checks] == [("Moderate", "pass"), (None, "missing")]
    assert exit_code(checks) == EXIT_MISSING
    comparison = {"kind": "comparison", "members": {"a": results, "b": results},
                  "aggregates": {"scores": {"a": {"validity": 0.95}, "b": {"validity": 0.5}},
                                 "labels": {}}}
    checks = check(json.loads(json.dumps(comparison)), {"validity": {"min": 0.9}})
    assert [(c.member, c.outcome) for c in checks] == [("a", "pass"), ("b", "fail")]
    assert [c.member for c in check(comparison, {"validity": {"min": 0.9}}, ["b"])] == ["b"]
    with pytest.raises(ConfigError, match="unknown member"):
        check(comparison, {"validity": {"min": 0.9}}, ["zzz"])


def test_gate_uses_anchored_scores_of_one_set_and_says_why_a_key_is_missing() -> None:
    from synae.run.scoring.aggregate import Anchor, aggregate_anchored

    ms = {m.id: m for m in [metric("fidelity.tool_calls.tum", 0.2),
                            metric("fidelity.instructions.knn_precision", 0.8)]}
    rep = report(ms)
    anchor = Anchor(indices=[0], copies=10, seed=1,
                    floor={"fidelity.tool_calls.tum": 0.4, "fidelity.instructions.knn_precision": 1.0})
    rep.aggregates = aggregate_anchored(rep.metrics, anchor, "syn")
    data = rep.to_json_dict()
    # fidelity = mean(u_tum = 0.5, u_precision = 0.8) = 0.65
    checks = check(data, {"fidelity": {"min": 0.6, "min_label": "Poor"}, "validity": {"min": 0.5}})
    outcome = {(c.key, c.bound): c for c in checks}
    assert outcome[("fidelity", "≥ 0.6")].outcome == "pass"
    assert outcome[("fidelity", "≥ 0.6")].value == pytest.approx(0.65)
    assert outcome[("fidelity", "label ≥ Poor")].outcome == "pass"
    missing = outcome[("validity", "≥ 0.5")]
    assert missing.outcome == "missing" and "no validity checker ran" in missing.reason
    assert exit_code(checks) == EXIT_MISSING


def _judged(calibration: dict | None, checker: str = "judge") -> dict:
    """Results with one validity metric of ``checker``; ``calibration`` ``{}`` = no calibration key."""
    details: dict = {"checker": checker}
    if calibration != {}:
        details["judge_calibration"] = calibration
    rate = metric("validity.output.rate", 0.9, details=details)
    return report({rate.id: rate}).to_json_dict()


def test_gate_can_require_a_minimum_judge_kappa(tmp_path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("judge: {min_kappa: 0.4}\n")
    bounds = load_thresholds(path)
    low, high = check(_judged({"kappa": 0.1}), bounds), check(_judged({"kappa": 0.75}), bounds)
    assert [(c.outcome, c.value, c.bound) for c in low] == [("fail", 0.1, "κ ≥ 0.4")]
    assert exit_code(low) == EXIT_FAIL
    assert [c.outcome for c in high] == ["pass"] and exit_code(high) == EXIT_PASS
    for results, why in [(_judged({}), "no judge calibration recorded"),
                         (_judged(None), "no judge calibration"), (_judged({"kappa": None}), "undefined"),
                         (_judged({}, "rules"), "no validity metric judged")]:
        missing = check(results, bounds)
        assert missing[0].outcome == "missing" and why in (missing[0].reason or "")


@pytest.mark.parametrize("text", ["validity: {min_kappa: 0.4}\n", "judge: {min: 0.4}\n",
                                  "judge: {min_kappa: 0.4, max: 1}\n", "judge: {min_kappa: high}\n"])
def test_min_kappa_is_the_judge_keys_one_numeric_bound(tmp_path, text) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"min_kappa|must be a number"):
        load_thresholds(path)
