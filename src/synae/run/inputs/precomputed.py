"""Precomputed embeddings as input: users with vectors skip the embedding stage.

Two text views can be given (``docs/method.md`` §2.4 embeds the same two): ``transcript`` (the
instruction transcript, one vector per trajectory; k-NN, FID and Vendi of the instructions) and
``output`` (one vector per trajectory *with* an output, in record order; the output metrics). The
turn pairs of KND are always embedded by the model.

Where vectors come from, per dataset and view (the first that exists):

1. a side file attached with :func:`attach` (kept on :attr:`synae.schema.Dataset.embeddings`):

   - ``.npy``: a rows × d float array in record order (rows = trajectories for ``transcript``,
     trajectories with an output for ``output``); memory-mapped, never read whole;
   - ``.parquet``: an ``id`` column and a list-of-floats column named after the view (or
     ``embedding``); rows are matched to trajectories by id, any order, extra ids ignored;

2. an ``embeddings`` field on every record of the view: ``{"transcript": [...], "output": [...]}``.

Vectors are used as given (float32; synae's own pipeline L2-normalises, so give normalised vectors
for cosine metrics comparable to a model's). Checks, each a :class:`~synae.errors.DataError` naming
the file or the record: a 2-D array; the row count; one dimension for all records; finite values;
an id without a vector (Parquet); some records of the view with vectors and others without.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from synae.embed import EmbeddingStats
from synae.errors import DataError
from synae.files import check_input_file
from synae.schema import Dataset, Trajectory

View = Literal["transcript", "output"]
VIEWS: tuple[View, ...] = ("transcript", "output")
RECORD_FIELD = "embeddings"
MODEL = "precomputed"


def rows(dataset: Dataset, view: str) -> list[Trajectory]:
    """The trajectories that have a ``view`` vector: all for ``transcript``, those with an output
    for ``output``."""
    if view not in VIEWS:
        raise DataError(f"unknown embedding view {view!r} (expected {' or '.join(VIEWS)})")
    trajs = dataset.trajectories
    return list(trajs) if view == "transcript" else [t for t in trajs if t.output is not None]


def check_rows(array: np.ndarray, rows: int, view: str, source: str) -> np.ndarray:
    """``array`` when it is 2-D with ``rows`` rows, else a :class:`DataError` naming ``source``."""
    if array.ndim != 2:
        raise DataError(f"{view} embeddings must be a 2-D array (rows × dimension), not shape "
                        f"{array.shape}", source=source)
    if array.shape[0] != rows:
        what = "trajectories" if view == "transcript" else "trajectories with an output"
        raise DataError(f"{array.shape[0]} {view} vectors for {rows} {what}", source=source)
    return array


def attach(dataset: Dataset, view: View, path: str | Path) -> np.ndarray:
    """Read the side file ``path`` with the ``view`` vectors of ``dataset`` (see the module
    docstring), check it, keep it on ``dataset.embeddings[view]`` and return it."""
    path = Path(path)
    src = str(path)
    wanted = rows(dataset, view)
    check_input_file(path, "embedding file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        out = check_rows(read_npy(path, view), len(wanted), view, src)
    elif suffix in (".parquet", ".pq"):
        out = _from_parquet(path, wanted, view)
    else:
        raise DataError("embedding side files are .npy or .parquet", source=src)
    dataset.embeddings[view] = out
    return out


def read_npy(path: Path, view: str) -> np.ndarray:
    """A ``.npy`` side file of ``view`` vectors, memory-mapped (never read whole); a float array,
    else a :class:`DataError` naming the file. The row count is the caller's check."""
    src = str(path)
    check_input_file(path, "embedding file")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"not a .npy array ({exc})", source=src) from None
    if not np.issubdtype(array.dtype, np.floating):
        raise DataError(f"{view} embeddings must be floats, not {array.dtype}", source=src)
    if array.ndim != 2:
        raise DataError(f"{view} embeddings must be a 2-D array (rows × dimension), not shape "
                        f"{array.shape}", source=src)
    out: np.ndarray = array
    return out


