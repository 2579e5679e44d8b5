"""Atomic writes: temporary files cleaned on signals, several files committed as one, output paths
checked before any work."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synae.errors import ConfigError
from synae.files import atomic_write, check_writable, commit_files


def test_sigterm_during_an_atomic_write_removes_the_temporary_file(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from synae.files import atomic_write
        with atomic_write({str(tmp_path / "out.json")!r}) as fh:
            fh.write("partial")
            print("writing", flush=True)
            time.sleep(30)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # the write is under way
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == -signal.SIGTERM  # still ends by the signal
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("new")
        raise RuntimeError
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"] and target.read_text() == "old"


def test_commit_files_never_leaves_an_old_file_beside_a_new_one(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    results, report = tmp_path / "results.json", tmp_path / "report.html"
    results.write_text("old results")
    report.write_text("old report")
    assert commit_files({results: "new results", report: "new report"}) == [results, report]
    assert (results.read_text(), report.read_text()) == ("new results", "new report")
    import synae.files

    real_replace = synae.files.os.replace
    calls: list[str] = []

    def dies_after_first_rename(src: str, dst: str) -> None:  # a kill between the two renames
        if calls:
            raise KeyboardInterrupt
        calls.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(synae.files.os, "replace", dies_after_first_rename)
    with pytest.raises(KeyboardInterrupt):
        commit_files({results: "third results", report: "third report"})
    assert results.read_text() == "third results" and not report.exists()  # no stale report.html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]  # and no temporary file


def test_check_writable_rejects_outputs_under_a_file_or_where_nothing_can_be_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"cannot be created: .*file is a file, not a folder"):
        check_writable(tmp_path / "file" / "sub" / "results.json")
    with pytest.raises(ConfigError, match=r"file: exists and is not a folder"):
        check_writable(tmp_path / "file", folder=True)
    with pytest.raises(ConfigError, match=r"cannot be created: .*file is a file"):
        check_writable(tmp_path / "file" / "runs", folder=True)
    with pytest.raises(ConfigError, match="is a directory"):
        check_writable(tmp_path)
    with pytest.raises(ConfigError, match=r"cannot be written: /proc refuses new files"):
        check_writable("/proc/synae-out/results.json")  # /proc takes no new files, even from root
    assert check_writable(tmp_path / "new" / "deeper" / "r.json") == tmp_path / "new" / "deeper" / "r.json"
    assert not (tmp_path / "new").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_written_files_get_the_mode_a_plain_open_gives(tmp_path: Path, umask: int) -> None:
    """Atomic writes, commits and a generated set end with ``0o666 & ~umask`` (``mkstemp`` alone
    gives ``0o600``), and replacing an existing file keeps its mode, as ``open(path, "w")`` does."""
    from synae.files import atomic_write_bytes, atomic_write_text, current_umask
    from synae.schema import Message, Trajectory, write_jsonl

    previous = os.umask(umask)
    try:
        assert current_umask() == umask
        atomic_write_text(tmp_path / "a.json", "{}")
        atomic_write_bytes(tmp_path / "b.bin", b"x")
        commit_files({tmp_path / "out" / "results.json": "{}", tmp_path / "out" / "report.html": "<p>"})
        write_jsonl([Trajectory(id="t", messages=[Message(role="user", content="hi")])], tmp_path / "s.jsonl")
        with open(tmp_path / "plain.txt", "w") as fh:
            fh.write("x")
        existing = tmp_path / "kept.json"
        existing.write_text("old")
        existing.chmod(0o640)
        atomic_write_text(existing, "new")
    finally:
        os.umask(previous)
    expected = 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == expected
    for path in ("a.json", "b.bin", "out/results.json", "out/report.html", "s.jsonl"):
        assert stat.S_IMODE((tmp_path / path).stat().st_mode) == expected, path
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640 and existing.read_text() == "new"


def test_data_stem_strips_data_extensions_only() -> None:
    from synae.files import data_stem

    names = ("os_0.3.jsonl", "os_0.6.JSONL.GZ", "run.v2.csv", "a.parquet", "notes.md", ".jsonl")
    assert [data_stem(Path(n)) for n in names] == ["os_0.3", "os_0.6", "run.v2", "a", "notes.md", ".jsonl"]


def test_an_atomic_write_under_a_file_is_a_config_error_for_every_writer(tmp_path: Path) -> None:
    """convert, generate, report and export-otel all write through synae.files: a path under a
    file (or where nothing can be created) is the clear error of check_writable, not a traceback."""
    from synae.files import atomic_write_text

    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"afile/out\.json: cannot be created: .*afile is a file, not"):
        atomic_write_text(blocker / "out.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # nothing left behind
