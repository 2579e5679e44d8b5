"""Downstream fidelity from per-agent success rates (``docs/method.md`` §3.7).

Agents A_1..A_h are run on the real set D and the synthetic set D′; ``s_j`` and ``s′_j`` are their
success rates. Two pure functions turn the two rate vectors into a value:

- :func:`tdd` — task difficulty discrepancy, ``TDD = (1/h) Σ_j |s_j − s′_j|`` (lower is better, [0, 1]).
- :func:`rd` — ranking divergence, Spearman's ρ between ``(s_j)`` and ``(s′_j)``: average ranks for
  ties (``scipy.stats.rankdata(method="average")``), then the Pearson correlation of the rank vectors
  (higher is better, [−1, 1]).

Edge cases (never substituted by 0 or 1): any missing rate (``None`` or NaN) → ``None`` with reason
``missing_rate``; fewer than two agents → ``too_few_agents``; for RD, either vector constant (all
agents tied) → ``constant_ranking`` since Spearman is undefined. Sequences of different lengths are a
programming error and raise :class:`ValueError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DownstreamValue:
    """A TDD or RD value, or ``None`` with the reason it is undefined."""

    value: float | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


def _validated(real_rates: Sequence[float | None],
               synthetic_rates: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray] | DownstreamValue:
    """Return ``(real, synthetic)`` as float arrays, or a :class:`DownstreamValue` explaining why not."""
    if len(real_rates) != len(synthetic_rates):
        raise ValueError(
            f"real and synthetic rate vectors differ in length ({len(real_rates)} vs {len(synthetic_rates)})"
        )
    missing = [
        j
        for j, (a, b) in enumerate(zip(real_rates, synthetic_rates, strict=True))
        if a is None or b is None or math.isnan(a) or math.isnan(b)
    ]
    if missing:
        return DownstreamValue(None, f"missing_rate: no success rate for agent index(es) {missing}")
    if len(real_rates) < 2:
        return DownstreamValue(None, f"too_few_agents: {len(real_rates)} agent(s), need at least 2")
    return np.asarray(real_rates, dtype=float), np.asarray(synthetic_rates, dtype=float)


def tdd(real_rates: Sequence[float | None], synthetic_rates: Sequence[float | None]) -> DownstreamValue:
    """Task difficulty discrepancy ``(1/h) Σ_j |s_j − s′_j|``.

    ``None`` when any rate is missing or h < 2 (the metric is defined for h ≥ 2 agents).
    """
    checked = _validated(real_rates, synthetic_rates)
    if isinstance(checked, DownstreamValue):
        return checked
    real, synthetic = checked
    return DownstreamValue(float(np.mean(np.abs(real - synthetic))))


def rd(real_rates: Sequence[float | None], synthetic_rates: Sequence[float | None]) -> DownstreamValue:
    """Ranking divergence: Spearman's ρ with average ranks for ties.

    ``None`` with ``constant_ranking`` when either vector is constant, ``too_few_agents`` when h < 2,
    ``missing_rate`` when a rate is missing. The result is clipped to [−1, 1] against rounding.
    """
    checked = _validated(real_rates, synthetic_rates)
    if isinstance(checked, DownstreamValue):
        return checked
    real, synthetic = checked
    from scipy.stats import rankdata  # ~1 s to import: only when an RD value is computed

    for name, vector in (("real", real), ("synthetic", synthetic)):
        if np.all(vector == vector[0]):
            return DownstreamValue(None, f"constant_ranking: all agents tie on {name} data")
    ranks_real = rankdata(real, method="average")
    ranks_synthetic = rankdata(synthetic, method="average")
    centred_real = ranks_real - ranks_real.mean()
    centred_synthetic = ranks_synthetic - ranks_synthetic.mean()
    norm = math.sqrt(float(np.dot(centred_real, centred_real) * np.dot(centred_synthetic, centred_synthetic)))
    rho = float(np.dot(centred_real, centred_synthetic)) / norm
    return DownstreamValue(min(1.0, max(-1.0, rho)))
