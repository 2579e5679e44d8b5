"""Streaming input: a canonical JSON Lines(.gz) file read one trajectory at a time, in chunks, so
that the commands over it (``inspect``, ``convert``, ``validate``) hold one chunk, never the file.

- :func:`streams` — whether a file streams: unsorted canonical JSONL (the format ``synae convert``
  writes). Other inputs (tables, JSON arrays, benchmark formats, ``--sort``) are loaded whole.
- :func:`stream_canonical` — its trajectories as :func:`synae.run.data.load_dataset` reads them
  (outputs by ``output_from``, a preset's stored attributes merged in).
- :func:`detect_preset_streaming` — :func:`synae.presets.detect_preset` without parsing every line.
- :class:`StreamHeader` + :func:`chunked` — chunks of :data:`CHUNK` trajectories, the header's
  schema warnings counted and dropped and its skipped reasons cut to the first
  :data:`~synae.run.commands.SKIPPED_SHOWN` between chunks, so the header stays small too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from synae.adapters import detect_format
from synae.adapters.common import apply_output_from, check_output_from, is_json_array, table_kind
from synae.config import Config
from synae.errors import SynaeError
from synae.presets import detect_preset, get_preset
from synae.run.commands import SKIPPED_SHOWN
from synae.schema import Dataset, Trajectory, decode_line, iter_jsonl, iter_raw_lines, parse_trajectory

CHUNK = 1024  # trajectories held at a time


def streams(path: Path, config: Config) -> bool:
    """Whether ``path`` streams with ``config.inputs``: an unsorted canonical JSON Lines(.gz) file."""
    inputs = config.inputs
    if inputs.sort != "none" or table_kind(path) != "jsonl" or is_json_array(path):
        return False
    fmt = inputs.format or detect_format(path)
    return fmt.lower() == "canonical"


def stream_canonical(path: Path, *, skip_invalid: bool = False, output_from: str | None = None,
                     preset: str | None = None, dataset: Dataset | None = None) -> Iterator[Trajectory]:
    """The trajectories of a canonical JSON Lines(.gz) file one at a time
    (:func:`synae.schema.iter_jsonl`), as :func:`synae.run.data.load_dataset` reads them: outputs by
    ``output_from`` (default ``last-assistant``), the stored attributes of ``preset`` merged in (a
    missing preset resource becomes one warning on ``dataset`` and stops deriving, as
    :func:`synae.run.data.derive_attributes` does). Skipped records and schema warnings are counted
    on ``dataset`` when given."""
    derive = get_preset(preset) if preset else None
    rule = output_from or "last-assistant"
    check_output_from(rule)
    for t in iter_jsonl(path, skip_invalid=skip_invalid, dataset=dataset):
        apply_output_from(t, rule, has_field="output" in t.model_fields_set)
        if derive is not None:
            try:
                t.attributes = {**t.attributes, **derive.derive_attributes(t)}
            except SynaeError as exc:
                if dataset is not None:
                    dataset.warnings.append(f"attributes of preset {preset!r} not derived: {exc}")
                derive = None
        yield t


def detect_preset_streaming(path: Path) -> str:
    """:func:`synae.presets.detect_preset` over a pass that parses only the lines that can name a
    benchmark (``"kind"`` or ``"benchmark"`` in the raw text); a bad line is left to the pass that
    reads the file (which reports or skips it)."""

    def candidates() -> Iterator[Trajectory]:
        for lineno, raw in iter_raw_lines(path):
            if b'"kind"' in raw or b'"benchmark"' in raw:
                try:
                    line = decode_line(raw, source=str(path), location=f"line {lineno}")
                    yield parse_trajectory(line, source=str(path), location=f"line {lineno}")
                except SynaeError:
                    continue
    return detect_preset(candidates())


@dataclass
class StreamHeader:
    """What a pass over the input saw besides the trajectories: the dataset ``header`` (name,
    source, ``n_skipped``; no trajectories), the number of schema warnings drained from it and the
    first of them."""

    header: Dataset
    n_warnings: int = 0
    first_warning: str | None = None

    def drain(self) -> None:
        """Count and drop the schema warnings collected so far (keeping the first) and keep only
        the first skipped reasons (memory stays bounded)."""
        if self.first_warning is None and self.header.warnings:
            self.first_warning = self.header.warnings[0]
        self.n_warnings += len(self.header.warnings)
        self.header.warnings.clear()
        del self.header.skipped[SKIPPED_SHOWN:]


def chunked(trajectories: Iterable[Trajectory], counted: StreamHeader | None = None,
            size: int | None = None) -> Iterator[list[Trajectory]]:
    """Consecutive lists of at most ``size`` (default :data:`CHUNK`) trajectories; ``counted`` is
    drained before each chunk is handed out and once more at the end."""
    it = iter(trajectories)
    while chunk := list(islice(it, size or CHUNK)):
        if counted is not None:
            counted.drain()
        yield chunk
    if counted is not None:
        counted.drain()


__all__ = ["CHUNK", "StreamHeader", "chunked", "detect_preset_streaming", "stream_canonical", "streams"]
