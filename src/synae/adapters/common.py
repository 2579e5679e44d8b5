"""Helpers every adapter shares: reading tables, turning records into a checked :class:`Dataset`,
building tool-call messages from Python source, and ordering.

Adapters convert one record at a time through :func:`build_dataset`, which applies the same rules
to every format: a record that cannot be converted (or fails the schema checks of ``docs/method.md`` §1.1)
raises a :class:`~synae.errors.DataError` naming the file, the record and the field — or, with
``skip_invalid``, is skipped and counted on the dataset.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from synae.datapaths import data_dir
from synae.errors import DataError
from synae.files import check_input_file, data_stem
from synae.schema import (
    BOM,
    Dataset,
    Message,
    OverBudgetError,
    Trajectory,
    check_trajectory,
    decode_line,
    gc_paused,
    iter_raw_lines,
    open_input,
    oversized,
    read_limits,
    validated,
)
from synae.toolcalls import parse_calls, to_tool_calls
from synae.views import OUTPUT_MARK, output_message_index

SortOrder = Literal["none", "int_id", "str_id"]
SORT_ORDERS: tuple[str, ...] = ("none", "int_id", "str_id")

# Cells that pandas reads as missing in the research files (the raw T1 split writes "nan").
NA_CELLS = frozenset({"", "nan", "NaN"})

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


# Lone surrogates are what ``errors="surrogateescape"`` makes of bytes that are not UTF-8.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
UNDECODABLE_MESSAGE = "not valid UTF-8; re-encode the file as UTF-8"


@dataclass
class Row:
    """One record of a table: its 1-based position (for error messages) and its cells.

    ``problem`` marks a CSV row that cannot be a record — bytes that are not UTF-8, or a field
    count other than the header's (its cells are then padded with ``""`` or cut to the header):
    :meth:`check` raises for it, so the error belongs to the row (``skip_invalid`` skips it)
    rather than to the whole file.
    """

    number: int
    cells: dict[str, Any]
    problem: str | None = None

    @property
    def location(self) -> str:
        return f"row {self.number}"

    def check(self, src: str) -> None:
        """Raise :class:`DataError` naming the row when it has a :attr:`problem`."""
        if self.problem:
            raise DataError(self.problem, source=src, location=self.location)


@dataclass
class Table:
    """A table read from CSV, Parquet or JSON Lines; CSV cells are the exact strings of the file."""

    path: Path
    columns: list[str]
    rows: list[Row]

    def require(self, *names: str) -> None:
        """Raise a :class:`DataError` naming the first missing column."""
        for name in names:
            if name not in self.columns:
                raise DataError(f"missing column (columns: {', '.join(self.columns) or 'none'})",
                                source=str(self.path), field=name)


def table_kind(path: Path) -> str | None:
    """``csv``, ``parquet`` or ``jsonl`` from the file name, else ``None``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    return {".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
            ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}.get(last)


def _open_csv(path: Path) -> IO[str]:
    """A CSV file (optionally ``.gz``) opened for the :mod:`csv` module (``newline=""``); a UTF-8
    byte-order mark is dropped and bytes that are not UTF-8 become lone surrogates (see :class:`Row`)."""
    return io.TextIOWrapper(open_input(path), encoding="utf-8-sig", errors="surrogateescape", newline="")


def is_undecodable(text: str) -> bool:
    """``text`` was decoded with ``surrogateescape`` from bytes that are not UTF-8."""
    return _UNDECODABLE.search(text) is not None


def read_header(path: Path) -> list[str]:
    """Column names of a CSV/Parquet file without reading the rows ([] when not a table)."""
    kind = table_kind(path)
    if kind == "csv":
        with _open_csv(path) as fh:
            header = next(csv.reader(fh), [])
        if any(is_undecodable(c) for c in header):
            raise DataError(f"header {UNDECODABLE_MESSAGE}", source=str(path), location="row 0")
        return header
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises several unrelated types for broken files
            raise DataError(f"not a readable Parquet file ({exc})", source=str(path)) from None
    return []


