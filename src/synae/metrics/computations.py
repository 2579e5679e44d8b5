"""The built-in metrics, registered in report order (``docs/method.md`` §3.10, §4).

Each computation adapts :class:`~synae.metrics.features.DatasetFeatures` to a pure metric function
of :mod:`synae.metrics.fidelity`, :mod:`~synae.metrics.knn` or :mod:`~synae.metrics.diversity`.
Validity rates and downstream TDD/RD are declared here (metadata only): the validity session and the
downstream runner produce them.

Edge cases shared by several metrics: an output metric is ``skipped`` (``no_outputs``) when a set
has no outputs, and reports ``without_output_real``/``without_output_syn``; a tool-call metric is
``skipped`` (``no_tool_calls``) when neither set has a call, and reports ``unparsable_code``; a
diversity metric also reports the real set's value (``details.real_value``, computed once per real
feature set) and its size as ``n_real``.

``replicas`` (what the collapse anchor needs, :mod:`synae.metrics.registry`): n identical synthetic
rows have the distributions, label frequencies, shares and Vendi score (1) of one row, so one row
gives those values; the Fréchet distance needs 2 (μ′ = the row, Σ′ = 0; n < 2 is undefined), k-NN
precision/recall k + 1 (the synthetic radii are 0 once n > k, undefined below); pooled planning
reads the row's ``weight`` (its window counts scale with n).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from synae.metrics import diversity, fidelity, knn
from synae.metrics.base import MetricValue
from synae.metrics.features import DatasetFeatures
from synae.metrics.registry import (
    HIGHER,
    LOWER,
    MetricContext,
    MetricInputs,
    declare,
    failed,
    has_outputs,
    has_tool_calls,
    make_result,
    metric,
    one_row,
    skipped,
)
from synae.results import MetricResult

Outcome = MetricValue | MetricResult
T = TypeVar("T")

# ------------------------------------------------------------------------------------------------
# Validity (produced by synae.run.scoring.validity)

declare("validity.tool_calls.rate", direction=HIGHER, bounds=(0.0, 1.0), unit="trajectories",
        produced_by="validity",
        meaning="Share of synthetic trajectories whose tool calls accomplish their own instructions.")
declare("validity.output.rate", direction=HIGHER, bounds=(0.0, 1.0), unit="trajectories",
        produced_by="validity",
        meaning="Share of synthetic trajectories whose final output passes the output validity checks "
                "(rules: non-empty, values grounded in the trajectory, tool results used, claimed actions "
                "backed by calls, not garbled or cut off; judge: answers the instructions consistently with "
                "the conversation).")


# ------------------------------------------------------------------------------------------------
# Helpers


def _output_counts(m: MetricInputs) -> dict[str, int]:
    return {"without_output_real": m.real.n - m.real.n_outputs,
            "without_output_syn": m.synthetic.n - m.synthetic.n_outputs}


def _outputs_missing(m: MetricInputs) -> MetricResult | None:
    """The ``no_outputs`` record of an output metric when either set has no output, else ``None``."""
    if m.spec.target == "output" and (m.real.n_outputs == 0 or m.synthetic.n_outputs == 0):
        return skipped(m.metric_id, "no_outputs: a set has no outputs", details=_output_counts(m))
    return None


def _real_side(m: MetricInputs, key: str, build: Callable[[], T]) -> T:
    """``build()`` — what a metric reads of the real set — once per real feature set (``memo``): the
    collapse anchor and the noise floor compare many synthetic sets with the same real one."""
    memo: dict[str, Any] = m.real.memo
    if key not in memo:
        memo[key] = build()
    value: T = memo[key]
    return value


def _vectors(f: DatasetFeatures, m: MetricInputs) -> np.ndarray:
    """The embedding rows the metric reads (transcripts or outputs)."""
    rows = f.transcripts if m.spec.embedding == "transcripts" else f.outputs
    if rows is None:
        raise ValueError(f"{m.metric_id}: {m.spec.embedding} were not embedded")
    return rows


def _distinct_rows(*arrays: np.ndarray) -> int:
    rows = [a for a in arrays if a.size]
    if not rows:
        return 0
    stacked = np.ascontiguousarray(np.vstack(rows))
    return int(np.unique(stacked.view(np.dtype((np.void, stacked.dtype.itemsize * stacked.shape[1])))).size)


def _output_notes(m: MetricInputs, value: MetricValue, x: np.ndarray, y: np.ndarray) -> MetricValue:
    """Output embedding metrics: output counts, and a warning when at most 2 distinct outputs exist."""
    if m.spec.target == "output":
        value.details.update(_output_counts(m))
        if _distinct_rows(x, y) <= 2:
            value.warnings.append("degenerate_outputs: at most 2 distinct output texts")
    return value


# ------------------------------------------------------------------------------------------------
# Fidelity: instructions and outputs


@metric("fidelity.instructions.knd.<pair>", direction=LOWER, bounds=(0.0, 2.0), unit="pairs",
        needs=("pairs",), instances=lambda c: c.knd_pairs, replicas=one_row,
        meaning="How differently consecutive turns relate to each other (embedding similarity of turn pairs) "
                "in the synthetic set compared with the real set.")
def knd(m: MetricInputs) -> Outcome:
    """KND: Wasserstein distance of the turn-pair similarities of one pair type (``within`` pairing)."""
    opts = m.context.options
    if opts.knd_pairing != "within":
        return skipped(m.metric_id, "not_implemented: knd_pairing='flattened' (a legacy diagnostic of the "
                                    "research code) is not available; use 'within'")
    pair = str(m.qualifier)
    return fidelity.knd(m.real.pair_sims[pair].values, m.synthetic.pair_sims[pair].values,
                        order=opts.wasserstein_order)


@metric("fidelity.instructions.am.<attribute>", direction=LOWER, bounds=(0.0, None), unit="items",
        needs=("attributes",), instances=lambda c: c.am_attributes, replicas=one_row,
        meaning="How differently a simple property of the instructions (length, turns, topic labels) is "
                "distributed in the synthetic set compared with the real set.")
def attribute_match(m: MetricInputs) -> Outcome:
    """AM: total variation of label frequencies (categorical, bounds [0, 1]) or Wasserstein distance of
    pooled values (numeric); ``failed`` when the attribute differs in kind between the sets."""
    missing = _outputs_missing(m)
    if missing is not None:
        return missing
    attr = str(m.attribute)
    real, syn = m.real, m.synthetic
    if attr in real.categorical and attr in syn.categorical:
        counts = _real_side(m, f"am.labels.{attr}", lambda: fidelity.label_counts(real.categorical[attr]))
        value = fidelity.categorical_match(counts, syn.categorical[attr])
        return make_result(m.metric_id, value, categorical=True)
    if attr in real.numeric and attr in syn.numeric:
        pooled = _real_side(m, f"am.values.{attr}",
                            lambda: fidelity.PooledValues.of(real.numeric[attr].values))
        value = fidelity.numeric_match(pooled, syn.numeric[attr].values,
                                       order=m.context.options.wasserstein_order)
        if m.spec.target == "output":
            value.details.update(_output_counts(m))
        return value
    return failed(m.metric_id, f"attribute_kind_mismatch: {attr!r} differs in kind between the sets")


def knn_precision_recall(m: MetricInputs) -> Outcome:
    """k-NN precision or recall; both come from one pass, kept in ``shared``. The real side's radii are
    computed once per real feature set (``memo``)."""
    missing = _outputs_missing(m)
    if missing is not None:
        return missing
    x, y = _vectors(m.real, m), _vectors(m.synthetic, m)
    k = m.context.options.knn_k
    key = f"knn.{m.spec.target}"
    if key not in m.shared:
        ref_key = f"knn_reference.{m.spec.target}.k{k}"
        if ref_key not in m.real.memo:
            m.real.memo[ref_key] = knn.prepare(x, k)
        m.shared[key] = knn.knn_precision_recall(m.real.memo[ref_key], y, k=k)
    value: MetricValue = m.shared[key][0 if m.metric_id.endswith("knn_precision") else 1]
    return _output_notes(m, value, x, y)


def knn_rows(context: MetricContext) -> int:
    """``replicas`` of k-NN precision/recall: k + 1 identical rows have radius 0, as any more do."""
    return context.options.knn_k + 1


def two_rows(context: MetricContext) -> int:
    """``replicas`` of the Fréchet distance: 2 identical rows have the mean and zero covariance of n."""
    return 2


def frechet(m: MetricInputs) -> Outcome:
    """Fréchet distance between the two sets' embeddings."""
    missing = _outputs_missing(m)
    if missing is not None:
        return missing
    x, y = _vectors(m.real, m), _vectors(m.synthetic, m)
    opts = m.context.options
    if min(x.shape[0], y.shape[0]) >= 2 and not opts.fid_equal_n and not np.ptp(y, axis=0).any():
        # identical synthetic rows (the collapse anchor): the closed form, real moments memoised
        key = f"fid_moments.{m.spec.embedding}.{opts.fid_eps}"
        if key not in m.real.memo:
            m.real.memo[key] = fidelity.RealMoments.of(x, opts.fid_eps)
        value = fidelity.frechet_to_point(m.real.memo[key], y[0], int(y.shape[0]), opts.fid_eps)
    else:
        value = fidelity.frechet_distance(x, y, eps=opts.fid_eps, equal_n=opts.fid_equal_n,
                                          seed=m.context.seed)
    return _output_notes(m, value, x, y)


