"""Anchored scores (docs/method.md §5.4) with the real metric engine: the properties of the scale."""

from __future__ import annotations

import pytest

from helpers.report_fixtures import trajectory
from synae.config import load_config
from synae.run.scoring.aggregate import SELF_ROW
from synae.run.scoring.evaluation import Evaluator
from synae.run.scoring.pipeline import (
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
    from synae.run.scoring.compare import run_comparison

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
    assert group.aggregates["scores"][SELF_ROW] == {"validity": 1.0, "fidelity": 1.0, "diversity": 1.0,
                                                    "privacy": 1.0}


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


def test_downstream_tdd_rd_are_anchored_on_per_trajectory_outcomes() -> None:
    """The collapse anchor's agent rates are the agents' per-trajectory success on D (docs/method.md
    §5.4): scripted agents (oracle, noisy oracles) on real ACP data, no LLM."""
    from synae.datapaths import data_path
    from synae.downstream.agents import NoisyOracleAgent, OracleAgent
    from synae.metrics.downstream import rd, tdd
    from synae.run.inputs.data import load_dataset
    from synae.run.scoring.downstream import downstream_metrics, evaluate_dataset

    real = Dataset(load_dataset(data_path("acp", "acp_app_prog.csv")).trajectories[:24], name="real")
    agents = [OracleAgent(), NoisyOracleAgent(rate=0.3), NoisyOracleAgent(rate=0.6)]
    cfg = load_config(None, preset="acp", embedding={"model": "lexical"},
                      evaluation={"select": "fidelity.instructions.knn_*"})
    ev = Evaluator(real, cfg, progress=False)

    def extra(r: Dataset, s: Dataset) -> list:
        return downstream_metrics(r, s, "acp", cfg, agents, runs=2)

    rep = evaluate_for_report(ev, Dataset(list(real.trajectories[:12]), name="syn"), extra_metrics=extra)
    agg = rep.aggregates
    assert agg is not None
    anchor = agg["anchors"]["syn"]
    # Expected from the raw scores of a separate run on D (the agents' noise is seeded per trajectory).
    on_real = evaluate_dataset(real, agents, "acp", runs=2)
    per_traj = {name: [sum(float(r.scores["output"][i].success) for r in a.runs) / 2 for i in range(24)]
                for name, a in on_real.agents.items()}
    means = [a.mean("output") for a in on_real.agents.values()]
    for mid, fn in (("fidelity.downstream.tdd.output", tdd), ("fidelity.downstream.rd.output", rd)):
        expected = [fn(means, [per_traj[a.name][i] for a in agents]).value for i in anchor["indices"]]
        assert anchor["per_choice"][mid] == pytest.approx(expected)
        assert mid not in anchor["reasons"] or not anchor["reasons"][mid].startswith("anchor_not_derivable")
        assert not any(e["id"] == mid and e["reason"].startswith("anchor_not_derivable")
                       for e in agg["excluded"])
    expected_tdd = anchor["per_choice"]["fidelity.downstream.tdd.output"]
    assert all(v is not None for v in expected_tdd) and len(expected_tdd) == 5
    assert anchor["floor"]["fidelity.downstream.tdd.output"] == pytest.approx(sum(expected_tdd) / 5)
    assert "fidelity.downstream.tdd.output" in agg["metrics"]["fidelity"]
    assert "fidelity.downstream.tdd.output" in agg["normalised"]["syn"]

    # D′ = C (copies of the first anchor trajectory, same id and so the same seeded outcomes): its
    # TDD is that choice's anchor value.
    j = anchor["indices"][0]
    collapsed = Dataset([real.trajectories[j]] * 12, name="collapsed")
    rep_c = evaluate_for_report(ev, collapsed, extra_metrics=extra)
    assert rep_c.metrics["fidelity.downstream.tdd.output"].value == pytest.approx(expected_tdd[0])


def test_downstream_anchor_needs_outcomes_for_every_real_trajectory() -> None:
    from helpers.report_fixtures import metric

    real = real_set(10)
    ev = evaluator(real, evaluation={"select": "fidelity.tool_calls.tum"})
    mid = "fidelity.downstream.tdd.tool_calls"

    def tdd_record(per_trajectory: list[float] | None) -> dict:
        sides = [{"mean": 0.5, **({"per_trajectory": per_trajectory} if per_trajectory else {})}] * 2
        agents = [{"name": f"a{k}", "real": side} for k, side in enumerate(sides)]
        return {mid: metric(mid, 0.2, details={"agents": agents})}

    short = collapse_anchor(ev, 10, tdd_record([1.0] * 9))
    assert short.per_choice[mid] == [] and short.reasons[mid].startswith("anchor_not_derivable")
    assert "cover [9] trajectories, D has 10" in short.reasons[mid]
    missing = collapse_anchor(ev, 10, tdd_record(None))
    assert missing.reasons[mid].startswith("anchor_not_derivable: the report has no per-trajectory")
    full = collapse_anchor(ev, 10, tdd_record([0.5] * 10))
    assert full.per_choice[mid] == [0.0] * 5 and full.floor[mid] == 0.0 and mid not in full.reasons


def test_comparison_judges_with_the_callers_client() -> None:
    """``run_comparison(client=…)``: the validity judge uses that client, so the caller can stop a run
    whose judge scored nothing (``client.raise_if_all_unscored()``)."""
    from helpers.openai_server import Reply, ScriptedOpenAIServer
    from synae.config import LLMSettings
    from synae.errors import LLMFatalError
    from synae.llm.client import LLMClient
    from synae.run.scoring.compare import run_comparison

    real = real_set(12)
    syn = Dataset(list(real.trajectories[:6]), name="syn")
    cfg = load_config(None, preset="generic", embedding={"model": "lexical"}, judge={"model": "judge"},
                      evaluation={"select": "fidelity.tool_calls.tum"})
    with ScriptedOpenAIServer(responder=lambda body: Reply.error(503)) as server:
        client = LLMClient(LLMSettings(max_retries=0, backoff_base=0.0), base_url=server.base_url,
                           api_key="t", progress=False)
        results = run_comparison(real, {"syn": syn}, cfg, checker="llm", client=client)
        sent = len(server.requests)
    rate = results.members["syn"].metrics["validity.tool_calls.rate"]
    assert rate.value is None and rate.details["n_unscored"] == 6
    assert sent > 0 and client.usage.failed == sent
    with pytest.raises(LLMFatalError) as caught:
        client.raise_if_all_unscored()
    assert caught.value.kind == "all_unscored"
