"""Completion of generated trajectories by the downstream agent loop (generation.md §7), with the
oracle agent (no LLM): provenance is kept and the completion is recorded."""

from __future__ import annotations

from synae.generate import LLMOptions, oversample
from synae.generate.completion import complete
from synae.schema import Dataset, Trajectory


def test_regenerate_copies_with_an_agent(t1_turns):
    data = Dataset(trajectories=t1_turns.trajectories[:4], name="t1")
    copies = oversample(data, 0.5)
    done = complete(copies, "oracle", llm=LLMOptions(model=""), benchmark="t1")
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
    assert complete(data, "oracle", llm=LLMOptions(model=""), benchmark="acp") is data


def test_empty_placeholders_are_kept(t1_turns):
    empty = Trajectory(id="fewshot_fixed_ex0_1", messages=[], environment={"kind": "t1_attractions"},
                       metadata={"benchmark": "t1", "generation": {"parse_error": "no usable content"}})
    data = Dataset(trajectories=[t1_turns[0], empty], name="mixed")
    done = complete(data, "oracle", llm=LLMOptions(model=""), benchmark="t1")
    assert [t.id for t in done] == ["0", "fewshot_fixed_ex0_1"]
    assert done[1] is empty and "completion" in done[0].metadata["generation"]
