"""Dataset statistics for ``synae inspect``, computed in one streaming pass with bounded memory.

:func:`inspect_input` reads a file and returns the statistics dict that ``synae inspect`` prints;
:func:`dataset_stats` computes the same dict for a dataset already in memory. Both feed trajectories
in chunks (:data:`synae.run.inputs.streaming.CHUNK`) to :class:`StatsAccumulator`, which keeps only
counters and running sums: its memory is O(distinct labels + distinct tool names + distinct
attribute names), never O(n). An unsorted input file streams (:mod:`synae.run.inputs.streaming`) — one
chunk alive at a time besides the reader's set of seen ids (duplicate-id check). A sorted input
(``--sort``) is loaded whole by :func:`synae.run.commands.load_input` and then summarised by the
same accumulator.

Statistics (equal to what a whole-dataset computation gives):

- counts: trajectories, messages per role, tool calls, tool calls per name, unparsed tool-call code
  (messages with ``metadata.parse_error``), model calls whose messages were not captured (span
  inputs: ``metadata.not_captured``), trajectories with an output, skipped records (the first
  :data:`~synae.run.inputs.data.SKIPPED_SHOWN` reasons), schema warnings;
- categorical attributes → label counts (every label of a multi-label item counts), most frequent
  first, ties by label;
- numeric attributes → ``n``, ``mean`` (running sum in record order / n), ``min``, ``max``.

Attributes: the preset's AM attributes (keyword labels follow the metric options), then every other
stored attribute in first-seen order. A stored attribute is numeric when every present (non-null)
value is a number, else categorical with missing values labelled ``"None"``
(:func:`synae.presets.base.stored_attribute_values`). When a stored attribute turns out mixed
(numbers first, a non-number later), the labels of its numbers were not kept; a second pass over
the input counts them (still bounded memory).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synae.adapters.common import source_of
from synae.attributes import field_scalar
from synae.config import Config, MetricOptions
from synae.presets import detect_preset, get_preset
from synae.presets.base import NONE, NUMERIC_ATTRIBUTES, Preset, is_number, label_text
from synae.run.commands import load_input
from synae.run.inputs.data import SKIPPED_SHOWN
from synae.run.inputs.streaming import (
    StreamHeader,
    chunked,
    detect_preset_streaming,
    stream_trajectories,
    streaming_format,
)
from synae.schema import ROLES, Dataset, Trajectory, gc_paused

TrajectorySource = Callable[[], Iterator[Trajectory]]  # a fresh pass over the trajectories per call


def label_counts(counter: Counter[str]) -> dict[str, int]:
    """Label counts, most frequent first, ties by label."""
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass
class NumericSummary:
    """n, running sum (record order), min and max of a stream of numbers."""

    n: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf

    def add(self, values: Iterable[float]) -> None:
        for v in values:
            self.n += 1
            self.total += v
            self.low = min(self.low, v)
            self.high = max(self.high, v)

    def as_dict(self) -> dict[str, float]:
        return {"n": self.n, "mean": self.total / self.n, "min": self.low, "max": self.high}


@dataclass
class _Stored:
    """One stored attribute: numbers summarised while every present value is a number; labels of
    the non-numbers; ``n_present`` non-null values (missing = n − n_present)."""

    numbers: NumericSummary = field(default_factory=NumericSummary)
    labels: Counter[str] = field(default_factory=Counter)
    n_present: int = 0
    mixed: bool = False  # a non-number present: the attribute is categorical

    def add(self, value: Any) -> None:
        if value is None:
            return
        self.n_present += 1
        if is_number(value):
            self.numbers.add((float(value),))
        elif isinstance(value, list):
            self.mixed = True
            self.labels.update([str(v) for v in value] or [NONE])
        else:
            self.mixed = True
            self.labels[label_text(value)] += 1


class StatsAccumulator:
    """Counts and summaries of trajectories fed in chunks (:meth:`add`); see the module docstring."""

    def __init__(self, preset: Preset, options: MetricOptions) -> None:
        self.preset, self.options = preset, options
        self.n = 0
        self.roles: Counter[str] = Counter()
        self.tools: Counter[str] = Counter()
        self.unparsed = 0
        self.not_captured = 0
        self.with_output = 0
        # the generic preset's named fields (``--attribute-field``) are read from the record as stored values
        self.fields: tuple[str, ...] = tuple(getattr(preset, "attribute_fields", ()))
        self.preset_attributes = list(dict.fromkeys((*preset.am_attributes, *preset.output_am_attributes,
                                                     *self.fields)))
        builtin = {*NUMERIC_ATTRIBUTES, *preset.extra_numeric_attributes()}
        computed = builtin | set(preset.keyword_vocabularies()) | set(preset.derived_attributes())
        self.numeric: dict[str, NumericSummary] = {a: NumericSummary() for a in self.preset_attributes
                                                   if a in builtin}
        self.labels: dict[str, Counter[str]] = {a: Counter() for a in self.preset_attributes
                                                if a in computed and a not in builtin}
        self.stored: dict[str, _Stored] = {}  # first-seen order; preset attributes read as stored too

    def add(self, trajectories: Sequence[Trajectory]) -> None:
        """Add a chunk of trajectories."""
        self.n += len(trajectories)
        for t in trajectories:
            self.with_output += t.output is not None
            self.not_captured += int(t.metadata.get("not_captured", 0) or 0)
            for m in t.messages:
                self.roles[m.role] += 1
                if m.metadata and "parse_error" in m.metadata:
                    self.unparsed += 1
                for c in m.tool_calls or ():
                    self.tools[c.function.name] += 1
            for name in t.attributes:
                if name not in self.stored:
                    self.stored[name] = _Stored()
        for name in self.preset_attributes:
            if name not in self.numeric and name not in self.labels and name not in self.stored:
                self.stored[name] = _Stored()
        for name, summary in self.numeric.items():
            summary.add(self.preset.attribute_values(trajectories, name, self.options).values)
        for name, counter in self.labels.items():
            counter.update(label for item in self.preset.attribute_values(
                trajectories, name, self.options).values for label in item)
        for name, acc in self.stored.items():
            for t in trajectories:
                acc.add(self._value(t, name))

    def _value(self, traj: Trajectory, name: str) -> Any:
        """A stored attribute, or a named field's scalar (a dotted path from the record root)."""
        return field_scalar(traj, name) if name in self.fields else traj.attributes.get(name)

    def mixed_attributes(self) -> list[str]:
        """Stored attributes with numbers and non-numbers: their numbers' labels need a second pass."""
        return [a for a, s in self.stored.items() if s.mixed and s.numbers.n]

    def count_number_labels(self, trajectories: Iterable[Trajectory], names: Sequence[str]) -> None:
        """Second pass: add the labels of the numeric values of the mixed attributes ``names``."""
        for t in trajectories:
            for name in names:
                value = self._value(t, name)
                if is_number(value):
                    self.stored[name].labels[label_text(value)] += 1

    def _stored_result(self, name: str) -> tuple[str, Any]:
        s = self.stored[name]
        if s.n_present and not s.mixed:
            return ("numeric", s.numbers.as_dict())
        labels = Counter(s.labels)
        if self.n - s.n_present:
            labels[NONE] += self.n - s.n_present
        return ("categorical", label_counts(labels))

    def result(self) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
        """(categorical attributes → label counts, numeric attributes → n/mean/min/max)."""
        attributes: dict[str, dict[str, int]] = {}
        numeric: dict[str, dict[str, float]] = {}
        stored_first = [a for a in self.preset_attributes if a in self.stored]
        for name in self.preset_attributes:
            if name in self.numeric:
                if self.numeric[name].n:
                    numeric[name] = self.numeric[name].as_dict()
            elif name in self.labels:
                attributes[name] = label_counts(self.labels[name])
        for name in [*stored_first, *self.stored]:
            if name in attributes or name in numeric:
                continue
            kind, value = self._stored_result(name)
            (attributes if kind == "categorical" else numeric)[name] = value
        return attributes, numeric


