"""Writing generated datasets: one file per dataset (+ ``<name>.meta.json``) and a sweep manifest.

``--out`` with a data suffix is one file (a single generated dataset); anything else is a folder
that receives ``<name>.<ext>`` per dataset, its sidecar, and ``manifest.json`` (files, parameter
values, counts). The format is ``--format`` or follows the suffix: ``canonical`` (``.jsonl`` /
``.jsonl.gz``, the default and the only one of the generic preset), or one of the preset's
:class:`ExportFormat` s (its ``export_formats`` hook: T1 ``t1-csv`` for ``.csv``, ACP ``acp-csv`` for
``.csv``, BFCL ``bfcl`` for ``.json`` — questions JSONL + ``possible_answer/<name>.json``).

Non-canonical layouts are written by :mod:`synae.adapters.export` (unchanged fields verbatim from
``metadata.source``). A format with ``numbered_ids`` (the T1 CSV) writes datasets whose ids are
``<name>_{i}`` (oversample, LLM generators) with ``ID = i``, as the research numbered them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from synae.errors import ConfigError
from synae.files import atomic_write_text, check_writable
from synae.generate.registry import Generated
from synae.schema import dumps_strict, write_jsonl

CANONICAL = "canonical"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExportFormat:
    """A benchmark layout a preset can write generated data in (:mod:`synae.adapters.export`).

    ``suffix``: the file suffix that selects it and names folder-mode files; ``numbered_ids``: ids
    ``<name>_{i}`` are written as ``i``; ``companion``: the extra file written next to ``path``."""

    suffix: str
    numbered_ids: bool = False
    companion: Callable[[Path], Path] | None = None


class FormatPreset(Protocol):
    """What writing needs from a preset: its name and its export formats (format name → layout)."""

    @property
    def name(self) -> str: ...

    @property
    def export_formats(self) -> Mapping[str, ExportFormat]: ...


def data_suffix(path: Path) -> str | None:
    """``.jsonl``, ``.jsonl.gz``, ``.csv`` or ``.json`` when ``path`` names a data file, else None."""
    name = path.name.lower()
    for suffix in (".jsonl.gz", ".jsonl", ".csv", ".json"):
        if name.endswith(suffix):
            return suffix
    return None


def resolve_format(preset: FormatPreset, out: Path, fmt: str | None) -> str:
    """The output format from ``--format`` or the suffix of ``--out`` (canonical by default).

    ``.jsonl``/``.jsonl.gz`` and folders → canonical; another data suffix → the preset's format with
    that suffix (an error when it has none)."""
    formats = preset.export_formats
    if fmt is not None:
        if fmt != CANONICAL and fmt not in formats:
            from synae.adapters.export import EXPORT_FORMATS

            owned = ", ".join([CANONICAL, *formats])
            if fmt in EXPORT_FORMATS:
                raise ConfigError(f"format {fmt} is for another benchmark's datasets, not {preset.name} "
                                  f"(use {owned})")
            raise ConfigError(f"--format must be one of {owned} for {preset.name} data, got {fmt!r}")
        return fmt
    suffix = data_suffix(out)
    if suffix is None or suffix.startswith(".jsonl"):
        return CANONICAL
    chosen = next((name for name, layout in formats.items() if layout.suffix == suffix), None)
    if chosen is None:
        layout = "CSV" if suffix == ".csv" else suffix
        raise ConfigError(f"{preset.name} data has no {layout} layout; write .jsonl"
                          + "".join(f" (or {f.suffix} for {n})" for n, f in formats.items()))
    return chosen


def _layout(preset: FormatPreset | None, fmt: str) -> ExportFormat:
    if fmt == CANONICAL:
        return ExportFormat(".jsonl")
    if preset is None or fmt not in preset.export_formats:
        raise ConfigError(f"format {fmt!r} needs the preset that defines it")
    return preset.export_formats[fmt]


def write_one(item: Generated, path: Path, fmt: str, preset: FormatPreset | None = None) -> list[Path]:
    """Write one dataset in ``fmt`` (a non-canonical one is looked up in ``preset``); returns the data
    files written."""
    layout = _layout(preset, fmt)
    check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == CANONICAL:
        write_jsonl(item.dataset.trajectories, path)
        return [path]
    from synae.adapters import export

    trajectories = item.dataset.trajectories
    if layout.numbered_ids and all(t.id == f"{item.dataset.name}_{i}" for i, t in enumerate(trajectories)):
        trajectories = [t.model_copy(update={"id": str(i)}) for i, t in enumerate(trajectories)]
    export.write_dataset(trajectories, path, fmt)
    return [path] if layout.companion is None else [path, layout.companion(path)]


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


def check_out(out: Path, n_sets: int) -> bool:
    """Whether ``out`` names one file (a data suffix) rather than a folder; a
    :class:`ConfigError` when it is one file but ``n_sets`` ≠ 1 datasets are to be written (checked
    before any generation work, and again when writing)."""
    single = data_suffix(out) is not None
    if single and n_sets != 1:
        raise ConfigError(f"--out {out} is one file but {n_sets} datasets are generated; "
                          "give a folder instead")
    return single


def write_generated(items: Sequence[Generated], out: Path, fmt: str, preset: FormatPreset | None = None
                    ) -> tuple[list[WrittenSet], Path | None]:
    """Write every generated dataset in ``fmt`` (``preset`` defines the non-canonical formats);
    returns what was written and the manifest path (folder mode)."""
    layout = _layout(preset, fmt)
    single = check_out(out, len(items))
    written = []
    root = out.parent if single else out
    for item in items:
        path = out if single else out / f"{item.dataset.name}{layout.suffix}"
        files = write_one(item, path, fmt, preset)
        meta_path = sidecar_path(path)
        meta = {**item.meta, "files": [_relative(f, root) for f in files], "format": fmt}
        atomic_write_text(meta_path, dumps_strict(meta, indent=2) + "\n")
        written.append(WrittenSet(item.dataset.name, item.value, files, meta_path, meta["counts"],
                                  meta["files"]))
    manifest = None
    if not single:
        manifest = out / MANIFEST
        atomic_write_text(manifest, dumps_strict(_manifest(items, written, fmt), indent=2) + "\n")
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
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return manifest
