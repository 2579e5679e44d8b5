"""Orchestration: datasets → features → metrics → :class:`~synae.report.models.EvaluationReport`.

The work is split in two stages so that callers can reuse the expensive part:

1. :meth:`Evaluator.features` turns a :class:`~synae.schema.Dataset` into :class:`DatasetFeatures`
   (embeddings, tool-name sequences, attribute values, turn-pair similarities — everything a metric
   reads). The real side is computed once per :class:`Evaluator`.
2. :meth:`Evaluator.compute_metrics` runs the pure metric functions on two feature sets.

:meth:`DatasetFeatures.subset` resamples rows (with repeats) without re-embedding, for bootstrap
confidence intervals and real-vs-real noise floors. Which metrics run is decided by the preset
(``metrics.md`` §4.1), the config and optional glob patterns over metric IDs; nothing is embedded
(the model is not even loaded) when no selected metric needs embeddings. A metric that cannot apply
is ``skipped`` with a reason; an error inside one metric makes it ``failed`` and the others still run.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synae import __version__
from synae.config import Config
from synae.embed import Embedder, EmbeddingPipeline, EmbeddingStats, get_embedder, make_pipeline
from synae.errors import ConfigError
from synae.metrics import diversity, fidelity, knn
from synae.metrics.base import MetricValue
from synae.metrics.pairs import turn_pairs
from synae.metrics.registry import failed, make_result, skipped, spec
from synae.presets import Preset, detect_preset, get_preset
from synae.presets.base import NUMERIC_ATTRIBUTES
from synae.report.models import DatasetSummary, EmbedderInfo, EvaluationReport, MetricResult
from synae.schema import Dataset, Trajectory
from synae.views import instruction_transcript, tool_call_sequence

ExtraMetrics = Callable[[Dataset, Dataset], list[MetricResult]]
OUTPUT_ATTRIBUTE_IDS = {"output_token_length": "fidelity.output.am.token_length"}
PAIR_CHUNK = 65_536


# ------------------------------------------------------------------------------------------------
# Ragged per-trajectory values


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

    def take(self, indices: np.ndarray) -> Ragged:
        """The values of trajectories ``indices`` (repeats allowed), in that order."""
        lengths = np.diff(self.offsets)[indices]
        starts = self.offsets[:-1][indices]
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        pos = np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths) + np.repeat(starts, lengths)
        return Ragged(self.values[pos], offsets)


# ------------------------------------------------------------------------------------------------
# Features


@dataclass(eq=False)
class DatasetFeatures:
    """Everything the metrics read from one dataset, per trajectory (row i ↔ trajectory i).

    Embedding arrays are ``None`` when no selected metric needs them. ``outputs``/``output_tokens``
    hold rows only for trajectories with an output; ``output_row[i]`` is trajectory i's row or −1.
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
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # per-feature-set computed values

    @property
    def n_outputs(self) -> int:
        return int(self.output_tokens.size)

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
            embedding=dict(self.embedding))


# ------------------------------------------------------------------------------------------------
# Which metrics apply


def planned_metrics(preset: Preset, config: Config, real: Sequence[Trajectory] = ()) -> list[str]:
    """Every metric ID the preset computes (``metrics.md`` §4.1), in report order."""
    ids = [f"fidelity.instructions.knd.{p}" for p in preset.knd_pairs]
    ids += [f"fidelity.instructions.am.{a}" for a in am_attributes(preset, real)]
    ids += ["fidelity.instructions.knn_precision", "fidelity.instructions.knn_recall",
            "fidelity.instructions.fid"]
    if preset.has_tool_calls:
        ids += ["fidelity.tool_calls.tum", "fidelity.tool_calls.tcnm"]
        ids += [f"fidelity.tool_calls.planning.k{k}" for k in config.metrics.planning_k]
    if preset.has_outputs:
        ids += ["fidelity.output.knn_precision", "fidelity.output.knn_recall", "fidelity.output.fid"]
        ids += [OUTPUT_ATTRIBUTE_IDS[a] for a in preset.output_am_attributes if a in OUTPUT_ATTRIBUTE_IDS]
    ids += ["diversity.instructions.vendi", "diversity.instructions.ad"]
    if preset.has_tool_calls:
        ids.append("diversity.tool_calls.vendi")
    if preset.has_outputs:
        ids.append("diversity.output.vendi")
    return ids