metric("fidelity.instructions.knn_precision", direction=HIGHER, bounds=(0.0, 1.0), unit="trajectories",
       needs=("transcripts",), replicas=knn_rows,
       meaning="Share of synthetic conversations that look like some real conversation (they fall on the "
               "real data's manifold).")(knn_precision_recall)
metric("fidelity.instructions.knn_recall", direction=HIGHER, bounds=(0.0, 1.0), unit="trajectories",
       needs=("transcripts",), replicas=knn_rows,
       meaning="Share of real conversations that the synthetic set covers.")(
    knn_precision_recall)
metric("fidelity.instructions.fid", direction=LOWER, bounds=(0.0, None), unit="trajectories",
       needs=("transcripts",), replicas=two_rows,
       meaning="Distance between the embedding distributions (mean and spread) of real and synthetic "
               "conversations.")(frechet)


# ------------------------------------------------------------------------------------------------
# Fidelity: tool calls


def _calls_metric(m: MetricInputs, compute: Callable[[], MetricValue]) -> Outcome:
    if not any(m.real.calls) and not any(m.synthetic.calls):
        return skipped(m.metric_id, "no_tool_calls: neither set has tool calls")
    value = compute()
    value.details["unparsable_code"] = {"real": m.real.unparsable_code,
                                        "synthetic": m.synthetic.unparsable_code}
    return value


