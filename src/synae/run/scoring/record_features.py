"""The per-record features of a chunk of trajectories — everything the metrics read except
embeddings — as one picklable function, :class:`RecordFeatures`, so that an executor can run it on
its workers (:meth:`synae.run.executors.Executor.map_batches`) and the chunks' results are joined in
order (:meth:`synae.metrics.features.DatasetFeatures.concat`).

Per trajectory: the tool-call name sequence (``calls``, with the count of unparsable code), the
computed attributes the selected metrics read (numeric values, categorical labels), the AD label
combination, the output row and token length, and the privacy views. Stored attributes are not
here: their kind (numeric or categorical) is decided over the whole set (:func:`add_stored`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from synae.config import MetricOptions
from synae.metrics import registry
from synae.metrics.features import DatasetFeatures, Ragged, share_equal
from synae.presets import Preset
from synae.presets.base import NUMERIC_ATTRIBUTES, is_number, stored_values
from synae.schema import Trajectory
from synae.views import tool_call_sequence


@dataclass(frozen=True)
class RecordFeatures:
    """``RecordFeatures(...)(trajectories)`` → their :class:`DatasetFeatures` without embeddings and
    stored attributes, for the selected ``metric_ids`` of ``preset``; ``ad_attributes`` are the
    metric context's (decided on the real set)."""

    preset: Preset
    options: MetricOptions
    metric_ids: tuple[str, ...]
    ad_attributes: tuple[str, ...]

    def wanted_attributes(self) -> list[str]:
        """The attributes the selected metrics read, in metric order."""
        return [a for a in (registry.spec(i).attribute_of(i) for i in self.metric_ids) if a is not None]

    def stored_attributes(self) -> list[str]:
        """Those of :meth:`wanted_attributes` read from the trajectories' stored ``attributes``."""
        return [a for a in self.wanted_attributes() if self.preset.is_stored_attribute(a)]

    def __call__(self, trajs: list[Trajectory]) -> DatasetFeatures:
        preset, opts = self.preset, self.options
        needs = {f for i in self.metric_ids for f in registry.spec(i).needs}
        calls: list[tuple[str, ...]] = []
        unparsable = 0
        if preset.has_tool_calls:
            for t in trajs:
                seq = tool_call_sequence(t, scope=opts.code_parse_scope or "message",
                                         extraction=opts.call_extraction or "non_builtin",
                                         declared_tools=preset.declared_tools)
                calls.append(tuple(seq.names))
                unparsable += seq.unparsable_code
            calls = share_equal(calls)
        else:
            calls = [()] * len(trajs)
        numeric, categorical = self._attributes(trajs)
        out_tokens = preset.numeric_columns(trajs, ["output_token_length"])["output_token_length"]
        output_row = np.full(len(trajs), -1, dtype=np.int64)
        has_out = np.array([t.output is not None for t in trajs], dtype=bool)
        output_row[has_out] = np.arange(int(has_out.sum()))
        feats = DatasetFeatures(
            name="", n=len(trajs), calls=calls, unparsable_code=unparsable, numeric=numeric,
            categorical=categorical,
            ad_labels=self._ad(trajs, categorical) if "ad_labels" in needs else None,
            output_row=output_row,
            output_tokens=np.array([v[0] for v in out_tokens if v], dtype=np.float64))
        specs = [registry.spec(i) for i in self.metric_ids if registry.spec(i).pillar == "privacy"]
        privacy_targets = tuple(dict.fromkeys(spec.target for spec in specs))
        if privacy_targets:  # view hashes and token keys of the targets the privacy metrics read,
            from synae.metrics.privacy import privacy_features  # tokens and PII where spans/echo read them

            feats.privacy = privacy_features(trajs, privacy_targets,
                                             {spec.target for spec in specs if "pii" in spec.needs},
                                             {spec.target for spec in specs if "tokens" in spec.needs})
        return feats

    def _attributes(self, trajs: list[Trajectory]) -> tuple[dict[str, Ragged], dict[str, list[list[str]]]]:
        """The computed (not stored) attributes of ``trajs``: numeric values per trajectory, labels."""
        numeric: dict[str, Ragged] = {}
        categorical: dict[str, list[list[str]]] = {}
        preset = self.preset
        builtin_numeric = set(NUMERIC_ATTRIBUTES) | set(preset.extra_numeric_attributes())
        computed = [a for a in dict.fromkeys(self.wanted_attributes()) if not preset.is_stored_attribute(a)]
        columns = preset.numeric_columns(trajs, [a for a in computed if a in builtin_numeric])
        for attr in computed:
            if attr in columns:
                numeric[attr] = Ragged.from_lists(columns[attr])
                continue
            values = preset.attribute_values(trajs, attr, self.options)
            if values.kind == "categorical":
                categorical[attr] = share_equal(values.values)
            else:  # a numeric named field: one value per trajectory that has a number
                numeric[attr] = Ragged.from_lists([preset.numeric_values(t, attr) for t in trajs])
        return numeric, categorical

    def _ad(self, trajs: list[Trajectory], am_labels: dict[str, list[list[str]]]) -> list[tuple[str, ...]]:
        """AD combinations. For keyword attributes whose multi-labels AM already computed, the
        first-match label is the first multi-label (both follow vocabulary order, ``"Other"`` when
        nothing matches), so the transcript is not matched twice; other attributes ask the preset."""
        preset = self.preset
        reusable = {a for a in self.ad_attributes if a in am_labels and a in preset.keyword_vocabularies()}
        if type(preset).ad_label is not Preset.ad_label:  # a preset with its own first-match rule
            reusable = set()
        columns = []
        for attr in self.ad_attributes:
            if attr in reusable:
                columns.append([labels[0] for labels in am_labels[attr]])
            else:
                columns.append([preset.ad_label(t, attr, self.options) for t in trajs])
        return share_equal(list(zip(*columns, strict=True))) if columns else [() for _ in trajs]


def add_stored(feats: DatasetFeatures, attr: str, raw: list[Any]) -> None:
    """Stored attribute ``attr`` of the whole set from each trajectory's raw value (``None``:
    missing), its kind decided over all of them (:func:`~synae.presets.base.stored_values`):
    numeric — one value per trajectory that has a finite number; categorical — its labels."""
    values = stored_values(raw)
    if values.kind == "categorical":
        feats.categorical[attr] = share_equal(values.values)
    else:
        feats.numeric[attr] = Ragged.from_lists([_stored_number(v) for v in raw])


def _stored_number(value: Any) -> list[float]:
    if is_number(value) and math.isfinite(value):
        return [float(value)]
    return []


__all__ = ["RecordFeatures", "add_stored"]
