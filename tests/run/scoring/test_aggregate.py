"""Aggregates and labels (docs/method.md §5) on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from helpers.report_fixtures import metric
from synae.run.scoring.aggregate import (
    SELF_ROW,
    AggregateOptions,
    Anchor,
    aggregate,
    aggregate_anchored,
    aggregate_single,
    bounded_closeness,
    combine_anchored,
    ideal_self_row,
    ideal_value,
    normalise,
)


def group() -> dict:
    """Self row + two synthetic sets A, B with hand-picked values."""
    def row(valid, tum, prec, vendi, ad, real_vendi=10.0, real_ad=1.0):
        ms = [metric("validity.tool_calls.rate", valid), metric("fidelity.tool_calls.tum", tum),
              metric("fidelity.instructions.knn_precision", prec),
              metric("diversity.instructions.vendi", vendi, details={"real_value": real_vendi}),
              metric("diversity.instructions.ad", ad,
                     details={"real_value": real_ad, "K": 4, "ln_K": math.log(4)})]
        return {m.id: m for m in ms}

    return {SELF_ROW: row(None, 0.0, 1.0, 10.0, 1.0), "A": row(0.9, 0.2, 0.8, 8.0, 1.2),
            "B": row(0.6, 0.4, 0.4, 4.0, 0.5)}


def test_normalise_hand_computed() -> None:
    assert normalise(0.2, best=0.0, worst=0.4, direction="lower_is_better") == pytest.approx(0.5)
    assert normalise(0.8, best=1.0, worst=0.4, direction="higher_is_better") == pytest.approx(2 / 3)
    # better than D: clipped
    assert normalise(12.0, best=10.0, worst=4.0, direction="higher_is_better") == 1.0
    assert normalise(0.0, best=0.0, worst=0.0, direction="lower_is_better") == 1.0  # all ideal


def test_group_scores_and_labels() -> None:
    agg = aggregate(group())
    n = agg["normalised"]
    # TUM: worst 0.4 → A: (0.2-0.4)/(0-0.4) = 0.5; B: 0; self: 1
    assert n["A"]["fidelity.tool_calls.tum"] == pytest.approx(0.5)
    assert n["B"]["fidelity.tool_calls.tum"] == 0.0
    # precision: worst 0.4 → A: (0.8-0.4)/(1-0.4) = 2/3
    assert n["A"]["fidelity.instructions.knn_precision"] == pytest.approx(2 / 3)
    # Vendi bound = value on D (10): worst 4 → A: (8-4)/(10-4) = 2/3
    assert n["A"]["diversity.instructions.vendi"] == pytest.approx(2 / 3)
    # AD: A (1.2) is more diverse than D (1.0): clipped to 1; B worst → 0
    assert n["A"]["diversity.instructions.ad"] == 1.0 and n["B"]["diversity.instructions.ad"] == 0.0
    s = agg["scores"]
    assert s["A"]["fidelity"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert s["A"]["diversity"] == pytest.approx((2 / 3 + 1) / 2)
    assert s["A"]["validity"] == pytest.approx(0.9)
    assert s[SELF_ROW] == {"validity": None, "fidelity": 1.0, "diversity": 1.0}
    labels = agg["labels"]
    # validity: self row has no VR → ideal 1.0; δ_A = 0.1 → Moderate; δ_B = 0.4 → Poor
    assert labels["A"]["validity"]["label"] == "Moderate"
    assert labels["A"]["validity"]["delta"] == pytest.approx(0.1)
    assert labels["B"]["validity"]["label"] == "Poor"
    # diversity A: δ = 1 - 5/6 = 0.1667 → Poor; fidelity A δ = 1 - 0.5833 → Poor
    assert labels["A"]["diversity"]["label"] == "Poor"
    assert labels[SELF_ROW]["fidelity"]["label"] == "Strong"
    assert agg["reference"] == SELF_ROW


def test_label_thresholds_boundaries_and_named_reference() -> None:
    g = group()
    # Reference = A: validity δ_B = (0.9-0.6)/0.9 = 1/3 → Poor; a member equal to the reference is Strong.
    agg = aggregate(g, AggregateOptions(reference="A"))
    assert agg["labels"]["B"]["validity"]["label"] == "Poor"
    assert agg["labels"]["A"]["validity"]["label"] == "Strong"
    # Thresholds are inclusive: δ = 0.05 is Strong, δ = 0.15 is Poor.
    g["A"]["validity.tool_calls.rate"] = metric("validity.tool_calls.rate", 0.95)
    g["B"]["validity.tool_calls.rate"] = metric("validity.tool_calls.rate", 0.85)
    agg = aggregate(g)
    assert agg["labels"]["A"]["validity"]["label"] == "Strong"
    assert agg["labels"]["B"]["validity"]["label"] == "Poor"
    with pytest.raises(ValueError, match="reference member"):
        aggregate(g, AggregateOptions(reference="nope"))


def test_metric_null_for_one_member_is_excluded_for_the_group() -> None:
    g = group()
    g["B"]["fidelity.instructions.knn_precision"] = metric("fidelity.instructions.knn_precision", None)
    agg = aggregate(g)
    assert [e["id"] for e in agg["excluded"]] == ["fidelity.instructions.knn_precision"]
    assert agg["excluded"][0]["members"] == ["B"]
    assert agg["scores"]["A"]["fidelity"] == pytest.approx(0.5)  # TUM only
    assert "fidelity.instructions.knn_precision" not in agg["metrics"]["fidelity"]


def test_qualified_duplicates_are_not_aggregated() -> None:
    g = group()
    for name in ("A", "B"):
        g[name]["validity.tool_calls.rate.rules"] = metric("validity.tool_calls.rate.rules", 0.0)
    agg = aggregate(g)
    assert agg["scores"]["A"]["validity"] == pytest.approx(0.9)
    assert "validity.tool_calls.rate.rules" not in agg["metrics"]["validity"]


def test_theoretical_bound() -> None:
    m = metric("diversity.instructions.vendi", 8.0, n_synthetic=50, details={"real_value": 10.0})
    assert ideal_value(m, "reference_value") == 10.0
    assert ideal_value(m, "theoretical") == 50.0
    ad = metric("diversity.instructions.ad", 1.0, details={"K": 4})
    assert ideal_value(ad, "theoretical") == pytest.approx(math.log(4))
    agg = aggregate(group(), AggregateOptions(diversity_bound="theoretical"))
    # Vendi bound n = 10 for every member: A = (8-4)/(10-4); AD bound ln 4: A = (1.2-0.5)/(ln4-0.5)
    assert agg["normalised"]["A"]["diversity.instructions.vendi"] == pytest.approx(2 / 3)
    assert agg["normalised"]["A"]["diversity.instructions.ad"] == pytest.approx(0.7 / (math.log(4) - 0.5))


def test_zero_reference_score_gives_null_label() -> None:
    g = group()
    agg = aggregate({"A": g["A"], "B": g["B"]}, AggregateOptions(reference="B"))
    # B is worst on every fidelity metric → A_ref = 0 → no label, with a reason.
    assert agg["labels"]["A"]["fidelity"] == {"label": None, "delta": None, "reason": "reference_score_zero"}


def test_single_evaluation_uses_ideal_self_row() -> None:
    metrics = group()["A"]
    row = ideal_self_row(metrics)
    assert row["fidelity.tool_calls.tum"].value == 0.0
    assert row["fidelity.instructions.knn_precision"].value == 1.0
    assert row["diversity.instructions.vendi"].value == 10.0
    assert "validity.tool_calls.rate" not in row  # D was not scored
    agg = aggregate_single(metrics, "A")
    assert agg["members"] == [SELF_ROW, "A"] and agg["self_row"] == "ideal"
    # the only non-ideal member is the group's worst: u = 0 per metric, so no pillar score is given
    assert agg["normalised"]["A"]["fidelity.tool_calls.tum"] == 0.0
    assert agg["normalised"]["A"]["diversity.instructions.ad"] == 1.0  # AD above D's value
    for pillar in ("fidelity", "diversity"):
        assert agg["scores"]["A"][pillar] is None
        assert agg["labels"]["A"][pillar] == {"label": None, "delta": None, "reason": "single_set_group"}


def test_bounded_closeness_maps_bounded_metrics_to_distance_from_ideal() -> None:
    metrics = {m.id: m for m in [
        metric("fidelity.tool_calls.planning.k2", 0.25, bounds=(0.0, 1.0)),  # lower is better
        metric("fidelity.instructions.knn_recall", 0.8),
        metric("fidelity.downstream.rd.output", 0.5, direction="higher_is_better", bounds=(-1.0, 1.0)),
        metric("fidelity.tool_calls.tcnm", 3.0),  # unbounded: left out
        metric("fidelity.tool_calls.tum", None, bounds=(0.0, 1.0)),  # not computed: left out
    ]}
    assert bounded_closeness(metrics) == {"fidelity.tool_calls.planning.k2": 0.75,
                                          "fidelity.instructions.knn_recall": 0.8,
                                          "fidelity.downstream.rd.output": 0.75}


def _anchor(**floor: float | None) -> Anchor:
    return Anchor(indices=[3, 1, 4, 0, 2], copies=10, seed=123,
                  floor={k.replace("__", "."): v for k, v in floor.items()})


def test_anchored_scores_hand_computed() -> None:
    metrics = group()["A"]
    anchor = _anchor(fidelity__tool_calls__tum=0.6, fidelity__instructions__knn_precision=1.0,
                     diversity__instructions__vendi=1.0, diversity__instructions__ad=0.0)
    agg = aggregate_anchored(metrics, anchor, "A")
    n = agg["normalised"]["A"]
    assert n["fidelity.tool_calls.tum"] == pytest.approx((0.2 - 0.6) / (0.0 - 0.6))  # 2/3
    # precision: C is ideal (1.0) -> theoretical floor 0 -> u = 0.8
    assert n["fidelity.instructions.knn_precision"] == pytest.approx(0.8)
    assert agg["bounds"]["fidelity.instructions.knn_precision"]["floor"] == "theoretical"
    assert n["diversity.instructions.vendi"] == pytest.approx((8 - 1) / (10 - 1))  # (v′ − 1)/(v_D − 1)
    assert n["diversity.instructions.ad"] == 1.0  # AD′/AD(D) = 1.2 clipped
    s = agg["scores"]["A"]
    assert s["fidelity"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert s["validity"] == pytest.approx(0.9)
    assert agg["labels"]["A"]["validity"]["delta"] == pytest.approx(0.1)  # A_r = 1
    assert agg["scores"][SELF_ROW] == {"validity": 1.0, "fidelity": 1.0, "diversity": 1.0}
    assert agg["anchors"]["A"]["indices"] == [3, 1, 4, 0, 2] and agg["scale"] == "anchored"
    # the anchor itself scores 0 wherever C is worse than the ideal
    at_floor = {m.id: m.model_copy(update={"value": anchor.floor[m.id]}) for m in metrics.values()
                if m.id in anchor.floor}
    zero = aggregate_anchored(at_floor, anchor, "C")["normalised"]["C"]
    assert zero["fidelity.tool_calls.tum"] == 0.0 and zero["diversity.instructions.vendi"] == 0.0


def test_anchored_exclusions_have_reasons() -> None:
    metrics = dict(group()["A"])
    metrics["fidelity.tool_calls.tcnm"] = metric("fidelity.tool_calls.tcnm", 0.5)  # unbounded distance
    metrics["fidelity.instructions.knn_recall"] = metric("fidelity.instructions.knn_recall", None)
    anchor = _anchor(fidelity__tool_calls__tum=0.6, fidelity__instructions__knn_precision=0.5,
                     fidelity__tool_calls__tcnm=0.0, diversity__instructions__vendi=1.0)
    anchor.reasons["diversity.instructions.ad"] = "anchor_not_derivable: test"
    agg = aggregate_anchored(metrics, anchor, "A")
    reasons = {e["id"]: e["reason"] for e in agg["excluded"]}
    assert reasons["fidelity.tool_calls.tcnm"].startswith("anchor_not_worse_and_unbounded")
    assert reasons["fidelity.instructions.knn_recall"] == "null_for_member: test_null"
    assert reasons["diversity.instructions.ad"] == "anchor_not_derivable: test"
    assert agg["metrics"]["diversity"] == ["diversity.instructions.vendi"]


def test_combined_anchored_scores_are_each_members_own() -> None:
    g = group()
    anchor = _anchor(fidelity__tool_calls__tum=0.6, fidelity__instructions__knn_precision=1.0,
                     diversity__instructions__vendi=1.0, diversity__instructions__ad=0.0)
    alone = {n: aggregate_anchored(g[n], anchor, n) for n in ("A", "B")}
    both = combine_anchored(alone)
    for n in ("A", "B"):
        assert both["scores"][n] == alone[n]["scores"][n]
        assert both["labels"][n] == alone[n]["labels"][n]
    assert both["members"] == [SELF_ROW, "A", "B"] and set(both["anchors"]) == {"A", "B"}
    against_a = combine_anchored(alone, AggregateOptions(reference="A"))
    assert against_a["labels"]["A"]["fidelity"]["label"] == "Strong"
    with pytest.raises(ValueError, match="reference member"):
        combine_anchored(alone, AggregateOptions(reference="nope"))


def _anchored_member(tool_rate, output_rate, *, output_checks=None, output_reason=None):
    checks = ({"details": {"checker": "rules.generic_output@1", "checks": output_checks}}
              if output_checks else {})
    output = metric("validity.output.rate", output_rate, **checks)
    if output_rate is None:
        output = output.model_copy(update={"status": "skipped", "reason": output_reason})
    ms = [metric("validity.tool_calls.rate", tool_rate), output,
          metric("fidelity.tool_calls.tum", 0.1), metric("fidelity.instructions.knn_precision", 0.9)]
    return {m.id: m for m in ms}


ANCHOR = Anchor(indices=[0, 1], copies=10, seed=1,
                floor={"fidelity.tool_calls.tum": 0.5, "fidelity.instructions.knn_precision": 0.0})


def test_a_pillar_label_is_never_better_than_its_worst_target() -> None:
    # tool calls at 1.0 average output at 0.9 up to 0.95 ("Strong"); output alone is "Moderate"
    agg = aggregate_anchored(_anchored_member(1.0, 0.9), ANCHOR, "s")
    assert agg["scores"]["s"]["validity"] == pytest.approx(0.95)
    targets = agg["targets"]["s"]["validity"]
    assert targets["tool_calls"]["score"] == 1.0 and targets["tool_calls"]["label"]["label"] == "Strong"
    assert targets["output"]["score"] == 0.9 and targets["output"]["label"]["label"] == "Moderate"
    label = agg["labels"]["s"]["validity"]
    assert label["label"] == "Moderate" and label["capped_by"] == "output" and label["uncapped"] == "Strong"
    # fidelity targets: tum u = 0.8 (tool_calls), knn precision u = 0.9 (instructions)
    fid = agg["targets"]["s"]["fidelity"]
    assert fid["tool_calls"]["score"] == pytest.approx(0.8)
    assert fid["instructions"]["score"] == pytest.approx(0.9)
    assert agg["labels"]["s"]["fidelity"]["label"] == "Poor"  # 0.85 and the worst target 0.8


def test_a_target_the_synthetic_set_lost_makes_the_pillar_poor() -> None:
    reason = "missing_in_synthetic: the real set has outputs, the synthetic set has none"
    agg = aggregate_anchored(_anchored_member(1.0, None, output_reason=reason), ANCHOR, "s")
    assert agg["scores"]["s"]["validity"] == 1.0  # the mean of what is left ...
    assert agg["labels"]["s"]["validity"]["label"] == "Poor"  # ... cannot hide the lost target
    assert agg["targets"]["s"]["validity"]["output"]["forced"] == "Poor"
    assert agg["targets"]["s"]["validity"]["output"]["reason"] == reason


def test_structural_only_validity_says_so() -> None:
    structural = {"empty_output": {"passed": 5, "failed": 0, "not_run": 0}}
    agg = aggregate_anchored(_anchored_member(1.0, 1.0, output_checks=structural), ANCHOR, "s")
    assert agg["targets"]["s"]["validity"]["output"]["basis"] == "structural"
    grounded = {**structural, "ungrounded_values": {"passed": 4, "failed": 1, "not_run": 0}}
    agg = aggregate_anchored(_anchored_member(1.0, 1.0, output_checks=grounded), ANCHOR, "s")
    assert agg["targets"]["s"]["validity"]["output"]["basis"] == "rules"


def test_compare_ranks_by_the_worst_target_not_the_mean() -> None:
    # "garbled" has the higher validity mean (0.95 vs 0.94) but a Moderate output target
    per_member = {"garbled": aggregate_anchored(_anchored_member(1.0, 0.9), ANCHOR, "garbled"),
                  "even": aggregate_anchored(_anchored_member(0.96, 0.96), ANCHOR, "even")}
    agg = combine_anchored(per_member)
    assert agg["labels"]["garbled"]["validity"]["label"] == "Moderate"  # the cap survives combining
    assert agg["ranking"] == ["even", "garbled"]
    assert agg["targets"]["garbled"]["validity"]["output"]["label"]["label"] == "Moderate"


def test_group_scale_has_targets_and_caps_too() -> None:
    members = group()
    members["A"]["validity.output.rate"] = metric("validity.output.rate", 0.5)
    agg = aggregate(members)
    assert agg["targets"]["A"]["validity"]["output"]["score"] == 0.5
    assert agg["labels"]["A"]["validity"]["label"] == "Poor"
    assert agg["ranking"][-1] in {"A", "B"} and set(agg["ranking"]) == {"A", "B"}
