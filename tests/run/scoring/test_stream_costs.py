"""What a streamed run costs and reports: the cyclic GC paused per chunk and restored, no shared
default dicts between records, a timing for every stage in the results, and work that needs every
trajectory once riding the features pass instead of reading the file again."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from helpers.stream_records import records
from synae.config import load_config
from synae.run import commands
from synae.run.commands import evaluate_command
from synae.run.inputs import streaming
from synae.run.inputs.streaming import TrajectoryStream
from synae.run.scoring import evaluation
from synae.run.scoring.evaluation import Evaluator
from synae.schema import Dataset, Trajectory, write_jsonl


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    real, syn = tmp_path / "real.jsonl", tmp_path / "syn.jsonl"
    write_jsonl(records("r", 30), real)
    write_jsonl(records("s", 25), syn)
    return real, syn


@pytest.mark.parametrize("enabled", [True, False])
def test_stream_pauses_the_collector_per_chunk_and_restores_it(pair: tuple[Path, Path],
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              enabled: bool) -> None:
    monkeypatch.setattr(streaming, "CHUNK", 7)
    stream = TrajectoryStream(pair[0])
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        seen = []
        for chunk in stream.chunks():
            seen.append((len(chunk), gc.isenabled()))
        assert seen == [(7, False)] * 4 + [(2, False)]
        assert gc.isenabled() is enabled  # restored after the pass
        for _ in stream.chunks():  # a pass left unfinished restores it too
            break
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert stream.passes == 2 and stream.parse_seconds > 0


def test_records_never_share_default_dicts(pair: tuple[Path, Path]) -> None:
    first, second = (Trajectory.model_validate_json(line) for line in
                     pair[0].read_text().splitlines()[:2])
    plain = [Trajectory(id=f"p{i}", messages=[]) for i in range(2)]
    for a, b in ((plain[0], plain[1]), (first, second)):
        a.metadata["k"] = 1
        a.attributes["topic"] = "z"
        assert "k" not in b.metadata and b.attributes.get("topic") != "z"
    assert plain[0].to_json() == '{"id":"p0","messages":[]}'  # defaults stay unset on output
    assert Trajectory(id="x", messages=[]).model_dump()["attributes"] == {}


def test_features_of_a_loaded_set_restore_the_collector(pair: tuple[Path, Path]) -> None:
    ev = Evaluator(Dataset(records("r", 10), name="real"),
                   load_config(None, preset="generic", embedding={"model": "lexical"}),
                   metric_patterns="fidelity.tool_calls.*", progress=False)
    assert gc.isenabled()
    ev.features(Dataset(records("s", 5), name="syn"))
    assert gc.isenabled()


def test_a_streamed_run_times_every_stage(pair: tuple[Path, Path]) -> None:
    real, syn = pair
    config = load_config(None, inputs={"real": real, "synthetic": [syn]}, preset="generic",
                         evaluation={"select": "fidelity.tool_calls.*,fidelity.instructions.am.*,validity.*"},
                         validity={"checker": "rules"}, embedding={"model": "lexical"})
    report = evaluate_command(config, progress=False)
    timings = report.timings
    for stage in ("features_real", "features_synthetic", "parse_real", "parse_synthetic", "validity",
                  "metrics", "anchor", "aggregates"):
        assert timings[stage] > 0, stage
    assert timings["passes_real"] >= 1 and timings["passes_synthetic"] >= 1


@pytest.mark.parametrize(("held", "reads"), [(100, 1), (29, 3)])
def test_a_small_input_is_parsed_once(pair: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                      held: int, reads: int) -> None:
    """At most ``HELD`` trajectories: later passes hand out the first complete pass's objects (the
    file is read once); more: every pass reads the file again. Either way the same trajectories."""
    opened: list[Path] = []
    real_stream = streaming.stream_trajectories

    def counting(path: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(path)
        return real_stream(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(streaming, "stream_trajectories", counting)
    monkeypatch.setattr(streaming, "HELD", held)
    stream = TrajectoryStream(pair[0])
    passes = [[t.to_json() for chunk in stream.chunks(size) for t in chunk] for size in (7, 4, None)]
    assert passes[0] == passes[1] == passes[2] and len(passes[0]) == 30 == len(stream)
    assert len(opened) == reads and stream.passes == 3


class _Seen:
    """A rider that keeps the ids it was fed."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def feed(self, chunk: list[Trajectory]) -> None:
        self.ids += [t.id for t in chunk]


class _Raises:
    def feed(self, chunk: list[Trajectory]) -> None:
        raise ValueError("bad rider")


