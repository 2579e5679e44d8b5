"""oversample (docs/method.md §8.2): positions, sizes, duplicate counts, ids, provenance, determinism."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from synae.errors import ConfigError
from synae.generate import oversample
from synae.generate.oversample import oversample_plan


@pytest.mark.parametrize(("n", "r", "n_dup", "head", "replace_effective"), [
    (225, 0.1, 23, [222, 185, 108, 133], False),
    (200, 0.5, 100, [12, 91, 96, 157], False),
    (260, 0, 0, [4, 177, 154, 14], True),
])
def test_spec_sanity_positions(n, r, n_dup, head, replace_effective):
    plan = oversample_plan(n, r, seed=123)
    assert plan.duplicates == [0] * n_dup
    assert plan.drawn[:4] == head
    assert plan.replace_effective is replace_effective
    assert len(plan.positions) == n


def test_plan_matches_numpy_call_on_the_position_list():
    """The draw is ``rng.choice(others, size=n_other, replace=False)`` on the list of positions."""
    others = list(range(1, 225))
    expected = np.random.default_rng(7).choice(others, size=225 - 68, replace=False).tolist()
    assert oversample_plan(225, 0.3, seed=7).drawn == expected


def test_cyclic_duplicate_block_and_excluded_indices():
    plan = oversample_plan(10, 0.5, dup_indices=[2, 5], seed=1)
    assert plan.duplicates == [2, 5, 2, 5, 2]
    assert not set(plan.drawn) & {2, 5}
    assert len(set(plan.drawn)) == 5  # without replacement


@pytest.mark.parametrize("r", [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1])
def test_t1_sweep_invariants(t1_turns, r):
    result = oversample(t1_turns, r)
    n = len(t1_turns)
    n_dup = math.ceil(r * n)
    assert len(result) == n
    assert result.name == f"oversample_frac{'0' if r == 0 else '1' if r == 1 else str(r).replace('.', '_')}"
    assert [t.id for t in result] == [f"{result.name}_{i}" for i in range(n)]
    gens = [t.metadata["generation"] for t in result]
    sources = Counter(g["source_id"] for g in gens)
    if r == 0:
        assert sources["0"] == 0 and max(sources.values()) >= 2  # bootstrap of n from n - 1
    else:
        # trajectory 0 appears exactly n_dup times; every other source at most once
        assert sources["0"] == n_dup
        assert all(c == 1 for sid, c in sources.items() if sid != "0")
        assert len(sources) == n - n_dup + 1
    assert not any(g["modified"] for g in gens)
    assert [g["duplicate_block"] for g in gens] == [True] * n_dup + [False] * (n - n_dup)
    # content is copied verbatim (messages, output, environment)
    for traj, g in zip(result, gens, strict=True):
        src = t1_turns[g["source_position"]]
        assert src.id == g["source_id"]
        assert traj.messages == src.messages and traj.output == src.output
        assert traj.environment == src.environment


def test_source_dataset_is_not_mutated(t1_turns):
    before = t1_turns.fingerprint()
    oversample(t1_turns, 0.5)
    assert t1_turns.fingerprint() == before
    assert "generation" not in t1_turns[0].metadata


@pytest.mark.data
def test_deterministic_and_seed_sensitive(real_acp):
    a = oversample(real_acp, 0.3, seed=123)
    b = oversample(real_acp, 0.3, seed=123)
    c = oversample(real_acp, 0.3, seed=124)
    assert a.fingerprint() == b.fingerprint()
    pos = [t.metadata["generation"]["source_position"] for t in a]
    assert pos != [t.metadata["generation"]["source_position"] for t in c]
    assert pos[:78] == [0] * 78  # the duplicate block (ceil(0.3 · 260)) comes first


def test_bfcl_reference_positions(bfcl_older):
    """n = 200, r = 0.5 → 100 duplicates of entry 0, then 12, 91, 96, 157 …"""
    result = oversample(bfcl_older, 0.5)
    pos = [t.metadata["generation"]["source_position"] for t in result]
    assert pos[:100] == [0] * 100
    assert pos[100:104] == [12, 91, 96, 157]
    assert result[100].metadata["generation"]["source_id"] == "multi_turn_base_12"


@pytest.mark.data
def test_acp_r0_is_a_bootstrap(real_acp):
    result = oversample(real_acp, 0)
    pos = [t.metadata["generation"]["source_position"] for t in result]
    assert pos[:4] == [4, 177, 154, 14]
    assert 0 not in pos
    assert result[0].metadata["generation"]["params"]["replace_effective"] is True


def test_replace_true_allows_repeats():
    plan = oversample_plan(50, 0.1, replace=True, seed=3)
    assert plan.replace_effective
    assert len(plan.drawn) == 45


def test_errors():
    with pytest.raises(ConfigError, match="dup_frac"):
        oversample_plan(10, 1.5)
    with pytest.raises(ConfigError, match="out of range"):
        oversample_plan(10, 0.5, dup_indices=[10])


def test_generic_chat_data(chat):
    result = oversample(chat, 0.3, seed=5)
    assert len(result) == 30
    assert [t.id for t in result][:2] == ["oversample_frac0_3_0", "oversample_frac0_3_1"]
    sources = [t.metadata["generation"]["source_id"] for t in result]
    assert sources[:9] == ["chat0"] * 9 and len(set(sources[9:])) == 21  # without replacement
    assert result[0].tools == chat[0].tools and result[0].messages == chat[0].messages
