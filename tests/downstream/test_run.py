"""Success rates → TDD and RD with scripted agents (no LLM): oracle and noisy oracles on real data."""

from __future__ import annotations

import pytest

from synae.config import Config
from synae.downstream.agents import NoisyOracleAgent, OracleAgent
from synae.downstream.run import metrics_from_runs
from synae.run.scoring.downstream import call_budget, downstream_metrics, evaluate_dataset
from synae.schema import Dataset, Message, Trajectory, read_jsonl

AGENTS = ["oracle", "noisy-oracle:0.1", "noisy-oracle:0.3", "noisy-oracle:0.6"]


def by_id(results):
    return {r.id: r for r in results}


def agent_means(result, side):
    return {a["name"]: a[side]["mean"] for a in result.details["agents"]}


def test_identical_synthetic_data_gives_tdd_zero_and_rd_one(t1_turns: Dataset) -> None:
    real = Dataset(trajectories=t1_turns.trajectories[:30], name="real")
    # Same trajectories in another order: results are joined by id and the noise is seeded per id.
    synthetic = Dataset(trajectories=list(reversed(real.trajectories)), name="synthetic")
    results = by_id(downstream_metrics(real, synthetic, "t1", Config(), AGENTS, scorer="rules", runs=2))
    assert set(results) == {"fidelity.downstream.tdd.tool_calls", "fidelity.downstream.rd.tool_calls",
                            "fidelity.downstream.tdd.output", "fidelity.downstream.rd.output"}
    for target in ("tool_calls", "output"):
        tdd, rd = results[f"fidelity.downstream.tdd.{target}"], results[f"fidelity.downstream.rd.{target}"]
        assert tdd.value == 0.0 and rd.value == 1.0
        assert tdd.direction == "lower_is_better" and rd.direction == "higher_is_better"
        assert tuple(rd.bounds) == (-1.0, 1.0) and tdd.n_real == tdd.n_synthetic == 30
        means = agent_means(tdd, "real")
        assert means["oracle"] == 1.0
        ordered = [means[name] for name in AGENTS]
        assert ordered == sorted(ordered, reverse=True) and len(set(ordered)) == 4
        assert tdd.details["h"] == 4 and tdd.details["runs"] == 2
        assert tdd.details["per_run"]["values"] == [0.0, 0.0]
    agent = results["fidelity.downstream.tdd.tool_calls"].details["agents"][1]
    assert len(agent["real"]["runs"]) == 2 and agent["real"]["std"] is not None
    assert agent["real"]["counts"][0]["success"] + agent["real"]["counts"][0]["failure"] == 30


def _duplicated_hard(real: Dataset, k: int) -> Dataset:
    """The k trajectories with the most reference calls, each three times (new ids): a harder set."""
    hardest = sorted(real.trajectories, key=lambda t: -sum(len(m.tool_calls or ()) for m in t.messages))[:k]
    copies = [t.model_copy(update={"id": f"{t.id}-{i}"}) for t in hardest for i in range(3)]
    return Dataset(trajectories=copies, name="harder")


def test_harder_synthetic_set_lowers_noisy_rates_but_keeps_the_ranking(bfcl_real: Dataset) -> None:
    real = Dataset(trajectories=bfcl_real.trajectories[:40], name="real")
    synthetic = _duplicated_hard(Dataset(trajectories=bfcl_real.trajectories), 15)
    results = by_id(downstream_metrics(real, synthetic, "bfcl", Config(),
                                       ["oracle", "noisy-oracle:0.05", "noisy-oracle:0.2"], runs=2))
    tdd, rd = results["fidelity.downstream.tdd.tool_calls"], results["fidelity.downstream.rd.tool_calls"]
    s, s_prime = agent_means(tdd, "real"), agent_means(tdd, "synthetic")
    assert s["oracle"] == s_prime["oracle"] == 1.0
    for name in ("noisy-oracle:0.05", "noisy-oracle:0.2"):
        assert s_prime[name] < s[name]  # more calls per trajectory: more chances to corrupt one
    assert tdd.value == pytest.approx(sum(abs(s[n] - s_prime[n]) for n in s) / 3) and tdd.value > 0.05
    assert rd.value == 1.0
    assert "fidelity.downstream.tdd.output" not in results  # BFCL has no output target


