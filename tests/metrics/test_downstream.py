"""TDD and RD (docs/method.md §3.7), pinned to naive reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synae.metrics.downstream import rd, tdd


def naive_average_ranks(values: list[float]) -> list[float]:
    """Rank 1..h; tied values get the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def naive_spearman(a: list[float], b: list[float]) -> float:
    ra, rb = naive_average_ranks(a), naive_average_ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    return cov / math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))


def test_identical_rates_give_tdd_zero_and_rd_one() -> None:
    rates = [0.9, 0.4, 0.7]
    assert tdd(rates, rates).value == 0.0
    assert rd(rates, rates).value == 1.0


def test_tdd_is_mean_absolute_difference() -> None:
    assert tdd([1.0, 0.5, 0.2], [0.8, 0.5, 0.6]).value == pytest.approx((0.2 + 0.0 + 0.4) / 3)


def test_rd_reversed_ranking_is_minus_one_and_h3_values() -> None:
    assert rd([0.1, 0.5, 0.9], [0.9, 0.5, 0.1]).value == pytest.approx(-1.0)
    # h = 3 without ties: only -1, -0.5, 0.5, 1 are possible.
    assert rd([0.1, 0.5, 0.9], [0.5, 0.1, 0.9]).value == pytest.approx(0.5)
    assert rd([0.1, 0.5, 0.9], [0.5, 0.9, 0.1]).value == pytest.approx(-0.5)


def test_rd_ties_use_average_ranks() -> None:
    real, synthetic = [0.1, 0.5, 0.5], [0.2, 0.2, 0.9]
    assert rd(real, synthetic).value == pytest.approx(naive_spearman(real, synthetic))
    assert rd(real, synthetic).value == pytest.approx(0.5)
    # 0 arises only with ties.
    assert rd([0.1, 0.5, 0.9], [0.5, 0.1, 0.5]).value == pytest.approx(0.0)


def test_rd_matches_naive_reference_on_random_vectors() -> None:
    rng = np.random.default_rng(123)
    for _ in range(50):
        h = int(rng.integers(2, 8))
        real = rng.integers(0, 4, h) / 4  # coarse values: many ties
        synthetic = rng.integers(0, 4, h) / 4
        result = rd(list(real), list(synthetic))
        if len(set(real)) == 1 or len(set(synthetic)) == 1:
            assert result.value is None and result.reason.startswith("constant_ranking")
        else:
            assert result.value == pytest.approx(naive_spearman(list(real), list(synthetic)))
            assert -1.0 <= result.value <= 1.0


def test_constant_ranking_is_null_never_zero_or_one() -> None:
    result = rd([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])
    assert result.value is None and result.reason.startswith("constant_ranking")
    assert rd([0.1, 0.2, 0.3], [1.0, 1.0, 1.0]).reason.startswith("constant_ranking")
    # TDD is still defined when rankings are constant.
    assert tdd([0.5, 0.5, 0.5], [0.1, 0.2, 0.3]).value == pytest.approx(0.3)


def test_one_agent_is_too_few() -> None:
    for fn in (tdd, rd):
        result = fn([0.5], [0.4])
        assert result.value is None and result.reason.startswith("too_few_agents")
        assert fn([], []).reason.startswith("too_few_agents")


def test_missing_rate_gives_null() -> None:
    for fn in (tdd, rd):
        result = fn([0.5, None, 0.2], [0.4, 0.3, 0.1])
        assert result.value is None and result.reason.startswith("missing_rate")
        assert fn([0.5, 0.3], [float("nan"), 0.3]).reason.startswith("missing_rate")


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        tdd([0.1, 0.2], [0.1])


def test_reexported_from_metrics_package() -> None:
    import synae.metrics as metrics

    assert metrics.tdd is tdd and metrics.rd is rd
