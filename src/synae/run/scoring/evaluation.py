"""Orchestration: datasets → features → metrics → :class:`~synae.results.EvaluationReport`.

The work is split in two stages so that callers can reuse the expensive part:

1. :meth:`Evaluator.features` turns a :class:`~synae.schema.Dataset` into
   :class:`~synae.metrics.features.DatasetFeatures` (embeddings, tool-name sequences, attribute
   values, turn-pair similarities — everything a metric reads). The real side is computed once per
   :class:`Evaluator`.
2. :meth:`Evaluator.compute_metrics` runs the registered metric computations
   (:mod:`synae.metrics.registry`) on two feature sets.

:meth:`DatasetFeatures.subset` resamples rows (with repeats) without re-embedding, for bootstrap
confidence intervals and real-vs-real noise floors. Which metrics run is a registry lookup: every
registered metric that applies to the preset's :class:`~synae.metrics.registry.MetricContext`
(``docs/method.md`` §4), narrowed by optional glob patterns over metric IDs; the features built are
the ones the selected metrics need (the embedding model is not even loaded when none needs
embeddings). A metric that cannot apply is ``skipped`` with a reason; an error inside one metric
makes it ``failed`` and the others still run.

Where the heavy stages run is an :class:`~synae.run.executors.Executor` (``executor``: ``local``,
the default, or ``ray``; ``device``: ``cpu`` (default, the numpy k-NN engine), ``cuda`` or
``auto``): embeddings go through :meth:`Executor.embed` (distinct texts only, so each text is
embedded once as by the pipeline alone), and the k-NN precision/recall pass through
:meth:`Executor.knn_prepare` / :meth:`Executor.knn_precision_recall` — every executor gives the
local engine's values. Precomputed vectors (:mod:`synae.run.inputs.precomputed`: a side file or the
records' ``embeddings`` field) replace the embedding of their view.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from synae import __version__
from synae.config import Config
from synae.embed import (
    Embedder,
    EmbeddingOutput,
    EmbeddingPipeline,
    EmbeddingStats,
    PipelineFactory,
    get_embedder,
    make_pipeline,
)
from synae.errors import ConfigError, DataError, LLMFatalError
from synae.metrics import registry
from synae.metrics.computations import knn_precision_recall
from synae.metrics.features import DatasetFeatures, Ragged, share_raw
from synae.metrics.pairs import turn_pairs
from synae.metrics.registry import Feature, MetricContext, failed
from synae.presets import Preset, detect_preset, get_preset
from synae.presets.base import DataProfile
from synae.results import DatasetSummary, EmbedderInfo, EvaluationReport, MetricResult
from synae.run.executors import Executor, PerItem, make_executor
from synae.run.inputs import precomputed
from synae.run.scoring.record_features import RecordFeatures, add_stored
from synae.schema import Dataset, Trajectory, gc_paused
from synae.views import instruction_transcript

if TYPE_CHECKING:
    from synae.run.inputs.streaming import TrajectoryStream

ExtraMetrics = Callable[["Dataset | TrajectoryStream", "Dataset | TrajectoryStream"], list[MetricResult]]
"""``extra_metrics(real, synthetic)``: records computed by another stage (validity, downstream);
each side a :class:`~synae.schema.Dataset` or a :class:`~synae.run.inputs.streaming.TrajectoryStream`."""
PAIR_CHUNK = 65_536
FEATURE_CHUNK = 8192  # trajectories per chunk when a stream's features are built
MAP_BATCH = 1024  # trajectories per task when another executor maps the record features


def trajectory_chunks(data: Dataset | TrajectoryStream,
                      size: int | None = None) -> Iterable[list[Trajectory]]:
    """``data``'s trajectories in order: a dataset's list as one chunk, a stream's chunks of ``size``
    (default :data:`FEATURE_CHUNK`)."""
    if isinstance(data, Dataset):
        return [data.trajectories]
    return data.chunks(size or FEATURE_CHUNK)


def _rider_seconds(data: Dataset | TrajectoryStream) -> float:
    return 0.0 if isinstance(data, Dataset) else data.rider_seconds


def data_profile(preset: Preset, data: Dataset | TrajectoryStream) -> DataProfile:
    """The real set's :class:`DataProfile` for ``preset`` (one pass over a stream; empty when the
    preset decides nothing from the data, :attr:`Preset.learns_from_data`)."""
    if not preset.learns_from_data:
        return preset.profile_of(())
    return preset.profile_of(chain.from_iterable(trajectory_chunks(data)))


# ------------------------------------------------------------------------------------------------
# Which metrics apply


def metric_context(preset: Preset, config: Config,
                   real: Sequence[Trajectory] | DataProfile = ()) -> MetricContext:
    """The preset's and the config's decisions for the metrics, as plain data (the AM attributes of
    ``real`` — its trajectories or their :class:`DataProfile` — from :meth:`Preset.am_attribute_names`,
    the AD attributes from :meth:`Preset.ad_attributes`)."""
    real = preset.profile_of(real)
    return MetricContext(
        options=config.metrics, seed=config.seed, has_tool_calls=preset.has_tool_calls,
        has_outputs=preset.has_outputs, knd_pairs=tuple(preset.knd_pairs),
        am_attributes=tuple(preset.am_attribute_names(real)),
        output_am_attributes=tuple(preset.output_am_attributes),
        tool_vocabulary=preset.tool_vocabulary,
        ad_attributes=tuple(preset.ad_attributes(config.metrics, real)),
        keyword_vocabulary_sizes={a: len(t) for a, t in preset.keyword_vocabularies().items()})


def planned_metrics(preset: Preset, config: Config,
                    real: Sequence[Trajectory] | DataProfile = ()) -> list[str]:
    """Every metric ID the preset computes (``docs/method.md`` §4), in report (registry) order."""
    return registry.plan(metric_context(preset, config, real))


def select_metrics(ids: Sequence[str], patterns: str | Sequence[str] | None) -> list[str]:
    """IDs matching any of the glob ``patterns`` (comma-separated string or list); all when ``None``."""
    if patterns is None:
        return list(ids)
    pats = [p.strip() for p in (patterns.split(",") if isinstance(patterns, str) else patterns) if p.strip()]
    chosen = [i for i in ids if any(fnmatch.fnmatchcase(i, p) for p in pats)]
    if not chosen:
        raise ConfigError(f"--metrics {','.join(pats)!r} selects no metric; available: {', '.join(ids)}")
    return chosen


@dataclass(frozen=True)
class Plan:
    """What an :class:`Evaluator` computes, as the real set decides it: the metric context, the
    selected metric IDs (registry order), the features they need, and the per-record features of a
    chunk (:class:`RecordFeatures`)."""

    context: MetricContext
    metric_ids: list[str]
    needs: set[Feature]
    record_features: RecordFeatures


# ------------------------------------------------------------------------------------------------
# The evaluator


class Evaluator:
    """Evaluates synthetic datasets against one real dataset (real-side features computed once).

    ``preset``: a name or :class:`Preset` (detected from ``real`` when ``None``); ``metric_patterns``:
    glob patterns over metric IDs; ``embedder``: an :class:`Embedder`, an
    :class:`EmbeddingPipeline` or an embedder name (default: ``config.embedding.model``).
    ``executor``: ``"local"`` | ``"ray"`` or an :class:`Executor` (default: ``config.compute.executor``
    when the config has a ``compute`` section, else ``local``); ``device`` and ``ray_address``
    likewise (defaults ``cpu`` and ``None``). An executor built here is closed by :meth:`close`.

    What to compute (:attr:`plan`: the metric context, the selected metrics, the features they need)
    depends on the real set (the generic preset's :class:`~synae.presets.base.DataProfile`). For a
    real set loaded whole it is decided here; for a streamed one on first use, by one pass that also
    builds the real features (:meth:`_profile_pass`), so that the stages set up in between (validity,
    structure counts) ride that pass and the file is read once.
    """

    def __init__(self, real: Dataset | TrajectoryStream, config: Config | None = None, *,
                 preset: str | Preset | None = None,
                 metric_patterns: str | Sequence[str] | None = None,
                 embedder: Embedder | EmbeddingPipeline | str | None = None, progress: bool = True,
                 executor: str | Executor | None = None, device: str | None = None,
                 ray_address: str | None = None) -> None:
        self.real = real
        self.config = config or Config()
        compute = getattr(self.config, "compute", None)
        self._executor_arg: str | Executor = executor or getattr(compute, "executor", None) or "local"
        self._device = device or getattr(compute, "device", None) or "cpu"
        self._ray_address = ray_address or getattr(compute, "ray_address", None)
        self._ray_timeout: float = getattr(compute, "ray_connect_timeout", 30.0)
        given = self._executor_arg
        self._executor: Executor | None = given if isinstance(given, Executor) else None
        self._owns_executor = self._executor is None
        self._make_pipeline: PipelineFactory | Callable[[], EmbeddingPipeline] | None = None
        if isinstance(preset, Preset):
            self.preset: Preset = preset
        else:
            name = preset or self.config.preset or (detect_preset(real) if isinstance(real, Dataset)
                                                    else real.detect_preset())
            self.preset = get_preset(name, attribute_fields=self.config.metrics.attribute_fields)
        self.options = self.config.metrics
        self._patterns = metric_patterns
        self._embedder_arg = None if isinstance(embedder, EmbeddingPipeline) else embedder
        self._pipeline = embedder if isinstance(embedder, EmbeddingPipeline) else None
        self.progress = progress
        self._real_features: DatasetFeatures | None = None
        self.metric_seconds: dict[str, float] = {}  # wall time per metric of the last compute_metrics
        self.stage_seconds: dict[str, float] = {}  # executor passes of the last compute_metrics (k-NN)
        self._feature_seconds: dict[int, float] = {}  # id(dataset) -> seconds its last features() took
        self._plan: Plan | None = None
        if isinstance(real, Dataset) or not self.preset.learns_from_data or real.held is not None:
            self._plan = self._plan_for(data_profile(self.preset, real))  # no pass to share

    # -- the plan: which metrics, and what their features need ---------------------------------

    def _plan_for(self, profile: DataProfile) -> Plan:
        """The plan the real set's ``profile`` decides (:class:`ConfigError` when the metric
        patterns select nothing)."""
        context = metric_context(self.preset, self.config, profile)
        ids = select_metrics(registry.plan(context), self._patterns)
        return Plan(context, ids, {f for i in ids for f in registry.spec(i).needs},
                    RecordFeatures(self.preset, self.options, tuple(ids), tuple(context.ad_attributes)))

    @property
    def plan(self) -> Plan:
        """The :class:`Plan`; for a streamed real set decided by its first pass
        (:meth:`_profile_pass`), on first use."""
        if self._plan is None:
            self._plan = self._profile_pass()
        return self._plan

    @property
    def context(self) -> MetricContext:
        return self.plan.context

    @property
    def metric_ids(self) -> list[str]:
        return self.plan.metric_ids

    @property
    def record_features(self) -> RecordFeatures:
        return self.plan.record_features

    @property
    def _needs(self) -> set[Feature]:
        return self.plan.needs

    def _profile_pass(self) -> Plan:
        """The plan of a streamed real set, from one pass that folds its :class:`DataProfile` and,
        speculatively, builds its features too (so the set is parsed once, and the riders of the
        pass — validity, structure — ride it): the features are built for the plan of the first
        chunk's profile as long as each later chunk leaves the profile's
        :meth:`~DataProfile.decisions` as they were; equal decisions decide the same plan, so the
        features are those :meth:`features` builds. A chunk that changes them (a new stored
        attribute, another kind, the first tool call) drops what was built, and the features get a
        pass of their own, as do those of a first chunk whose plan selects no metric."""
        real = self.real
        assert not isinstance(real, Dataset)
        start, ridden = time.perf_counter(), _rider_seconds(real)
        profile = self.preset.profile_of(())
        decided: tuple[Any, ...] | None = None
        fold: _FeatureFold | None = None
        try:
            for chunk in trajectory_chunks(real):
                profile.add(chunk)
                if decided is None:
                    decided = profile.decisions()
                    try:
                        self._plan = self._plan_for(profile)  # what the fold reads
                        fold = _FeatureFold(self, real)
                    except ConfigError:  # a later chunk may add the attributes the patterns name
                        fold = None
                elif fold is not None and profile.decisions() != decided:
                    fold = None
                if fold is not None:
                    fold.add(chunk)
            # the whole set's plan: the same as the first chunk's where the fold was kept
            self._plan = plan = self._plan_for(profile)
        except BaseException:
            self._plan = None  # a pass that raised decides nothing
            raise
        if fold is not None:
            self._real_features = fold.finish()
            self._feature_seconds[id(real)] = time.perf_counter() - start - (_rider_seconds(real) - ridden)
        return plan

    # -- embeddings --------------------------------------------------------------------------

    @property
    def pipeline(self) -> EmbeddingPipeline:
        """The embedding pipeline (built on first use; the model itself loads on first encode)."""
        if self._pipeline is None:
            arg = self._embedder_arg
            emb = get_embedder(arg, self.config.embedding) if isinstance(arg, str) else arg
            self._pipeline = make_pipeline(self.config.embedding, emb, progress=self.progress)
        return self._pipeline

    @property
    def executor(self) -> Executor:
        """Where embeddings and k-NN run (built on first use)."""
        if self._executor is None:
            self._executor = make_executor(str(self._executor_arg), device=self._device,
                                           ray_address=self._ray_address,
                                           ray_connect_timeout=self._ray_timeout)
        return self._executor

    def close(self) -> None:
        """Close the executor this evaluator built (a Ray instance it started shuts down)."""
        if self._executor is not None and self._owns_executor:
            self._executor.close()
            self._executor = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pipeline_recipe(self) -> Callable[[], EmbeddingPipeline]:
        """What the executor builds its pipelines from: this process's pipeline for the local
        executor; a picklable :class:`PipelineFactory` (one per evaluator, so workers are reused)
        for the others."""
        if self._make_pipeline is None:
            if self.executor.name == "local":
                self._make_pipeline = lambda: self.pipeline
            else:
                arg = self._pipeline if self._pipeline is not None else self._embedder_arg
                self._make_pipeline = PipelineFactory(self.config.embedding,
                                                      arg if arg is not None else self.config.embedding.model)
        return self._make_pipeline

    def _embed_output(self, texts: list[str]) -> EmbeddingOutput:
        """``texts`` embedded through the executor: the distinct texts are sent once (first-seen
        order, as :meth:`EmbeddingPipeline.embed` orders them), so vectors and statistics equal the
        pipeline's; ``n_texts`` counts every text."""
        positions: dict[str, int] = {}
        inverse = np.fromiter((positions.setdefault(t, len(positions)) for t in texts), dtype=np.int64,
                              count=len(texts))
        if not positions:
            return self.pipeline.embed(texts)
        unique, stats = self.executor.embed(self._pipeline_recipe(), list(positions))
        assert stats is not None  # non-empty texts
        stats.n_texts = len(texts)
        return EmbeddingOutput(unique=unique, inverse=inverse, stats=stats)

    def _embed(self, texts: list[str]) -> tuple[np.ndarray, EmbeddingStats]:
        out = self._embed_output(texts)
        return out.vectors, out.stats

    def _vectors(self, dataset: Dataset, view: precomputed.View, texts: Callable[[], list[str]],
                 given: dict[str, int | None] | None = None) -> tuple[np.ndarray, EmbeddingStats] | None:
        """Precomputed ``view`` vectors of ``dataset`` when given, else ``texts()`` embedded.
        ``given`` is set for the chunks of a stream (view → the dimension of the precomputed
        vectors of the first chunk with records of the view, ``None`` when it had none): a chunk
        that disagrees (vectors or not, their dimension) is a :class:`DataError` naming its first
        record of the view, as a whole load names the record; a chunk without records of the view
        gives ``None`` (nothing to embed; :meth:`features` makes the empty view of a stream that
        has none)."""
        array = precomputed.vectors(dataset, view)
        rows = precomputed.rows(dataset, view)
        if given is not None and not rows:
            return None
        if given is not None:
            dim = None if array is None else int(array.shape[1])
            first = given.setdefault(view, dim)
            if first != dim:
                message = (f"no {view} vector while other records have one" if dim is None else
                           f"a {view} vector while earlier records have none" if first is None else
                           f"vector of dimension {dim}, expected {first}")
                raise DataError(message, source=dataset.source or dataset.name,
                                location=f"trajectory {rows[0].id!r}",
                                field=f"{precomputed.RECORD_FIELD}.{view}")
        if array is not None:
            return array, precomputed.stats(array)
        return self._embed(texts())

    # -- features ----------------------------------------------------------------------------

    @property
    def real_features(self) -> DatasetFeatures:
        _ = self.plan  # a streamed real set's first pass may build them on the way
        if self._real_features is None:
            self._real_features = self.features(self.real)
        return self._real_features

    def features(self, dataset: Dataset | TrajectoryStream) -> DatasetFeatures:
        """All features of ``dataset`` that the selected metrics need.

        A :class:`Dataset` is one chunk. A :class:`~synae.run.inputs.streaming.TrajectoryStream` is read in
        chunks of :data:`FEATURE_CHUNK` trajectories, each chunk's features built and the chunks
        joined (:meth:`DatasetFeatures.concat`), so only the feature columns and vectors outlive a
        chunk: the same features as the whole list gives (texts embedded per chunk; the embedding
        statistics' ``n_unique`` then counts distinct texts per chunk). A stored attribute's kind
        (numeric or categorical, :func:`~synae.presets.base.stored_values`) is decided over the
        whole set from its raw values, kept until the end. Precomputed vectors: a side file
        attached to the stream is checked against the row count after the pass; the records'
        ``embeddings`` field must be given on every record of the view or on none, across chunks.
        The time it took is kept (:meth:`feature_seconds`), less the time of the work that rode the
        stream's pass (:meth:`~synae.run.inputs.streaming.TrajectoryStream.ride`: it is timed by its own
        stage)."""
        start = time.perf_counter()
        ridden = _rider_seconds(dataset)
        feats = self._features(dataset)
        elapsed = time.perf_counter() - start
        self._feature_seconds[id(dataset)] = elapsed - (_rider_seconds(dataset) - ridden)
        return feats

    def feature_seconds(self, dataset: Dataset | TrajectoryStream) -> float | None:
        """Seconds the last :meth:`features` of ``dataset`` took (``None`` if never built here)."""
        return self._feature_seconds.get(id(dataset))

    def _features(self, dataset: Dataset | TrajectoryStream) -> DatasetFeatures:
        """:meth:`features` (untimed)."""
        fold = _FeatureFold(self, dataset)
        for chunk in trajectory_chunks(dataset):
            fold.add(chunk)
        return fold.finish()

    def _record_features(self, trajs: list[Trajectory]) -> DatasetFeatures:
        """:attr:`record_features` of ``trajs``: in this process on the local executor; on another
        executor mapped over its workers in batches of :data:`MAP_BATCH` trajectories
        (:meth:`Executor.map_batches`) and joined in order — the same features either way."""
        if self.executor.name == "local" or not trajs:
            return self.record_features(trajs)
        batches = [trajs[s:s + MAP_BATCH] for s in range(0, len(trajs), MAP_BATCH)]
        parts = self.executor.map_batches(PerItem(self.record_features), batches, batch_size=1)
        return parts[0] if len(parts) == 1 else DatasetFeatures.concat(parts, "")

    def _chunk_features(self, part: Dataset, skip_views: set[str],
                        given: dict[str, int | None] | None) -> DatasetFeatures:
        """The features of one chunk, stored attributes aside (:meth:`features` adds them): its
        record features (:meth:`_record_features`), then its embeddings; the views in
        ``skip_views`` are not embedded (their vectors come from a side file). ``given`` records
        per view what earlier chunks had (see :meth:`_vectors`)."""
        trajs = part.trajectories
        preset = self.preset
        feats = self._record_features(trajs)
        feats.name = part.name
        roles = preset.instruction_roles
        views: dict[precomputed.View, Callable[[], list[str]]] = {
            "transcript": lambda: [instruction_transcript(t, roles) for t in trajs],
            "output": lambda: [t.output for t in trajs if t.output is not None]}
        for view, texts in views.items():
            if f"{view}s" in self._needs and view not in skip_views:
                got = self._vectors(part, view, texts, given)
                setattr(feats, f"{view}s", got[0] if got is not None else np.zeros((0, 0), np.float32))
                if got is not None:
                    feats.embedding[f"{view}s"] = got[1]
        if "pairs" in self._needs:
            feats.pair_sims, stats = self._pair_similarities(trajs)
            if stats is not None:
                feats.embedding["pairs"] = stats
        return feats

    def _pair_similarities(self, trajs: list[Trajectory]) -> tuple[dict[str, Ragged], EmbeddingStats | None]:
        pair_types = [str(registry.spec(i).qualifier(i)) for i in self.metric_ids
                      if "pairs" in registry.spec(i).needs]
        per_type: dict[str, list[list[tuple[str, str]]]] = {
            p: [turn_pairs(t, p) for t in trajs] for p in pair_types}
        texts = [s for lists in per_type.values() for pairs in lists for pair in pairs for s in pair]
        if not texts:
            return {p: Ragged.from_lists([[] for _ in trajs]) for p in pair_types}, None
        out = self._embed_output(texts)
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

    def compute_metrics(self, real: DatasetFeatures, synthetic: DatasetFeatures,
                        metric_ids: Sequence[str] | None = None) -> dict[str, MetricResult]:
        """Every selected metric (or those of ``metric_ids``) of ``synthetic`` against ``real``
        (diversity also on ``real``)."""
        results: dict[str, MetricResult] = {}
        shared: dict[str, Any] = {}
        ids = self.metric_ids if metric_ids is None else metric_ids
        self.metric_seconds = {}
        self.stage_seconds = {}
        self._knn_through_executor(real, synthetic, shared, ids)
        for metric_id in ids:
            start = time.perf_counter()
            try:
                results[metric_id] = registry.compute_metric(metric_id, real, synthetic, self.context, shared)
            except Exception as exc:  # one metric's error never stops the others
                results[metric_id] = failed(metric_id, f"error: {type(exc).__name__}: {exc}")
            self.metric_seconds[metric_id] = time.perf_counter() - start
        return results

    def _knn_through_executor(self, real: DatasetFeatures, synthetic: DatasetFeatures,
                              shared: dict[str, Any], metric_ids: Sequence[str]) -> None:
        """Run the k-NN precision/recall pass of each k-NN metric of ``metric_ids`` on the executor, filling
        the slots :func:`synae.metrics.computations.knn_precision_recall` reads (the real side's
        reference in ``real.memo`` — computed once per real feature set —, the pair of values in
        ``shared``). A target whose pass cannot run here (no vectors, no outputs, an error) is left
        to the metric itself, which then skips or fails with its own reason."""
        k = self.options.knn_k
        for metric_id in metric_ids:
            s = registry.spec(metric_id)
            if s.compute is not knn_precision_recall or f"knn.{s.target}" in shared:
                continue
            x = real.transcripts if s.embedding == "transcripts" else real.outputs
            y = synthetic.transcripts if s.embedding == "transcripts" else synthetic.outputs
            if x is None or y is None or (s.target == "output" and not real.n_outputs * synthetic.n_outputs):
                continue
            ref_key = f"knn_reference.{s.target}.k{k}"
            start = time.perf_counter()
            try:
                if ref_key not in real.memo:
                    real.memo[ref_key] = self.executor.knn_prepare(x, k)
                shared[f"knn.{s.target}"] = self.executor.knn_precision_recall(real.memo[ref_key], y, k)
            except Exception:  # the metric recomputes and reports the error itself
                continue
            self.stage_seconds[f"knn.{s.target}"] = time.perf_counter() - start

    # -- reports -----------------------------------------------------------------------------

    def evaluate(self, synthetic: Dataset | TrajectoryStream, extra_metrics: ExtraMetrics | None = None, *,
                 synthetic_features: DatasetFeatures | None = None) -> EvaluationReport:
        """Evaluate ``synthetic`` against the real set; ``extra_metrics(real, synthetic)`` adds
        records computed elsewhere (validity checkers, downstream agents). Pass
        ``synthetic_features`` (from :meth:`features`) when the caller needs them too."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        real_f = self.real_features
        syn_f = synthetic_features if synthetic_features is not None else self.features(synthetic)
        # the time each set's features took, whenever they were built (the real set's once)
        timings["features_real"] = self.feature_seconds(self.real) or 0.0
        timings["features_synthetic"] = self.feature_seconds(synthetic) or 0.0
        _check_dimensions(real_f, syn_f, self.real, synthetic)
        t2 = time.perf_counter()
        metrics = self.compute_metrics(real_f, syn_f)
        timings["metrics"] = time.perf_counter() - t2
        timings.update({f"metric:{k}": v for k, v in self.metric_seconds.items()})
        timings.update({f"stage:{k}": v for k, v in self.stage_seconds.items()})
        warnings: list[str] = []
        if extra_metrics is not None:
            t3 = time.perf_counter()
            try:
                for result in extra_metrics(self.real, synthetic):
                    metrics[result.id] = result
            except LLMFatalError:  # the endpoint cannot serve the run: stop, never a warning
                raise
            except Exception as exc:
                warnings.append(f"extra metrics failed: {type(exc).__name__}: {exc}")
            timings["extra_metrics"] = time.perf_counter() - t3
        timings["total"] = time.perf_counter() - t0
        return self.report(synthetic, metrics, real_f, syn_f, timings=timings, warnings=warnings)

    def report(self, synthetic: Dataset | TrajectoryStream, metrics: dict[str, MetricResult],
               real_f: DatasetFeatures, syn_f: DatasetFeatures, *, timings: dict[str, float] | None = None,
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
            report.warnings = warnings
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


class _FeatureFold:
    """:meth:`Evaluator.features` of ``dataset`` one chunk at a time (:meth:`add`, then
    :meth:`finish`), with the evaluator's plan: each chunk's record features and embeddings, and
    the raw values of the stored attributes, kept until the end (their kind is decided over the
    whole set; equal values share one object)."""

    def __init__(self, evaluator: Evaluator, dataset: Dataset | TrajectoryStream) -> None:
        self.evaluator, self.dataset = evaluator, dataset
        self.stored = evaluator.record_features.stored_attributes()
        self.raw: dict[str, list[Any]] = {a: [] for a in self.stored}
        self.parts: list[DatasetFeatures] = []
        self.side: dict[str, Any] = {} if isinstance(dataset, Dataset) else dict(dataset.embeddings)
        self.given: dict[str, int | None] | None = None if isinstance(dataset, Dataset) else {}

    def add(self, chunk: list[Trajectory]) -> None:
        dataset = self.dataset
        for a in self.stored:
            self.raw[a].extend(share_raw([t.attributes.get(a) for t in chunk]))
        part = Dataset(trajectories=chunk, name=dataset.name, source=dataset.source,
                       embeddings=dataset.embeddings if isinstance(dataset, Dataset) else {})
        with gc_paused():  # a chunk's features are acyclic: no collection rescans the chunk
            self.parts.append(self.evaluator._chunk_features(part, set(self.side), self.given))

    def finish(self) -> DatasetFeatures:
        """The features of every chunk added, joined; stored attributes added; the views of a
        stream without records of them made empty, as when loaded; every side file's row count
        checked, its vectors used where a metric needs them."""
        ev, dataset, side, parts = self.evaluator, self.dataset, self.side, self.parts
        if not parts:  # an empty stream: the features of an empty dataset
            no_records = Dataset(trajectories=[], name=dataset.name)
            parts.append(ev._chunk_features(no_records, set(side), self.given))
        feats = parts[0] if len(parts) == 1 else DatasetFeatures.concat(parts, dataset.name)
        self.parts = []
        for a in self.stored:
            add_stored(feats, a, self.raw.pop(a))
        needs = ev.plan.needs
        for view in ("transcript", "output"):
            if f"{view}s" in needs and view not in side and f"{view}s" not in feats.embedding:
                empty = ev._vectors(Dataset(trajectories=[], name=dataset.name, source=dataset.source),
                                    view, list)
                assert empty is not None  # not a stream chunk
                setattr(feats, f"{view}s", empty[0])
                feats.embedding[f"{view}s"] = empty[1]
        for view, array in side.items():
            n_rows = feats.n if view == "transcript" else feats.n_outputs
            source = str(getattr(array, "filename", None) or dataset.source or dataset.name)  # the .npy
            if f"{view}s" not in needs:
                precomputed.check_rows(array, n_rows, view, source)
                continue
            vectors = precomputed.side_vectors(array, view, n_rows, source)
            if view == "transcript":
                feats.transcripts = vectors
            else:
                feats.outputs = vectors
            feats.embedding[f"{view}s"] = precomputed.stats(vectors)
        return feats


def _check_dimensions(real_f: DatasetFeatures, syn_f: DatasetFeatures, real: Dataset | TrajectoryStream,
                      synthetic: Dataset | TrajectoryStream) -> None:
    """Both sets' vectors of a view must have one dimension (e.g. precomputed vectors of another
    model on one side): :class:`DataError` naming both datasets otherwise."""
    for view, a, b in (("transcript", real_f.transcripts, syn_f.transcripts),
                       ("output", real_f.outputs, syn_f.outputs)):
        if a is not None and b is not None and a.size and b.size and a.shape[1] != b.shape[1]:
            raise DataError(f"{view} vectors have dimension {a.shape[1]} in {real.source or real.name!r} "
                            f"but {b.shape[1]} in {synthetic.source or synthetic.name!r}",
                            source=synthetic.source or synthetic.name)


def _summary(dataset: Dataset | TrajectoryStream) -> DatasetSummary:
    return DatasetSummary(name=dataset.name, source=dataset.source, format=dataset.format, n=len(dataset),
                          fingerprint=dataset.fingerprint(), n_skipped=dataset.n_skipped)


def evaluate(real: Dataset, synthetic: Dataset, config: Config | None = None, *,
             extra_metrics: ExtraMetrics | None = None, **kwargs: Any) -> EvaluationReport:
    """Evaluate ``synthetic`` against ``real`` (keyword arguments go to :class:`Evaluator`)."""
    return Evaluator(real, config, **kwargs).evaluate(synthetic, extra_metrics=extra_metrics)


__all__ = ["DatasetFeatures", "Evaluator", "ExtraMetrics", "Plan", "Ragged", "evaluate", "metric_context",
           "planned_metrics", "select_metrics"]
