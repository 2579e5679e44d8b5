"""Attribute labels generators thin or rebalance (``docs/method.md`` §1.4, §1.5, §1.6).

The label of a trajectory is the preset's *derived* attribute when it derives it (T1 ``type``: first
ontology type occurring case-sensitively as a whole word in the utterances; BFCL ``secondary_api``;
ACP ``domain``), so that edited trajectories are re-labelled from their content; any other attribute
is read from ``attributes`` (a list value is one label, its items joined with ``|``; missing →
``None``). The preset is passed in by the caller (:mod:`synae.run`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from synae.schema import Trajectory


class LabelPreset(Protocol):
    """The attribute rules of a preset that labelling needs."""

    def derived_attributes(self) -> tuple[str, ...]: ...

    def categorical_label(self, traj: Trajectory, attribute: str) -> str | None: ...

    def derive_attributes(self, traj: Trajectory) -> dict[str, Any]: ...


class LabelAttributePreset(LabelPreset, Protocol):
    """A preset's labelling rules and the attribute the label-skewing generators (``dropmin``,
    ``relabel``) use by default."""

    def generation_label_attribute(self, trajectories: Sequence[Trajectory]) -> str:
        """The attribute ``dropmin`` and ``relabel`` use when none is given."""
        ...


def label_text(value: Any) -> str | None:
    """A label as text: ``None`` stays ``None``, a list joins its items with ``|`` (``None`` if empty)."""
    if value is None:
        return None
    if isinstance(value, list):
        return "|".join(str(v) for v in value) or None
    return str(value)


def labels_of(trajectories: Sequence[Trajectory], attribute: str, preset: LabelPreset) -> list[str | None]:
    """One label per trajectory (``None`` when the rule finds nothing)."""
    single = attribute in preset.derived_attributes()  # one rule, cheaper than deriving them all
    out: list[str | None] = []
    for traj in trajectories:
        if single:
            value: Any = preset.categorical_label(traj, attribute)
        else:
            derived = preset.derive_attributes(traj)
            value = derived[attribute] if attribute in derived else traj.attributes.get(attribute)
        out.append(label_text(value))
    return out


def rarest_first(labels: Sequence[str | None]) -> list[tuple[str, int]]:
    """(value, count) of the non-null labels by ascending count, ties by ascending label string."""
    counts = Counter(label for label in labels if label is not None)
    return sorted(counts.items(), key=lambda item: (item[1], item[0]))
