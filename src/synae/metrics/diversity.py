"""Diversity: the Vendi score and attribute entropy (``docs/method.md`` §2.8, §2.9, §3.8).

Every Vendi computation goes through the eigenvalues of a small matrix, never an n × n kernel
when an exact smaller form exists:

- cosine kernel K = ÊÊᵀ (rows L2-normalised): the nonzero eigenvalues of K/n are those of the
  d × d matrix Êᵀ diag(w) Ê with w_i = 1/n (or the dedup weights p_j = c_j/n) — O(n·d²) time,
  O(n·d) memory;
- any symmetric kernel with repeated items: collapse the n items into u distinct ones with weights
  p_j = c_j / n; the nonzero eigenvalues of K/n are those of diag(√p) K_u diag(√p) (u × u).

VS = exp(−Σ_{λ>0} λ ln λ) (order q = 1) or (Σ_{λ>0} λ^q)^{1/(1−q)} for q ≠ 1.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np

from synae.metrics.base import MetricValue, small_blas
from synae.metrics.distances import entropy

NegativeEigenvalues = Literal["drop", "clip_renormalize"]
NEG_MASS_WARNING = 0.01
MAX_DISTINCT_WARNING = 5000
SMALL_EIGEN = 1000  # eigenproblems up to this size run single-threaded (see metrics.base.small_blas)


def vendi_from_eigenvalues(eigenvalues: np.ndarray, *, q: float = 1.0,
                           negative: NegativeEigenvalues = "drop") -> tuple[float, dict[str, float]]:
    """Vendi score from the eigenvalues of K/n, plus the eigenvalue masses.

    Eigenvalues ≤ 0 are dropped. With ``negative="drop"`` the positive ones are used as they are
    (Σλ may then differ from 1: reference behaviour); ``"clip_renormalize"`` rescales them to sum 1.
    Returns ``(score, {"neg_eig_mass", "pos_eig_mass", "min_eig"})``.
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    pos = lam[lam > 0]
    info = {"neg_eig_mass": float(-lam[lam < 0].sum()), "pos_eig_mass": float(pos.sum()),
            "min_eig": float(lam.min()) if lam.size else 0.0}
    if pos.size == 0:
        return 1.0, info
    if negative == "clip_renormalize":
        pos = pos / pos.sum()
    if q == 1:
        return float(math.exp(-np.sum(pos * np.log(pos)))), info
    return float(np.sum(pos**q) ** (1.0 / (1.0 - q))), info


def vendi_cosine(embeddings: np.ndarray, weights: np.ndarray | None = None, *, q: float = 1.0) -> MetricValue:
    """Vendi score with the cosine kernel via the d × d feature covariance (exact).

    ``embeddings`` (n × d) are L2-normalised here (a zero row stays zero); ``weights`` (optional,
    summing to 1) are dedup weights of distinct rows. n = 0 → ``None`` (``empty_set``); n = 1 or
    identical rows → exactly 1 (the eigenvalues would give 1 up to rounding).
    """
    e = np.asarray(embeddings, dtype=np.float64)
    n = e.shape[0]
    if n == 0:
        return MetricValue.null("empty_set: no items", n_synthetic=0)
    norms = np.linalg.norm(e, axis=1, keepdims=True)
    e = np.divide(e, norms, out=np.zeros_like(e), where=norms > 0)
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    with small_blas():
        cov = (e * w[:, None]).T @ e
        lam = np.linalg.eigvalsh(cov)
    score, info = vendi_from_eigenvalues(lam, q=q)
    identical = n == 1 or not np.ptp(e, axis=0).any()
    return MetricValue(value=1.0 if identical else score, n_synthetic=n,
                       details={"kernel": "cosine", "q": q, "dim": int(e.shape[1]), **info})


def vendi_kernel(kernel: np.ndarray, counts: np.ndarray | None = None, *, q: float = 1.0,
                 negative: NegativeEigenvalues = "drop") -> tuple[float, dict[str, float]]:
    """Vendi score of a symmetric kernel among u distinct items with multiplicities ``counts``.

    Uses diag(√p) K_u diag(√p) with p = counts / Σcounts (equal to K/n of the expanded matrix in
    its nonzero eigenvalues, for any symmetric K).
    """
    k = np.asarray(kernel, dtype=np.float64)
    c = np.ones(k.shape[0]) if counts is None else np.asarray(counts, dtype=np.float64)
    s = np.sqrt(c / c.sum())
    weighted = s[:, None] * k * s[None, :]
    if weighted.shape[0] <= SMALL_EIGEN:
        with small_blas():
            lam = np.linalg.eigvalsh(weighted)
    else:
        lam = np.linalg.eigvalsh(weighted)
    return vendi_from_eigenvalues(lam, q=q, negative=negative)


