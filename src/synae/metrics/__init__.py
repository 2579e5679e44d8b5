"""The metric engine: pure metric functions and the executable registry of metrics (``docs/method.md``).

- :mod:`synae.metrics.distances` — Wasserstein, total variation, entropy;
- :mod:`synae.metrics.fidelity` — KND, attribute match, Fréchet distance, TUM, TCNM, k-step planning;
- :mod:`synae.metrics.knn` — exact k-NN precision/recall;
- :mod:`synae.metrics.diversity` — Vendi scores and attribute diversity;
- :mod:`synae.metrics.downstream` — TDD and RD from agent success rates (``tdd``, ``rd``);
- :mod:`synae.metrics.features` — :class:`DatasetFeatures`, what the metrics read from a dataset;
- :mod:`synae.metrics.registry` — the ``@metric`` decorator, IDs, direction, bounds, meaning,
  planning and running of metrics; builders of report records;
- :mod:`synae.metrics.computations` — the built-in metrics (imported here, so the registry is
  always complete).

``tdd`` and ``rd`` are re-exported lazily: importing them pulls in :mod:`scipy.stats` (~0.8 s), which
an evaluation without downstream metrics never needs.
"""

from typing import Any

from synae.metrics import computations as computations
from synae.metrics.base import MetricValue
from synae.metrics.registry import REGISTRY, MetricSpec, make_result, metric, spec

_LAZY = {"tdd", "rd"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from synae.metrics import downstream

        return getattr(downstream, name)
    raise AttributeError(f"module 'synae.metrics' has no attribute {name!r}")


__all__ = ["REGISTRY", "MetricSpec", "MetricValue", "make_result", "metric", "rd", "spec", "tdd"]
