"""synae.download against a loopback HTTP server serving local copies of the public files."""

from __future__ import annotations

import json
import shutil

import pytest

from helpers.static_server import serve_folder
from synae.download import ACP_FILES, BFCL_FILES, T1_FOLDER, T1_REPO, download
from synae.errors import SynaeError
from synae.run.inputs.data import load_dataset


def mirror(bench_data, root, files, local_root):
    """Lay out ``remote`` paths under ``root`` with the shipped copies of ``local`` files."""
    for remote, local in files:
        target = root / remote
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bench_data / local_root(local), target)


def test_bfcl_download(bench_data, tmp_path):
    root = tmp_path / "srv"
    mirror(bench_data, root, BFCL_FILES, lambda p: p)
    with serve_folder(root) as url:
        result = download("bfcl", tmp_path / "data", base_url=url)
    assert len(result.files) == len(BFCL_FILES) == 10
    for _, local in BFCL_FILES:
        assert (tmp_path / "data" / local).read_bytes() == (bench_data / local).read_bytes()
    ds = load_dataset(tmp_path / "data" / "bfcl" / "BFCL_v4_multi_turn_base.json")
    assert sum(len(m.tool_calls or ()) for t in ds for m in t.messages) == 1142 and ds[0].tools
    assert not list((tmp_path / "data").rglob("*.part"))


def test_acp_download_builds_combined_csv(bench_data, tmp_path):
    root = tmp_path / "srv"
    mirror(bench_data, root, ACP_FILES, lambda p: p)
    with serve_folder(root) as url:
        result = download("acp", tmp_path / "data", base_url=url)
    combined = tmp_path / "data" / "acp" / "acp_app_prog.csv"
    assert result.files[-1] == combined
    assert combined.read_bytes() == (bench_data / "acp" / "acp_app_prog.csv").read_bytes()


def test_t1_download_lists_through_the_hub_api(tmp_path):
    root = tmp_path / "srv"
    for split in ("train", "validation", "test"):
        remote = f"{T1_FOLDER}/{split}/attraction_{split}.csv"
        listing = root / "api" / "datasets" / T1_REPO / "tree" / "main" / T1_FOLDER / split
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text(json.dumps([{"type": "file", "path": remote}, {"type": "directory", "path": "x"}]))
        target = root / "datasets" / T1_REPO / "resolve" / "main" / remote
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"ID,Filled_Template\n0,user: {split}\n")
    with serve_folder(root) as url:
        result = download("t1", tmp_path / "data", base_url=url)
    assert [p.name for p in result.files] == ["attraction_train.csv", "attraction_validation.csv",
                                              "attraction_test.csv"]
    written = tmp_path / "data" / "t1" / "raw" / "test" / "attraction_test.csv"
    assert written.read_text().endswith("user: test\n")


def test_http_errors_are_clear_and_leave_no_partial_files(tmp_path):
    (tmp_path / "srv").mkdir()
    with serve_folder(tmp_path / "srv") as url:
        with pytest.raises(SynaeError, match=r"HTTP 404") as info:
            download("bfcl", tmp_path / "data", base_url=url)
        assert "BFCL_v4_multi_turn_base.json" in str(info.value)
        with pytest.raises(SynaeError, match="cannot list the T1 files"):
            download("t1", tmp_path / "data", base_url=url)
    assert not list(tmp_path.joinpath("data").rglob("*.part"))
    with pytest.raises(SynaeError, match="unknown benchmark"):
        download("mmlu", tmp_path / "data")


def test_connection_refused_is_a_synae_error(tmp_path):
    with pytest.raises(SynaeError, match="download failed"):
        download("acp", tmp_path / "data", base_url="http://127.0.0.1:9/")


@pytest.mark.parametrize("hostile", ["", ".", "..", f"{T1_FOLDER}/train/..", "a\\b"])
def test_t1_listing_with_an_unusable_name_is_an_error_and_writes_nothing(tmp_path, hostile):
    root = tmp_path / "srv"
    listing = root / "api" / "datasets" / T1_REPO / "tree" / "main" / T1_FOLDER / "train"
    listing.parent.mkdir(parents=True)
    listing.write_text(json.dumps([{"type": "file", "path": hostile}]))
    (tmp_path / "data" / "t1" / "raw" / "train").mkdir(parents=True)
    with serve_folder(root) as url, pytest.raises(SynaeError, match="unusable file name"):
        download("t1", tmp_path / "data", base_url=url)
    assert (tmp_path / "data" / "t1" / "raw" / "train").is_dir()  # never turned into a file
    assert not [p for p in (tmp_path / "data").rglob("*") if p.is_file()]


def test_download_into_a_file_or_with_an_empty_name_is_a_clear_error(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(SynaeError, match="--dest is not a folder"):
        download("bfcl", tmp_path / "taken")
    for name in ("", ".", ".."):
        with pytest.raises(SynaeError, match="unknown benchmark"):
            download(name, tmp_path / "data")
