"""Streaming input: which files stream, chunks, and a header that stays small however many bad
records and warnings go by."""

from __future__ import annotations

from pathlib import Path

from synae.config import load_config
from synae.run.commands import SKIPPED_SHOWN
from synae.run.streaming import StreamHeader, chunked, detect_preset_streaming, stream_canonical, streams
from synae.schema import Dataset, Message, Trajectory, write_jsonl


def _trajs(n: int) -> list[Trajectory]:
    return [Trajectory(id=f"t{i}", messages=[Message(role="user", content=f"q{i}"),
                                             Message(role="assistant", content=f"a{i}")]) for i in range(n)]


def test_only_unsorted_canonical_jsonl_streams(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    write_jsonl(_trajs(3), path)
    assert streams(path, load_config())
    assert not streams(path, load_config(inputs={"sort": "str_id"}))
    table = tmp_path / "data.csv"
    table.write_text("id,transcript\n1,user: hi\n", encoding="utf-8")
    assert not streams(table, load_config())


def test_chunks_keep_order_and_the_header_keeps_counts_not_every_reason(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = _jsonl_lines(_trajs(10), tmp_path)
    bad = ["{broken"] * (SKIPPED_SHOWN + 4)
    path.write_text("\n".join(good[:5] + bad + good[5:]) + "\n", encoding="utf-8")
    header = Dataset(trajectories=[], name="mixed")
    counted = StreamHeader(header)
    chunks = list(chunked(stream_canonical(path, skip_invalid=True, dataset=header), counted, size=4))
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert [t.id for c in chunks for t in c] == [f"t{i}" for i in range(10)]
    assert chunks[0][0].output == "a0"  # outputs from the last assistant turn, as a whole-file load
    assert header.n_skipped == len(bad) and len(header.skipped) == SKIPPED_SHOWN
    assert "line 6" in header.skipped[0]


def test_drain_counts_warnings_and_keeps_the_first() -> None:
    header = Dataset(trajectories=[], name="h")
    counted = StreamHeader(header)
    header.warnings += ["first", "second"]
    counted.drain()
    header.warnings.append("third")
    counted.drain()
    assert counted.n_warnings == 3 and counted.first_warning == "first" and header.warnings == []


def test_preset_detected_from_the_lines_that_can_name_a_benchmark(tmp_path: Path) -> None:
    path = tmp_path / "bfcl.jsonl"
    trajs = _trajs(3)
    trajs[2].metadata = {"benchmark": "bfcl"}
    write_jsonl(trajs, path)
    plain = tmp_path / "plain.jsonl"
    write_jsonl(_trajs(3), plain)
    assert detect_preset_streaming(plain) == "generic"
    assert detect_preset_streaming(path) == _detect_whole(path) == "bfcl"


def _detect_whole(path: Path) -> str:
    from synae.presets import detect_preset
    from synae.schema import read_jsonl

    return detect_preset(read_jsonl(path).trajectories)


def _jsonl_lines(trajs: list[Trajectory], tmp_path: Path) -> list[str]:
    path = tmp_path / "lines.jsonl"
    write_jsonl(trajs, path)
    return path.read_text(encoding="utf-8").splitlines()
