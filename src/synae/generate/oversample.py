"""``oversample`` — duplicate one (or a few) trajectories to remove diversity (``docs/method.md`` §8.2).

For n trajectories and duplication fraction r: n_dup = ceil(r · n) copies of ``dup_indices`` (cycled),
followed by n − n_dup others drawn with ``rng.choice(others, size=n_other, replace=replace)`` where
``others`` are the positions not in ``dup_indices``, ascending. When n_other > |others| (r = 0 with
one duplicated index) sampling with replacement is forced. Output size is always n. Ids
``oversample_frac{r}_{i}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synae.errors import ConfigError
from synae.generate.common import (
    GenMode,
    check_fraction,
    check_mode,
    derive,
    frac_tag,
    make_dataset,
    new_rng,
    provenance,
)
from synae.schema import Dataset

METHOD = "oversample"


@dataclass(frozen=True)
class OversamplePlan:
    """Which source positions make up the output, in output order."""

    duplicates: list[int]  # the duplicate block
    drawn: list[int]  # the drawn others
    replace_effective: bool

    @property
    def positions(self) -> list[int]:
        return self.duplicates + self.drawn


def oversample_plan(n: int, dup_frac: float, *, dup_indices: Sequence[int] = (0,), replace: bool = False,
                    seed: int | None = 123) -> OversamplePlan:
    """The positions of §8.2 steps 1–5 (no trajectories needed: handy to check rng draws)."""
    r = check_fraction("dup_frac", dup_frac)
    indices = list(dict.fromkeys(int(i) for i in dup_indices))
    if not indices:
        raise ConfigError("dup_indices must name at least one position")
    if any(not 0 <= i < n for i in indices):
        raise ConfigError(f"dup_indices {indices} out of range for a dataset of {n} trajectories")
    n_dup = math.ceil(r * n)
    n_other = n - n_dup
    duplicates = [indices[j % len(indices)] for j in range(n_dup)]
    excluded = set(indices)
    others = [i for i in range(n) if i not in excluded]
    replace_effective = replace or n_other > len(others)
    rng = new_rng(seed)
    drawn: list[int] = []
    if n_other > 0:
        drawn = rng.choice(np.asarray(others, dtype=np.int64), size=n_other,
                           replace=replace_effective).tolist()
    return OversamplePlan(duplicates=duplicates, drawn=drawn, replace_effective=replace_effective)


def oversample(dataset: Dataset, dup_frac: float = 0.3, *, dup_indices: Sequence[int] = (0,),
               replace: bool = False, seed: int | None = 123, mode: GenMode = "default",
               regenerate: bool = False) -> Dataset:
    """Oversampled copy of ``dataset`` (same size); both profiles sample without replacement.

    Every trajectory is copied as it is (``modified`` false). ``regenerate`` (re-plan every copy with
    an agent, as the research did for T1) needs a model: pass the result to
    :func:`synae.generate.completion.complete` (CLI: ``--complete-with MODEL``).
    """
    check_mode(mode)
    if regenerate:
        raise ConfigError("oversample(regenerate=True) needs an agent model: oversample, then call "
                          "synae.generate.completion.complete(result, MODEL, ...) "
                          "(CLI: --complete-with MODEL)")
    if len(dataset) == 0:
        raise ConfigError(f"{dataset.source or dataset.name}: cannot oversample an empty dataset")
    plan = oversample_plan(len(dataset), dup_frac, dup_indices=dup_indices, replace=replace, seed=seed)
    tag = f"{METHOD}_frac{frac_tag(dup_frac)}"
    params = {"dup_frac": dup_frac, "dup_indices": list(dup_indices), "replace": replace,
              "replace_effective": plan.replace_effective}
    n_dup = len(plan.duplicates)
    out = []
    for i, pos in enumerate(plan.positions):
        gen = provenance(METHOD, params, seed, source=dataset[pos], position=pos, modified=False,
                         duplicate_block=i < n_dup)
        out.append(derive(dataset[pos], new_id=f"{tag}_{i}", generation=gen))
    return make_dataset(out, name=tag, source=dataset)