@metric("fidelity.tool_calls.tum", direction=LOWER, bounds=(0.0, 1.0), unit="calls", needs=("calls",),
        applies=has_tool_calls, replicas=one_row,
        meaning="How differently often each tool is called in the synthetic set compared with the real set.")
def tool_usage_match(m: MetricInputs) -> Outcome:
    """TUM: total variation of the tool-name frequencies over the preset's vocabulary."""
    vocabulary = m.context.tool_vocabulary
    usage = _real_side(m, "tum.usage", lambda: fidelity.ToolUsage.of(m.real.calls, vocabulary))
    return _calls_metric(m, lambda: fidelity.tool_usage_match(usage, m.synthetic.calls, vocabulary))


@metric("fidelity.tool_calls.tcnm", direction=LOWER, bounds=(0.0, None), unit="trajectories",
        needs=("calls",), applies=has_tool_calls, replicas=one_row,
        meaning="How different the number of tool calls per trajectory is between the two sets.")
def tool_call_number_match(m: MetricInputs) -> Outcome:
    """TCNM: Wasserstein distance of the number of calls per trajectory."""
    counts = _real_side(m, "tcnm.counts",
                        lambda: fidelity.PooledValues.of(fidelity.call_counts(m.real.calls)))
    return _calls_metric(m, lambda: fidelity.tool_call_number_match(
        counts, m.synthetic.calls, order=m.context.options.wasserstein_order))


