"""Agent completion of instruction-only trajectories (docs/method.md §8.8)."""

from __future__ import annotations

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import Config, LLMSettings
from synae.downstream.agents import ModelAgent
from synae.downstream.prompts import T1_PLAN_SYSTEM
from synae.llm.client import LLMClient
from synae.run.scoring.downstream import complete_dataset
from synae.schema import Dataset, check_trajectory
from synae.views import responses, turns


def client_for(server: ScriptedOpenAIServer) -> LLMClient:
    return LLMClient(LLMSettings(max_retries=0), base_url=server.base_url, api_key="t", progress=False)


def instructions_only(dataset: Dataset, n: int) -> Dataset:
    def keep(m) -> bool:
        return not m.tool_calls and m.code is None

    stripped = [t.model_copy(update={"messages": [m for m in t.messages if keep(m)], "output": None})
                for t in dataset.trajectories[:n]]
    return Dataset(trajectories=stripped, name="instructions")


def test_complete_t1_adds_plans_results_and_output(t1_turns: Dataset) -> None:
    source = instructions_only(t1_turns, 2)

    def responder(body: dict) -> str:
        if body["messages"][0]["content"] == T1_PLAN_SYSTEM:
            return '<CODE>\nres = search_attractions(state="CO")\nsave_to_cache(key="co", value=res)\n</CODE>'
        return "Visit the Colorado sights."

    with ScriptedOpenAIServer(responder=responder) as server:
        agent = ModelAgent(model="gen-model", client=client_for(server))
        done = complete_dataset(source, agent, "t1", Config())
    assert [t.id for t in done] == [t.id for t in source]
    for before, after in zip(source, done, strict=True):
        assert not check_trajectory(after).errors
        assert responses(after) == responses(before)  # scripted responses kept as they are
        plans = [m for m in after.messages if m.code is not None]
        assert len(plans) == 3 and all(p.tool_calls for p in plans)
        assert any(m.role == "tool" and "CO" in (m.content or "") for m in after.messages)
        assert after.output == "Visit the Colorado sights."
        assert after.metadata["tool_results"] == "present" and "downstream" not in after.metadata
        completion = after.metadata["generation"]["completion"]
        assert completion["model"] == "gen-model" and completion["llm_calls"] == 4


def test_complete_bfcl_keeps_empty_turns_unless_asked_to_drop_them(bfcl_real: Dataset) -> None:
    source = instructions_only(bfcl_real, 1)

    def script() -> list[Reply]:  # turn 1: a call; turn 2: none; turn 3: a call; turn 4: none
        return [Reply.tools(("cd", {"folder": "document"})), Reply.text("ok"),
                Reply.text("I cannot do that."),
                Reply.tools(("ls", {})), Reply.text("ok"),
                Reply.text("Nothing to do.")]

    shapes = {}
    for drop in (False, True):
        with ScriptedOpenAIServer(script()) as server:
            agent = ModelAgent(model=f"gen-{drop}", client=client_for(server))
            done = complete_dataset(source, agent, "bfcl", Config(), drop_empty_turns=drop)
        shapes[drop] = [[c.function.name for m in t.tool_call_messages for c in m.tool_calls or ()]
                        for t in turns(done[0])]
        assert not check_trajectory(done[0]).errors
    assert shapes[False] == [["cd"], [], ["ls"], []]
    assert shapes[True] == [["cd"], ["ls"], [], []]  # the research's misalignment, reproduced on request


def test_complete_acp_keeps_generator_outputs_unless_the_agent_answers(acp_real: Dataset) -> None:
    source = Dataset(trajectories=acp_real.trajectories[:2], name="acp")
    assert complete_dataset(source, "oracle", "acp", Config()) is source
    with ScriptedOpenAIServer(responder=lambda body: "No.") as server:
        agent = ModelAgent(model="gen", client=client_for(server))
        done = complete_dataset(source, agent, "acp", Config(), acp_answer_with_agent=True)
    assert [t.output for t in done] == ["no", "no"]
    assert done[0].messages == source[0].messages
    assert done[0].metadata["generation"]["completion"]["model"] == "gen"
