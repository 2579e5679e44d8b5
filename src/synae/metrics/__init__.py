"""The metric engine: pure metric functions and the registry of metric IDs (``metrics.md``).

- :mod:`synae.metrics.distances` — Wasserstein, total variation, entropy;
- :mod:`synae.metrics.fidelity` — KND, attribute match, Fréchet distance, TUM, TCNM, k-step planning;
- :mod:`synae.metrics.knn` — exact k-NN precision/recall;
- :mod:`synae.metrics.diversity` — Vendi scores and attribute diversity;
- :mod:`synae.metrics.downstream` — TDD and RD from agent success rates;
- :mod:`synae.metrics.registry` — IDs, direction, bounds, meaning; builders of report records.
"""

from synae.metrics.base import MetricValue
from synae.metrics.downstream import rd, tdd
from synae.metrics.registry import REGISTRY, MetricSpec, make_result, spec

__all__ = ["REGISTRY", "MetricSpec", "MetricValue", "make_result", "rd", "spec", "tdd"]
