"""Fidelity metrics: D′ against D (``docs/method.md`` §2.7, §3.2–3.6). Pure functions.

Embedding-based ones take float arrays (one row per item); tool-call ones take name sequences
(calls(τ) per trajectory); attribute ones take pooled values or label lists.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, Literal

import numpy as np

from synae.metrics.base import MetricValue, small_blas
from synae.metrics.distances import total_variation, wasserstein, wasserstein_sorted

PlanningWeighting = Literal["pooled", "real"]


# ----------------------------------------------------------------------------------------------
# Fréchet distance


def _root_factor(c: np.ndarray) -> np.ndarray:
    """A matrix L with L Lᵀ = c: Cholesky when c is positive definite, else the symmetric square root
    U diag(√max(s, 0)) Uᵀ (e.g. ε = 0 with a rank-deficient covariance)."""
    try:
        factor: np.ndarray = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        s, u = np.linalg.eigh(c)
        factor = (u * np.sqrt(np.maximum(s, 0.0))) @ u.T
    return factor


def _frechet(x: np.ndarray, y: np.ndarray, eps: float) -> float:
    with small_blas():
        return _frechet_unlimited(x, y, eps)


def _frechet_unlimited(x: np.ndarray, y: np.ndarray, eps: float) -> float:
    mu = x.mean(axis=0) - y.mean(axis=0)
    d = x.shape[1]
    cx = np.cov(x, rowvar=False).reshape(d, d) + eps * np.eye(d)
    cy = np.cov(y, rowvar=False).reshape(d, d) + eps * np.eye(d)
    # With Lx Lxᵀ = Σ′_X and Ly Lyᵀ = Σ′_Y, (Lxᵀ Ly)(Lxᵀ Ly)ᵀ = Lxᵀ Σ′_Y Lx is similar to Σ′_X Σ′_Y, so
    # tr((Σ′_X^{1/2} Σ′_Y Σ′_X^{1/2})^{1/2}) = Σ singular values of Lxᵀ Ly. Singular values avoid
    # squaring small eigenvalues, which keeps FD(X, X) at ~1e-12 even for rank-deficient covariances.
    trace_sqrt = np.linalg.svd(_root_factor(cx).T @ _root_factor(cy), compute_uv=False).sum()
    value = float(mu @ mu + np.trace(cx) + np.trace(cy) - 2.0 * trace_sqrt)
    return max(value, 0.0)


@dataclass(frozen=True)
class RealMoments:
    """What the Fréchet distance to one point needs of the real set: μ_X, tr Σ′_X and
    Σ √λ(Σ′_X) (the singular values of Σ′_X's root factor), with Σ′_X = Σ_X + εI; m and d."""

    mean: np.ndarray
    trace: float
    root_trace: float
    m: int
    dim: int

    @classmethod
    def of(cls, real: np.ndarray, eps: float) -> RealMoments:
        x = np.asarray(real, dtype=np.float64)
        d = x.shape[1]
        with small_blas():
            cx = np.cov(x, rowvar=False).reshape(d, d) + eps * np.eye(d)
            root = float(np.linalg.svd(_root_factor(cx), compute_uv=False).sum())
        return cls(x.mean(axis=0), float(np.trace(cx)), root, int(x.shape[0]), d)


def frechet_to_point(real: RealMoments, point: np.ndarray, n: int, eps: float) -> MetricValue:
    """The Fréchet distance of :func:`frechet_distance` for a synthetic set of n ≥ 2 copies of one
    ``point`` (Σ_Y = 0, so Σ′_Y = εI and the trace term is √ε · Σ √λ(Σ′_X)):
    FD = ‖μ_X − y‖² + tr Σ′_X + dε − 2√ε · Σ √λ(Σ′_X), clipped at 0 — O(d) per point once
    ``real`` is known. Same details and warnings as :func:`frechet_distance` without ``equal_n``;
    m < 2 is ``None`` as there."""
    m, d = real.m, real.dim
    details: dict[str, object] = {"n_real": m, "n_syn": n, "dim": d, "eps": eps}
    if m < 2:
        return MetricValue.null(f"n_lt_2: need at least 2 points per side (got {m} real, {n} synthetic)",
                                n_real=m, n_synthetic=n, details=details)
    mu = real.mean - np.asarray(point, dtype=np.float64)
    value = float(mu @ mu + real.trace + d * eps - 2.0 * np.sqrt(eps) * real.root_trace)
    warnings = ([f"rank_deficient: min(m, m') = {min(m, n)} <= dim {d}; FD is biased upward"]
                if min(m, n) <= d else [])
    return MetricValue(max(value, 0.0), n_real=m, n_synthetic=n, details=details, warnings=warnings)


def frechet_distance(real: np.ndarray, synthetic: np.ndarray, *, eps: float = 1e-6,
                     equal_n: bool = False, seed: int = 123) -> MetricValue:
    """FD = ‖μ_X − μ_Y‖² + tr Σ′_X + tr Σ′_Y − 2 tr((Σ′_X^{1/2} Σ′_Y Σ′_X^{1/2})^{1/2}), Σ′ = Σ + εI.

    Computed in real arithmetic: with Cholesky factors Lx, Ly of Σ′_X, Σ′_Y (symmetric square roots
    when not positive definite), the trace term is the sum of the singular values of Lxᵀ Ly — the
    same number as Σ√max(λ(A Σ′_Y A), 0) with A = Σ′_X^{1/2}, without squaring small eigenvalues
    and ~5× faster than two eigendecompositions. Clipped at 0.
    m < 2 or m′ < 2 → ``None`` (``n_lt_2``). Warning ``rank_deficient`` when min(m, m′) ≤ d.
    ``equal_n`` also reports the FD after subsampling the
    larger set to the smaller size without replacement (``details.fd_equal_n``).
    """
    x = np.asarray(real, dtype=np.float64)
    y = np.asarray(synthetic, dtype=np.float64)
    m, n = x.shape[0], y.shape[0]
    d = x.shape[1] if x.ndim == 2 else 0
    details: dict[str, object] = {"n_real": m, "n_syn": n, "dim": d, "eps": eps}
    if m < 2 or n < 2:
        return MetricValue.null(f"n_lt_2: need at least 2 points per side (got {m} real, {n} synthetic)",
                                n_real=m, n_synthetic=n, details=details)
    warnings = []
    if min(m, n) <= d:
        warnings.append(f"rank_deficient: min(m, m') = {min(m, n)} <= dim {d}; FD is biased upward")
    if equal_n and m != n:
        rng = np.random.default_rng(seed)
        if m > n:
            details["fd_equal_n"] = _frechet(x[rng.choice(m, n, replace=False)], y, eps)
        else:
            details["fd_equal_n"] = _frechet(x, y[rng.choice(n, m, replace=False)], eps)
    return MetricValue(_frechet(x, y, eps), n_real=m, n_synthetic=n, details=details, warnings=warnings)


# ----------------------------------------------------------------------------------------------
# Attribute match and KND


@dataclass(frozen=True)
class PooledValues:
    """One side's pooled numeric values as W_p and the AM details read them: ascending, with their
    mean (taken in the given order, as :func:`numeric_match` takes it). Built once for a side that
    is compared many times (the real side, memoised per real feature set)."""

    ascending: np.ndarray
    mean: float | None  # None for no values

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> PooledValues:
        a = np.asarray(values, dtype=np.float64).ravel()
        return cls(np.sort(a), float(a.mean()) if a.size else None)


def numeric_match(real: Sequence[float] | np.ndarray | PooledValues, synthetic: Sequence[float] | np.ndarray,
                  *, order: int = 1, unit: str = "items") -> MetricValue:
    """W_p between pooled numeric values (used by ``am.<numeric>``, ``output.am.token_length``, TCNM);
    ``real`` may be given as its :class:`PooledValues`."""
    a = real if isinstance(real, PooledValues) else PooledValues.of(real)
    b = PooledValues.of(synthetic)
    details = {"order": order, "unit": unit}
    kw: dict[str, Any] = {"n_real": int(a.ascending.size), "n_synthetic": int(b.ascending.size),
                          "details": details}
    if a.mean is None:
        return MetricValue.null("empty_real_set: no real values", **kw)
    if b.mean is None:
        return MetricValue.null("empty_syn_set: no synthetic values", **kw)
    details.update(mean_real=a.mean, mean_syn=b.mean)
    return MetricValue(wasserstein_sorted(a.ascending, b.ascending, order), **kw)


def label_counts(items: Sequence[Sequence[str]]) -> Counter[str]:
    """How often each label occurs over the items (every label of a multi-label item counts), in
    first-seen order."""
    return Counter(label for labels in items for label in labels)


def categorical_match(real: Sequence[Sequence[str]] | Counter[str], synthetic: Sequence[Sequence[str]], *,
                      unit: str = "labels") -> MetricValue:
    """TV between label distributions; each item carries a list of labels (multi-label: every label
    counts, the denominator is the total number of labels on that side). ``real`` may be given as
    its :func:`label_counts`."""
    p = real if isinstance(real, Counter) else label_counts(real)
    q = label_counts(synthetic)
    kw: dict[str, Any] = {"n_real": sum(p.values()), "n_synthetic": sum(q.values()),
          "details": {"unit": unit, "n_labels_real": len(p), "n_labels_syn": len(q)}}
    if not p:
        return MetricValue.null("empty_real_set: no real labels", **kw)
    if not q:
        return MetricValue.null("empty_syn_set: no synthetic labels", **kw)
    return MetricValue(total_variation(p, q), **kw)


def knd(real_similarities: np.ndarray, synthetic_similarities: np.ndarray, *, order: int = 1) -> MetricValue:
    """KND = W_p between the turn-pair cosine similarity samples of D and D′ (§3.2)."""
    a = np.asarray(real_similarities, dtype=np.float64)
    b = np.asarray(synthetic_similarities, dtype=np.float64)
    kw: dict[str, Any] = {"n_real": int(a.size), "n_synthetic": int(b.size)}
    details: dict[str, object] = {"order": order, "unit": "pairs", "pairs_real": a.size, "pairs_syn": b.size}
    for name, s in (("real", a), ("syn", b)):
        if s.size:
            details[f"mean_{name}"] = float(s.mean())
            details[f"std_{name}"] = float(s.std())
    if a.size == 0 or b.size == 0:
        side = "real" if a.size == 0 else "syn"
        return MetricValue.null(f"no_pairs: no turn pairs in the {side} set", details=details, **kw)
    return MetricValue(wasserstein(a, b, order), details=details, **kw)


# ----------------------------------------------------------------------------------------------
# Tool calls


def filter_vocabulary(sequences: Sequence[Sequence[str]],
                      vocabulary: Collection[str] | None) -> list[list[str]]:
    """Keep only names in ``vocabulary`` (order kept); ``None`` = no filtering (union vocabulary)."""
    if vocabulary is None:
        return [list(s) for s in sequences]
    vocab = set(vocabulary)
    return [[name for name in s if name in vocab] for s in sequences]


@dataclass(frozen=True)
class ToolUsage:
    """One side's pooled tool-name counts after vocabulary filtering (first-seen order) and the share
    of its calls outside the vocabulary (``None`` without a vocabulary): what TUM reads of a side."""

    counts: Counter[str]
    unknown_share: float | None

    @classmethod
    def of(cls, sequences: Sequence[Sequence[str]], vocabulary: Collection[str] | None) -> ToolUsage:
        names = chain.from_iterable(sequences)
        if vocabulary is None:
            return cls(Counter(names), None)
        vocab = set(vocabulary)
        counts = Counter(name for name in names if name in vocab)
        total = sum(len(s) for s in sequences)
        return cls(counts, (total - sum(counts.values())) / total if total else 0.0)


def tool_usage_match(real: Sequence[Sequence[str]] | ToolUsage, synthetic: Sequence[Sequence[str]],
                     vocabulary: Collection[str] | None = None) -> MetricValue:
    """TUM = TV between the pooled tool-name frequencies of D and D′ after vocabulary filtering
    (``real`` may be given as its :class:`ToolUsage` for ``vocabulary``).

    Both sides without calls → ``None``; one side without calls → 1.0 (``details.one_side_empty``).
    """
    mine = real if isinstance(real, ToolUsage) else ToolUsage.of(real, vocabulary)
    theirs = ToolUsage.of(synthetic, vocabulary)
    p, q = mine.counts, theirs.counts
    details: dict[str, object] = {"unit": "calls", "n_tools_real": len(p), "n_tools_syn": len(q),
                                  "unknown_tool_calls_real": mine.unknown_share,
                                  "unknown_tool_calls_syn": theirs.unknown_share}
    kw: dict[str, Any] = {"n_real": sum(p.values()), "n_synthetic": sum(q.values()), "details": details}
    if not p and not q:
        return MetricValue.null("no_calls: neither set has tool calls", **kw)
    if not p or not q:
        details["one_side_empty"] = True
        return MetricValue(1.0, **kw)
    return MetricValue(total_variation(p, q), **kw)


def tool_call_number_match(real: Sequence[Sequence[str]] | PooledValues,
                           synthetic: Sequence[Sequence[str]], *, order: int = 1) -> MetricValue:
    """TCNM = W_p of the per-trajectory call counts |calls(τ)| (unfiltered); ``real`` may be given
    as the :class:`PooledValues` of its counts (:func:`call_counts`)."""
    pooled = real if isinstance(real, PooledValues) else PooledValues.of(call_counts(real))
    return numeric_match(pooled, call_counts(synthetic), order=order, unit="trajectories")


def call_counts(sequences: Sequence[Sequence[str]]) -> list[int]:
    """The number of calls of each sequence."""
    return [len(s) for s in sequences]


History = tuple[str, ...]


@dataclass(frozen=True)
class Windows:
    """History counts c(h) and next-tool counts c(h, t) over all length-k windows of one side's
    vocabulary-filtered sequences: what the planning distance reads of a side."""

    history: Counter[History]
    next: dict[History, Counter[str]]

    @classmethod
    def of(cls, sequences: Sequence[Sequence[str]], k: int, vocabulary: Collection[str] | None) -> Windows:
        hist: Counter[History] = Counter()
        nxt: dict[History, Counter[str]] = defaultdict(Counter)
        for seq in filter_vocabulary(sequences, vocabulary):
            for i in range(len(seq) - k + 1):
                h = tuple(seq[i:i + k - 1])
                hist[h] += 1
                nxt[h][seq[i + k - 1]] += 1
        return cls(hist, dict(nxt))


def _tv_given_history(a: Counter[str], ca: int, b: Counter[str], cb: int) -> float:
    """½ Σ_t |P(t|h) − P′(t|h)|, a side with no windows being the zero vector."""
    keys = set(a) | set(b)
    return 0.5 * sum(abs((a[t] / ca if ca else 0.0) - (b[t] / cb if cb else 0.0)) for t in keys)


def planning_distance(real: Sequence[Sequence[str]] | Windows, synthetic: Sequence[Sequence[str]], k: int, *,
                      vocabulary: Collection[str] | None = None,
                      weighting: PlanningWeighting = "pooled", synthetic_weight: float = 1.0) -> MetricValue:
    """k-step tool planning distance (§3.5) on vocabulary-filtered sequences.

    pooled: Σ_{h∈H∪H′} (c(h) + c′(h))/(N + N′) · TV_h (a one-sided history has TV ½);
    real:   Σ_{h∈H} c(h)/N · TV_h with TV_h = 1 for histories absent from D′.

    ``synthetic_weight`` w counts every synthetic sequence w times (c′ and N′ scaled by w: the value
    of w copies of each sequence; TV_h does not change, so only the pooled weights do). ``details``
    keep the unweighted window counts. ``real`` may be given as its :class:`Windows` for ``k`` and
    ``vocabulary``.
    """
    if k < 2:
        raise ValueError("planning k must be >= 2")
    mine = real if isinstance(real, Windows) else Windows.of(real, k, vocabulary)
    theirs = Windows.of(synthetic, k, vocabulary)
    hr, nr, hs, ns = mine.history, mine.next, theirs.history, theirs.next
    big_n, big_n_syn = sum(hr.values()), sum(hs.values())
    details = {"k": k, "weighting": weighting, "unit": "windows", "N": big_n, "N_syn": big_n_syn,
               "histories_real": len(hr), "histories_syn": len(hs),
               "one_sided_histories": len(set(hr) ^ set(hs))}
    kw: dict[str, Any] = {"n_real": big_n, "n_synthetic": big_n_syn, "details": details}
    if weighting == "pooled":
        total = big_n + synthetic_weight * big_n_syn
        if total == 0:
            return MetricValue.null(f"no_windows: no sequence has {k} calls", **kw)
        value = sum((hr[h] + synthetic_weight * hs[h]) / total
                    * _tv_given_history(nr.get(h, Counter()), hr[h], ns.get(h, Counter()), hs[h])
                    for h in set(hr) | set(hs))
        return MetricValue(float(value), **kw)
    if big_n == 0:
        return MetricValue.null(f"no_windows: no real sequence has {k} calls", **kw)
    value = sum(hr[h] / big_n * (_tv_given_history(nr[h], hr[h], ns[h], hs[h]) if hs[h] else 1.0) for h in hr)
    return MetricValue(float(value), **kw)
