"""``report_data``: everything the HTML report draws, computed once and stored in the results JSON.

The HTML report renders from the results JSON alone, so plots and drill-down tables need their data
in it. :func:`build_report_data` produces a JSON-ready dict::

    {
      "attributes":  {name: histogram},            # real vs synthetic (numeric or categorical)
      "tool_usage":  histogram of tool names,       # calls(τ), metrics.md §1.5
      "tool_counts": histogram of |calls(τ)|,
      "embedding_map": {"explained": [..], "real": {"ids", "xy"}, "synthetic": {"ids", "xy"}},
      "drilldown": {"invalid": [...], "outside_manifold": [...], "uncovered": [...],
                    "duplicates": [...], "totals": {...}},
      "trajectories": {"real": {id: trajectory}, "synthetic": {id: trajectory}},
    }

Drill-down rows carry the ids of the whole trajectories they show (``trajectories``: messages with
tool calls, arguments and tool results, and the output, each text capped at ``MAX_TEXT``
characters) and, when embeddings are given, the nearest neighbour on the other side
(``neighbour``: its id, ``distance``: Euclidean distance between the instruction-transcript
embeddings, the distance the k-NN metrics use). Neighbours are found for the listed rows only
(at most ``max_rows`` per list), in one blockwise pass per side.

Histograms: ``{"kind": "numeric", "edges": [...], "real": counts, "synthetic": counts, "n_real",
"n_synthetic"}`` with shared bins (integer-aligned for integer data), or ``{"kind": "categorical",
"labels": [...], "real": counts, "synthetic": counts, ...}`` keeping the most frequent labels and
pooling the rest under ``"(other)"``.

The 2-D map is a PCA of the instruction-transcript embeddings, fitted on the real set (so every
synthetic set of a comparison shares the real set's axes), at most ``max_points`` points per side
(seeded subsample). Drill-down lists are capped at ``max_rows`` rows each; ``totals`` has the full
counts. k-NN misses follow ``metrics.md`` §1.7 (radius = the reference point's own k-NN radius,
test "≤").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synae.config import DEFAULT_SEED
from synae.metrics.knn import knn_membership
from synae.schema import Dataset, Trajectory
from synae.validity.verdict import Verdict
from synae.views import (
    InstructionRoles,
    instruction_transcript,
    output_text,
    text_sequence,
    tool_call_sequence,
    user_messages,
)

MAX_BINS = 20
MAX_LABELS = 15
SNIPPET = 240
MAX_TEXT = 4000  # characters of one message, tool argument string or output in the drill-down
NN_BLOCK = 256  # query rows per block of the nearest-neighbour pass


# --------------------------------------------------------------------------------------------
# Histograms


def numeric_histogram(real: Sequence[float], synthetic: Sequence[float]) -> dict[str, Any]:
    """Counts of both samples over shared bins (unit-width bins for small integer ranges)."""
    a = np.asarray(real, dtype=float)
    b = np.asarray(synthetic, dtype=float)
    both = np.concatenate([a, b])
    if both.size == 0:
        edges = np.array([0.0, 1.0])
    else:
        lo, hi = float(both.min()), float(both.max())
        integer = bool(np.all(both == np.round(both)))
        if integer and hi - lo + 1 <= MAX_BINS:
            edges = np.arange(lo - 0.5, hi + 1.5)
        else:
            edges = np.linspace(lo, hi if hi > lo else lo + 1.0, MAX_BINS + 1)
    return {"kind": "numeric", "edges": edges.tolist(),
            "real": np.histogram(a, edges)[0].tolist(), "synthetic": np.histogram(b, edges)[0].tolist(),
            "n_real": int(a.size), "n_synthetic": int(b.size)}


def categorical_histogram(real: Iterable[str], synthetic: Iterable[str],
                          max_labels: int = MAX_LABELS) -> dict[str, Any]:
    """Label counts of both sides; the ``max_labels`` most frequent overall, the rest ``(other)``."""
    ca, cb = Counter(real), Counter(synthetic)
    top = [label for label, _ in (ca + cb).most_common()]
    labels, rest = top[:max_labels], top[max_labels:]
    real_counts = [ca[label] for label in labels]
    syn_counts = [cb[label] for label in labels]
    if rest:
        labels.append("(other)")
        real_counts.append(sum(ca[label] for label in rest))
        syn_counts.append(sum(cb[label] for label in rest))
    return {"kind": "categorical", "labels": labels, "real": real_counts, "synthetic": syn_counts,
            "n_real": sum(ca.values()), "n_synthetic": sum(cb.values())}


def _labels(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return ["None" if value is None else str(value)]


def default_attributes(real: Sequence[Trajectory], synthetic: Sequence[Trajectory],
                       roles: InstructionRoles) -> dict[str, tuple[list[Any], list[Any]]]:
    """Attributes drawn when the metric engine supplies none: turns, token lengths, stored labels."""

    def turns_(ts: Sequence[Trajectory]) -> list[int]:
        return [len(text_sequence(t, roles)) for t in ts]

    def user_tokens(ts: Sequence[Trajectory]) -> list[int]:
        return [len(m.split()) for t in ts for m in user_messages(t)]

    def output_tokens(ts: Sequence[Trajectory]) -> list[int]:
        return [len(o.split()) for t in ts if (o := output_text(t)) is not None]

    out: dict[str, tuple[list[Any], list[Any]]] = {
        "n_turns": (turns_(real), turns_(synthetic)),
        "user_token_length": (user_tokens(real), user_tokens(synthetic)),
    }
    outputs = (output_tokens(real), output_tokens(synthetic))
    if outputs[0] or outputs[1]:
        out["output_token_length"] = outputs
    stored = sorted({k for t in real for k, v in t.attributes.items()
                     if isinstance(v, (str, bool, list)) or v is None})
    for key in stored[:8]:
        out[key] = ([lab for t in real for lab in _labels(t.attributes.get(key))],
                    [lab for t in synthetic for lab in _labels(t.attributes.get(key))])
    return out


def attribute_histogram(real: Sequence[Any], synthetic: Sequence[Any]) -> dict[str, Any]:
    """Numeric histogram when every value is a number (not bool), else categorical."""
    values = [*real, *synthetic]
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return numeric_histogram(real, synthetic)
    return categorical_histogram([str(v) for v in real], [str(v) for v in synthetic])


# --------------------------------------------------------------------------------------------
# Embedding map and k-NN misses


@dataclass
class Projection:
    """A PCA basis (2 components) fitted on one matrix; ``project`` maps any rows onto it."""

    mean: np.ndarray
    components: np.ndarray  # (2, d)
    explained: list[float]

    @classmethod
    def fit(cls, x: np.ndarray) -> Projection:
        x = np.asarray(x, dtype=np.float64)
        mean = x.mean(axis=0)
        centred = x - mean
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        comps = np.zeros((2, x.shape[1]))
        comps[: min(2, vt.shape[0])] = vt[:2]
        var = s**2
        total = float(var.sum())
        explained = [float(v / total) if total > 0 else 0.0 for v in var[:2]]
        return cls(mean=mean, components=comps, explained=explained + [0.0] * (2 - len(explained)))

    def project(self, x: np.ndarray) -> np.ndarray:
        xy: np.ndarray = (np.asarray(x, dtype=np.float64) - self.mean) @ self.components.T
        return xy


def _subsample(n: int, max_points: int, seed: int) -> np.ndarray:
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def embedding_map(real_ids: Sequence[str], real_emb: np.ndarray, syn_ids: Sequence[str],
                  syn_emb: np.ndarray, *, projection: Projection | None = None,
                  max_points: int = 2000, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """2-D PCA coordinates (rounded to 4 decimals) of both sides, fitted on the real side."""
    projection = projection or Projection.fit(real_emb)
    out: dict[str, Any] = {"method": "pca_fit_on_real", "explained": projection.explained}
    for side, ids, emb in (("real", real_ids, real_emb), ("synthetic", syn_ids, syn_emb)):
        keep = _subsample(len(ids), max_points, seed)
        xy = np.round(projection.project(emb[keep]), 4) if len(keep) else np.zeros((0, 2))
        out[side] = {"ids": [ids[i] for i in keep], "xy": xy.tolist(), "n": len(ids)}
    return out


# --------------------------------------------------------------------------------------------
# Drill-down tables


def _snippet(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _cap(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def trajectory_view(t: Trajectory) -> dict[str, Any]:
    """A whole trajectory for the drill-down: messages (role, content, tool calls with arguments,
    tool results with their call id), the output, and the stored attributes."""
    messages = []
    for m in t.messages:
        entry: dict[str, Any] = {"role": m.role, "content": _cap(m.content)}
        if m.tool_calls:
            entry["tool_calls"] = [{"name": c.function.name, "arguments": _cap(c.function.arguments)}
                                   for c in m.tool_calls]
        if m.code:
            entry["code"] = _cap(m.code)
        if m.tool_call_id or m.name:
            entry["tool"] = m.name or m.tool_call_id
        messages.append(entry)
    return {"id": t.id, "messages": messages, "output": _cap(t.output),
            "attributes": {k: v for k, v in t.attributes.items() if isinstance(v, (str, int, float, bool))}}


def nearest(queries: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the index of its nearest reference row and the Euclidean distance,
    in blocks of ``NN_BLOCK`` query rows (memory O(block · n_reference))."""
    ref = np.asarray(reference, dtype=np.float64)
    ref_sq = np.einsum("ij,ij->i", ref, ref)
    idx = np.zeros(len(queries), dtype=np.int64)
    dist = np.zeros(len(queries))
    for s in range(0, len(queries), NN_BLOCK):
        q = np.asarray(queries[s:s + NN_BLOCK], dtype=np.float64)
        d2 = np.einsum("ij,ij->i", q, q)[:, None] - 2.0 * q @ ref.T + ref_sq[None, :]
        best = np.argmin(d2, axis=1)
        idx[s:s + NN_BLOCK] = best
        exact = q - ref[best]  # recompute exactly for the reported distance
        dist[s:s + NN_BLOCK] = np.sqrt(np.einsum("ij,ij->i", exact, exact))
    return idx, dist


