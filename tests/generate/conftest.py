"""Real benchmark datasets the generator tests run on (loaded once per session; tests copy, never
mutate: every generator deep-copies what it outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synae.adapters import load_dataset
from synae.schema import Dataset


@pytest.fixture(scope="session")
def t1_valid(shared_data: Path) -> Dataset:
    """T1-Augmented-Valid in file order (n = 100): base of invalidation and the case study."""
    return load_dataset(shared_data / "t1" / "t1_attraction_augmented_valid.csv")


@pytest.fixture(scope="session")
def t1_turns(shared_data: Path) -> Dataset:
    """The 225 turn-level T1 conversations in integer-ID order."""
    return load_dataset(shared_data / "t1" / "t1_attraction_turns_with_output.csv", sort="int_id")


@pytest.fixture(scope="session")
def bfcl_older(shared_data: Path) -> Dataset:
    """The older BFCL copy (questions + ground truth), which the research generated from."""
    folder = shared_data / "bfcl" / "v_older"
    return load_dataset(folder / "BFCL_v4_multi_turn_base_instr.json",
                        answers=folder / "BFCL_v4_multi_turn_base_tool_calls.json")


@pytest.fixture(scope="session")
def bfcl_newer(shared_data: Path) -> Dataset:
    return load_dataset(shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json")


@pytest.fixture(scope="session")
def acp(shared_data: Path) -> Dataset:
    return load_dataset(shared_data / "acp" / "acp_app_prog.csv")
