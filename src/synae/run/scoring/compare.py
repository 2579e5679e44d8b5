"""``synae compare``: several synthetic sets against one real set, as one comparison group.

The real side (features, embeddings, noise floor, embedding-map axes) is computed once; each
synthetic set is evaluated with :func:`synae.run.scoring.pipeline.evaluate_for_report`.

- ``anchored`` scale (default profile, ``docs/method.md`` §5.4): each member carries its own anchored
  aggregates, exactly those of evaluating it alone; the comparison's aggregates combine them
  (:func:`synae.run.scoring.aggregate.combine_anchored`) — adding a set changes no other set's score.
- ``group`` scale (reference profile, §5.1): the group (self row + every set) is normalised
  together, the self row being the ideal D-vs-D values (:func:`synae.run.scoring.aggregate.ideal_self_row`,
  merged over the members so that a metric null for one member still has its reference value).
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Mapping, Sequence
from typing import Any

from synae import __version__
from synae.config import Config
from synae.llm.client import LLMClient
from synae.llm.progress import StageProgress
from synae.results import ComparisonResults, EvaluationReport, MetricResult
from synae.run.inputs.streaming import TrajectoryStream
from synae.run.scoring.aggregate import (
    SELF_ROW,
    AggregateOptions,
    aggregate,
    combine_anchored,
    ideal_self_row,
)
from synae.run.scoring.evaluation import Evaluator
from synae.run.scoring.pipeline import ReportOptions, aggregate_scale, evaluate_for_report
from synae.run.scoring.privacy import attach_privacy, has_privacy_metrics, privacy_score
from synae.run.scoring.report_data import Projection
from synae.run.scoring.structure import ride_structure, structure_warnings
from synae.run.scoring.uncertainty import noise_floor
from synae.run.scoring.validity import ValiditySession, default_note
from synae.schema import Dataset


def group_self_row(reports: Sequence[EvaluationReport], bound: str) -> dict[str, MetricResult]:
    """The ideal self row, taking each metric's D-side value from the first member that has it."""
    row: dict[str, MetricResult] = {}
    for report in reports:
        for mid, result in ideal_self_row(report.metrics, bound).items():  # type: ignore[arg-type]
            row.setdefault(mid, result)
    return row


def run_comparison(real: Dataset | TrajectoryStream, synthetic: Mapping[str, Dataset | TrajectoryStream],
                   config: Config | None = None, *,
                   param_name: str | None = None, param_values: Sequence[float] | None = None,
                   reference: str | None = None, bootstrap: int = 0, noise_repeats: int = 0,
                   checker: str | None = "rules", metric_patterns: str | Sequence[str] | None = None,
                   embedder: Any = None, report_data: bool = False, progress: bool = False,
                   client: LLMClient | None = None) -> ComparisonResults:
    """Evaluate every synthetic set against ``real`` and aggregate the group.

    ``reference``: the label of the member used as the labels' reference (default: the self row);
    ``metric_patterns``: glob patterns over metric IDs (default: every metric of the preset);
    ``checker``: validity checkers (``rules``, ``llm``, ``both``, ``None`` = preset default, ``"none"`` =
    no validity); ``report_data``: compute the HTML report's map and drill-down (only when a
    report is wanted); ``client``: the validity judge's LLM client (default: one built from
    ``config.llm`` when a judge runs) — pass one to call ``client.raise_if_all_unscored()`` afterwards.
    The evaluator (and an executor it starts, e.g. Ray) is closed before returning.
    """
    config = config or Config()
    if reference is not None and reference not in synthetic:
        raise ValueError(f"reference {reference!r} is not one of the labels {list(synthetic)}")
    with Evaluator(real, config, metric_patterns=metric_patterns, embedder=embedder,
                   progress=progress) as evaluator:
        return _compare(evaluator, synthetic, param_name=param_name, param_values=param_values,
                        reference=reference, bootstrap=bootstrap, noise_repeats=noise_repeats,
                        checker=checker, report_data=report_data, client=client)


