"""``report_data``: everything the HTML report draws, computed once and stored in the results JSON.

The HTML report renders from the results JSON alone, so plots and drill-down tables need their data
in it. :func:`build_report_data` produces a JSON-ready dict::

    {
      "attributes":  {name: histogram},            # real vs synthetic (numeric or categorical)
      "tool_usage":  histogram of tool names,       # calls(τ), docs/method.md §2.5
      "tool_counts": histogram of |calls(τ)|,
      "embedding_map": {"explained": [..], "real": {"ids", "xy"}, "synthetic": {"ids", "xy"}},
      "drilldown": {"invalid": [...], "outside_manifold": [...], "uncovered": [...],
                    "duplicates": [...], "totals": {...}},
      "trajectories": {"real": {id: trajectory}, "synthetic": {id: trajectory}},
      "privacy": {metric_id: [leak row, ...]},      # when the privacy metrics are given
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
counts. k-NN misses follow ``docs/method.md`` §2.6 (radius = the reference point's own k-NN radius,
test "≤").

Privacy drill-down (``privacy``, built from the privacy metrics' ``details.leaks`` when ``metrics``
are given): per privacy metric with leaks, one row per leaking synthetic trajectory, most leaking
first (at most ``max_rows``): ``{"metric", "target", "synthetic": id, "real": id of the real
trajectory it copies, "text": the copied passage (or the view), "marks": {"synthetic": [...],
"real": [...]}}`` plus ``tokens`` and ``span_tokens`` (verbatim_spans), ``distance`` and
``threshold`` (near_copies) or ``pii`` (pii_echo: ``{kind: occurrences}``; never the values). A mark
locates highlighted text in the stored trajectory view: ``{"part": "content", "message": i, "start",
"end"}`` (a message's content), ``{"part": "output", "start", "end"}`` or ``{"part": "calls",
"message": i}`` (all tool calls of a message) — character offsets [start, end) into the stored
(masked, capped) texts, so marks hold no text. Exact copies mark the whole view on both sides,
verbatim spans the copied run of tokens (on the real side: the same tokens from where the run's first
N-gram occurs), near copies and PII echo nothing (echoed values show as masks).

PII (:mod:`synae.run.scoring.pii_masking`): every text of ``report_data`` — snippets, trajectories, labels,
verdict reasons — and every trajectory id shows each detected PII value as ``«kind»``, in real and
synthetic texts alike, plus every literal occurrence of a value echoed from the real set; an id that
held PII becomes ``«kind»#position``. ``pii_masked`` says whether this was done (``False`` only with
``show_pii``, a private report).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synae.config import DEFAULT_SEED
from synae.metrics.knn import knn_membership
from synae.metrics.privacy import token_spans, view_text
from synae.metrics.registry import ordered
from synae.results import MetricResult, Target
from synae.run.scoring.pii_masking import PiiMask, echoed_pii, remap, shown_ids
from synae.schema import Dataset, Trajectory
from synae.validity.verdict import Verdict
from synae.views import (
    InstructionRoles,
    instruction_transcript,
    is_output_message,
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


def _snippet(text: str | None, mask: PiiMask | None = None) -> str:
    """``text`` masked, whitespace collapsed, at most ``SNIPPET`` characters."""
    text = " ".join(((mask.apply(text) if mask else text) or "").split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _cap(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _stored_range(text: str, start: int, end: int, mask: PiiMask) -> tuple[int, int] | None:
    """Characters [start, end) of ``text`` as offsets into its stored form (masked, then capped at
    ``MAX_TEXT``); ``None`` when nothing of the range is stored."""
    masked, reps = mask.masked(text)
    limit = len(masked) if len(masked) <= MAX_TEXT else MAX_TEXT - 1
    lo, hi = min(remap(start, reps, False), limit), min(remap(end, reps, True), limit)
    return (lo, hi) if lo < hi else None


def trajectory_view(t: Trajectory, mask: PiiMask | None = None) -> dict[str, Any]:
    """A whole trajectory for the drill-down: messages (role, content, tool calls with arguments,
    tool results with their call id), the output, and the stored attributes; every text masked by
    ``mask`` (echoed PII values), then capped at ``MAX_TEXT`` characters. The message marked as the
    output (:func:`synae.views.is_output_message`) is left out of ``messages`` when it holds the
    output: the answer is shown once, as the output. It is the last assistant message, after every
    message a mark points at, so the marks' message indices are unchanged."""
    mask = mask or PiiMask()

    def stored(text: str | None) -> str | None:
        return _cap(mask.apply(text))

    messages = []
    for m in t.messages:
        if is_output_message(m) and t.output is not None and m.content == t.output:
            continue
        entry: dict[str, Any] = {"role": m.role, "content": stored(m.content)}
        if m.tool_calls:
            entry["tool_calls"] = [{"name": c.function.name, "arguments": stored(c.function.arguments)}
                                   for c in m.tool_calls]
        if m.code:
            entry["code"] = stored(m.code)
        if m.tool_call_id or m.name:
            entry["tool"] = m.name or m.tool_call_id
        messages.append(entry)
    return {"id": t.id, "messages": messages, "output": stored(t.output),
            "attributes": {k: stored(v) if isinstance(v, str) else v for k, v in t.attributes.items()
                           if isinstance(v, (str, int, float, bool))}}


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


