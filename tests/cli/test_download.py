"""`synae download` against a loopback server."""

from __future__ import annotations

import shutil

from helpers.static_server import serve_folder
from helpers.synae_cli import run_synae
from synae.download import ACP_FILES


def test_download_command(bench_data, tmp_path, capsys, monkeypatch):
    root = tmp_path / "srv"
    for remote, local in ACP_FILES:
        (root / remote).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bench_data / local, root / remote)
    with serve_folder(root) as url:
        code, out, err = run_synae(["download", "acp", "--dest", tmp_path / "d", "--base-url", url],
                                   capsys, monkeypatch)
    assert code == 0 and "downloaded 3 file(s) for acp" in err
    assert (tmp_path / "d" / "acp" / "acp_app_prog.csv").is_file() and "acp_app_bool.parquet" in out
    code, _, err = run_synae(["download", "nope", "--dest", tmp_path / "d"], capsys, monkeypatch)
    assert code == 2 and "unknown benchmark" in err
