"""Small real datasets for the downstream tests (loaded once per session from shared/data)."""

from __future__ import annotations

import pytest

from synae.datapaths import data_path
from synae.run.data import load_dataset
from synae.schema import Dataset


@pytest.fixture(scope="session")
def t1_turns() -> Dataset:
    """T1 turn-level conversations (known turn alignment, plans on several turns)."""
    return load_dataset(data_path("t1", "t1_attraction_turns_with_output.csv"))


@pytest.fixture(scope="session")
def bfcl_real() -> Dataset:
    return load_dataset(data_path("bfcl", "BFCL_v4_multi_turn_base.json"))


@pytest.fixture(scope="session")
def acp_real() -> Dataset:
    return load_dataset(data_path("acp", "acp_app_prog.csv"))
