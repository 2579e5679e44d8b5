"""Vendi fast forms against the n × n definition, the Levenshtein kernel against a hand-written DP."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synae.metrics.diversity import (
    attribute_diversity,
    levenshtein_similarity,
    tool_vendi,
    vendi_cosine,
    vendi_from_eigenvalues,
    vendi_kernel,
)


def naive_vendi(k, q=1.0, renormalise=False):
    lam = np.linalg.eigvalsh(k / k.shape[0])
    pos = lam[lam > (1e-12 if q < 1 else 0)]  # for q < 1, rounding noise of null eigenvalues would count
    if renormalise:
        pos = pos / pos.sum()
    if q == 1:
        return math.exp(-np.sum(pos * np.log(pos)))
    return np.sum(pos**q) ** (1 / (1 - q))


def lev(a, b):
    """Unit-cost edit distance between two lists (textbook DP)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return d[-1][-1]


def naive_tool_kernel(seqs):
    n = len(seqs)
    k = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            k[i, j] = 1 - lev(seqs[i], seqs[j]) / max(len(seqs[i]), len(seqs[j]), 1)
    return k


@pytest.mark.parametrize("q", [1.0, 2.0, 0.5])
def test_vendi_cosine_dual_equals_n_by_n(q):
    rng = np.random.default_rng(7)
    e = rng.normal(size=(60, 12))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    expected = naive_vendi(e @ e.T, q)
    assert vendi_cosine(e, q=q).value == pytest.approx(expected, rel=1e-10)


def test_vendi_cosine_dedup_weights_equal_expanded():
    rng = np.random.default_rng(3)
    distinct = rng.normal(size=(5, 4))
    counts = np.array([1, 4, 2, 7, 3])
    expanded = np.repeat(distinct, counts, axis=0)
    full = vendi_cosine(expanded).value
    assert vendi_cosine(distinct, counts / counts.sum()).value == pytest.approx(full, rel=1e-10)


def test_vendi_identical_and_orthogonal():
    e = np.tile([[0.6, 0.8, 0.0]], (9, 1))
    assert vendi_cosine(e).value == pytest.approx(1.0, abs=1e-12)
    assert vendi_cosine(np.eye(5)).value == pytest.approx(5.0, rel=1e-12)
    assert vendi_cosine(np.ones((1, 3))).value == 1.0
    assert vendi_cosine(np.zeros((0, 3))).value is None


def test_levenshtein_kernel_matches_dp():
    rng = np.random.default_rng(5)
    names = ["search", "filter", "sort", "cache", "print"]
    seqs = [list(rng.choice(names, size=rng.integers(0, 7))) for _ in range(25)] + [[], []]
    assert np.allclose(levenshtein_similarity(seqs), naive_tool_kernel(seqs), atol=0, rtol=0)
    assert levenshtein_similarity([[], []])[0, 1] == 1.0


def test_dedup_weighted_kernel_equals_expanded_matrix_even_if_not_psd():
    seqs = [["a", "b"], ["b", "a"], ["a"], ["a", "b", "c", "a"], ["c"], []]
    counts = np.array([3, 1, 2, 5, 1, 2])
    k_u = naive_tool_kernel(seqs)
    expanded_seqs = [s for s, c in zip(seqs, counts, strict=True) for _ in range(c)]
    k_full = naive_tool_kernel(expanded_seqs)
    lam_full = np.linalg.eigvalsh(k_full / k_full.shape[0])
    score, info = vendi_kernel(k_u, counts)
    assert score == pytest.approx(naive_vendi(k_full), rel=1e-10)
    assert info["neg_eig_mass"] == pytest.approx(-lam_full[lam_full < 0].sum(), abs=1e-12)
    result = tool_vendi(expanded_seqs)
    assert result.value == pytest.approx(naive_vendi(k_full), rel=1e-10)
    assert result.details["n_distinct"] == len(seqs)
    for key in ("neg_eig_mass", "pos_eig_mass", "min_eig"):
        assert key in result.details


def test_tool_vendi_negative_eigenvalue_options_and_warning():
    rng = np.random.default_rng(11)
    names = list("abcdefgh")
    seqs = [list(rng.choice(names, size=rng.integers(1, 9))) for _ in range(120)]
    k = naive_tool_kernel(seqs)
    dropped = tool_vendi(seqs)
    renorm = tool_vendi(seqs, negative="clip_renormalize")
    assert dropped.value == pytest.approx(naive_vendi(k), rel=1e-9)
    assert renorm.value == pytest.approx(naive_vendi(k, renormalise=True), rel=1e-9)
    assert dropped.details["neg_eig_mass"] > 0.01
    assert any(w.startswith("non_psd_kernel") for w in dropped.warnings)


def test_tool_vendi_identical_sequences_is_one_and_ngram_kernel():
    seqs = [["a", "b", "c"]] * 10
    assert tool_vendi(seqs).value == pytest.approx(1.0, abs=1e-12)
    assert tool_vendi(seqs, kernel="ngram_cosine").value == pytest.approx(1.0, abs=1e-12)
    # ngram_cosine: disjoint unigram/bigram sets are orthogonal → VS = number of groups
    assert tool_vendi([["a"], ["b"], ["c"], []], kernel="ngram_cosine").value == pytest.approx(4.0)
    assert tool_vendi([]).value is None


def test_vendi_from_eigenvalues_masses():
    score, info = vendi_from_eigenvalues(np.array([0.5, 0.5, -0.1]))
    assert score == pytest.approx(2.0)
    assert info == {"neg_eig_mass": pytest.approx(0.1), "pos_eig_mass": pytest.approx(1.0), "min_eig": -0.1}


def test_attribute_diversity():
    assert attribute_diversity([("a", "x")] * 6).value == 0.0
    result = attribute_diversity([("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")], n_possible=4)
    assert result.value == pytest.approx(math.log(4))
    assert result.details["ln_K"] == pytest.approx(math.log(4))
    assert attribute_diversity([]).value is None