def read_table(path: Path) -> Table:
    """Read a CSV (exact strings), Parquet (native values; int64 stays int) or JSONL table."""
    kind = table_kind(path)
    if kind in ("csv", "parquet"):
        rows = list(table_rows(path))
        return Table(path, read_header(path), rows)
    if kind == "jsonl":
        rows = []
        columns: dict[str, None] = {}
        for number, record in iter_json_objects(path):
            columns.update(dict.fromkeys(record))
            rows.append(Row(number, record))
        return Table(path, list(columns), rows)
    raise DataError("unknown table type (expected .csv, .parquet or .jsonl)", source=str(path))


PARQUET_BATCH = 1024  # rows converted to Python at a time


def table_of(path: Path) -> tuple[Table, Iterable[Row]]:
    """A table's columns (a :class:`Table` without rows) and its rows: a CSV or Parquet file's rows
    stream (:func:`table_rows`; its columns are the header); a JSON Lines table, whose columns are
    the union of its records' keys, is read whole (:func:`read_table`)."""
    if table_kind(path) in ("csv", "parquet"):
        header = read_header(path)
        if not header:
            raise DataError("file is empty (no header row)", source=str(path))
        return Table(path, header, []), table_rows(path)
    table = read_table(path)
    return table, table.rows


def table_rows(path: Path) -> Iterator[Row]:
    """The rows of a CSV (exact strings; blank lines skipped) or Parquet (native values) file, in
    order, one at a time: a CSV is read line by line, a Parquet file :data:`PARQUET_BATCH` rows at a
    time (``pyarrow.parquet.ParquetFile.iter_batches``), so the table is never held. A CSV row
    whose field count differs from the header's comes with a :attr:`Row.problem` (raised by
    :meth:`Row.check`, so ``skip_invalid`` can skip it); an empty CSV (no header) or a file pyarrow
    cannot read is a :class:`DataError` naming the file."""
    src = str(path)
    if table_kind(path) == "csv":
        with _open_csv(path) as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise DataError("file is empty (no header row)", source=src)
            if any(is_undecodable(c) for c in header):
                raise DataError(f"header {UNDECODABLE_MESSAGE}", source=src, location="row 0")
            for number, values in enumerate(reader, start=1):
                if not values:
                    continue
                yield _csv_row(number, header, values)
        return
    import pyarrow.parquet as pq

    try:
        batches = pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH)
        number = 0
        for batch in batches:
            for record in batch.to_pylist():
                number += 1
                yield Row(number, record)
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises several unrelated types for broken files
        raise DataError(f"not a readable Parquet file ({exc})", source=src) from None


def _csv_row(number: int, header: list[str], values: list[str]) -> Row:
    """A CSV row as a :class:`Row`; more characters than :attr:`ReadLimits.max_record_bytes`, a
    field count other than the header's or bytes that are not UTF-8 become the row's
    :attr:`Row.problem`."""
    problem = None
    size = sum(len(v) for v in values)
    if size > read_limits().max_record_bytes:
        problem = oversized(size, source="", location="").message
        values = [""] * len(header)
    elif len(values) != len(header):
        problem = f"has {len(values)} fields, the header has {len(header)}"
        values = (values + [""] * len(header))[:len(header)]
    elif any(is_undecodable(v) for v in values):
        problem = UNDECODABLE_MESSAGE
    return Row(number, dict(zip(header, values, strict=True)), problem)


TOO_DEEP = "malformed JSON (nested too deeply to decode)"