@metric("fidelity.tool_calls.planning.k<k>", direction=LOWER, bounds=(0.0, 1.0), unit="windows",
        needs=("calls",), applies=has_tool_calls, replicas=one_row,
        instances=lambda c: [str(k) for k in c.options.planning_k],
        meaning="How differently the next tool is chosen after the previous k−1 tools in the synthetic set "
                "compared with the real set.")
def planning(m: MetricInputs) -> Outcome:
    """k-step planning distance (k = the ID's qualifier); the synthetic rows count ``weight`` times."""
    opts, k, vocabulary = m.context.options, int(str(m.qualifier)), m.context.tool_vocabulary
    windows = _real_side(m, f"planning.windows.k{k}",
                         lambda: fidelity.Windows.of(m.real.calls, k, vocabulary))
    return _calls_metric(m, lambda: fidelity.planning_distance(
        windows, m.synthetic.calls, k, vocabulary=vocabulary, weighting=opts.planning_weighting,
        synthetic_weight=m.synthetic.weight))


metric("fidelity.output.knn_precision", direction=HIGHER, bounds=(0.0, 1.0), unit="outputs",
       needs=("outputs",), applies=has_outputs, replicas=knn_rows,
       meaning="Share of synthetic final outputs that look like some real output.")(knn_precision_recall)
metric("fidelity.output.knn_recall", direction=HIGHER, bounds=(0.0, 1.0), unit="outputs", needs=("outputs",),
       applies=has_outputs, replicas=knn_rows,
       meaning="Share of real final outputs that the synthetic outputs cover.")(knn_precision_recall)
metric("fidelity.output.fid", direction=LOWER, bounds=(0.0, None), unit="outputs", needs=("outputs",),
       applies=has_outputs, replicas=two_rows,
       meaning="Distance between the embedding distributions of real and synthetic final outputs.")(frechet)
metric("fidelity.output.am.token_length", direction=LOWER, bounds=(0.0, None), unit="outputs",
       needs=("attributes",), attribute="output_token_length", replicas=one_row,
       applies=lambda c: c.has_outputs and "output_token_length" in c.output_am_attributes,
       meaning="How different the length (in words) of the final outputs is between the two sets.")(
    attribute_match)

# ------------------------------------------------------------------------------------------------
# Downstream (produced by synae.downstream)

declare("fidelity.downstream.tdd.<t>", direction=LOWER, bounds=(0.0, 1.0), unit="agents",
        produced_by="downstream",
        meaning="How much the agents' success rates differ between the synthetic and the real tasks "
                "(task difficulty discrepancy).")
declare("fidelity.downstream.rd.<t>", direction=HIGHER, bounds=(-1.0, 1.0), unit="agents",
        produced_by="downstream",
        meaning="Whether the synthetic tasks rank the agents in the same order as the real tasks "
                "(Spearman correlation; 1 = same ranking).")


# ------------------------------------------------------------------------------------------------
# Diversity


def _diversity(m: MetricInputs, value_of: Callable[[DatasetFeatures], MetricValue]) -> Outcome:
    """``value_of(synthetic)`` with the real set's value (memoised per real feature set) as reference."""
    value = value_of(m.synthetic)
    if m.metric_id not in m.real.memo:
        m.real.memo[m.metric_id] = value_of(m.real)
    ref: MetricValue = m.real.memo[m.metric_id]
    value.details["real_value"] = ref.value
    value.n_real = ref.n_synthetic
    return value


