"""Options shared by the ``synae`` commands, and the one way a command turns its flags into a
:class:`synae.config.Config`.

Every option of a configured command is one config key: :data:`CONFIG_KEYS` maps the option's
parameter name to the key, so a flag name means the same key in every command
(``tests/cli/test_options.py`` walks every command against this table). :func:`command_config`
applies the one precedence rule of :func:`synae.config.load_config`: flag > ``SYNAE_*`` environment
variable > ``--config`` file > profile default. A flag counts only when it is given on the command
line, so a flag's default never hides a file or environment value.
"""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from synae.adapters import FORMATS
from synae.adapters.common import OUTPUT_FROM
from synae.config import Config, config_keys, load_config, nested, parse_mapping
from synae.errors import ConfigError
from synae.schema import ReadLimits, set_read_limits

# parameter name → config key (see synae.config: every key also has a SYNAE_<SECTION>_<KEY> variable)
CONFIG_KEYS: dict[str, str] = {
    "mode": "mode", "seed": "seed", "preset": "preset", "benchmark": "preset",
    "real": "inputs.real", "input_path": "inputs.real", "synthetic": "inputs.synthetic",
    "data": "inputs.data", "example": "inputs.example", "fmt": "inputs.format",
    "synthetic_fmt": "inputs.synthetic_format", "answers": "inputs.answers", "sort": "inputs.sort",
    "skip_invalid": "inputs.skip_invalid", "output_from": "inputs.output_from",
    "embeddings": "inputs.embeddings", "synthetic_embeddings": "inputs.synthetic_embeddings",
    "out": "output.out", "report_html": "output.report", "html": "output.html", "out_format": "output.format",
    "show_pii": "output.show_pii",
    "metrics": "evaluation.select", "bootstrap": "evaluation.bootstrap",
    "noise_floor": "evaluation.noise_floor", "aggregate_scale": "evaluation.aggregate_scale",
    "attribute_fields": "metrics.attribute_fields",
    "executor": "compute.executor", "ray_address": "compute.ray_address", "device": "compute.device",
    "embedder": "embedding.model", "embedding_cache": "embedding.cache",
    "embedding_cache_dir": "embedding.cache_dir",
    "llm_base_url": "llm.base_url", "concurrency": "llm.concurrency", "cache": "llm.cache",
    "dry_run": "llm.dry_run", "llm_breaker": "llm.breaker_threshold", "llm_deadline": "llm.deadline",
    "judge_model": "judge.model", "judge_alias": "judge.model",
    "structured_output": "judge.structured_output",
    "validity": "validity.checker", "known_labels": "validity.known_labels",
    "judge_calibration": "validity.judge_calibration", "items": "validity.calibration_items",
    "resamples": "validity.calibration_resamples",
    "agents": "downstream.agents", "scorer": "downstream.scorer", "runs": "downstream.runs",
    "parallel": "downstream.parallel", "max_steps": "downstream.max_steps",
    "agent_temperature": "downstream.temperature", "agent_max_tokens": "downstream.max_tokens",
    "call_format": "downstream.call_format",
    "method": "generate.method", "param": "generate.param", "model": "generate.model",
    "temperature": "generate.temperature", "max_tokens": "generate.max_tokens", "target": "generate.target",
    "attribute": "generate.attribute", "frac": "generate.frac", "replace": "generate.replace",
    "dup_indices": "generate.dup_indices", "examples": "generate.examples", "n_out": "generate.n_out",
    "condition_on": "generate.condition_on", "llm_at_p0": "generate.llm_at_p0",
    "drop_empty": "generate.drop_empty", "complete_with": "generate.complete_with",
    "param_name": "compare.param_name", "reference": "compare.reference",
    "strengths": "calibration.strengths", "repeats": "calibration.repeats", "calibration": "calibration.dir",
}
# Options parsed outside click (``compare``'s multi-value options): flag → config key.
MULTI_VALUE_KEYS: dict[str, str] = {
    "--synthetic": "inputs.synthetic", "--labels": "compare.labels", "--param-values": "compare.param_values",
}
# File tools: they read and write files only, from their flags (no --config, no SYNAE_* variables).
FILE_TOOLS = frozenset({"convert", "download", "report", "gate"})
# Parameters that are a matter of the command line itself, not of the run.
CLI_ONLY = frozenset({"config_file", "json_output", "help", "version"})
# Mapping keys (view → path): their flags take KEY=VALUE[,KEY=VALUE], repeatable.
MAPPING_KEYS = frozenset(key for key, field in config_keys().items()
                         if typing.get_origin(field.annotation) is dict)