def test_trivial_synthetic_set_ties_every_agent_and_rd_is_null(t1_turns: Dataset) -> None:
    real = Dataset(trajectories=t1_turns.trajectories[:30], name="real")
    # Instructions only: no reference plans, so any agent that replays them "succeeds".
    stripped = [t.model_copy(update={"messages": [m for m in t.messages if m.code is None]})
                for t in real.trajectories]
    synthetic = Dataset(trajectories=stripped, name="trivial")
    results = by_id(downstream_metrics(real, synthetic, "t1", Config(), AGENTS, scorer="rules", runs=1))
    rd = results["fidelity.downstream.rd.tool_calls"]
    assert rd.value is None and rd.status == "skipped" and rd.reason.startswith("constant_ranking")
    assert set(agent_means(rd, "synthetic").values()) == {1.0}
    tdd = results["fidelity.downstream.tdd.tool_calls"]
    assert tdd.value > 0.1
    agent = tdd.details["agents"][0]
    assert agent["real"]["std"] is None  # R = 1


def test_one_agent_gives_too_few_agents(acp_real: Dataset) -> None:
    data = Dataset(trajectories=acp_real.trajectories[:10], name="acp")
    results = downstream_metrics(data, data, "acp", Config(), [OracleAgent()], runs=1)
    assert [r.id for r in results] == ["fidelity.downstream.tdd.output", "fidelity.downstream.rd.output"]
    assert all(r.value is None and r.reason.startswith("too_few_agents") for r in results)


def test_unscored_output_targets_give_missing_rates(t1_turns: Dataset) -> None:
    """T1 output is judged by default; without a judge every score is unscored → rates null."""
    data = Dataset(trajectories=t1_turns.trajectories[:5], name="t1")
    run = evaluate_dataset(data, [OracleAgent(), NoisyOracleAgent(rate=0.5)], "t1", runs=1)
    assert run.scorers == {"tool_calls": "t1_exec", "output": "judge"}
    results = by_id(metrics_from_runs(run, run))
    out = results["fidelity.downstream.tdd.output"]
    assert out.value is None and out.reason.startswith("missing_rate")
    assert out.details["agents"][0]["real"]["counts"][0]["unscored"] == 5
    assert results["fidelity.downstream.tdd.tool_calls"].value == 0.0


def test_agent_trajectories_are_saved_with_scores(tmp_path, acp_real: Dataset) -> None:
    data = Dataset(trajectories=acp_real.trajectories[:6], name="acp-small")
    evaluate_dataset(data, [NoisyOracleAgent(rate=0.5)], "acp", runs=2, save_dir=tmp_path)
    saved = read_jsonl(tmp_path / "acp-small" / "noisy-oracle_0.5" / "run1.jsonl")
    assert [t.id for t in saved] == [t.id for t in data]
    scores = [t.metadata["downstream"]["scores"]["output"] for t in saved]
    assert all(s["scorer"] == "exact" and s["success"] in (True, False) for s in scores)
    assert any(not s["success"] for s in scores)


def test_call_budget_counts(t1_turns: Dataset, bfcl_real: Dataset, acp_real: Dataset) -> None:
    t1 = call_budget(t1_turns, "t1", judge=True)
    n = len(t1_turns)  # three user turns each: 3 plans + 1 output per conversation
    assert t1.agent_calls_per_run == n * 4 and t1.exact and t1.judge_calls_per_run == n  # output judged
    assert call_budget(t1_turns, "t1", "rules", judge=True).judge_calls_per_run == 0
    bfcl = call_budget(bfcl_real, "bfcl")
    assert bfcl.agent_calls_per_run == 734 and not bfcl.exact and bfcl.judge_calls_per_run == 0
    assert call_budget(bfcl_real, "bfcl", "llm", judge=True).judge_calls_per_run == 200
    acp = call_budget(acp_real, "acp", "llm", judge=True)
    assert (acp.agent_calls_per_run, acp.judge_calls_per_run) == (len(acp_real), 0)
    assert t1.total(model_agents=3, agents=4, runs=3) == 3 * (3 * 4 * n + 4 * n)


