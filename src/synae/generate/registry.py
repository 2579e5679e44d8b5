"""The generator registry: one entry per method.

Each :class:`Method` knows its Python function, the name of the parameter a sweep varies
(``--param`` on the CLI), the research grid used when no value is given (``docs/method.md`` §8.9),
how to read a value from text, and which of the function's keyword options a caller may set; a
preset may replace the grid (``generation_grid`` hook: ACP sweeps ``invalidate`` on the coarse
fraction grid). :mod:`synae.generate.sweep` runs a method over its values.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from synae.errors import ConfigError
from synae.generate.dropmin import dropmin
from synae.generate.invalidate import invalidate
from synae.generate.oversample import oversample
from synae.generate.relabel import relabel
from synae.schema import Dataset

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


@dataclass
class Generated:
    """One generated dataset with its sweep value and sidecar content."""

    dataset: Dataset
    value: Any
    meta: dict[str, Any]
