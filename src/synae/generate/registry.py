"""The generator registry: one entry per method, and a dispatcher that runs a parameter sweep.

Each :class:`Method` knows its Python function, the name of the parameter a sweep varies
(``--param`` on the CLI), the research grid used when no value is given (``docs/method.md`` §8.9),
how to read a value from text, and which of the function's keyword options a caller may set; a
preset may replace the grid (``generation_grid`` hook: ACP sweeps ``invalidate`` on the coarse
fraction grid).
:func:`run_sweep` calls the function once per value with a fresh rng (the functions create their own
``default_rng(seed)``) and returns every generated dataset with its sidecar.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synae.errors import ConfigError
from synae.generate.common import DEFAULT_SEED, sidecar
from synae.generate.dropmin import dropmin
from synae.generate.invalidate import invalidate
from synae.generate.oversample import oversample
from synae.generate.relabel import relabel
from synae.schema import Dataset

if TYPE_CHECKING:
    from synae.generate.hooks import GeneratorPreset

FRACTION_GRID = (0, 0.1, 0.3, 0.5, 0.7, 0.9, 1)
TENTHS_GRID = (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"not a number: {text!r}") from None


def parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"not an integer: {text!r}") from None


def _n_min(text: str) -> int | str:
    return "half" if text.strip() == "half" else parse_int(text)


@dataclass(frozen=True)
class Method:
    """One generation method as the CLI and :func:`run_sweep` see it."""

    name: str
    function: Callable[..., Any]
    param: str | None  # keyword of ``function`` a sweep varies; None: no sweep (relabel)
    parse_value: Callable[[str], Any] = _number
    default_grid: tuple[Any, ...] = ()  # the research grid, unless the preset gives its own
    llm: bool = False
    summary: str = ""

    def grid(self, preset: GeneratorPreset) -> tuple[Any, ...]:
        own = preset.generation_grid(self.name)
        return self.default_grid if own is None else own

    def options(self) -> set[str]:
        """Keyword options of the function (besides the dataset and the swept parameter)."""
        params = inspect.signature(self.function).parameters
        return {n for n in list(params)[1:] if n != self.param}

    def outputs(self, dataset: Dataset, value: Any, options: dict[str, Any]) -> list[Dataset]:
        """Run the method for one value; every method returns one dataset except relabel (two)."""
        kwargs = dict(options)
        if self.param is not None:
            kwargs[self.param] = value
        result = self.function(dataset, **kwargs)
        return list(result) if isinstance(result, tuple) else [result]


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    METHODS[method.name] = method
    return method


register(Method("oversample", oversample, "dup_frac", default_grid=FRACTION_GRID,
                summary="duplicate trajectory 0 for a fraction r of the rows (less diversity)"))
register(Method("invalidate", invalidate, "v", default_grid=TENTHS_GRID,
                summary="corrupt tool calls / outputs / answers of a fraction v of the rows (less validity)"))
register(Method("dropmin", dropmin, "n_min", parse_value=_n_min, default_grid=(0, 1, 2, 3),
                summary="drop part of the rarest attribute values (attribute skew)"))
register(Method("relabel", relabel, None,
                summary="case study: skew by type, then relabel copies to look balanced (two files)"))


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise ConfigError(f"unknown generation method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]


def parse_values(method: Method, text: str | None, preset: GeneratorPreset) -> list[Any]:
    """``--param`` text (comma-separated) → values; empty → the method's research grid."""
    if method.param is None:
        if text:
            raise ConfigError(f"{method.name} takes no --param (it has no sweep parameter)")
        return [None]
    if not text:
        grid = method.grid(preset)
        if not grid:
            raise ConfigError(f"{method.name} needs --param")
        return list(grid)
    values = [method.parse_value(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise ConfigError(f"--param {text!r} holds no value")
    return values


@dataclass
class Generated:
    """One generated dataset with its sweep value and sidecar content."""

    dataset: Dataset
    value: Any
    meta: dict[str, Any]


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
