"""Shared fixtures: the benchmark data folders, an isolated cache folder, and the ``data`` marker.

Two data folders:

- ``bench_data`` — a small folder of the real data's shape that the session writes once
  (:mod:`helpers.bench_fixtures`: invented T1 and ACPBench rows, BFCL from the ``bfcl-eval``
  package). Every test that is not a ``data`` test runs with ``SYNAE_DATA_DIR`` pointing at it (set
  before its fixtures), so code that looks files up in the data folder (the T1 ontology, BFCL
  function docs) finds them on a fresh clone.
- ``shared_data`` — the real benchmark data (``$SYNAE_DATA_DIR``, default ``../shared/data``), for tests
  that need the full files (the research's numbers). Such tests are marked ``data`` (a test that asks
  for ``shared_data`` is marked automatically), run with ``SYNAE_DATA_DIR`` pointing at the real folder,
  and are skipped when it does not exist. A fixture wider than a test is built under the first test
  that uses it: share one between ``data`` and other tests only if it does not read the data folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from helpers.bench_fixtures import write_bench_data
from synae.datapaths import data_dir

# The real data folder as the user configured it, read before any test changes SYNAE_DATA_DIR.
REAL_DATA = data_dir(required=False)
HAS_DATA = REAL_DATA.is_dir()
_folders: dict[str, Path] = {}  # "bench": the bench_data folder of this session
_previous_setting = os.environ.get("SYNAE_DATA_DIR")


def pytest_sessionstart(session: pytest.Session) -> None:
    _folders["bench"] = write_bench_data(Path(tempfile.mkdtemp(prefix="synae-bench-data-")))
    os.environ["SYNAE_DATA_DIR"] = str(_folders["bench"])


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "bench" in _folders:
        shutil.rmtree(_folders.pop("bench"), ignore_errors=True)
    if _previous_setting is None:
        os.environ.pop("SYNAE_DATA_DIR", None)
    else:
        os.environ["SYNAE_DATA_DIR"] = _previous_setting


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests that use ``shared_data`` as ``data``; skip ``data`` tests without the real data."""
    skip = pytest.mark.skip(reason=f"needs the benchmark data: SYNAE_DATA_DIR ({REAL_DATA}) not found")
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.data)
        if not HAS_DATA and item.get_closest_marker("data") is not None:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """``SYNAE_DATA_DIR`` of the test, set before any of its fixtures: the real folder for ``data``
    tests, ``bench_data`` otherwise; switching clears synae's caches of data-folder contents."""
    folder = str(REAL_DATA if item.get_closest_marker("data") is not None else _folders["bench"])
    if os.environ.get("SYNAE_DATA_DIR") != folder:
        os.environ["SYNAE_DATA_DIR"] = folder
        _reset_synae_caches()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "needs the benchmark data" in str(
        r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} `data` tests skipped: set SYNAE_DATA_DIR to the benchmark data folder "
            f"(tried {REAL_DATA}) to run them", yellow=True)


def _reset_synae_caches() -> None:
    """Clear every ``functools`` cache of synae's modules (the T1 ontology and what is derived from
    it, BFCL function docs): they depend on the data folder, which differs between tests."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("synae"):
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


@pytest.fixture(scope="session")
def bench_data() -> Path:
    """The small data folder of the benchmarks' shape (see the module docstring)."""
    return _folders["bench"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real benchmark data folder; a test that asks for it is a ``data`` test."""
    return REAL_DATA.resolve()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own on-disk cache folder, so no test depends on another's cache."""
    monkeypatch.setenv("SYNAE_CACHE_DIR", str(tmp_path_factory.mktemp("synae-cache")))
