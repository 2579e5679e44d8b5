"""``synae evaluate`` and ``compare`` on streamed inputs
(:class:`synae.run.inputs.streaming.TrajectoryStream`): features built chunk by chunk give the
whole-dataset run's metrics, validity counts and dataset summaries; data-dependent preset decisions
(stored attribute kinds, AD attributes, named fields) are taken over the whole input; bad precomputed
vectors are errors naming the record or the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synae.config import load_config
from synae.errors import DataError
from synae.run import commands
from synae.run.commands import compare_command, evaluate_command, open_input
from synae.run.inputs import streaming
from synae.run.inputs.streaming import TrajectoryStream
from synae.run.scoring import evaluation
from synae.run.scoring.evaluation import Evaluator
from synae.schema import Message, ToolCall, Trajectory, write_jsonl

KNN = "fidelity.instructions.knn_*"  # metrics that read the transcript vectors only


def _metrics(report: Any) -> dict[str, Any]:
    """Each metric's status, value and details, the embedding statistics aside (texts are embedded
    per chunk, so their ``n_unique`` counts distinct texts per chunk)."""
    return {mid: (m.status, m.value, json.dumps({k: v for k, v in m.details.items() if k != "embedding"},
                                                sort_keys=True, default=str))
            for mid, m in report.metrics.items()}


def _both(config: Any, monkeypatch: pytest.MonkeyPatch, run: Any = evaluate_command) -> tuple[Any, Any]:
    """(whole-dataset run, streamed run in chunks of 7 trajectories) of ``run(config)``."""
    with monkeypatch.context() as m:
        m.setattr(commands, "streamed_run", lambda config, report: False)
        whole = run(config, progress=False)
    with monkeypatch.context() as m:
        m.setattr(evaluation, "FEATURE_CHUNK", 7)
        m.setattr(streaming, "CHUNK", 7)
        streamed = run(config, progress=False)
    return whole, streamed


def _call(i: int, name: str = "lookup") -> ToolCall:
    return ToolCall.model_validate({"id": f"c{i}", "type": "function",
                                    "function": {"name": name, "arguments": json.dumps({"q": i})}})


def _chat(prefix: str, n: int, seed: int, *, mixed_at: int | None = None,
          vectors: bool = False) -> list[Trajectory]:
    """Generic chat trajectories: stored attributes ``difficulty`` (a number, except a string at
    ``mixed_at``), ``topic`` (a label in every record) and ``tags`` (a list in some), a named field
    ``metadata.level``, calls to two tools, an output on most; optional record-level vectors."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        topic = ["travel", "weather", "food"][int(rng.integers(3))]
        words = " ".join(rng.choice(["book", "a", "flight", "to", "paris", "rain", "today", "pizza",
                                     "near", "me", "cheap", "hotel"], size=int(rng.integers(3, 9))))
        messages = [Message(role="user", content=f"{words} {i % 5}"),
                    Message(role="assistant", tool_calls=[_call(i, "lookup" if i % 3 else "search")]),
                    Message(role="tool", tool_call_id=f"c{i}", content=f"result {i}")]
        if i % 4:
            messages.append(Message(role="assistant", content=f"{topic} answer {words}"))
        attributes: dict[str, Any] = {"difficulty": "hard" if i == mixed_at else int(rng.integers(1, 5)),
                                      "topic": topic}
        if i % 2:
            attributes["tags"] = [topic, "x"]
        extra: dict[str, Any] = {}
        if vectors:
            extra["embeddings"] = {"transcript": rng.normal(size=6).round(3).tolist()}
            if i % 4:
                extra["embeddings"]["output"] = rng.normal(size=6).round(3).tolist()
        out.append(Trajectory.model_validate({
            "id": f"{prefix}{i:03d}", "messages": [m.model_dump(exclude_none=True) for m in messages],
            "attributes": attributes, "metadata": {"level": ["low", "high"][i % 2]}, **extra}))
    return out


@pytest.fixture
def generic_files(tmp_path: Path) -> tuple[Path, Path]:
    real, synthetic = tmp_path / "real.jsonl", tmp_path / "synthetic.jsonl"
    write_jsonl(_chat("r", 40, 1, vectors=True), real)
    write_jsonl(_chat("s", 30, 2, mixed_at=25, vectors=True), synthetic)  # numeric until trajectory 25
    return real, synthetic


