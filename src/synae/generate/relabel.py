"""``relabel`` — the case study: skew a dataset by attribute, then "repair" it by relabeling
(``docs/method.md`` §8.6).

One ``default_rng(seed)`` serves both steps, in this order:

1. **Skew** (file ``skewed``): label every row (:func:`~synae.generate.labels.labels_of`; T1: the type
   detector); the rarest floor(#values present / 2) values (ascending count, ties by name) are
   thinned, each by
   ``rng.choice(candidates, size=int(frac · count), replace=False)``. Base = the other rows, in
   order, ids kept.
2. **Relabel** (file ``relabeled``): for each thinned (type, n_drop) in the same order,
   ``rng.choice(len(base), size=n_drop, replace=False)``; each drawn base row is copied with every
   case-insensitive whole-word occurrence of its own value, in the conversation text, replaced by the
   thinned value (tool calls and output copied unchanged). When the preset reads the label from
   storage (``relabel_in_text`` false: any categorical attribute of generic data) the stored
   attribute is set to the thinned value as well. Result = base + appended rows, ids reset to
   ``0..m-1``.

The appended rows look like the missing value but keep the old plan and output, so they are invalid
by construction (``modified: true`` whenever the text or the stored label really changed).
"""

from __future__ import annotations

from typing import Protocol

from synae.generate.common import (
    GenMode,
    check_mode,
    derive,
    make_dataset,
    new_rng,
    provenance,
)
from synae.generate.dropmin import drop_plan
from synae.generate.labels import LabelAttributePreset, labels_of
from synae.generate.textedit import replace_word
from synae.schema import Dataset, Trajectory


class RelabelPreset(LabelAttributePreset, Protocol):
    """What ``relabel`` reads of a preset."""

    def relabel_in_text(self, attribute: str) -> bool:
        """True: ``relabel`` rewrites the label's words in the text (the label is read from it);
        False: it sets the stored attribute. Raises :class:`~synae.errors.ConfigError` when
        ``attribute`` cannot be relabeled."""
        ...


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


def relabel(dataset: Dataset, *, preset: RelabelPreset, n_min: int | str = "half", frac: float = 0.9,
            attribute: str | None = None, seed: int | None = 123, mode: GenMode = "default"
            ) -> tuple[Dataset, Dataset]:
    """(skewed, relabeled) datasets of the case study; both profiles follow the reference algorithm.

    ``attribute`` defaults to the preset's ``generation_label_attribute``; the preset says whether it
    can be relabeled (T1: ``type``, ``city``/``state``, whose values occur in the text; generic: any
    stored categorical attribute). Rows whose label is null are never thinned and are copied
    unchanged when drawn.
    """
    check_mode(mode)
    attribute = attribute or preset.generation_label_attribute(dataset.trajectories)
    in_text = preset.relabel_in_text(attribute)
    labels = labels_of(dataset.trajectories, attribute, preset)
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
            if old is not None and not in_text:
                row.attributes = {**row.attributes, attribute: step.value}
                changed = True
            row.metadata["generation"] = provenance(
                METHOD, {**params, "step": "relabel"}, seed, source=dataset[pos], position=pos,
                modified=changed, modification=f"{attribute} {old} relabeled as {step.value}" if changed
                else None, label=step.value, relabeled_from=old)
            relabeled.append(row)
    for i, row in enumerate(relabeled):
        row.id = str(i)
    return (make_dataset(skewed, name=SKEWED, source=dataset),
            make_dataset(relabeled, name=RELABELED, source=dataset))
