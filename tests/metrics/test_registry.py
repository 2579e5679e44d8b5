"""The registry resolves every metric ID the evaluator can produce and builds valid records."""

from __future__ import annotations

import json

import pytest

from synae.config import Config
from synae.evaluate import planned_metrics
from synae.metrics import rd, tdd
from synae.metrics.base import MetricValue
from synae.metrics.registry import REGISTRY, failed, make_result, meaning, skipped, spec
from synae.presets import PRESET_NAMES, get_preset


def test_templates_resolve():
    assert spec("fidelity.tool_calls.planning.k4").id == "fidelity.tool_calls.planning.k<k>"
    assert spec("fidelity.instructions.knd.context_question").direction == "lower_is_better"
    assert spec("fidelity.downstream.rd.output").bounds == (-1.0, 1.0)
    assert spec("fidelity.downstream.tdd.tool_calls").target == "downstream"
    assert spec("validity.output.rate.judge").id == "validity.output.rate"
    with pytest.raises(KeyError):
        spec("fidelity.nothing.here")


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_planned_metric_has_metadata(preset):
    for metric_id in planned_metrics(get_preset(preset), Config()):
        s = spec(metric_id)
        assert s.meaning.endswith(".") and len(s.meaning) > 20
        assert metric_id.startswith(f"{s.pillar}.{s.target}.")


def test_make_result_and_status():
    value = MetricValue(0.25, n_real=4, n_synthetic=3, details={"k": 3}, warnings=["w: x"])
    result = make_result("fidelity.instructions.knn_precision", value)
    assert (result.status, result.value, result.pillar, result.direction) == (
        "ok", 0.25, "fidelity", "higher_is_better")
    assert result.details["unit"] == "trajectories" and result.details["k"] == 3
    null = make_result("fidelity.instructions.fid", MetricValue.null("n_lt_2: one point"))
    assert null.status == "skipped" and null.reason.startswith("n_lt_2") and null.value is None
    assert make_result("fidelity.instructions.am.city", 0.1, categorical=True).bounds == (0.0, 1.0)
    assert make_result("fidelity.instructions.am.n_turns", 0.1).bounds == (0.0, None)
    assert failed("diversity.tool_calls.vendi", "error: boom").status == "failed"
    assert skipped("diversity.output.vendi", "no_outputs").value is None
    json.dumps(result.to_json_dict(), allow_nan=False)


def test_registry_covers_the_spec_summary():
    expected = {"validity.tool_calls.rate", "validity.output.rate", "fidelity.tool_calls.tum",
                "fidelity.tool_calls.tcnm", "fidelity.output.am.token_length", "diversity.instructions.ad",
                "fidelity.downstream.tdd.<t>", "fidelity.downstream.rd.<t>"}
    assert expected <= set(REGISTRY)
    assert "Vendi" in meaning("diversity.tool_calls.vendi")


def test_downstream_functions_are_reexported():
    assert tdd([0.5, 0.7], [0.5, 0.7]).value == 0.0
    assert rd([0.1, 0.5, 0.9], [0.2, 0.4, 0.8]).value == pytest.approx(1.0)