def iter_json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of a JSON Lines file; empty file → error."""
    src = str(path)
    for lineno, raw in iter_raw_lines(path):
        yield lineno, json_object(raw, source=src, location=f"line {lineno}")


def json_object(raw: bytes, *, source: str, location: str) -> dict[str, Any]:
    """One JSON Lines record: UTF-8 bytes → object; :class:`DataError` naming ``location`` otherwise."""
    try:
        value = json.loads(decode_line(raw, source=source, location=location))
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON ({exc.msg})", source=source, location=location) from None
    except RecursionError:
        raise DataError(TOO_DEEP, source=source, location=location) from None
    if not isinstance(value, dict):
        raise DataError("expected a JSON object", source=source, location=location)
    return value


def is_json_array(path: Path) -> bool:
    """The file's first non-blank byte (after a byte-order mark) is ``[``: one JSON array of records."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        return False
    return head.removeprefix(BOM).lstrip()[:1] == b"["


JSON_BLOCK = 1 << 20  # characters of a JSON array decoded at a time
# A JSON decoding error this close to the end of the text read so far may only mean that the value
# goes on in the next block (``tru`` of ``true``, ``\u12`` of an escape, a number, a missing delimiter)
_INCOMPLETE_TAIL = 16


def iter_json_array(path: Path) -> Iterator[Any]:
    """The elements of a file holding one JSON array (optionally ``.gz``), one at a time: the file
    is decoded in blocks of :data:`JSON_BLOCK` characters and each element parsed with
    ``json.JSONDecoder.raw_decode`` as soon as it is complete, so only the element being read is
    held. Bytes that are not UTF-8 are kept as lone surrogates, so that only the records holding
    them fail (:func:`is_undecodable`). Malformed JSON, or a file that is not one array, is a
    :class:`DataError` naming the line."""
    reader = _ArrayReader(path)
    yield from reader.elements()


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _ArrayReader:
    """The incremental parse of :func:`iter_json_array`: a text buffer, the position in it and the
    number of lines already dropped from its front (for error locations)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.buf = ""
        self.pos = 0
        self.lines_before = 0  # newlines in the text dropped from the buffer
        self.eof = False
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self._json = json.JSONDecoder()

    def _fill(self, fh: _Readable) -> None:
        """Append the next block to the buffer (dropping what was consumed); sets :attr:`eof`."""
        if self.pos:
            self.lines_before += self.buf.count("\n", 0, self.pos)
            self.buf, self.pos = self.buf[self.pos:], 0
        block = fh.read(JSON_BLOCK)
        self.eof = not block
        self.buf += self._decoder.decode(block, final=self.eof)

    def _line(self, at: int) -> int:
        return self.lines_before + self.buf.count("\n", 0, at) + 1

    def _error(self, message: str, at: int) -> DataError:
        return DataError(message, source=str(self.path), location=f"line {self._line(at)}")

    def _next_char(self, fh: _Readable) -> str:
        """The next non-whitespace character (not consumed), ``""`` at the end of the file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos:self.pos + 1]
            self._fill(fh)

    def _value(self, fh: _Readable, number: int) -> Any:
        """Parse the value (element ``number``) at the position, reading more blocks until it is
        complete. A decoding error more than :data:`_INCOMPLETE_TAIL` characters before the end of
        the buffer (other than an unterminated string) cannot be cured by more input: it is raised
        at once, not after reading the rest of the file. An element longer than
        :attr:`ReadLimits.max_record_bytes` characters is an error too."""
        limit = read_limits().max_record_bytes
        while True:
            try:
                value, end = self._json.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise self._error(TOO_DEEP, self.pos) from None
            except json.JSONDecodeError as exc:
                cut_short = (exc.msg.startswith("Unterminated string")
                             or len(self.buf) - exc.pos <= _INCOMPLETE_TAIL)
                if self.eof or not cut_short:
                    raise self._error(f"malformed JSON ({exc.msg})", exc.pos) from None
                self._more(fh, number, limit)
                continue
            if end == len(self.buf) and not self.eof:  # a number may go on in the next block
                self._more(fh, number, limit)
                continue
            self.pos = end
            return value

    def _more(self, fh: _Readable, number: int, limit: int) -> None:
        """The next block for an element still incomplete; an error once it exceeds ``limit``."""
        if len(self.buf) - self.pos > limit:
            raise oversized(len(self.buf) - self.pos, source=str(self.path),
                            location=f"record {number} (from line {self._line(self.pos)})")
        self._fill(fh)

    def elements(self) -> Iterator[Any]:
        with open_input(self.path) as fh:
            self._fill(fh)
            while not self.buf and not self.eof:  # a block too short to decode a first character
                self._fill(fh)
            self.buf = self.buf.removeprefix(BOM.decode("utf-8"))
            if self._next_char(fh) != "[":
                raise self._error("expected a JSON array of records", self.pos)
            self.pos += 1
            if self._next_char(fh) == "]":
                self.pos += 1
            else:
                for number in itertools.count(1):
                    if not self._next_char(fh):
                        raise self._error("malformed JSON (Expecting value)", self.pos)
                    yield self._value(fh, number)
                    char = self._next_char(fh)
                    self.pos += 1
                    if char == "]":
                        break
                    if char != ",":
                        raise self._error("malformed JSON (Expecting ',' delimiter)", self.pos - 1)
            if self._next_char(fh):
                raise self._error("malformed JSON (Extra data)", self.pos)


