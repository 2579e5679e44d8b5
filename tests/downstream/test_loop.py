"""The turn loops (docs/method.md §7.5): scripted agents, and a model agent driven through a
real loopback OpenAI-compatible server with scripted replies (multi-step turns, malformed calls)."""

from __future__ import annotations

import asyncio
import json

from helpers.bench_fixtures import t1_conversation
from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import LLMSettings
from synae.downstream.agents import AgentReply, AgentStep, ModelAgent, OracleAgent
from synae.downstream.loop import LoopSettings, parse_yes_no, run_dataset, run_trajectory
from synae.downstream.prompts import T1_OUTPUT_SYSTEM, T1_PLAN_SYSTEM
from synae.downstream.scoring import rule_score
from synae.llm.client import LLMClient
from synae.presets import get_preset
from synae.schema import Dataset, FunctionCall, ToolCall, check_trajectory
from synae.views import turns


def client_for(server: ScriptedOpenAIServer) -> LLMClient:
    return LLMClient(LLMSettings(max_retries=0, backoff_base=0.0), base_url=server.base_url, api_key="test",
                     progress=False)


def run(reference, agent, preset, **kwargs):
    return asyncio.run(run_trajectory(reference, agent, get_preset(preset), **kwargs))


# --------------------------------------------------------------------------------------------
# Scripted agents


def test_oracle_t1_trajectory_keeps_conversation_and_adds_plans_results_output(t1_turns: Dataset) -> None:
    reference = t1_turns[0]
    agent_traj = run(reference, OracleAgent(), "t1")
    assert agent_traj.id == reference.id
    assert not check_trajectory(agent_traj).errors
    ref_users = [m.content for m in reference.messages if m.role == "user"]
    assert [m.content for m in agent_traj.messages if m.role == "user"] == ref_users
    plans = [m for m in agent_traj.messages if m.code is not None]
    assert len(plans) == len(ref_users)  # one plan message per user turn
    assert plans[0].code == reference.messages[2].code
    results = [m for m in agent_traj.messages if m.role == "tool"]
    assert results and t1_conversation(0)[2]["Type"] in results[0].content  # the searched type
    assert agent_traj.output == reference.output
    meta = agent_traj.metadata["downstream"]
    assert meta["agent"] == "oracle" and meta["llm_calls"] == 0 and meta["steps"] == len(ref_users) + 1
    assert rule_score("t1_exec", reference, agent_traj).success is True


def test_oracle_bfcl_and_acp_succeed(bfcl_real: Dataset, acp_real: Dataset) -> None:
    refs = bfcl_real.trajectories[:5]
    for reference, agent_traj in zip(refs, run_dataset(refs, OracleAgent(), get_preset("bfcl")), strict=True):
        assert agent_traj.id == reference.id
        assert rule_score("bfcl_state", reference, agent_traj).success is True
        tool_messages = [m for m in agent_traj.messages if m.role == "tool"]
        assert tool_messages and not any(m.metadata and m.metadata.get("error") for m in tool_messages)
    refs = acp_real.trajectories[:5]
    for reference, agent_traj in zip(refs, run_dataset(refs, OracleAgent(), get_preset("acp")), strict=True):
        assert agent_traj.output == reference.output
        assert rule_score("exact", reference, agent_traj).success is True


def test_step_limit_terminates_the_trajectory(bfcl_real: Dataset) -> None:
    class Looper(OracleAgent):
        async def respond(self, step: AgentStep) -> AgentReply:  # always calls a tool, never answers
            call = ToolCall(id="x", function=FunctionCall(name="pwd", arguments="{}"))
            return AgentReply(tool_calls=[call])

    reference = bfcl_real[0]
    agent_traj = run(reference, Looper(name="looper"), "bfcl", settings=LoopSettings(max_steps=3))
    meta = agent_traj.metadata["downstream"]
    assert meta["terminated"] is True and meta["steps"] == 3
    assert rule_score("bfcl_state", reference, agent_traj).success is False


# --------------------------------------------------------------------------------------------
# A model agent over HTTP