def invalid_rows(verdicts: Iterable[Verdict], texts: Mapping[str, str]) -> list[dict[str, Any]]:
    """One row per verdict with ``valid is False``: id, target, checker, reasons (each failed
    check's reason), explanation."""
    return [{"id": v.trajectory_id, "target": v.target, "checker": v.checker, "reasons": list(v.reasons),
             "explanation": _snippet(v.explanation), "text": _snippet(texts.get(v.trajectory_id))}
            for v in verdicts if v.valid is False]


def duplicate_rows(real_ids: Sequence[str], real_texts: Sequence[str], syn_ids: Sequence[str],
                   syn_texts: Sequence[str]) -> list[dict[str, Any]]:
    """Synthetic instruction transcripts that occur more than once in the synthetic set or copy a
    real one verbatim: one row per distinct duplicated text, with its ids on both sides."""
    real_by_text: dict[str, list[str]] = {}
    for i, t in zip(real_ids, real_texts, strict=False):
        real_by_text.setdefault(t, []).append(i)
    syn_by_text: dict[str, list[str]] = {}
    for i, t in zip(syn_ids, syn_texts, strict=False):
        syn_by_text.setdefault(t, []).append(i)
    rows: list[dict[str, Any]] = []
    for text, ids in syn_by_text.items():
        copies = real_by_text.get(text, [])
        if len(ids) > 1 or copies:
            rows.append({"synthetic_ids": ids, "real_ids": copies, "count": len(ids), "text": _snippet(text)})
    rows.sort(key=lambda r: (-r["count"] - len(r["real_ids"]), r["synthetic_ids"][0]))
    return rows


