"""One configuration for every command, the Python API and config files (YAML or TOML).

``mode`` selects a *profile* (``docs/method.md`` §2.1): ``default`` (corrected behaviour) or
``reference`` (reproduces the research implementation's non-embedding numbers). Every option not
set explicitly takes the profile's value; the resolved options are recorded in every report.

Every option of every command is one key of :class:`Config` (``section.key``, e.g. ``judge.model``).
A key is set, highest precedence first, by

1. the command's flag (``--judge-model``; the table is ``synae.cli.options.CONFIG_KEYS``),
2. the environment variable ``SYNAE_<SECTION>_<KEY>`` (``SYNAE_JUDGE_MODEL``; top-level keys
   ``SYNAE_MODE``, ``SYNAE_SEED``, ``SYNAE_PRESET``; see :func:`env_name`),
3. the ``--config`` file (or the file ``$SYNAE_CONFIG`` names),
4. the profile's value (``PROFILES``), else the field's default.

:func:`load_config` implements this rule once for the CLI and the Python API. ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY`` stay the fall-backs of ``llm``/``embedding`` ``base_url`` and ``api_key``.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import sys
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from synae.errors import ConfigError, DataError
from synae.files import check_input_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Mode = Literal["default", "reference"]
DEFAULT_SEED = 123

# Options whose value depends on the profile (docs/method.md §2.1, §6.2).
PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "keyword_match": "word",
        "call_extraction": "non_builtin",
        "code_parse_scope": "message",
        "bfcl_ad_attributes": ["primary_api", "secondary_api"],
        "acp_ad": "domain",
        "aggregate_scale": "anchored",
    },
    "reference": {
        "keyword_match": "substring",
        "call_extraction": "all",
        "code_parse_scope": "trajectory",
        "bfcl_ad_attributes": ["primary_api", "secondary_api", "conv_len"],
        "acp_ad": "token_length_values",
        "aggregate_scale": "group",
    },
}
# The sections holding the keys of PROFILES (a key belongs to the first section that has it).
PROFILE_SECTIONS = ("metrics", "evaluation")
JUDGE_PARSE = {"default": "robust", "reference": "reference"}


class _Section(BaseModel):
    # unknown keys are errors; float options take finite numbers only (``.inf``/``nan`` rejected)
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MetricOptions(_Section):
    """Definitional choices of the metrics; ``None`` means "take the profile's value"."""

    wasserstein_order: Literal[1, 2] = 1
    planning_weighting: Literal["pooled", "real"] = "pooled"
    planning_k: list[int] = Field(default_factory=lambda: [2, 3])
    knn_k: int = Field(3, ge=1)
    fid_eps: float = Field(1e-6, ge=0)
    fid_equal_n: bool = False
    keyword_match: Literal["word", "substring"] | None = None
    call_extraction: Literal["non_builtin", "all"] | None = None
    code_parse_scope: Literal["message", "trajectory"] | None = None
    tool_vendi_kernel: Literal["levenshtein", "ngram_cosine"] = "levenshtein"
    vendi_negative_eigenvalues: Literal["drop", "clip_renormalize"] = "drop"
    knd_pairing: Literal["within", "flattened"] = "within"
    bfcl_ad_attributes: list[str] | None = None
    acp_ad: Literal["domain", "token_length_values"] | None = None
    ad_attributes: list[str] | None = None  # generic preset
    # generic preset: record fields (dotted paths from the record root, e.g. metadata.difficulty)
    # measured as attributes — numeric or categorical, the kind learned from the real set
    attribute_fields: list[str] = Field(default_factory=list)
    diversity_bound: Literal["reference_value", "theoretical"] = "reference_value"

    @model_validator(mode="after")
    def _check_k(self) -> MetricOptions:
        if any(k < 2 for k in self.planning_k):
            raise ValueError("planning_k values must be >= 2")
        return self


class EmbeddingSettings(_Section):
    """Which embedder, and its cache. ``model``: ``minilm``, ``lexical`` or ``openai:<model>``."""

    model: str = "minilm"
    chunking: bool = True
    batch_size: int = 16
    # windows per text at most (synae.embed.pipeline): a longer text is embedded from its first
    # max_windows windows and counted in the results (embedder.stats.n_capped)
    max_windows: int = Field(64, ge=1)
    cache: bool = True
    cache_dir: Path | None = None  # default: $SYNAE_CACHE_DIR or ~/.cache/synae
    base_url: str | None = None  # OpenAI-compatible endpoint (default: $OPENAI_BASE_URL)
    api_key: str | None = None  # default: $OPENAI_API_KEY


class LLMSettings(_Section):
    """An OpenAI-compatible chat endpoint and how to call it."""

    base_url: str | None = None  # default: $OPENAI_BASE_URL, else https://api.openai.com/v1
    api_key: str | None = None  # default: $OPENAI_API_KEY
    concurrency: int = Field(8, ge=1)
    timeout: float = Field(60.0, gt=0)
    max_retries: int = Field(3, ge=0)
    backoff_base: float = Field(1.0, ge=0)
    backoff_max: float = Field(30.0, ge=0)
    retry_after_max: float = Field(120.0, ge=0)  # cap on a server's Retry-After wait (seconds)
    # fail fast (synae.llm.client): consecutive attempts without any HTTP reply that stop the run
    # (0 = never), and the total seconds a client may work from its first request (None = no limit)
    breaker_threshold: int = Field(5, ge=0)
    breaker_window: float = Field(30.0, ge=0, allow_inf_nan=False)  # …unless a reply came in this many s
    deadline: float | None = Field(None, gt=0)
    connect_timeout: float = Field(10.0, gt=0, allow_inf_nan=False)  # seconds to open a connection
    probe_timeout: float = Field(15.0, ge=0, allow_inf_nan=False)  # first request: GET /models (0 = none)
    timeout_max: float = Field(600.0, gt=0, allow_inf_nan=False)  # latency-scaled attempt timeouts stop here
    adaptive_timeout: bool = True  # attempt timeout follows measured latency (synae.llm.pacing)
    adaptive_concurrency: bool = True  # fewer requests in flight on timeouts, 429, 503 (AIMD)
    max_reply_bytes: int = Field(4_000_000, ge=1)  # larger replies are rejected, never cached
    cache: bool = True
    cache_dir: Path | None = None
    dry_run: bool = False


class JudgeSettings(_Section):
    """The LLM judge (validity and downstream equivalence)."""

    model: str | None = None
    temperature: float = 0.0
    max_tokens: int = 16
    parse: Literal["robust", "reference"] | None = None
    max_field_chars: int = 8000
    structured_output: bool = True  # ask for {"answer": "yes"|"no"} via response_format when supported
    tool_schemas: bool = False  # show full parameter schemas of the tools (default: one-line descriptions)


class ValiditySettings(_Section):
    """Validity checkers (``docs/method.md`` §6.5)."""

    # None: the preset's default (§6.5; rules for t1/bfcl/acp, the judge for generic); "none": no
    # validity (evaluate, compare, quickstart). One default for every command.
    checker: Literal["rules", "llm", "both", "none"] | None = None
    known_labels: str | None = None  # validate: known labels, a JSON file {id: bool} or "construction" (§6.4)
    t1_output_strict: bool = False  # §6.7: cities, states and attraction names must be grounded too
    t1_positional: Literal["error", "map"] = "error"  # §7.1: positional arguments to T1 tools
    bfcl_grounding: bool = False  # §6.8: single-quoted literals must occur in the conversation/state
    # rule checkers that execute tool calls (t1, bfcl): environment seconds per trajectory, beyond
    # which its verdict is unscored (time_budget_exceeded)
    trajectory_seconds: float = Field(60.0, gt=0, allow_inf_nan=False)
    # the judge's reliability (synae.run.scoring.judge_calibration): a `synae judge calibrate` folder (or its
    # JSON file) that validate/evaluate record with the judge's verdicts (None: the cache's calibration
    # for the same judge model, endpoint and preset, if any)
    judge_calibration: Path | None = None
    calibration_items: int = Field(50, ge=2)  # judge calibrate: rule-valid originals per target (seeded draw)
    calibration_fractions: list[float] = [0.0, 0.25, 0.5, 0.75, 1.0]  # invalidation curve points
    calibration_resamples: int = Field(1000, ge=0)  # bootstrap resamples of κ's interval (0 = none)


class InputSettings(_Section):
    """The datasets a command reads (``format``: an adapter name, auto-detected when ``None``)."""

    real: Path | None = None  # evaluate, compare, downstream: D; generate: the dataset generated from
    synthetic: list[Path] = Field(default_factory=list)  # D′ (evaluate, downstream: exactly one)
    data: Path | None = None  # validate, inspect: the one dataset
    example: str | None = None  # inspect: a bundled example instead of ``data``
    format: str | None = None
    synthetic_format: str | None = None  # the synthetic files' format when it differs from ``format``
    answers: Path | None = None  # BFCL ground-truth file
    sort: Literal["none", "int_id", "str_id"] = "none"
    skip_invalid: bool = False  # skip malformed records (counted) instead of failing
    # chat formats (canonical, openai, sharegpt): where a record's output comes from — the last
    # assistant message, the record's ``output`` field only, or none; None: the format's default
    output_from: Literal["last-assistant", "field", "none"] | None = None
    # precomputed vectors (synae.run.inputs.precomputed): view (transcript, output) → .npy or .parquet file,
    # for the real set and for the synthetic set(s); ``{label}`` in a path is the synthetic set's label
    embeddings: dict[Literal["transcript", "output"], Path] = Field(default_factory=dict)
    synthetic_embeddings: dict[Literal["transcript", "output"], Path] = Field(default_factory=dict)
    # size budgets (synae.schema.ReadLimits): a record (JSON Lines line, JSON array element, CSV
    # row) over max_record_bytes is an error of that record (skippable); a .gz input decompressing
    # to more than max_decompressed_bytes is an error of the file
    max_record_bytes: int = Field(16 * 2**20, ge=1)
    max_decompressed_bytes: int = Field(16 * 2**30, ge=1)


class OutputSettings(_Section):
    """What a command writes. ``out`` is the command's output: a results JSON (evaluate,
    downstream), a folder (compare, quickstart), a file or folder (generate), verdicts JSONL
    (validate), converted data (convert), the HTML file (report)."""

    out: Path | None = None
    report: Path | None = None  # evaluate: also write the HTML report to this file
    html: bool = True  # compare, quickstart: also write ``<out>/report.html`` (``synae report``: ``out``)
    show_pii: bool = False  # report data and HTML keep raw PII (a private report; default: masked)
    format: str | None = None  # generate: canonical, t1-csv, acp-csv or bfcl (default: from out's suffix)


class EvaluationSettings(_Section):
    """Which metrics, and their uncertainty (``docs/method.md`` §5.8)."""

    select: str | None = None  # comma-separated glob patterns over metric IDs; None: every metric
    bootstrap: int = Field(0, ge=0)  # bootstrap resamples for per-metric CIs (0: off)
    noise_floor: int = Field(0, ge=0)  # real-vs-real half splits for the noise floor (0: off)
    # pillar scores: "anchored" (docs/method.md §5.4) or "group" (§5.1); None: the profile's
    aggregate_scale: Literal["anchored", "group"] | None = None


class ComputeSettings(_Section):
    """Where the heavy stages of an evaluation run (``synae.run.executors``, ``docs/scale.md``):
    ``executor`` ``local`` (this process) or ``ray`` (a Ray cluster: ``ray_address``, ``None`` starts
    a local Ray instance; needs ``pip install 'synae[ray]'``); ``device`` of the k-NN screening
    (``auto``: CUDA when available)."""

    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    ray_connect_timeout: float = Field(30.0, gt=0)  # seconds to reach ray_address before a clear error
    device: Literal["auto", "cpu", "cuda"] = "cpu"


class DownstreamSettings(_Section):
    """Downstream agents (``docs/method.md`` §7.4); the agents' LLM calls use ``llm``."""

    agents: list[str] = Field(default_factory=list)  # model names, "oracle", "noisy-oracle:<rate>"
    scorer: Literal["default", "rules", "llm"] = "default"
    runs: int = Field(3, ge=1)  # runs per agent and dataset
    parallel: int = Field(16, ge=1)  # trajectories in flight (LLM requests in flight: llm.concurrency)
    max_steps: int = Field(20, ge=1)  # steps per user turn (BFCL, generic)
    temperature: float | None = None  # None: 0.5 for T1/ACP, 0.001 for BFCL
    max_tokens: int = Field(512, ge=1)  # per agent reply
    call_format: Literal["native", "python"] = "native"
    # per trajectory, for running and for scoring it: environment seconds (tool calls, state
    # comparisons) and value pairs per state comparison; beyond either it is unscored
    trajectory_seconds: float = Field(60.0, gt=0, allow_inf_nan=False)
    state_max_nodes: int = Field(1_000_000, ge=1)


