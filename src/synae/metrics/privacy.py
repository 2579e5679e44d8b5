"""Privacy: does the synthetic set D′ leak the real set D? (``docs/metrics.md``, "Privacy").

Four metrics per target (``instructions`` = the user turns, ``tool_calls`` = the canonical calls,
``output`` = the final output), all shares of synthetic trajectories in [0, 1], lower is better, and
all exactly 1 for a set of copies of real trajectories (so the collapse anchor of the privacy score
is their worst bound, :mod:`synae.run.scoring.privacy`):

- ``exact_copies``: share of synthetic trajectories (with a non-empty view) whose normalised view
  (case-folded, whitespace collapsed) equals a real one's — a 64-bit hash per view, O(n).
- ``near_copies`` (instructions, output): share of synthetic trajectories whose distance to the closest
  real record (DCR, exact, in embedding space) is ≤ τ, the 5th percentile of D's leave-one-out
  nearest-neighbour distances; DCR and LOO quantiles in ``details``. Both come from the k-NN engine's
  passes (:func:`synae.metrics.knn.nearest_real`, :func:`~synae.metrics.knn.leave_one_out_sq`).
- ``verbatim_spans`` (instructions, output): share of synthetic trajectories with at least N tokens
  that contain a span of ≥ N consecutive tokens (default 12) found in some real trajectory's view —
  hashed N-gram shingles: the set of D's N-gram hashes, then per synthetic trajectory the maximal runs
  of consecutive matching N-grams (longest span = run + N − 1).
- ``pii_echo``: share of synthetic trajectories with at least one PII-like value (:mod:`.pii`) that
  carry a value found in D's same view; ``echoed_values`` = distinct echoed values. Values never leave
  this module: results hold kinds, counts, positions and salted truncated SHA-256 hashes only.

Tokens are maximal runs of word characters of the case-folded text; token and view hashes are the
first 8 bytes of BLAKE2b (deterministic across processes); an N-gram's hash is the polynomial
Σ h_i·P^(N−1−i) mod 2⁶⁴ — a collision (false match) has probability ≈ 2⁻⁶⁴ per pair.

``details.leaks`` lists the most-leaking synthetic trajectories (at most :data:`LEAK_LIMIT`, most
leaking first) with the real trajectory they copy, for the report's drill-down.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Sequence
from itertools import chain
from typing import Any

import numpy as np

from synae.metrics import knn
from synae.metrics.base import MetricValue
from synae.metrics.features import DatasetFeatures, PrivacyFeatures, Ragged, ViewFeatures
from synae.metrics.pii import PiiMatch, find_pii
from synae.metrics.registry import LOWER, MetricInputs, has_outputs, has_tool_calls, metric, one_row, skipped
from synae.results import MetricResult, Target
from synae.schema import Trajectory
from synae.toolcalls import POSITIONAL_KEY, parse_calls, render_call
from synae.views import user_messages

TARGETS: tuple[Target, ...] = ("instructions", "tool_calls", "output")
SPAN_TOKENS = 12  # N of verbatim_spans
DCR_QUANTILE = 0.05  # τ = this quantile of D's leave-one-out NN distances
LEAK_LIMIT = 50  # leaking synthetic trajectories listed in details.leaks
QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
HASH_HEX = 12  # hex digits kept of a PII value's salted SHA-256
_TOKEN = re.compile(r"\w+")
_PRIME = np.uint64(1099511628211)  # FNV-64 prime, the N-gram polynomial's base

Outcome = MetricValue | MetricResult


# ------------------------------------------------------------------------------------------------
# Views and features


def _canonical_calls(traj: Trajectory) -> list[str]:
    """Every tool call as ``name(pos..., key=value, ...)`` with keywords sorted: parsed from ``code``
    (``ast``, never executed), else from the structured ``tool_calls``."""
    out: list[str] = []
    for m in traj.messages:
        if m.role != "assistant":
            continue
        parsed = parse_calls(m.code) if m.code is not None else None
        pairs = ([(c.name, c.arguments) for c in parsed.calls] if parsed is not None and parsed.ok
                 else [(c.function.name, c.function.parsed_arguments()) for c in m.tool_calls or ()])
        for name, args in pairs:
            ordered = {k: args[k] for k in sorted(args) if k != POSITIONAL_KEY}
            if POSITIONAL_KEY in args:
                ordered = {POSITIONAL_KEY: args[POSITIONAL_KEY], **ordered}
            out.append(render_call(name, ordered))
    return out


def view_text(traj: Trajectory, target: Target) -> str:
    """The text a privacy metric reads: the user turns joined with ``"\\n"`` (instructions), the
    canonical calls one per line (tool_calls) or the output (``""`` when absent)."""
    if target == "instructions":
        return "\n".join(user_messages(traj))
    if target == "tool_calls":
        return "\n".join(_canonical_calls(traj))
    return traj.output or ""


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text`` (token offsets in ``details`` index this list)."""
    return [m.span() for m in _TOKEN.finditer(text.casefold())]


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class _TokenHashes(dict[str, int]):
    """Memo of token → 64-bit hash (each distinct token hashed once)."""

    def __missing__(self, token: str) -> int:
        value = self[token] = _hash64(token)
        return value


