"""What every generator shares: naming, provenance and dataset sidecars.

``docs/method.md`` §8.1. One ``numpy.random.default_rng(seed)`` per generated dataset (default seed
123); ids ``<tag>_{i}`` where the tag is the file stem (e.g. ``oversample_frac0_1``); provenance in
``metadata.generation`` of every output trajectory and a ``<name>.meta.json`` sidecar per dataset.
Benchmark behaviour comes from the preset object the caller passes in
(:class:`synae.generate.hooks.GeneratorPreset`); nothing here knows a benchmark.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal, Protocol

import numpy as np

from synae import __version__
from synae.config import DEFAULT_SEED
from synae.errors import ConfigError
from synae.schema import Dataset, Trajectory
from synae.views import is_output_message

GenMode = Literal["default", "reference"]

MODES: tuple[str, ...] = ("default", "reference")

__all__ = [
    "DEFAULT_SEED", "MODES", "GenMode", "SourcePreset", "check_fraction", "check_mode", "dataset_counts",
    "derive", "frac_tag", "make_dataset", "new_rng", "provenance", "sidecar", "sync_output_message",
]


class SourcePreset(Protocol):
    """What a generator reads of a preset to describe the trajectories it writes."""

    @property
    def name(self) -> str:
        """The preset's name (recorded as the trajectories' benchmark and in their provenance)."""
        ...

    @property
    def environment_kind(self) -> str | None:
        """``environment.kind`` of new trajectories (``None``: generic, the source's environment)."""
        ...

    @property
    def generation_keeps_ids(self) -> bool:
        """Whether ``invalidate`` and ``dropmin`` keep the source ids (T1) or number their rows."""
        ...


def new_rng(seed: int | None) -> np.random.Generator:
    """The one PCG64 generator of a generated dataset (``None`` → the default seed 123)."""
    return np.random.default_rng(DEFAULT_SEED if seed is None else seed)


def frac_tag(value: float | int) -> str:
    """A number as it appears in file names and ids: shortest decimal, ``.`` → ``_``.

    ``0`` → ``0``, ``0.1`` → ``0_1``, ``1.0`` → ``1``, ``3`` → ``3``.
    """
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"cannot name a dataset after the non-finite value {value!r}")
    if number.is_integer():
        return str(int(number))
    return repr(number).replace(".", "_")


def check_fraction(name: str, value: float) -> float:
    """``value`` as a float in [0, 1], else a :class:`ConfigError` naming the parameter."""
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ConfigError(f"{name} must be in [0, 1], got {value!r}")
    return number


def check_mode(mode: str) -> GenMode:
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return mode  # type: ignore[return-value]


def provenance(method: str, params: dict[str, Any], seed: int | None, *, source: Trajectory | None,
               position: int | None, modified: bool, modification: str | None = None,
               **extra: Any) -> dict[str, Any]:
    """``metadata.generation`` of one output trajectory (``docs/method.md`` §8.1).

    ``source``/``position`` name the real trajectory it derives from (``None`` for trajectories
    made from scratch); ``modified`` is the validity-by-construction ground truth; ``extra``
    holds method-specific fields (LLM prompt and reply, ``parse_error``, …).
    """
    record: dict[str, Any] = {
        "method": method, "params": params, "seed": seed,
        "source_id": source.id if source is not None else None, "source_position": position,
        "modified": bool(modified), "modification": modification,
    }
    record.update(extra)
    return record


def derive(source: Trajectory, *, new_id: str | None, generation: dict[str, Any]) -> Trajectory:
    """A deep copy of ``source`` with a new id (``None`` keeps it) and ``metadata.generation``.

    Copied through its canonical JSON (faster than ``model_copy(deep=True)``, same fields set)."""
    copy = Trajectory.model_validate_json(source.to_json())
    if new_id is not None:
        copy.id = new_id
    copy.metadata = {**copy.metadata, "generation": generation}
    return copy


def sync_output_message(traj: Trajectory) -> Trajectory:
    """Make the transcript agree with ``traj.output`` after a generator rewrote the output (in
    place; returns ``traj``): the message marked as the output (:data:`synae.views.OUTPUT_MARK`)
    gets the new output as its content, or is removed when the output is gone (``None``).
    Trajectories without such a message are left as they are."""
    index = next((i for i, m in enumerate(traj.messages) if is_output_message(m)), None)
    if index is None or traj.messages[index].content == traj.output:
        return traj
    if traj.output is None:
        traj.messages = [m for i, m in enumerate(traj.messages) if i != index]
    else:
        traj.messages[index].content = traj.output
    return traj


def make_dataset(trajectories: list[Trajectory], *, name: str, source: Dataset) -> Dataset:
    """The generated :class:`Dataset`, named after its file stem, remembering its source file; every
    trajectory's output message agrees with its output (:func:`sync_output_message`)."""
    for traj in trajectories:
        sync_output_message(traj)
    return Dataset(trajectories=trajectories, name=name, source=source.source, format="canonical")


def dataset_counts(result: Dataset, source: Dataset | None = None) -> dict[str, Any]:
    """Counts derived from provenance: size, modified rows, distinct and repeated sources."""
    generations = [t.metadata.get("generation", {}) for t in result]
    source_ids = Counter(g.get("source_id") for g in generations if g.get("source_id") is not None)
    counts: dict[str, Any] = {
        "n_out": len(result),
        "n_modified": sum(1 for g in generations if g.get("modified")),
        "n_distinct_sources": len(source_ids),
        "n_repeated_sources": sum(1 for c in source_ids.values() if c > 1),
        "max_copies": max(source_ids.values(), default=0),
        "n_parse_errors": sum(1 for g in generations if g.get("parse_error")),
        "n_duplicates": sum(1 for g in generations if g.get("duplicate_of")),
        "n_dropped_empty": result.n_skipped,
    }
    if source is not None:
        counts["n_in"] = len(source)
    return counts


def sidecar(result: Dataset, *, method: str, params: dict[str, Any], seed: int | None, mode: str,
            source: Dataset, files: Iterable[str] = (), extra: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """The dataset-level ``<name>.meta.json`` content: generator version, configuration, counts."""
    return {
        "name": result.name,
        "generator": {"package": "synae", "version": __version__, "method": method},
        "config": {"params": params, "seed": DEFAULT_SEED if seed is None else seed, "mode": mode},
        "source": {"path": source.source, "name": source.name, "n": len(source),
                   "fingerprint": source.fingerprint()},
        "files": list(files),
        "counts": {**dataset_counts(result, source), **(extra or {})},
        "fingerprint": result.fingerprint(),
    }