def _as_strings(sequences: Sequence[tuple[str, ...]]) -> list[str]:
    """Map each distinct name to one private-use character, so that sequences become strings."""
    alphabet: dict[str, str] = {}
    out = []
    for seq in sequences:
        chars = []
        for name in seq:
            if name not in alphabet:
                alphabet[name] = chr(0xF0000 + len(alphabet))  # supplementary private use area
            chars.append(alphabet[name])
        out.append("".join(chars))
    return out


def levenshtein_similarity(sequences: Sequence[Sequence[str]]) -> np.ndarray:
    """K_ij = 1 − Lev(F_i, F_j) / max(|F_i|, |F_j|, 1) over lists of names (unit costs).

    Each name becomes one character and rapidfuzz computes the edit distances in C. Two empty
    sequences have similarity 1. Pass *distinct* sequences: the matrix is u × u.
    """
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    strings = _as_strings([tuple(s) for s in sequences])
    dist = cdist(strings, strings, scorer=Levenshtein.distance, dtype=np.int32, workers=1)
    lengths = np.array([len(s) for s in strings], dtype=np.float64)
    denom = np.maximum(np.maximum(lengths[:, None], lengths[None, :]), 1.0)
    return 1.0 - dist / denom


def ngram_count_vectors(sequences: Sequence[Sequence[str]]) -> np.ndarray:
    """Per sequence, the count vector of its tool-name unigrams and bigrams (columns sorted)."""
    counters = []
    for seq in sequences:
        grams: Counter[tuple[str, ...]] = Counter((name,) for name in seq)
        grams.update(itertools.pairwise(seq))
        counters.append(grams)
    vocab = {g: i for i, g in enumerate(sorted({g for c in counters for g in c}))}
    out = np.zeros((len(sequences), max(len(vocab), 1)))
    for row, grams in enumerate(counters):
        for gram, count in grams.items():
            out[row, vocab[gram]] = count
    empty = out.sum(axis=1) == 0
    if empty.any():  # empty sequences are identical to each other and orthogonal to the rest
        out = np.hstack([out, empty[:, None].astype(np.float64)])
    return out


def tool_vendi(sequences: Sequence[Sequence[str]], *,
               kernel: Literal["levenshtein", "ngram_cosine"] = "levenshtein",
               negative: NegativeEigenvalues = "drop", q: float = 1.0) -> MetricValue:
    """Vendi score of tool-call name sequences (``docs/method.md`` §2.8, tool-call kernel).

    Duplicated sequences are collapsed first (dedup weights, exact). The Levenshtein kernel is not
    PSD: ``details`` always carries ``neg_eig_mass``, ``pos_eig_mass`` and ``min_eig``; a warning is
    added when ``neg_eig_mass`` > 0.01 or when there are more than 5 000 distinct sequences.
    """
    n = len(sequences)
    if n == 0:
        return MetricValue.null("empty_set: no trajectories", n_synthetic=0)
    counts = Counter(tuple(s) for s in sequences)
    distinct = list(counts)
    c = np.array([counts[s] for s in distinct], dtype=np.float64)
    warnings = []
    if len(distinct) > MAX_DISTINCT_WARNING:
        warnings.append(f"many_distinct_sequences: {len(distinct)} distinct sequences (O(u^3) eigensolver)")
    if kernel == "ngram_cosine":
        vectors = ngram_count_vectors(distinct)
        result = vendi_cosine(vectors, c / c.sum(), q=q)
        result.n_synthetic = n
        result.details.update(kernel="ngram_cosine", n_distinct=len(distinct))
        return result
    score, info = vendi_kernel(levenshtein_similarity(distinct), c, q=q, negative=negative)
    if info["neg_eig_mass"] > NEG_MASS_WARNING:
        warnings.append(f"non_psd_kernel: negative eigenvalue mass {info['neg_eig_mass']:.4g}")
    return MetricValue(value=score if n > 1 else 1.0, n_synthetic=n, warnings=warnings,
                       details={"kernel": "levenshtein", "negative_eigenvalues": negative, "q": q,
                                "n_distinct": len(distinct), **info})


def attribute_diversity(combinations: Sequence[Hashable], n_possible: int | None = None) -> MetricValue:
    """AD = H(distribution of per-trajectory label combinations) in nats (§3.8).

    ``n_possible`` = K, the number of possible combinations (reported with ln K). Empty → ``None``.
    """
    counts = Counter(combinations)
    value = entropy(counts)
    details: dict[str, object] = {"n_combinations_observed": len(counts)}
    if n_possible:
        details.update(K=n_possible, ln_K=math.log(n_possible))
    if value is None:
        return MetricValue.null("empty_set: no trajectories", n_synthetic=0, details=details)
    return MetricValue(value=value, n_synthetic=len(combinations), details=details)
