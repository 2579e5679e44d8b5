"""T1 travel-attraction files (``docs/method.md`` §1.4).

**Turn level** (``ID, Template, Plan, Filled_Template, Filled_Plan[, Output]``; the prototype file's
``ID, Filled_Template, Filled_Plan, generated_code_error, Output``; the raw split with a leading
unnamed index column). Example rows::

    ID,Template,Plan,Filled_Template,Filled_Plan
    0,assistant: Hi! What kind of <ATTRACTION_TYPE_1>?,,assistant: Hi! What kind of Art?,
    0,user: Art in <CITY_1>.,"a = f(city=""<CITY_1>"")",user: Art in Boston.,"a = f(city=""Boston"")"

Rows are grouped by ``ID`` (groups in first-appearance order, rows in file order). Each row is one
message (role = text before the first ``:`` of ``Filled_Template``); a non-empty ``Filled_Plan``
adds an assistant tool-call message (``code`` verbatim, ``tool_calls`` parsed, ids
``call_<user turn>_<k>``) right after its row. ``output`` is the group's last non-empty ``Output``.
A ``generated_code_error`` other than ``success`` goes to the tool-call message's
``metadata.execution_error``; ``Template``, ``Plan`` and ``generated_code_error`` are kept per row in
``metadata.source``. The raw split records ``metadata.split`` (from ``..._train_<n>.csv``).

**Eval level** (``ID, Data, Tool Call, Output``: the augmented files): the transcript-table mapping
of :mod:`synae.adapters.transcript` (research layout) with the T1 environment.

Both get ``environment = {"kind": "t1_attractions"}``, ``metadata.benchmark = "t1"`` and
``metadata.tool_results = "absent"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from synae.adapters.common import (
    NA_CELLS,
    Row,
    Thunk,
    build_dataset,
    cell_text,
    code_message,
    read_header,
    read_table,
    role_of,
    source_file,
)
from synae.adapters.transcript import transcript_records
from synae.errors import DataError
from synae.schema import Dataset, Message, Trajectory

# The T1 attraction tools: the names a T1 plan calls (docs/method.md §1.4), used to parse plan code.
T1_TOOLS: tuple[str, ...] = ("search_attractions", "filter_attractions", "search_nearest", "sort_results",
                             "get_results_from_cache", "save_to_cache")

TURN_COLUMNS = ("ID", "Filled_Template")
SOURCE_COLUMNS = ("Template", "Plan", "generated_code_error")
INDEX_COLUMNS = ("", "Unnamed: 0")
_SPLIT = re.compile(r"_train_(\d+)")


def is_turn_level(columns: list[str]) -> bool:
    return "Filled_Template" in columns


def _t1_metadata(path: Path, **extra: Any) -> dict[str, Any]:
    return {"benchmark": "t1", "source_file": source_file(path), **extra}


def conversation(rows: list[Row], *, src: str, metadata: dict[str, Any]) -> Trajectory:
    """One T1 conversation from its turn-level rows."""
    tid = cell_text(rows[0].cells["ID"]).strip()
    messages: list[Message] = []
    output = None
    n_user = 0
    source: dict[str, list[str]] = {c: [] for c in SOURCE_COLUMNS if c in rows[0].cells}
    for row in rows:
        row.check(src)
        cells = row.cells
        template = cell_text(cells["Filled_Template"])
        head, sep, content = template.partition(":")
        if not sep:
            raise DataError(f"{template[:40]!r} has no '<role>:' prefix", source=src, location=row.location,
                            field="Filled_Template")
        role = role_of(head, source=src, location=row.location, fld="Filled_Template")
        if role not in ("user", "assistant"):
            raise DataError(f"unknown role {head!r} (expected user or assistant)", source=src,
                            location=row.location, field="Filled_Template")
        messages.append(Message(role=role, content=content.strip()))
        n_user += role == "user"
        for col, values in source.items():
            values.append(cell_text(cells[col]))
        plan = cell_text(cells.get("Filled_Plan"))
        if plan.strip() not in NA_CELLS:
            error = cell_text(cells.get("generated_code_error")).strip()
            meta = {"execution_error": error} if error not in NA_CELLS and error != "success" else None
            messages.append(code_message(plan, turn=n_user, declared_tools=T1_TOOLS, metadata=meta))
        out = cell_text(cells.get("Output"))
        if out.strip():
            output = out
    info: dict[str, Any] = {**metadata, "turn_alignment": "known", "tool_results": "absent"}
    if source:
        info["source"] = source
    return Trajectory(id=tid, messages=messages, output=output, environment={"kind": "t1_attractions"},
                      metadata=info)


def t1_turn_records(path: Path) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every conversation of a turn-level T1 file, in first-seen
    order. A conversation's rows need not be adjacent, so the table is read whole first."""
    table = read_table(path)
    table.require(*TURN_COLUMNS)
    src = str(path)
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        groups.setdefault(cell_text(row.cells["ID"]).strip(), []).append(row)
    split = _SPLIT.search(path.name)
    base_meta = _t1_metadata(path, **({"split": int(split.group(1))} if split else {}))
    for tid, rows in groups.items():
        location = f"ID {tid} (rows {rows[0].number}-{rows[-1].number})"
        yield location, partial(conversation, rows, src=src, metadata=base_meta)


def t1_conversation_records(path: Path, *, columns: dict[str, Any] | None = None
                            ) -> Iterator[tuple[str, Thunk]]:
    """``(location, make_trajectory)`` of every row of an eval-level T1 file (``ID, Data, Tool Call,
    Output``): one conversation a row, streamed like a transcript table."""
    meta = _t1_metadata(path)

    def decorate(traj: Trajectory) -> Trajectory:
        traj.environment = {"kind": "t1_attractions"}
        traj.metadata = {**meta, **traj.metadata}
        return traj

    return transcript_records(path, columns=columns, declared_tools=T1_TOOLS, decorate=decorate)


def t1_records(path: Path, *, columns: dict[str, Any] | None = None) -> Iterator[tuple[str, Thunk]]:
    """The records of a turn-level or eval-level T1 file, told apart by the ``Filled_Template``
    column."""
    if is_turn_level(read_header(path)):
        return t1_turn_records(path)
    return t1_conversation_records(path, columns=columns)


def load_t1(path: Path, *, columns: dict[str, Any] | None = None, skip_invalid: bool = False,
            name: str | None = None) -> Dataset:
    """Load a turn-level or eval-level T1 file (see the module docstring)."""
    return build_dataset(t1_records(path, columns=columns), path=path, fmt="t1", name=name,
                         skip_invalid=skip_invalid)