def first_json_object(path: Path) -> dict[str, Any] | None:
    """The first record of a JSON Lines file or JSON array, or ``None`` if it does not start with a
    JSON object; a record over a size budget (:class:`~synae.schema.OverBudgetError`) is raised."""
    if is_json_array(path):
        try:
            value = next(iter_json_array(path), None)
        except OverBudgetError:
            raise
        except DataError:
            return None
        return value if isinstance(value, dict) else None
    try:
        for lineno, raw in iter_raw_lines(path):
            return json_object(raw, source=str(path), location=f"line {lineno}")
    except OverBudgetError:
        raise
    except DataError:
        return None
    return None


def cell_text(value: Any) -> str:
    """A table cell as text: ``None`` → ``""``, ints exactly (never via float)."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from Parquet/pandas
        return ""
    return str(value)


def source_file(path: Path) -> str:
    """The file's path relative to the benchmark data folder when under it, else its name."""
    root = data_dir(required=False)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


# --------------------------------------------------------------------------------------------
# Tool-call messages from Python source (docs/method.md §1.2)


def code_message(code: str, *, turn: int, declared_tools: Collection[str] = (),
                 metadata: dict[str, Any] | None = None) -> Message:
    """An assistant message holding ``code`` verbatim and the calls parsed from it.

    Call ids are ``call_<turn>_<k>``. Unparsable code is kept with ``metadata.parse_error`` and no
    ``tool_calls`` — never an exception.
    """
    meta = dict(metadata or {})
    parsed = parse_calls(code, declared_tools=declared_tools)
    if parsed.error:
        meta["parse_error"] = parsed.error
        return Message(role="assistant", content=None, code=code, metadata=meta or None)
    calls = to_tool_calls(parsed.calls, turn=turn) if parsed.calls else None
    return Message(role="assistant", content=None, code=code, tool_calls=calls,
                   metadata=meta or None)


def role_of(text: str, *, source: str, location: str, fld: str) -> str:
    """Validate a role name (``system``/``user``/``assistant``/``tool``)."""
    role = text.strip().lower()
    if role not in ("system", "user", "assistant", "tool"):
        raise DataError(f"unknown role {text!r} (expected user or assistant)", source=source,
                        location=location, field=fld)
    return role


_PREFIX = re.compile(r"^(user|assistant|system)\s*:", re.IGNORECASE)


def transcript_messages(text: str, *, source: str, location: str, fld: str) -> list[Message]:
    """Messages of a ``user: …`` / ``assistant: …`` transcript (one utterance per line).

    A line without a role prefix continues the previous message (joined with ``"\\n"``); content is
    stripped. A transcript that does not start with a role prefix is an error.
    """
    messages: list[Message] = []
    for line in text.split("\n"):
        match = _PREFIX.match(line)
        if match:
            messages.append(Message(role=match.group(1).lower(), content=line[match.end():].strip()))
        elif messages:
            messages[-1].content = f"{messages[-1].content}\n{line}".strip()
        elif line.strip():
            raise DataError(f"line {line[:40]!r} has no 'user:' or 'assistant:' prefix", source=source,
                            location=location, field=fld)
    return messages


