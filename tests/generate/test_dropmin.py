"""dropmin (docs/method.md §8.3): which values are thinned, how many rows go, what stays."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from synae.errors import ConfigError
from synae.generate import dropmin
from synae.generate.dropmin import drop_plan, resolve_n_min
from synae.generate.labels import labels_of, rarest_first
from synae.presets import get_preset
from synae.schema import Dataset, Trajectory

T1, BFCL, ACP = get_preset("t1"), get_preset("bfcl"), get_preset("acp")


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
    labels = labels_of(source.trajectories, attribute, get_preset(bench))
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
    result = dropmin(bfcl_older, n_min, mode=mode, preset=BFCL)
    assert result.name == f"dropmin_{n_min}secondary_api_frac0_3"
    assert [t.id for t in result] == [f"{result.name}_{i}" for i in range(len(result))]
    _check(result, bfcl_older, "secondary_api", "bfcl", n_min, 0.3, mode == "reference")


def test_bfcl_measured_sizes(bfcl_older):
    # MathAPI 25 → 7 drawn; TicketAPI 31 → 9 drawn (6 distinct with replacement); TwitterAPI 39 → 11
    assert [len(dropmin(bfcl_older, n, mode="reference", preset=BFCL)) for n in range(4)] == \
        [200, 193, 187, 178]
    assert [len(dropmin(bfcl_older, n, preset=BFCL)) for n in range(4)] == [200, 193, 184, 173]


@pytest.mark.data
def test_acp_domain_ties(real_acp):
    # 13 domains × 20: ties broken by name → alfworld, blocksworld, depot
    result = dropmin(real_acp, 3, mode="reference", preset=ACP)
    params = result[0].metadata["generation"]["params"]
    assert list(params["dropped"]) == ["alfworld", "blocksworld", "depot"]
    assert [len(dropmin(real_acp, n, mode="reference", preset=ACP)) for n in range(4)] == [260, 254, 250, 244]
    assert [len(dropmin(real_acp, n, preset=ACP)) for n in range(4)] == [260, 254, 248, 242]


@pytest.mark.data
def test_t1_type_keeps_ids(real_t1_turns):
    result = dropmin(real_t1_turns, 2, mode="reference", preset=T1)
    _check(result, real_t1_turns, "type", "t1", 2, 0.3, True)
    assert all(t.id == t.metadata["generation"]["source_id"] for t in result)
    sizes = [len(dropmin(real_t1_turns, n, mode="reference", preset=T1)) for n in range(4)]
    assert sizes == [225, 220, 216, 211]
    assert [len(dropmin(real_t1_turns, n, preset=T1)) for n in range(4)] == [225, 220, 214, 208]


def test_deterministic_and_seed(acp):
    a = dropmin(acp, 3, seed=5, preset=ACP)
    assert a.fingerprint() == dropmin(acp, 3, seed=5, preset=ACP).fingerprint()
    assert a.fingerprint() != dropmin(acp, 3, seed=6, preset=ACP).fingerprint()


@pytest.mark.data
def test_half_and_frac(real_acp):
    result = dropmin(real_acp, "half", frac=0.9, preset=ACP)
    assert len(result) == 260 - 6 * 18  # 13 domains → 6 thinned, 18 of 20 each


GENERIC = get_preset("generic")


def test_generic_minority_of_any_attribute(chat):
    result = dropmin(chat, 1, preset=GENERIC)  # default: the first categorical attribute, topic
    assert result.name == "dropmin_1topic_frac0_3" and len(result) == 27  # int(10 · 0.3) calendar rows
    assert [t.id for t in result][:2] == ["dropmin_1topic_frac0_3_0", "dropmin_1topic_frac0_3_1"]
    assert Counter(t.attributes["topic"] for t in result) == {"weather": 20, "calendar": 7}
    drawn = np.random.default_rng(123).choice(np.arange(20, 30), size=3, replace=False).tolist()
    kept = {t.metadata["generation"]["source_position"] for t in result}
    assert sorted(set(range(30)) - kept) == sorted(drawn)
    by_city = dropmin(chat, 2, preset=GENERIC, attribute="city", frac=0.5)
    assert len(by_city) == 30 - 2 * 2  # two cities of 4 rows each lose 2; null cities are never dropped
    with pytest.raises(ConfigError, match="--attribute"):
        dropmin(Dataset([Trajectory(id="a", messages=[])]), 1, preset=GENERIC)