def build_report_data(real: Dataset | Sequence[Trajectory], synthetic: Dataset | Sequence[Trajectory], *,
                      real_embeddings: np.ndarray | None = None,
                      synthetic_embeddings: np.ndarray | None = None,
                      verdicts: Iterable[Verdict] = (),
                      attributes: Mapping[str, tuple[Sequence[Any], Sequence[Any]]] | None = None,
                      instruction_roles: InstructionRoles = "user+responses",
                      calls: tuple[Sequence[Sequence[str]], Sequence[Sequence[str]]] | None = None,
                      knn_k: int = 3, projection: Projection | None = None,
                      max_points: int = 2000, max_rows: int = 200,
                      seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The ``report_data`` section for one synthetic set against the real set (see module doc).

    ``real_embeddings``/``synthetic_embeddings`` are the instruction-transcript embeddings the
    metrics used (one row per trajectory, same order); without them the map and k-NN drill-downs
    are omitted. ``attributes`` (name -> (real values, synthetic values)) replaces the default
    attributes of :func:`default_attributes`. ``calls`` (real, synthetic) are calls(τ) per trajectory
    as the metrics extracted them (default: :func:`synae.views.tool_call_sequence` with default options).
    """
    real_t, syn_t = list(real), list(synthetic)
    real_ids = [t.id for t in real_t]
    syn_ids = [t.id for t in syn_t]
    real_texts = [instruction_transcript(t, instruction_roles) for t in real_t]
    syn_texts = [instruction_transcript(t, instruction_roles) for t in syn_t]
    attrs = attributes if attributes is not None else default_attributes(real_t, syn_t, instruction_roles)

    if calls is None:
        calls = ([tool_call_sequence(t).names for t in real_t], [tool_call_sequence(t).names for t in syn_t])
    real_calls, syn_calls = calls
    data: dict[str, Any] = {
        "n_real": len(real_t), "n_synthetic": len(syn_t), "seed": seed,
        "attributes": {name: attribute_histogram(list(a), list(b)) for name, (a, b) in attrs.items()},
        "tool_usage": categorical_histogram([n for s in real_calls for n in s],
                                            [n for s in syn_calls for n in s], max_labels=20),
        "tool_counts": numeric_histogram([len(s) for s in real_calls], [len(s) for s in syn_calls]),
    }
    texts = dict(zip(syn_ids, syn_texts, strict=False))
    invalid = invalid_rows(verdicts, texts)
    duplicates = duplicate_rows(real_ids, real_texts, syn_ids, syn_texts)
    drill: dict[str, Any] = {"invalid": invalid[:max_rows], "duplicates": duplicates[:max_rows]}
    totals = {"invalid": len(invalid), "duplicates": len(duplicates),
              "duplicate_trajectories": sum(r["count"] for r in duplicates)}
    if real_embeddings is not None and synthetic_embeddings is not None and len(real_t) and len(syn_t):
        data["embedding_map"] = embedding_map(real_ids, real_embeddings, syn_ids, synthetic_embeddings,
                                              projection=projection, max_points=max_points, seed=seed)
        # the exact per-point memberships that k-NN precision and recall average
        inside, covered = knn_membership(real_embeddings, synthetic_embeddings, knn_k)
        if inside is not None:
            outside = [i for i in range(len(syn_t)) if not inside[i]]
            drill["outside_manifold"] = [{"id": syn_ids[i], "text": _snippet(syn_texts[i])}
                                         for i in outside[:max_rows]]
            totals["outside_manifold"] = len(outside)
        if covered is not None:
            uncovered = [i for i in range(len(real_t)) if not covered[i]]
            drill["uncovered"] = [{"id": real_ids[i], "text": _snippet(real_texts[i])}
                                  for i in uncovered[:max_rows]]
            totals["uncovered"] = len(uncovered)
        drill["knn_k"] = knn_k
    drill["totals"] = totals
    drill["max_rows"] = max_rows
    data["drilldown"] = drill
    data["trajectories"] = _shown_trajectories(drill, real_t, syn_t, real_embeddings, synthetic_embeddings)
    return data


def _pairs(rows: list[int], own: np.ndarray, other: np.ndarray) -> dict[int, tuple[int, float]]:
    if not rows:
        return {}
    idx, dist = nearest(own[rows], other)
    return {r: (int(i), float(d)) for r, i, d in zip(rows, idx, dist, strict=True)}


def _shown_trajectories(drill: dict[str, Any], real_t: Sequence[Trajectory], syn_t: Sequence[Trajectory],
                        real_emb: np.ndarray | None, syn_emb: np.ndarray | None) -> dict[str, Any]:
    """Attach each drill-down row's nearest neighbour on the other side (one blockwise pass per
    side, listed rows only) and collect the whole trajectories the rows show, by side and id."""
    real_pos = {t.id: i for i, t in enumerate(real_t)}
    syn_pos = {t.id: i for i, t in enumerate(syn_t)}
    syn_rows = [*drill.get("invalid", []), *drill.get("outside_manifold", [])]
    dup_rows = drill.get("duplicates", [])
    real_rows = drill.get("uncovered", [])
    shown_syn = {r["id"] for r in syn_rows} | {r["synthetic_ids"][0] for r in dup_rows}
    shown_real = {r["id"] for r in real_rows} | {i for r in dup_rows for i in r["real_ids"][:1]}
    if real_emb is not None and syn_emb is not None and len(real_t) and len(syn_t):
        syn_query = sorted({syn_pos[i] for i in shown_syn if i in syn_pos})
        real_query = sorted({real_pos[i] for i in shown_real if i in real_pos})
        to_real = _pairs(syn_query, syn_emb, real_emb)
        to_syn = _pairs(real_query, real_emb, syn_emb)

        def link(row: dict[str, Any], own: str, table: dict[int, tuple[int, float]], pos: dict[str, int],
                 other: Sequence[Trajectory], shown: set[str]) -> None:
            hit = table.get(pos.get(row[own], -1))
            if hit is not None:
                row["neighbour"] = other[hit[0]].id
                row["distance"] = round(hit[1], 6)
                shown.add(row["neighbour"])

        extra_real: set[str] = set()
        extra_syn: set[str] = set()
        for row in syn_rows:
            link(row, "id", to_real, syn_pos, real_t, extra_real)
        for row in dup_rows:
            row["id"] = row["synthetic_ids"][0]
            link(row, "id", to_real, syn_pos, real_t, extra_real)
        for row in real_rows:
            link(row, "id", to_syn, real_pos, syn_t, extra_syn)
        shown_real |= extra_real
        shown_syn |= extra_syn
    return {"real": {i: trajectory_view(real_t[real_pos[i]]) for i in sorted(shown_real) if i in real_pos},
            "synthetic": {i: trajectory_view(syn_t[syn_pos[i]]) for i in sorted(shown_syn) if i in syn_pos}}
