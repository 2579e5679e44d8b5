"""Tool calls and outputs for generated instruction-only trajectories (``generation.md`` §7).

Blank-filled and few-shot T1/BFCL trajectories hold instructions only
(``metadata.generation.needs_completion``). :func:`complete` runs the downstream agent loop of the
benchmark with a generator model (:mod:`synae.downstream.complete`) on them and records the model in
``metadata.generation.completion``; ACP trajectories are returned unchanged (their outputs come
from the generator). Placeholder (empty) trajectories are kept as they are.
"""

from __future__ import annotations

from synae.config import Config
from synae.generate.llm_support import LLMOptions
from synae.schema import Dataset


def complete(dataset: Dataset, model: str, *, llm: LLMOptions, benchmark: str,
             drop_empty_turns: bool = False) -> Dataset:
    """``dataset`` with tool calls and outputs produced by the agent ``model``."""
    from synae.downstream.agents import make_agent
    from synae.downstream.complete import complete_dataset

    if benchmark == "acp":
        return dataset
    config = Config(llm=llm.settings)
    agent = make_agent(model, config, client=llm.get_client(), temperature=llm.temperature)
    todo = [t for t in dataset if t.messages]
    done = complete_dataset(Dataset(trajectories=todo, name=dataset.name, source=dataset.source), agent,
                            benchmark, config, drop_empty_turns=drop_empty_turns)
    by_id = {t.id: t for t in done}
    out = []
    for traj in dataset:
        new = by_id.get(traj.id, traj)
        if traj.id in by_id:
            new.metadata["generation"] = {**new.metadata.get("generation", {}), "needs_completion": False}
            new.attributes = traj.attributes
        out.append(new)
    result = Dataset(trajectories=out, name=dataset.name, source=dataset.source, n_skipped=dataset.n_skipped)
    return result
