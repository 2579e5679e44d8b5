"""The real side of a metric is built once per real feature set (``memo``): comparing the same real
features with one synthetic set and then another gives the second set exactly the values and
details a fresh real feature set gives it."""

from __future__ import annotations

import pytest

from synae.config import load_config
from synae.run.scoring.evaluation import Evaluator
from synae.schema import Dataset, FunctionCall, Message, ToolCall, Trajectory

TOOLS = ["search", "filter", "sort", "book"]


def conversation(i: int, shift: int) -> Trajectory:
    calls = [ToolCall(id=f"c{i}-{j}", function=FunctionCall(name=TOOLS[(i * shift + j) % 4]))
             for j in range((i + shift) % 4)]
    answer = f"found {i % 5} places " * (1 + (i + shift) % 3)
    return Trajectory(id=f"t{shift}-{i}", output=answer,
                      messages=[Message(role="user", content=f"look for {i % 7} places " * (1 + i % 3)),
                                Message(role="assistant", tool_calls=calls or None)],
                      attributes={"topic": f"t{(i + shift) % 3}", "size": (i * shift) % 5})


@pytest.mark.parametrize("preset", ["generic", "t1"])
def test_a_memoised_real_side_gives_each_synthetic_set_the_values_of_a_fresh_one(preset: str) -> None:
    real = Dataset([conversation(i, 1) for i in range(30)], name="real")
    first = Dataset([conversation(i, 2) for i in range(17)], name="first")
    second = Dataset([conversation(i, 3) for i in range(23)], name="second")
    config = load_config(None, preset=preset, embedding={"model": "lexical"})
    used = Evaluator(real, config, progress=False)
    used.compute_metrics(used.real_features, used.features(first))
    assert any(key.startswith(("am.", "tum.", "planning.")) for key in used.real_features.memo)
    fresh = Evaluator(real, config, progress=False)
    got = used.compute_metrics(used.real_features, used.features(second))
    want = fresh.compute_metrics(fresh.real_features, fresh.features(second))
    assert list(got) == list(want)
    for mid in want:
        assert got[mid].model_dump() == want[mid].model_dump(), mid