def _compare(evaluator: Evaluator, synthetic: Mapping[str, Dataset | TrajectoryStream], *,
             param_name: str | None, param_values: Sequence[float] | None, reference: str | None,
             bootstrap: int, noise_repeats: int, checker: str | None, report_data: bool,
             client: LLMClient | None) -> ComparisonResults:
    """:func:`run_comparison` with its evaluator."""
    real, config, progress = evaluator.real, evaluator.config, evaluator.progress
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ride_structure(real, *synthetic.values())
    # before the real features: a streamed real set's rules ride that pass
    validity = (ValiditySession(real, evaluator.preset, config, checker, client=client, progress=progress)
                if checker != "none" else None)
    real_f = evaluator.real_features
    timings["features_real"] = time.perf_counter() - t0
    floor = None
    if noise_repeats:
        t1 = time.perf_counter()
        floor = noise_floor(evaluator.compute_metrics, real_f, noise_repeats, seed=config.seed,
                            progress=progress)
        timings["noise_floor"] = time.perf_counter() - t1
    projection = Projection.fit(real_f.transcripts) if real_f.transcripts is not None and real_f.n else None
    scale = aggregate_scale(config)
    agg_options = AggregateOptions(diversity_bound=config.metrics.diversity_bound, reference=reference,
                                   scale=scale)
    # anchored: each member's own aggregates (labels against the self row, as when evaluated alone)
    member_options = AggregateOptions(diversity_bound=config.metrics.diversity_bound, scale=scale)
    options = ReportOptions(bootstrap=bootstrap, noise_repeats=noise_repeats, report_data=report_data,
                            aggregates=scale == "anchored", aggregate=member_options)
    members: dict[str, EvaluationReport] = {}
    with StageProgress(len(synthetic), "compare", unit="sets", enabled=progress) as shown:
        for label, dataset in synthetic.items():
            t2 = time.perf_counter()
            members[label] = evaluate_for_report(evaluator, dataset, checker=checker, options=options,
                                                 floor=floor, projection=projection, name=label,
                                                 validity=validity)
            timings[f"member:{label}"] = time.perf_counter() - t2
            shown.advance()
    if scale == "anchored":
        aggregates = combine_anchored({label: r.aggregates for label, r in members.items()
                                       if r.aggregates is not None}, agg_options)
        noise = next((r.aggregates.get("noise_floor_scores") for r in members.values()
                      if r.aggregates is not None and r.aggregates.get("noise_floor_scores")), None)
        if noise is not None:
            aggregates["noise_floor_scores"] = noise
    else:
        group = {SELF_ROW: group_self_row(list(members.values()), agg_options.diversity_bound),
                 **{label: r.metrics for label, r in members.items()}}
        aggregates = aggregate(group, agg_options)
        aggregates["self_row"] = "ideal"
        for label, r in members.items():
            if has_privacy_metrics(r.metrics):
                score = privacy_score(real_f, r.metrics, evaluator.context, seed=config.seed,
                                      options=agg_options)
                own: dict[str, Any] = r.aggregates.get("privacy", {}) if r.aggregates else {}
                score.copies = (own.get(label) or {}).get("copies")
                attach_privacy(aggregates, label, score, agg_options)
    timings["total"] = time.perf_counter() - t0
    first = next(iter(members.values()), None)
    note = default_note(evaluator.preset, config, checker) if checker != "none" else None
    warnings = [w for data in (real, *synthetic.values()) for w in structure_warnings(data, evaluator.preset)]
    return ComparisonResults(
        synae_version=__version__,
        created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        config=first.config if first is not None else config.resolved(), members=members,
        param_name=param_name, param_values=list(param_values) if param_values is not None else None,
        aggregates=aggregates, timings=timings, **({"notes": [note]} if note else {}),
        **({"warnings": warnings} if warnings else {}))
