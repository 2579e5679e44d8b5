"""``synae quickstart``: generate one synthetic set from example real data and evaluate it against
that data, in one call.

Defaults: BFCL multi-turn base (200 conversations, read from the copy the installed ``bfcl-eval``
package ships, so no data folder is needed; :func:`synae.datapaths.example_input`), ``oversample``
with r = 0.3 (70 % of the set is distinct real conversations, 30 % copies of conversation 0), the
MiniLM embedder. T1 and ACP are available by name when their data is in ``$SYNAE_DATA_DIR``. The
real dataset D is the file the generator reads, so D′ differs from D only by the generator's
controlled change; which file each benchmark and method read is the example registry of
:mod:`synae.datapaths` (``EXAMPLE_INPUTS``).

Writes to ``output.out`` (default ``synae-quickstart/``): the generated data (canonical JSONL,
sidecar, manifest) and ``results.json`` (the :class:`~synae.results.EvaluationReport` with validity
from the preset's checkers — unless ``validity.checker`` is ``none`` —, fidelity, diversity, pillar
scores and labels; one ``results_<name>.json`` per set when a method makes several, e.g. relabel).
With ``output.html`` the reports carry the HTML report's data (``report_data``); writing the HTML
(``report.html`` / ``report_<name>.html``, named by :attr:`QuickstartSet.html`) is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synae.config import Config
from synae.datapaths import example_input
from synae.errors import ConfigError
from synae.generate.output import WrittenSet, write_generated
from synae.generate.registry import Method, get_method
from synae.generate.sweep import parse_values
from synae.presets import get_preset
from synae.results import EvaluationReport
from synae.run.commands import raise_if_all_unscored, set_extra
from synae.run.generation import generate_sets, generator_llm, method_options
from synae.run.inputs.data import load_dataset
from synae.run.scoring.structure import structure_warnings

DEFAULT_BENCHMARK = "bfcl"
DEFAULT_METHOD = "oversample"
DEFAULT_OUT = Path("synae-quickstart")
# One parameter value per method when none is given.
DEFAULT_PARAMS = {"oversample": "0.3", "invalidate": "0.5", "dropmin": "2", "blankfill": "0.5",
                  "fewshot": "3"}


@dataclass
class QuickstartSet:
    """One evaluated synthetic set: its report, where the results were written, and the HTML
    report's path (written by the caller)."""

    report: EvaluationReport
    results: Path
    html: Path


@dataclass
class QuickstartRun:
    """What one quickstart generated and evaluated."""

    benchmark: str
    source: Path
    n_real: int
    out: Path
    written: list[WrittenSet]
    sets: list[QuickstartSet]


def llm_budget(config: Config, method: Method, n_real: int) -> str | None:
    """The LLM work a quickstart run is about to ask for, in one line (``None``: no LLM call): the
    generator requests (one per output: ``generate.n_out``, default one per real trajectory), the
    completion agent's runs (``generate.complete_with``: one per generated trajectory, several
    requests each) and the validity judge's requests (when the checker uses the judge)."""
    from synae.run.scoring.validity import default_kind

    g, parts = config.generate, []
    if method.llm:
        parts.append(f"up to {g.n_out or n_real} generator request(s) to {g.model}")
    if g.complete_with:
        parts.append(f"one agent run of {g.complete_with} per generated trajectory (a few requests each)")
    checker = config.validity.checker
    if checker in ("llm", "both") or (checker is None and default_kind(config.preset or DEFAULT_BENCHMARK,
                                                                        config) != "rules"):
        parts.append(f"one judge request per synthetic trajectory and target ({config.judge.model})")
    if not parts:
        return None
    where = config.llm.base_url or "$OPENAI_BASE_URL"
    return f"LLM calls at {where}: " + "; ".join(parts) + " (cached replies are not asked again)"


def quickstart_command(config: Config, *, progress: bool = False,
                       announce: Callable[[str], None] | None = None) -> QuickstartRun:
    """Generate ``generate.method`` (default oversample) with one ``generate.param`` value (default
    :data:`DEFAULT_PARAMS`) from the example data of ``preset`` (default :data:`DEFAULT_BENCHMARK`),
    write it to ``output.out`` and evaluate every generated set against that data (see the module
    docstring). The other ``generate.*`` keys apply as in ``synae generate`` (``n_out``,
    ``complete_with``, ``examples``, …). A sweep (several values) is a :class:`ConfigError`: that is
    ``synae generate``'s job. ``progress`` shows the evaluator's progress (embedding); ``announce``
    receives the LLM call budget (:func:`llm_budget`) before any request.
    """
    from synae.run.scoring.evaluation import Evaluator
    from synae.run.scoring.pii_masking import mask_notes
    from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
    from synae.run.scoring.validity import ValiditySession

    benchmark, g = config.preset or DEFAULT_BENCHMARK, config.generate
    out = config.output.out or DEFAULT_OUT
    method = get_method(g.method or DEFAULT_METHOD)
    preset = get_preset(benchmark)
    path, sort = example_input(preset.name, method.name)
    real = load_dataset(path, sort=sort, preset=preset.name)
    param = None if method.param is None else (g.param or DEFAULT_PARAMS.get(method.name))
    values = parse_values(method, param, preset)
    if len(values) != 1:
        raise ConfigError("quickstart takes one parameter value; use `synae generate` for sweeps")
    budget = llm_budget(config, method, len(real))
    if announce is not None and budget:
        announce(budget)
    items = generate_sets(method, real, values, preset, options=method_options(config),
                          llm=generator_llm(config) if method.llm or g.complete_with else None,
                          complete_with=g.complete_with)
    written, _ = write_generated(items, out, "canonical")

    checker = config.validity.checker  # validity is reported unless --validity none
    evaluator = Evaluator(real, config, preset=preset, metric_patterns=config.evaluation.select,
                          progress=progress)
    session = (ValiditySession(real, preset, config, checker, progress=False)
               if checker != "none" else None)
    options = ReportOptions(report_data=config.output.html)  # the HTML report's map and drill-down
    options.aggregate.diversity_bound = config.metrics.diversity_bound
    sets = []
    for item in items:
        report = evaluate_for_report(evaluator, item.dataset, checker=checker, options=options,
                                     validity=session)
        warnings = structure_warnings(item.dataset)
        if warnings:
            set_extra(report, warnings=warnings)
        suffix = "" if len(items) == 1 else f"_{item.dataset.name}"
        results = out / f"results{suffix}.json"
        mask_notes(report, config.output.show_pii)
        report.write(results)
        sets.append(QuickstartSet(report=report, results=results, html=out / f"report{suffix}.html"))
    raise_if_all_unscored([session.client if session else None], out)
    return QuickstartRun(benchmark=preset.name, source=path, n_real=len(real), out=out, written=written,
                         sets=sets)