def test_model_agent_t1_plans_cache_summary_errors_and_output(t1_turns: Dataset) -> None:
    reference = t1_turns[0]
    n_users = sum(m.role == "user" for m in reference.messages)
    assert n_users == 3
    search = reference.messages[2].code.splitlines()[0].split(" = ", 1)[1]  # the reference's search
    replies = [
        Reply.text(f'I search first.\n<CODE>\nres = {search}\n'
                   'save_to_cache(key="co_guided", value=res)\n</CODE>'),
        Reply.text("<CODE>\nres = search_attractions(state=\n</CODE>"),  # malformed code
        Reply.text("```python\nprint(\"No planning needed\")\n```"),
        Reply.text("Here are some guided tours in Colorado."),
    ]
    with ScriptedOpenAIServer(replies) as server:
        agent = ModelAgent(model="agent-model", client=client_for(server))
        agent_traj = run(reference, agent, "t1", run=2)
        requests = server.requests
    assert len(requests) == n_users + 1  # L + 1 calls
    assert all(r["model"] == "agent-model" and r["seed"] == 2 and r["temperature"] == 0.5
               and r["max_tokens"] == 512 and "tools" not in r for r in requests)
    plan_prompts = [r["messages"] for r in requests[:3]]
    assert all(p[0]["content"] == T1_PLAN_SYSTEM for p in plan_prompts)
    assert "search_attractions(...)" in plan_prompts[0][1]["content"]  # tool docs
    users = [m.content for m in reference.messages if m.role == "user"]
    assert users[0] in plan_prompts[0][1]["content"]
    assert users[1] not in plan_prompts[0][1]["content"]  # not yet said
    assert "co_guided" in plan_prompts[1][1]["content"]  # cache summary of turn 1 results
    reference_code = reference.messages[2].code
    assert all(reference_code not in r["messages"][1]["content"] for r in requests)  # never shown
    assert requests[3]["messages"][0]["content"] == T1_OUTPUT_SYSTEM
    assert "[co_guided]" in requests[3]["messages"][1]["content"]  # cache contents
    plans = [m for m in agent_traj.messages if m.code is not None]
    assert [bool(p.tool_calls) for p in plans] == [True, False, False]
    assert plans[1].metadata["error_code"] == "syntax_error"
    assert plans[2].code == 'print("No planning needed")'
    assert agent_traj.output == "Here are some guided tours in Colorado."
    assert agent_traj.metadata["downstream"]["llm_calls"] == 4
    assert rule_score("t1_exec", reference, agent_traj).success is True


def test_model_agent_bfcl_multi_step_turns_and_malformed_calls(bfcl_real: Dataset) -> None:
    reference = bfcl_real[0]
    replies = [
        Reply.tools(("cd", {"folder": "document"})),  # turn 1, step 0
        Reply.tools(("mkdir", {"dir_name": "temp"}), ("mv", {"source": "final_report.pdf",
                                                           "destination": "temp"})),  # step 1
        Reply.text("Moved the file."),  # step 2: no calls, the turn ends
        Reply.tools({"id": "zz", "type": "function",
                     "function": {"name": "grep", "arguments": "{not json"}}),  # turn 2: malformed
        Reply.text("Sorry."),
        Reply.text("Nothing to do."),  # turn 3
        Reply.text("Nothing to do."),  # turn 4
    ]
    with ScriptedOpenAIServer(replies) as server:
        agent = ModelAgent(model="tool-model", client=client_for(server))
        agent_traj = run(reference, agent, "bfcl")
        requests = server.requests
    assert len(requests) == 7
    assert all(r["temperature"] == 0.001 and r["tools"] == reference.tools and r["tool_choice"] == "auto"
               for r in requests)
    step1 = requests[1]["messages"]
    assert step1[0]["role"] == "system" and step1[1]["role"] == "user"
    assert step1[2]["tool_calls"][0]["id"] == "call_1_0"  # ids assigned by the loop
    assert step1[3] == {"role": "tool", "tool_call_id": "call_1_0", "content": step1[3]["content"]}
    assert "document" in step1[3]["content"]
    assert [m["role"] for m in requests[3]["messages"]][-2:] == ["assistant", "user"]  # history kept
    calls = [m for m in agent_traj.messages if m.tool_calls]
    assert [c.id for m in calls for c in m.tool_calls] == ["call_1_0", "call_1_1", "call_1_2", "call_2_0"]
    assert calls[2].metadata == {"malformed_arguments": {"call_2_0": "{not json"}}
    assert calls[2].tool_calls[0].function.arguments == "{}"
    results = [m for m in agent_traj.messages if m.role == "tool"]
    assert results[-1].content.startswith("Error during execution:")
    assert not check_trajectory(agent_traj).errors
    assert [len(t.tool_call_messages) for t in turns(agent_traj)] == [2, 1, 0, 0]
    # The agent did turn 1 right and nothing else: BFCL's state check fails it.
    assert rule_score("bfcl_state", reference, agent_traj).success is False


