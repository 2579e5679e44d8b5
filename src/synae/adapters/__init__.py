"""Adapters: every supported input → one :class:`~synae.schema.Dataset`.

``load_dataset(data)`` reads a file path or in-memory records (a list of dicts, a pandas DataFrame, a
Hugging Face ``datasets`` object), detects the format (or takes ``fmt``), converts and optionally
sorts (deriving a preset's stored attributes is the application layer's job:
:func:`synae.run.inputs.data.load_dataset`). Formats are the entries of :data:`READERS`, tried in order by
their detector:

| name | input |
|---|---|
| ``t1`` | T1 turn-level files and eval-level (``ID, Data, Tool Call, Output``) files |
| ``anthropic`` | Anthropic Messages API records (``system``, content blocks, ``input_schema`` tools) |
| ``canonical`` | canonical records (``id`` + ``messages``): JSONL(.gz), JSON array, table, in memory |
| ``openai`` | OpenAI chat records (``messages`` [+ ``tools``]), in any container ``canonical`` takes |
| ``sharegpt`` | ShareGPT records (``conversations`` of ``from``/``value`` turns), likewise |
| ``responses`` | OpenAI Responses API records (``instructions``, ``input``/``output`` items) |
| ``otel`` | OpenTelemetry GenAI spans (OTLP/JSON trace exports), one trajectory per conversation |
| ``openinference`` | OpenInference (Phoenix) spans, one trajectory per session or trace |
| ``langsmith`` | LangSmith run exports, one trajectory per thread or trace |
| ``bfcl`` | BFCL questions JSONL + ground truth (found automatically or ``answers=``) |
| ``acp`` | ACPBench CSV/Parquet/JSONL (``context``, ``question``, ``answer``[, ``id``, ``group``]) |
| ``transcript`` | CSV/Parquet/JSONL table with a ``user:``/``assistant:`` transcript column |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synae.adapters.acp import acp_records, load_acp
from synae.adapters.anthropic import anthropic_records, is_anthropic
from synae.adapters.bfcl import bfcl_records, load_bfcl
from synae.adapters.chat import load_canonical, load_openai, load_sharegpt
from synae.adapters.common import (
    OUTPUT_FROM,
    SORT_ORDERS,
    OutputFrom,
    Source,
    Thunk,
    check_output_from,
    first_record,
    iter_checked,
    sort_dataset,
    source_of,
    table_kind,
)
from synae.adapters.langsmith import is_langsmith, langsmith_records
from synae.adapters.openinference import openinference_records
from synae.adapters.otel import is_otel, otel_records
from synae.adapters.responses import is_responses, responses_records
from synae.adapters.spans import first_attribute_keys, is_span_record
from synae.adapters.t1 import load_t1, t1_records
from synae.adapters.transcript import DEFAULT_COLUMNS, load_transcript, transcript_records
from synae.errors import DataError
from synae.schema import Dataset, Trajectory, gc_paused

_T1_EVAL_COLUMNS = ("ID", "Data", "Tool Call", "Output")


@dataclass(frozen=True)
class Probe:
    """What detection sees: the keys of the first record (the header of a CSV/Parquet file) and,
    for JSON inputs, the record itself."""

    keys: frozenset[str]
    columns: tuple[str, ...]
    table: bool  # a CSV/Parquet file
    record: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class LoadOptions:
    """The reader options of :func:`load_dataset`."""

    answers: Path | None = None
    skip_invalid: bool = False
    columns: dict[str, Any] | None = None
    name: str | None = None
    output_from: str | None = None


RecordsOf = Callable[[Path, LoadOptions, Callable[[str], None]], Iterable[tuple[str, Thunk]]]
"""``records(path, options, warn)``: a file's ``(location, make_trajectory)`` one at a time, file-level
warnings passed to ``warn``."""


@dataclass(frozen=True)
class Reader:
    """One input format: ``detect`` says whether a probe is this format (it may raise a
    :class:`DataError` that explains a near miss); ``read`` converts a source. ``preset`` names the
    preset whose stored attributes the application layer derives for this format by default.
    ``chat`` readers take ``output_from`` and in-memory records; the others need a file path and
    give ``records``, what ``read`` converts, for inputs read one trajectory at a time
    (:func:`iter_file`)."""

    name: str
    detect: Callable[[Probe], bool]
    read: Callable[[Source, LoadOptions], Dataset]
    preset: str | None = None
    chat: bool = False
    records: RecordsOf | None = None


def _path(source: Source) -> Path:
    assert source.path is not None  # files_only readers get files (checked by load_dataset)
    return source.path


def _is_t1(probe: Probe) -> bool:
    return probe.table and ("Filled_Template" in probe.keys or probe.columns == _T1_EVAL_COLUMNS)


def _is_bfcl(probe: Probe) -> bool:
    if "ground_truth" in probe.keys and "question" not in probe.keys:
        raise DataError("this is a BFCL ground-truth file; load the questions file instead "
                        "(its answers are found automatically, or pass --answers)")
    return "question" in probe.keys and bool({"involved_classes", "initial_config"} & probe.keys)


def _chat(load: Callable[..., Dataset]) -> Callable[[Source, LoadOptions], Dataset]:
    def read(source: Source, o: LoadOptions) -> Dataset:
        return load(source, skip_invalid=o.skip_invalid, name=o.name,
                    output_from=o.output_from or "last-assistant")
    return read


def _read_records(fmt: str) -> Callable[[Source, LoadOptions], Dataset]:
    """The ``read`` of a format read only through its ``records``: every trajectory of
    :func:`iter_file`, file warnings and skipped records counted on the dataset."""
    def read(source: Source, o: LoadOptions) -> Dataset:
        dataset = Dataset(trajectories=[], name=o.name or source.default_name, source=source.label,
                          format=fmt)
        with gc_paused():
            dataset.trajectories = list(iter_file(_path(source), fmt, dataset, skip_invalid=o.skip_invalid))
        if not dataset.trajectories and not dataset.n_skipped:
            raise DataError("file has no records", source=source.label)
        return dataset
    return read


def _spans_of(otel: bool) -> Callable[[Probe], bool]:
    """Span records whose attributes are GenAI ones (``otel``) or OpenInference ones."""
    return lambda p: is_span_record(p.record) and is_otel(first_attribute_keys(p.record)) == otel


READERS: tuple[Reader, ...] = (
    Reader("t1", _is_t1, lambda s, o: load_t1(_path(s), columns=o.columns, skip_invalid=o.skip_invalid,
                                               name=o.name), preset="t1",
           records=lambda p, o, warn: t1_records(p, columns=o.columns)),
    Reader("anthropic", lambda p: is_anthropic(p.record), _read_records("anthropic"),
           records=lambda p, o, warn: anthropic_records(p)),
    Reader("canonical", lambda p: {"id", "messages"} <= p.keys, _chat(load_canonical), chat=True),
    Reader("openai", lambda p: "messages" in p.keys, _chat(load_openai), chat=True),
    Reader("sharegpt", lambda p: "conversations" in p.keys, _chat(load_sharegpt), chat=True),
    Reader("responses", lambda p: is_responses(p.record), _read_records("responses"),
           records=lambda p, o, warn: responses_records(p)),
    Reader("otel", _spans_of(otel=True), _read_records("otel"),
           records=lambda p, o, warn: otel_records(p, warn)),
    Reader("openinference", _spans_of(otel=False), _read_records("openinference"),
           records=lambda p, o, warn: openinference_records(p, warn)),
    Reader("langsmith", lambda p: is_langsmith(p.keys), _read_records("langsmith"),
           records=lambda p, o, warn: langsmith_records(p, warn)),
    Reader("bfcl", _is_bfcl, lambda s, o: load_bfcl(_path(s), answers=o.answers, skip_invalid=o.skip_invalid,
                                                     name=o.name), preset="bfcl",
           records=lambda p, o, warn: bfcl_records(p, answers=o.answers, warn=warn)),
    Reader("acp", lambda p: {"context", "question", "answer"} <= p.keys,
           lambda s, o: load_acp(_path(s), skip_invalid=o.skip_invalid, name=o.name), preset="acp",
           records=lambda p, o, warn: acp_records(p)),
    Reader("transcript", lambda p: p.table or DEFAULT_COLUMNS["transcript"] in p.keys,
           lambda s, o: load_transcript(_path(s), columns=o.columns, skip_invalid=o.skip_invalid,
                                        name=o.name),
           records=lambda p, o, warn: transcript_records(p, columns=o.columns)),
)
READERS_BY_NAME: dict[str, Reader] = {r.name: r for r in READERS}
FORMATS: tuple[str, ...] = tuple(READERS_BY_NAME)


def detect_format(data: Any) -> str:
    """The name of the first reader of :data:`READERS` whose detector accepts the first record of
    ``data`` (a file path or in-memory records; for CSV/Parquet files, the header)."""
    return _detect(source_of(data))


def _detect(source: Source) -> str:
    path = source.path
    first = "line 1" if path is not None else "record 1"
    record = first_record(source)
    if path is not None and table_kind(path) in ("csv", "parquet") and not record:
        raise DataError("file is empty (no header row)", source=source.label)
    if record is None:
        if path is not None and (path.stat().st_size == 0 or not path.read_bytes().strip()):
            raise DataError("file is empty (no JSON records)", source=source.label)
        raise DataError("cannot detect the format: the first record is not a JSON object (use --from)",
                        source=source.label, location=first)
    columns = tuple(record)
    table = path is not None and table_kind(path) in ("csv", "parquet")
    probe = Probe(frozenset(columns), columns, table=table, record={} if table else record)
    for reader in READERS:
        try:
            if reader.detect(probe):
                return reader.name
        except DataError as exc:
            raise DataError(exc.message, source=source.label) from None
    raise DataError(f"cannot detect the format from keys {sorted(columns)[:8]} (use --from)",
                    source=source.label, location=first)


def load_dataset(data: Any, fmt: str | None = None, *, answers: str | Path | None = None,
                 skip_invalid: bool = False, sort: str = "none",
                 columns: dict[str, Any] | None = None, name: str | None = None,
                 output_from: OutputFrom | None = None) -> Dataset:
    """Load any supported input as a :class:`Dataset`.

    ``data`` — a file path, a list of dicts, a pandas DataFrame or a Hugging Face ``datasets``
    object (in-memory records are read directly, no temporary file); ``fmt`` — one of
    :data:`FORMATS` (auto-detected when ``None``); ``answers`` — BFCL ground-truth file;
    ``skip_invalid`` — skip bad records and count them; ``sort`` — ``none`` | ``int_id`` |
    ``str_id``; ``columns`` — transcript-table column names; ``name`` — dataset name (default: the
    file stem, ``dataset`` in memory); ``output_from`` — where a chat record's output comes from
    (``last-assistant`` (default for chat formats) | ``field`` | ``none``, see
    :func:`synae.adapters.common.apply_output_from`); the other formats take their output from
    their own output column and refuse the option.
    """
    if sort not in SORT_ORDERS:
        raise DataError(f"unknown sort order {sort!r} (expected one of {', '.join(SORT_ORDERS)})")
    if output_from is not None:
        check_output_from(output_from)
    source = source_of(data)
    name_ = (fmt or _detect(source)).lower()
    reader = READERS_BY_NAME.get(name_)
    if reader is None:
        raise DataError(f"unknown format {name_!r} (expected one of {', '.join(FORMATS)})",
                        source=source.label)
    if not reader.chat and source.path is None:
        raise DataError(f"format {name_!r} reads files only; in-memory records may be canonical, openai or "
                        "sharegpt records", source=source.label)
    check_reader_output_from(reader, output_from, source.label)
    options = LoadOptions(answers=Path(answers) if answers else None, skip_invalid=skip_invalid,
                          columns=columns, name=name, output_from=output_from)
    dataset = reader.read(source, options)
    sort_dataset(dataset, sort)
    return dataset


def check_reader_output_from(reader: Reader, output_from: str | None, source: str) -> None:
    """``output_from`` applies to chat formats only: a :class:`DataError` naming ``source`` when it is
    given for another format (which takes its output from its own output column, or, for the trace
    and API-log formats, from the final assistant answer)."""
    if output_from is not None and not reader.chat:
        raise DataError(f"output_from applies to chat formats (canonical, openai, sharegpt); {reader.name!r} "
                        "takes its output from its own output column (trace and API-log formats: the final "
                        "assistant answer)", source=source)


def iter_file(path: Path, fmt: str, dataset: Dataset, *, answers: Path | None = None,
              columns: dict[str, Any] | None = None, skip_invalid: bool = False) -> Iterator[Trajectory]:
    """The trajectories of a file of a non-chat format ``fmt`` (one with ``Reader.records``) one at a
    time, equal to what :func:`load_dataset` keeps: skipped records, schema and file warnings are
    counted on ``dataset``. Rows of CSV/Parquet tables and lines of JSON Lines stream; a T1
    turn-level file and a JSON Lines table are read whole by their reader (see each reader)."""
    reader = READERS_BY_NAME[fmt]
    if reader.records is None:
        raise ValueError(f"format {fmt!r} has no record reader")
    options = LoadOptions(answers=answers, skip_invalid=skip_invalid, columns=columns)
    return iter_checked(reader.records(path, options, dataset.warnings.append), dataset, skip_invalid)


__all__ = [
    "FORMATS",
    "OUTPUT_FROM",
    "READERS",
    "READERS_BY_NAME",
    "OutputFrom",
    "Reader",
    "check_reader_output_from",
    "detect_format",
    "iter_file",
    "load_dataset",
]
