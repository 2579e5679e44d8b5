"""``relabel`` — the case study: skew a dataset by attribute, then "repair" it by relabeling
(``generation.md`` §5).

One ``default_rng(seed)`` serves both steps, in this order:

1. **Skew** (file ``skewed``): label every row with the T1 type detector; the rarest
   floor(#types present / 2) types (ascending count, ties by name) are thinned, each by
   ``rng.choice(candidates, size=int(frac · count), replace=False)``. Base = the other rows, in
   order, ids kept.
2. **Relabel** (file ``relabeled``): for each thinned (type, n_drop) in the same order,
   ``rng.choice(len(base), size=n_drop, replace=False)``; each drawn base row is copied with every
   case-insensitive whole-word occurrence of its own type, in the conversation text, replaced by the
   thinned type (tool calls and output copied unchanged). Result = base + appended rows, ids reset
   to ``0..m-1``.

The appended rows look like the missing type but keep the old plan and output, so they are invalid
by construction (``modified: true`` whenever the text really changed).
"""

from __future__ import annotations

from synae.errors import ConfigError
from synae.generate.common import (
    GenMode,
    check_mode,
    derive,
    detect_benchmark,
    make_dataset,
    new_rng,
    provenance,
)
from synae.generate.dropmin import drop_plan
from synae.generate.labels import labels_of
from synae.generate.textedit import replace_word
from synae.schema import Dataset, Trajectory

METHOD = "relabel"
SKEWED = "skewed"
RELABELED = "relabeled"


def _relabel_text(traj: Trajectory, old: str, new: str) -> bool:
    """Replace ``old`` by ``new`` (case-insensitive, whole words) in every utterance; True if changed."""
    changed = False
    for msg in traj.messages:
        if msg.role in ("user", "assistant") and msg.content:
            text = replace_word(msg.content, old, new)
            if text != msg.content:
                msg.content = text
                changed = True
    return changed


def relabel(dataset: Dataset, *, n_min: int | str = "half", frac: float = 0.9, attribute: str = "type",
            seed: int | None = 123, mode: GenMode = "default", preset: str | None = None
            ) -> tuple[Dataset, Dataset]:
    """(skewed, relabeled) datasets of the case study; both profiles follow the reference algorithm.

    Defined for T1 (``attribute`` ``type``, or ``city``/``state``, whose values also occur in the
    text); rows whose label is null are never thinned and are copied unchanged when drawn.
    """
    check_mode(mode)
    bench = detect_benchmark(dataset, preset)
    if bench != "t1":
        raise ConfigError(f"relabel is defined for T1 conversations (type labels in the text), not {bench}")
    if attribute not in ("type", "city", "state"):
        raise ConfigError(f"relabel attribute must be type, city or state, got {attribute!r}")
    labels = labels_of(dataset.trajectories, attribute, bench)
    rng = new_rng(seed)
    steps = drop_plan(labels, n_min, frac, replace=False, rng=rng)
    dropped = {p for step in steps for p in step.dropped}
    base_positions = [p for p in range(len(dataset)) if p not in dropped]
    params = {"n_min": n_min, "frac": frac, "attribute": attribute,
              "thinned": {s.value: {"count": s.count, "n_drop": s.n_drop} for s in steps}}

    skewed = [derive(dataset[p], new_id=None, generation=provenance(
        METHOD, {**params, "step": "skew"}, seed, source=dataset[p], position=p, modified=False,
        label=labels[p])) for p in base_positions]

    relabeled = [derive(dataset[p], new_id=None, generation=provenance(
        METHOD, {**params, "step": "relabel"}, seed, source=dataset[p], position=p, modified=False,
        label=labels[p])) for p in base_positions]
    for step in steps:
        drawn = rng.choice(len(base_positions), size=step.n_drop, replace=False).tolist()
        for b in drawn:
            pos = base_positions[b]
            row = derive(dataset[pos], new_id=None, generation={})
            old = labels[pos]
            changed = old is not None and _relabel_text(row, old, step.value)
            row.metadata["generation"] = provenance(
                METHOD, {**params, "step": "relabel"}, seed, source=dataset[pos], position=pos,
                modified=changed, modification=f"{attribute} {old} relabeled as {step.value}" if changed
                else None, label=step.value, relabeled_from=old)
            relabeled.append(row)
    for i, row in enumerate(relabeled):
        row.id = str(i)
    return (make_dataset(skewed, name=SKEWED, source=dataset),
            make_dataset(relabeled, name=RELABELED, source=dataset))
