"""One configuration for the CLI, the Python API and config files (YAML or TOML).

``mode`` selects a *profile* (``metrics.md`` §0.3): ``default`` (corrected behaviour) or
``reference`` (reproduces the research implementation's non-embedding numbers). Every option not
set explicitly takes the profile's value; the resolved options are recorded in every report.
CLI flags map onto these fields one to one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from synae.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Mode = Literal["default", "reference"]
DEFAULT_SEED = 123

# Options whose value depends on the profile (metrics.md §0.3, validity_downstream.md §1.3).
PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "keyword_match": "word",
        "call_extraction": "non_builtin",
        "code_parse_scope": "message",
        "bfcl_ad_attributes": ["primary_api", "secondary_api"],
        "acp_ad": "domain",
    },
    "reference": {
        "keyword_match": "substring",
        "call_extraction": "all",
        "code_parse_scope": "trajectory",
        "bfcl_ad_attributes": ["primary_api", "secondary_api", "conv_len"],
        "acp_ad": "token_length_values",
    },
}
JUDGE_PARSE = {"default": "robust", "reference": "reference"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    """Validity checkers (``validity_downstream.md`` §2)."""

    checker: Literal["rules", "llm", "both"] | None = None  # None: the preset's default (§2.1)
    t1_output_strict: bool = False  # §2.4: cities, states and attraction names must be grounded too
    t1_positional: Literal["error", "map"] = "error"  # §3.1: positional arguments to T1 tools
    bfcl_grounding: bool = False  # §2.5: single-quoted literals must occur in the conversation/state


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

    @model_validator(mode="after")
    def _apply_profile(self) -> Config:
        for key, value in PROFILES[self.mode].items():
            if getattr(self.metrics, key) is None:
                setattr(self.metrics, key, value)
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


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        elif value is not None:
            out[key] = value
    return out


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Load a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config file as a dict."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        kind = "TOML" if path.suffix == ".toml" else "YAML"
        raise ConfigError(f"{path}: not valid {kind}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return data


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Build a :class:`Config` from an optional file plus overrides (``None`` values are ignored).

    Overrides use the nested structure (``metrics={"knn_k": 5}``) or top-level keys (``mode=``).
    """
    data = read_config_file(path) if path else {}
    data = _deep_merge(data, overrides)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path or 'config'}: {where}: {first['msg']}") from None


def cache_root() -> Path:
    """Root folder of synae's on-disk caches: ``$SYNAE_CACHE_DIR`` or ``~/.cache/synae``."""
    env = os.environ.get("SYNAE_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "synae"
