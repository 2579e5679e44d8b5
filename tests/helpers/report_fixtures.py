"""Hand-made evaluation results for report tests (no metric engine needed)."""

from __future__ import annotations

from typing import Any

from synae.results import DatasetSummary, EvaluationReport, MetricResult
from synae.schema import FunctionCall, Message, ToolCall, Trajectory


def metric(mid: str, value: float | None, **kw: Any) -> MetricResult:
    """A record with the direction/bounds of docs/method.md §3.10 inferred from the ID (or given)."""
    pillar = mid.split(".")[0]
    target = mid.split(".")[1]
    if pillar == "validity" or mid.endswith((".knn_precision", ".knn_recall")):
        direction, bounds = "higher_is_better", (0.0, 1.0)
    elif mid.endswith(".vendi"):
        direction, bounds = "higher_is_better", (1.0, None)
    elif mid.endswith(".ad"):
        direction, bounds = "higher_is_better", (0.0, None)
    else:
        direction, bounds = "lower_is_better", (0.0, None)
    direction, bounds = kw.pop("direction", direction), kw.pop("bounds", bounds)
    status = "ok" if value is not None else "skipped"
    return MetricResult(id=mid, value=value, status=status, reason=None if value is not None else "test_null",
                        pillar=pillar, target=target, direction=direction, bounds=bounds,
                        n_real=kw.pop("n_real", 10), n_synthetic=kw.pop("n_synthetic", 10), **kw)


def report(metrics: dict[str, MetricResult], name: str = "syn", **extra: Any) -> EvaluationReport:
    return EvaluationReport(
        synae_version="0.1.0", created_at="2026-01-01T00:00:00Z", config={"mode": "default", "seed": 123},
        datasets={"real": DatasetSummary(name="real", n=10, fingerprint="r"),
                  "synthetic": DatasetSummary(name=name, n=10, fingerprint="s")},
        metrics=metrics, **extra)


def trajectory(tid: str, user: str, calls: list[str], answer: str | None = "ok",
               attributes: dict[str, Any] | None = None) -> Trajectory:
    """A one-turn trajectory: a user message, an assistant message with structured tool calls."""
    tool_calls = [ToolCall(id=f"{tid}-{i}", function=FunctionCall(name=c)) for i, c in enumerate(calls)]
    messages = [Message(role="user", content=user),
                Message(role="assistant", content=answer, tool_calls=tool_calls or None)]
    return Trajectory(id=tid, messages=messages, output=answer, attributes=attributes or {})


def perturbed_copy(trajectories: list[Trajectory], seed: int = 7) -> list[Trajectory]:
    """A deterministic "synthetic" variant of real trajectories: 15 % dropped, 30 % with the first
    user message's words reversed, 10 % duplicated (ids suffixed ``-dup``)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out: list[Trajectory] = []
    for traj in trajectories:
        u = rng.random()
        if u < 0.15:
            continue
        copy = traj.model_copy(deep=True)
        if u < 0.45:
            for msg in copy.messages:
                if msg.role == "user" and msg.content:
                    msg.content = " ".join(reversed(msg.content.split()))
                    break
        out.append(copy)
        if rng.random() < 0.10:
            out.append(copy.model_copy(update={"id": f"{copy.id}-dup"}))
    return out
