"""Writers for the research's flat formats (``docs/method.md`` §1.3) and a dispatcher.

- :func:`write_t1_eval_csv` — ``ID,Data,Tool Call,Output`` written like pandas
  ``DataFrame.to_csv(index=False)`` (comma, minimal quoting with doubled quotes, ``\\n`` line ends,
  empty fields for missing values).
- :func:`write_bfcl` — a questions JSONL and a ground-truth JSONL (BFCL's own layout).
- :func:`write_acp_csv` — ``id,group,context,question,answer``.

Lossless export: a field whose value is unchanged from the original record is written verbatim from
``metadata.source``; a changed (or new) field is rendered from the trajectory. "Unchanged" is decided
by rendering the source field through the same rule and comparing, so edge-character stripping of
the research files is reproduced byte for byte.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synae.adapters.acp import PROMPT_SUFFIX
from synae.adapters.common import transcript_messages
from synae.errors import DataError
from synae.files import atomic_write
from synae.schema import Message, Trajectory, write_jsonl
from synae.toolcalls import render_call
from synae.views import is_response, turns

T1_COLUMNS = ("ID", "Data", "Tool Call", "Output")
ACP_COLUMNS = ("id", "group", "context", "question", "answer")
_EDGE_CHARS = '[]"\n'


def _write_csv(path: str | Path, columns: Iterable[str], rows: Iterable[list[str]]) -> int:
    """Write a CSV like pandas ``to_csv(index=False)`` (minimal quoting, ``\n``); returns the row count.
    Atomic: an error midway leaves no file at ``path``."""
    n = 0
    with atomic_write(path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
            n += 1
    return n


def _source(traj: Trajectory) -> dict[str, Any]:
    source = traj.metadata.get("source")
    return source if isinstance(source, dict) else {}


# --------------------------------------------------------------------------------------------
# T1 eval CSV


def render_data(messages: Iterable[Message]) -> str:
    """``Data``: user messages and responses as ``role: content`` lines, each line stripped of
    leading/trailing ``[``, ``]``, ``"`` and newlines, joined with ``"\\n"``."""
    return "\n".join(f"{m.role}: {m.content}".strip(_EDGE_CHARS)
                     for m in messages if m.role == "user" or is_response(m))


def call_code(message: Message) -> str:
    """The Python source of a tool-call message: its ``code``, else its calls re-rendered."""
    if message.code is not None:
        return message.code
    return "\n".join(render_call(c.function.name, c.function.parsed_arguments())
                     for c in message.tool_calls or ())


def render_tool_call(traj: Trajectory) -> str:
    """``Tool Call``: the non-empty plans, each stripped like ``Data`` lines, joined with ``"\\n"``."""
    plans = [call_code(m).strip(_EDGE_CHARS) for m in traj.messages
             if m.role == "assistant" and (m.code is not None or m.tool_calls)]
    return "\n".join(p for p in plans if p)


def t1_eval_row(traj: Trajectory) -> list[str]:
    """The four T1 eval fields of a trajectory (verbatim from the source when unchanged)."""
    source = _source(traj)
    data = render_data(traj.messages)
    tool_call = render_tool_call(traj)
    output = traj.output or ""
    if "Data" in source:
        original = transcript_messages(source["Data"], source="metadata.source", location=traj.id, fld="Data")
        if render_data(original) == data:
            data = source["Data"]
    if "Tool Call" in source and source["Tool Call"].strip(_EDGE_CHARS) == tool_call:
        tool_call = source["Tool Call"]
    if source.get("Output") == output:
        output = source["Output"]
    tid = source.get("ID", traj.id) if str(source.get("ID", "")).strip() == traj.id else traj.id
    return [tid, data, tool_call, output]


def write_t1_eval_csv(dataset: Iterable[Trajectory], path: str | Path) -> int:
    """Write the T1 eval CSV (``ID,Data,Tool Call,Output``); returns the number of rows."""
    return _write_csv(path, T1_COLUMNS, map(t1_eval_row, dataset))


# --------------------------------------------------------------------------------------------
# BFCL


