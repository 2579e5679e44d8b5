"""Issue 21: one hostile trajectory costs its own downstream score, never a hang, a traceback or the
set's metrics. The hostile BFCL trajectories are written here (:mod:`helpers.hostile_bfcl`)."""

from __future__ import annotations

import time

from helpers.hostile_bfcl import doubling_calls, fs_trajectory, nested_config, self_copy_calls
from synae.config import Config
from synae.downstream.agents import OracleAgent
from synae.downstream.loop import LoopSettings
from synae.envs.budget import TrajectoryLimits
from synae.run.scoring.downstream import downstream_metrics, evaluate_dataset
from synae.schema import Dataset

PLAIN = [fs_trajectory("plain", [("mkdir", {"dir_name": "a"}), ("cd", {"folder": "a"}),
                                 ("touch", {"file_name": "notes.txt"})]),
         fs_trajectory("plain2", [("mkdir", {"dir_name": "b"})])]


def oracle(trajectories, **limits):
    settings = LoopSettings(limits=TrajectoryLimits(**limits)) if limits else None
    start = time.monotonic()
    result = evaluate_dataset(trajectories, [OracleAgent()], "bfcl", runs=1, settings=settings)
    return result.agents["oracle"].runs[0], time.monotonic() - start


def test_the_2_to_the_40_path_trajectory_is_scored_at_once() -> None:
    run, elapsed = oracle([fs_trajectory("doubling", doubling_calls(40)), *PLAIN])
    assert elapsed < 5
    assert [s.success for s in run.scores["tool_calls"]] == [True, True, True]


def test_beyond_the_state_budget_only_that_trajectory_is_unscored() -> None:
    run, elapsed = oracle([fs_trajectory("doubling", doubling_calls(40)), *PLAIN], state_nodes=100)
    assert elapsed < 5
    hostile, *rest = run.scores["tool_calls"]
    assert hostile.success is None and hostile.reason.startswith("state_budget_exceeded: ")
    assert [s.success for s in rest] == [True, True]
    assert run.rate("tool_calls") == 1.0 and run.counts("tool_calls")["unscored"] == 1


def test_beyond_the_time_budget_the_agent_run_stops_and_is_unscored() -> None:
    slow = fs_trajectory("slow", [*doubling_calls(24), ("find", {"path": "."})])
    run, elapsed = oracle([slow, *PLAIN], seconds=0.5)
    assert elapsed < 5
    hostile, *rest = run.scores["tool_calls"]
    assert hostile.success is None and hostile.reason.startswith("time_budget_exceeded: ")
    assert [s.success for s in rest] == [True, True]


def test_a_failing_trajectory_costs_only_its_own_score() -> None:
    unknown = fs_trajectory("unknown", [("ls", {})]).model_copy(
        update={"environment": {"involved_classes": ["NoSuchAPI"], "initial_config": {}}})
    deep = fs_trajectory("deep", [("ls", {})], initial_config=nested_config(1500))
    run, _ = oracle([unknown, deep, *PLAIN])
    *hostile, plain, plain2 = run.scores["tool_calls"]
    assert all(s.success is None and s.reason.startswith("agent_run_failed: DataError") for s in hostile)
    assert "NoSuchAPI" in hostile[0].reason and "RecursionError" in hostile[1].reason
    assert [plain.success, plain2.success] == [True, True]


def test_downstream_metrics_survive_a_hostile_trajectory() -> None:
    """A folder copied into itself crashed the state comparison (RecursionError) and every downstream
    metric of the set was dropped; the doubling trajectory beyond a small node budget is unscored."""
    real = Dataset(trajectories=list(PLAIN), name="real")
    hostile = [fs_trajectory("cycle", self_copy_calls()), fs_trajectory("doubling", doubling_calls(40))]
    synthetic = Dataset(trajectories=[*hostile, *PLAIN], name="synthetic")
    results = downstream_metrics(real, synthetic, "bfcl", Config(), ["oracle", "noisy-oracle:0.5"], runs=1,
                                 settings=LoopSettings(limits=TrajectoryLimits(state_nodes=400)))
    by_id = {r.id: r for r in results}
    tdd = by_id["fidelity.downstream.tdd.tool_calls"]
    assert tdd.status == "ok" and tdd.value is not None
    assert "fidelity.downstream.rd.tool_calls" in by_id
    agent = tdd.details["agents"][0]
    assert agent["name"] == "oracle"
    assert agent["synthetic"]["counts"] == [{"success": 3, "failure": 0, "unscored": 1}]
    assert agent["synthetic"]["unscored_reasons"] == {"state_budget_exceeded": 1}