def accumulate(source: TrajectorySource, preset: Preset, options: MetricOptions,
               counted: StreamHeader | None = None) -> StatsAccumulator:
    """Feed every trajectory of ``source()`` to a :class:`StatsAccumulator` in chunks (and, for
    mixed stored attributes, a second pass over ``source()``)."""
    acc = StatsAccumulator(preset, options)
    with gc_paused():
        for chunk in chunked(source(), counted):
            acc.add(chunk)
        mixed = acc.mixed_attributes()
        if mixed:
            acc.count_number_labels(source(), mixed)
    return acc


def _stats(acc: StatsAccumulator, header: Dataset, preset: Preset, n_warnings: int) -> dict[str, Any]:
    attributes, numeric = acc.result()
    return {
        "name": header.name, "source": header.source, "format": header.format, "preset": preset.name,
        "n": acc.n,
        "messages": {role: acc.roles[role] for role in ROLES},
        "tool_calls": sum(acc.tools.values()),
        "unparsed_tool_calls": acc.unparsed,
        "not_captured": acc.not_captured,
        "tool_names": label_counts(acc.tools),
        "with_output": acc.with_output,
        "attributes": attributes,
        "numeric": numeric,
        "n_skipped": header.n_skipped,
        "skipped": header.skipped[:SKIPPED_SHOWN],
        "warnings": n_warnings,
    }


