"""Fréchet distance, attribute match, KND and the tool-call metrics against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import sqrtm

from synae.metrics.fidelity import (
    PooledValues,
    RealMoments,
    ToolUsage,
    Windows,
    call_counts,
    categorical_match,
    frechet_distance,
    frechet_to_point,
    knd,
    label_counts,
    numeric_match,
    planning_distance,
    tool_call_number_match,
    tool_usage_match,
)


def naive_fd(x, y, eps=1e-6):
    """The research form: matrix square root of the product, real part."""
    d = x.shape[1]
    cx = np.cov(x, rowvar=False) + eps * np.eye(d)
    cy = np.cov(y, rowvar=False) + eps * np.eye(d)
    covmean = sqrtm(cx @ cy).real
    diff = x.mean(0) - y.mean(0)
    return float(diff @ diff + np.trace(cx) + np.trace(cy) - 2 * np.trace(covmean))


@pytest.mark.parametrize("shape", [(50, 40, 8), (30, 200, 16), (500, 300, 5)])
def test_frechet_eigen_form_equals_sqrtm_form(shape):
    m, n, d = shape
    rng = np.random.default_rng(m)
    x = rng.normal(size=(m, d))
    y = rng.normal(size=(n, d)) * 1.3 + 0.2
    assert frechet_distance(x, y).value == pytest.approx(naive_fd(x, y), rel=1e-9, abs=1e-10)


def test_frechet_edge_cases_and_details():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 30))
    same = frechet_distance(x, x)
    assert same.value <= 1e-9
    assert any(w.startswith("rank_deficient") for w in same.warnings)
    assert same.details["dim"] == 30
    assert frechet_distance(x[:1], x).value is None
    assert frechet_distance(x[:1], x).reason.startswith("n_lt_2")
    eq = frechet_distance(x, x[:10], equal_n=True)
    assert "fd_equal_n" in eq.details
    assert eq.details["fd_equal_n"] == frechet_distance(x, x[:10], equal_n=True).details["fd_equal_n"]


def test_numeric_and_categorical_match():
    assert numeric_match([1, 2, 3], [1, 2, 3]).value == 0.0
    assert numeric_match([0, 0], [1, 1]).value == 1.0
    assert numeric_match([0, 0], [2, 2], order=2).value == 2.0
    assert numeric_match([], [1]).reason.startswith("empty_real_set")
    assert numeric_match([1], []).reason.startswith("empty_syn_set")
    # multi-label: every label counts; denominator = total labels on that side
    real = [["Paris", "Rome"], ["Paris"]]  # P = 2/3 Paris, 1/3 Rome
    syn = [["Rome"], ["Other"]]  # Q = 1/2 Rome, 1/2 Other
    value = categorical_match(real, syn)
    assert value.value == pytest.approx(0.5 * (2 / 3 + abs(1 / 3 - 1 / 2) + 1 / 2))
    assert (value.n_real, value.n_synthetic) == (3, 2)
    assert categorical_match([], syn).value is None


def test_knd():
    assert knd(np.array([0.1, 0.5]), np.array([0.1, 0.5])).value == 0.0
    result = knd(np.array([0.0, 1.0]), np.array([0.5, 0.5]))
    assert result.value == pytest.approx(0.5)
    assert result.details["pairs_real"] == 2
    assert knd(np.array([]), np.array([0.3])).reason.startswith("no_pairs")


def test_tum_and_tcnm():
    real = [["a", "b", "a"], ["c"]]
    syn = [["a"], ["b", "x"]]
    # vocabulary {a, b, c}: P = (2/4, 1/4, 1/4), Q = (1/2, 1/2, 0)
    assert tool_usage_match(real, syn, {"a", "b", "c"}).value == pytest.approx(0.25)
    details = tool_usage_match(real, syn, {"a", "b", "c"}).details
    assert details["unknown_tool_calls_syn"] == pytest.approx(1 / 3)
    one_side = tool_usage_match(real, [[], []])
    assert one_side.value == 1.0 and one_side.details["one_side_empty"]
    assert tool_usage_match([[]], [[]]).value is None
    assert tool_call_number_match(real, syn).value == pytest.approx(0.5)  # sorted (1, 3) vs (1, 2)


def naive_planning(real, syn, k, weighting):
    """Direct transcription of docs/method.md §3.5."""
    def windows(seqs):
        out = []
        for s in seqs:
            for i in range(len(s) - k + 1):
                out.append((tuple(s[i:i + k - 1]), s[i + k - 1]))
        return out

    wr, ws = windows(real), windows(syn)
    hists = {h for h, _ in wr} | {h for h, _ in ws}
    tools = {t for _, t in wr} | {t for _, t in ws}

    def cond(w, h):
        sel = [t for hh, t in w if hh == h]
        return {t: (sel.count(t) / len(sel) if sel else 0.0) for t in tools}, len(sel)

    total = 0.0
    for h in hists:
        p, c = cond(wr, h)
        q, c2 = cond(ws, h)
        tv = 0.5 * sum(abs(p[t] - q[t]) for t in tools)
        if weighting == "pooled":
            total += (c + c2) / (len(wr) + len(ws)) * tv
        elif c > 0:
            total += c / len(wr) * (tv if c2 > 0 else 1.0)
    return total


@pytest.mark.parametrize("weighting", ["pooled", "real"])
@pytest.mark.parametrize("k", [2, 3])
def test_planning_matches_hand_formula(weighting, k):
    rng = np.random.default_rng(k)
    tools = ["s", "f", "n", "o"]
    real = [list(rng.choice(tools, size=rng.integers(0, 8))) for _ in range(40)]
    syn = [list(rng.choice(tools[:3], size=rng.integers(0, 6))) for _ in range(30)]
    value = planning_distance(real, syn, k, weighting=weighting).value
    assert value == pytest.approx(naive_planning(real, syn, k, weighting), rel=1e-12)


def test_planning_hand_example_and_edge_cases():
    real = [["a", "b"], ["a", "c"]]  # history (a): b 1/2, c 1/2
    syn = [["a", "b"], ["d", "b"]]  # history (a): b 1; history (d): b 1
    # pooled: h=a weight 3/4, TV 1/2; h=d weight 1/4, one-sided TV 1/2 → 1/2
    assert planning_distance(real, syn, 2).value == pytest.approx(0.5)
    # real weighting: only h=a, weight 1, TV 1/2
    assert planning_distance(real, syn, 2, weighting="real").value == pytest.approx(0.5)
    assert planning_distance(real, [["x", "y"]], 2, weighting="real").value == pytest.approx(1.0)
    assert planning_distance([["a"]], [["b"]], 2).reason.startswith("no_windows")
    # vocabulary filtering joins the neighbours of a removed call
    assert planning_distance([["a", "print", "b"]], [["a", "b"]], 2, vocabulary={"a", "b"}).value == 0.0
    with pytest.raises(ValueError):
        planning_distance(real, syn, 1)


def test_frechet_without_regularisation_uses_the_eigen_fallback():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(80, 6)), rng.normal(size=(90, 6)) + 0.5
    assert frechet_distance(x, y, eps=0).value == pytest.approx(naive_fd(x, y, eps=0), rel=1e-9)
    low_rank = rng.normal(size=(10, 20))  # singular covariance: Cholesky fails, eigen square root used
    assert frechet_distance(low_rank, low_rank, eps=0).value <= 1e-9


@pytest.mark.parametrize(("m", "d", "eps"), [(40, 6, 1e-6), (5, 12, 1e-6), (30, 8, 0.0), (3, 4, 0.5)])
def test_frechet_to_point_equals_the_distance_to_copies(m: int, d: int, eps: float) -> None:
    """n copies of one point: the closed form equals the general form (full-rank and rank-deficient
    real sets, ε = 0 included), with the same details and warnings."""
    rng = np.random.default_rng(m * d)
    x = rng.normal(size=(m, d))
    point = rng.normal(size=d)
    for n in (2, 7):
        y = np.tile(point, (n, 1))
        general = frechet_distance(x, y, eps=eps)
        closed = frechet_to_point(RealMoments.of(x, eps), point, n, eps)
        assert closed.value == pytest.approx(general.value, rel=1e-9, abs=1e-9)
        assert (closed.details, closed.warnings) == (general.details, general.warnings)
    assert frechet_to_point(RealMoments.of(x, eps), x[0], 2, eps).value == pytest.approx(
        frechet_distance(x, np.tile(x[0], (2, 1)), eps=eps).value, rel=1e-9, abs=1e-9)


def _same(a, b) -> None:
    """Two metric values are equal to the last bit, details included."""
    fields = ("value", "reason", "n_real", "n_synthetic", "details")
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]


@pytest.mark.parametrize("real", [[3.0, 1.5, 2.25, 1.5, 9.0], [], [7.0]])
@pytest.mark.parametrize("syn", [[2.0, 1.0], [], [0.1, 0.2, 0.30000000000000004]])
def test_a_side_given_once_gives_the_values_of_the_raw_side(real, syn):
    """What the memo of the real side passes (PooledValues, label counts, ToolUsage, Windows) gives
    exactly the values and details of the raw sequences, empty sides included."""
    for order in (1, 2):
        _same(numeric_match(PooledValues.of(real), syn, order=order), numeric_match(real, syn, order=order))
    labels_real = [[str(v)] for v in real] + [["x", "y"]]
    labels_syn = [[str(v)] for v in syn]
    _same(categorical_match(label_counts(labels_real), labels_syn),
          categorical_match(labels_real, labels_syn))
    calls_real = [["a", "b", "a", "print"], [], ["c", "a"]][:len(real)]
    calls_syn = [["a", "print"], ["b", "b", "zz"]][:len(syn)]
    for vocabulary in (None, {"a", "b", "c"}):
        _same(tool_usage_match(ToolUsage.of(calls_real, vocabulary), calls_syn, vocabulary),
              tool_usage_match(calls_real, calls_syn, vocabulary))
        for k in (2, 3):
            for weighting in ("pooled", "real"):
                windows = Windows.of(calls_real, k, vocabulary)
                before = (dict(windows.history), {h: dict(c) for h, c in windows.next.items()})
                _same(planning_distance(windows, calls_syn, k, vocabulary=vocabulary, weighting=weighting),
                      planning_distance(calls_real, calls_syn, k, vocabulary=vocabulary, weighting=weighting))
                assert (dict(windows.history), {h: dict(c) for h, c in windows.next.items()}) == before
    _same(tool_call_number_match(PooledValues.of(call_counts(calls_real)), calls_syn),
          tool_call_number_match(calls_real, calls_syn))


def test_tool_usage_counts_keep_the_first_seen_order_and_the_unknown_share():
    usage = ToolUsage.of([["b", "print", "a"], ["a", "zz", "b"]], {"a", "b"})
    assert list(usage.counts.items()) == [("b", 2), ("a", 2)]
    assert usage.unknown_share == pytest.approx(2 / 6)
    assert ToolUsage.of([[], []], {"a"}).unknown_share == 0.0
    assert ToolUsage.of([["q"]], None).unknown_share is None
