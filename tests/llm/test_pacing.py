"""AIMD concurrency limit and latency-scaled timeouts (pure arithmetic; the client tests cover HTTP)."""

from __future__ import annotations

from synae.llm.pacing import AdaptiveLimit, LatencyTimeout


def test_one_burst_halves_the_limit_once_and_successes_raise_it_slowly() -> None:
    limit = AdaptiveLimit(16)
    started = limit.generation
    assert limit.on_overload(started) and limit.allowed == 8
    # the rest of the burst started before the decrease: ignored
    assert not any(limit.on_overload(started) for _ in range(10)) and limit.allowed == 8
    assert limit.on_overload(limit.generation) and limit.allowed == 4
    for _ in range(4):
        limit.on_success()
    assert limit.allowed == 4 and 4.8 < limit.limit < 5.0  # + 1/limit per success: about +1 per 4
    for _ in range(1000):
        limit.on_success()
    assert limit.allowed == 16  # capped at the configured concurrency


def test_limit_never_drops_below_one_and_can_be_disabled() -> None:
    limit = AdaptiveLimit(3)
    for _ in range(10):
        limit.on_overload(limit.generation)
    assert limit.allowed == 1
    fixed = AdaptiveLimit(3, enabled=False)
    assert not fixed.on_overload(0) and fixed.allowed == 3


def test_timeout_follows_the_slowest_recent_success_and_doubles_after_a_timeout() -> None:
    timeout = LatencyTimeout(base=1.0, maximum=20.0)
    assert timeout.limit() == 1.0 and timeout.limit(previous=1.0) == 1.0  # never answered: base only
    timeout.record(2.0)
    assert timeout.limit() == 8.0  # 4 × 2 s
    assert timeout.limit(previous=8.0) == 16.0 and timeout.limit(previous=16.0) == 20.0  # capped
    assert LatencyTimeout(base=1.0, maximum=20.0, enabled=False).limit(previous=8.0) == 1.0