def test_model_agent_python_call_format(bfcl_real: Dataset) -> None:
    reference = bfcl_real[0]
    with ScriptedOpenAIServer(responder=lambda body: "done") as server:
        server.push("[cd(folder='document'), mkdir(dir_name='temp')]")
        agent = ModelAgent(model="plain-model", client=client_for(server), call_format="python")
        agent_traj = run(reference, agent, "bfcl")
        requests = server.requests
    assert "tools" not in requests[0]
    system = requests[0]["messages"][0]["content"]
    assert "Python list" in system and '"name": "cd"' in system
    assert requests[1]["messages"][-1]["role"] == "user"
    assert requests[1]["messages"][-1]["content"].startswith("Results of the function calls:")
    first_calls = next(m for m in agent_traj.messages if m.tool_calls).tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)) for c in first_calls] == [
        ("cd", {"folder": "document"}), ("mkdir", {"dir_name": "temp"})]


def test_model_agent_acp_answer_parsing(acp_real: Dataset) -> None:
    reference = acp_real[0]
    with ScriptedOpenAIServer([Reply.text("Yes. It is applicable."), Reply.text("I cannot tell.")]) as server:
        agent = ModelAgent(model="qa", client=client_for(server))
        first = run(reference, agent, "acp", run=0)
        second = run(reference, agent, "acp", run=1)
        requests = server.requests
    assert requests[0]["messages"][-1]["content"].endswith("\nOnly answer yes or no.")
    assert requests[0]["messages"][-1]["content"].count("Only answer yes or no.") == 1
    assert first.output == "yes" and first.metadata["downstream"]["answer"] == "yes"
    assert second.output == "I cannot tell." and second.metadata["downstream"]["answer"] is None
    assert rule_score("exact", reference, second).success is False
    assert parse_yes_no("Nope, no.") == "no" and parse_yes_no("yesterday") is None


def test_llm_failure_is_an_agent_failure_not_a_crash(acp_real: Dataset, bfcl_real: Dataset) -> None:
    with ScriptedOpenAIServer(responder=lambda body: Reply.error(500)) as server:
        agent = ModelAgent(model="down", client=client_for(server))
        acp_traj = run(acp_real[0], agent, "acp")
        bfcl_traj = run(bfcl_real[0], agent, "bfcl")
    assert acp_traj.metadata["downstream"]["errors"][0].startswith("turn 1 step 0: llm_failed")
    assert rule_score("exact", acp_real[0], acp_traj).success is False
    assert len(bfcl_traj.metadata["downstream"]["errors"]) == 4  # one per user turn
    assert rule_score("bfcl_state", bfcl_real[0], bfcl_traj).success is False


def test_requests_are_deterministic_and_hit_the_cache_on_rerun(bfcl_real: Dataset) -> None:
    reference = bfcl_real[0]
    with ScriptedOpenAIServer(responder=lambda body: "done") as server:
        client = client_for(server)
        for _ in range(2):
            run(reference, ModelAgent(model="m", client=client), "bfcl")
        assert len(server.requests) == 4  # the second run is answered from the disk cache
    assert client.usage.cached == 4
