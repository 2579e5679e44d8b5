"""Where the shipped benchmark data lives.

``$SYNAE_DATA_DIR`` when set; otherwise ``../shared/data`` seen from the current directory, then
from the project checkout that holds this package. Data is never copied into the repository;
:mod:`synae.download` fetches it from its public sources instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from synae.errors import SynaeError

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # <checkout>/src/synae -> <checkout>


def data_dir(required: bool = True) -> Path:
    """The benchmark data folder (with ``t1/``, ``bfcl/``, ``acp/``)."""
    env = os.environ.get("SYNAE_DATA_DIR")
    candidates = [Path(env)] if env else [Path.cwd() / ".." / "shared" / "data",
                                          _PACKAGE_ROOT / ".." / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    if required:
        tried = ", ".join(str(c) for c in candidates)
        raise SynaeError(f"benchmark data not found (tried {tried}); set SYNAE_DATA_DIR or run "
                         "`synae download` to fetch it from its public sources")
    return candidates[0]


def data_path(*parts: str) -> Path:
    """A file under :func:`data_dir`, e.g. ``data_path("t1", "ontology_attractions.csv")``."""
    return data_dir().joinpath(*parts)