# --------------------------------------------------------------------------------------------
# Sources: a file or in-memory records


@dataclass(frozen=True)
class Source:
    """What :func:`synae.adapters.load_dataset` reads: a file (``path``) or in-memory ``records``
    (a list of dicts, a pandas DataFrame, a Hugging Face ``datasets`` object).

    ``label`` names it in messages (the file path, or e.g. ``<DataFrame>``); ``arrow`` says the
    records may come from Arrow (Parquet, ``datasets``, a DataFrame), whose struct columns fill a
    key a record lacks with ``null`` (see :func:`drop_nulls`).
    """

    label: str
    path: Path | None = None
    records: Any = None
    arrow: bool = False

    @property
    def tabular(self) -> bool:
        """Records are table rows (CSV/Parquet file, DataFrame, ``datasets``): an empty or null cell
        means the field is absent, and JSON-valued fields may be JSON text."""
        return self.arrow or (
            self.path is not None and table_kind(self.path) in ("csv", "parquet"))

    @property
    def default_name(self) -> str:
        """The dataset name when none is given: the file name without its data extensions
        (:func:`data_stem`), else ``dataset``."""
        return data_stem(self.path) if self.path is not None else "dataset"


def source_of(data: Any) -> Source:
    """A :class:`Source` for a path (``str``/``Path``), a list/tuple of dicts, a pandas DataFrame or
    a ``datasets`` ``Dataset``/``IterableDataset``/single-split ``DatasetDict``; a folder written by
    ``datasets.Dataset.save_to_disk`` is opened with ``datasets.load_from_disk``."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        if path.is_dir() and (path / "dataset_info.json").is_file():
            return source_of(_load_from_disk(path))
        check_input_file(path)
        return Source(str(path), path=path, arrow=table_kind(path) == "parquet")
    module = type(data).__module__.split(".")[0]
    if isinstance(data, (list, tuple)):
        return Source("<list>", records=data)
    if module == "pandas" and hasattr(data, "itertuples"):
        return Source("<DataFrame>", records=data, arrow=True)  # it may have been read from Parquet
    if module == "datasets":
        if hasattr(data, "column_names") and isinstance(data.column_names, dict):  # DatasetDict
            splits = list(data)
            if len(splits) != 1:
                raise DataError(f"a DatasetDict with splits {splits}: pass one split, "
                                f"e.g. data[{splits[0]!r}]", source="<datasets.DatasetDict>")
            return source_of(data[splits[0]])
        return Source(f"<datasets.{type(data).__name__}>", records=data, arrow=True)
    raise DataError(f"cannot read a {type(data).__name__}: expected a file path, a list of dicts, a pandas "
                    "DataFrame or a Hugging Face datasets Dataset")


def _load_from_disk(path: Path) -> Any:
    try:
        import datasets
    except ImportError:
        from synae.errors import MissingDependencyError

        raise MissingDependencyError("datasets", "pip install 'synae[hf]'") from None
    return datasets.load_from_disk(str(path))


def to_python(value: Any) -> Any:
    """A pandas/numpy cell as plain Python: arrays → lists, numpy scalars → Python scalars, float
    NaN → ``None``, recursively through lists and dicts."""
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_python(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return to_python(value.tolist())
    if isinstance(value, float) and value != value:
        return None
    return value


def drop_nulls(value: Any) -> Any:
    """``value`` without ``null``-valued dict keys, recursively (undoes Arrow's filling of absent
    struct fields; an explicit ``null`` cannot be told apart and is dropped too)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def has_undecodable(value: Any) -> bool:
    """Some string inside ``value`` holds bytes that were not UTF-8 (:func:`is_undecodable`)."""
    if isinstance(value, str):
        return is_undecodable(value)
    if isinstance(value, dict):
        return any(has_undecodable(k) or has_undecodable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_undecodable(v) for v in value)
    return False


