"""Loading datasets for a run: the adapters' reader plus the preset's stored attributes.

:func:`load_dataset` reads any input with :func:`synae.adapters.load_dataset` and then merges the
stored attributes of ``docs/method.md`` that the preset derives (``Preset.derive_attributes``) into every
trajectory. The preset is ``preset`` when given, else the benchmark preset of the input's format
(``Reader.preset``: t1, bfcl or acp files); other formats get none, so attributes a generator wrote
(e.g. ``relabel``) are never overwritten. Missing preset resources (e.g. the T1 ontology) become a
dataset warning, not an error. :func:`check_not_all_skipped` refuses an input whose records
were all skipped as invalid (``skip_invalid``); :data:`SKIPPED_SHOWN` is how many of the skipped
records' reasons a run keeps and shows per dataset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synae.adapters import READERS_BY_NAME, OutputFrom
from synae.adapters import load_dataset as read_dataset
from synae.errors import DataError, SynaeError
from synae.presets import get_preset
from synae.schema import Dataset

SKIPPED_SHOWN = 3  # reasons shown per dataset that skipped records


def load_dataset(data: Any, fmt: str | None = None, *, preset: str | None = None,
                 answers: str | Path | None = None, skip_invalid: bool = False, sort: str = "none",
                 columns: dict[str, Any] | None = None, name: str | None = None,
                 output_from: OutputFrom | None = None) -> Dataset:
    """Read ``data`` (see :func:`synae.adapters.load_dataset` for every other argument) and derive
    the stored attributes of ``preset`` (default: the format's benchmark preset, if any)."""
    dataset = read_dataset(data, fmt, answers=answers, skip_invalid=skip_invalid, sort=sort,
                           columns=columns, name=name, output_from=output_from)
    reader = READERS_BY_NAME.get(dataset.format or "")
    chosen = preset or (reader.preset if reader is not None else None)
    if chosen:
        derive_attributes(dataset, chosen)
    return dataset


def derive_attributes(dataset: Dataset, preset: str) -> Dataset:
    """Merge ``preset.derive_attributes`` into every trajectory's ``attributes`` (in place); when
    the preset's resources are missing, a warning is recorded on the dataset instead."""
    chosen = get_preset(preset)
    try:
        for traj in dataset.trajectories:
            traj.attributes = {**traj.attributes, **chosen.derive_attributes(traj)}
    except SynaeError as exc:
        dataset.warnings.append(f"attributes of preset {preset!r} not derived: {exc}")
    return dataset


def check_not_all_skipped(dataset: Dataset, path: Path | str) -> None:
    """Raise :class:`DataError` when ``skip_invalid`` dropped every record of ``path``: a run on
    nothing would report empty metrics as if they were results."""
    if dataset.n_skipped and not len(dataset):
        first = f"; first: {dataset.skipped[0]}" if dataset.skipped else ""
        raise DataError(f"every record ({dataset.n_skipped}) was skipped as invalid, nothing is left"
                        f"{first}", source=str(path))
