"""Helpers every adapter shares: reading tables, turning records into a checked :class:`Dataset`,
building tool-call messages from Python source, and ordering.

Adapters convert one record at a time through :func:`build_dataset`, which applies the same rules
to every format: a record that cannot be converted (or fails the schema checks of ``data.md`` §1.5)
raises a :class:`~synae.errors.DataError` naming the file, the record and the field — or, with
``skip_invalid``, is skipped and counted on the dataset.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from synae.datapaths import data_dir
from synae.errors import DataError
from synae.schema import (
    Dataset,
    Message,
    Trajectory,
    check_trajectory,
    gc_paused,
    iter_record_lines,
    open_text,
)
from synae.toolcalls import parse_calls, to_tool_calls

SortOrder = Literal["none", "int_id", "str_id"]
SORT_ORDERS: tuple[str, ...] = ("none", "int_id", "str_id")

# Cells that pandas reads as missing in the research files (the raw T1 split writes "nan").
NA_CELLS = frozenset({"", "nan", "NaN"})

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass
class Row:
    """One record of a table: its 1-based position (for error messages) and its cells."""

    number: int
    cells: dict[str, Any]

    @property
    def location(self) -> str:
        return f"row {self.number}"


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
    """A CSV file (optionally ``.gz``) opened for the :mod:`csv` module (``newline=""``)."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_header(path: Path) -> list[str]:
    """Column names of a CSV/Parquet file without reading the rows ([] when not a table)."""
    kind = table_kind(path)
    if kind == "csv":
        with _open_csv(path) as fh:
            return next(csv.reader(fh), [])
    if kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    return []


def read_table(path: Path) -> Table:
    """Read a CSV (exact strings), Parquet (native values; int64 stays int) or JSONL table."""
    kind = table_kind(path)
    src = str(path)
    if kind == "csv":
        with _open_csv(path) as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise DataError("file is empty (no header row)", source=src)
            rows = []
            for number, values in enumerate(reader, start=1):
                if len(values) != len(header):
                    if not values:
                        continue
                    raise DataError(f"has {len(values)} fields, the header has {len(header)}",
                                    source=src, location=f"row {number}")
                rows.append(Row(number, dict(zip(header, values, strict=True))))
        return Table(path, header, rows)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            arrow = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several unrelated types for broken files
            raise DataError(f"cannot read Parquet file ({exc})", source=src) from None
        records = arrow.to_pylist()
        return Table(path, list(arrow.column_names),
                     [Row(i, rec) for i, rec in enumerate(records, start=1)])
    if kind == "jsonl":
        rows = []
        columns: dict[str, None] = {}
        for number, record in iter_json_objects(path):
            columns.update(dict.fromkeys(record))
            rows.append(Row(number, record))
        return Table(path, list(columns), rows)
    raise DataError("unknown table type (expected .csv, .parquet or .jsonl)", source=src)


def iter_json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of a JSON Lines file; empty file → error."""
    src = str(path)
    for lineno, line in iter_record_lines(path):
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"malformed JSON ({exc.msg})", source=src, location=f"line {lineno}") from None
        if not isinstance(value, dict):
            raise DataError("expected a JSON object", source=src, location=f"line {lineno}")
        yield lineno, value


def first_json_object(path: Path) -> dict[str, Any] | None:
    """The first JSON object of a JSON Lines file, or ``None`` if it does not start with one."""
    try:
        with open_text(path) as fh:
            for line in fh:
                if line.strip():
                    value = json.loads(line)
                    return value if isinstance(value, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
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
# Tool-call messages from Python source (data.md §5)


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
# Records → Dataset


Thunk = Callable[[], Trajectory]


def build_dataset(records: Iterable[tuple[str, Thunk]], *, path: Path, fmt: str, name: str | None,
                  skip_invalid: bool) -> Dataset:
    """Convert records (``(location, make_trajectory)``) into a schema-checked :class:`Dataset`.

    Errors (conversion, schema errors of ``data.md`` §1.5, duplicate ids) raise :class:`DataError`
    unless ``skip_invalid``; then the record is skipped and counted in ``n_skipped``/``skipped``.
    Schema warnings are collected in ``warnings``. An input without records is an error.
    """
    src = str(path)
    dataset = Dataset(trajectories=[], name=name or path.name.split(".")[0], source=src, format=fmt)
    with gc_paused():
        n_records = _collect(records, dataset, src, skip_invalid)
    if n_records == 0:
        raise DataError("file has no records", source=src)
    return dataset


def _collect(records: Iterable[tuple[str, Thunk]], dataset: Dataset, src: str, skip_invalid: bool) -> int:
    """Append the converted records to ``dataset``; returns how many records were seen."""
    seen: set[str] = set()
    n_records = 0
    for location, make in records:
        n_records += 1
        try:
            traj = make()
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
        dataset.trajectories.append(traj)
    return n_records


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
