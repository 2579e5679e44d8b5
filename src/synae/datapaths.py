"""Where the benchmark data lives, and the example inputs ``synae quickstart`` generates from.

``$SYNAE_DATA_DIR`` when set; otherwise ``../shared/data`` seen from the current directory, then
from the project checkout that holds this package. Data is never copied into the repository;
:mod:`synae.download` fetches it from its public sources instead.

One data set needs no data folder: the installed ``bfcl-eval`` package (Apache-2.0, installed by
``make install``) ships BFCL multi-turn base in ``bfcl_eval/data/`` — the questions
(``BFCL_v4_multi_turn_base.json``), their ground truth (``possible_answer/``) and the function docs
(``multi_turn_func_doc/``), the same files :mod:`synae.download` fetches. :func:`bundled_bfcl_dir`
finds that folder without importing the package.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
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


def package_dir(name: str) -> Path | None:
    """The folder of the installed top-level package ``name``, or ``None`` when it is not installed.

    Found with :func:`importlib.util.find_spec`, which locates a top-level package without running
    its ``__init__``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) if locations else None


def bundled_bfcl_dir() -> Path | None:
    """``bfcl_eval/data`` of the installed ``bfcl-eval`` package (see the module docstring), or
    ``None`` when the package or its data folder is missing."""
    root = package_dir("bfcl_eval")
    folder = root / "data" if root is not None else None
    return folder if folder is not None and folder.is_dir() else None


@dataclass(frozen=True)
class ExampleInput:
    """A real data file that ``synae quickstart`` generates from and evaluates against.

    ``benchmark``: the preset it belongs to; ``methods``: the generation methods it serves (empty:
    every method without a file of its own); ``parts``: its path under :func:`data_dir`;
    ``sort``: the input order the generators expect (``none``, ``int_id``); ``bundled``: its path
    under :func:`bundled_bfcl_dir` when the ``bfcl-eval`` package ships it (read first, so that no
    data folder is needed); ``downloadable``: whether ``synae download`` fetches it."""

    benchmark: str
    methods: tuple[str, ...]
    parts: tuple[str, ...]
    sort: str = "none"
    bundled: tuple[str, ...] | None = None
    downloadable: bool = True


# The example inputs. The T1 files are the research's derived files (turn-level with outputs;
# augmented and valid), which the T1 publishers do not ship.
EXAMPLE_INPUTS: tuple[ExampleInput, ...] = (
    ExampleInput("bfcl", (), ("bfcl", "BFCL_v4_multi_turn_base.json"),
                 bundled=("BFCL_v4_multi_turn_base.json",)),
    ExampleInput("t1", (), ("t1", "t1_attraction_turns_with_output.csv"), "int_id", downloadable=False),
    ExampleInput("t1", ("invalidate", "relabel"), ("t1", "t1_attraction_augmented_valid.csv"),
                 downloadable=False),
    ExampleInput("acp", (), ("acp", "acp_app_prog.csv")),
)


def example_input(benchmark: str, method: str) -> tuple[Path, str]:
    """(path, sort order) of the example input of ``benchmark`` for ``method`` (its own file, else
    the benchmark's general one): the ``bfcl-eval`` package's copy when it ships one, else the file
    under :func:`data_dir`.

    Raises :class:`SynaeError` for a benchmark without examples, and a one-line hint (set
    ``SYNAE_DATA_DIR``; ``synae download`` where it fetches the file) when the file is missing."""
    examples = [e for e in EXAMPLE_INPUTS if e.benchmark == benchmark]
    if not examples:
        names = dict.fromkeys(e.benchmark for e in EXAMPLE_INPUTS)
        raise SynaeError(f"no example data for {benchmark!r}; choose one of {', '.join(names)}")
    example = next((e for e in examples if method in e.methods), None) or next(
        e for e in examples if not e.methods)
    bundled = bundled_bfcl_dir()
    if example.bundled is not None and bundled is not None and bundled.joinpath(*example.bundled).is_file():
        return bundled.joinpath(*example.bundled), example.sort
    path = data_dir(required=False).joinpath(*example.parts)
    if path.is_file():
        return path.resolve(), example.sort
    fetch = f" (`synae download {benchmark} --dest DIR` fetches it)" if example.downloadable else ""
    raise SynaeError(f"{benchmark} data not found: {path}; set SYNAE_DATA_DIR to the folder that holds "
                     f"{'/'.join(example.parts)}{fetch}")
