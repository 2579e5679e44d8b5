"""What the metrics read from one dataset: :class:`DatasetFeatures` (one row per trajectory).

``synae.run.scoring.evaluation.Evaluator.features`` builds them (it knows the preset and the embedder);
the registered metric computations (:mod:`synae.metrics.computations`) read them. Keeping the type
here lets the metric layer type against it without importing the application layer. The privacy
views of a dataset (:class:`PrivacyFeatures`, one :class:`ViewFeatures` per target) live here too,
as plain containers: :func:`synae.metrics.privacy.privacy_features` builds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # annotation only: importing synae.embed costs ~0.5 s
    from synae.embed import EmbeddingStats
    from synae.metrics.pii import PiiMatch


def share_equal(rows: Sequence[Sequence[str]]) -> list[Any]:
    """``rows`` (lists or tuples of strings, all of one type) with equal rows sharing one object, the
    first of them: per-record label lists and tool-name tuples repeat (a few hundred distinct ones
    among a million records), so one object each instead of one per record saves most of their
    memory. The rows must be read-only from then on."""
    first: dict[tuple[str, ...], Any] = {}
    return [first.setdefault(tuple(row), row) for row in rows]


def share_raw(values: Sequence[Any]) -> list[Any]:
    """:func:`share_equal` for raw JSON values of mixed types: only strings and lists of strings are
    shared (by type and content); any other value is kept as it is (numbers must keep their own
    type: ``1``, ``1.0`` and ``True`` are equal keys)."""
    first: dict[Any, Any] = {}
    out = []
    for value in values:
        kind = type(value)
        if kind is str:
            out.append(first.setdefault(value, value))
        elif kind is list and all(type(x) is str for x in value):
            out.append(first.setdefault((list, *value), value))
        else:
            out.append(value)
    return out


@dataclass
class Ragged:
    """Per-trajectory variable-length float values: trajectory i owns ``values[offsets[i]:offsets[i+1]]``."""

    values: np.ndarray
    offsets: np.ndarray

    @classmethod
    def from_lists(cls, lists: Sequence[Sequence[float]]) -> Ragged:
        lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        values = np.fromiter((v for x in lists for v in x), dtype=np.float64, count=int(offsets[-1]))
        return cls(values, offsets)

    @classmethod
    def concat(cls, parts: Sequence[Ragged]) -> Ragged:
        """The trajectories of ``parts`` one after the other (consecutive chunks of a dataset)."""
        lengths = np.concatenate([np.diff(p.offsets) for p in parts]) if parts else np.zeros(0, np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        values = np.concatenate([p.values for p in parts]) if parts else np.zeros(0)
        return cls(values, offsets)

    def take(self, indices: np.ndarray) -> Ragged:
        """The values of trajectories ``indices`` (repeats allowed), in that order."""
        lengths = np.diff(self.offsets)[indices]
        starts = self.offsets[:-1][indices]
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        pos = np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths) + np.repeat(starts, lengths)
        return Ragged(self.values[pos], offsets)


@dataclass
class ViewFeatures:
    """One target's view of a dataset: per trajectory whether the view is non-empty, its normalised
    hash, the hash of its word-token sequence (``token_key``, 0 where absent), its token hashes
    (uint64, ragged) and its PII-like values. The token hashes and the PII are ``None`` when not
    computed: only ``verbatim_spans`` and ``pii_echo`` read them, and they are most of the cost and
    (the tokens) most of the memory."""

    present: np.ndarray  # bool
    view_hash: np.ndarray  # uint64 (0 where absent)
    token_key: np.ndarray  # uint64 (0 where absent)
    tokens: Ragged | None
    pii: list[tuple[PiiMatch, ...]] | None

    def take(self, idx: np.ndarray) -> ViewFeatures:
        return ViewFeatures(self.present[idx], self.view_hash[idx], self.token_key[idx],
                            None if self.tokens is None else self.tokens.take(idx),
                            None if self.pii is None else [self.pii[i] for i in idx])

    @classmethod
    def concat(cls, parts: Sequence[ViewFeatures]) -> ViewFeatures:
        """The views of consecutive chunks of trajectories, in order."""
        pii = None if any(p.pii is None for p in parts) else [m for p in parts for m in p.pii or ()]
        tokens = (None if any(p.tokens is None for p in parts)
                  else Ragged.concat([p.tokens for p in parts if p.tokens is not None]))
        return cls(np.concatenate([p.present for p in parts]), np.concatenate([p.view_hash for p in parts]),
                   np.concatenate([p.token_key for p in parts]), tokens, pii)


@dataclass
class PrivacyFeatures:
    """The privacy views of one dataset, per target (:attr:`DatasetFeatures.privacy`)."""

    views: dict[str, ViewFeatures]

    def take(self, indices: np.ndarray) -> PrivacyFeatures:
        """The features of trajectories ``indices`` (repeats allowed)."""
        return PrivacyFeatures({t: v.take(indices) for t, v in self.views.items()})

    @classmethod
    def concat(cls, parts: Sequence[PrivacyFeatures]) -> PrivacyFeatures:
        """The features of consecutive chunks of trajectories (same targets), in order."""
        return cls({t: ViewFeatures.concat([p.views[t] for p in parts]) for t in parts[0].views})


@dataclass(eq=False)
class DatasetFeatures:
    """Everything the metrics read from one dataset, per trajectory (row i ↔ trajectory i).

    Embedding arrays are ``None`` when no selected metric needs them. ``outputs``/``output_tokens``
    hold rows only for trajectories with an output; ``output_row[i]`` is trajectory i's row or −1.
    ``memo`` keeps values computed once per feature set (the real side's k-NN radii and diversity).
    ``weight`` is how many identical trajectories each row stands for (1 except in the collapse
    anchor, which gives a few rows of one trajectory the weight of all its copies; only metrics
    whose ``replicas`` say so read it, see :mod:`synae.metrics.registry`).
    """

    name: str
    n: int
    calls: list[tuple[str, ...]]
    unparsable_code: int
    numeric: dict[str, Ragged]
    categorical: dict[str, list[list[str]]]
    ad_labels: list[tuple[str, ...]] | None
    output_row: np.ndarray
    output_tokens: np.ndarray
    transcripts: np.ndarray | None = None
    outputs: np.ndarray | None = None
    pair_sims: dict[str, Ragged] = field(default_factory=dict)
    embedding: dict[str, EmbeddingStats] = field(default_factory=dict)
    privacy: PrivacyFeatures | None = None  # view hashes, token hashes, PII (synae.metrics.privacy)
    weight: float = 1.0
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_outputs(self) -> int:
        return int(self.output_tokens.size)

    @classmethod
    def concat(cls, parts: Sequence[DatasetFeatures], name: str) -> DatasetFeatures:
        """The features of a dataset read in consecutive chunks, from each chunk's features (same
        selected features in every part; ``embedding`` statistics merged per source, ``n_unique``
        summed over chunks; ``memo`` empty). At least one part."""
        first = parts[0]
        offsets = np.cumsum([0, *(p.n_outputs for p in parts[:-1])])
        output_row = np.concatenate([np.where(p.output_row >= 0, p.output_row + o, -1)
                                     for p, o in zip(parts, offsets, strict=True)])
        embedding: dict[str, EmbeddingStats] = {}
        for p in parts:
            for source, stats in p.embedding.items():
                embedding[source] = embedding[source].merge(stats) if source in embedding else stats
        return cls(
            name=name, n=sum(p.n for p in parts), calls=[c for p in parts for c in p.calls],
            unparsable_code=sum(p.unparsable_code for p in parts),
            numeric={k: Ragged.concat([p.numeric[k] for p in parts]) for k in first.numeric},
            categorical={k: [v for p in parts for v in p.categorical[k]] for k in first.categorical},
            ad_labels=None if first.ad_labels is None else [a for p in parts for a in p.ad_labels or ()],
            output_row=output_row.astype(np.int64),
            output_tokens=np.concatenate([p.output_tokens for p in parts]),
            transcripts=_stack([p.transcripts for p in parts]), outputs=_stack([p.outputs for p in parts]),
            pair_sims={k: Ragged.concat([p.pair_sims[k] for p in parts]) for k in first.pair_sims},
            embedding=embedding,
            privacy=None if first.privacy is None else type(first.privacy).concat(
                [p.privacy for p in parts if p.privacy is not None]))

    def subset(self, indices: Sequence[int] | np.ndarray) -> DatasetFeatures:
        """Features of the trajectories ``indices`` (repeats allowed; nothing is re-embedded)."""
        idx = np.asarray(indices, dtype=np.int64)
        rows = self.output_row[idx]
        kept = rows[rows >= 0]
        new_row = np.full(idx.size, -1, dtype=np.int64)
        new_row[rows >= 0] = np.arange(kept.size)
        return DatasetFeatures(
            name=self.name, n=int(idx.size), calls=[self.calls[i] for i in idx],
            unparsable_code=self.unparsable_code,
            numeric={k: v.take(idx) for k, v in self.numeric.items()},
            categorical={k: [v[i] for i in idx] for k, v in self.categorical.items()},
            ad_labels=None if self.ad_labels is None else [self.ad_labels[i] for i in idx],
            output_row=new_row, output_tokens=self.output_tokens[kept],
            transcripts=None if self.transcripts is None else self.transcripts[idx],
            outputs=None if self.outputs is None else self.outputs[kept],
            pair_sims={k: v.take(idx) for k, v in self.pair_sims.items()},
            embedding=dict(self.embedding),
            privacy=None if self.privacy is None else self.privacy.take(idx), weight=self.weight)


def _stack(arrays: Sequence[np.ndarray | None]) -> np.ndarray | None:
    """Rows of every array one after the other (float32; arrays without rows are skipped, so a
    chunk without records of a view adds nothing); ``None`` when the feature was not built."""
    if any(a is None for a in arrays):
        return None
    present = [a for a in arrays if a is not None]
    with_rows = [a for a in present if a.shape[0]] or present[:1]
    return np.concatenate([np.asarray(a, dtype=np.float32) for a in with_rows])
