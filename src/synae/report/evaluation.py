"""One evaluation with everything a report needs: metrics, validity drill-down, uncertainty,
aggregates and ``report_data`` — built on the metric engine's feature API, so every text is embedded
once (the synthetic features feed the metrics, the bootstrap, and the plots).

:func:`evaluate_for_report` is what ``synae evaluate --report`` and ``synae compare`` call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from synae.evaluate import DatasetFeatures, Evaluator
from synae.report.aggregate import AggregateOptions, aggregate_single
from synae.report.data import Projection, build_report_data
from synae.report.models import EvaluationReport, MetricResult
from synae.report.uncertainty import add_uncertainty, noise_floor
from synae.schema import Dataset
from synae.validity.run import ValidityRun, ValiditySession
from synae.validity.verdict import Verdict

ExtraMetrics = Callable[[Dataset, Dataset], list[MetricResult]]


@dataclass
class ReportOptions:
    """What to add on top of the metrics (all off except aggregates and report data)."""

    bootstrap: int = 0
    noise_repeats: int = 0
    confidence: float = 0.95
    report_data: bool = True
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
                    projection: Projection | None = None,
                    options: ReportOptions | None = None) -> dict[str, Any]:
    """``report_data`` from the evaluator's features (no re-embedding, no re-parsing of calls)."""
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
        max_rows=options.max_rows, seed=evaluator.config.seed)


def validity_for(evaluator: Evaluator, checker: str | None, *,
                 session: ValiditySession | None = None, progress: bool = False) -> tuple[
        ExtraMetrics | None, Callable[[Dataset], list[Verdict]] | None]:
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

    def run_of(synthetic: Dataset) -> ValidityRun:
        if id(synthetic) not in runs:
            runs[id(synthetic)] = session.run(synthetic)
        return runs[id(synthetic)]

    def extra(real: Dataset, synthetic: Dataset) -> list[MetricResult]:
        return session.metrics(run_of(synthetic))

    def verdicts(synthetic: Dataset) -> list[Verdict]:
        run = run_of(synthetic)
        return [v for by_kind in run.verdicts.values() for v in by_kind.get(run.primary, [])]

    return extra, verdicts


def evaluate_for_report(evaluator: Evaluator, synthetic: Dataset, *,
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
    sets (:func:`synae.report.uncertainty.noise_floor`); ``projection`` shares the map's axes.
    """
    options = options or ReportOptions()
    validity_extra, verdicts_of = validity_for(evaluator, checker, session=validity)
    if validity_extra is not None:
        extra_metrics = _chain(extra_metrics, validity_extra)
        if options.report_data and verdicts_of is not None:
            verdicts = [*verdicts, *verdicts_of(synthetic)]
    real_f = evaluator.real_features
    syn_f = evaluator.features(synthetic)
    report = evaluator.evaluate(synthetic, extra_metrics, synthetic_features=syn_f)
    if options.bootstrap or options.noise_repeats or floor:
        t1 = time.perf_counter()
        if floor is None and options.noise_repeats:
            floor = noise_floor(evaluator.compute_metrics, real_f, options.noise_repeats,
                                seed=evaluator.config.seed)
        add_uncertainty(report, evaluator.compute_metrics, real_f, syn_f, bootstrap=options.bootstrap,
                        seed=evaluator.config.seed, confidence=options.confidence, floor=floor)
        report.timings["uncertainty"] = time.perf_counter() - t1
    if options.aggregates:
        report.aggregates = aggregate_single(report.metrics, name or synthetic.name, options.aggregate)
    if options.report_data:
        t2 = time.perf_counter()
        report.report_data = report_data_for(evaluator, real_f, syn_f, evaluator.real, synthetic,
                                             verdicts=verdicts, projection=projection, options=options)
        report.timings["report_data"] = time.perf_counter() - t2
    return report


def _chain(first: ExtraMetrics | None, second: ExtraMetrics) -> ExtraMetrics:
    if first is None:
        return second
    return lambda real, synthetic: [*first(real, synthetic), *second(real, synthetic)]