def _on_command_line(ctx: typer.Context, name: str) -> bool:
    """Whether the user gave parameter ``name`` (typer vendors click, so compare the source's name)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def command_config(ctx: typer.Context, **extra: Any) -> Config:
    """The command's :class:`Config`: its ``--config`` file (else ``$SYNAE_CONFIG``), the ``SYNAE_*``
    environment, and the flags given on the command line (plus ``extra`` config-key values parsed
    outside click, e.g. ``compare``'s multi-value options; ``None`` = not given). Its input size
    budgets apply to every read of the command (:func:`synae.schema.set_read_limits`)."""
    given = {CONFIG_KEYS[name]: value for name, value in ctx.params.items()
             if name in CONFIG_KEYS and _on_command_line(ctx, name)}
    for key in MAPPING_KEYS & set(given):
        given[key] = mapping_value(given[key], key)
    given.update({key: value for key, value in extra.items() if value is not None})
    if isinstance(given.get("inputs.synthetic"), (str, Path)):
        given["inputs.synthetic"] = [given["inputs.synthetic"]]
    try:
        config = load_config(ctx.params.get("config_file"), environ=os.environ, **nested(given))
    except ConfigError as exc:  # name the flag of the key that failed
        flags = [p.opts[0] for p in ctx.command.params
                 if p.name in CONFIG_KEYS and p.opts and f": {CONFIG_KEYS[p.name]}:" in str(exc)]
        if not flags:
            raise
        raise ConfigError(f"{exc} ({' / '.join(flags)})") from None
    set_read_limits(ReadLimits(config.inputs.max_record_bytes, config.inputs.max_decompressed_bytes))
    return config


def mapping_value(items: str | list[str], key: str) -> dict[str, str]:
    """A mapping flag's values (``transcript=a.npy,output=b.npy``, or the option repeated) as one
    dict; a later value for the same key wins."""
    out: dict[str, str] = {}
    for item in [items] if isinstance(items, str) else items:
        out.update(parse_mapping(item, f"{key} (--{key.split('.')[-1].replace('_', '-')})"))
    return out


# Help text is Rich markup: square brackets are escaped where they are meant literally.
RAY_EXTRA = "'synae[ray]'"
PresetOpt = Annotated[
    str | None,
    typer.Option("--preset", help="Benchmark preset: t1, bfcl, acp or generic (auto-detected when omitted)."),
]
ModeOpt = Annotated[
    str | None,
    typer.Option("--mode", help="Metric profile: 'default' (corrected) or 'reference' (the research "
                                "code's behaviour)."),
]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed of every random choice.")]
FormatOpt = Annotated[
    str | None,
    typer.Option("--from", help=f"Input format: {', '.join(FORMATS)} (auto-detected when omitted)."),
]
OutputFromOpt = Annotated[str | None, typer.Option(
    "--output-from", help=f"Chat formats (canonical, openai, sharegpt): where a record's output comes from, "
                          f"{', '.join(OUTPUT_FROM)} (default: last-assistant).")]
SkipInvalidOpt = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Skip malformed records (and report how many) instead of failing."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="YAML or TOML config file (default: $SYNAE_CONFIG); SYNAE_* environment "
                                  "variables override its values, flags override both."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
RealOpt = Annotated[Path | None, typer.Option("--real", help="The real dataset D (any supported format).")]
MetricsOpt = Annotated[str | None, typer.Option(
    "--metrics", help="Comma-separated glob patterns over metric IDs, e.g. 'fidelity.tool_calls.*' "
                      "(validity runs only when a pattern matches validity.*).")]
EmbedderOpt = Annotated[str | None, typer.Option(
    "--embedder", help="minilm (default), lexical, or openai:<model>.")]
BootstrapOpt = Annotated[int | None, typer.Option(
    "--bootstrap", min=0, help="Bootstrap resamples for per-metric confidence intervals (0 = off).")]
NoiseFloorOpt = Annotated[int | None, typer.Option(
    "--noise-floor", min=0, help="Real-vs-real half splits for the noise floor (0 = off).")]
ValidityOpt = Annotated[str | None, typer.Option(
    "--validity", help="Validity checkers: rules, llm, both or none (default: the preset's checker — "
                       "rules for t1/bfcl/acp, the judge for generic).")]
AggregateScaleOpt = Annotated[str | None, typer.Option(
    "--aggregate-scale", help="Pillar scores: anchored (default profile) or group (reference profile).")]
AttributeFieldOpt = Annotated[list[str] | None, typer.Option(
    "--attribute-field", help="Generic preset: a record field measured as an attribute (dotted path, e.g. "
                              "metadata.difficulty); repeatable.")]
EmbeddingsOpt = Annotated[list[str] | None, typer.Option(
    "--embeddings", help="Precomputed vectors of the real set: transcript=PATH[,output=PATH] (.npy or "
                         ".parquet); repeatable.")]
SyntheticEmbeddingsOpt = Annotated[list[str] | None, typer.Option(
    "--synthetic-embeddings", help="Precomputed vectors of the synthetic set(s), like --embeddings; "
                                   "{label} in a path is the set's label.")]
ExecutorOpt = Annotated[str | None, typer.Option(
    "--executor", help="Where the heavy stages run: local (default) or ray "
                      f"(pip install {escape(RAY_EXTRA)}).")]
RayAddressOpt = Annotated[str | None, typer.Option(
    "--ray-address", help="Ray cluster to join with --executor ray (default: start a local Ray).")]
DeviceOpt = Annotated[str | None, typer.Option(
    "--device", help="k-NN screening device: cpu (default), cuda or auto.")]
HtmlOpt = Annotated[bool, typer.Option("--html/--no-html", help="Also write <out>/report.html.")]
ShowPiiOpt = Annotated[bool, typer.Option(
    "--show-pii", help="Keep raw PII (e-mails, phones, keys, ...) in the report data and the HTML report: "
                       "a private report, not to be shared (default: every detected value is masked).")]

# Flags with a value default to None in the signatures: the config holds every default.
# The LLM options: every command that may call an LLM takes all of them.
JudgeModelOpt = Annotated[str | None, typer.Option(
    "--judge-model", help="LLM judge model (validity llm/both, downstream equivalence).")]
BaseUrlOpt = Annotated[str | None, typer.Option(
    "--llm-base-url", help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL, else OpenAI).")]
ConcurrencyOpt = Annotated[int | None, typer.Option("--concurrency", min=1, help="LLM requests in flight.")]
CacheOpt = Annotated[bool, typer.Option("--cache/--no-cache", help="Read and write the LLM reply cache.")]
StructuredOpt = Annotated[bool, typer.Option(
    "--structured-output/--no-structured-output",
    help="Ask the judge for {\"answer\": \"yes\"|\"no\"} via response_format where supported.")]
JudgeCalibrationOpt = Annotated[Path | None, typer.Option(
    "--judge-calibration", help="A `synae judge calibrate` folder: the judge's reliability (kappa) is "
                                "recorded with its verdicts (default: the cached calibration of the same "
                                "judge model, endpoint and preset, if any).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Count the LLM calls (and tokens); send none.")]
BreakerOpt = Annotated[int | None, typer.Option(
    "--llm-breaker", min=0, help="Stop the run after this many consecutive LLM attempts without any reply "
                                 "(timeouts, refused connections; default 5, 0 = never).")]
DeadlineOpt = Annotated[float | None, typer.Option(
    "--llm-deadline", min=0.001, help="Stop the run when the LLM calls have taken this many seconds in "
                                      "total (default: no limit).")]

# synae calibrate, and placing evaluated sets on its curves
StrengthsOpt = Annotated[str | None, typer.Option(
    "--strengths", help="Comma-separated damage strengths in [0, 1] (default 0,0.25,0.5,0.75,1).")]
RepeatsOpt = Annotated[int | None, typer.Option(
    "--repeats", min=1, help="Seeds per strength (seed, seed+1, ...): the curves' min-max band (default 3).")]
CalibrationOpt = Annotated[Path | None, typer.Option(
    "--calibration", help="A `synae calibrate` folder: place every synthetic set on its curves (the "
                          "damage strength each pillar score corresponds to).")]
