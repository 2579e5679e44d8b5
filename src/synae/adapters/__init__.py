"""Adapters: every supported input format → one :class:`~synae.schema.Dataset`.

``load_dataset(path)`` detects the format (or takes ``fmt``), converts, optionally sorts, and
derives the stored attributes of the benchmark (``data.md``) or of ``preset``. Formats:

| name | input |
|---|---|
| ``canonical`` | canonical JSONL(.gz) (``data.md`` §1) |
| ``openai`` | OpenAI chat JSONL (``{"messages": [...], "tools": [...]}`` per line) |
| ``transcript`` | CSV/Parquet/JSONL table with a ``user:``/``assistant:`` transcript column |
| ``t1`` | T1 turn-level files and eval-level (``ID, Data, Tool Call, Output``) files |
| ``bfcl`` | BFCL questions JSONL + ground truth (found automatically or ``answers=``) |
| ``acp`` | ACPBench CSV/Parquet (``context``, ``question``, ``answer``[, ``id``, ``group``]) |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synae.adapters.acp import load_acp
from synae.adapters.bfcl import load_bfcl
from synae.adapters.chat import load_canonical, load_openai
from synae.adapters.common import SORT_ORDERS, first_json_object, read_header, sort_dataset, table_kind
from synae.adapters.t1 import load_t1
from synae.adapters.transcript import DEFAULT_COLUMNS, load_transcript
from synae.errors import DataError, SynaeError
from synae.schema import Dataset

FORMATS: tuple[str, ...] = ("canonical", "openai", "transcript", "t1", "bfcl", "acp")
_BENCHMARK_PRESET = {"t1": "t1", "bfcl": "bfcl", "acp": "acp"}
_T1_EVAL_COLUMNS = ("ID", "Data", "Tool Call", "Output")


def detect_format(path: str | Path) -> str:
    """Guess the format of a file from its name and first record / header.

    JSONL: ``id`` + ``messages`` → canonical; ``messages`` only → openai; ``question`` → bfcl;
    ``context``/``question``/``answer`` → acp; else a transcript table. CSV/Parquet:
    ``Filled_Template`` or exactly ``ID, Data, Tool Call, Output`` → t1; ``context, question, answer``
    → acp; otherwise transcript.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", source=str(path))
    kind = table_kind(path)
    if kind in ("csv", "parquet"):
        columns = read_header(path)
        if not columns:
            raise DataError("file is empty (no header row)", source=str(path))
        if "Filled_Template" in columns or tuple(columns) == _T1_EVAL_COLUMNS:
            return "t1"
        if {"context", "question", "answer"} <= set(columns):
            return "acp"
        return "transcript"
    record = first_json_object(path)
    if record is None:
        if path.stat().st_size == 0 or not path.read_bytes().strip():
            raise DataError("file is empty (no JSON records)", source=str(path))
        raise DataError("cannot detect the format: the first line is not a JSON object (use --from)",
                        source=str(path), location="line 1")
    if "messages" in record:
        return "canonical" if "id" in record else "openai"
    if "ground_truth" in record and "question" not in record:
        raise DataError("this is a BFCL ground-truth file; load the questions file instead "
                        "(its answers are found automatically, or pass --answers)", source=str(path))
    if "question" in record and ("involved_classes" in record or "initial_config" in record):
        return "bfcl"
    if {"context", "question", "answer"} <= set(record):
        return "acp"
    if any(c in record for c in (DEFAULT_COLUMNS["transcript"],)):
        return "transcript"
    raise DataError(f"cannot detect the format from keys {sorted(record)[:8]} (use --from)",
                    source=str(path), location="line 1")


def load_dataset(path: str | Path, fmt: str | None = None, *, answers: str | Path | None = None,
                 preset: str | None = None, skip_invalid: bool = False, sort: str = "none",
                 columns: dict[str, Any] | None = None, name: str | None = None) -> Dataset:
    """Load any supported input as a :class:`Dataset`.

    ``fmt`` — one of :data:`FORMATS` (auto-detected when ``None``); ``answers`` — BFCL ground-truth
    file; ``preset`` — derive that preset's stored attributes (default: the benchmark's own preset
    for t1/bfcl/acp files, none for other formats); ``skip_invalid`` — skip bad records and count
    them; ``sort`` — ``none`` | ``int_id`` | ``str_id``; ``columns`` — transcript-table column names;
    ``name`` — dataset name (default: the file stem).
    """
    path = Path(path)
    if sort not in SORT_ORDERS:
        raise DataError(f"unknown sort order {sort!r} (expected one of {', '.join(SORT_ORDERS)})")
    fmt = (fmt or detect_format(path)).lower()
    if not path.is_file():
        raise DataError("file not found", source=str(path))
    if fmt == "canonical":
        dataset = load_canonical(path, skip_invalid=skip_invalid, name=name)
    elif fmt == "openai":
        dataset = load_openai(path, skip_invalid=skip_invalid, name=name)
    elif fmt == "transcript":
        dataset = load_transcript(path, columns=columns, skip_invalid=skip_invalid, name=name)
    elif fmt == "t1":
        dataset = load_t1(path, columns=columns, skip_invalid=skip_invalid, name=name)
    elif fmt == "bfcl":
        dataset = load_bfcl(path, answers=Path(answers) if answers else None, skip_invalid=skip_invalid,
                            name=name)
    elif fmt == "acp":
        dataset = load_acp(path, skip_invalid=skip_invalid, name=name)
    else:
        raise DataError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})", source=str(path))
    sort_dataset(dataset, sort)
    derive_with = preset or _BENCHMARK_PRESET.get(fmt)
    if derive_with:
        derive_attributes(dataset, derive_with)
    return dataset


def derive_attributes(dataset: Dataset, preset: str) -> Dataset:
    """Merge ``preset.derive_attributes`` into every trajectory's ``attributes`` (in place).

    When the preset's resources are missing (e.g. the T1 ontology), a warning is recorded instead.
    """
    from synae.presets import get_preset

    chosen = get_preset(preset)
    try:
        for traj in dataset.trajectories:
            traj.attributes = {**traj.attributes, **chosen.derive_attributes(traj)}
    except SynaeError as exc:
        dataset.warnings.append(f"attributes of preset {preset!r} not derived: {exc}")
    return dataset


__all__ = ["FORMATS", "derive_attributes", "detect_format", "load_dataset"]