def am_attributes(preset: Preset, real: Sequence[Trajectory]) -> list[str]:
    """AM attributes: the preset's, plus (generic preset) every stored attribute of the real set."""
    names = list(preset.am_attributes)
    if preset.name == "generic":
        for traj in real:
            names.extend(a for a in traj.attributes if a not in names)
    return names


def select_metrics(ids: Sequence[str], patterns: str | Sequence[str] | None) -> list[str]:
    """IDs matching any of the glob ``patterns`` (comma-separated string or list); all when ``None``."""
    if patterns is None:
        return list(ids)
    pats = [p.strip() for p in (patterns.split(",") if isinstance(patterns, str) else patterns) if p.strip()]
    chosen = [i for i in ids if any(fnmatch.fnmatchcase(i, p) for p in pats)]
    if not chosen:
        raise ConfigError(f"--metrics {','.join(pats)!r} selects no metric; available: {', '.join(ids)}")
    return chosen


# ------------------------------------------------------------------------------------------------
# The evaluator


class Evaluator:
    """Evaluates synthetic datasets against one real dataset (real-side features computed once).

    ``preset``: a name or :class:`Preset` (detected from ``real`` when ``None``); ``metric_patterns``:
    glob patterns over metric IDs; ``embedder``: an :class:`Embedder`, an
    :class:`EmbeddingPipeline` or an embedder name (default: ``config.embedding.model``).
    """

    def __init__(self, real: Dataset, config: Config | None = None, *, preset: str | Preset | None = None,
                 metric_patterns: str | Sequence[str] | None = None,
                 embedder: Embedder | EmbeddingPipeline | str | None = None, progress: bool = True) -> None:
        self.real = real
        self.config = config or Config()
        name = preset if isinstance(preset, str) else None
        if preset is None:
            name = self.config.preset or detect_preset(real)
        self.preset: Preset = preset if isinstance(preset, Preset) else get_preset(name)  # type: ignore[arg-type]
        self.options = self.config.metrics
        self.metric_ids = select_metrics(planned_metrics(self.preset, self.config, real.trajectories),
                                         metric_patterns)
        self._embedder_arg = embedder
        self._pipeline = embedder if isinstance(embedder, EmbeddingPipeline) else None
        self.progress = progress
        self._needs = {spec(i).embeds for i in self.metric_ids} - {None}
        self._real_features: DatasetFeatures | None = None
        self._declared = self.preset.declared_tools if self.preset.has_tool_calls else frozenset()
        self._ad_attributes = self.preset.ad_attributes(self.options, real.trajectories)
        self.metric_seconds: dict[str, float] = {}  # wall time per metric of the last compute_metrics

    # -- embeddings --------------------------------------------------------------------------

    @property
    def pipeline(self) -> EmbeddingPipeline:
        """The embedding pipeline (built on first use; the model itself loads on first encode)."""
        if self._pipeline is None:
            emb = self._embedder_arg
            if isinstance(emb, str):
                emb = get_embedder(emb, self.config.embedding)
            self._pipeline = make_pipeline(self.config.embedding, emb, progress=self.progress)
        return self._pipeline

    def _embed(self, texts: list[str]) -> tuple[np.ndarray, EmbeddingStats]:
        out = self.pipeline.embed(texts)
        return out.vectors, out.stats

    # -- features ----------------------------------------------------------------------------

    @property
    def real_features(self) -> DatasetFeatures:
        if self._real_features is None:
            self._real_features = self.features(self.real)
        return self._real_features

    def features(self, dataset: Dataset) -> DatasetFeatures:
        """All features of ``dataset`` that the selected metrics need."""
        trajs = dataset.trajectories
        preset, opts = self.preset, self.options
        calls: list[tuple[str, ...]] = []
        unparsable = 0
        if preset.has_tool_calls:
            for t in trajs:
                seq = tool_call_sequence(t, scope=opts.code_parse_scope or "message",
                                         extraction=opts.call_extraction or "non_builtin",
                                         declared_tools=self._declared)
                calls.append(tuple(seq.names))
                unparsable += seq.unparsable_code
        else:
            calls = [()] * len(trajs)
        numeric, categorical = self._attributes(trajs)
        wants_ad = "diversity.instructions.ad" in self.metric_ids
        out_tokens = [preset.numeric_values(t, "output_token_length") for t in trajs]
        output_row = np.full(len(trajs), -1, dtype=np.int64)
        has_out = np.array([t.output is not None for t in trajs], dtype=bool)
        output_row[has_out] = np.arange(int(has_out.sum()))
        feats = DatasetFeatures(
            name=dataset.name, n=len(trajs), calls=calls, unparsable_code=unparsable, numeric=numeric,
            categorical=categorical,
            ad_labels=self._ad(trajs, categorical) if wants_ad else None,
            output_row=output_row,
            output_tokens=np.array([v[0] for v in out_tokens if v], dtype=np.float64))
        if "transcripts" in self._needs:
            roles = preset.instruction_roles
            feats.transcripts, feats.embedding["transcripts"] = self._embed(
                [instruction_transcript(t, roles) for t in trajs])
        if "outputs" in self._needs:
            texts = [t.output for t in trajs if t.output is not None]
            feats.outputs, feats.embedding["outputs"] = self._embed(texts)  # type: ignore[arg-type]
        if "pairs" in self._needs:
            feats.pair_sims, stats = self._pair_similarities(trajs)
            if stats is not None:
                feats.embedding["pairs"] = stats
        return feats

    def _attributes(self, trajs: list[Trajectory]) -> tuple[dict[str, Ragged], dict[str, list[list[str]]]]:
        numeric: dict[str, Ragged] = {}
        categorical: dict[str, list[list[str]]] = {}
        prefix = "fidelity.instructions.am."
        wanted = [i[len(prefix):] for i in self.metric_ids if i.startswith(prefix)]
        if "fidelity.output.am.token_length" in self.metric_ids:
            wanted.append("output_token_length")
        builtin_numeric = set(NUMERIC_ATTRIBUTES) | set(self.preset.extra_numeric_attributes())
        for attr in wanted:
            if attr in builtin_numeric:
                numeric[attr] = Ragged.from_lists([self.preset.numeric_values(t, attr) for t in trajs])
                continue
            values = self.preset.attribute_values(trajs, attr, self.options)
            if values.kind == "categorical":
                categorical[attr] = values.values
            else:  # a stored numeric attribute: one value per trajectory that has a number
                numeric[attr] = Ragged.from_lists([_stored_number(t.attributes.get(attr)) for t in trajs])
        return numeric, categorical

    def _ad(self, trajs: list[Trajectory], am_labels: dict[str, list[list[str]]]) -> list[tuple[str, ...]]:
        """AD combinations. For keyword attributes whose multi-labels AM already computed, the
        first-match label is the first multi-label (both follow vocabulary order, ``"Other"`` when
        nothing matches), so the transcript is not matched twice; other attributes ask the preset."""
        preset = self.preset
        reusable = {a for a in self._ad_attributes if a in am_labels and a in preset.keyword_vocabularies()}
        if type(preset).ad_label is not Preset.ad_label:  # a preset with its own first-match rule
            reusable = set()
        columns = []
        for attr in self._ad_attributes:
            if attr in reusable:
                columns.append([labels[0] for labels in am_labels[attr]])
            else:
                columns.append([preset.ad_label(t, attr, self.options) for t in trajs])
        return list(zip(*columns, strict=True)) if columns else [() for _ in trajs]

    def _pair_similarities(self, trajs: list[Trajectory]) -> tuple[dict[str, Ragged], EmbeddingStats | None]:
        prefix = "fidelity.instructions.knd."
        pair_types = [i[len(prefix):] for i in self.metric_ids if i.startswith(prefix)]
        per_type: dict[str, list[list[tuple[str, str]]]] = {
            p: [turn_pairs(t, p) for t in trajs] for p in pair_types}
        texts = [s for lists in per_type.values() for pairs in lists for pair in pairs for s in pair]
        if not texts:
            return {p: Ragged.from_lists([[] for _ in trajs]) for p in pair_types}, None
        out = self.pipeline.embed(texts)
        unique = out.unique
        sims: dict[str, Ragged] = {}
        pos = 0
        for p, lists in per_type.items():
            counts = [len(pairs) for pairs in lists]
            total = sum(counts)
            first = out.inverse[pos:pos + 2 * total:2]
            second = out.inverse[pos + 1:pos + 2 * total:2]
            pos += 2 * total
            values = np.empty(total)
            for s in range(0, total, PAIR_CHUNK):  # O(chunk · d) memory, never all pair vectors at once
                a = unique[first[s:s + PAIR_CHUNK]].astype(np.float64)
                b = unique[second[s:s + PAIR_CHUNK]].astype(np.float64)
                values[s:s + PAIR_CHUNK] = np.einsum("ij,ij->i", a, b)
            offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
            sims[p] = Ragged(values, offsets)
        return sims, out.stats

    # -- metrics -----------------------------------------------------------------------------

    def compute_metrics(self, real: DatasetFeatures, synthetic: DatasetFeatures) -> dict[str, MetricResult]:
        """Every selected metric of ``synthetic`` against ``real`` (diversity also on ``real``)."""
        results: dict[str, MetricResult] = {}
        shared: dict[str, Any] = {}
        self.metric_seconds = {}
        for metric_id in self.metric_ids:
            start = time.perf_counter()
            try:
                results[metric_id] = self._compute(metric_id, real, synthetic, shared)
            except Exception as exc:  # one metric's error never stops the others
                results[metric_id] = failed(metric_id, f"error: {type(exc).__name__}: {exc}")
            self.metric_seconds[metric_id] = time.perf_counter() - start
        return results

    def _compute(self, metric_id: str, real: DatasetFeatures, syn: DatasetFeatures,
                 shared: dict[str, Any]) -> MetricResult:
        opts = self.options
        parts = metric_id.split(".")
        pillar, target, name = parts[0], parts[1], ".".join(parts[2:])
        if pillar == "diversity":
            return self._diversity(metric_id, target, real, syn)
        if target == "instructions" and name.startswith("knd."):
            if opts.knd_pairing != "within":
                return skipped(metric_id, "not_implemented: knd_pairing='flattened' (a legacy diagnostic of "
                                          "the research code) is not available; use 'within'")
            pair = name[4:]
            value = fidelity.knd(real.pair_sims[pair].values, syn.pair_sims[pair].values,
                                 order=opts.wasserstein_order)
            return self._result(metric_id, value, real, syn, "pairs")
        if name.startswith("am.") and target in ("instructions", "output"):
            attr = "output_token_length" if target == "output" else name[3:]
            if target == "output" and (real.n_outputs == 0 or syn.n_outputs == 0):
                return skipped(metric_id, "no_outputs: a set has no outputs", **_output_counts(real, syn))
            if attr in real.categorical and attr in syn.categorical:
                value = fidelity.categorical_match(real.categorical[attr], syn.categorical[attr])
                return make_result(metric_id, value, categorical=True)
            if attr in real.numeric and attr in syn.numeric:
                value = fidelity.numeric_match(real.numeric[attr].values, syn.numeric[attr].values,
                                               order=opts.wasserstein_order)
                if target == "output":
                    value.details.update(_output_counts(real, syn)["details"])
                return make_result(metric_id, value)
            return failed(metric_id, f"attribute_kind_mismatch: {attr!r} differs in kind between the sets")
        if name in ("knn_precision", "knn_recall", "fid"):
            source = "transcripts" if target == "instructions" else "outputs"
            x, y = getattr(real, source), getattr(syn, source)
            if target == "output" and (real.n_outputs == 0 or syn.n_outputs == 0):
                return skipped(metric_id, "no_outputs: a set has no outputs", **_output_counts(real, syn))
            if name == "fid":
                value = fidelity.frechet_distance(x, y, eps=opts.fid_eps, equal_n=opts.fid_equal_n,
                                                  seed=self.config.seed)
            else:
                key = f"knn.{target}"
                if key not in shared:
                    # the real side's radii are computed once per real feature set (memo)
                    ref_key = f"knn_reference.{target}.k{opts.knn_k}"
                    if ref_key not in real.memo:
                        real.memo[ref_key] = knn.prepare(x, opts.knn_k)
                    shared[key] = knn.knn_precision_recall(real.memo[ref_key], y, k=opts.knn_k)
                value = shared[key][0 if name == "knn_precision" else 1]
            if target == "output":
                value.details.update(_output_counts(real, syn)["details"])
                if _distinct_rows(x, y) <= 2:
                    value.warnings.append("degenerate_outputs: at most 2 distinct output texts")
            return self._result(metric_id, value, real, syn, source)
        if target == "tool_calls":
            if not any(real.calls) and not any(syn.calls):
                return skipped(metric_id, "no_tool_calls: neither set has tool calls")
            vocab = self.preset.tool_vocabulary
            if name == "tum":
                value = fidelity.tool_usage_match(real.calls, syn.calls, vocab)
            elif name == "tcnm":
                value = fidelity.tool_call_number_match(real.calls, syn.calls, order=opts.wasserstein_order)
            elif name.startswith("planning.k"):
                value = fidelity.planning_distance(real.calls, syn.calls, int(name[len("planning.k"):]),
                                                   vocabulary=vocab, weighting=opts.planning_weighting)
            else:
                raise KeyError(metric_id)
            value.details["unparsable_code"] = {"real": real.unparsable_code,
                                                "synthetic": syn.unparsable_code}
            return make_result(metric_id, value)
        raise KeyError(f"no computation registered for {metric_id!r}")

    def _diversity(self, metric_id: str, target: str, real: DatasetFeatures,
                   syn: DatasetFeatures) -> MetricResult:
        if target == "output" and syn.n_outputs == 0:
            return skipped(metric_id, "no_outputs: the synthetic set has no outputs", n_synthetic=0)
        if target == "tool_calls" and not any(syn.calls) and not any(real.calls):
            return skipped(metric_id, "no_tool_calls: neither set has tool calls")
        if metric_id.endswith(".ad") and not self._ad_attributes:
            return skipped(metric_id, "no_ad_attributes: the preset/config names no AD attribute")
        k_possible = self._ad_possible(real, syn) if metric_id.endswith(".ad") else None
        value = self._diversity_value(metric_id, syn, k_possible)
        if metric_id not in real.memo:
            real.memo[metric_id] = self._diversity_value(metric_id, real, k_possible)
        ref = real.memo[metric_id]
        value.details["real_value"] = ref.value
        value.n_real = ref.n_synthetic
        source = {"instructions": "transcripts", "output": "outputs"}.get(target)
        if metric_id.endswith(".vendi") and source:
            return self._result(metric_id, value, real, syn, source)
        return make_result(metric_id, value)

    def _diversity_value(self, metric_id: str, f: DatasetFeatures, k_possible: int | None) -> MetricValue:
        opts = self.options
        if metric_id == "diversity.instructions.vendi":
            return diversity.vendi_cosine(f.transcripts)  # type: ignore[arg-type]
        if metric_id == "diversity.output.vendi":
            if f.n_outputs == 0:
                return MetricValue.null("no_outputs")
            return diversity.vendi_cosine(f.outputs)  # type: ignore[arg-type]
        if metric_id == "diversity.tool_calls.vendi":
            return diversity.tool_vendi(f.calls, kernel=opts.tool_vendi_kernel,
                                        negative=opts.vendi_negative_eigenvalues)
        if metric_id == "diversity.instructions.ad":
            value = diversity.attribute_diversity(f.ad_labels or [], k_possible)
            value.details["attributes"] = list(self._ad_attributes)
            return value
        raise KeyError(metric_id)

    def _ad_possible(self, real: DatasetFeatures, syn: DatasetFeatures) -> int | None:
        """K = Π over AD attributes of the number of possible labels: keyword vocabularies have
        len(terms) + 1 (``"Other"``); other attributes the labels observed in D ∪ D′."""
        if not self._ad_attributes:
            return None
        vocabularies = self.preset.keyword_vocabularies()
        k = 1
        for j, attr in enumerate(self._ad_attributes):
            if attr in vocabularies:
                k *= len(vocabularies[attr]) + 1
            else:
                k *= len({c[j] for c in (real.ad_labels or [])} | {c[j] for c in (syn.ad_labels or [])})
        return k

    def _result(self, metric_id: str, value: MetricValue, real: DatasetFeatures, syn: DatasetFeatures,
                source: str) -> MetricResult:
        stats = [f.embedding[source] for f in (real, syn) if source in f.embedding]
        if stats:
            merged = stats[0] if len(stats) == 1 else stats[0].merge(stats[1])
            value.details["embedding"] = merged.to_dict()
        return make_result(metric_id, value)

    # -- reports -----------------------------------------------------------------------------

    def evaluate(self, synthetic: Dataset, extra_metrics: ExtraMetrics | None = None, *,
                 synthetic_features: DatasetFeatures | None = None) -> EvaluationReport:
        """Evaluate ``synthetic`` against the real set; ``extra_metrics(real, synthetic)`` adds
        records computed elsewhere (validity checkers, downstream agents). Pass
        ``synthetic_features`` (from :meth:`features`) when the caller needs them too."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        real_f = self.real_features
        timings["features_real"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        syn_f = synthetic_features if synthetic_features is not None else self.features(synthetic)
        timings["features_synthetic"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        metrics = self.compute_metrics(real_f, syn_f)
        timings["metrics"] = time.perf_counter() - t2
        timings.update({f"metric:{k}": v for k, v in self.metric_seconds.items()})
        warnings: list[str] = []
        if extra_metrics is not None:
            t3 = time.perf_counter()
            try:
                for result in extra_metrics(self.real, synthetic):
                    metrics[result.id] = result
            except Exception as exc:
                warnings.append(f"extra metrics failed: {type(exc).__name__}: {exc}")
            timings["extra_metrics"] = time.perf_counter() - t3
        timings["total"] = time.perf_counter() - t0
        return self.report(synthetic, metrics, real_f, syn_f, timings=timings, warnings=warnings)

    def report(self, synthetic: Dataset, metrics: dict[str, MetricResult], real_f: DatasetFeatures,
               syn_f: DatasetFeatures, *, timings: dict[str, float] | None = None,
               warnings: list[str] | None = None) -> EvaluationReport:
        """Wrap computed metrics into an :class:`EvaluationReport` (config, datasets, embedder)."""
        config = self.config.resolved()
        config["preset"] = self.preset.name
        config["metric_ids"] = list(self.metric_ids)
        report = EvaluationReport(
            synae_version=__version__,
            created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            config=config, datasets={"real": _summary(self.real), "synthetic": _summary(synthetic)},
            embedder=self._embedder_info(real_f, syn_f), metrics=metrics, timings=timings or {})
        if warnings:
            report.warnings = warnings  # type: ignore[attr-defined]
        return report

    def _embedder_info(self, real_f: DatasetFeatures, syn_f: DatasetFeatures) -> EmbedderInfo | None:
        stats = [s for f in (real_f, syn_f) for s in f.embedding.values()]
        if not stats:
            return None
        merged = stats[0]
        for s in stats[1:]:
            merged = merged.merge(s)
        per_source = {f"{side}.{src}": s.to_dict() for side, f in (("real", real_f), ("synthetic", syn_f))
                      for src, s in f.embedding.items()}
        return EmbedderInfo(model=merged.model, dimension=merged.dimension, window=merged.window,
                            stats={**merged.to_dict(), "per_source": per_source})


def _stored_number(value: Any) -> list[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return [float(value)]
    return []


def _output_counts(real: DatasetFeatures, syn: DatasetFeatures) -> dict[str, Any]:
    return {"details": {"without_output_real": real.n - real.n_outputs,
                        "without_output_syn": syn.n - syn.n_outputs}}


def _distinct_rows(*arrays: np.ndarray | None) -> int:
    rows = [a for a in arrays if a is not None and a.size]
    if not rows:
        return 0
    stacked = np.ascontiguousarray(np.vstack(rows))
    return int(np.unique(stacked.view(np.dtype((np.void, stacked.dtype.itemsize * stacked.shape[1])))).size)


def _summary(dataset: Dataset) -> DatasetSummary:
    return DatasetSummary(name=dataset.name, source=dataset.source, format=dataset.format, n=len(dataset),
                          fingerprint=dataset.fingerprint(), n_skipped=dataset.n_skipped)


def evaluate(real: Dataset, synthetic: Dataset, config: Config | None = None, *,
             extra_metrics: ExtraMetrics | None = None, **kwargs: Any) -> EvaluationReport:
    """Evaluate ``synthetic`` against ``real`` (keyword arguments go to :class:`Evaluator`)."""
    return Evaluator(real, config, **kwargs).evaluate(synthetic, extra_metrics=extra_metrics)


__all__ = ["DatasetFeatures", "Evaluator", "ExtraMetrics", "Ragged", "evaluate", "planned_metrics",
           "select_metrics"]
