"""``synae.datapaths``: the data folder, the BFCL copy the ``bfcl-eval`` package ships, and the
example inputs of ``synae quickstart`` with a one-line hint when one is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from synae.datapaths import EXAMPLE_INPUTS, bundled_bfcl_dir, example_input, package_dir
from synae.errors import SynaeError


def test_bundled_bfcl_dir_holds_multi_turn_base():
    folder = bundled_bfcl_dir()
    assert folder is not None and folder.parts[-2:] == ("bfcl_eval", "data")
    for part in ("BFCL_v4_multi_turn_base.json", "possible_answer/BFCL_v4_multi_turn_base.json",
                 "multi_turn_func_doc/math_api.json"):
        assert (folder / part).is_file(), part
    assert package_dir("synae_no_such_package") is None


def test_example_inputs_prefer_the_shipped_bfcl_copy(bench_data: Path, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path):
    bundled = bundled_bfcl_dir()
    assert bundled is not None
    assert example_input("bfcl", "dropmin") == (bundled / "BFCL_v4_multi_turn_base.json", "none")
    t1 = bench_data / "t1"
    assert example_input("t1", "relabel") == (t1 / "t1_attraction_augmented_valid.csv", "none")
    assert example_input("t1", "blankfill") == (t1 / "t1_attraction_turns_with_output.csv", "int_id")
    monkeypatch.setenv("SYNAE_DATA_DIR", str(tmp_path))
    assert example_input("bfcl", "oversample")[0] == bundled / "BFCL_v4_multi_turn_base.json"
    with pytest.raises(SynaeError, match="SYNAE_DATA_DIR") as missing_t1:
        example_input("t1", "oversample")
    assert "synae download" not in str(missing_t1.value)  # the derived T1 files are not published
    with pytest.raises(SynaeError, match=r"`synae download acp --dest DIR`") as missing_acp:
        example_input("acp", "oversample")
    assert "\n" not in str(missing_acp.value)
    with pytest.raises(SynaeError, match="no example data for 'generic'"):
        example_input("generic", "oversample")
    assert {e.benchmark for e in EXAMPLE_INPUTS} == {"bfcl", "t1", "acp"}
