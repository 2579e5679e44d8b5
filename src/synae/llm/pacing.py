"""How hard to push an endpoint: an adaptive limit on requests in flight, and attempt timeouts that
follow the endpoint's measured latency.

**Concurrency (AIMD).** :class:`AdaptiveLimit` starts at the configured concurrency ``maximum``.
An overload signal (an attempt that timed out, or got HTTP 429 or 503) halves it,
``limit = max(1, limit / 2)``, at most once per *generation*: a signal from an attempt that started
before the last decrease measured the old load and is ignored, so one burst of failures halves the
limit once, not once per failed request. Every successful attempt adds ``1 / limit`` (about +1 per
``limit`` successes), up to ``maximum``. At most ``floor(limit)`` requests are in flight. A server
with one slot (llama.cpp) thus settles near the number of requests it can finish within a timeout
instead of letting requests queue until they time out.

**Timeouts.** :class:`LatencyTimeout` gives each attempt a limit of
``min(maximum, max(base, factor × slowest of the last `window` successful attempts))``
(``base`` = ``llm.timeout``, ``factor`` 4, ``window`` 50, ``maximum`` = ``llm.timeout_max``), and an
attempt that retries a timed-out one, once the endpoint has answered at least once, gets twice the
previous attempt's limit (up to ``maximum``). A healthy slow server therefore is waited for, while
an endpoint that never answered keeps the base timeout (the breaker stops it). Disabled, every
attempt gets ``base``.
"""

from __future__ import annotations

from collections import deque

LATENCY_FACTOR = 4.0  # attempt limit = factor × slowest recent successful attempt
LATENCY_WINDOW = 50  # successful attempts remembered


class AdaptiveLimit:
    """The AIMD limit on requests in flight (module docstring); ``enabled=False`` keeps ``maximum``."""

    def __init__(self, maximum: int, *, enabled: bool = True) -> None:
        self.maximum = maximum
        self.enabled = enabled
        self.limit = float(maximum)
        self.generation = 0  # number of decreases so far

    @property
    def allowed(self) -> int:
        """Requests that may be in flight now (at least 1)."""
        return max(1, int(self.limit))

    def on_success(self) -> None:
        if self.enabled:
            self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)

    def on_overload(self, generation: int) -> bool:
        """An attempt started in ``generation`` saw overload: halve the limit unless a decrease
        already happened since it started. Returns whether the limit was lowered."""
        if not self.enabled or generation != self.generation or self.limit <= 1.0:
            return False
        self.limit = max(1.0, self.limit / 2.0)
        self.generation += 1
        return True


class LatencyTimeout:
    """Attempt time limits that scale with the endpoint's measured latency (module docstring)."""

    def __init__(self, base: float, maximum: float, *, enabled: bool = True,
                 factor: float = LATENCY_FACTOR, window: int = LATENCY_WINDOW) -> None:
        self.base = base
        self.maximum = max(base, maximum)
        self.enabled = enabled
        self.factor = factor
        self._latencies: deque[float] = deque(maxlen=window)

    def record(self, seconds: float) -> None:
        """A successful attempt took ``seconds``."""
        self._latencies.append(seconds)

    def limit(self, previous: float | None = None) -> float:
        """The limit of the next attempt; ``previous``: the limit of the attempt it retries after a
        timeout (doubled once the endpoint has answered at least once)."""
        if not self.enabled:
            return self.base
        limit = self.base
        if self._latencies:
            limit = max(limit, self.factor * max(self._latencies))
            if previous is not None:
                limit = max(limit, 2.0 * previous)
        return min(self.maximum, limit)
