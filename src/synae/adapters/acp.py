"""ACPBench boolean questions (``docs/method.md`` §1.6): CSV or Parquet with ``context``, ``question``,
``answer`` and optional ``id`` and ``group``.

Example (CSV)::

    id,group,context,question,answer
    -110568902122935062,applicable_actions_bool,"This is a ferry domain, ...","Is ... applicable?",yes

Each row becomes one user message ``"{context}\\n{question}\\nOnly answer yes or no."`` with
``output = answer``. Ids are decimal strings, read exactly (int64 in Parquet, the CSV text as is —
never through a float); without an ``id`` column the row position is used. ``metadata.source`` keeps
the five fields verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from synae.adapters.common import Row, Thunk, build_dataset, cell_text, source_file, table_of
from synae.errors import DataError
from synae.schema import Dataset, Message, Trajectory

REQUIRED = ("context", "question", "answer")
PROMPT_SUFFIX = "Only answer yes or no."


def acp_id(value: object, *, src: str, location: str) -> str:
    """An ACP id as a decimal string; floats are refused (they would lose digits above 2**53)."""
    if isinstance(value, (bool, float)):
        raise DataError(f"id must be an integer or text, got {type(value).__name__} {value!r}", source=src,
                        location=location, field="id")
    text = cell_text(value).strip()
    if not text:
        raise DataError("empty id", source=src, location=location, field="id")
    return text


def row_trajectory(row: Row, *, src: str, has_id: bool, has_group: bool, source_name: str) -> Trajectory:
    """One ACP row as a trajectory."""
    row.check(src)
    cells = row.cells
    for key in REQUIRED:
        if not isinstance(cells[key], str):
            raise DataError(f"expected text, got {type(cells[key]).__name__}", source=src,
                            location=row.location, field=key)
    tid = acp_id(cells["id"], src=src, location=row.location) if has_id else str(row.number - 1)
    group = cell_text(cells["group"]) if has_group else ""
    content = f"{cells['context']}\n{cells['question']}\n{PROMPT_SUFFIX}"
    source = {"id": tid, "group": group, "context": cells["context"], "question": cells["question"],
              "answer": cells["answer"]}
    return Trajectory(id=tid, messages=[Message(role="user", content=content)], output=cells["answer"],
                      attributes={"group": group or None}, environment={"kind": "acp"},
                      metadata={"benchmark": "acp", "source_file": source_name, "tool_results": "absent",
                                "source": source})


def acp_records(path: Path) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every row of an ACP table, in order (CSV/Parquet rows
    streamed, :func:`~synae.adapters.common.table_of`)."""
    table, rows = table_of(path)
    table.require(*REQUIRED)
    src = str(path)
    has_id, has_group = "id" in table.columns, "group" in table.columns
    source_name = source_file(path)
    for row in rows:
        yield row.location, partial(row_trajectory, row, src=src, has_id=has_id, has_group=has_group,
                                    source_name=source_name)


def load_acp(path: Path, *, skip_invalid: bool = False, name: str | None = None) -> Dataset:
    """Load an ACP CSV/Parquet file (see the module docstring)."""
    return build_dataset(acp_records(path), path=path, fmt="acp", name=name, skip_invalid=skip_invalid)