def bfcl_records(traj: Trajectory) -> tuple[dict[str, Any], dict[str, Any]]:
    """The question and ground-truth records of one trajectory.

    Each user message starts a turn (``system`` messages join the turn they are in); the turn's
    ground truth is the lines of its tool-call messages' ``code`` (or the re-rendered calls).
    """
    question: list[list[dict[str, str]]] = []
    truth: list[list[str]] = []
    for turn in turns(traj):
        if turn.user is None:
            if turn.tool_call_messages:
                raise DataError("tool calls before the first user message cannot be written as BFCL",
                                location=f"id {traj.id!r}", field="messages")
            continue
        messages = [turn.user, *(m for m in turn.messages if m.role == "system")]
        question.append([{"role": m.role, "content": m.content or ""} for m in messages])
        truth.append([line for m in turn.tool_call_messages
                      for line in call_code(m).split("\n") if line.strip()])
    env = traj.environment or {}
    record: dict[str, Any] = {"id": traj.id, "question": question,
                              "initial_config": env.get("initial_config", {}), "path": env.get("path", []),
                              "involved_classes": env.get("involved_classes", [])}
    if "excluded_function" in env:
        record["excluded_function"] = env["excluded_function"]
    return record, {"id": traj.id, "ground_truth": truth}


def write_bfcl(dataset: Iterable[Trajectory], questions_path: str | Path, answers_path: str | Path) -> int:
    """Write BFCL questions and ground-truth JSONL files; returns the number of entries. Each file is
    written atomically; an error midway leaves neither (the ground truth is renamed into place first)."""
    n = 0
    with atomic_write(questions_path, "w", newline="\n") as qf, \
            atomic_write(answers_path, "w", newline="\n") as af:
        for traj in dataset:
            question, truth = bfcl_records(traj)
            qf.write(json.dumps(question, ensure_ascii=False) + "\n")
            af.write(json.dumps(truth, ensure_ascii=False) + "\n")
            n += 1
    return n


def bfcl_answers_path(questions_path: str | Path) -> Path:
    """Where :func:`write_dataset` puts the ground truth: ``possible_answer/<name>`` next to it."""
    qpath = Path(questions_path)
    return qpath.parent / "possible_answer" / qpath.name


# --------------------------------------------------------------------------------------------
# ACP


def acp_row(traj: Trajectory) -> list[str]:
    """``id, group, context, question, answer``: line 1 / the remaining lines (without the fixed
    answer-format line) of the first user message, ``attributes.group`` and the output."""
    first = next((m.content or "" for m in traj.messages if m.role == "user"), None)
    if first is None:
        raise DataError("no user message to write as an ACP question", location=f"id {traj.id!r}",
                        field="messages")
    lines = first.split("\n")
    if lines[-1] == PROMPT_SUFFIX and len(lines) >= 3:
        lines = lines[:-1]
    context, question = lines[0], "\n".join(lines[1:])
    group = traj.attributes.get("group")
    return [traj.id, "" if group is None else str(group), context, question, traj.output or ""]


def write_acp_csv(dataset: Iterable[Trajectory], path: str | Path) -> int:
    """Write the ACP CSV (``id,group,context,question,answer``); returns the number of rows."""
    return _write_csv(path, ACP_COLUMNS, map(acp_row, dataset))


# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Writer:
    """One export format: ``write(dataset, path)`` returns the number of records written;
    ``files(path)`` lists every file it writes (the target and any companion file)."""

    name: str
    write: Callable[[Iterable[Trajectory], Path], int]
    files: Callable[[Path], list[Path]] = lambda path: [path]


WRITERS: tuple[Writer, ...] = (
    Writer("canonical", write_jsonl),
    Writer("t1-csv", write_t1_eval_csv),
    Writer("bfcl", lambda ds, path: write_bfcl(ds, path, bfcl_answers_path(path)),
           lambda path: [path, bfcl_answers_path(path)]),
    Writer("acp-csv", write_acp_csv),
)
WRITERS_BY_NAME: dict[str, Writer] = {w.name: w for w in WRITERS}
EXPORT_FORMATS: tuple[str, ...] = tuple(WRITERS_BY_NAME)


def export_writer(fmt: str) -> Writer:
    """The :class:`Writer` of ``fmt`` (:class:`DataError` for an unknown format)."""
    if fmt not in WRITERS_BY_NAME:
        raise DataError(f"unknown export format {fmt!r} (expected one of {', '.join(EXPORT_FORMATS)})")
    return WRITERS_BY_NAME[fmt]


def write_dataset(dataset: Iterable[Trajectory], path: str | Path, fmt: str = "canonical") -> int:
    """Write in ``fmt``: ``canonical`` JSONL (default), ``t1-csv``, ``bfcl`` (ground truth to
    ``possible_answer/<name>`` next to the questions file) or ``acp-csv``; atomically, file by file."""
    return export_writer(fmt).write(dataset, Path(path))
