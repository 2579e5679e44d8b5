"""The metric engine: pure metric functions and the registry of metric IDs (``metrics.md``).

- :mod:`synae.metrics.distances` — Wasserstein, total variation, entropy;
- :mod:`synae.metrics.fidelity` — KND, attribute match, Fréchet distance, TUM, TCNM, k-step planning;
- :mod:`synae.metrics.knn` — exact k-NN precision/recall;
- :mod:`synae.metrics.diversity` — Vendi scores and attribute diversity;
- :mod:`synae.metrics.downstream` — TDD and RD from agent success rates (``tdd``, ``rd``);
- :mod:`synae.metrics.registry` — IDs, direction, bounds, meaning; builders of report records.

``tdd`` and ``rd`` are re-exported lazily: importing them pulls in :mod:`scipy.stats` (~0.8 s), which
an evaluation without downstream metrics never needs.
"""

from typing import Any

from synae.metrics.base import MetricValue
from synae.metrics.registry import REGISTRY, MetricSpec, make_result, spec

_LAZY = {"tdd", "rd"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from synae.metrics import downstream

        return getattr(downstream, name)
    raise AttributeError(f"module 'synae.metrics' has no attribute {name!r}")


__all__ = ["REGISTRY", "MetricSpec", "MetricValue", "make_result", "rd", "spec", "tdd"]
