"""``dropmin`` — drop part of the rarest attribute values (``docs/method.md`` §8.3).

Values of the attribute (default: the preset's ``generation_label_attribute`` — T1 ``type``, BFCL
``secondary_api``, ACP ``domain``, generic the first categorical attribute every trajectory stores;
any stored attribute works; null labels are never dropped) are ordered rarest first, ties by label
string. With one ``default_rng(seed)``, for each of
the first ``n_min`` values in that order: ``rng.choice(candidates, size=int(count · frac),
replace=replace)`` over that value's positions (ascending). Output: the rows not drawn, in order.

Reference (research sweep): ``frac = 0.3`` and ``replace = True`` (duplicate draws collapse, so
fewer rows are dropped); default ``replace = False``. ``n_min = "half"`` thins floor(#values / 2).
Presets with ``generation_keeps_ids`` (T1) keep the ids; other rows become
``dropmin_{n_min}{attribute}_frac{frac}_{i}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from synae.errors import ConfigError
from synae.generate.common import (
    GenMode,
    SourcePreset,
    check_fraction,
    check_mode,
    derive,
    frac_tag,
    make_dataset,
    new_rng,
    provenance,
)
from synae.generate.labels import LabelAttributePreset, labels_of, rarest_first
from synae.schema import Dataset, Trajectory


class DropminPreset(SourcePreset, LabelAttributePreset, Protocol):
    """What ``dropmin`` reads of a preset."""


METHOD = "dropmin"


@dataclass(frozen=True)
class DropStep:
    """One thinned value: how many rows carried it, how many were drawn, which were dropped."""

    value: str
    count: int
    n_drop: int
    dropped: list[int]  # distinct positions, in drawn order


def resolve_n_min(n_min: int | str, n_values: int) -> int:
    """``half`` → floor(n_values / 2); an integer is capped at the number of values."""
    if n_min == "half":
        return n_values // 2
    try:
        count = int(n_min)
    except (TypeError, ValueError):
        raise ConfigError(f"n_min must be an integer or 'half', got {n_min!r}") from None
    if count < 0:
        raise ConfigError(f"n_min must be >= 0, got {count}")
    return min(count, n_values)


def drop_plan(labels: Sequence[str | None], n_min: int | str, frac: float, *, replace: bool,
              rng: np.random.Generator) -> list[DropStep]:
    """Steps 2–3 of §8.3 on a label list; consumes ``rng`` exactly as the reference does."""
    frac = check_fraction("frac", frac)
    ordered = rarest_first(labels)
    steps = []
    for value, count in ordered[:resolve_n_min(n_min, len(ordered))]:
        candidates = np.asarray([i for i, label in enumerate(labels) if label == value], dtype=np.int64)
        n_drop = int(count * frac)
        drawn = rng.choice(candidates, size=n_drop, replace=replace).tolist()
        steps.append(DropStep(value, count, n_drop, list(dict.fromkeys(int(p) for p in drawn))))
    return steps


def dropmin(dataset: Dataset, n_min: int | str = 1, *, preset: DropminPreset, attribute: str | None = None,
            frac: float = 0.3, replace: bool | None = None, seed: int | None = 123,
            mode: GenMode = "default") -> Dataset:
    """``dataset`` without part of its rarest attribute values.

    ``replace`` defaults to the profile's choice (reference: with replacement, default: without).
    Each kept row records its label in ``metadata.generation.label``; nothing is modified.
    """
    check_mode(mode)
    attribute = attribute or preset.generation_label_attribute(dataset.trajectories)
    replace = (mode == "reference") if replace is None else replace
    labels = labels_of(dataset.trajectories, attribute, preset)
    steps = drop_plan(labels, n_min, frac, replace=replace, rng=new_rng(seed))
    dropped = {p for step in steps for p in step.dropped}
    tag = f"{METHOD}_{n_min}{attribute}_frac{frac_tag(frac)}"
    params = {"n_min": n_min, "attribute": attribute, "frac": frac, "replace": replace,
              "dropped": {s.value: {"count": s.count, "n_drop": s.n_drop, "dropped": len(s.dropped)}
                          for s in steps}}
    out: list[Trajectory] = []
    for pos, traj in enumerate(dataset):
        if pos in dropped:
            continue
        new_id = None if preset.generation_keeps_ids else f"{tag}_{len(out)}"
        gen = provenance(METHOD, params, seed, source=traj, position=pos, modified=False,
                         label=labels[pos])
        out.append(derive(traj, new_id=new_id, generation=gen))
    return make_dataset(out, name=tag, source=dataset)