def test_generic_preset_uses_replay_and_call_match() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "Paris"}'}}
    messages = [Message(role="user", content="Look up Paris."),
                Message.model_validate({"role": "assistant", "tool_calls": [call]}),
                Message(role="tool", tool_call_id="c1", content="capital of France")]
    traj = Trajectory(id="g1", messages=messages, output="Paris is the capital of France.")
    run = evaluate_dataset([traj], [OracleAgent(), NoisyOracleAgent(rate=1.0)], "generic", runs=1,
                           scorer="rules")
    assert run.scorers == {"tool_calls": "call_match", "output": "none"}
    assert run.agents["oracle"].runs[0].rate("tool_calls") == 1.0
    assert run.agents["noisy-oracle:1"].runs[0].rate("tool_calls") == 0.0
    assert run.agents["oracle"].runs[0].rate("output") is None


def test_warns_when_an_agent_completed_the_synthetic_set(acp_real: Dataset) -> None:
    from synae.downstream.agents import ModelAgent
    from synae.downstream.run import completion_bias_warnings

    generated = [t.model_copy(update={"metadata": {"generation": {"completion": {"model": "gen-llm"}}}})
                 for t in acp_real.trajectories[:2]]
    agents = [OracleAgent(), ModelAgent(model="gen-llm", client=None), ModelAgent(model="other", client=None)]
    warnings = completion_bias_warnings(generated, agents)
    assert len(warnings) == 1 and "'gen-llm'" in warnings[0]
    assert completion_bias_warnings(acp_real.trajectories[:2], agents) == []


def test_per_trajectory_success_is_the_mean_over_runs_in_dataset_order(acp_real: Dataset) -> None:
    data = Dataset(trajectories=acp_real.trajectories[:12], name="acp")
    run = evaluate_dataset(data, [OracleAgent(), NoisyOracleAgent(rate=0.5)], "acp", runs=2)
    noisy = run.agents["noisy-oracle:0.5"]
    per_traj = noisy.per_trajectory("output")
    by_run = [[s.success for s in r.scores["output"]] for r in noisy.runs]
    assert per_traj == [(float(a) + float(b)) / 2 for a, b in zip(*by_run, strict=True)]
    assert set(per_traj) > {0.5} or len(set(per_traj)) > 1  # the noise differs between trajectories
    # Every trajectory scored in every run: the mean of the per-trajectory values is s.
    assert sum(per_traj) / len(per_traj) == pytest.approx(noisy.mean("output"))
    assert run.agents["oracle"].per_trajectory("output") == [1.0] * 12
    summary = noisy.summary("output")
    assert summary["per_trajectory"] == per_traj and summary["mean"] == noisy.mean("output")


def test_per_trajectory_leaves_out_unscored_runs(t1_turns: Dataset) -> None:
    data = Dataset(trajectories=t1_turns.trajectories[:3], name="t1")
    run = evaluate_dataset(data, [OracleAgent()], "t1", runs=2)  # output judged, no judge: unscored
    assert run.agents["oracle"].per_trajectory("output") == [None, None, None]
    assert run.agents["oracle"].per_trajectory("tool_calls") == [1.0, 1.0, 1.0]


def test_a_refused_api_key_stops_the_downstream_run(acp_real: Dataset) -> None:
    import time

    from helpers.openai_server import ScriptedOpenAIServer
    from synae.config import LLMSettings
    from synae.downstream.agents import ModelAgent
    from synae.errors import LLMFatalError
    from synae.llm.client import LLMClient

    data = Dataset(trajectories=acp_real.trajectories[:40], name="acp")
    with ScriptedOpenAIServer(api_key="the-right-key") as server:
        client = LLMClient(LLMSettings(max_retries=2, backoff_base=0.0), base_url=server.base_url,
                           api_key="a-wrong-key", progress=False)
        agents = [OracleAgent(), ModelAgent(model="m", client=client)]
        start = time.perf_counter()
        with pytest.raises(LLMFatalError) as caught:
            downstream_metrics(data, data, "acp", Config(), agents, runs=3, client=client)
        elapsed = time.perf_counter() - start
        sent = len(server.requests)
    assert caught.value.kind == "auth" and client.fatal is caught.value
    assert elapsed < 10
    # the first-request probe (GET /models) already meets the refused key: at most the chat
    # requests in flight by then, and no retries
    assert sent <= 16
