"""Anchored scores (metrics.md §5.4) with the real metric engine: the properties of the scale."""

from __future__ import annotations

import pytest

from helpers.report_fixtures import trajectory
from synae.config import load_config
from synae.run.aggregate import SELF_ROW
from synae.run.evaluation import Evaluator
from synae.run.pipeline import (
    ReportOptions,
    aggregate_scale,
    anchor_indices,
    collapse_anchor,
    evaluate_for_report,
)
from synae.schema import Dataset

CITIES = ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Quito", "Cairo"]
TOOLS = ["search", "filter", "sort", "book"]


def real_set(n: int = 40) -> Dataset:
    return Dataset([trajectory(f"r{i}", f"museum tour in {CITIES[i % 7]} for {i % 5} people, day {i}",
                               TOOLS[: 1 + i % 4], answer=f"booked {i % 3} tickets")
                    for i in range(n)], name="real")


def evaluator(real: Dataset, **config: object) -> Evaluator:
    cfg = load_config(None, preset="generic", embedding={"model": "lexical"}, **config)
    return Evaluator(real, cfg, progress=False)


def test_scale_follows_the_profile() -> None:
    assert aggregate_scale(load_config(None)) == "anchored"
    assert aggregate_scale(load_config(None, mode="reference")) == "group"


def test_real_set_against_itself_scores_one() -> None:
    real = real_set()
    ev = evaluator(real)
    rep = evaluate_for_report(ev, Dataset(list(real.trajectories), name="copy"))
    agg = rep.aggregates
    assert agg is not None and agg["scale"] == "anchored"
    for pillar in ("fidelity", "diversity"):
        assert agg["scores"]["copy"][pillar] == pytest.approx(1.0, abs=1e-6)
        assert agg["labels"]["copy"][pillar]["label"] == "Strong"
    assert agg["metrics"]["fidelity"] and agg["metrics"]["diversity"]
    anchor = agg["anchors"]["copy"]
    assert anchor["indices"] == anchor_indices(len(real), ev.config.seed) and len(anchor["indices"]) == 5
    assert anchor["copies"] == len(real)
    assert "1 = as close to the real data as the real data itself" in agg["meaning"]


def test_collapse_anchor_scores_zero_diversity_and_only_realism_credit() -> None:
    real = real_set()
    ev = evaluator(real)
    anchor = collapse_anchor(ev, 30)
    # D′ = the collapse anchor itself (30 copies of its first trajectory)
    collapsed = Dataset([real.trajectories[anchor.indices[0]].model_copy(update={"id": f"c{i}"})
                         for i in range(30)], name="collapsed")
    agg = evaluate_for_report(ev, collapsed).aggregates
    assert agg is not None
    assert agg["scores"]["collapsed"]["diversity"] == 0.0  # Vendi 1, AD 0 for any choice
    # k-NN precision is the only fidelity metric where C is ideal (copies lie on the manifold): the
    # theoretical floor gives it credit 1; every other fidelity metric's floor is C's own mean value.
    realism = ["fidelity.instructions.knn_precision", "fidelity.output.knn_precision"]
    theoretical = [m for m, b in agg["bounds"].items() if b.get("floor") == "theoretical"]
    assert theoretical == realism, (agg["bounds"], agg["anchors"])
    n_fid = len(agg["metrics"]["fidelity"])
    assert agg["scores"]["collapsed"]["fidelity"] <= (2 + 0.35 * (n_fid - 2)) / n_fid
    assert all(agg["normalised"]["collapsed"][m] == 1.0 for m in realism)


def test_score_alone_equals_score_in_a_comparison() -> None:
    from synae.run.compare import run_comparison

    real = real_set()
    syn = Dataset([trajectory(f"s{i}", f"a park in {CITIES[i % 3]} {i}", TOOLS[: 1 + i % 2])
                   for i in range(25)], name="syn")
    other = Dataset([trajectory(f"o{i}", f"boat trip {i % 4}", ["search"]) for i in range(20)], name="o")
    third = Dataset(list(real.trajectories[:30]), name="half")
    cfg = load_config(None, preset="generic", embedding={"model": "lexical"})
    alone = evaluate_for_report(Evaluator(real, cfg, progress=False), syn, options=ReportOptions())
    group = run_comparison(real, {"o": other, "syn": syn, "half": third}, cfg, checker="none")
    assert group.aggregates is not None and alone.aggregates is not None
    assert group.aggregates["scores"]["syn"] == alone.aggregates["scores"]["syn"]
    assert group.aggregates["labels"]["syn"] == alone.aggregates["labels"]["syn"]
    assert group.aggregates["anchors"]["syn"] == alone.aggregates["anchors"]["syn"]
    assert group.members["syn"].report_data is None  # report data only when asked
    assert group.aggregates["scores"][SELF_ROW] == {"validity": 1.0, "fidelity": 1.0, "diversity": 1.0}


def test_reference_profile_keeps_group_scores() -> None:
    real = real_set(20)
    rep = evaluate_for_report(evaluator(real, mode="reference"), Dataset(list(real.trajectories[:10])))
    assert rep.aggregates is not None and rep.aggregates["scale"] == "group"
    assert rep.aggregates["labels"][rep.aggregates["members"][1]]["fidelity"]["reason"] == "single_set_group"


def test_noise_floor_score_and_report_data_on_request() -> None:
    real = real_set()
    ev = evaluator(real, evaluation={"select": "fidelity.tool_calls.*,fidelity.instructions.knn_*,"
                                               "diversity.instructions.vendi"})
    rep = evaluate_for_report(ev, Dataset(list(real.trajectories[5:]), name="most"),
                              options=ReportOptions(noise_repeats=2, report_data=True))
    agg = rep.aggregates
    assert agg is not None and set(agg["noise_floor_scores"]) == {"validity", "fidelity", "diversity"}
    assert 0.0 <= agg["noise_floor_scores"]["fidelity"] <= 1.0
    assert rep.report_data is not None and "drilldown" in rep.report_data
