"""The Python API behind ``synae.evaluate`` and ``synae.compare``: keyword options → one
:class:`~synae.config.Config`, inputs → named datasets, then the very command functions the CLI
calls (:func:`synae.run.commands.evaluate_command`, :func:`~synae.run.commands.compare_command`),
so a Python run returns what the command line computes: metrics, pillar scores and labels,
per-target scores (``aggregates["targets"]``) and, for a comparison, the ranking.

Options (:func:`api_config`) are config keys, written in any of these ways:

- a top-level key: ``mode="reference"``, ``seed=7``, ``preset="t1"``;
- a section as a mapping: ``judge={"model": "gpt-4o-mini"}``;
- a section's key prefixed by the section: ``judge_model=…``, ``llm_base_url=…``,
  ``evaluation_bootstrap=200``;
- a key alone when exactly one section has it: ``bootstrap=200``, ``checker="rules"``,
  ``select="fidelity.*"``, ``knn_k=5``, ``out="results.json"``.

Their precedence is the CLI's (:func:`synae.config.load_config`): option > ``SYNAE_*`` environment
variable > ``config`` file (a YAML/TOML path) > profile default.

Inputs are file paths or in-memory data: a :class:`~synae.schema.Dataset`, a list of
:class:`~synae.schema.Trajectory`, a list of record dicts, a pandas DataFrame or a Hugging Face
``datasets`` object (:func:`synae.adapters.load_dataset`). Names: a file is named after its file name
without its data extensions (:func:`synae.files.data_stem`), as on the command line; in-memory
synthetic sets are ``synthetic``, ``synthetic_2``, … (a :class:`Dataset` keeps a name of its own),
the in-memory real set ``real``; ``name=``/``names=`` override them.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synae.config import Config, config_keys, load_config, nested
from synae.errors import ConfigError
from synae.files import data_stem
from synae.results import ComparisonResults, EvaluationReport
from synae.run.commands import Inputs, Render, compare_command, evaluate_command
from synae.schema import Dataset

DEFAULT_NAME = "dataset"  # the name synae.adapters gives in-memory records


def option_key(name: str) -> str:
    """The config key of the keyword option ``name`` (see the module docstring); a
    :class:`ConfigError` naming the candidates when it is unknown or names several keys."""
    keys = config_keys()
    sections = {key.partition(".")[0] for key in keys if "." in key}
    if name in keys or name in sections:
        return name
    for section in sections:
        if name.startswith(section + "_") and f"{section}.{name[len(section) + 1:]}" in keys:
            return f"{section}.{name[len(section) + 1:]}"
    found = [key for key in keys if key.rpartition(".")[2] == name]
    if len(found) == 1:
        return found[0]
    if found:
        spelled = ", ".join(f"{k.replace('.', '_')}=" for k in found)
        raise ConfigError(f"option {name!r} is ambiguous: it is a key of {', '.join(found)}; write {spelled}")
    close = difflib.get_close_matches(name, [k.rpartition(".")[2] for k in keys] + sorted(sections), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"unknown option {name!r}{hint} (options are config keys: docs/configuration.md)")


def api_config(config: str | Path | Config | None, options: Mapping[str, Any]) -> Config:
    """The run's :class:`Config`: ``options`` (:func:`option_key`) over the ``SYNAE_*`` environment
    over ``config`` (a YAML/TOML file; a :class:`Config` is taken as the file's values)."""
    flat: dict[str, Any] = {}
    for name, value in options.items():
        key = option_key(name)
        if key in Config.model_fields and key not in ("mode", "seed", "preset") and \
                not isinstance(value, Mapping):
            fields = ", ".join(f"{k.rpartition('.')[2]}=" for k in config_keys() if k.startswith(key + "."))
            raise ConfigError(f"option {name!r} is a config section: give a mapping ({name}={{...}}) or "
                              f"one of its keys ({fields})")
        flat[key] = value
    overrides = nested(flat)
    if isinstance(config, Config):
        base = config.model_dump(exclude_unset=True)
        return load_config(None, environ=os.environ, **_merge(base, overrides))
    return load_config(config, environ=os.environ, **overrides)


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out.get(key) or {}, value) if isinstance(value, Mapping) else value
    return out


def _is_path(data: Any) -> bool:
    return isinstance(data, (str, Path))


def default_names(data: Sequence[Any], names: Sequence[str] | None, prefix: str) -> list[str]:
    """The names of ``data``'s sets: ``names`` when given (one per set, distinct); otherwise a file's
    name without its data extensions, a :class:`Dataset`'s own name unless it is the default, and
    ``prefix``, ``prefix_2``, … for the rest (numbered by position)."""
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(data) or len(set(names)) != len(names):
            raise ConfigError(f"names must give {len(data)} distinct names, got {names}")
        return names
    out = []
    for i, item in enumerate(data):
        if _is_path(item):
            out.append(data_stem(Path(item)))
        elif isinstance(item, Dataset) and item.name != DEFAULT_NAME:
            out.append(item.name)
        else:
            out.append(prefix if i == 0 else f"{prefix}_{i + 1}")
    if len(set(out)) != len(out):
        raise ConfigError(f"the sets' default names repeat ({out}): give names=[...]")
    return out


def _real_name(real: Any) -> str | None:
    """``None`` (the command's own default: the file's name) for a path, else ``real`` unless a
    :class:`Dataset` has a name of its own."""
    if _is_path(real):
        return None
    return real.name if isinstance(real, Dataset) and real.name != DEFAULT_NAME else "real"


def evaluate(real: Any, synthetic: Any, *, config: str | Path | Config | None = None, report: bool = False,
             name: str | None = None, progress: bool = False, render: Render | None = None,
             **options: Any) -> EvaluationReport:
    """``synae evaluate`` of ``synthetic`` against ``real`` (see the module docstring for inputs,
    names and options). ``report``: also compute the HTML report's data (its charts and
    drill-down; :func:`synae.report.html.write_html` needs it); ``render`` writes the HTML report to
    ``output.report`` when that option is set."""
    cfg = api_config(config, options)
    (label,) = default_names([synthetic], None if name is None else [name], "synthetic")
    inputs = Inputs(real=real, synthetic={label: synthetic}, real_name=_real_name(real), report=report)
    return evaluate_command(cfg, progress=progress, render=render, inputs=inputs)


def compare(real: Any, synthetic: Sequence[Any] | Mapping[str, Any], *,
            config: str | Path | Config | None = None, report: bool = False,
            names: Sequence[str] | None = None, progress: bool = False, render: Render | None = None,
            **options: Any) -> ComparisonResults:
    """``synae compare`` of several synthetic sets against ``real``: ``synthetic`` a list (named by
    ``names``, else ``compare.labels``, else by default) or a mapping name → set. ``report``: also
    compute the HTML report's data; with ``out`` (a folder) the results JSON — and with ``render``
    and ``report`` the HTML report — are written there as ``synae compare`` writes them."""
    if isinstance(synthetic, Mapping):
        names, synthetic = list(synthetic), list(synthetic.values())
    if _is_path(synthetic) or isinstance(synthetic, Dataset):
        raise ConfigError("compare takes a list of synthetic sets (use evaluate for one)")
    sets = list(synthetic)
    if not sets:
        raise ConfigError("compare needs at least one synthetic set")
    cfg = api_config(config, {**options, "html": report})
    labels = default_names(sets, names or cfg.compare.labels or None, "synthetic")
    inputs = Inputs(real=real, synthetic=dict(zip(labels, sets, strict=True)), real_name=_real_name(real),
                    report=report)
    return compare_command(cfg, progress=progress, render=render, inputs=inputs)
