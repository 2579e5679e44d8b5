"""Writing generated datasets: file vs folder, formats, sidecars, manifest."""

from __future__ import annotations

import json

import pytest

from synae.errors import ConfigError
from synae.generate.output import read_manifest, resolve_format, sidecar_path, write_generated
from synae.generate.sweep import run_sweep
from synae.presets import get_preset
from synae.run.inputs.data import load_dataset

T1, BFCL, ACP = get_preset("t1"), get_preset("bfcl"), get_preset("acp")


def test_resolve_format(tmp_path):
    assert resolve_format(T1, tmp_path / "a.jsonl", None) == "canonical"
    assert resolve_format(T1, tmp_path / "a.csv", None) == "t1-csv"
    assert resolve_format(ACP, tmp_path / "a.csv", None) == "acp-csv"
    assert resolve_format(BFCL, tmp_path / "a.json", None) == "bfcl"
    assert resolve_format(BFCL, tmp_path / "folder", None) == "canonical"
    assert resolve_format(T1, tmp_path / "folder", "t1-csv") == "t1-csv"
    with pytest.raises(ConfigError, match="no CSV layout"):
        resolve_format(BFCL, tmp_path / "a.csv", None)
    with pytest.raises(ConfigError, match="is for another"):
        resolve_format(T1, tmp_path / "d", "acp-csv")
    with pytest.raises(ConfigError, match="--format must be"):
        resolve_format(T1, tmp_path / "d", "xlsx")


def test_sidecar_path(tmp_path):
    assert sidecar_path(tmp_path / "a.jsonl.gz").name == "a.meta.json"
    assert sidecar_path(tmp_path / "invalidate_frac0_1.csv").name == "invalidate_frac0_1.meta.json"


@pytest.mark.data
def test_folder_with_manifest_round_trips(real_acp, tmp_path):
    items = run_sweep("oversample", real_acp, [0.1, 0.5], preset=ACP, options={"seed": 123})
    written, manifest = write_generated(items, tmp_path / "out", "canonical")
    assert manifest == tmp_path / "out" / "manifest.json"
    assert [w.files for w in written] == [[tmp_path / "out" / f"{n}.jsonl"] for n in
                                          ("oversample_frac0_1", "oversample_frac0_5")]
    data = read_manifest(tmp_path / "out")
    assert [d["name"] for d in data["datasets"]] == ["oversample_frac0_1", "oversample_frac0_5"]
    assert [d["counts"]["max_copies"] for d in data["datasets"]] == [26, 130]
    assert data["source"]["n"] == 260 and data["format"] == "canonical"
    reread = load_dataset(tmp_path / "out" / "oversample_frac0_5.jsonl")
    assert reread.fingerprint() == items[1].dataset.fingerprint()
    meta = json.loads((tmp_path / "out" / "oversample_frac0_5.meta.json").read_text())
    assert meta["files"] == ["oversample_frac0_5.jsonl"] and meta["counts"]["n_out"] == 260


def test_single_file_needs_one_dataset(acp, tmp_path):
    items = run_sweep("oversample", acp, [0.1, 0.5], preset=ACP, options={})
    with pytest.raises(ConfigError, match="give a folder"):
        write_generated(items, tmp_path / "one.jsonl", "canonical")


@pytest.mark.data
def test_t1_csv_numbers_generated_ids(real_t1_turns, tmp_path):
    items = run_sweep("oversample", real_t1_turns, [0.1], preset=T1, options={})
    write_generated(items, tmp_path / "ov.csv", "t1-csv", T1)
    lines = (tmp_path / "ov.csv").read_text().split("\n")
    assert lines[0] == "ID,Data,Tool Call,Output"
    reread = load_dataset(tmp_path / "ov.csv")
    assert [t.id for t in reread] == [str(i) for i in range(225)]
    assert reread[0].messages[0].content == real_t1_turns[0].messages[0].content


@pytest.mark.data
def test_bfcl_writes_questions_and_answers(real_bfcl_older, tmp_path):
    items = run_sweep("invalidate", real_bfcl_older, [1], preset=BFCL, options={"mode": "reference"})
    written, _ = write_generated(items, tmp_path / "inv", "bfcl", BFCL)
    assert [f.relative_to(tmp_path / "inv").as_posix() for f in written[0].files] == \
        ["invalidate_frac1.json", "possible_answer/invalidate_frac1.json"]
    reread = load_dataset(tmp_path / "inv" / "invalidate_frac1.json")
    assert len(reread) == 200
    truth = [json.loads(line) for line in (tmp_path / "inv" / "possible_answer" / "invalidate_frac1.json")
             .read_text().splitlines()]
    calls = [c for t in truth for turn in t["ground_truth"] for c in turn]
    assert len(calls) == 1160 and any("'invalid'" in c for c in calls)
