"""Attribute labels generators thin or rebalance (``data.md`` §2.3, §3.3, §4.2).

The label of a trajectory is the benchmark preset's *derived* attribute (T1 ``type``: first ontology
type occurring case-sensitively as a whole word in the utterances; BFCL ``secondary_api``; ACP
``domain``), so that edited trajectories are re-labelled from their content. An attribute the preset
does not derive is read from ``attributes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from synae.schema import Trajectory

DEFAULT_ATTRIBUTE = {"t1": "type", "bfcl": "secondary_api", "acp": "domain"}


def labels_of(trajectories: Sequence[Trajectory], attribute: str, benchmark: str) -> list[str | None]:
    """One label per trajectory (``None`` when the rule finds nothing)."""
    from synae.presets import get_preset

    preset = get_preset(benchmark)
    single = attribute in preset.derived_attributes()  # one rule, cheaper than deriving them all
    out: list[str | None] = []
    for traj in trajectories:
        if single:
            value = preset.categorical_label(traj, attribute)
        else:
            derived = preset.derive_attributes(traj)
            value = derived[attribute] if attribute in derived else traj.attributes.get(attribute)
        out.append(None if value is None else str(value))
    return out


def rarest_first(labels: Sequence[str | None]) -> list[tuple[str, int]]:
    """(value, count) of the non-null labels by ascending count, ties by ascending label string."""
    counts = Counter(label for label in labels if label is not None)
    return sorted(counts.items(), key=lambda item: (item[1], item[0]))
