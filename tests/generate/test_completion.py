"""Completion of generated trajectories by the downstream agent loop (docs/method.md §8.8), with the
oracle agent (no LLM): provenance is kept and the completion is recorded."""

from __future__ import annotations

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import Config, LLMSettings
from synae.generate import LLMOptions, oversample
from synae.generate.completion import complete
from synae.presets import get_preset
from synae.run.factory import llm_client
from synae.schema import Dataset, Trajectory


def test_regenerate_copies_with_an_agent(t1_turns):
    data = Dataset(trajectories=t1_turns.trajectories[:4], name="t1")
    copies = oversample(data, 0.5)
    done = complete(copies, "oracle", llm=LLMOptions(model=""), preset=get_preset("t1"))
    assert [t.id for t in done] == [t.id for t in copies]
    for before, after in zip(copies, done, strict=True):
        gen = after.metadata["generation"]
        assert gen["source_id"] == before.metadata["generation"]["source_id"]
        assert gen["completion"]["agent"] == "oracle" and gen["needs_completion"] is False
        assert [m.content for m in after.messages if m.role == "user"] == \
            [m.content for m in before.messages if m.role == "user"]
        assert any(m.role == "tool" for m in after.messages)  # the agent's calls were executed
        assert after.metadata["tool_results"] == "present"


def test_acp_is_left_alone(acp):
    data = Dataset(trajectories=acp.trajectories[:2], name="acp")
    assert complete(data, "oracle", llm=LLMOptions(model=""), preset=get_preset("acp")) is data


def test_empty_placeholders_are_kept(t1_turns):
    empty = Trajectory(id="fewshot_fixed_ex0_1", messages=[], environment={"kind": "t1_attractions"},
                       metadata={"benchmark": "t1", "generation": {"parse_error": "no usable content"}})
    data = Dataset(trajectories=[t1_turns[0], empty], name="mixed")
    done = complete(data, "oracle", llm=LLMOptions(model=""), preset=get_preset("t1"))
    assert [t.id for t in done] == ["0", "fewshot_fixed_ex0_1"]
    assert done[1] is empty and "completion" in done[0].metadata["generation"]


def test_generic_completion_uses_the_trajectory_tools_natively(chat):
    """A model agent on the loopback server: native tool calls with the trajectory's own ``tools``,
    executed against the replay of the source's recorded results."""
    generated = Trajectory(id="blankfill_prob0_5_0", messages=[chat[0].messages[1]], tools=chat[0].tools,
                           metadata={"generation": {"source_id": "chat0", "needs_completion": True}})

    def responder(body):
        if body["messages"][-1]["role"] == "user":
            return Reply.tools(("get_weather", {"city": "Oslo", "unit": "celsius"}))
        return Reply.text("It is 10 degrees and clear in Oslo.")

    with ScriptedOpenAIServer(responder=responder) as server:
        settings = LLMSettings(base_url=server.base_url, max_retries=0)
        llm = LLMOptions(model="gen", settings=settings, client=llm_client(Config(llm=settings)))
        done = complete(Dataset([generated], name="g"), "gen", llm=llm, preset=get_preset("generic"),
                        sources=chat)
        first = server.requests[0]
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "create_event", "list_events"]
    traj = done[0]
    assert [m.role for m in traj.messages] == ["user", "assistant", "tool", "assistant"]
    assert traj.messages[1].tool_calls[0].function.name == "get_weather"
    assert traj.messages[2].content == chat[0].messages[3].content  # the source's recorded result
    assert traj.output == "It is 10 degrees and clear in Oslo."
    gen = traj.metadata["generation"]
    assert gen["needs_completion"] is False and gen["completion"]["model"] == "gen"
    assert gen["source_id"] == "chat0"