@metric("diversity.instructions.vendi", direction=HIGHER, bounds=(1.0, None), unit="trajectories",
        needs=("transcripts",), replicas=one_row,
        meaning="Effective number of distinct conversations in the synthetic set (Vendi score).")
def instruction_vendi(m: MetricInputs) -> Outcome:
    """Vendi score of the instruction-transcript embeddings (cosine kernel)."""
    return _diversity(m, lambda f: diversity.vendi_cosine(_vectors(f, m)))


def ad_combinations(real: DatasetFeatures, syn: DatasetFeatures, context: MetricContext) -> int:
    """K = Π over AD attributes of the number of possible labels: keyword vocabularies have
    len(terms) + 1 (``"Other"``); other attributes the labels observed in D ∪ D′."""
    k = 1
    for j, attr in enumerate(context.ad_attributes):
        if attr in context.keyword_vocabulary_sizes:
            k *= context.keyword_vocabulary_sizes[attr] + 1
        else:
            k *= len({c[j] for c in (real.ad_labels or [])} | {c[j] for c in (syn.ad_labels or [])})
    return k


@metric("diversity.instructions.ad", direction=HIGHER, bounds=(0.0, None), unit="trajectories",
        needs=("ad_labels",), replicas=one_row,
        meaning="How evenly the synthetic conversations spread over attribute combinations (entropy).")
def attribute_diversity(m: MetricInputs) -> Outcome:
    """AD: entropy of the attribute combinations; ``skipped`` without AD attributes."""
    attributes = list(m.context.ad_attributes)
    if not attributes:
        return skipped(m.metric_id, "no_ad_attributes: the preset/config names no AD attribute")
    k_possible = ad_combinations(m.real, m.synthetic, m.context)

    def value_of(f: DatasetFeatures) -> MetricValue:
        value = diversity.attribute_diversity(f.ad_labels or [], k_possible)
        value.details["attributes"] = list(attributes)
        return value

    return _diversity(m, value_of)


@metric("diversity.tool_calls.vendi", direction=HIGHER, bounds=(1.0, None), unit="trajectories",
        needs=("calls",), applies=has_tool_calls, replicas=one_row,
        meaning="Effective number of distinct tool-call sequences in the synthetic set (Vendi score).")
def tool_vendi(m: MetricInputs) -> Outcome:
    """Vendi score of the tool-call sequences; ``skipped`` when neither set has a call."""
    if not any(m.synthetic.calls) and not any(m.real.calls):
        return skipped(m.metric_id, "no_tool_calls: neither set has tool calls")
    opts = m.context.options
    return _diversity(m, lambda f: diversity.tool_vendi(f.calls, kernel=opts.tool_vendi_kernel,
                                                        negative=opts.vendi_negative_eigenvalues))


@metric("diversity.output.vendi", direction=HIGHER, bounds=(1.0, None), unit="outputs", needs=("outputs",),
        applies=has_outputs, replicas=one_row,
        meaning="Effective number of distinct final outputs in the synthetic set (Vendi score).")
def output_vendi(m: MetricInputs) -> Outcome:
    """Vendi score of the output embeddings; ``skipped`` when the synthetic set has no output (an
    output-less real set gives a null reference value)."""
    if m.synthetic.n_outputs == 0:
        return skipped(m.metric_id, "no_outputs: the synthetic set has no outputs", n_synthetic=0)
    return _diversity(m, lambda f: diversity.vendi_cosine(_vectors(f, m)) if f.n_outputs
                      else MetricValue.null("no_outputs"))


# ------------------------------------------------------------------------------------------------
# Privacy (registered by its module)

from synae.metrics import privacy as privacy  # noqa: E402  (registers after the other pillars)