def invalid_rows(verdicts: Iterable[Verdict], texts: Mapping[str, str],
                 mask: PiiMask | None = None) -> list[dict[str, Any]]:
    """One row per verdict with ``valid is False``: id, target, checker, reasons (each failed
    check's reason), explanation (texts masked by ``mask``)."""
    mask = mask or PiiMask()
    return [{"id": v.trajectory_id, "target": v.target, "checker": v.checker,
             "reasons": [mask.apply(r) for r in v.reasons],
             "explanation": _snippet(v.explanation, mask), "text": _snippet(texts.get(v.trajectory_id), mask)}
            for v in verdicts if v.valid is False]


def duplicate_rows(real_ids: Sequence[str], real_texts: Sequence[str], syn_ids: Sequence[str],
                   syn_texts: Sequence[str], mask: PiiMask | None = None) -> list[dict[str, Any]]:
    """Synthetic instruction transcripts that occur more than once in the synthetic set or copy a
    real one verbatim: one row per distinct duplicated text (shown masked by ``mask``), with its ids
    on both sides."""
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
            rows.append({"synthetic_ids": ids, "real_ids": copies, "count": len(ids),
                         "text": _snippet(text, mask)})
    rows.sort(key=lambda r: (-r["count"] - len(r["real_ids"]), r["synthetic_ids"][0]))
    return rows


# --------------------------------------------------------------------------------------------
# Privacy drill-down


def _view_marks(t: Trajectory, target: Target, span: tuple[int, int] | None,
                mask: PiiMask) -> list[dict[str, Any]]:
    """Characters [start, end) of ``view_text(t, target)`` as marks on the stored trajectory view
    (see the module docstring): instructions split over the user messages (joined by one ``"\\n"``),
    the output as is, tool calls as whole messages."""
    if span is None:
        return []
    start, end = span
    if target == "output":
        hit = _stored_range(t.output or "", start, end, mask)
        return [] if hit is None else [{"part": "output", "start": hit[0], "end": hit[1]}]
    if target == "tool_calls":
        return [{"part": "calls", "message": i} for i, m in enumerate(t.messages)
                if m.role == "assistant" and (m.tool_calls or m.code)]
    marks: list[dict[str, Any]] = []
    cursor = 0
    for i, m in enumerate(t.messages):
        if m.role != "user":
            continue
        content = m.content or ""
        lo, hi = max(start, cursor), min(end, cursor + len(content))
        hit = _stored_range(content, lo - cursor, hi - cursor, mask) if lo < hi else None
        if hit is not None:
            marks.append({"part": "content", "message": i, "start": hit[0], "end": hit[1]})
        cursor += len(content) + 1
    return marks


