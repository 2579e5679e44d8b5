"""The registry resolves every metric ID the evaluator can produce and builds valid records; a
metric added with the decorator runs in the evaluator, shows in the HTML report and can be gated."""

from __future__ import annotations

import json

import pytest

from synae.config import Config, load_config
from synae.metrics import rd, tdd
from synae.metrics.base import MetricValue
from synae.metrics.registry import (
    HIGHER,
    LOWER,
    REGISTRY,
    MetricContext,
    MetricInputs,
    declare,
    failed,
    has_tool_calls,
    make_result,
    meaning,
    metric,
    ordered,
    plan,
    skipped,
    spec,
    unregister,
)
from synae.presets import PRESET_NAMES, get_preset
from synae.report import gate
from synae.report.html import render_html
from synae.results import load_any
from synae.run.inputs.data import load_dataset
from synae.run.scoring.evaluation import Evaluator, planned_metrics
from synae.schema import Dataset


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


def test_plan_follows_the_context_in_registry_order():
    context = MetricContext(has_tool_calls=False, has_outputs=False, knd_pairs=("user_user",),
                            am_attributes=("n_turns", "city"), output_am_attributes=("output_token_length",))
    assert plan(context) == [
        "fidelity.instructions.knd.user_user", "fidelity.instructions.am.n_turns",
        "fidelity.instructions.am.city", "fidelity.instructions.knn_precision",
        "fidelity.instructions.knn_recall", "fidelity.instructions.fid", "diversity.instructions.vendi",
        "diversity.instructions.ad", "privacy.instructions.exact_copies", "privacy.instructions.near_copies",
        "privacy.instructions.verbatim_spans", "privacy.instructions.pii_echo"]
    with_calls = plan(MetricContext(options=Config().metrics.model_copy(update={"planning_k": [4]})))
    assert "fidelity.tool_calls.planning.k4" in with_calls
    assert "fidelity.output.am.token_length" not in with_calls
    assert not any(i.startswith(("validity.", "fidelity.downstream.")) for i in with_calls)  # other stages
    s = spec("fidelity.tool_calls.planning.k4")
    assert s.qualifier("fidelity.tool_calls.planning.k4") == "4" and s.needs == {"calls"}
    assert spec("fidelity.output.am.token_length").attribute_of("fidelity.output.am.token_length") == \
        "output_token_length"
    assert spec("fidelity.instructions.knn_recall").embedding == "transcripts"
    rate = spec("validity.output.rate")
    assert rate.produced_by == "validity" and rate.compute is None


def test_report_order_groups_pillars_then_registration():
    ids = ["diversity.instructions.vendi", "x.y.z", "fidelity.tool_calls.tum", "validity.output.rate.rules",
           "fidelity.instructions.knd.b", "fidelity.instructions.knd.a", "fidelity.downstream.rd.output"]
    assert ordered(ids) == ["validity.output.rate.rules", "fidelity.instructions.knd.b",
                            "fidelity.instructions.knd.a", "fidelity.tool_calls.tum",
                            "fidelity.downstream.rd.output", "diversity.instructions.vendi", "x.y.z"]


def test_registration_errors():
    with pytest.raises(ValueError, match="already registered"):
        declare("validity.output.rate", direction=HIGHER, bounds=(0.0, 1.0), unit="x", meaning="x.",
                produced_by="validity")
    with pytest.raises(ValueError, match=r"<pillar>\.<target>\.<name>"):
        metric("quality.instructions.x", direction=HIGHER, bounds=(0.0, 1.0), unit="x", meaning="x.")


TOY = "fidelity.tool_calls.multi_call_gap"


def multi_call_share(calls: list[tuple[str, ...]]) -> float:
    return sum(1 for c in calls if len(c) > 3) / len(calls)


@pytest.fixture
def toy_metric():
    """A metric added the way a contributor adds one: one decorated function (removed afterwards)."""

    @metric(TOY, direction=LOWER, bounds=(0.0, 1.0), unit="trajectories", needs=("calls",),
            applies=has_tool_calls, meaning="How different the share of trajectories with more than "
                                            "three tool calls is between the two sets.")
    def multi_call_gap(m: MetricInputs) -> MetricValue:
        gap = abs(multi_call_share(m.real.calls) - multi_call_share(m.synthetic.calls))
        return MetricValue(gap, n_real=m.real.n, n_synthetic=m.synthetic.n)

    yield TOY
    unregister(TOY)
    assert TOY not in REGISTRY


def test_a_decorated_metric_runs_renders_and_gates(toy_metric, bench_data, tmp_path):
    real = load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv")
    synthetic = Dataset(real.trajectories[: len(real) // 3], name="first_third")
    lexical = load_config(embedding={"model": "lexical"})
    evaluator = Evaluator(real, lexical, metric_patterns="fidelity.tool_calls.*,diversity.tool_calls.*")
    assert evaluator.metric_ids == ["fidelity.tool_calls.tum", "fidelity.tool_calls.tcnm",
                                    "fidelity.tool_calls.planning.k2", "fidelity.tool_calls.planning.k3",
                                    toy_metric, "diversity.tool_calls.vendi"]  # report order
    report = evaluator.evaluate(synthetic)
    result = report.metrics[toy_metric]
    expected = abs(multi_call_share(evaluator.real_features.calls)
                   - multi_call_share(evaluator.features(synthetic).calls))
    assert (result.status, result.value, result.pillar, result.target) == ("ok", expected, "fidelity",
                                                                           "tool_calls")
    assert 0 < expected < 1 and result.details["unit"] == "trajectories"
    assert report.embedder is None  # calls only: nothing embedded

    report.write(tmp_path / "results.json")
    html = render_html(load_any(tmp_path / "results.json"))
    row = html[html.index(toy_metric):]
    assert "three tool calls is between" in row[:2000] and f"{expected:.4g}" in row[:2000]
    # registry order: the fidelity rows, then the diversity rows
    assert html.index("fidelity.tool_calls.tum") < html.index(toy_metric) < html.index(
        "diversity.tool_calls.vendi")

    results = gate.load_results(tmp_path / "results.json")
    passing = gate.check(results, {toy_metric: {"max": expected}})
    failing = gate.check(results, {toy_metric: {"max": expected / 2}})
    assert [c.outcome for c in passing] == ["pass"] and [c.outcome for c in failing] == ["fail"]
    assert gate.exit_code(failing) == gate.EXIT_FAIL
