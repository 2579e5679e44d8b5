"""Streaming input: a file (canonical, OpenAI chat or ShareGPT records as JSON Lines(.gz), one JSON
array or a CSV/Parquet table; a benchmark file or a transcript table) read one trajectory at a time,
in chunks, so that the commands over it (``inspect``, ``convert``, ``validate``, ``evaluate``,
``compare``) hold one chunk, never the file.

- :func:`streaming_format` / :func:`streams` — whether a file streams: any unsorted input file
  (``--sort`` needs every record: loaded whole). A T1 turn-level file and a JSON Lines table are
  held by their reader (:func:`synae.adapters.iter_file`).
- :func:`stream_trajectories` — its trajectories as :func:`synae.run.inputs.data.load_dataset` reads them
  (the same ids, outputs by ``output_from``, a preset's stored attributes merged in).
- :func:`detect_preset_streaming` — :func:`synae.presets.detect_preset` in one pass (over JSON
  Lines, converting only the records that can name a benchmark).
- :class:`StreamHeader` + :func:`chunked` — chunks of :data:`CHUNK` trajectories, the header's
  schema warnings counted and dropped and its skipped reasons cut to the first
  :data:`~synae.run.inputs.data.SKIPPED_SHOWN` between chunks, so the header stays small too.
- :class:`TrajectoryStream` — such a file as an input that ``evaluate`` and ``compare`` read again
  on every pass instead of holding (its features are built chunk by chunk,
  :meth:`synae.run.scoring.evaluation.Evaluator.features`). Work that only needs to see every trajectory
  once (structure counts, rule validity) *rides* the next complete pass
  (:meth:`TrajectoryStream.ride`) instead of reading and parsing the file again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from synae.adapters import READERS_BY_NAME, check_reader_output_from, detect_format, iter_file
from synae.adapters.chat import iter_chat, record_trajectory
from synae.adapters.common import apply_output_from, check_output_from, is_json_array, source_of, table_kind
from synae.config import Config
from synae.errors import SynaeError
from synae.presets import detect_preset, get_preset
from synae.run.inputs.data import SKIPPED_SHOWN, check_not_all_skipped
from synae.schema import (
    Dataset,
    Trajectory,
    decode_line,
    gc_paused,
    iter_jsonl,
    iter_raw_lines,
    parse_trajectory,
)

CHUNK = 1024  # trajectories held at a time
HELD = 8192  # an input of at most this many trajectories is parsed once and held (evaluation.FEATURE_CHUNK)
STREAMING_FORMATS = ("canonical", "openai", "sharegpt")


def streaming_format(path: Path, config: Config, fmt: str | None = None) -> str | None:
    """The format ``path`` streams in with ``config.inputs`` (the format ``fmt``, else
    ``inputs.format``, else detected), else ``None``: unsorted records of one of
    :data:`STREAMING_FORMATS` in JSON Lines(.gz), a JSON array or a CSV/Parquet table, or a file of
    a benchmark format (T1, BFCL, ACP) or a transcript table, read record by record by its reader
    (:func:`synae.adapters.iter_file`)."""
    inputs = config.inputs
    if inputs.sort != "none" or table_kind(path) is None:
        return None
    fmt = (fmt or inputs.format or detect_format(path)).lower()
    reader = READERS_BY_NAME.get(fmt)
    return fmt if fmt in STREAMING_FORMATS or (reader is not None and reader.records is not None) else None


def is_jsonl(path: Path) -> bool:
    """``path`` holds JSON Lines (not a table, not one JSON array)."""
    return table_kind(path) == "jsonl" and not is_json_array(path)


def streams(path: Path, config: Config) -> bool:
    """Whether ``path`` streams with ``config.inputs`` (:func:`streaming_format`)."""
    return streaming_format(path, config) is not None


def stream_trajectories(path: Path, fmt: str = "canonical", *, skip_invalid: bool = False,
                        output_from: str | None = None, preset: str | None = None,
                        answers: Path | None = None, dataset: Dataset | None = None) -> Iterator[Trajectory]:
    """The trajectories of a file of format ``fmt`` one at a time, as
    :func:`synae.run.inputs.data.load_dataset` reads them: canonical JSON Lines through
    :func:`synae.schema.iter_jsonl`, other chat records through :func:`synae.adapters.chat.iter_chat`
    (ids by record position; outputs by ``output_from``, default ``last-assistant``), the other
    formats through their reader's records (:func:`synae.adapters.iter_file`; BFCL ground truth from
    ``answers``); the stored attributes of ``preset`` (default: the format's benchmark preset)
    merged in (a missing preset resource becomes one warning on ``dataset`` and stops deriving, as
    :func:`synae.run.inputs.data.derive_attributes` does). Skipped records and warnings are counted on
    ``dataset`` when given."""
    reader = READERS_BY_NAME[fmt]
    preset = preset or reader.preset
    derive = get_preset(preset) if preset else None
    source = source_of(path)
    counts = dataset if dataset is not None else Dataset(trajectories=[], name=source.default_name,
                                                        source=source.label)
    check_reader_output_from(reader, output_from, source.label)
    rule = output_from or "last-assistant"
    check_output_from(rule)
    if not reader.chat:
        read: Iterator[Trajectory] = iter_file(path, fmt, counts, answers=answers, skip_invalid=skip_invalid)
    elif fmt == "canonical" and is_jsonl(path):
        read = (apply_output_from(t, rule, has_field="output" in t.model_fields_set)
                for t in iter_jsonl(path, skip_invalid=skip_invalid, dataset=dataset))
    else:
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


def detect_preset_streaming(path: Path, fmt: str = "canonical", *, skip_invalid: bool = True) -> str:
    """:func:`synae.presets.detect_preset` in one pass: a benchmark format's own preset (its records
    name it); over chat JSON Lines, a pass that converts only the records that can name a benchmark
    (``"kind"`` or ``"benchmark"`` in the raw line); otherwise every record converted, one at a
    time. With ``skip_invalid`` a bad record is left to the pass that reads the file (which reports
    or skips it); without, the converting pass raises it at once (a bad record at the start of a
    large file is reported without reading the rest)."""
    reader = READERS_BY_NAME[fmt]
    if reader.preset is not None:
        return reader.preset
    source = source_of(path)
    if not reader.chat or not is_jsonl(path):
        counts = Dataset(trajectories=[], name=source.default_name, source=source.label)
        read = (iter_file(path, fmt, counts, skip_invalid=skip_invalid) if not reader.chat else
                iter_chat(source, fmt, dataset=counts, skip_invalid=skip_invalid, output_from="none"))
        return detect_preset(read)

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
    (:func:`~synae.run.inputs.data.check_not_all_skipped`), so no command reports on nothing."""
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