def dataset_stats(dataset: Dataset, preset: Preset, options: MetricOptions) -> dict[str, Any]:
    """Counts of messages, tool calls and tool names; attribute distributions; numeric summaries of a
    dataset in memory (the keys ``synae inspect --json`` prints, without ``mode``)."""
    acc = accumulate(lambda: iter(dataset.trajectories), preset, options)
    return _stats(acc, dataset, preset, len(dataset.warnings))


# ------------------------------------------------------------------------------------------------
# Streaming input


def _streamed_source(path: Path, fmt: str, config: Config, header: Dataset) -> TrajectorySource:
    """Passes over a file that streams in format ``fmt`` as :func:`synae.run.commands.load_input`
    reads it (:func:`~synae.run.inputs.streaming.stream_trajectories`); only the first pass records skipped
    records and warnings on ``header``."""
    n_passes = 0

    def passes() -> Iterator[Trajectory]:
        nonlocal n_passes
        n_passes += 1
        return stream_trajectories(path, fmt, skip_invalid=config.inputs.skip_invalid,
                                   output_from=config.inputs.output_from, preset=config.preset,
                                   answers=config.inputs.answers, dataset=header if n_passes == 1 else None)
    return passes


def inspect_input(path: Path, config: Config, *, name: str | None = None) -> tuple[dict[str, Any], Dataset]:
    """The statistics of the file ``path`` read with ``config.inputs`` (and ``config.preset``, else
    the detected preset), plus the dataset header (name, source, skipped records; no trajectories
    when the file streamed). Streams when :func:`~synae.run.inputs.streaming.streams` says so; raises
    :class:`~synae.errors.DataError` when every record was skipped."""
    fmt = streaming_format(path, config)
    if fmt is None:
        dataset = load_input(path, config, name=name)
        preset = get_preset(config.preset or detect_preset(dataset),
                            attribute_fields=config.metrics.attribute_fields)
        stats = dataset_stats(dataset, preset, config.metrics)
        stats["mode"] = config.mode
        return stats, dataset
    source = source_of(path)
    header = Dataset(trajectories=[], name=name or source.default_name, source=source.label, format=fmt)
    detected = config.preset or detect_preset_streaming(path, fmt, skip_invalid=config.inputs.skip_invalid)
    preset = get_preset(detected,
                        attribute_fields=config.metrics.attribute_fields)
    counted = StreamHeader(header)
    acc = accumulate(_streamed_source(path, fmt, config, header), preset, config.metrics, counted)
    stats = _stats(acc, header, preset, counted.n_warnings)
    stats["mode"] = config.mode
    return stats, header


__all__ = ["NumericSummary", "StatsAccumulator", "accumulate", "dataset_stats", "inspect_input",
           "label_counts"]
