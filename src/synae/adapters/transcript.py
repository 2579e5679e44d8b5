"""Transcript tables (CSV, Parquet or JSONL): one conversation per row (``docs/method.md`` §1.4, eval level).

Columns (names configurable with ``columns``; defaults are the research layout):

| key | default column | content |
|---|---|---|
| ``id`` | ``ID`` | record id (row position when the column is absent) |
| ``transcript`` | ``Data`` | ``user: …`` / ``assistant: …`` lines (unprefixed lines continue) |
| ``tool_calls`` | ``Tool Call`` or ``Tool Calls`` | Python-style call code, optional |
| ``output`` | ``Output`` | the final output, optional (empty → null) |
| ``attributes`` | every other column | copied into ``attributes`` |

Example (CSV)::

    ID,Data,Tool Call,Output
    7,"assistant: Hi! Where to?
    user: Art museums in Boston, please.","a = search_attractions(city=""Boston"")",Try the MFA.

The tool-call code becomes one assistant message (``code`` verbatim, ``tool_calls`` parsed) placed
right after the last user message; turn boundaries are unknown (``metadata.turn_alignment =
"unknown"``). ``metadata.source`` keeps the mapped fields verbatim for lossless export.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from synae.adapters.common import (
    Row,
    Table,
    Thunk,
    build_dataset,
    cell_text,
    code_message,
    table_of,
    transcript_messages,
)
from synae.errors import DataError
from synae.schema import Dataset, Trajectory

DEFAULT_COLUMNS: dict[str, Any] = {"id": "ID", "transcript": "Data",
                                   "tool_calls": ("Tool Call", "Tool Calls"), "output": "Output",
                                   "attributes": None}
COLUMN_KEYS = frozenset(DEFAULT_COLUMNS)


def resolve_columns(table: Table, columns: dict[str, Any] | None) -> dict[str, Any]:
    """Effective column names: user overrides on top of the defaults, checked against the table."""
    unknown = set(columns or {}) - COLUMN_KEYS
    if unknown:
        raise DataError(f"unknown column key(s) {sorted(unknown)} (expected {sorted(COLUMN_KEYS)})",
                        source=str(table.path))
    spec = {**DEFAULT_COLUMNS, **(columns or {})}
    out: dict[str, Any] = {}
    for key in ("id", "transcript", "tool_calls", "output"):
        candidates = spec[key] if isinstance(spec[key], (tuple, list)) else (spec[key],)
        out[key] = next((c for c in candidates if c and c in table.columns), None)
    if out["transcript"] is None:
        table.require(*(spec["transcript"] if isinstance(spec["transcript"], (tuple, list))
                        else (spec["transcript"],)))
    used = {v for v in out.values() if v}
    attrs = spec["attributes"]
    out["attributes"] = [c for c in table.columns if c not in used] if attrs is None else list(attrs)
    table.require(*out["attributes"])
    return out


def row_trajectory(row: Row, cols: dict[str, Any], *, src: str, declared_tools: Collection[str] = (),
                   position: int) -> Trajectory:
    """One transcript-table row as a trajectory (see the module docstring)."""
    row.check(src)
    cells = row.cells
    tid = cell_text(cells[cols["id"]]) if cols["id"] else str(position)
    if not tid.strip():
        raise DataError("empty id", source=src, location=row.location, field=cols["id"])
    text = cells[cols["transcript"]]
    if text is not None and not isinstance(text, str):
        raise DataError(f"expected text, got {type(text).__name__}", source=src, location=row.location,
                        field=cols["transcript"])
    messages = transcript_messages(text or "", source=src, location=row.location, fld=cols["transcript"])
    code = cell_text(cells[cols["tool_calls"]]) if cols["tool_calls"] else ""
    if code.strip():
        users = [i for i, m in enumerate(messages) if m.role == "user"]
        where = users[-1] + 1 if users else len(messages)
        messages.insert(where, code_message(code, turn=len(users), declared_tools=declared_tools))
    output = cell_text(cells[cols["output"]]) if cols["output"] else ""
    source = {c: cell_text(cells[c]) for c in (cols["id"], cols["transcript"], cols["tool_calls"],
                                                 cols["output"]) if c}
    attributes = {c: cells[c] for c in cols["attributes"]}
    return Trajectory(id=tid, messages=messages, output=output or None, attributes=attributes,
                      metadata={"turn_alignment": "unknown", "tool_results": "absent", "source": source})


def transcript_records(path: Path, *, columns: dict[str, Any] | None = None,
                       declared_tools: Collection[str] = (),
                       decorate: Callable[[Trajectory], Trajectory] | None = None
                       ) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every row of a transcript table, in order (CSV/Parquet
    rows streamed, :func:`~synae.adapters.common.table_of`); ``decorate`` lets a benchmark adapter
    (T1) finish each trajectory."""
    table, rows = table_of(path)
    cols = resolve_columns(table, columns)
    src = str(path)
    for position, row in enumerate(rows):
        def make(row: Row = row, position: int = position) -> Trajectory:
            traj = row_trajectory(row, cols, src=src, declared_tools=declared_tools, position=position)
            return decorate(traj) if decorate else traj

        yield row.location, make


def load_transcript(path: Path, *, columns: dict[str, Any] | None = None, skip_invalid: bool = False,
                    name: str | None = None) -> Dataset:
    """Load a transcript table (see the module docstring)."""
    return build_dataset(transcript_records(path, columns=columns), path=path, fmt="transcript", name=name,
                         skip_invalid=skip_invalid)