def test_riders_get_every_chunk_of_the_next_complete_pass_only(pair: tuple[Path, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "HELD", 0)
    stream = TrajectoryStream(pair[0])
    stream.ride("seen", _Seen)
    stream.ride("raises", _Raises)
    for _ in stream.chunks(7):  # an unfinished pass feeds nobody for good
        break
    assert stream.ridden("seen") is None
    ids = [t.id for chunk in stream.chunks(7) for t in chunk]
    seen = stream.ridden("seen")
    assert isinstance(seen, _Seen) and seen.ids == ids and len(ids) == 30
    assert stream.ridden("raises") is None  # dropped: its consumer reads the stream itself
    for _ in stream.chunks(7):  # a later pass leaves the fed rider as it was
        pass
    assert stream.ridden("seen") is seen and seen.ids == ids and stream.rider_seconds > 0


def _answers(prefix: str, n: int, first_output: int) -> list[Trajectory]:
    """Trajectories with a tool call and its result; an output (half of them cut off) only from
    ``first_output`` on, so the output target appears in a later chunk."""
    out = []
    for t in records(prefix, n):
        i = int(t.id[len(prefix):])
        t.output = None if i < first_output else ("found 4 places near the" if i % 2 else "found 4 places.")
        out.append(t)
    return out


def test_rules_and_structure_ride_the_features_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamed with rule validity: the real set is read once (profile and features), the synthetic set
    once; the validity and structure figures equal those of the run on the sets loaded whole, though
    the output target first appears in a later chunk."""
    real, syn = tmp_path / "real.jsonl", tmp_path / "syn.jsonl"
    write_jsonl(_answers("r", 30, 0), real)
    write_jsonl(_answers("s", 25, 16), syn)
    config = load_config(None, inputs={"real": real, "synthetic": [syn]}, preset="generic",
                         evaluation={"select": "fidelity.tool_calls.*,validity.*"},
                         validity={"checker": "rules"}, embedding={"model": "lexical"})
    with monkeypatch.context() as m:
        m.setattr(commands, "streamed_run", lambda config, report: False)
        whole = evaluate_command(config, progress=False)
    monkeypatch.setattr(streaming, "HELD", 0)
    monkeypatch.setattr(streaming, "CHUNK", 7)
    monkeypatch.setattr(evaluation, "FEATURE_CHUNK", 7)
    streamed = evaluate_command(config, progress=False)
    assert streamed.timings["passes_real"] == 1 and streamed.timings["passes_synthetic"] == 1
    for mid in ("validity.output.rate", "validity.tool_calls.rate"):
        assert streamed.metrics[mid].model_dump() == whole.metrics[mid].model_dump(), mid
    output = streamed.metrics["validity.output.rate"].details
    assert output["reasons"] == {"empty_output": 16, "ignores_tool_results": 6, "truncated": 4}
    assert getattr(streamed, "warnings", None) == getattr(whole, "warnings", None)
    assert streamed.timings["validity"] > 0


def test_evaluate_runs_with_a_relaxed_collector_and_restores_it(pair: tuple[Path, Path],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from synae.schema import RELAXED_GC_THRESHOLDS

    seen: list[tuple[int, ...]] = []
    features = Evaluator.features

    def recording(self: Evaluator, dataset: object) -> object:
        seen.append(gc.get_threshold())
        return features(self, dataset)  # type: ignore[arg-type]

    monkeypatch.setattr(Evaluator, "features", recording)
    before = gc.get_threshold()
    config = load_config(None, inputs={"real": pair[0], "synthetic": [pair[1]]}, preset="generic",
                         evaluation={"select": "fidelity.tool_calls.*"}, validity={"checker": "none"})
    evaluate_command(config, progress=False)
    assert seen and set(seen) == {RELAXED_GC_THRESHOLDS} and before != RELAXED_GC_THRESHOLDS
    assert gc.get_threshold() == before


def test_rules_not_ridden_are_checked_once_by_their_own_pass(pair: tuple[Path, Path],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A session made after the real set's features pass: its rider is never fed, so the real set
    is checked by a pass of its own — once, the withdrawn rider not checking it a second time."""
    from synae.presets import get_preset
    from synae.run.scoring import validity
    from synae.run.scoring.validity import ValiditySession

    monkeypatch.setattr(streaming, "HELD", 0)
    config = load_config(None, preset="generic", validity={"checker": "rules"})
    real = TrajectoryStream(pair[0])
    for _ in real.chunks():  # the features pass, before the session exists
        pass
    calls: list[int] = []
    run_validity = validity.run_validity

    def counting(data, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(list(data)))
        return run_validity(data, *args, **kwargs)

    monkeypatch.setattr(validity, "run_validity", counting)
    session = ValiditySession(real, get_preset("generic"), config, "rules", progress=False)
    run = session.real_run
    assert run is not None and sum(calls) == 30  # every trajectory checked once
    counts = run.counts("output")
    assert counts is not None and counts.n == 30
