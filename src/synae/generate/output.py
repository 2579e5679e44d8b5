"""Writing generated datasets: one file per dataset (+ ``<name>.meta.json``) and a sweep manifest.

``--out`` with a data suffix is one file (a single generated dataset); anything else is a folder
that receives ``<name>.<ext>`` per dataset, its sidecar, and ``manifest.json`` (files, parameter
values, counts). The format follows the suffix or ``--format``:

| format | suffix | writes |
|---|---|---|
| ``canonical`` | ``.jsonl`` / ``.jsonl.gz`` | canonical JSONL (default) |
| ``t1-csv`` | ``.csv`` (T1) | ``ID,Data,Tool Call,Output`` (the research's eval CSV) |
| ``acp-csv`` | ``.csv`` (ACP) | ``id,group,context,question,answer`` |
| ``bfcl`` | ``.json`` (BFCL) | questions JSONL + ``possible_answer/<name>.json`` ground truth |

Non-canonical layouts are written by :mod:`synae.adapters.export` (unchanged fields verbatim from
``metadata.source``). In the T1 CSV, datasets whose ids are ``<name>_{i}`` (oversample, LLM
generators) are written with ``ID = i``, as the research numbered them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synae.errors import ConfigError
from synae.generate.registry import Generated
from synae.schema import dumps_strict, write_jsonl

OUTPUT_FORMATS: tuple[str, ...] = ("canonical", "t1-csv", "acp-csv", "bfcl")
_TABLE_FORMAT = {"t1": "t1-csv", "acp": "acp-csv"}
_EXTENSION = {"canonical": ".jsonl", "t1-csv": ".csv", "acp-csv": ".csv", "bfcl": ".json"}
MANIFEST = "manifest.json"


def data_suffix(path: Path) -> str | None:
    """``.jsonl``, ``.jsonl.gz``, ``.csv`` or ``.json`` when ``path`` names a data file, else None."""
    name = path.name.lower()
    for suffix in (".jsonl.gz", ".jsonl", ".csv", ".json"):
        if name.endswith(suffix):
            return suffix
    return None


def resolve_format(benchmark: str, out: Path, fmt: str | None) -> str:
    """The output format from ``--format`` or the suffix of ``--out`` (canonical by default)."""
    if fmt is not None:
        if fmt not in OUTPUT_FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(OUTPUT_FORMATS)}, got {fmt!r}")
        chosen = fmt
    else:
        suffix = data_suffix(out)
        if suffix == ".csv":
            if benchmark not in _TABLE_FORMAT:
                raise ConfigError(f"{benchmark} data has no CSV layout; write .jsonl (or .json for BFCL)")
            chosen = _TABLE_FORMAT[benchmark]
        elif suffix == ".json" and benchmark == "bfcl":
            chosen = "bfcl"
        else:
            chosen = "canonical"
    expected = {"t1-csv": "t1", "acp-csv": "acp", "bfcl": "bfcl"}.get(chosen)
    if expected is not None and expected != benchmark:
        raise ConfigError(f"format {chosen} is for {expected} datasets, this one is {benchmark}")
    return chosen


def write_one(item: Generated, path: Path, fmt: str) -> list[Path]:
    """Write one dataset in ``fmt``; returns the data files written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "canonical":
        write_jsonl(item.dataset.trajectories, path)
        return [path]
    from synae.adapters import export

    trajectories = item.dataset.trajectories
    if fmt == "t1-csv" and all(t.id == f"{item.dataset.name}_{i}" for i, t in enumerate(trajectories)):
        trajectories = [t.model_copy(update={"id": str(i)}) for i, t in enumerate(trajectories)]
    export.write_dataset(trajectories, path, fmt)
    if fmt == "bfcl":
        return [path, export.bfcl_answers_path(path)]
    return [path]


def sidecar_path(path: Path) -> Path:
    """``<name>.meta.json`` next to a data file ``<name>.<ext>``."""
    suffix = data_suffix(path) or path.suffix
    return path.with_name(path.name[: len(path.name) - len(suffix)] + ".meta.json")


@dataclass
class WrittenSet:
    name: str
    value: Any
    files: list[Path]
    sidecar: Path
    counts: dict[str, Any]
    relative: list[str]


def write_generated(items: Sequence[Generated], out: Path, fmt: str) -> tuple[list[WrittenSet], Path | None]:
    """Write every generated dataset; returns what was written and the manifest path (folder mode)."""
    single = data_suffix(out) is not None
    if single and len(items) != 1:
        raise ConfigError(f"--out {out} is one file but {len(items)} datasets were generated; "
                          "give a folder instead")
    written = []
    root = out.parent if single else out
    for item in items:
        path = out if single else out / f"{item.dataset.name}{_EXTENSION[fmt]}"
        files = write_one(item, path, fmt)
        meta_path = sidecar_path(path)
        meta = {**item.meta, "files": [_relative(f, root) for f in files], "format": fmt}
        meta_path.write_text(dumps_strict(meta, indent=2) + "\n", encoding="utf-8")
        written.append(WrittenSet(item.dataset.name, item.value, files, meta_path, meta["counts"],
                                  meta["files"]))
    manifest = None
    if not single:
        manifest = out / MANIFEST
        manifest.write_text(dumps_strict(_manifest(items, written, fmt), indent=2) + "\n", encoding="utf-8")
    return written, manifest


def _manifest(items: Sequence[Generated], written: Sequence[WrittenSet], fmt: str) -> dict[str, Any]:
    first = items[0].meta if items else {}
    return {
        "generator": first.get("generator"),
        "source": first.get("source"),
        "format": fmt,
        "datasets": [{"name": w.name, "value": w.value, "files": w.relative,
                      "meta": w.sidecar.name, "params": i.meta["config"]["params"],
                      "seed": i.meta["config"]["seed"], "mode": i.meta["config"]["mode"],
                      "counts": w.counts} for i, w in zip(items, written, strict=True)],
    }


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a generated folder (for scripts and tests)."""
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