def privacy_features(trajectories: Sequence[Trajectory], targets: Sequence[Target] = TARGETS,
                     pii_targets: Collection[Target] | None = None,
                     token_targets: Collection[Target] | None = None) -> PrivacyFeatures:
    """Hashes and token-sequence keys of every view of ``targets``; the per-token hashes of those
    of ``token_targets`` and the PII of those of ``pii_targets`` (each default: all of ``targets``;
    the others get ``None``). Computed once per dataset.

    A view's token key is the 64-bit hash of its word tokens joined with single spaces (tokens are
    ``\\w+`` runs, so the joined text determines the sequence); an empty token sequence of a
    non-empty view (only punctuation) has the key of the empty text, absent views 0."""
    memo = _TokenHashes()
    views: dict[str, ViewFeatures] = {}
    for target in targets:
        texts = [view_text(t, target) for t in trajectories]
        normal = [" ".join(s.casefold().split()) for s in texts]
        present = np.array([bool(s) for s in normal], dtype=bool)
        hashes = np.fromiter((_hash64(s) if s else 0 for s in normal), dtype=np.uint64, count=len(normal))
        keys = np.fromiter((_token_key(s) if s else 0 for s in normal), dtype=np.uint64, count=len(normal))
        pii = [find_pii(s) for s in texts] if pii_targets is None or target in pii_targets else None
        kept = (_token_hashes([_TOKEN.findall(s) for s in normal], memo)
                if token_targets is None or target in token_targets else None)
        views[target] = ViewFeatures(present, hashes, keys, kept, pii)
    return PrivacyFeatures(views)


_NON_WORD_TO_SPACE = bytes(c if c == 95 or (c < 128 and chr(c).isalnum()) else 32 for c in range(256))


def _token_key(text: str) -> int:
    """The 64-bit hash of the word tokens (``\\w+``) of ``text`` joined with single spaces. ASCII text
    is tokenised by mapping every byte other than an ASCII letter, digit or ``_`` to a space and
    splitting: the regex's tokens, 2.5x faster."""
    if text.isascii():
        return _bytes_hash(b" ".join(text.encode("ascii").translate(_NON_WORD_TO_SPACE).split()))
    return _hash64(" ".join(_TOKEN.findall(text)))


def _token_hashes(tokens: list[list[str]], memo: _TokenHashes) -> Ragged:
    """Each trajectory's token hashes (the 64-bit hash of each token, as a ragged uint64 array)."""
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    values = np.fromiter(map(memo.__getitem__, chain.from_iterable(tokens)), dtype=np.uint64,
                         count=int(offsets[-1]))
    return Ragged(values, offsets)


# ------------------------------------------------------------------------------------------------
# Pure metric functions


