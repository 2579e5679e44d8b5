"""Small datasets of the benchmarks' shape for the downstream tests (loaded once per session from
``bench_data``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synae.run.inputs.data import load_dataset
from synae.schema import Dataset


@pytest.fixture(scope="session")
def t1_turns(bench_data: Path) -> Dataset:
    """T1 turn-level conversations (known turn alignment, plans on several turns)."""
    return load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv")


@pytest.fixture(scope="session")
def bfcl_real(bench_data: Path) -> Dataset:
    return load_dataset(bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json")


@pytest.fixture(scope="session")
def acp_real(bench_data: Path) -> Dataset:
    return load_dataset(bench_data / "acp" / "acp_app_prog.csv")
