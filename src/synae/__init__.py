"""synae: evaluate synthetic tool-calling agent trajectories against real ones.

Three pillars: validity (do the calls and outputs accomplish the instruction?), fidelity (how close
are synthetic and real?) and diversity (how much of the space does the synthetic set cover?).

Python API: :func:`evaluate`, :func:`compare` (the results of ``synae evaluate``/``synae compare``,
``to_pandas()`` for a tidy metrics table) and :func:`write_html`; everything is imported when first
called, so ``import synae`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # imported lazily below: ``import synae`` stays cheap
    from pathlib import Path

    from synae.results import ComparisonResults, EvaluationReport

__all__ = ["__version__", "compare", "evaluate", "write_html"]


def evaluate(real: Any, synthetic: Any, **options: Any) -> EvaluationReport:
    """Evaluate one synthetic set against a real one, as ``synae evaluate`` does: metrics, pillar
    scores and labels, per-target scores (``aggregates["targets"]``).

    ``real``/``synthetic``: file paths, :class:`synae.schema.Dataset` objects, lists of
    trajectories or of records, pandas DataFrames or Hugging Face ``datasets`` objects. Options:
    ``config`` (a YAML/TOML file), ``report=True`` (compute the HTML report's data, for
    :func:`write_html`), ``name`` (the synthetic set's name), ``progress``, and any config key
    (``bootstrap=200``, ``checker="rules"``, ``judge_model=…``, ``out="results.json"``); see
    :mod:`synae.run.api`."""
    from synae.report.html import render_html
    from synae.run.api import evaluate as run_evaluate

    return run_evaluate(real, synthetic, render=render_html, **options)


def compare(real: Any, synthetic: Any, **options: Any) -> ComparisonResults:
    """Evaluate several synthetic sets against one real set and rank them, as ``synae compare``
    does (``aggregates["ranking"]``, best first). ``synthetic``: a list of sets (each as in
    :func:`evaluate`; named by ``names=[…]``, else by file name, else ``synthetic``,
    ``synthetic_2``, …) or a mapping name → set. Options as in :func:`evaluate`; with ``out`` (a
    folder) ``results.json`` — and with ``report=True`` ``report.html`` — are written there."""
    from synae.report.html import render_html
    from synae.run.api import compare as run_compare

    return run_compare(real, synthetic, render=render_html, **options)


def write_html(results: EvaluationReport | ComparisonResults, path: str | Path) -> Path:
    """Write the HTML report of ``results`` to ``path``, exactly as ``synae report`` does; a
    :class:`synae.errors.DataError` when ``results`` hold no report data (evaluate with
    ``report=True``)."""
    from synae.report.html import write_html as write

    return write(results, path)
