"""Scripted baselines and agent construction (docs/method.md §7.4)."""

from __future__ import annotations

import ast
import asyncio

import numpy as np
import pytest

from helpers.openai_server import ScriptedOpenAIServer
from synae.config import Config, LLMSettings
from synae.downstream.agents import (
    NO_PLANNING,
    AgentStep,
    ModelAgent,
    NoisyOracleAgent,
    OracleAgent,
    make_agent,
    perturb_code,
    reference_turn_codes,
)
from synae.errors import ConfigError
from synae.llm.client import LLMClient
from synae.schema import Dataset, Trajectory

PLAN = ('attractions = search_attractions(city="Boston", type=["Art"])\n'
        'save_to_cache(key="boston", value=attractions)\n'
        'print("done")')


def test_perturb_code_rate_zero_keeps_text_verbatim() -> None:
    assert perturb_code(PLAN, 0.0, np.random.default_rng(1)) == PLAN


def test_perturb_code_rate_one_corrupts_every_tool_statement_but_not_print() -> None:
    for seed in range(20):
        out = perturb_code(PLAN, 1.0, np.random.default_rng(seed))
        assert out != PLAN
        tree = ast.parse(out)
        assert ast.unparse(tree.body[-1]) == "print('done')"
        kept = [ast.unparse(s) for s in tree.body[:-1]]
        assert 'attractions = search_attractions(city="Boston", type=["Art"])' not in out
        assert all("_x" in s or "Boston" not in s for s in kept)


def test_perturb_code_leaves_unparsable_code_alone() -> None:
    broken = "search_attractions(city="
    assert perturb_code(broken, 1.0, np.random.default_rng(0)) == broken


def _step(traj, run=0, phase="plan", turn=1, step=0) -> AgentStep:
    return AgentStep(reference=traj, run=run, phase=phase, turn=turn, step=step, messages=[])


def test_oracle_replays_reference_plans_per_turn(t1_turns: Dataset) -> None:
    traj = t1_turns[0]
    reply = asyncio.run(OracleAgent().respond(_step(traj, turn=1)))
    assert reference_turn_codes(traj, 1)[0] in reply.content
    assert "<CODE>" in reply.content
    # A turn without a plan: "No planning needed".
    assert NO_PLANNING in asyncio.run(OracleAgent().respond(_step(traj, turn=2))).content
    assert asyncio.run(OracleAgent().respond(_step(traj, phase="output"))).content == traj.output


def test_oracle_bfcl_steps_replay_calls_then_stop(bfcl_real: Dataset) -> None:
    traj = bfcl_real[0]
    first = asyncio.run(OracleAgent().respond(_step(traj, phase="call", turn=1, step=0)))
    assert [c.function.name for c in first.tool_calls] == ["cd", "mkdir", "mv"]
    done = asyncio.run(OracleAgent().respond(_step(traj, phase="call", turn=1, step=1)))
    assert done.tool_calls == [] and done.content


def test_noisy_oracle_is_seeded_per_agent_run_and_trajectory(bfcl_real: Dataset) -> None:
    agent = NoisyOracleAgent(rate=0.5)
    twin = bfcl_real[3].model_copy()  # an identical trajectory (same id) in another dataset

    def calls(traj, run):
        reply = asyncio.run(agent.respond(_step(traj, run=run, phase="call", turn=1)))
        return [(c.function.name, c.function.arguments) for c in reply.tool_calls]

    assert calls(bfcl_real[3], 0) == calls(twin, 0)
    assert calls(bfcl_real[3], 0) == calls(bfcl_real[3], 0)
    per_run = {tuple(tuple(calls(t, run)) for t in bfcl_real.trajectories[:20]) for run in range(3)}
    assert len(per_run) == 3  # different runs draw different noise


def test_noisy_oracle_flips_acp_answers_at_rate_one(acp_real: Dataset) -> None:
    traj = acp_real[0]
    reply = asyncio.run(NoisyOracleAgent(rate=1.0).respond(_step(traj, phase="answer")))
    assert reply.content in ("yes", "no") and reply.content != traj.output


def test_make_agent_parses_command_line_forms() -> None:
    config = Config()
    assert isinstance(make_agent("oracle", config), OracleAgent)
    noisy = make_agent("noisy-oracle:0.25", config)
    assert isinstance(noisy, NoisyOracleAgent) and noisy.rate == 0.25 and noisy.name == "noisy-oracle:0.25"
    model = make_agent("my-model", config, client=object(), temperature=0.2)
    assert isinstance(model, ModelAgent) and model.name == "my-model" and model.temperature == 0.2
    with pytest.raises(ConfigError, match="noise rate"):
        make_agent("noisy-oracle:abc", config)
    with pytest.raises(ConfigError, match="rate must be in"):
        make_agent("noisy-oracle:1.5", config)


def test_tool_call_turns_are_sent_with_empty_content_to_llama_cpp() -> None:
    call = {"id": "c0", "type": "function", "function": {"name": "ls", "arguments": "{}"}}
    messages = [{"role": "user", "content": "list the files"},
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c0", "content": "a.txt"}]
    step = AgentStep(reference=Trajectory(id="r", messages=[]), run=0, phase="call", turn=1, step=1,
                     messages=messages)
    with ScriptedOpenAIServer(["Done."], flavor="llama.cpp") as server:
        client = LLMClient(LLMSettings(backoff_base=0.01, cache=False), base_url=server.base_url,
                           progress=False)
        reply = asyncio.run(ModelAgent("m", client).respond(step))
        sent = server.requests
    # before: content null → HTTP 500 from llama-cpp-python, retried, then an agent failure
    assert reply.error is None and reply.content == "Done." and len(sent) == 1
    assert sent[0]["messages"][1]["content"] == "" and messages[1]["content"] is None
