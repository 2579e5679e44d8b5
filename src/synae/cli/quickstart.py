"""`synae quickstart` — generate a synthetic set from shipped real data and evaluate it, in one command.

Defaults: T1, ``oversample`` with r = 0.3 (70 % of the set is distinct real conversations, 30 %
copies of conversation 0), the MiniLM embedder — about a minute on a laptop CPU, most of it embedding
the real conversations once (later runs read the embedding cache). The real dataset D is the file the
generator reads, so D′ differs from D only by the generator's controlled change:

| benchmark | oversample, dropmin, blankfill, fewshot | invalidate, relabel |
|---|---|---|
| t1 | ``t1/t1_attraction_turns_with_output.csv`` (int-ID order) | ``t1/t1_attraction_augmented_valid.csv`` |
| bfcl | ``bfcl/BFCL_v4_multi_turn_base.json`` (+ ground truth) | same |
| acp | ``acp/acp_app_prog.csv`` | same |

Writes to ``--out`` (default ``synae-quickstart/``): the generated data (canonical JSONL, sidecar,
manifest), ``results.json`` (the :class:`~synae.report.models.EvaluationReport` with validity from
the preset's checkers, fidelity, diversity, pillar scores and labels; one ``results_<name>.json`` per
set when a method makes several, e.g. relabel) and, unless ``--no-report``, ``report.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from synae.errors import ConfigError

# One parameter value per method when none is given.
DEFAULT_PARAMS = {"oversample": "0.3", "invalidate": "0.5", "dropmin": "2", "blankfill": "0.5",
                  "fewshot": "3"}

SOURCES: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "t1": {"default": (("t1", "t1_attraction_turns_with_output.csv"), "int_id"),
           "invalidate": (("t1", "t1_attraction_augmented_valid.csv"), "none"),
           "relabel": (("t1", "t1_attraction_augmented_valid.csv"), "none")},
    "bfcl": {"default": (("bfcl", "BFCL_v4_multi_turn_base.json"), "none")},
    "acp": {"default": (("acp", "acp_app_prog.csv"), "none")},
}


def source_file(benchmark: str, method: str) -> tuple[Path, str]:
    """(path of the real data file, sort order) the quickstart uses for ``benchmark`` and ``method``."""
    from synae.datapaths import data_path

    if benchmark not in SOURCES:
        raise ConfigError(f"quickstart benchmark must be one of {', '.join(SOURCES)}, got {benchmark!r}")
    parts, sort = SOURCES[benchmark].get(method, SOURCES[benchmark]["default"])
    return data_path(*parts), sort


def quickstart(
    benchmark: Annotated[str, typer.Argument(help="t1, bfcl or acp.")] = "t1",
    method: Annotated[str, typer.Argument(help="Generation method (see synae generate).")] = "oversample",
    param: Annotated[str | None, typer.Argument(
        help="One value of the method's parameter (default: oversample 0.3, invalidate 0.5, dropmin 2, "
             "blankfill 0.5, fewshot 3).")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("synae-quickstart"),
    embedder: Annotated[str, typer.Option("--embedder", help="minilm, lexical, openai:<model>.")] = "minilm",
    mode: Annotated[str, typer.Option("--mode", help="'default' or 'reference' profile.")] = "default",
    seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 123,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", help="Comma-separated glob patterns over metric IDs (default: all that apply).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="LLM generator model.")] = None,
    llm_base_url: Annotated[str | None, typer.Option("--llm-base-url", help="OpenAI-compatible URL.")] = None,
    validity: Annotated[str | None, typer.Option(
        "--validity", help="rules, llm, both or none (default: the preset's checker, rule-based for "
                           "t1/bfcl/acp).")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Also write report.html.")] = True,
) -> None:
    """Generate a synthetic set from the shipped real data and evaluate it (one command)."""
    from synae.adapters import load_dataset
    from synae.cli.evaluate import metrics_table
    from synae.config import LLMSettings, load_config
    from synae.evaluate import Evaluator
    from synae.generate.llm_support import LLMOptions
    from synae.generate.output import write_generated
    from synae.generate.registry import get_method, parse_values, run_sweep
    from synae.report.aggregate import AggregateOptions
    from synae.report.console import print_aggregates
    from synae.report.evaluation import ReportOptions, evaluate_for_report
    from synae.report.html import write_html
    from synae.validity.run import ValiditySession

    console = Console()
    chosen = get_method(method)
    path, sort = source_file(benchmark, method)
    real = load_dataset(path, sort=sort)
    param = None if chosen.param is None else (param or DEFAULT_PARAMS.get(chosen.name))
    values = parse_values(chosen, param, benchmark)
    if len(values) != 1:
        raise ConfigError("quickstart takes one parameter value; use `synae generate` for sweeps")
    options: dict[str, object] = {"seed": seed, "mode": mode}
    if chosen.llm:
        options["llm"] = LLMOptions(model=model or "", settings=LLMSettings(base_url=llm_base_url))
    items = run_sweep(chosen, real, values, options=options, preset=benchmark)
    written, _ = write_generated(items, out, "canonical")
    made = ", ".join(f"{w.name} (n = {w.counts['n_out']})" for w in written)
    console.print(f"generated {made} from {path.name} (n = {len(real)}) into {out}", highlight=False)

    config = load_config(None, mode=mode, preset=benchmark, seed=seed, embedding={"model": embedder})
    evaluator = Evaluator(real, config, preset=benchmark, metric_patterns=metrics)
    validity_session = (ValiditySession(real, evaluator.preset, config, validity, progress=False)
                        if validity != "none" else None)
    options = ReportOptions(aggregate=AggregateOptions(diversity_bound=config.metrics.diversity_bound))
    for item in items:
        result = evaluate_for_report(evaluator, item.dataset, checker=validity, options=options,
                                     validity=validity_session)
        suffix = "" if len(items) == 1 else f"_{item.dataset.name}"
        results_path = out / f"results{suffix}.json"
        result.write(results_path)
        written = [results_path]
        if report:
            written.append(write_html(result, out / f"report{suffix}.html"))
        console.print(metrics_table(result))
        print_aggregates(result.aggregates, console)
        console.print(f"written: {', '.join(map(str, written))}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``synae quickstart``."""
    app.command("quickstart")(quickstart)
