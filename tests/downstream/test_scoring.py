"""Equivalence scoring of agent runs (docs/method.md §7.6): rules and the LLM judge."""

from __future__ import annotations

import asyncio

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import JudgeSettings, LLMSettings
from synae.downstream.agents import NoisyOracleAgent, OracleAgent
from synae.downstream.loop import run_dataset
from synae.downstream.scoring import (
    LLMEquivalenceJudge,
    generic_call_match,
    rule_score,
    score_run,
    scorer_for,
    targets_for,
)
from synae.llm.client import LLMClient
from synae.presets import get_preset
from synae.schema import Dataset


def test_scorer_table_and_targets() -> None:
    assert targets_for(get_preset("t1")) == ("tool_calls", "output")
    assert targets_for(get_preset("bfcl")) == ("tool_calls",)
    assert targets_for(get_preset("acp")) == ("output",)
    assert scorer_for(get_preset("t1"), "tool_calls") == "t1_exec"
    assert scorer_for(get_preset("t1"), "output") == "judge"
    assert scorer_for(get_preset("t1"), "output", "rules") == "mentions_match"
    assert scorer_for(get_preset("bfcl"), "tool_calls", "llm") == "judge"
    assert scorer_for(get_preset("acp"), "output", "llm") == "exact"


def test_rule_scorers_accept_the_oracle_and_reject_heavy_noise(t1_turns: Dataset) -> None:
    refs = t1_turns.trajectories[:30]
    oracle = run_dataset(refs, OracleAgent(), get_preset("t1"))
    noisy = run_dataset(refs, NoisyOracleAgent(rate=1.0), get_preset("t1"))
    for scorer in ("t1_exec", "call_match", "mentions_match"):
        assert all(rule_score(scorer, r, a).success for r, a in zip(refs, oracle, strict=True))
    failures = [not rule_score("t1_exec", r, a).success for r, a in zip(refs, noisy, strict=True)]
    assert sum(failures) >= 25  # every call statement is dropped or altered
    assert all(rule_score("call_match", r, a).success is False for r, a in zip(refs, noisy, strict=True))


def test_scores_join_agent_runs_by_id_not_position(t1_turns: Dataset) -> None:
    refs = t1_turns.trajectories[:6]
    agent_trajs = run_dataset(refs, NoisyOracleAgent(rate=0.5), get_preset("t1"))
    scores = asyncio.run(score_run(refs, list(reversed(agent_trajs)), {"tool_calls": "t1_exec"}))
    expected = [rule_score("t1_exec", r, a) for r, a in zip(refs, agent_trajs, strict=True)]
    assert scores["tool_calls"] == expected
    missing = asyncio.run(score_run(refs, agent_trajs[:3], {"tool_calls": "t1_exec"}))["tool_calls"]
    assert [s.reason for s in missing[3:]] == ["no_agent_run"] * 3 and not any(s.success for s in missing[3:])


def test_generic_call_match_normalises_strings(bfcl_real: Dataset) -> None:
    reference = bfcl_real[0]
    same = run_dataset([reference], OracleAgent(), get_preset("bfcl"))[0]
    assert generic_call_match(reference, same)
    changed = run_dataset([reference], NoisyOracleAgent(rate=1.0), get_preset("bfcl"))[0]
    assert not generic_call_match(reference, changed)


def test_judge_scores_yes_no_and_unparseable_as_unscored(t1_turns: Dataset) -> None:
    refs = t1_turns.trajectories[:4]
    agent_trajs = run_dataset(refs, OracleAgent(), get_preset("t1"))
    agent_trajs[0] = agent_trajs[0].model_copy(update={"output": "GOOD answer"})
    agent_trajs[1] = agent_trajs[1].model_copy(update={"output": "BAD answer"})
    agent_trajs[2] = agent_trajs[2].model_copy(update={"output": "ODD answer"})
    agent_trajs[3] = agent_trajs[3].model_copy(update={"output": "   "})  # nothing: failure, no judge call

    def responder(body: dict) -> Reply | str:
        text = body["messages"][-1]["content"]
        if "GOOD answer" in text:
            return "Yes."
        if "BAD answer" in text:
            return "no"
        return "I am not sure about this one"

    settings = JudgeSettings(model="judge-model", structured_output=False)
    with ScriptedOpenAIServer(responder=responder) as server:
        client = LLMClient(LLMSettings(max_retries=0), base_url=server.base_url, api_key="t", progress=False)
        judge = LLMEquivalenceJudge(client, settings)
        scores = asyncio.run(score_run(refs, agent_trajs, {"output": "judge"}, judge))["output"]
        requests = server.requests
    assert [s.success for s in scores] == [True, False, None, False]
    assert scores[2].reason == "unparseable_reply" and scores[3].reason == "no_output"
    assert len(requests) == 3 and all(r["model"] == "judge-model" for r in requests)
    assert "Expected output" in requests[0]["messages"][-1]["content"]


def test_judge_transport_failure_and_missing_judge_are_unscored(t1_turns: Dataset) -> None:
    refs = t1_turns.trajectories[:2]
    # Calls that differ from the reference: every pair needs the judge (identical pairs are decided
    # without a call, reason ``identical``).
    agent_trajs = run_dataset(refs, NoisyOracleAgent(rate=1.0), get_preset("t1"))
    no_judge = asyncio.run(score_run(refs, agent_trajs, {"tool_calls": "judge"}))["tool_calls"]
    assert [s.success for s in no_judge] == [None, None] and no_judge[0].reason.startswith("no_judge")
    with ScriptedOpenAIServer(responder=lambda body: Reply.error(503)) as server:
        client = LLMClient(LLMSettings(max_retries=0), base_url=server.base_url, api_key="t", progress=False)
        judge = LLMEquivalenceJudge(client, JudgeSettings(model="j", structured_output=False))
        failed = asyncio.run(score_run(refs, agent_trajs, {"tool_calls": "judge"}, judge))["tool_calls"]
    assert [s.success for s in failed] == [None, None] and failed[0].reason == "judge_failed"
