"""Streaming input: a chat-format JSON Lines(.gz) file (canonical, OpenAI chat or ShareGPT records)
read one trajectory at a time, in chunks, so that the commands over it (``inspect``, ``convert``,
``validate``) hold one chunk, never the file.

- :func:`streaming_format` / :func:`streams` — whether a file streams: unsorted JSON Lines in one of
  :data:`STREAMING_FORMATS`. Other inputs (tables, JSON arrays, benchmark formats, ``--sort``) are
  loaded whole.
- :func:`stream_trajectories` — its trajectories as :func:`synae.run.data.load_dataset` reads them
  (the same ids, outputs by ``output_from``, a preset's stored attributes merged in).
- :func:`detect_preset_streaming` — :func:`synae.presets.detect_preset` without converting every
  record.
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
from synae.adapters.chat import iter_chat, record_trajectory
from synae.adapters.common import apply_output_from, check_output_from, is_json_array, source_of, table_kind
from synae.config import Config
from synae.errors import SynaeError
from synae.presets import detect_preset, get_preset
from synae.run.commands import SKIPPED_SHOWN, check_not_all_skipped
from synae.schema import Dataset, Trajectory, decode_line, iter_jsonl, iter_raw_lines, parse_trajectory

CHUNK = 1024  # trajectories held at a time
STREAMING_FORMATS = ("canonical", "openai", "sharegpt")


def streaming_format(path: Path, config: Config) -> str | None:
    """The format ``path`` streams in with ``config.inputs`` (unsorted JSON Lines(.gz) records of
    one of :data:`STREAMING_FORMATS`), else ``None``."""
    inputs = config.inputs
    if inputs.sort != "none" or table_kind(path) != "jsonl" or is_json_array(path):
        return None
    fmt = (inputs.format or detect_format(path)).lower()
    return fmt if fmt in STREAMING_FORMATS else None


def streams(path: Path, config: Config) -> bool:
    """Whether ``path`` streams with ``config.inputs`` (:func:`streaming_format`)."""
    return streaming_format(path, config) is not None


def stream_trajectories(path: Path, fmt: str = "canonical", *, skip_invalid: bool = False,
                        output_from: str | None = None, preset: str | None = None,
                        dataset: Dataset | None = None) -> Iterator[Trajectory]:
    """The trajectories of a JSON Lines(.gz) file of chat format ``fmt`` one at a time, as
    :func:`synae.run.data.load_dataset` reads them: canonical records through
    :func:`synae.schema.iter_jsonl`, OpenAI and ShareGPT records through
    :func:`synae.adapters.chat.iter_chat` (ids by record position); outputs by ``output_from``
    (default ``last-assistant``); the stored attributes of ``preset`` merged in (a missing preset
    resource becomes one warning on ``dataset`` and stops deriving, as
    :func:`synae.run.data.derive_attributes` does). Skipped records and schema warnings are counted
    on ``dataset`` when given."""
    derive = get_preset(preset) if preset else None
    rule = output_from or "last-assistant"
    check_output_from(rule)
    if fmt == "canonical":
        read: Iterator[Trajectory] = (
            apply_output_from(t, rule, has_field="output" in t.model_fields_set)
            for t in iter_jsonl(path, skip_invalid=skip_invalid, dataset=dataset))
    else:
        source = source_of(path)
        counts = dataset if dataset is not None else Dataset(trajectories=[], name=source.default_name,
                                                            source=source.label)
        read = iter_chat(source, fmt, dataset=counts, skip_invalid=skip_invalid, output_from=rule)
    for t in read:
        if derive is not None:
            try:
                t.attributes = {**t.attributes, **derive.derive_attributes(t)}
            except SynaeError as exc:
                if dataset is not None:
                    dataset.warnings.append(f"attributes of preset {preset!r} not derived: {exc}")
                derive = None
        yield t


def detect_preset_streaming(path: Path, fmt: str = "canonical") -> str:
    """:func:`synae.presets.detect_preset` over a pass that converts only the records that can name
    a benchmark (``"kind"`` or ``"benchmark"`` in the raw line); a bad record is left to the pass
    that reads the file (which reports or skips it)."""
    source = source_of(path)

    def candidates() -> Iterator[Trajectory]:
        for lineno, raw in iter_raw_lines(path):
            if b'"kind"' in raw or b'"benchmark"' in raw:
                location = f"line {lineno}"
                try:
                    if fmt == "canonical":
                        yield parse_trajectory(decode_line(raw, source=str(path), location=location),
                                               source=str(path), location=location)
                    else:
                        yield record_trajectory(raw, fmt, source=source, position=lineno - 1,
                                                location=location)
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
    drained before each chunk is handed out and once more at the end. With ``counted``, an input
    whose every record was skipped raises :class:`~synae.errors.DataError` at the end
    (:func:`~synae.run.commands.check_not_all_skipped`), so no command reports on nothing."""
    it = iter(trajectories)
    n = 0
    while chunk := list(islice(it, size or CHUNK)):
        n += len(chunk)
        if counted is not None:
            counted.drain()
        yield chunk
    if counted is not None:
        counted.drain()
        if n == 0:
            check_not_all_skipped(counted.header, counted.header.source or counted.header.name)


__all__ = ["CHUNK", "STREAMING_FORMATS", "StreamHeader", "chunked", "detect_preset_streaming",
           "stream_trajectories", "streaming_format", "streams"]