def _tokens(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """The privacy metrics' tokens of ``text``: character spans (of the case-folded text, the same
    as the text's own unless case folding changes a character's length) and the tokens."""
    spans = token_spans(text)
    folded = text.casefold()
    return spans, [folded[a:b] for a, b in spans]


def copied_run(syn_view: str, real_view: str, span: Sequence[int],
               n: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Character ranges of a verbatim span: tokens [start, end) of the synthetic view, and in the
    real view the same tokens from the first occurrence of their first ``n`` (the N-gram the metric
    matched) as far as they agree; ``None`` for a side where they are not found."""
    s_spans, s_tokens = _tokens(syn_view)
    start, end = int(span[0]), min(int(span[1]), len(s_spans))
    if start >= end:
        return None, None
    syn_range = (s_spans[start][0], s_spans[end - 1][1])
    copied = s_tokens[start:end]
    head = copied[:n]
    r_spans, r_tokens = _tokens(real_view)
    for p in range(len(r_tokens) - len(head) + 1):
        if r_tokens[p:p + len(head)] == head:
            q = len(head)
            while q < len(copied) and p + q < len(r_tokens) and r_tokens[p + q] == copied[q]:
                q += 1
            return syn_range, (r_spans[p][0], r_spans[p + q - 1][1])
    return syn_range, None


def _passage(view: str, span: tuple[int, int] | None, mask: PiiMask) -> str:
    """The snippet of the masked view (of its range ``span`` when given)."""
    masked, reps = mask.masked(view)
    if span is not None:
        masked = masked[remap(span[0], reps, False):remap(span[1], reps, True)]
    return _snippet(masked)


def privacy_row(result: MetricResult, leak: Mapping[str, Any], real_t: Sequence[Trajectory],
                syn_t: Sequence[Trajectory], mask: PiiMask) -> dict[str, Any] | None:
    """The drill-down row of one entry of a privacy metric's ``details.leaks`` (indices into
    ``real_t``/``syn_t``; ``None`` when one is out of range). pii_echo rows name the real trajectory
    of the first echoed occurrence and hold counts per kind only."""
    kind = result.id.rsplit(".", 1)[-1]
    target = result.target
    occurrences = leak.get("occurrences") or []
    real_i = occurrences[0]["real"] if kind == "pii_echo" and occurrences else leak.get("real")
    syn_i = leak.get("synthetic")
    if not isinstance(syn_i, int) or not isinstance(real_i, int) \
            or not (0 <= syn_i < len(syn_t) and 0 <= real_i < len(real_t)):
        return None
    syn, real = syn_t[syn_i], real_t[real_i]
    syn_view, real_view = view_text(syn, target), view_text(real, target)
    row: dict[str, Any] = {"metric": result.id, "target": target, "synthetic": syn.id, "real": real.id}
    syn_span = real_span = None
    if kind in ("exact_copies", "whole_copies"):
        syn_span, real_span = (0, len(syn_view)), (0, len(real_view))
    elif kind == "verbatim_spans":
        n = int(result.details.get("span_tokens", 1))
        syn_span, real_span = copied_run(syn_view, real_view, leak["span"], n)
        row.update(tokens=leak.get("tokens"), span_tokens=n)
    elif kind == "near_copies":
        row.update(distance=leak.get("distance"), threshold=result.details.get("threshold"))
    elif kind == "pii_echo":
        row["pii"] = dict(Counter(str(o["kind"]) for o in occurrences))
    row["text"] = _passage(syn_view, syn_span, mask)
    row["marks"] = {"synthetic": _view_marks(syn, target, syn_span, mask),
                    "real": _view_marks(real, target, real_span, mask)}
    return row


WHOLE_COPIES = "privacy.instructions.whole_copies"  # drill-down key of whole-trajectory copies


def whole_copy_rows(copies: Mapping[str, Any], real_t: Sequence[Trajectory], syn_t: Sequence[Trajectory],
                    mask: PiiMask, max_rows: int) -> list[dict[str, Any]]:
    """Drill-down rows of the whole-trajectory copies (``copies["near"]["pairs"]``, exact ones
    included), shown like exact copies of the user turns."""
    near = copies.get("near") or {}
    record = MetricResult(id=WHOLE_COPIES, value=None, status="skipped", pillar="privacy",
                          target="instructions", direction="lower_is_better", bounds=(0.0, 1.0),
                          details={"leaking": near.get("count"), "eligible": near.get("eligible")})
    return [row for pair in (near.get("pairs") or [])[:max_rows]
            if (row := privacy_row(record, pair, real_t, syn_t, mask)) is not None]


def privacy_rows(metrics: Mapping[str, MetricResult], real_t: Sequence[Trajectory],
                 syn_t: Sequence[Trajectory], mask: PiiMask,
                 max_rows: int) -> dict[str, list[dict[str, Any]]]:
    """Per privacy metric with leaks (report order), the rows of its first ``max_rows`` leaks
    (:func:`privacy_row`; ``details.leaks`` is most leaking first)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for mid in ordered(m for m, r in metrics.items() if r.pillar == "privacy"):
        result = metrics[mid]
        leaks = result.details.get("leaks") or []
        rows = [row for leak in leaks[:max_rows]
                if (row := privacy_row(result, leak, real_t, syn_t, mask)) is not None]
        if rows:
            out[mid] = rows
    return out


# --------------------------------------------------------------------------------------------
# report_data


def build_report_data(real: Dataset | Sequence[Trajectory], synthetic: Dataset | Sequence[Trajectory], *,
                      real_embeddings: np.ndarray | None = None,
                      synthetic_embeddings: np.ndarray | None = None,
                      verdicts: Iterable[Verdict] = (),
                      attributes: Mapping[str, tuple[Sequence[Any], Sequence[Any]]] | None = None,
                      instruction_roles: InstructionRoles = "user+responses",
                      calls: tuple[Sequence[Sequence[str]], Sequence[Sequence[str]]] | None = None,
                      metrics: Mapping[str, MetricResult] | None = None,
                      knn_k: int = 3, projection: Projection | None = None,
                      max_points: int = 2000, max_rows: int = 200,
                      seed: int = DEFAULT_SEED, show_pii: bool = False,
                      copies: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``report_data`` section for one synthetic set against the real set (see module doc).

    ``real_embeddings``/``synthetic_embeddings`` are the instruction-transcript embeddings the
    metrics used (one row per trajectory, same order); without them the map and k-NN drill-downs
    are omitted. ``attributes`` (name -> (real values, synthetic values)) replaces the default
    attributes of :func:`default_attributes`. ``calls`` (real, synthetic) are calls(τ) per trajectory
    as the metrics extracted them (default: :func:`synae.views.tool_call_sequence` with default options).
    ``metrics``: the evaluation's records, whose privacy metrics' leaks (indices into ``real`` and
    ``synthetic``, same order) make the privacy drill-down; without them it is omitted. ``copies``
    (the whole-trajectory copy check, :func:`synae.run.scoring.privacy.copy_check`) lists its copied
    trajectories first, under :data:`WHOLE_COPIES`. PII values are masked in every text and id
    (:mod:`synae.run.scoring.pii_masking`) unless ``show_pii``.
    """
    real_t, syn_t = list(real), list(synthetic)
    mask = PiiMask(raw=True) if show_pii else PiiMask(echoed_pii(real_t, syn_t))
    real_ids = [t.id for t in real_t]
    syn_ids = [t.id for t in syn_t]
    real_texts = [instruction_transcript(t, instruction_roles) for t in real_t]
    syn_texts = [instruction_transcript(t, instruction_roles) for t in syn_t]
    attrs = attributes if attributes is not None else default_attributes(real_t, syn_t, instruction_roles)

    if calls is None:
        calls = ([tool_call_sequence(t).names for t in real_t], [tool_call_sequence(t).names for t in syn_t])
    real_calls, syn_calls = calls
    data: dict[str, Any] = {
        "n_real": len(real_t), "n_synthetic": len(syn_t), "seed": seed, "pii_masked": not show_pii,
        "attributes": {name: _masked_labels(attribute_histogram(list(a), list(b)), mask)
                       for name, (a, b) in attrs.items()},
        "tool_usage": _masked_labels(categorical_histogram([n for s in real_calls for n in s],
                                                           [n for s in syn_calls for n in s], max_labels=20),
                                     mask),
        "tool_counts": numeric_histogram([len(s) for s in real_calls], [len(s) for s in syn_calls]),
    }
    texts = dict(zip(syn_ids, syn_texts, strict=False))
    invalid = invalid_rows(verdicts, texts, mask)
    duplicates = duplicate_rows(real_ids, real_texts, syn_ids, syn_texts, mask)
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
            drill["outside_manifold"] = [{"id": syn_ids[i], "text": _snippet(syn_texts[i], mask)}
                                         for i in outside[:max_rows]]
            totals["outside_manifold"] = len(outside)
        if covered is not None:
            uncovered = [i for i in range(len(real_t)) if not covered[i]]
            drill["uncovered"] = [{"id": real_ids[i], "text": _snippet(real_texts[i], mask)}
                                  for i in uncovered[:max_rows]]
            totals["uncovered"] = len(uncovered)
        drill["knn_k"] = knn_k
    drill["totals"] = totals
    drill["max_rows"] = max_rows
    data["drilldown"] = drill
    privacy = privacy_rows(metrics, real_t, syn_t, mask, max_rows) if metrics is not None else {}
    whole = whole_copy_rows(copies, real_t, syn_t, mask, max_rows) if copies else []
    if whole:
        privacy = {WHOLE_COPIES: whole, **privacy}
    if metrics is not None:
        data["privacy"] = privacy
    leaked = [row for rows in privacy.values() for row in rows]
    data["trajectories"] = _shown_trajectories(
        drill, real_t, syn_t, real_embeddings, synthetic_embeddings, mask,
        {r["real"] for r in leaked}, {r["synthetic"] for r in leaked})
    rename_ids(data, shown_ids(real_ids, mask), shown_ids(syn_ids, mask))
    return data


def rename_ids(data: dict[str, Any], real: Mapping[str, str], synthetic: Mapping[str, str]) -> None:
    """Replace, in place, every trajectory id of ``data`` (map, drill-down rows, neighbours, privacy
    rows, the ``trajectories`` keys and ids) by its shown form (``real``/``synthetic``: id → shown;
    ids not listed stay)."""
    if not real and not synthetic:
        return

    def side(names: Mapping[str, str]) -> Any:
        return lambda tid: names.get(tid, tid)

    r, s = side(real), side(synthetic)
    for key, own in (("real", r), ("synthetic", s)):
        if "embedding_map" in data:
            data["embedding_map"][key]["ids"] = [own(i) for i in data["embedding_map"][key]["ids"]]
        shown = data["trajectories"][key]
        data["trajectories"][key] = {own(i): {**v, "id": own(i)} for i, v in shown.items()}
    drill = data["drilldown"]
    for rows, own, other in ((drill.get("invalid", []), s, r), (drill.get("outside_manifold", []), s, r),
                             (drill.get("duplicates", []), s, r), (drill.get("uncovered", []), r, s)):
        for row in rows:
            for k, f in (("id", own), ("neighbour", other)):
                if k in row:
                    row[k] = f(row[k])
            if "synthetic_ids" in row:
                row["synthetic_ids"] = [s(i) for i in row["synthetic_ids"]]
                row["real_ids"] = [r(i) for i in row["real_ids"]]
    for rows in data.get("privacy", {}).values():
        for row in rows:
            row["synthetic"], row["real"] = s(row["synthetic"]), r(row["real"])


def _masked_labels(hist: dict[str, Any], mask: PiiMask) -> dict[str, Any]:
    """A categorical histogram's labels masked (a numeric one unchanged)."""
    if hist["kind"] == "categorical":
        hist["labels"] = [mask.apply(label) for label in hist["labels"]]
    return hist


def _pairs(rows: list[int], own: np.ndarray, other: np.ndarray) -> dict[int, tuple[int, float]]:
    if not rows:
        return {}
    idx, dist = nearest(own[rows], other)
    return {r: (int(i), float(d)) for r, i, d in zip(rows, idx, dist, strict=True)}


def _shown_trajectories(drill: dict[str, Any], real_t: Sequence[Trajectory], syn_t: Sequence[Trajectory],
                        real_emb: np.ndarray | None, syn_emb: np.ndarray | None, mask: PiiMask,
                        also_real: set[str], also_syn: set[str]) -> dict[str, Any]:
    """Attach each drill-down row's nearest neighbour on the other side (one blockwise pass per
    side, listed rows only) and collect the whole trajectories the rows show, by side and id
    (with ``also_real``/``also_syn``: those of the privacy drill-down), masked by ``mask``."""
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
    shown_real |= also_real
    shown_syn |= also_syn
    return {"real": {i: trajectory_view(real_t[real_pos[i]], mask) for i in sorted(shown_real)
                     if i in real_pos},
            "synthetic": {i: trajectory_view(syn_t[syn_pos[i]], mask) for i in sorted(shown_syn)
                          if i in syn_pos}}
