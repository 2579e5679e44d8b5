"""The value a pure metric function returns, before the registry turns it into a report record.

Pure metric functions never build :class:`synae.results.MetricResult` themselves: they return
a :class:`MetricValue` (value or ``None`` with a reason, counts, details, warnings) and the
evaluator adds the registry metadata (pillar, target, direction, bounds).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class MetricValue:
    """A computed metric: ``value`` is ``None`` exactly when ``reason`` says why."""

    value: float | None
    reason: str | None = None
    n_real: int | None = None
    n_synthetic: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def null(cls, reason: str, **kwargs: Any) -> MetricValue:
        """A value that is undefined for these inputs (reported as ``skipped`` with ``reason``)."""
        return cls(value=None, reason=reason, **kwargs)


@contextlib.contextmanager
def small_blas() -> Iterator[None]:
    """Run BLAS/LAPACK single-threaded inside the block.

    For the small dense problems of the metrics (d × d eigendecompositions, d = 384) threads do not
    pay off, and on a busy machine a multi-threaded OpenBLAS spin-waits: measured 0.03 s
    single-threaded against up to 1.4 s with 2 threads under load for one Fréchet distance.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