def _first_index(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and the first row holding each."""
    uniq, first = np.unique(keys, return_index=True)
    return uniq, first


def _lookup(uniq: np.ndarray, first: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Per key: the first row of ``uniq`` holding it, else −1."""
    pos = np.minimum(np.searchsorted(uniq, keys), max(uniq.size - 1, 0))
    found = uniq[pos] == keys if uniq.size else np.zeros(keys.size, dtype=bool)
    return np.where(found, first[pos] if first.size else -1, -1)


def _share(count: int, total: int, details: dict[str, Any], n_real: int, n_syn: int) -> MetricValue:
    """count / total; 0.0 when nothing can leak (total = 0), noted in ``details``."""
    details.update(leaking=count, eligible=total)
    if total == 0:
        details["note"] = "no eligible synthetic trajectory: nothing can leak"
    return MetricValue(count / total if total else 0.0, details=details, n_real=n_real, n_synthetic=n_syn)


def exact_copies(real: ViewFeatures, syn: ViewFeatures) -> MetricValue:
    """Share of synthetic trajectories with a non-empty view whose normalised view equals a real one's
    (``null`` when no synthetic view is non-empty). ``leaks``: synthetic index and the first real
    index with the same view."""
    rows = np.nonzero(real.present)[0]
    uniq, first = _first_index(real.view_hash[rows])
    match = _lookup(uniq, rows[first] if rows.size else first, syn.view_hash)
    match[~syn.present] = -1
    eligible = int(syn.present.sum())
    if eligible == 0:
        return MetricValue.null("no_views: no synthetic trajectory has this view", n_real=rows.size,
                                n_synthetic=syn.present.size)
    leaking = np.nonzero(match >= 0)[0]
    details = {"leaks": [{"synthetic": int(i), "real": int(match[i])} for i in leaking[:LEAK_LIMIT]]}
    return _share(int(leaking.size), eligible, details, int(rows.size), syn.present.size)


def _bytes_hash(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment and multipliers
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on every value (a bijection of 64-bit integers that spreads each input
    bit over the whole output; arithmetic modulo 2^64)."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    mixed: np.ndarray = z ^ (z >> np.uint64(31))
    return mixed


def trajectory_keys(features: PrivacyFeatures, loose: bool = False) -> np.ndarray:
    """One 64-bit key per trajectory for all its views together (instructions, tool calls, output, as
    far as ``features`` has them; 0 when every view is empty). Exact: the views' normalised hashes
    (case-folded, whitespace collapsed). Loose: the hashes of the views' word-token sequences, so
    punctuation, spacing and case are ignored (a copy with trivial edits keys like its source).

    The views' hashes h₁, h₂, … (0 for an empty view) are chained as k = mix(… mix(mix(h₁) ⊕ h₂) …)
    with :func:`_mix64`, vectorised over the trajectories: keys are equal when every view's hash is
    (only equality is used, within one run)."""
    views = [features.views[t] for t in TARGETS if t in features.views]
    if not views:
        return np.zeros(0, dtype=np.uint64)
    keys = np.zeros(views[0].present.size, dtype=np.uint64)
    for view in views:
        keys = _mix64(keys ^ np.where(view.present, view.token_key if loose else view.view_hash,
                                      np.uint64(0)).astype(np.uint64))
    keys[~np.any(np.stack([v.present for v in views], axis=1), axis=1)] = 0
    return keys


def duplicate_share(keys: np.ndarray) -> tuple[int, int]:
    """(k, n): of the n non-zero ``keys``, the k whose key occurs at least twice — the real set's own
    copy rate leave-one-out (each trajectory against the other m − 1)."""
    present = keys[keys != 0]
    if present.size == 0:
        return 0, 0
    _, inverse, counts = np.unique(present, return_inverse=True, return_counts=True)
    return int(np.count_nonzero(counts[inverse] >= 2)), int(present.size)


def whole_copies(real: PrivacyFeatures, syn: PrivacyFeatures) -> dict[str, Any]:
    """Whole-trajectory copies of D in D′: per kind, ``exact`` (every view equal after case folding and
    whitespace collapsing) and ``near`` (every view's word tokens equal: punctuation, spacing and case
    ignored; includes the exact ones), the count, the eligible synthetic trajectories (a non-empty
    view) and up to :data:`LEAK_LIMIT` pairs ``{"synthetic": i, "real": j}`` (the first real one with
    that key). O(n + m) hashing."""
    out: dict[str, Any] = {}
    for kind, loose in (("exact", False), ("near", True)):
        real_keys, syn_keys = trajectory_keys(real, loose), trajectory_keys(syn, loose)
        rows = np.nonzero(real_keys)[0]
        uniq, first = _first_index(real_keys[rows])
        match = _lookup(uniq, rows[first] if rows.size else first, syn_keys)
        match[syn_keys == 0] = -1
        leaking = np.nonzero(match >= 0)[0]
        out[kind] = {"count": int(leaking.size), "eligible": int(np.count_nonzero(syn_keys)),
                     "pairs": [{"synthetic": int(i), "real": int(match[i])} for i in leaking[:LEAK_LIMIT]]}
    return out


def _ngrams(tokens: Ragged, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every N-gram's polynomial hash, its trajectory and its token position, in order."""
    lengths = np.diff(tokens.offsets)
    counts = np.maximum(lengths - n + 1, 0)
    owner = np.repeat(np.arange(lengths.size), counts)
    pos = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    starts = tokens.offsets[:-1][owner] + pos
    acc = np.zeros(starts.size, dtype=np.uint64)
    for i in range(n):  # uint64 arithmetic wraps: the polynomial mod 2⁶⁴
        acc = acc * _PRIME + tokens.values[starts + i]
    return acc, owner, pos


def verbatim_spans(real: ViewFeatures, syn: ViewFeatures, n: int = SPAN_TOKENS,
                   real_grams: tuple[np.ndarray, np.ndarray] | None = None) -> MetricValue:
    """Share of synthetic trajectories with ≥ ``n`` tokens holding a run of ≥ ``n`` tokens that occurs in
    some real view (see the module docstring). ``real_grams``: D's distinct N-gram hashes and each
    one's first real trajectory (:func:`real_ngrams`), to reuse across synthetic sets. ``leaks``:
    synthetic index, token span [start, end) of its longest copied run, its length and the real index
    holding the run's first N-gram."""
    uniq, first_owner = real_grams if real_grams is not None else real_ngrams(real, n)
    syn_tokens = _tokens(syn)
    hashes, owner, pos = _ngrams(syn_tokens, n)
    src = _lookup(uniq, first_owner, hashes)
    hit = src >= 0
    prev_same = np.concatenate(([False], hit[:-1] & (owner[1:] == owner[:-1])))
    run_start = np.nonzero(hit & ~prev_same)[0]
    run_id = np.cumsum(hit & ~prev_same) - 1
    run_len = np.bincount(run_id[hit], minlength=run_start.size)
    eligible = int((np.diff(syn_tokens.offsets) >= n).sum())
    longest = np.zeros(syn.present.size, dtype=np.int64)
    best_run = np.full(syn.present.size, -1, dtype=np.int64)
    order = np.lexsort((-run_len, owner[run_start]))  # per trajectory, longest run first
    runs_owner = owner[run_start][order]
    keep = np.concatenate(([True], runs_owner[1:] != runs_owner[:-1])) if order.size else order.astype(bool)
    best = order[keep]
    longest[owner[run_start[best]]] = run_len[best] + n - 1
    best_run[owner[run_start[best]]] = best
    leaking = np.nonzero(longest)[0]
    ranked = leaking[np.argsort(-longest[leaking], kind="stable")][:LEAK_LIMIT]
    details: dict[str, Any] = {
        "span_tokens": n,
        "longest_span": {"max": int(longest.max()) if longest.size else 0,
                         "quantiles": _quantiles(longest[leaking]) if leaking.size else None},
        "leaks": [{"synthetic": int(i), "tokens": int(longest[i]),
                   "span": [int(pos[run_start[best_run[i]]]), int(pos[run_start[best_run[i]]] + longest[i])],
                   "real": int(src[run_start[best_run[i]]])} for i in ranked]}
    return _share(int(leaking.size), eligible, details, real.present.size, syn.present.size)


def real_ngrams(real: ViewFeatures, n: int = SPAN_TOKENS) -> tuple[np.ndarray, np.ndarray]:
    """D's distinct N-gram hashes (sorted) and the first real trajectory holding each."""
    hashes, owner, _ = _ngrams(_tokens(real), n)
    uniq, first = _first_index(hashes)
    return uniq, owner[first]


def _salted(salt: bytes, value: str) -> str:
    return hashlib.sha256(salt + value.encode("utf-8")).hexdigest()[:HASH_HEX]


def _tokens(view: ViewFeatures) -> Ragged:
    if view.tokens is None:
        raise ValueError("the token hashes of this view were not computed "
                         "(privacy_features(token_targets=…))")
    return view.tokens


def _found_pii(view: ViewFeatures) -> list[tuple[PiiMatch, ...]]:
    if view.pii is None:
        raise ValueError("the PII of this view was not computed (privacy_features(pii_targets=…))")
    return view.pii


def pii_salt(real: ViewFeatures) -> bytes:
    """The hash salt: SHA-256 of D's distinct PII values of the view (sorted), so that a hash can be
    confirmed only by whoever holds D."""
    values = sorted({m.value for found in _found_pii(real) for m in found})
    return hashlib.sha256("\n".join(values).encode("utf-8")).digest()


def pii_echo(real: ViewFeatures, syn: ViewFeatures) -> MetricValue:
    """Share of synthetic trajectories with a PII-like value that carry a value of D's same view.
    ``details``: ``echoed_values`` (distinct), ``real_values``, ``by_kind`` (distinct echoed per kind),
    ``leaks`` (synthetic index, occurrences as kind, salted hash, character span, first real index)."""
    first_real: dict[str, int] = {}
    for i, found in enumerate(_found_pii(real)):
        for m in found:
            first_real.setdefault(m.value, i)
    salt = pii_salt(real)
    echoed: dict[str, str] = {}
    leaks: list[dict[str, Any]] = []
    eligible = leaking = 0
    for i, found in enumerate(_found_pii(syn)):
        eligible += bool(found)
        hits = [m for m in found if m.value in first_real]
        if not hits:
            continue
        leaking += 1
        echoed.update((m.value, m.kind) for m in hits)
        if len(leaks) < LEAK_LIMIT:
            leaks.append({"synthetic": i, "occurrences": [
                {"kind": m.kind, "hash": _salted(salt, m.value), "span": [m.start, m.end],
                 "real": first_real[m.value]} for m in hits]})
    by_kind: dict[str, int] = {}
    for kind in echoed.values():
        by_kind[kind] = by_kind.get(kind, 0) + 1
    details = {"echoed_values": len(echoed), "real_values": len(first_real), "by_kind": by_kind,
               "leaks": sorted(leaks, key=lambda leak: -len(leak["occurrences"]))}
    return _share(leaking, eligible, details, real.present.size, syn.present.size)


def _quantiles(values: np.ndarray) -> dict[str, float]:
    return {f"q{round(q * 100):02d}": float(v)
            for q, v in zip(QUANTILES, np.quantile(values, QUANTILES), strict=True)}


def near_copies(ref: knn.KnnReference, synthetic: np.ndarray, syn_rows: np.ndarray,
                real_rows: np.ndarray, quantile: float = DCR_QUANTILE) -> MetricValue:
    """Share of synthetic points whose exact distance to the closest real point (DCR) is ≤ τ, the
    ``quantile`` of D's leave-one-out nearest-neighbour distances (copies count at 0; linear
    interpolation). ``syn_rows``/``real_rows`` map embedding rows to trajectory indices. ``null`` when
    D has fewer than 2 points or D′ none. ``leaks``: the synthetic points with DCR ≤ τ, closest first,
    with the real index and the distance."""
    m, n = ref.n, int(synthetic.shape[0])
    if m < 2 or n == 0:
        return MetricValue.null(f"too_few_points: {m} real (needs 2), {n} synthetic", n_real=m, n_synthetic=n)
    loo = np.sqrt(knn.leave_one_out_sq(ref)[ref.points.inverse])
    tau = float(np.quantile(loo, quantile))
    near = knn.nearest_real(ref, synthetic)
    dcr = np.sqrt(near.dist_sq[near.points.inverse])
    first_real = np.zeros(ref.points.rows.shape[0], dtype=np.int64)
    first_real[ref.points.inverse[::-1]] = np.arange(m)[::-1]
    real_of = real_rows[first_real[near.index[near.points.inverse]]]
    close = np.nonzero(dcr <= tau)[0]
    ranked = close[np.argsort(dcr[close], kind="stable")][:LEAK_LIMIT]
    details = {"quantile": quantile, "threshold": tau, "dcr": _quantiles(dcr), "real_loo": _quantiles(loo),
               "leaks": [{"synthetic": int(syn_rows[i]), "real": int(real_of[i]), "distance": float(dcr[i])}
                         for i in ranked]}
    return _share(int(close.size), n, details, m, n)


# ------------------------------------------------------------------------------------------------
# Registration


def _compute(m: MetricInputs, fn: Callable[[ViewFeatures, ViewFeatures], MetricValue]) -> Outcome:
    """``fn`` on both sets' views; ``skipped`` when the privacy features were not built."""
    target = m.spec.target
    if m.real.privacy is None or m.synthetic.privacy is None or target not in m.real.privacy.views \
            or target not in m.synthetic.privacy.views:
        return skipped(m.metric_id, "no_privacy_features: the evaluator did not build the privacy views")
    real, syn = m.real.privacy.views[target], m.synthetic.privacy.views[target]
    if m.spec.target == "tool_calls" and not (real.present.any() or syn.present.any()):
        return skipped(m.metric_id, "no_tool_calls: neither set has tool calls")
    if m.spec.target == "output" and not (real.present.any() and syn.present.any()):
        return skipped(m.metric_id, "no_outputs: a set has no outputs")
    return fn(real, syn)


_META: dict[str, Any] = {"direction": LOWER, "bounds": (0.0, 1.0), "unit": "trajectories",
                         "needs": ("privacy",), "replicas": one_row}  # shares of per-row decisions
_APPLIES = {"instructions": lambda c: True, "tool_calls": has_tool_calls, "output": has_outputs}
_WHAT = {"instructions": "user turns", "tool_calls": "tool calls", "output": "final output"}


def _exact(m: MetricInputs) -> Outcome:
    return _compute(m, exact_copies)


def _spans(m: MetricInputs) -> Outcome:
    key = f"privacy.ngrams.{m.spec.target}.n{SPAN_TOKENS}"

    def spans(real: ViewFeatures, syn: ViewFeatures) -> MetricValue:
        if key not in m.real.memo:
            m.real.memo[key] = real_ngrams(real, SPAN_TOKENS)
        return verbatim_spans(real, syn, SPAN_TOKENS, m.real.memo[key])

    return _compute(m, spans)


def _pii(m: MetricInputs) -> Outcome:
    return _compute(m, pii_echo)


def _near(m: MetricInputs) -> Outcome:
    target = m.spec.target
    real, syn = m.real, m.synthetic
    if target == "output" and (real.n_outputs == 0 or syn.n_outputs == 0):
        return skipped(m.metric_id, "no_outputs: a set has no outputs")
    x, y = (real.transcripts, syn.transcripts) if target == "instructions" else (real.outputs, syn.outputs)
    if x is None or y is None:
        raise ValueError(f"{m.metric_id}: embeddings were not computed")
    k = m.context.options.knn_k
    ref_key = f"knn_reference.{target}.k{k}"  # the k-NN fidelity metrics' reference (same pass)
    if ref_key not in real.memo:
        real.memo[ref_key] = knn.prepare(x, k)
    return near_copies(real.memo[ref_key], y, _rows(syn, target), _rows(real, target))


def _rows(f: DatasetFeatures, target: str) -> np.ndarray:
    """Trajectory index of each embedding row (outputs: only trajectories with an output)."""
    return np.arange(f.n) if target == "instructions" else np.nonzero(f.output_row >= 0)[0]


for _target in TARGETS:
    _applies = _APPLIES[_target]
    metric(f"privacy.{_target}.exact_copies", applies=_applies, **_META,
           meaning=f"Share of synthetic trajectories whose {_WHAT[_target]} are an exact copy (up to case "
                   "and spacing) of a real trajectory's.")(_exact)
    if _target != "tool_calls":
        embedded = "transcripts" if _target == "instructions" else "outputs"
        metric(f"privacy.{_target}.near_copies", applies=_applies, **{**_META, "needs": (embedded,)},
               meaning=f"Share of synthetic trajectories whose {_WHAT[_target]} lie closer to a real one "
                       "than 95 % of real trajectories lie to their nearest real neighbour "
                       "(near-copies).")(_near)
        metric(f"privacy.{_target}.verbatim_spans", applies=_applies,
               **{**_META, "needs": ("privacy", "tokens")},
               meaning=f"Share of synthetic trajectories whose {_WHAT[_target]} contain a passage of at "
                       f"least {SPAN_TOKENS} words copied verbatim from the real data.")(_spans)
    metric(f"privacy.{_target}.pii_echo", applies=_applies, **{**_META, "needs": ("privacy", "pii")},
           meaning=f"Share of synthetic trajectories with personal data (e-mail, phone, IBAN, card, "
                   f"IP, credentials) in their {_WHAT[_target]} that repeat a value found in the real "
                   "data.")(_pii)