def test_streamed_generic_evaluation_equals_the_whole_dataset_run(generic_files: tuple[Path, Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real, synthetic = generic_files
    config = load_config(inputs={"real": real, "synthetic": [synthetic]}, embedding={"model": "lexical"},
                         validity={"checker": "rules"}, metrics={"attribute_fields": ["metadata.level"]})
    whole, streamed = _both(config, monkeypatch)
    assert _metrics(streamed) == _metrics(whole)
    assert streamed.datasets == whole.datasets
    assert streamed.aggregates == whole.aggregates
    m = streamed.metrics
    # the synthetic difficulty is categorical over the whole set (a string at trajectory 25 of 30),
    # though the first chunks hold numbers only; the real one is numeric
    assert m["fidelity.instructions.am.difficulty"].reason.startswith("attribute_kind_mismatch")
    assert m["fidelity.instructions.am.metadata.level"].status == "ok"
    assert m["fidelity.instructions.am.tags"].value is not None
    assert m["validity.output.rate"].value is not None
    assert m["validity.tool_calls.rate"].details["n_valid"] == 30
    assert streamed.embedder is not None and streamed.embedder.model == "precomputed"
    assert streamed.datasets["synthetic"].n == 30 and streamed.datasets["real"].fingerprint


def _counted(stream: TrajectoryStream, monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The chunk size of each pass begun over ``stream`` from now on."""
    passes: list[int | None] = []
    original = stream.chunks

    def counting(size: int | None = None) -> Any:
        passes.append(size)
        return original(size)
    monkeypatch.setattr(stream, "chunks", counting)
    return passes


def test_the_streamed_evaluator_holds_no_trajectories_and_reads_the_real_set_once(
        generic_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The generic preset's data profile is folded by the pass that builds the features: the
    profile of the first chunk decides as the whole set's does, so the features built on the way
    are kept, and nothing is read before the plan is first needed."""
    real, _ = generic_files
    monkeypatch.setattr(evaluation, "FEATURE_CHUNK", 7)
    config = load_config(embedding={"model": "lexical"}, metrics={"attribute_fields": ["metadata.level"]})
    stream = TrajectoryStream(real)
    passes = _counted(stream, monkeypatch)
    ev = Evaluator(stream, config, progress=False)
    assert passes == []
    assert "topic" in ev.context.ad_attributes and "metadata.level" in ev.context.ad_attributes
    feats = ev.real_features
    assert passes == [7] and feats.n == 40 and len(stream) == 40  # no pass for len(): counted
    assert ev.feature_seconds(stream) is not None
    from synae.run.inputs.data import load_dataset

    whole = Evaluator(load_dataset(real), config, progress=False).real_features
    assert np.array_equal(feats.transcripts, whole.transcripts)
    assert np.array_equal(feats.outputs, whole.outputs)
    assert np.array_equal(feats.output_row, whole.output_row)
    assert feats.categorical == whole.categorical and feats.calls == whole.calls
    assert feats.ad_labels == whole.ad_labels
    assert {k: (v.values.tolist(), v.offsets.tolist()) for k, v in feats.numeric.items()} == \
           {k: (v.values.tolist(), v.offsets.tolist()) for k, v in whole.numeric.items()}


@pytest.mark.parametrize("change", ["kind", "key", "selection"])
def test_a_real_set_that_decides_otherwise_after_its_first_chunk_gets_a_features_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    """A later chunk that changes what the profile decides — a stored attribute that becomes
    categorical (and so an AD attribute), a new stored attribute, or the one a metric pattern names
    (which the first chunk's plan cannot select) — drops the features built on the first chunk's
    plan: they get a pass of their own, and the run equals the whole-dataset run."""
    records = _chat("r", 40, 1, mixed_at=30 if change == "kind" else None)
    if change != "kind":
        for t in records[30:]:
            t.attributes["late"] = "yes" if int(t.id[1:]) % 2 else "no"
    real, synthetic = tmp_path / "real.jsonl", tmp_path / "synthetic.jsonl"
    write_jsonl(records, real)
    write_jsonl(_chat("s", 20, 2), synthetic)
    select = "fidelity.instructions.am.late" if change == "selection" else "fidelity.instructions.am.*"
    config = load_config(inputs={"real": real, "synthetic": [synthetic]}, embedding={"model": "lexical"},
                         evaluation={"select": select})
    whole, streamed = _both(config, monkeypatch)
    assert _metrics(streamed) == _metrics(whole) and streamed.timings["passes_real"] == 2
    if change == "kind":
        assert streamed.metrics["fidelity.instructions.am.difficulty"].reason.startswith(
            "attribute_kind_mismatch")
    else:
        assert streamed.metrics["fidelity.instructions.am.late"].status == "ok"
    monkeypatch.setattr(evaluation, "FEATURE_CHUNK", 7)
    stream = TrajectoryStream(real)
    passes = _counted(stream, monkeypatch)
    ev = Evaluator(stream, config, metric_patterns=select, progress=False)
    feats = ev.real_features
    assert passes == [7, 7] and feats.n == 40
    if change == "kind":
        assert ev.context.ad_attributes == ("difficulty", "topic")  # a number in the first chunk


@pytest.mark.parametrize("held", [True, False])
def test_streamed_t1_evaluation_with_provenance_rules_equals_the_whole_run(
        bench_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: bool) -> None:
    """T1 rules check generated trajectories against the real ones they name (provenance): the
    streamed real set gives the synthetic run exactly those sources — a real set held in memory
    (at most ``HELD`` trajectories) as the rules' sources while they ride the synthetic set's
    features pass (read once), a larger one through :func:`~synae.run.scoring.validity.named_sources`."""
    if not held:
        monkeypatch.setattr(streaming, "HELD", 0)
    from synae.generate.invalidate import invalidate
    from synae.presets import get_preset
    from synae.run.inputs.data import load_dataset

    source = load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv")
    real, synthetic = tmp_path / "real.jsonl", tmp_path / "invalidated.jsonl"
    write_jsonl(source.trajectories[:60], real)
    broken = invalidate(source, 0.5, preset=get_preset("t1"), target="tool_calls", seed=3)
    generated = broken.trajectories[:50]
    write_jsonl(generated, synthetic)
    config = load_config(inputs={"real": real, "synthetic": [synthetic]}, embedding={"model": "lexical"},
                         validity={"checker": "rules"}, preset="t1")
    whole, streamed = _both(config, monkeypatch)
    assert _metrics(streamed) == _metrics(whole)
    assert streamed.datasets == whole.datasets
    counts = streamed.metrics["validity.tool_calls.rate"].details
    assert counts["n_valid"] + counts["n_invalid"] + counts["n_unscored"] == len(generated)
    assert 0 < counts["n_invalid"] < len(generated)
    assert (streamed.timings["passes_synthetic"] == 1) is held


def test_streamed_compare_equals_the_whole_run(generic_files: tuple[Path, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real, synthetic = generic_files
    config = load_config(inputs={"real": real, "synthetic": [synthetic, real]},
                         embedding={"model": "lexical"}, validity={"checker": "rules"},
                         output={"out": tmp_path / "cmp", "html": False}, compare={"labels": ["syn", "self"]})
    whole, streamed = _both(config, monkeypatch, compare_command)
    assert set(streamed.members) == {"syn", "self"}
    for label in streamed.members:
        assert _metrics(streamed.members[label]) == _metrics(whole.members[label])
    assert streamed.aggregates == whole.aggregates


def test_inputs_stream_only_when_nothing_needs_their_trajectories(generic_files: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    real, _ = generic_files
    config = load_config(inputs={"real": real})
    assert isinstance(open_input(real, config), TrajectoryStream)
    assert not isinstance(open_input(real, config, whole=True), TrajectoryStream)
    assert commands.streamed_run(config, report=False)
    assert not commands.streamed_run(config, report=True)
    sorted_config = load_config(inputs={"real": real, "sort": "str_id"})
    assert not isinstance(open_input(real, sorted_config), TrajectoryStream)


def _stream_features(trajs: list[Trajectory], path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The transcript features of ``trajs`` written to ``path`` and streamed in chunks of 7."""
    write_jsonl(trajs, path)
    monkeypatch.setattr(evaluation, "FEATURE_CHUNK", 7)
    config = load_config(embedding={"model": "lexical"}, preset="generic")
    return Evaluator(TrajectoryStream(path), config, metric_patterns=KNN, progress=False).real_features


def test_record_vectors_on_some_chunks_only_are_an_error_naming_the_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trajs = _chat("r", 20, 1, vectors=True)
    for t in trajs[14:]:  # the third chunk of 7 (14..19) has no transcript vectors
        (t.model_extra or {}).pop("embeddings", None)
    with pytest.raises(DataError, match=r"trajectory 'r014'.*embeddings.transcript.*no transcript vector"):
        _stream_features(trajs, tmp_path / "mixed.jsonl", monkeypatch)


def test_record_vectors_of_another_dimension_in_a_later_chunk_name_the_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trajs = _chat("r", 20, 1, vectors=True)
    for t in trajs[14:]:  # the third chunk of 7: 8-d transcript vectors, the others 6-d
        (t.model_extra or {})["embeddings"]["transcript"] = [0.5] * 8
    with pytest.raises(DataError, match=r"trajectory 'r014'.*embeddings.transcript.*dimension 8, expected 6"):
        _stream_features(trajs, tmp_path / "dims.jsonl", monkeypatch)


def test_a_side_file_with_the_wrong_row_count_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "real.jsonl"
    write_jsonl(_chat("r", 12, 1), path)
    side = tmp_path / "real.npy"
    np.save(side, np.ones((11, 4), dtype=np.float32))
    config = load_config(inputs={"real": path, "embeddings": {"transcript": side}},
                         embedding={"model": "lexical"}, preset="generic")
    stream = open_input(path, config)
    assert isinstance(stream, TrajectoryStream) and stream.embeddings["transcript"].shape == (11, 4)
    with pytest.raises(DataError, match=r"real.npy.*11 transcript vectors for 12 trajectories"):
        _ = Evaluator(stream, config, metric_patterns=KNN, progress=False).real_features
    np.save(side, np.ones((12, 4), dtype=np.float32))
    feats = Evaluator(open_input(path, config), config, metric_patterns=KNN, progress=False).real_features
    assert feats.transcripts is not None and feats.transcripts.shape == (12, 4)
    assert feats.embedding["transcripts"].model == "precomputed"


@pytest.mark.parametrize(("real", "synthetic"), [
    ("t1/t1_attraction_turns.csv", "t1/t1_attraction_augmented_valid.csv"),
    ("acp/acp_app_prog.csv", "acp/acp_app_bool.parquet"),
])
def test_benchmark_files_evaluate_streamed_as_loaded(bench_data: Path, real: str, synthetic: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Benchmark files (T1 CSV, ACP CSV and Parquet) stream through evaluate with the rule checkers
    and give the whole-dataset run's metrics."""
    config = load_config(inputs={"real": bench_data / real, "synthetic": [bench_data / synthetic]},
                         embedding={"model": "lexical"}, validity={"checker": "rules"})
    whole, streamed = _both(config, monkeypatch)
    assert _metrics(streamed) == _metrics(whole)
    assert streamed.datasets == whole.datasets
    assert any(m.pillar == "validity" and m.value is not None for m in streamed.metrics.values())


def test_chunks_without_records_of_a_view_add_nothing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk with no outputs neither embeds nor breaks the precomputed output vectors of the
    others; a stream with no outputs at all gets the loaded set's empty output view."""
    from synae.run.inputs.data import load_dataset

    trajs = _chat("r", 20, 1, vectors=True)
    for t in trajs[7:14]:  # the second chunk of 7: no output, no output vector
        t.messages, t.output = t.messages[:3], None
        (t.model_extra or {})["embeddings"].pop("output", None)
    path, bare = tmp_path / "gap.jsonl", tmp_path / "bare.jsonl"
    write_jsonl(trajs, path)
    write_jsonl([t.model_copy(update={"messages": t.messages[:3], "output": None}) for t in _chat("b", 9, 2)],
                bare)
    monkeypatch.setattr(evaluation, "FEATURE_CHUNK", 7)
    config = load_config(embedding={"model": "lexical"}, preset="generic")
    for file in (path, bare):
        streamed = Evaluator(TrajectoryStream(file), config, metric_patterns="fidelity.output.*",
                             progress=False).real_features
        whole = Evaluator(load_dataset(file), config, metric_patterns="fidelity.output.*",
                          progress=False).real_features
        assert streamed.outputs is not None and whole.outputs is not None
        assert np.array_equal(streamed.outputs, whole.outputs)
        assert streamed.outputs.shape == whole.outputs.shape
        assert streamed.embedding["outputs"] == whole.embedding["outputs"]
    assert whole.outputs.shape[0] == 0 and streamed.embedding["outputs"].model.startswith("synae-lexical")


def test_a_real_set_whose_first_pass_fails_decides_nothing(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad record in a later chunk of the streamed real set: the first use of the plan raises the
    record's error (file and line named), and leaves nothing half decided — a second use raises it
    again instead of returning the first chunk's plan."""
    from synae.errors import DataError

    real = tmp_path / "real.jsonl"
    write_jsonl(_chat("r", 20, 1), real)
    with real.open("a") as fh:
        fh.write('{"id": "bad", "messages": "not a list"}\n')
    monkeypatch.setattr(evaluation, "FEATURE_CHUNK", 7)
    ev = Evaluator(TrajectoryStream(real), load_config(embedding={"model": "lexical"}), progress=False)
    for _ in range(2):
        with pytest.raises(DataError, match=r"real\.jsonl.*line 21"):
            _ = ev.metric_ids
    assert ev.feature_seconds(ev.real) is None
