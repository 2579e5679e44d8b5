"""The collapse anchor from a few weighted rows equals the anchor from all copies (``copies_values``)."""

from __future__ import annotations

import math

import pytest

from synae.config import load_config
from synae.metrics import registry
from synae.metrics.base import MetricValue
from synae.metrics.fidelity import frechet_distance
from synae.run.scoring.evaluation import Evaluator
from synae.run.scoring.pipeline import anchor_indices, collapse_anchor, copies_values
from synae.schema import Dataset, FunctionCall, Message, ToolCall, Trajectory

CITIES = ["Boston", "Chicago", "Memphis", "Portland", "Atlanta"]
TOOLS = ["search", "filter", "sort", "book", "cancel"]
KINDS = ["Art", "Historical", "Scenic"]


def conversation(i: int) -> Trajectory:
    """Two user turns (the first on two lines, for ACP's context/question pair), tool calls of
    varying length and an output; attributes for the T1 and ACP presets."""
    calls = [ToolCall(id=f"t{i}-{j}", function=FunctionCall(name=TOOLS[(i + j * j) % 5]))
             for j in range(i % 4)]
    answer = f"booked {i % 3} tickets for {CITIES[i % 5]}" if i % 6 else None
    messages = [Message(role="user", content=f"plan a {KINDS[i % 3]} trip in {CITIES[i % 5]}\n"
                                             f"for {i % 4 + 1} people on day {i}"),
                Message(role="assistant", content=f"looking at {CITIES[(i + 1) % 5]}",
                        tool_calls=calls or None),
                Message(role="user", content=f"add {'a museum' if i % 2 else 'a park'} visit, "
                                             f"budget {i * 7}"),
                Message(role="assistant", content=answer)]
    return Trajectory(id=f"r{i}", messages=messages, output=answer,
                      attributes={"city": CITIES[i % 5], "type": KINDS[i % 3], "group": f"g{i % 2}",
                                  "domain": f"d{i % 3}"})


@pytest.mark.parametrize(("preset", "weighting"), [("generic", "pooled"), ("t1", "pooled"),
                                                   ("bfcl", "pooled"), ("acp", "pooled"), ("t1", "real")])
def test_weighted_rows_equal_materialised_copies(preset: str, weighting: str) -> None:
    real = Dataset([conversation(i) for i in range(24)], name="real")
    cfg = load_config(None, preset=preset, embedding={"model": "lexical"},
                      metrics={"planning_weighting": weighting})
    ev = Evaluator(real, cfg, progress=False)
    real_f = ev.real_features
    assert any(registry.replicas(m, ev.context) == 1 for m in ev.metric_ids)
    copies = 9
    for i in anchor_indices(real_f.n, cfg.seed):
        materialised = ev.compute_metrics(real_f, real_f.subset([i] * copies))
        expected = {mid: r.value for mid, r in materialised.items()}
        got = copies_values(ev, real_f, i, copies)
        assert list(got) == ev.metric_ids
        for mid in ev.metric_ids:
            want = expected[mid]
            value = got[mid]
            if want is None or math.isnan(want):
                assert value is None or math.isnan(value), (mid, value)
            else:
                assert got[mid] == pytest.approx(want, rel=1e-9, abs=1e-9), mid
        if real_f.transcripts is not None:  # FID's closed form against the general form on the copies
            general = frechet_distance(real_f.transcripts, real_f.transcripts[[i] * copies])
            assert got["fidelity.instructions.fid"] == pytest.approx(general.value, rel=1e-9, abs=1e-9)
    assert sum(v is not None for v in got.values()) > len(got) // 2  # most metrics are defined


def test_pooled_planning_reads_the_weight() -> None:
    """Pooled planning depends on the copies (the synthetic window counts scale): a single unweighted
    row differs from the anchor's value, the weighted row equals it."""
    real = Dataset([conversation(i) for i in range(24)], name="real")
    ev = Evaluator(real, load_config(None, preset="generic", embedding={"model": "lexical"},
                                     metrics={"planning_weighting": "pooled"}), progress=False)
    real_f = ev.real_features
    mid = "fidelity.tool_calls.planning.k2"
    i = next(j for j in range(real_f.n) if len(real_f.calls[j]) >= 2)
    many = ev.compute_metrics(real_f, real_f.subset([i] * 50), [mid])[mid].value
    single = ev.compute_metrics(real_f, real_f.subset([i]), [mid])[mid].value
    assert many is not None and single is not None and abs(many - single) > 1e-3
    assert copies_values(ev, real_f, i, 50)[mid] == pytest.approx(many, rel=1e-12)


def test_metric_without_replicas_gets_every_copy() -> None:
    """A metric that does not declare ``replicas`` is computed on all the copies."""
    seen: list[int] = []

    @registry.metric("fidelity.instructions.test_rows", direction=registry.LOWER, bounds=(0.0, None),
                     unit="trajectories", meaning="test")
    def rows(m: registry.MetricInputs) -> MetricValue:
        seen.append(m.synthetic.n)
        return MetricValue(float(m.synthetic.n))

    try:
        real = Dataset([conversation(i) for i in range(12)], name="real")
        ev = Evaluator(real, load_config(None, preset="generic", embedding={"model": "lexical"}),
                       metric_patterns="fidelity.instructions.test_rows,fidelity.instructions.fid",
                       progress=False)
        anchor = collapse_anchor(ev, 7)
        assert anchor.per_choice["fidelity.instructions.test_rows"] == [7.0] * len(anchor.indices)
        assert seen == [7] * len(anchor.indices)
    finally:
        registry.unregister("fidelity.instructions.test_rows")