class Rider(Protocol):
    """Work fed every chunk of one complete pass over a stream (:meth:`TrajectoryStream.ride`)."""

    def feed(self, chunk: list[Trajectory]) -> None: ...


class TrajectoryStream:
    """A streaming input (:func:`streaming_format`) that is read again on every pass instead of
    held: :meth:`chunks` yields its trajectories as :func:`stream_trajectories` reads them.

    The first complete pass counts the skipped records and schema warnings on :attr:`header` and
    records the trajectory count and the fingerprint (SHA-256 of the canonical JSONL, as
    :meth:`synae.schema.Dataset.fingerprint`); ``len()`` and :meth:`fingerprint` make that pass
    when none has run yet. :attr:`embeddings` holds ``.npy`` side files of precomputed vectors
    (memory-mapped; their row count is checked by the pass that uses them). Every other pass reads
    the same trajectories (the file must not change while the run reads it).

    Riders (:meth:`ride`) are fed every chunk of the next complete pass, whoever makes it, so that
    work needing each trajectory once shares the pass that builds the features instead of parsing
    the file again; :meth:`ridden` hands a rider back once a complete pass has fed it."""

    def __init__(self, path: Path, fmt: str = "canonical", *, skip_invalid: bool = False,
                 output_from: str | None = None, preset: str | None = None, answers: Path | None = None,
                 name: str | None = None) -> None:
        src = source_of(path)
        self.path, self.fmt = path, fmt
        self._options: dict[str, Any] = {"skip_invalid": skip_invalid, "output_from": output_from,
                                         "preset": preset, "answers": answers}
        self.header = Dataset(trajectories=[], name=name or src.default_name, source=src.label, format=fmt)
        self.embeddings: dict[str, Any] = {}
        self._n: int | None = None
        self._fingerprint: str | None = None
        self.passes = 0  # passes begun over the file
        self.parse_seconds = 0.0  # time spent reading and parsing it, over every pass
        self._held: list[Trajectory] | None = None  # every trajectory, when at most HELD
        self._riders: dict[str, Callable[[], Rider]] = {}  # waiting for the next complete pass
        self._ridden: dict[str, Rider] = {}  # fed by a complete pass
        self.rider_seconds = 0.0  # time spent in riders, over every pass

    @property
    def held(self) -> list[Trajectory] | None:
        """Every trajectory, once a complete pass has parsed an input of at most :data:`HELD`."""
        return self._held

    def ride(self, key: str, make: Callable[[], Rider]) -> None:
        """Feed a fresh ``make()`` every chunk of the next complete pass (of any consumer).

        A pass left unfinished drops its riders' partial state; the next pass starts fresh ones.
        A rider that raises is dropped (:meth:`ridden` then returns ``None`` and its consumer reads
        the stream itself, meeting the error where it would have without riding). A ``key`` that a
        complete pass already fed is kept as it is."""
        if key not in self._ridden:
            self._riders[key] = make

    def unride(self, key: str) -> None:
        """Withdraw a rider no complete pass has fed yet (its consumer reads the stream itself)."""
        self._riders.pop(key, None)

    def ridden(self, key: str) -> Rider | None:
        """The rider of ``key`` once a complete pass has fed it every chunk, else ``None``."""
        return self._ridden.get(key)

    def _feed(self, riding: dict[str, Rider], chunk: list[Trajectory]) -> None:
        start = time.perf_counter()
        for key, rider in list(riding.items()):
            try:
                rider.feed(chunk)
            except Exception:  # its consumer reads the stream itself and meets the error there
                del riding[key]
                self._riders.pop(key, None)
        self.rider_seconds += time.perf_counter() - start

    def _rode(self, riding: dict[str, Rider]) -> None:
        for key in riding:
            self._riders.pop(key, None)
        self._ridden.update(riding)

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def source(self) -> str | None:
        return self.header.source

    @property
    def format(self) -> str:
        return self.header.format

    @property
    def n_skipped(self) -> int:
        return self.header.n_skipped

    @property
    def skipped(self) -> list[str]:
        """The first skipped records' reasons (:data:`~synae.run.inputs.data.SKIPPED_SHOWN`)."""
        return self.header.skipped

    def chunks(self, size: int | None = None) -> Iterator[list[Trajectory]]:
        """One pass: consecutive lists of at most ``size`` (default :data:`CHUNK`) trajectories.

        The cyclic garbage collector is paused (:func:`synae.schema.gc_paused`) while a chunk is
        parsed and while the caller works on it, and restored to its previous state before the
        next chunk: parsed trajectories hold no reference cycles, and every automatic collection
        would otherwise rescan the live chunk (about half of a streamed run's time). Cycles the
        caller creates are collected once the collector runs again, between chunks. The time spent
        reading and parsing is added to :attr:`parse_seconds`.

        An input of at most :data:`HELD` trajectories — no more than the features pass holds as one
        chunk anyway — is parsed once: the first complete pass keeps its trajectories and later
        passes hand out the same objects (as a run on the input loaded whole does)."""
        self.passes += 1
        riding = {key: make() for key, make in self._riders.items()}
        if self._held is not None:
            step = size or CHUNK
            for s in range(0, len(self._held), step):
                with gc_paused():
                    held = self._held[s:s + step]
                    self._feed(riding, held)
                    yield held
            self._rode(riding)
            return
        first = self._n is None
        digest = hashlib.sha256() if first else None
        if first:  # (again, when an earlier first pass was left unfinished)
            self.header.n_skipped = 0
            self.header.skipped.clear()
            self.header.warnings.clear()
        read = stream_trajectories(self.path, self.fmt, dataset=self.header if first else None,
                                   **self._options)
        n = 0
        parts = chunked(read, StreamHeader(self.header) if first else None, size)
        kept: list[Trajectory] | None = [] if first else None
        while True:
            with gc_paused():
                start = time.perf_counter()
                chunk = next(parts, None)
                self.parse_seconds += time.perf_counter() - start
                if chunk is None:
                    break
                n += len(chunk)
                if kept is not None:
                    kept.extend(chunk)
                    kept = kept if n <= HELD else None
                if digest is not None:
                    for t in chunk:
                        digest.update(t.to_json_bytes())
                        digest.update(b"\n")
                self._feed(riding, chunk)
                yield chunk
        if digest is not None:
            self._n, self._fingerprint = n, digest.hexdigest()
            self._held = kept
        self._rode(riding)

    def _count(self) -> None:
        if self._n is None:
            for _ in self.chunks():
                pass

    def __len__(self) -> int:
        self._count()
        assert self._n is not None
        return self._n

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSONL serialisation (order-sensitive), as hex."""
        self._count()
        assert self._fingerprint is not None
        return self._fingerprint

    def detect_preset(self) -> str:
        """:func:`detect_preset_streaming` of the file."""
        return detect_preset_streaming(self.path, self.fmt, skip_invalid=self._options["skip_invalid"])


__all__ = ["CHUNK", "STREAMING_FORMATS", "Rider", "StreamHeader", "TrajectoryStream", "chunked",
           "detect_preset_streaming", "stream_trajectories", "streaming_format", "streams"]
