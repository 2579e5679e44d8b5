"""What the generators need from a preset, as a :class:`typing.Protocol` (``docs/method.md`` §8.1).

The generators never import :mod:`synae.presets`: the application layer (:mod:`synae.run`, the CLI)
resolves a preset (``synae.presets.get_preset`` / ``detect_preset``) and passes the object in. Every
benchmark switch of a generator is one of these hooks: the default label attribute of
``dropmin``/``relabel`` and whether ``relabel`` edits the text or the stored attribute, whether
``invalidate``/``dropmin`` keep source ids, the ``invalidate`` targets and their transforms, the
sweep grids, the export formats, the blank-fill and few-shot styles (prompts, parsing, environment
construction) and the attribute derivation of new trajectories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from synae.generate.blankfill import BlankfillPreset
from synae.generate.dropmin import DropminPreset
from synae.generate.fewshot import FewshotPreset
from synae.generate.invalidate import InvalidatePreset
from synae.generate.output import FormatPreset
from synae.generate.relabel import RelabelPreset


@dataclass(frozen=True)
class CalibrationSweep:
    """A damage a preset adds to ``synae calibrate`` (its ``calibration_sweeps`` hook): the registered
    generator ``method`` run at ``value(strength)`` for strengths in [0, 1] with ``options``, scored
    on ``pillar`` (and ``target``: ``None`` = the pillar score); ``meaning`` completes "like the real
    data with ≈ x % of …"."""

    method: str
    pillar: str
    meaning: str
    value: Callable[[float], Any] = float
    target: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


class GeneratorPreset(DropminPreset, RelabelPreset, InvalidatePreset, BlankfillPreset, FewshotPreset,
                      FormatPreset, Protocol):
    """The generator hooks of a preset (implemented by :class:`synae.presets.base.Preset`): what each
    method reads of it (its ``…Preset`` protocol), the export formats, and the sweep grids."""

    def generation_grid(self, method: str) -> tuple[Any, ...] | None:
        """The research sweep grid of ``method`` on this benchmark (``None``: the method's own)."""
        ...
