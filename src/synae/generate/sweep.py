"""Running a generation method over a parameter sweep, with the preset's hooks.

:func:`parse_values` reads ``--param`` (or, when it is empty, takes the research grid: the preset's
``generation_grid`` for the method, else the method's own). :func:`run_sweep` calls the method's
function once per value with a fresh rng (the functions create their own ``default_rng(seed)``) and
returns every generated dataset with its sidecar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synae.errors import ConfigError
from synae.generate.common import DEFAULT_SEED, sidecar
from synae.generate.hooks import GeneratorPreset
from synae.generate.registry import Generated, Method, get_method
from synae.schema import Dataset


def parse_values(method: Method, text: str | None, preset: GeneratorPreset) -> list[Any]:
    """``--param`` text (comma-separated) → values; empty → the method's research grid."""
    if method.param is None:
        if text:
            raise ConfigError(f"{method.name} takes no --param (it has no sweep parameter)")
        return [None]
    if not text:
        own = preset.generation_grid(method.name)
        grid = method.default_grid if own is None else own
        if not grid:
            raise ConfigError(f"{method.name} needs --param")
        return list(grid)
    values = [method.parse_value(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise ConfigError(f"--param {text!r} holds no value")
    return values


def run_sweep(method: Method | str, dataset: Dataset, values: Sequence[Any] | None = None, *,
              preset: GeneratorPreset, options: dict[str, Any] | None = None) -> list[Generated]:
    """Run ``method`` on ``dataset`` for every value (``None`` → the research grid of ``preset``).

    ``preset`` is the preset object (resolved by the caller: ``synae.presets.get_preset`` or
    ``detect_preset``); ``options`` are keyword options of the method's function (``seed``,
    ``mode``, ``target``, …); an option the method does not accept is an error, never silently
    ignored.
    """
    method = get_method(method) if isinstance(method, str) else method
    options = {k: v for k, v in (options or {}).items() if v is not None}
    unknown = sorted(set(options) - method.options())
    if unknown:
        raise ConfigError(f"{method.name} does not take the option(s) {', '.join(unknown)}")
    if "preset" in method.options():
        options["preset"] = preset
    if values is None:
        values = parse_values(method, None, preset)
    out = []
    for value in values:
        for result in method.outputs(dataset, value, options):
            params = {method.param: value} if method.param else {}
            params.update({k: v for k, v in options.items() if k not in ("seed", "mode", "llm", "preset")})
            llm = options.get("llm")
            if llm is not None:
                params.update(model=llm.model, temperature=llm.temperature, max_tokens=llm.max_tokens)
            meta = sidecar(result, method=method.name, params=params, seed=options.get("seed", DEFAULT_SEED),
                           mode=options.get("mode", "default"), source=dataset)
            out.append(Generated(dataset=result, value=value, meta=meta))
    return out