RecordThunk = Callable[[], dict[str, Any]]


def iter_records(source: Source) -> Iterator[tuple[str, RecordThunk]]:
    """``(location, get_record)`` of every record of ``source``, in order, one at a time: a JSON
    Lines file line by line, a JSON array element by element (:func:`iter_json_array`), a table row
    by row (:func:`table_rows`).

    ``get_record`` raises :class:`DataError` for a record that is not UTF-8, not JSON or not an
    object, so that ``skip_invalid`` can skip it. Table cells stay as read (JSON text in CSV
    cells is decoded by the caller, :func:`json_cell`).
    """
    src = source.label
    if source.path is None:
        yield from _memory_records(source)
        return
    path = source.path
    kind = table_kind(path)
    if kind in ("csv", "parquet"):
        for row in table_rows(path):
            def from_row(row: Row = row) -> dict[str, Any]:
                row.check(src)
                return row.cells
            yield row.location, from_row
        return
    if is_json_array(path):
        for number, value in enumerate(iter_json_array(path), start=1):
            yield f"record {number}", partial(_checked_record, value, src, f"record {number}")
        return
    for lineno, raw in iter_raw_lines(path):
        yield f"line {lineno}", partial(json_object, raw, source=src, location=f"line {lineno}")


def _checked_record(value: Any, src: str, location: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DataError("expected a JSON object", source=src, location=location)
    if has_undecodable(value):
        raise DataError(UNDECODABLE_MESSAGE, source=src, location=location)
    return value


def _memory_records(source: Source) -> Iterator[tuple[str, RecordThunk]]:
    data = source.records
    if source.label == "<DataFrame>":
        columns = [str(c) for c in data.columns]
        for number, values in enumerate(data.itertuples(index=False, name=None), start=1):
            record = {c: to_python(v) for c, v in zip(columns, values, strict=True)}
            yield f"row {number}", partial(_checked_record, record, source.label, f"row {number}")
        return
    unit = "row" if source.arrow else "record"
    for number, value in enumerate(data, start=1):
        yield f"{unit} {number}", partial(_checked_record, value, source.label, f"{unit} {number}")


def first_record(source: Source) -> dict[str, Any] | None:
    """The first record of ``source`` (its column names as keys, for CSV/Parquet files), or ``None``."""
    if source.path is not None:
        if table_kind(source.path) in ("csv", "parquet"):
            return dict.fromkeys(read_header(source.path))
        return first_json_object(source.path)
    for _, get in _memory_records(source):
        try:
            return get()
        except DataError:
            return None
    return None


def json_cell(value: Any, *, source: str, location: str, fld: str) -> Any:
    """A cell that holds JSON: JSON text (CSV, Parquet string columns) is decoded, anything else is
    returned as is; empty text → ``None``."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise DataError(f"malformed JSON ({exc.msg})", source=source, location=location, field=fld) from None


# --------------------------------------------------------------------------------------------
# Output of a chat trajectory

OutputFrom = Literal["last-assistant", "field", "none"]
OUTPUT_FROM: tuple[str, ...] = ("last-assistant", "field", "none")


def apply_output_from(traj: Trajectory, output_from: str, *, has_field: bool) -> Trajectory:
    """Set ``traj.output`` by the ``output_from`` rule (in place; returns ``traj``).

    - ``last-assistant``: a record's own ``output`` field always wins (even ``null``); without one,
      the output is the content of the final answer (:func:`synae.views.output_message_index`),
      and that message is marked ``metadata.is_output = true`` so that the instruction views do not
      count it again. No final answer → no output.
    - ``field``: only the ``output`` field (absent → no output).
    - ``none``: no output (a stored ``output`` is dropped, output marks are removed).
    """
    if output_from == "none":
        traj.output = None
        for msg in traj.messages:
            if msg.metadata and OUTPUT_MARK in msg.metadata:
                msg.metadata = {k: v for k, v in msg.metadata.items() if k != OUTPUT_MARK} or None
    elif output_from == "last-assistant" and not has_field:
        index = output_message_index(traj)
        if index is not None:
            msg = traj.messages[index]
            traj.output = msg.content
            msg.metadata = {**(msg.metadata or {}), OUTPUT_MARK: True}
    return traj


def check_output_from(output_from: str) -> None:
    """:class:`DataError` for an unknown ``output_from`` value."""
    if output_from not in OUTPUT_FROM:
        raise DataError(f"unknown output_from {output_from!r} (expected one of {', '.join(OUTPUT_FROM)})")


# --------------------------------------------------------------------------------------------
# Records → Dataset


Thunk = Callable[[], Trajectory]


def build_dataset(records: Iterable[tuple[str, Thunk]], *, path: Path | Source, fmt: str, name: str | None,
                  skip_invalid: bool) -> Dataset:
    """Convert records (``(location, make_trajectory)``) into a schema-checked :class:`Dataset`.

    Errors (conversion, schema errors of ``docs/method.md`` §1.1, duplicate ids) raise :class:`DataError`
    unless ``skip_invalid``; then the record is skipped and counted in ``n_skipped``/``skipped``.
    Schema warnings are collected in ``warnings``. An input without records is an error.
    """
    source = path if isinstance(path, Source) else Source(str(path), path=path)
    src = source.label
    dataset = Dataset(trajectories=[], name=name or source.default_name, source=src, format=fmt)
    with gc_paused():
        dataset.trajectories.extend(iter_checked(records, dataset, skip_invalid))
    if not dataset.trajectories and not dataset.n_skipped:
        raise DataError("file has no records", source=src)
    return dataset


def iter_checked(records: Iterable[tuple[str, Thunk]], dataset: Dataset,
                 skip_invalid: bool) -> Iterator[Trajectory]:
    """The converted records one at a time, as :func:`build_dataset` keeps them (conversion and
    schema errors, duplicate ids; with ``skip_invalid`` skipped and counted on ``dataset``, whose
    ``source`` names the input in errors; schema warnings appended to ``dataset.warnings``)."""
    src = dataset.source or dataset.name
    seen: set[str] = set()
    for location, make in records:
        try:
            traj = validated(make, source=src, location=location)
            issues = check_trajectory(traj)
            if issues.errors:
                fld, msg = issues.errors[0]
                raise DataError(msg, source=src, location=f"{location} (id {traj.id!r})", field=fld)
            if traj.id in seen:
                raise DataError(f"duplicate id {traj.id!r}", source=src, location=location, field="id")
        except DataError as exc:
            if not skip_invalid:
                raise
            dataset.n_skipped += 1
            dataset.skipped.append(str(exc))
            continue
        seen.add(traj.id)
        dataset.warnings.extend(f"{location} (id {traj.id!r}): {fld}: {msg}"
                                for fld, msg in issues.warnings)
        yield traj


def sort_dataset(dataset: Dataset, order: str) -> Dataset:
    """Reorder in place: ``none`` (file order), ``int_id`` (ids as integers), ``str_id`` (as strings)."""
    if order not in SORT_ORDERS:
        raise DataError(f"unknown sort order {order!r} (expected one of {', '.join(SORT_ORDERS)})")
    if order == "str_id":
        dataset.trajectories.sort(key=lambda t: t.id)
    elif order == "int_id":
        try:
            dataset.trajectories.sort(key=lambda t: int(t.id))
        except ValueError:
            bad = next(t.id for t in dataset.trajectories if not t.id.lstrip("-").isdigit())
            raise DataError(f"--sort int_id needs integer ids, found {bad!r}", source=dataset.source,
                            field="id") from None
    return dataset
