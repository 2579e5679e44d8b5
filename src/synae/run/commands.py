"""What each ``synae`` command runs, from one resolved :class:`~synae.config.Config`.

The CLI parses flags into a config (``synae.cli.options.command_config``), calls one function here
and prints what it returns; everything in between — loading the datasets, choosing the preset,
building LLM clients (through :mod:`synae.run.factory`), wiring validity, downstream agents and the
judge — happens here, so the Python API gets the same behaviour as the command line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from synae import __version__
from synae.config import Config
from synae.errors import ConfigError, LLMFatalError
from synae.results import ComparisonResults, EvaluationReport, MetricResult, clean_json
from synae.run.inputs.data import SKIPPED_SHOWN, check_not_all_skipped
from synae.schema import Dataset, Trajectory, gc_relaxed

if TYPE_CHECKING:
    from synae.run.inputs.precomputed import View
    from synae.run.inputs.streaming import TrajectoryStream
    from synae.run.scoring.evaluation import ExtraMetrics

VALIDITY_IDS = ("validity.tool_calls.rate", "validity.output.rate")
LABEL = "{label}"  # in an inputs.synthetic_embeddings path: the synthetic set's label


def required(value: Any, key: str, flag: str) -> Any:
    """``value``, or a :class:`ConfigError` naming the flag and the config key that set it."""
    if value is None or value == []:
        raise ConfigError(f"{flag} is required (config key {key})")
    return value


def load_input(path: Path | Any, config: Config, *, synthetic: bool = False,
               name: str | None = None) -> Dataset:
    """One dataset with the ``inputs`` options (format, BFCL answers, order, skipping bad records,
    where chat outputs come from) and its precomputed vectors: ``inputs.embeddings`` for the real
    side, ``inputs.synthetic_embeddings`` for a synthetic set (:func:`attach_embeddings`). ``path``
    may also be in-memory records (:func:`synae.run.inputs.data.load_dataset`)."""
    from synae.run.inputs.data import load_dataset

    i = config.inputs
    fmt = (i.synthetic_format or i.format) if synthetic else i.format
    dataset = load_dataset(path, fmt, answers=None if synthetic else i.answers, preset=config.preset,
                           skip_invalid=i.skip_invalid, sort=i.sort, name=name, output_from=i.output_from)
    check_not_all_skipped(dataset, dataset.source or str(path))
    attach_embeddings(dataset, i.synthetic_embeddings if synthetic else i.embeddings)
    return dataset


@dataclass
class Inputs:
    """Datasets handed to :func:`evaluate_command`/:func:`compare_command` directly (the Python API,
    :mod:`synae.run.api`) instead of ``inputs.real``/``inputs.synthetic``: each a path or in-memory
    data (:func:`memory_input`); ``synthetic`` maps each set's name to it, ``real_name`` names the
    real set (``None``: its file's name). ``report``: compute the HTML report's data even when no
    report file is asked for."""

    real: Any
    synthetic: dict[str, Any]
    real_name: str | None = None
    report: bool = False


def memory_input(data: Any, config: Config, *, synthetic: bool = False, name: str | None = None) -> Dataset:
    """In-memory data as a dataset named ``name`` (when given): a :class:`Dataset` (a shallow copy —
    the caller's object is not renamed), a list of :class:`Trajectory`, or records
    :func:`load_input` reads (a list of dicts, a DataFrame, a ``datasets`` object); precomputed
    vectors attached as for a file (:func:`attach_embeddings`)."""
    import dataclasses

    if isinstance(data, Dataset):
        dataset = dataclasses.replace(data, name=name or data.name, embeddings=dict(data.embeddings))
    elif isinstance(data, (list, tuple)) and data and all(isinstance(t, Trajectory) for t in data):
        dataset = Dataset(trajectories=list(data), name=name or "dataset", source="<list>")
    else:
        return load_input(data, config, synthetic=synthetic, name=name)
    i = config.inputs
    attach_embeddings(dataset, i.synthetic_embeddings if synthetic else i.embeddings)
    return dataset


def open_input(path: Path | Any, config: Config, *, synthetic: bool = False, name: str | None = None,
               whole: bool = False) -> Dataset | TrajectoryStream:
    """An input of ``evaluate``/``compare``: a :class:`~synae.run.inputs.streaming.TrajectoryStream` when
    ``path`` streams (:func:`synae.run.inputs.streaming.streaming_format`), ``whole`` is false and its
    precomputed-vector side files are all ``.npy`` (memory-mapped; a ``.parquet`` one is matched by
    id, which needs the trajectories); in-memory data with :func:`memory_input`; else
    :func:`load_input`."""
    from synae.run.inputs.precomputed import VIEWS, read_npy
    from synae.run.inputs.streaming import TrajectoryStream, streaming_format

    if not isinstance(path, (str, Path)):
        return memory_input(path, config, synthetic=synthetic, name=name)
    path = Path(path)
    i = config.inputs
    files = i.synthetic_embeddings if synthetic else i.embeddings
    fmt = None if whole else streaming_format(path, config, i.synthetic_format if synthetic else None)
    if fmt is None or any(Path(f).suffix.lower() != ".npy" for f in files.values()):
        return load_input(path, config, synthetic=synthetic, name=name)
    stream = TrajectoryStream(path, fmt, skip_invalid=i.skip_invalid, output_from=i.output_from,
                              preset=config.preset, answers=None if synthetic else i.answers, name=name)
    for view in VIEWS:
        if view in files:
            stream.embeddings[view] = read_npy(Path(str(files[view]).replace(LABEL, stream.name)), view)
    return stream


def streamed_run(config: Config, *, report: bool) -> bool:
    """Whether ``evaluate``/``compare`` may stream their inputs: not when the HTML ``report``'s data
    (its drill-down shows trajectories) or downstream agents (they replay trajectories) are asked for."""
    return not report and not config.downstream.agents


def attach_embeddings(dataset: Dataset, files: Mapping[View, Path]) -> None:
    """Attach the precomputed vectors ``files`` (view → ``.npy``/``.parquet`` path) to ``dataset``
    with :func:`synae.run.inputs.precomputed.attach`; ``{label}`` in a path is replaced by the dataset's
    name (``compare``: the set's label)."""
    from synae.run.inputs.precomputed import VIEWS, attach

    for view in VIEWS:
        if view in files:
            attach(dataset, view, str(files[view]).replace(LABEL, dataset.name))


def check_executor(config: Config) -> None:
    """Fail before any work when ``compute.executor`` is ``ray`` and Ray is not installed
    (:class:`~synae.errors.MissingDependencyError` with the install hint), or when nothing answers
    at ``compute.ray_address`` within ``compute.ray_connect_timeout``
    (:func:`~synae.run.executors.ray_executor.probe_address`)."""
    if config.compute.executor == "ray":
        from synae.run.executors.ray_executor import import_ray, probe_address

        import_ray()
        probe_address(config.compute.ray_address, config.compute.ray_connect_timeout)


def skipped_records(datasets: Mapping[str, Dataset | TrajectoryStream]) -> dict[str, dict[str, Any]]:
    """How many records ``skip_invalid`` dropped per dataset: ``{name: {"n_skipped": n, "first":
    [reason, …]}}`` (at most :data:`SKIPPED_SHOWN` reasons, as the adapters gave them)."""
    return {name: {"n_skipped": d.n_skipped, "first": d.skipped[:SKIPPED_SHOWN]}
            for name, d in datasets.items()}


def set_extra(result: BaseModel, **values: Any) -> None:
    """Add entries a result model does not declare (``warnings``, ``skipped``); its
    ``extra="allow"`` keeps them and writes them to the JSON."""
    for name, value in values.items():
        setattr(result, name, value)


def raise_if_all_unscored(clients: Iterable[Any], written: Path | None = None) -> None:
    """Raise the :class:`LLMFatalError` that stopped some LLM client of the run (``client.fatal``:
    re-raised here in case a mechanism caught it per item), or ``all_unscored`` when a client got
    nothing scored (:meth:`synae.llm.client.LLMClient.raise_if_all_unscored`); the message names
    what was written anyway."""
    for client in clients:
        if client is None:
            continue
        try:
            if client.fatal is not None:
                raise client.fatal
            client.raise_if_all_unscored()
        except LLMFatalError as exc:
            if written is None:
                raise
            raise LLMFatalError(exc.kind, f"{exc}; {written} was written with the affected items "
                                          "unscored") from None


def one_synthetic(config: Config) -> Path:
    """The single synthetic file of ``evaluate`` and ``downstream``."""
    paths = required(config.inputs.synthetic, "inputs.synthetic", "--synthetic")
    if len(paths) != 1:
        raise ConfigError(f"this command takes one synthetic dataset, got {len(paths)} (use compare)")
    return Path(paths[0])


def validity_checker(config: Config) -> str | None:
    """``validity.checker`` when set; unset (the preset's default checker) it becomes ``"none"`` when
    ``evaluation.select`` is given and none of its patterns matches a validity metric ID."""
    select = config.evaluation.select
    if config.validity.checker is None and select:
        patterns = [p.strip() for p in select.split(",") if p.strip()]
        if not any(fnmatch(vid, p) for vid in VALIDITY_IDS for p in patterns):
            return "none"
    return config.validity.checker


def _report_options(config: Config, report_data: bool) -> Any:
    """Uncertainty and aggregate options; the HTML report's data only when ``report_data`` (a report
    is asked for)."""
    from synae.run.scoring.pipeline import ReportOptions

    e = config.evaluation
    options = ReportOptions(bootstrap=e.bootstrap, noise_repeats=e.noise_floor, report_data=report_data)
    options.aggregate.diversity_bound = config.metrics.diversity_bound
    return options


# ----------------------------------------------------------------------------------------------
# downstream


def uses_model(spec: str) -> bool:
    """Whether an agent spec names a model (anything but ``oracle`` / ``noisy-oracle[:rate]``)."""
    return spec != "oracle" and not spec.startswith("noisy-oracle")


@dataclass
class DownstreamPlan:
    """Agents, judge and the shared LLM client of one downstream evaluation (built before any work,
    so a bad agent name fails early)."""

    agents: list[Any]
    judge: Any = None
    client: Any = None
    model_agents: int = 0


def plan_downstream(config: Config, *, progress: bool = False) -> DownstreamPlan:
    """Model agents and the equivalence judge share one LLM client (one concurrency limit, one reply
    cache), built only when some agent is a model or ``judge.model`` is set."""
    from synae.downstream.agents import make_agent
    from synae.run.factory import llm_client

    specs = required(config.downstream.agents, "downstream.agents", "--agent")
    d = config.downstream
    needs_client = config.judge.model or any(map(uses_model, specs))
    client = llm_client(config, progress=progress) if needs_client else None
    judge = None
    if config.judge.model:
        from synae.downstream.scoring import LLMEquivalenceJudge

        judge = LLMEquivalenceJudge(client, config.judge)
    agents = [make_agent(s, config, client=client if uses_model(s) else None, temperature=d.temperature,
                         max_tokens=d.max_tokens, call_format=d.call_format) for s in specs]
    return DownstreamPlan(agents=agents, judge=judge, client=client,
                          model_agents=sum(map(uses_model, specs)))


def _loop_settings(config: Config) -> Any:
    from synae.downstream.loop import LoopSettings
    from synae.envs.budget import TrajectoryLimits

    d = config.downstream
    return LoopSettings(max_steps=d.max_steps, concurrency=d.parallel,
                        limits=TrajectoryLimits(d.trajectory_seconds, d.state_max_nodes))


def downstream_extra(config: Config, preset: Any, plan: DownstreamPlan, *,
                     save_dir: Path | None) -> ExtraMetrics:
    """``extra_metrics`` running the planned ``downstream.agents`` on D and D′ (TDD and RD)."""
    from synae.downstream.run import downstream_metrics

    def extra(real: Dataset | TrajectoryStream, synthetic: Dataset | TrajectoryStream) -> list[MetricResult]:
        if not isinstance(real, Dataset) or not isinstance(synthetic, Dataset):  # see streamed_run
            raise TypeError("downstream agents replay loaded datasets, not streamed inputs")
        return downstream_metrics(real, synthetic, preset, plan.agents, config.downstream.scorer,
                                  config.downstream.runs, judge=plan.judge, settings=_loop_settings(config),
                                  save_dir=save_dir, client=plan.client)

    return extra


# ----------------------------------------------------------------------------------------------
# evaluate, compare


Render = Callable[[Any], str]
"""The HTML report of a results object (``synae.report.html.render_html``, passed by the caller)."""


def check_outputs(config: Config, *, folder: bool = False) -> None:
    """Check ``output.out`` (a folder with ``folder``) and ``output.report`` before any work
    (:func:`synae.files.check_writable`): an output under a file or on a read-only path is a
    :class:`ConfigError` now, not a traceback after the computation."""
    from synae.files import check_writable

    if config.output.out is not None:
        check_writable(config.output.out, folder=folder)
    if config.output.report is not None:
        check_writable(config.output.report)


@gc_relaxed()
def evaluate_command(config: Config, *, progress: bool = True, render: Render | None = None,
                     inputs: Inputs | None = None) -> EvaluationReport:
    """``synae evaluate``: D′ against D (fidelity, diversity, validity, downstream on request); writes
    the results JSON to ``output.out`` when set, and with ``render`` the HTML report to
    ``output.report`` when set — both in one commit (:func:`synae.files.commit_files`). ``inputs``:
    the datasets themselves (one synthetic set) instead of ``inputs.real``/``inputs.synthetic``."""
    from synae.files import commit_files
    from synae.run.scoring.evaluation import Evaluator
    from synae.run.scoring.pii_masking import mask_notes
    from synae.run.scoring.pipeline import evaluate_for_report
    from synae.run.scoring.structure import ride_structure, structure_warnings
    from synae.run.scoring.validity import default_note

    check_executor(config)
    check_outputs(config)
    calibration = load_calibration(config)
    report_data = config.output.report is not None or (inputs is not None and inputs.report)
    whole = not streamed_run(config, report=report_data)
    if inputs is None:
        inputs = Inputs(Path(required(config.inputs.real, "inputs.real", "--real")),
                        {"": one_synthetic(config)})
    ((name, data),) = inputs.synthetic.items()
    real = open_input(inputs.real, config, whole=whole, name=inputs.real_name)
    synthetic = open_input(data, config, synthetic=True, whole=whole, name=name or None)
    ride_structure(real, synthetic)
    out = config.output.out
    plan = plan_downstream(config) if config.downstream.agents else None
    evaluator = Evaluator(real, config, metric_patterns=config.evaluation.select, progress=progress)
    extra = None
    if plan is not None:
        extra = downstream_extra(config, evaluator.preset, plan,
                                 save_dir=out.with_name(out.stem + ".agents") if out is not None else None)
    checker = validity_checker(config)
    session = None
    if checker != "none":
        from synae.run.scoring.validity import ValiditySession

        session = ValiditySession(evaluator.real, evaluator.preset, config, checker, progress=progress)
    report = evaluate_for_report(evaluator, synthetic, checker=checker, extra_metrics=extra,
                                 options=_report_options(config, report_data), validity=session)
    if session is not None and session.client is not None:
        record_judge_calibration(report.metrics.values(), config, session.client.base_url,
                                 evaluator.preset.name)
    warnings = [w for data in (real, synthetic) for w in structure_warnings(data, evaluator.preset)]
    if warnings:
        set_extra(report, warnings=warnings)
    note = default_note(evaluator.preset, config, checker) if checker != "none" else None
    if note:
        set_extra(report, notes=[note])
    if config.inputs.skip_invalid:
        set_extra(report, skipped=skipped_records({"real": real, "synthetic": synthetic}))
    place_on_calibration(config, calibration, report.aggregates, config.output.report,
                         report.datasets["real"].fingerprint)
    mask_notes(report, config.output.show_pii)  # no raw PII in the file's free text
    files = {out: report.to_json() + "\n"} if out is not None else {}
    if render is not None and config.output.report is not None:
        files[config.output.report] = render(report)
    commit_files(files)
    raise_if_all_unscored([session.client if session else None, plan.client if plan else None], out)
    return report


@gc_relaxed()
def compare_command(config: Config, *, progress: bool = False, render: Render | None = None,
                    inputs: Inputs | None = None) -> ComparisonResults:
    """``synae compare``: every ``inputs.synthetic`` set against ``inputs.real``; writes
    ``<out>/results.json`` (with the HTML report's data when ``output.html``) and, with ``render``
    and ``output.html``, ``<out>/report.html`` (its time in ``timings.render_html`` of the returned
    results, not of the file) — both in one
    commit (:func:`synae.files.commit_files`: never a new ``results.json`` beside an old
    ``report.html``). ``inputs``: the datasets themselves, by label, instead of
    ``inputs.real``/``inputs.synthetic`` and ``compare.labels``; ``output.out`` is then optional
    (nothing is written without it) and ``inputs.report`` also asks for the report's data."""
    from synae.files import commit_files, data_stem
    from synae.run.scoring.compare import run_comparison
    from synae.run.scoring.pii_masking import mask_notes

    check_executor(config)
    out = config.output.out
    if inputs is None:
        out = Path(required(out, "output.out", "--out"))
    check_outputs(config, folder=True)
    calibration = load_calibration(config)
    c = config.compare
    if inputs is None:
        paths = [Path(p) for p in required(config.inputs.synthetic, "inputs.synthetic", "--synthetic")]
        labels = c.labels or [data_stem(p) for p in paths]
        if len(labels) != len(paths) or len(set(labels)) != len(labels):
            raise ConfigError(f"--labels must give {len(paths)} distinct labels, got {labels}")
        inputs = Inputs(Path(required(config.inputs.real, "inputs.real", "--real")),
                        dict(zip(labels, paths, strict=True)), report=config.output.html)
    n = len(inputs.synthetic)
    unlabelled = [str(p) for p in config.inputs.synthetic_embeddings.values() if LABEL not in str(p)]
    if n > 1 and unlabelled:
        raise ConfigError(f"--synthetic-embeddings {unlabelled[0]} would serve {n} synthetic sets: "
                          f"put {LABEL} in the path (replaced by each set's label)")
    if c.param_values is not None and len(c.param_values) != n:
        raise ConfigError(f"--param-values must give {n} values, got {len(c.param_values)}")
    html = config.output.html and inputs.report
    whole = not streamed_run(config, report=html)
    real = open_input(inputs.real, config, whole=whole, name=inputs.real_name)
    synthetic = {label: open_input(data, config, synthetic=True, name=label, whole=whole)
                 for label, data in inputs.synthetic.items()}
    results = run_comparison(real, synthetic, config, param_name=c.param_name, param_values=c.param_values,
                             reference=c.reference, bootstrap=config.evaluation.bootstrap,
                             noise_repeats=config.evaluation.noise_floor, checker=validity_checker(config),
                             metric_patterns=config.evaluation.select, report_data=html,
                             progress=progress)

    if config.inputs.skip_invalid:
        set_extra(results, skipped=skipped_records({"real": real, **synthetic}))
    place_on_calibration(config, calibration, results.aggregates,
                         out / "report.html" if html and out is not None else None,
                         real.fingerprint() if calibration is not None else None)
    mask_notes(results, config.output.show_pii)  # no raw PII in the file's free text
    if out is None:
        return results
    files = {out / "results.json": results.to_json() + "\n"}  # the JSON as computed, before rendering
    if render is not None and html:
        start = time.perf_counter()
        files[out / "report.html"] = render(results)
        results.timings["render_html"] = time.perf_counter() - start
    commit_files(files)
    return results


# ----------------------------------------------------------------------------------------------
# calibrate (score curves under known damage) and placing sets on them


def calibrate_command(config: Config, *, progress: bool = True,
                      render: Render | None = None) -> dict[str, Any]:
    """``synae calibrate``: the calibration curves of ``inputs.real``
    (:class:`synae.run.scoring.calibration.Calibrator`, strengths and repeats from ``calibration``), written
    to ``<output.out>/calibration.json`` and, with ``render``, ``calibration.html`` — in one commit."""
    from synae.files import commit_files
    from synae.run.scoring.calibration import HTML_NAME, JSON_NAME, Calibrator
    from synae.run.scoring.evaluation import Evaluator

    check_executor(config)
    out = Path(required(config.output.out, "output.out", "--out"))
    check_outputs(config, folder=True)
    real = load_input(Path(required(config.inputs.real, "inputs.real", "--real")), config)
    with Evaluator(real, config, metric_patterns=config.evaluation.select, progress=progress) as evaluator:
        start = time.perf_counter()
        record = Calibrator(evaluator, config.calibration.strengths, config.calibration.repeats).run()
        record["timings"]["total"] = time.perf_counter() - start
    text = json.dumps(clean_json(record), indent=2, allow_nan=False, ensure_ascii=False)
    files = {out / JSON_NAME: text + "\n"}
    if render is not None:
        files[out / HTML_NAME] = render(record)
    commit_files(files)
    return record


def load_calibration(config: Config) -> dict[str, Any] | None:
    """The calibration of ``calibration.dir`` (read before any work, so a wrong folder fails
    early); ``None`` when unset."""
    from synae.run.scoring.calibration import read_calibration

    folder = config.calibration.dir
    return None if folder is None else read_calibration(folder)


def place_on_calibration(config: Config, record: Mapping[str, Any] | None, aggregates: Any,
                         report: Path | None, real_fingerprint: str | None = None) -> None:
    """Place the sets of ``aggregates`` on the curves of ``record`` (:func:`load_calibration`;
    :func:`synae.run.scoring.calibration.attach_calibration`, ``real_fingerprint`` the run's real set); the
    calibration page's address is given relative to the HTML ``report`` when there is one."""
    import os
    from urllib.parse import quote

    from synae.run.scoring.calibration import HTML_NAME, attach_calibration

    folder = config.calibration.dir
    if folder is None or record is None or not aggregates:
        return
    page = Path(folder) / HTML_NAME if Path(folder).suffix != ".json" else Path(folder).with_name(HTML_NAME)
    link = None
    if page.is_file():
        link = os.path.relpath(page.resolve(), report.resolve().parent) if report is not None else str(page)
        link = quote(link if link.startswith(("/", ".")) else "./" + link)  # never read as a URL scheme
    attach_calibration(aggregates, record, link, real_fingerprint)


# ----------------------------------------------------------------------------------------------
# judge calibration


def record_judge_calibration(metrics: Iterable[MetricResult], config: Config, endpoint: str | None,
                             preset: str) -> None:
    """Attach the judge's calibration (``validity.judge_calibration``, else the cache's for this judge
    model, endpoint and preset) to the judge validity metrics among ``metrics``
    (:func:`synae.run.scoring.judge_calibration.attach`); nothing when none of them is a judge's."""
    from synae.run.scoring.judge_calibration import attach, find_calibration

    judged = [m for m in metrics if m.details.get("checker") == "judge"]
    if judged:
        attach(judged, find_calibration(config, endpoint, preset), model=config.judge.model,
               endpoint=endpoint, preset=preset)


def judge_calibrate_command(config: Config, *, progress: bool = True) -> dict[str, Any]:
    """``synae judge calibrate``: the judge's agreement with labels built by construction from
    ``inputs.real`` (:func:`synae.run.scoring.judge_calibration.calibrate`), written to
    ``<output.out>/judge_calibration.json`` (and the cache when ``llm.cache``). ``llm.dry_run``: no
    request is sent; returns the call budget. A judge that scored nothing raises
    :class:`LLMFatalError` after the file is written."""
    from synae.presets import detect_preset, get_preset
    from synae.run.factory import llm_client
    from synae.run.scoring.judge_calibration import calibrate, write_calibration

    real_path = Path(required(config.inputs.real, "inputs.real", "--real"))
    if not config.judge.model:
        raise ConfigError("judge calibrate needs a judge model (--judge-model, or judge.model in a "
                          "config file)")
    out = None if config.llm.dry_run else Path(required(config.output.out, "output.out", "--out"))
    dataset = load_input(real_path, config)
    preset = get_preset(config.preset or detect_preset(dataset))
    client = llm_client(config, progress=progress)
    record = calibrate(dataset.trajectories, preset, config, client, source=str(real_path))
    if out is None:
        return record
    path = write_calibration(record, out, cache=config.llm.cache)
    raise_if_all_unscored([client], path)
    return {**record, "path": str(path)}


# ----------------------------------------------------------------------------------------------
# validate


@dataclass
class ValidateOutcome:
    """``synae validate``'s result: the run (``None`` on a dry run), agreement with known labels,
    on a dry run the call budget, with ``inputs.skip_invalid`` the skipped records
    (:func:`skipped_records`), and when the judge ran its calibration per judged target
    (:func:`synae.run.scoring.judge_calibration.reliability`, ``None`` when none is found)."""

    run: Any = None
    agreement: dict[Any, dict[Any, Any]] | None = None
    budget: dict[str, Any] | None = None
    skipped: dict[str, dict[str, Any]] | None = None
    calibration: dict[str, Any] | None = None  # judged target → the judge's reliability (None: unknown)
    note: str | None = None  # validity fell back to the rules (synae.run.scoring.validity.default_note)


def validate_command(config: Config, *, progress: bool = True) -> ValidateOutcome:
    """Validity verdicts of ``inputs.data`` (``validity.checker``; ``"none"`` is an error here).
    ``llm.dry_run``: no request is sent; the outcome holds the judge-call budget. A judge that
    scored nothing raises :class:`LLMFatalError` after the verdicts are written.

    A file that streams (:func:`synae.run.inputs.streaming.streams`: any unsorted input file) is checked
    chunk by chunk, each chunk's verdicts written as they come and only counts kept (the outcome's
    run has ``tallies``, no ``verdicts``), so memory does not grow with the file; the counts and the
    agreement equal a whole-file run's, and the verdict file has the same lines, grouped by target
    and checker within each chunk instead of over the whole file. A sorted input is loaded whole
    and checked in one piece (the run keeps its verdicts)."""
    from contextlib import nullcontext

    from synae.adapters.spans import trace_link
    from synae.files import atomic_write
    from synae.run.factory import judge_client, llm_client
    from synae.run.scoring.validity import checker_kinds, run_validity
    from synae.validity.agreement import Confusion, construction_labels, read_labels

    data = Path(required(config.inputs.data, "inputs.data", "DATA"))
    checker = config.validity.checker
    if checker == "none":
        raise ConfigError("validate needs a checker: rules, llm or both (--validity)")
    if not config.llm.dry_run:
        check_outputs(config)
    source = validation_source(data, config)
    kinds, _ = checker_kinds(source.preset, config, checker)
    dry_run = config.llm.dry_run
    client = (llm_client(config) if dry_run else
              judge_client(config, progress=progress) if "judge" in kinds else None)
    labels = config.validity.known_labels
    known = None if labels in (None, "construction") else read_labels(labels)
    confusion: dict[tuple[Any, Any], Confusion] = {}
    run = None
    n = 0
    out = None if dry_run else config.output.out
    with atomic_write(out, "w") if out is not None else nullcontext() as fh:
        for chunk in source.chunks():
            n += len(chunk)
            if dry_run:
                if "judge" in kinds:
                    run_validity(chunk, source.preset, config, "llm", client=client, progress=False,
                                 targets=source.targets)
                continue
            part = run_validity(chunk, source.preset, config, checker, client=client, progress=progress,
                                targets=source.targets)
            run = part if run is None else run.merge(part)
            if fh is not None:
                fh.writelines(verdict_lines(part, {t.id: link for t in chunk if (link := trace_link(t))}))
            if labels is not None:
                chunk_labels = construction_labels(chunk) if known is None else known
                for target, by_kind in part.verdicts.items():
                    for kind, verdicts in by_kind.items():
                        confusion.setdefault((target, kind), Confusion()).add(verdicts, chunk_labels)
        if n == 0 and not dry_run:  # an empty input (one whose every record was skipped raised)
            run = run_validity([], source.preset, config, checker, client=client, progress=False)
    skipped = skipped_records({"data": source.header}) if config.inputs.skip_invalid else None
    if dry_run:
        assert client is not None
        u = client.usage
        return ValidateOutcome(budget={
            "dry_run": True, "calls": u.estimated_calls, "cached": u.cached,
            "prompt_tokens": u.estimated_prompt_tokens, "completion_tokens": u.estimated_completion_tokens},
            skipped=skipped)
    found: dict[Any, dict[Any, Any]] | None = None
    if labels is not None:
        found = {}
        for (target, kind), counts in confusion.items():
            found.setdefault(target, {})[kind] = counts.result()
    calibration: dict[str, Any] | None = None
    if "judge" in kinds and client is not None and run is not None:
        from synae.run.scoring.judge_calibration import find_calibration, reliability

        record = find_calibration(config, client.base_url, source.preset)
        calibration = {target: None if record is None else
                       reliability(record, target, model=config.judge.model, endpoint=client.base_url,
                                   preset=source.preset)
                       for target, kind in run.checked() if kind == "judge"}
    raise_if_all_unscored([client], out)
    from synae.run.scoring.validity import default_note

    return ValidateOutcome(run=run, agreement=found, skipped=skipped, calibration=calibration,
                           note=default_note(source.preset, config, checker))


@dataclass
class ValidationSource:
    """The input of ``synae validate``: its header (name, source, skipped records), its preset,
    the validity targets of the whole input (``None``: found per run, the input being one chunk) and
    a one-time pass over its trajectories in chunks."""

    header: Dataset
    preset: str
    targets: list[Any] | None
    chunks: Callable[[], Iterator[list[Trajectory]]]


def validation_source(path: Path, config: Config) -> ValidationSource:
    """``path`` as ``synae validate`` reads it: streamed in chunks when it streams
    (:func:`synae.run.inputs.streaming.streams`; the preset found without parsing every line, the targets
    over the whole input by :func:`synae.run.scoring.validity.validity_targets_over`, which reads only as
    far as it needs), else loaded whole (:func:`load_input`) as one chunk."""
    from synae.presets import detect_preset, get_preset
    from synae.run.inputs.streaming import (
        StreamHeader,
        chunked,
        detect_preset_streaming,
        stream_trajectories,
        streaming_format,
    )
    from synae.run.scoring.validity import validity_targets_over

    fmt = streaming_format(path, config)
    if fmt is None:
        dataset = load_input(path, config)
        return ValidationSource(dataset, config.preset or detect_preset(dataset), None,
                                lambda: iter([dataset.trajectories] if len(dataset) else []))
    from synae.adapters.common import source_of

    src = source_of(path)
    header = Dataset(trajectories=[], name=src.default_name, source=src.label, format=fmt)
    preset = config.preset or detect_preset_streaming(path, fmt, skip_invalid=config.inputs.skip_invalid)
    i = config.inputs

    def read(counted: StreamHeader | None) -> Iterator[list[Trajectory]]:
        return chunked(stream_trajectories(path, fmt, skip_invalid=i.skip_invalid, output_from=i.output_from,
                                           answers=i.answers, preset=config.preset,
                                           dataset=None if counted is None else header), counted)

    targets = validity_targets_over(get_preset(preset), read(None))
    return ValidationSource(header, preset, targets, lambda: read(StreamHeader(header)))


def verdict_lines(run: Any, links: Mapping[str, Mapping[str, str]] | None = None) -> Iterator[str]:
    """One JSON line per verdict of ``run`` (trajectory, target, checker kind, the verdict), plus the
    ``trace_id``/``span_id`` of trajectories read from spans (``links``: id → link,
    :func:`synae.adapters.spans.trace_link`)."""
    for target, by_kind in run.verdicts.items():
        for kind, verdicts in by_kind.items():
            for verdict in verdicts:
                row = {"trajectory_id": verdict.trajectory_id, "target": target, "kind": kind,
                       **verdict.model_dump(mode="json", exclude={"trajectory_id", "target"}),
                       **(links or {}).get(verdict.trajectory_id, {})}
                yield json.dumps(row, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------------------------
# downstream


@dataclass
class DownstreamJob:
    """A planned ``synae downstream`` run: datasets, preset, agents and the LLM-call budget."""

    config: Config
    real: Dataset
    synthetic: Dataset
    preset: Any
    plan: DownstreamPlan
    budgets: list[Any] = field(default_factory=list)
    DEFAULT_OUT: ClassVar[Path] = Path("downstream.json")

    @property
    def total(self) -> int:
        """Planned LLM calls (a lower bound when some budget is not exact)."""
        return sum(b.total(self.plan.model_agents, len(self.plan.agents), self.config.downstream.runs)
                   for b in self.budgets)

    @property
    def out(self) -> Path:
        return self.config.output.out or self.DEFAULT_OUT

    @property
    def save_dir(self) -> Path:
        return self.out.with_name(self.out.name.removesuffix(".json") + ".agents")


def plan_downstream_command(config: Config) -> DownstreamJob:
    """Load D and D′, build agents and judge, and compute the LLM-call budget (no call is made)."""
    from synae.downstream.run import call_budget
    from synae.files import check_writable
    from synae.presets import detect_preset, get_preset

    check_writable(config.output.out or DownstreamJob.DEFAULT_OUT)
    real = load_input(Path(required(config.inputs.real, "inputs.real", "--real")), config)
    synthetic = load_input(one_synthetic(config), config, synthetic=True)
    preset = get_preset(config.preset or detect_preset(real))
    plan = plan_downstream(config)
    budgets = [call_budget(d, preset, config.downstream.scorer, judge=plan.judge is not None)
               for d in (real, synthetic)]
    return DownstreamJob(config, real, synthetic, preset, plan, budgets)


def run_downstream_command(job: DownstreamJob, *, progress: Callable[[str], None] | None = None
                           ) -> dict[str, Any]:
    """Run the planned job, write the results JSON (and agent trajectories next to it); returns it.
    When the LLM work came to nothing, :class:`LLMFatalError` is raised after the JSON is written."""
    from synae.downstream.run import completion_bias_warnings, metrics_from_runs, run_real_and_synthetic
    from synae.files import atomic_write_text

    config, plan = job.config, job.plan
    warnings = completion_bias_warnings(list(job.synthetic), plan.agents)
    real_run, synthetic_run = run_real_and_synthetic(
        job.real, job.synthetic, plan.agents, job.preset, client=plan.client, runs=config.downstream.runs,
        scorer=config.downstream.scorer, judge=plan.judge, settings=_loop_settings(config),
        save_dir=job.save_dir, progress=progress)
    metrics = metrics_from_runs(real_run, synthetic_run)
    for m in metrics:
        m.warnings.extend(warnings)
    result = {
        "synae_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "preset": job.preset.name,
        "config": config.resolved(),
        "datasets": {"real": job.real.summary(), "synthetic": job.synthetic.summary()},
        "agents": [{"name": a.name, "model": a.model} for a in plan.agents],
        "scorer": config.downstream.scorer, "scorers": real_run.scorers, "runs": config.downstream.runs,
        "judge": config.judge.model,
        "budget": {"planned": job.total, "per_dataset": [vars(b) for b in job.budgets]},
        "llm_usage": plan.client.usage.as_dict() if plan.client is not None else None,
        "agent_trajectories": str(job.save_dir),
        "warnings": warnings,
        "metrics": {m.id: m.to_json_dict() for m in metrics},
    }
    if config.inputs.skip_invalid:
        result["skipped"] = skipped_records({"real": job.real, "synthetic": job.synthetic})
    text = json.dumps(clean_json(result), indent=2, allow_nan=False, ensure_ascii=False)
    atomic_write_text(job.out, text + "\n")
    raise_if_all_unscored([plan.client], job.out)
    return result
