"""``synae validate`` through :func:`synae.run.commands.validate_command`: a streamed canonical JSONL
file (checked chunk by chunk, counts kept, verdicts written as they come) gives the whole-file run's
counts, agreement and verdict lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synae.config import load_config
from synae.errors import DataError
from synae.run.commands import validate_command
from synae.run.inputs import streaming
from synae.schema import Message, ToolCall, Trajectory, read_jsonl, write_jsonl


def _outcome(path: Path, out: Path, **inputs: Any) -> Any:
    config = load_config(inputs={"data": path, **inputs}, output={"out": out}, validity={"checker": "rules"})
    config.validity.known_labels = "construction"
    return validate_command(config, progress=False)


def _counts(run: Any) -> dict[tuple[str, str], Any]:
    return {pair: run.counts(*pair) for pair in run.checked()}


@pytest.fixture(scope="module")
def invalidated_t1(bench_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """T1 trajectories of ``bench_data``, half of them invalidated (labels by construction), as JSONL."""
    from synae.generate.invalidate import invalidate
    from synae.presets import get_preset
    from synae.run.inputs.data import load_dataset

    real = load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv")
    broken = invalidate(real, 0.5, preset=get_preset("t1"), target="tool_calls", seed=7)
    path = tmp_path_factory.mktemp("data") / "invalidated.jsonl"
    write_jsonl(broken.trajectories, path)
    return path


def test_streamed_validate_equals_the_whole_file_run(invalidated_t1: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _outcome(invalidated_t1, tmp_path / "whole.jsonl", sort="str_id")  # sorted: loaded whole
    n = len(read_jsonl(invalidated_t1))
    monkeypatch.setattr(streaming, "CHUNK", 4)  # several chunks
    streamed = _outcome(invalidated_t1, tmp_path / "streamed.jsonl")
    assert streamed.run.verdicts == {} and whole.run.verdicts  # the streamed run kept counts only
    assert _counts(streamed.run) == _counts(whole.run)
    counts = streamed.run.counts("tool_calls")
    assert counts.n == n > 4 and 0 < counts.invalid < n and counts.reasons
    assert streamed.agreement == whole.agreement
    assert streamed.agreement["tool_calls"]["rules"]["n_labelled"] == n

    def lines(name: str) -> list[str]:
        return sorted((tmp_path / name).read_text(encoding="utf-8").splitlines())
    assert lines("streamed.jsonl") == lines("whole.jsonl")
    assert len(lines("whole.jsonl")) == 2 * n  # one verdict per target


def _call(i: int) -> ToolCall:
    return ToolCall.model_validate({"id": f"c{i}", "type": "function",
                                    "function": {"name": "lookup", "arguments": json.dumps({"q": i})}})


def test_a_target_first_seen_after_the_first_chunk_is_checked_on_every_trajectory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Generic data whose first 20 trajectories have no output (they end on a tool result): the
    output target is found in a later chunk and checked on all 30, as in a whole-file run."""
    trajs = []
    for i in range(30):
        messages = [Message(role="user", content=f"look up {i}"),
                    Message(role="assistant", tool_calls=[_call(i)]),
                    Message(role="tool", tool_call_id=f"c{i}", content=f"result {i}")]
        if i >= 20:
            messages.append(Message(role="assistant", content="" if i == 25 else f"answer {i}"))
        trajs.append(Trajectory(id=f"t{i:02d}", messages=messages))
    path = tmp_path / "generic.jsonl"
    write_jsonl(trajs, path)
    whole = _outcome(path, tmp_path / "whole.jsonl", sort="str_id")
    monkeypatch.setattr(streaming, "CHUNK", 8)
    streamed = _outcome(path, tmp_path / "streamed.jsonl")
    assert streamed.run.targets == ["tool_calls", "output"] == whole.run.targets
    assert _counts(streamed.run) == _counts(whole.run)
    output = streamed.run.counts("output")
    assert output.n == 30 and output.valid == 9  # 10 answers, one of them empty


def test_a_streamed_file_whose_every_record_is_skipped_fails_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"id": "a", "messages": 3}\n{broken\n', encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    config = load_config(inputs={"data": path, "skip_invalid": True, "format": "canonical"},
                         output={"out": out}, validity={"checker": "rules"}, preset="generic")
    with pytest.raises(DataError, match=r"every record \(2\) was skipped"):
        validate_command(config, progress=False)
    assert not out.exists() and not list(tmp_path.glob(".*verdicts*"))


def test_compare_labels_default_to_file_names_without_data_extensions(tmp_path: Path) -> None:
    """``os_0.3.jsonl`` and ``os_0.6.jsonl.gz`` are ``os_0.3`` and ``os_0.6``, not twice ``os_0``."""
    import gzip

    from synae.examples import example_path
    from synae.run.commands import compare_command

    real = example_path("t1-tiny")
    lines = real.read_text(encoding="utf-8")
    (tmp_path / "os_0.3.jsonl").write_text(lines, encoding="utf-8")
    (tmp_path / "os_0.6.jsonl.gz").write_bytes(gzip.compress(lines.encode("utf-8")))
    synthetic = [tmp_path / "os_0.3.jsonl", tmp_path / "os_0.6.jsonl.gz"]
    config = load_config(inputs={"real": real, "synthetic": synthetic},
                         output={"out": tmp_path / "runs", "html": False}, embedding={"model": "lexical"},
                         validity={"checker": "none"}, evaluation={"select": "fidelity.tool_calls.*"})
    results = compare_command(config)
    assert list(results.members) == ["os_0.3", "os_0.6"]
    assert json.loads((tmp_path / "runs" / "results.json").read_text())["aggregates"]["members"][-2:] == [
        "os_0.3", "os_0.6"]
