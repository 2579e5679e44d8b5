"""Shared fixtures: where the real benchmark data lives, and an isolated cache folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from synae.datapaths import data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``shared/data`` (``$SYNAE_DATA_DIR``); the tests need the real data and fail without it."""
    return data_dir()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own on-disk cache folder, so no test depends on another's cache."""
    monkeypatch.setenv("SYNAE_CACHE_DIR", str(tmp_path_factory.mktemp("synae-cache")))