def _from_parquet(path: Path, rows: Sequence[Trajectory], view: str) -> np.ndarray:
    import pyarrow.parquet as pq

    src = str(path)
    names = pq.read_schema(path).names
    column = view if view in names else "embedding" if "embedding" in names else None
    if "id" not in names or column is None:
        raise DataError(f"needs an 'id' column and a '{view}' (or 'embedding') column; found {names}",
                        source=src)
    table = pq.read_table(path, columns=["id", column])
    ids = [str(i) for i in table.column("id").to_pylist()]
    where = {i: r for r, i in enumerate(ids)}
    vectors = table.column(column).combine_chunks()
    flat = np.asarray(vectors.flatten(), dtype=np.float32)
    offsets = np.asarray(vectors.offsets)
    lengths = np.diff(offsets)
    dim = int(lengths[0]) if lengths.size else 0
    bad = np.flatnonzero(lengths != dim)
    if bad.size:
        raise DataError(f"vector of dimension {int(lengths[bad[0]])}, expected {dim}", source=src,
                        location=f"row {int(bad[0]) + 1} (id {ids[int(bad[0])]!r})", field=column)
    out = np.empty((len(rows), dim), dtype=np.float32)
    for r, t in enumerate(rows):
        if t.id not in where:
            raise DataError(f"no {view} vector for trajectory {t.id!r}", source=src)
        start = int(offsets[where[t.id]])
        out[r] = flat[start:start + dim]
    return out


def _record_vectors(rows: Sequence[Trajectory], view: str, source: str) -> np.ndarray | None:
    """The ``embeddings.<view>`` vectors of every record in ``rows``; ``None`` when none has one."""
    values = [(t.model_extra or {}).get(RECORD_FIELD) for t in rows]
    given = [isinstance(v, dict) and view in v for v in values]
    if not any(given):
        return None
    first = given.index(True)
    dim = len(values[first][view])  # type: ignore[index]
    out = np.empty((len(rows), dim), dtype=np.float32)
    for r, (t, v) in enumerate(zip(rows, values, strict=True)):
        location, fld = f"trajectory {t.id!r}", f"{RECORD_FIELD}.{view}"
        if not given[r]:
            raise DataError(f"no {view} vector while other records have one", source=source,
                            location=location, field=fld)
        vec = v[view]  # type: ignore[index]
        if not isinstance(vec, list) or len(vec) != dim:
            size = len(vec) if isinstance(vec, list) else type(vec).__name__
            raise DataError(f"vector of dimension {size}, expected {dim}", source=source, location=location,
                            field=fld)
        try:
            out[r] = vec
        except (TypeError, ValueError):
            raise DataError("vector values must be numbers", source=source, location=location,
                            field=fld) from None
    return out


def vectors(dataset: Dataset, view: View) -> np.ndarray | None:
    """The precomputed ``view`` vectors of ``dataset`` (side file first, else the records'
    ``embeddings`` field), float32, rows as the module docstring says; ``None`` when none are given."""
    source = dataset.source or dataset.name
    array: Any = dataset.embeddings.get(view)
    if array is None:
        array = _record_vectors(rows(dataset, view), view, source)
        if array is None:
            return None
    out = np.asarray(array, dtype=np.float32)
    bad = _first_not_finite(out)
    if bad is not None:
        raise DataError(f"{view} vector is not finite", source=source,
                        location=f"trajectory {rows(dataset, view)[bad].id!r}")
    return out


def _first_not_finite(array: np.ndarray) -> int | None:
    """The first row of ``array`` holding a NaN or an infinity, ``None`` when every value is finite."""
    finite = np.isfinite(array).all(axis=1) if array.size else np.ones(array.shape[0], dtype=bool)
    return None if finite.all() else int(np.flatnonzero(~finite)[0])


def side_vectors(array: np.ndarray, view: str, n_rows: int, source: str) -> np.ndarray:
    """A side file's ``view`` array attached to a streamed input (:func:`read_npy`),
    checked once the stream's row count ``n_rows`` is known: the row count, finite values."""
    out = check_rows(np.asarray(array, dtype=np.float32), n_rows, view, source)
    bad = _first_not_finite(out)
    if bad is not None:
        raise DataError(f"{view} vector is not finite", source=source, location=f"row {bad + 1}")
    return out


def stats(array: np.ndarray) -> EmbeddingStats:
    """The embedding statistics recorded for precomputed vectors (model ``precomputed``)."""
    return EmbeddingStats(model=MODEL, dimension=int(array.shape[1]) if array.ndim == 2 else None,
                          window=None, chunking=False, n_texts=int(array.shape[0]),
                          n_unique=int(array.shape[0]))


__all__ = ["MODEL", "RECORD_FIELD", "VIEWS", "View", "attach", "check_rows", "read_npy", "rows",
           "side_vectors", "stats", "vectors"]
