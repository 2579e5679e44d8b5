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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from synae.generate.labels import LabelPreset
from synae.generate.output import FormatPreset
from synae.schema import Trajectory

if TYPE_CHECKING:
    from synae.generate.blankfill import BlankfillStyle
    from synae.generate.fewshot import FewshotStyle
    from synae.generate.invalidate import Invalidation


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


class GeneratorPreset(LabelPreset, FormatPreset, Protocol):
    """The generator hooks of a preset (implemented by :class:`synae.presets.base.Preset`)."""

    @property
    def environment_kind(self) -> str | None:
        """``environment.kind`` of new trajectories (``None``: generic, the source's environment)."""
        ...

    @property
    def generation_keeps_ids(self) -> bool:
        """Whether ``invalidate`` and ``dropmin`` keep the source ids (T1) or number their rows."""
        ...

    def generation_label_attribute(self, trajectories: Sequence[Trajectory]) -> str:
        """The attribute ``dropmin`` and ``relabel`` use when none is given."""
        ...

    def relabel_in_text(self, attribute: str) -> bool:
        """True: ``relabel`` rewrites the label's words in the text (the label is read from it);
        False: it sets the stored attribute. Raises :class:`~synae.errors.ConfigError` when
        ``attribute`` cannot be relabeled."""
        ...

    def invalidation_targets(self, trajectories: Sequence[Trajectory]) -> tuple[str, ...]:
        """The ``invalidate`` targets on this data, the default first."""
        ...

    def invalidation(self, target: str, trajectories: Sequence[Trajectory], *,
                     vocabulary: Any = None) -> Invalidation:
        """The transform of ``target`` (``KeyError`` for a target the preset does not define)."""
        ...

    def generation_grid(self, method: str) -> tuple[Any, ...] | None:
        """The research sweep grid of ``method`` on this benchmark (``None``: the method's own)."""
        ...

    def blankfill_style(self) -> BlankfillStyle:
        """How ``blankfill`` masks, prompts and parses for this data."""
        ...

    def fewshot_style(self) -> FewshotStyle:
        """How ``fewshot`` draws, prompts and parses for this data."""
        ...
