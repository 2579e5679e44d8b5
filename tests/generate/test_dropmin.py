"""dropmin (generation.md §2): which values are thinned, how many rows go, what stays."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from synae.errors import ConfigError
from synae.generate import dropmin
from synae.generate.dropmin import drop_plan, resolve_n_min
from synae.generate.labels import labels_of, rarest_first


def test_rarest_first_ties_by_label_and_nulls_excluded():
    labels = ["b", "a", None, "c", "c", "b", "a", None, None]
    assert rarest_first(labels) == [("a", 2), ("b", 2), ("c", 2)]
    assert rarest_first(["x", "y", "y"]) == [("x", 1), ("y", 2)]


def test_drop_plan_rng_calls():
    labels = ["a"] * 10 + ["b"] * 5 + [None] * 3
    steps = drop_plan(labels, 2, 0.5, replace=False, rng=np.random.default_rng(9))
    ref = np.random.default_rng(9)
    b_drawn = ref.choice(np.arange(10, 15), size=2, replace=False).tolist()
    a_drawn = ref.choice(np.arange(0, 10), size=5, replace=False).tolist()
    assert [(s.value, s.count, s.n_drop, s.dropped) for s in steps] == [("b", 5, 2, b_drawn),
                                                                        ("a", 10, 5, a_drawn)]


def test_resolve_n_min():
    assert resolve_n_min("half", 9) == 4
    assert resolve_n_min(20, 3) == 3
    with pytest.raises(ConfigError):
        resolve_n_min("some", 3)


def _check(result, source, attribute, bench, n_min, frac, replace):
    labels = labels_of(source.trajectories, attribute, bench)
    order = rarest_first(labels)[:n_min]
    before = Counter(labels)
    kept_positions = [t.metadata["generation"]["source_position"] for t in result]
    assert kept_positions == sorted(kept_positions)  # original order
    after = Counter(labels[p] for p in kept_positions)
    thinned = {v for v, _ in order}
    for value, count in before.items():
        if value in thinned:
            lost = count - after[value]
            assert 0 < lost <= int(count * frac) or int(count * frac) == 0
            if not replace:
                assert lost == int(count * frac)
        else:
            assert after[value] == count  # untouched values (and null labels) keep every row
    assert not any(t.metadata["generation"]["modified"] for t in result)
    return before, after


@pytest.mark.parametrize("mode", ["reference", "default"])
@pytest.mark.parametrize("n_min", [0, 1, 2, 3])
def test_bfcl_secondary_api(bfcl_older, mode, n_min):
    result = dropmin(bfcl_older, n_min, mode=mode)
    assert result.name == f"dropmin_{n_min}secondary_api_frac0_3"
    assert [t.id for t in result] == [f"{result.name}_{i}" for i in range(len(result))]
    _check(result, bfcl_older, "secondary_api", "bfcl", n_min, 0.3, mode == "reference")


def test_bfcl_measured_sizes(bfcl_older):
    # MathAPI 25 → 7 drawn; TicketAPI 31 → 9 drawn (6 distinct with replacement); TwitterAPI 39 → 11
    assert [len(dropmin(bfcl_older, n, mode="reference")) for n in range(4)] == [200, 193, 187, 178]
    assert [len(dropmin(bfcl_older, n)) for n in range(4)] == [200, 193, 184, 173]


def test_acp_domain_ties(acp):
    # 13 domains × 20: ties broken by name → alfworld, blocksworld, depot
    result = dropmin(acp, 3, mode="reference")
    params = result[0].metadata["generation"]["params"]
    assert list(params["dropped"]) == ["alfworld", "blocksworld", "depot"]
    assert [len(dropmin(acp, n, mode="reference")) for n in range(4)] == [260, 254, 250, 244]
    assert [len(dropmin(acp, n)) for n in range(4)] == [260, 254, 248, 242]


def test_t1_type_keeps_ids(t1_turns):
    result = dropmin(t1_turns, 2, mode="reference")
    _check(result, t1_turns, "type", "t1", 2, 0.3, True)
    assert all(t.id == t.metadata["generation"]["source_id"] for t in result)
    assert [len(dropmin(t1_turns, n, mode="reference")) for n in range(4)] == [225, 220, 216, 211]
    assert [len(dropmin(t1_turns, n)) for n in range(4)] == [225, 220, 214, 208]


def test_deterministic_and_seed(acp):
    a = dropmin(acp, 3, seed=5)
    assert a.fingerprint() == dropmin(acp, 3, seed=5).fingerprint()
    assert a.fingerprint() != dropmin(acp, 3, seed=6).fingerprint()


def test_half_and_frac(acp):
    result = dropmin(acp, "half", frac=0.9)
    assert len(result) == 260 - 6 * 18  # 13 domains → 6 thinned, 18 of 20 each
