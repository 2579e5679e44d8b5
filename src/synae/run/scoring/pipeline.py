"""One evaluation with everything a report needs: metrics, validity drill-down, uncertainty,
aggregates and ``report_data`` — built on the metric engine's feature API, so every text is embedded
once (the synthetic features feed the metrics, the bootstrap, the collapse anchor and the plots).

:func:`evaluate_for_report` is what ``synae evaluate`` and ``synae compare`` call. Aggregates use
the config's scale (:func:`aggregate_scale`): ``anchored`` (``docs/method.md`` §5.4; the collapse anchor
comes from :func:`collapse_anchor`, computed from D's cached features — no embedding, no LLM call)
or ``group`` (§5.1). ``report_data`` (PCA map, drill-down memberships and nearest neighbours) is
computed only when asked (``ReportOptions.report_data``, default ``False``: the CLI sets it when an
HTML report is requested).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synae.config import Config
from synae.metrics import registry
from synae.metrics.downstream import rd, tdd
from synae.results import Aggregates, EvaluationReport, MetricResult
from synae.run.inputs.streaming import TrajectoryStream
from synae.run.scoring.aggregate import (
    AggregateOptions,
    AggregateScale,
    Anchor,
    aggregate_anchored,
    aggregate_single,
)
from synae.run.scoring.evaluation import DatasetFeatures, Evaluator, ExtraMetrics
from synae.run.scoring.privacy import attach_privacy, has_privacy_metrics, privacy_score
from synae.run.scoring.report_data import Projection, build_report_data
from synae.run.scoring.uncertainty import add_uncertainty, noise_floor
from synae.run.scoring.validity import ValidityRun, ValiditySession
from synae.schema import Dataset
from synae.validity.verdict import Verdict

ANCHOR_CHOICES = 5  # trajectories tried as the collapse anchor (docs/method.md §5.4)


@dataclass
class ReportOptions:
    """What to add on top of the metrics (all off except aggregates). ``report_data`` (the HTML
    report's map and drill-down) costs a PCA and a k-NN membership pass: only when a report is wanted."""

    bootstrap: int = 0
    noise_repeats: int = 0
    confidence: float = 0.95
    report_data: bool = False
    aggregates: bool = True
    aggregate: AggregateOptions = field(default_factory=AggregateOptions)
    max_points: int = 2000
    max_rows: int = 200


def attribute_values(features: DatasetFeatures) -> dict[str, list[Any]]:
    """Per-attribute pooled values the metrics used (numeric ragged values, categorical labels)."""
    out: dict[str, list[Any]] = {name: r.values.tolist() for name, r in features.numeric.items()}
    out.update({name: [label for labels in lists for label in labels]
                for name, lists in features.categorical.items()})
    if features.n_outputs and "output_token_length" not in out:
        out["output_token_length"] = features.output_tokens.tolist()
    return out


def report_data_for(evaluator: Evaluator, real_f: DatasetFeatures, syn_f: DatasetFeatures, real: Dataset,
                    synthetic: Dataset, *, verdicts: Iterable[Verdict] = (),
                    projection: Projection | None = None, options: ReportOptions | None = None,
                    metrics: Mapping[str, MetricResult] | None = None,
                    copies: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``report_data`` from the evaluator's features (no re-embedding, no re-parsing of calls);
    ``metrics`` (the report's records) supply the privacy drill-down's leak lists; PII is masked
    unless ``config.output.show_pii``; ``copies`` (the whole-trajectory copy check) is listed first in
    the privacy drill-down."""
    options = options or ReportOptions()
    ra, sa = attribute_values(real_f), attribute_values(syn_f)
    names = [*ra, *(n for n in sa if n not in ra)]
    attributes = {name: (ra.get(name, []), sa.get(name, [])) for name in names}
    return build_report_data(
        real, synthetic, real_embeddings=real_f.transcripts, synthetic_embeddings=syn_f.transcripts,
        verdicts=verdicts, attributes=attributes or None,
        instruction_roles=evaluator.preset.instruction_roles,
        calls=([list(c) for c in real_f.calls], [list(c) for c in syn_f.calls]),
        knn_k=evaluator.options.knn_k, projection=projection, max_points=options.max_points,
        max_rows=options.max_rows, seed=evaluator.config.seed, metrics=metrics,
        show_pii=evaluator.config.output.show_pii, copies=copies)


def aggregate_scale(config: Config) -> AggregateScale:
    """``evaluation.aggregate_scale`` (the profile fills it: ``group`` in the ``reference`` profile —
    the paper's Table 2 —, ``anchored`` otherwise)."""
    return config.evaluation.aggregate_scale or ("group" if config.mode == "reference" else "anchored")


def anchor_indices(m: int, seed: int, choices: int = ANCHOR_CHOICES) -> list[int]:
    """The real trajectories copied by the collapse anchor: ``min(choices, m)`` distinct indices
    drawn with ``numpy.random.default_rng(seed)``."""
    if m == 0:
        return []
    return [int(i) for i in np.random.default_rng(seed).choice(m, size=min(choices, m), replace=False)]


def _downstream_anchor(result: MetricResult, indices: list[int],
                       m: int) -> tuple[list[float | None], str | None]:
    """TDD/RD of the collapse anchor from D's per-trajectory downstream outcomes (``docs/method.md`` §5.4).

    Agent j's success rate on n′ copies of real trajectory i is its success on i averaged over runs
    (``details.agents[j].real.per_trajectory[i]``, in D's order, ``None`` when no run scored it); the
    value for choice i is ``tdd``/``rd`` (:mod:`synae.metrics.downstream`) of the agents' rates on D
    (``details.agents[j].real.mean``) against those, ``None`` where undefined (a missing rate, a
    constant ranking). ``[]`` and a reason (``anchor_not_derivable``) when the report lacks the
    outcomes for all ``m`` real trajectories."""
    agents = result.details.get("agents") or []
    per_traj = [(a.get("real") or {}).get("per_trajectory") for a in agents]
    means = [(a.get("real") or {}).get("mean") for a in agents]
    if not agents or any(not isinstance(p, list) for p in per_traj):
        return [], ("anchor_not_derivable: the report has no per-trajectory downstream outcomes on D "
                    "(details.agents[].real.per_trajectory)")
    outcomes: list[list[float | None]] = [p for p in per_traj if isinstance(p, list)]
    if any(len(p) != m for p in outcomes):
        return [], (f"anchor_not_derivable: the per-trajectory downstream outcomes cover "
                    f"{sorted({len(p) for p in outcomes})} trajectories, D has {m}")
    fn = tdd if ".tdd." in result.id else rd
    return [fn(means, [p[i] for p in outcomes]).value for i in indices], None


def copies_values(evaluator: Evaluator, real_f: DatasetFeatures, i: int,
                  copies: int) -> dict[str, float | None]:
    """Every selected metric's value on ``copies`` copies of real trajectory ``i`` — the values of
    ``compute_metrics(real_f, real_f.subset([i] * copies))`` — computed on as few rows as each
    metric's ``replicas`` allow (:func:`synae.metrics.registry.replicas`): r = ``replicas`` gives
    ``min(copies, r)`` rows of weight ``copies / rows``; a metric without ``replicas`` gets all
    ``copies`` rows. Metrics needing the same rows are computed together, in report order."""
    groups: dict[int, list[str]] = {}
    for mid in evaluator.metric_ids:
        r = registry.replicas(mid, evaluator.context)
        groups.setdefault(copies if r is None else min(copies, r), []).append(mid)
    values: dict[str, float | None] = {}
    for rows, ids in groups.items():
        synthetic = real_f.subset([i] * rows)
        synthetic.weight = copies / rows if rows else 1.0
        values.update((mid, r.value) for mid, r in evaluator.compute_metrics(real_f, synthetic, ids).items())
    return {mid: values[mid] for mid in evaluator.metric_ids}


def collapse_anchor(evaluator: Evaluator, copies: int, metrics: Mapping[str, MetricResult] | None = None,
                    *, real_features: DatasetFeatures | None = None) -> Anchor:
    """The collapse anchor C of ``docs/method.md`` §5.4 for a synthetic set of ``copies`` trajectories:
    every metric of :meth:`Evaluator.compute_metrics` on ``copies`` copies of real trajectory i
    (:func:`copies_values`: the values of ``real_features.subset([i] * copies)`` from one or a few
    weighted rows), for each i of :func:`anchor_indices` (seed: ``config.seed``); ``floor`` is the
    mean over the choices where the metric is defined. Downstream TDD/RD come from ``metrics``'
    per-trajectory outcomes when present (else excluded with a reason). The feature-based values are
    memoised on the real features, per ``copies``."""
    real_f = real_features if real_features is not None else evaluator.real_features
    seed = evaluator.config.seed
    indices = anchor_indices(real_f.n, seed)
    key = f"collapse_anchor:{copies}:{seed}:{','.join(evaluator.metric_ids)}"
    per_choice: dict[str, list[float | None]] = real_f.memo.get(key, {})
    if key not in real_f.memo:
        for i in indices:
            for mid, value in copies_values(evaluator, real_f, i, copies).items():
                per_choice.setdefault(mid, []).append(value)
        real_f.memo[key] = per_choice
    anchor = Anchor(indices=indices, copies=copies, seed=seed, per_choice=dict(per_choice))
    for mid, result in (metrics or {}).items():
        if result.pillar == "fidelity" and result.target == "downstream":
            values, reason = _downstream_anchor(result, indices, real_f.n)
            anchor.per_choice[mid] = values
            if reason:
                anchor.reasons[mid] = reason
    for mid, values in anchor.per_choice.items():
        defined = [float(v) for v in values if v is not None and np.isfinite(v)]
        anchor.floor[mid] = float(np.mean(defined)) if defined else None
        if not defined and mid not in anchor.reasons:
            anchor.reasons[mid] = "anchor_undefined: the metric is undefined on every collapse anchor"
    return anchor


def aggregates_for(evaluator: Evaluator, report: EvaluationReport, name: str,
                   options: AggregateOptions,
                   synthetic_features: DatasetFeatures | None = None) -> Aggregates:
    """The report's aggregates on the configured scale (:func:`aggregate_scale`, unless
    ``options.scale`` is set). Anchored: with a noise floor in the records, ``noise_floor_scores`` is
    the anchored score of the real-vs-real half split (its metric values are the floor means; its
    anchor has half-size copies) — how far from 1 sampling noise alone puts a set. The privacy score
    (:func:`synae.run.scoring.privacy.privacy_score`, its own anchors) joins them when privacy metrics ran,
    with the whole-trajectory copies counted from ``synthetic_features`` when given."""
    result = _pillar_aggregates(evaluator, report, name, options)
    if has_privacy_metrics(report.metrics):
        score = privacy_score(evaluator.real_features, report.metrics, evaluator.context,
                              seed=evaluator.config.seed, options=options, synthetic=synthetic_features)
        attach_privacy(result, name, score, options)
    return result


def _pillar_aggregates(evaluator: Evaluator, report: EvaluationReport, name: str,
                       options: AggregateOptions) -> Aggregates:
    """Validity, fidelity and diversity scores of :func:`aggregates_for`."""
    scale = options.scale or aggregate_scale(evaluator.config)
    if scale == "group":
        return aggregate_single(report.metrics, name, options)
    n = report.datasets["synthetic"].n
    start = time.perf_counter()
    anchor = collapse_anchor(evaluator, n, report.metrics)
    report.timings["anchor"] = time.perf_counter() - start
    result = aggregate_anchored(report.metrics, anchor, name, options)
    floors = {mid: m.details["noise_floor"] for mid, m in report.metrics.items()
              if isinstance(m.details.get("noise_floor"), dict)}
    if floors:
        half = int(next(iter(floors.values()))["half_size"])
        halves = {mid: m.model_copy(update={"value": floors[mid]["mean"]})
                  for mid, m in report.metrics.items() if mid in floors}
        start = time.perf_counter()
        half_anchor = collapse_anchor(evaluator, half)
        report.timings["anchor"] += time.perf_counter() - start
        noise = aggregate_anchored(halves, half_anchor, "half split", options)
        result["noise_floor_scores"] = noise["scores"]["half split"]
    return result


def validity_for(evaluator: Evaluator, checker: str | None, *,
                 session: ValiditySession | None = None, progress: bool = False) -> tuple[
        ExtraMetrics | None, Callable[[Dataset | TrajectoryStream], list[Verdict]] | None]:
    """``extra_metrics`` giving the validity rates, and the primary checker's verdicts for the
    drill-down (``checker``: ``rules``, ``llm``, ``both``, ``None`` = preset default; ``"none"`` → no
    validity). One checker run per synthetic set feeds both; pass the same ``session`` for several
    sets so that the real set is checked once."""
    if checker == "none":
        return None, None
    if session is None:
        session = ValiditySession(evaluator.real, evaluator.preset, evaluator.config, checker,
                                  progress=progress)
    runs: dict[int, ValidityRun] = {}

    def run_of(synthetic: Dataset | TrajectoryStream) -> ValidityRun:
        if id(synthetic) not in runs:
            runs[id(synthetic)] = session.run(synthetic)
        return runs[id(synthetic)]

    def extra(real: Dataset | TrajectoryStream, synthetic: Dataset | TrajectoryStream) -> list[MetricResult]:
        return session.metrics(run_of(synthetic))

    def verdicts(synthetic: Dataset | TrajectoryStream) -> list[Verdict]:
        run = run_of(synthetic)
        return [v for by_kind in run.verdicts.values() for v in by_kind.get(run.primary, [])]

    return extra, verdicts


def evaluate_for_report(evaluator: Evaluator, synthetic: Dataset | TrajectoryStream, *,
                        checker: str | None = "none", extra_metrics: ExtraMetrics | None = None,
                        verdicts: Iterable[Verdict] = (), options: ReportOptions | None = None,
                        floor: Mapping[str, dict[str, Any]] | None = None,
                        projection: Projection | None = None, name: str | None = None,
                        validity: ValiditySession | None = None) -> EvaluationReport:
    """Evaluate ``synthetic`` like :meth:`Evaluator.evaluate`, then add uncertainty, aggregates and
    report data.

    ``checker`` runs validity checkers (see :func:`validity_for`; their rates join ``extra_metrics``,
    their invalid verdicts the drill-down; ``validity`` shares one session — and so one check of the
    real set — across several calls). ``floor`` reuses a noise floor computed once for several
    sets (:func:`synae.run.scoring.uncertainty.noise_floor`); ``projection`` shares the map's axes.
    """
    options = options or ReportOptions()
    real = evaluator.real
    if options.report_data and not (isinstance(real, Dataset) and isinstance(synthetic, Dataset)):
        raise ValueError("report data (the HTML report's drill-down) needs both sets loaded whole, not "
                         "streamed")
    if validity is None and checker != "none":  # kept here for its timing
        validity = ValiditySession(evaluator.real, evaluator.preset, evaluator.config, checker)
    checked_before = validity.seconds if validity is not None else 0.0
    validity_extra, verdicts_of = validity_for(evaluator, checker, session=validity)
    if validity_extra is not None:
        extra_metrics = _chain(extra_metrics, validity_extra)
        if options.report_data and verdicts_of is not None:
            verdicts = [*verdicts, *verdicts_of(synthetic)]
    real_f = evaluator.real_features
    if validity is not None:  # after the real set's pass (a held real set gives the sources)
        validity.prepare(synthetic)  # a streamed set's rules ride its features pass
    syn_f = evaluator.features(synthetic)
    report = evaluator.evaluate(synthetic, extra_metrics, synthetic_features=syn_f)
    if validity is not None:
        report.timings["validity"] = validity.seconds - checked_before
    if options.bootstrap or options.noise_repeats or floor:
        t1 = time.perf_counter()
        if floor is None and options.noise_repeats:
            floor = noise_floor(evaluator.compute_metrics, real_f, options.noise_repeats,
                                seed=evaluator.config.seed, progress=evaluator.progress)
        add_uncertainty(report, evaluator.compute_metrics, real_f, syn_f, bootstrap=options.bootstrap,
                        seed=evaluator.config.seed, confidence=options.confidence, floor=floor,
                        progress=evaluator.progress)
        report.timings["uncertainty"] = time.perf_counter() - t1
    if options.aggregates:
        t3 = time.perf_counter()
        report.aggregates = aggregates_for(evaluator, report, name or synthetic.name, options.aggregate,
                                           syn_f)
        report.timings["aggregates"] = time.perf_counter() - t3
    if options.report_data:
        t2 = time.perf_counter()
        assert isinstance(real, Dataset) and isinstance(synthetic, Dataset)  # checked above
        report.report_data = report_data_for(evaluator, real_f, syn_f, real, synthetic,
                                             verdicts=verdicts, projection=projection, options=options,
                                             metrics=report.metrics,
                                             copies=_copies(report, name or synthetic.name))
        report.timings["report_data"] = time.perf_counter() - t2
    for side, data in (("real", real), ("synthetic", synthetic)):
        if isinstance(data, TrajectoryStream):  # reading and parsing, within the stages above
            report.timings[f"parse_{side}"] = data.parse_seconds
            report.timings[f"passes_{side}"] = float(data.passes)
    return report


def _copies(report: EvaluationReport, name: str) -> Mapping[str, Any] | None:
    """The whole-trajectory copy check of member ``name`` in the report's aggregates, if any."""
    privacy: dict[str, Any] = report.aggregates.get("privacy", {}) if report.aggregates else {}
    found: Mapping[str, Any] | None = (privacy.get(name) or {}).get("copies")
    return found


def _chain(first: ExtraMetrics | None, second: ExtraMetrics) -> ExtraMetrics:
    if first is None:
        return second
    return lambda real, synthetic: [*first(real, synthetic), *second(real, synthetic)]