class GenerateSettings(_Section):
    """``synae generate`` / ``quickstart`` (``docs/method.md``); ``None``: the method's or mode's default."""

    method: str | None = None  # oversample, invalidate, dropmin, relabel, blankfill, fewshot
    param: str | None = None  # sweep value(s), comma-separated
    model: str | None = None  # generator model (blankfill, fewshot)
    temperature: float | None = None
    max_tokens: int = Field(1024, ge=1)
    target: str | None = None
    attribute: str | None = None
    frac: float | None = None
    replace: bool | None = None
    dup_indices: list[int] | None = None
    examples: Literal["fixed", "random"] | None = None
    n_out: int | None = Field(None, ge=1)
    condition_on: str | None = None
    llm_at_p0: bool | None = None
    drop_empty: bool | None = None
    complete_with: str | None = None  # agent model that adds tool calls and outputs (§8.8)


class CompareSettings(_Section):
    """``synae compare``: names and parameter values of the synthetic sets (``inputs.synthetic``)."""

    labels: list[str] = Field(default_factory=list)  # default: the file names
    param_values: list[float] | None = None
    param_name: str | None = None
    reference: str | None = None  # the labels' reference set (default: the real data)


class CalibrationSettings(_Section):
    """``synae calibrate``: the damage strengths and seeds of the curves; ``evaluate``/``compare``:
    the calibration folder the synthetic sets are placed on."""

    strengths: list[float] = Field(default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0])
    repeats: int = Field(3, ge=1)  # seeds per strength: seed, seed + 1, ... (the curves' min-max band)
    dir: Path | None = None  # evaluate, compare: a `synae calibrate` output folder

    @field_validator("strengths", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """``"0,0.5,1"`` (a flag's text) as a list."""
        return [v for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @field_validator("strengths")
    @classmethod
    def _strengths(cls, value: list[float]) -> list[float]:
        if len(set(value)) < 2 or not all(0.0 <= v <= 1.0 for v in value):
            raise ValueError("give at least two distinct strengths in [0, 1]")
        return sorted(set(value))


class Config(_Section):
    """Everything one synae run needs; recorded verbatim (resolved) in its report."""

    mode: Mode = "default"
    seed: int = DEFAULT_SEED
    preset: str | None = None
    metrics: MetricOptions = Field(default_factory=MetricOptions)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    judge: JudgeSettings = Field(default_factory=JudgeSettings)
    validity: ValiditySettings = Field(default_factory=ValiditySettings)
    inputs: InputSettings = Field(default_factory=InputSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings)
    compute: ComputeSettings = Field(default_factory=ComputeSettings)
    downstream: DownstreamSettings = Field(default_factory=DownstreamSettings)
    generate: GenerateSettings = Field(default_factory=GenerateSettings)
    compare: CompareSettings = Field(default_factory=CompareSettings)
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)

    @model_validator(mode="after")
    def _apply_profile(self) -> Config:
        for key, value in PROFILES[self.mode].items():
            section = next(getattr(self, name) for name in PROFILE_SECTIONS
                           if key in type(getattr(self, name)).model_fields)
            if getattr(section, key) is None:
                setattr(section, key, value)
        if self.judge.parse is None:
            self.judge.parse = JUDGE_PARSE[self.mode]  # type: ignore[assignment]
        return self

    def resolved(self) -> dict[str, Any]:
        """JSON-ready dict of every effective option (secrets removed)."""
        data = self.model_dump(mode="json")
        for section in ("llm", "embedding"):
            if data[section].get("api_key"):
                data[section]["api_key"] = "***"
        return data


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``override``, section by section; ``None`` in ``override`` changes nothing."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = _deep_merge({}, value)
        elif value is not None:
            out[key] = value
    return out


def _load_yaml(text: str) -> Any:
    """``text`` read by YAML's safe loader, except that a key repeated in one mapping is an error
    (YAML would keep the last value silently; TOML already rejects repeats). PyYAML is imported
    here, by a run that reads a YAML file."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise _YAMLError(str(exc)) from None


class _YAMLError(ValueError):
    """A YAML text that does not load (PyYAML's error, whose module is imported only to load)."""


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Load a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config file as a dict. A file that is
    not UTF-8, not valid YAML/TOML or repeats a key in one mapping is a :class:`ConfigError`
    naming the file."""
    path = Path(path)
    try:
        check_input_file(path, "config file")  # a FIFO or a device would block the read for ever
    except DataError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} "
                          f"at offset {exc.start}); re-encode it as UTF-8") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else _load_yaml(text)
    except (tomllib.TOMLDecodeError, _YAMLError) as exc:
        kind = "TOML" if path.suffix == ".toml" else "YAML"
        raise ConfigError(f"{path}: not valid {kind}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return data


def config_keys() -> dict[str, FieldInfo]:
    """Every settable key of :class:`Config` (``"mode"``, ``"judge.model"``, …) and its field."""
    keys: dict[str, FieldInfo] = {}
    for name, field in Config.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, _Section):
            keys.update({f"{name}.{key}": sub for key, sub in section.model_fields.items()})
        else:
            keys[name] = field
    return keys


def env_name(key: str) -> str:
    """The environment variable of a config key: ``judge.model`` → ``SYNAE_JUDGE_MODEL``."""
    return "SYNAE_" + key.replace(".", "_").upper()


def nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"judge.model": "m", "mode": "reference"}`` → ``{"judge": {"model": "m"}, "mode": "reference"}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        section, _, sub = key.rpartition(".")
        (out.setdefault(section, {}) if section else out)[sub] = value
    return out


def _has_origin(annotation: Any, origin: type) -> bool:
    """Whether ``annotation`` is ``origin[...]`` or a union with such a member (``list[int] | None``)."""
    return typing.get_origin(annotation) is origin or any(
        typing.get_origin(a) is origin for a in typing.get_args(annotation))


def parse_mapping(text: str, what: str = "value") -> dict[str, str]:
    """``"transcript=a.npy,output=b.npy"`` → ``{"transcript": "a.npy", "output": "b.npy"}`` (spaces
    around keys and values dropped; an empty text is ``{}``). A part without ``=`` or with an empty
    key or value is a :class:`ConfigError` naming ``what``."""
    out: dict[str, str] = {}
    for part in (p for p in text.split(",") if p.strip()):
        key, sep, value = (x.strip() for x in part.partition("="))
        if not sep or not key or not value:
            raise ConfigError(f"{what} expects KEY=VALUE[,KEY=VALUE], got {text!r}")
        out[key] = value
    return out


def _env_value(name: str, raw: str, field: FieldInfo) -> Any:
    """An environment string as the field's type: tried as is, as JSON (``2``, ``false``,
    ``[2, 3]``), for list fields as a comma-separated list and for mapping fields as
    ``KEY=VALUE,…`` (:func:`parse_mapping`); the first that validates wins."""
    candidates: list[Any] = [raw]
    with contextlib.suppress(ValueError):
        candidates.append(json.loads(raw))
    if _has_origin(field.annotation, list):
        candidates.append([part.strip() for part in raw.split(",") if part.strip()])
    if _has_origin(field.annotation, dict):
        with contextlib.suppress(ConfigError):
            candidates.append(parse_mapping(raw, name))
    adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)  # type: ignore[arg-type]
    error = ""
    for candidate in candidates:
        try:
            adapter.validate_python(candidate)
        except ValidationError as exc:
            error = error or exc.errors()[0]["msg"]
            continue
        return candidate
    raise ConfigError(f"environment variable {name}={raw!r}: {error}")


# SYNAE_* variables that are not config keys (data folder, cache folder, the config file itself).
NON_CONFIG_ENV = frozenset({"SYNAE_DATA_DIR", "SYNAE_CACHE_DIR", "SYNAE_CONFIG"})


def check_env_names(environ: Mapping[str, str]) -> None:
    """:class:`ConfigError` for a ``SYNAE_*`` variable that looks like a misspelt setting, as a
    config file rejects an unknown key: a name under a config section's prefix
    (``SYNAE_LLM_TIMEOUTT``) that is no key, or a name close to a known variable (``SYNAE_MDOE``,
    ``SYNAE_DATA_DIRR``; :func:`difflib.get_close_matches`, cutoff 0.85). Other ``SYNAE_*`` names
    (another tool's) are left alone. The message names the variable and the closest known one."""
    known = {env_name(key) for key in config_keys()} | NON_CONFIG_ENV
    prefixes = tuple(f"SYNAE_{name.upper()}_" for name, field in Config.model_fields.items()
                     if isinstance(field.annotation, type) and issubclass(field.annotation, _Section))
    for name in sorted(n for n in environ if n.startswith("SYNAE_") and n not in known):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
        if close or name.startswith(prefixes):
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(f"environment variable {name}: not a synae setting{hint} "
                              "(docs/configuration.md lists every SYNAE_* variable)")


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """The config keys set by ``SYNAE_<SECTION>_<KEY>`` variables of ``environ`` (nested); empty
    values count as unset. Other variables (``SYNAE_DATA_DIR``, ``SYNAE_CACHE_DIR``) are ignored;
    a misspelt one is an error (:func:`check_env_names`)."""
    check_env_names(environ)
    flat = {key: _env_value(env_name(key), environ[env_name(key)], field)
            for key, field in config_keys().items() if environ.get(env_name(key))}
    return nested(flat)


def _sources(path: str | Path | None, environ: Mapping[str, str] | None) -> Iterator[str]:
    if path:
        yield str(path)
    if environ:
        yield "environment"


def load_config(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None,
                **overrides: Any) -> Config:
    """The :class:`Config` from, lowest precedence first: profile defaults < ``path`` (YAML/TOML) <
    ``environ``'s ``SYNAE_*`` variables (pass ``os.environ``; ``None``: none) < ``overrides``.

    Overrides use the nested structure (``metrics={"knn_k": 5}``) or top-level keys (``mode=``);
    ``None`` values are ignored, so an unset flag never hides a file or environment value. With
    ``environ`` and no ``path``, ``$SYNAE_CONFIG`` names the file.
    """
    if path is None and environ is not None and environ.get("SYNAE_CONFIG"):
        path = environ["SYNAE_CONFIG"]
    data = read_config_file(path) if path else {}
    data = _deep_merge(data, env_overrides(environ or {}))
    data = _deep_merge(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        origin = " / ".join([*_sources(path, environ), "flags"])
        raise ConfigError(f"{origin}: {where}: {first['msg']}") from None


def cache_root() -> Path:
    """Root folder of synae's on-disk caches: ``$SYNAE_CACHE_DIR`` or ``~/.cache/synae``."""
    env = os.environ.get("SYNAE_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "synae"
