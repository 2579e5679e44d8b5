"""The evaluator on the shipped benchmarks: identical-set sanity, perturbed copies, feature subsets,
metric selection without embedding, failure isolation, and the results JSON."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synae.config import load_config
from synae.embed import make_pipeline
from synae.errors import DataError
from synae.metrics import fidelity, knn
from synae.metrics.registry import make_result
from synae.run.executors import LocalExecutor
from synae.run.inputs import precomputed
from synae.run.inputs.data import load_dataset
from synae.run.scoring.evaluation import DatasetFeatures, Evaluator, evaluate
from synae.schema import Dataset
from synae.views import instruction_transcript

FILES = {
    "t1": ("t1", "t1_attraction_turns_with_output.csv"),
    "bfcl": ("bfcl", "BFCL_v4_multi_turn_base.json"),
    "acp": ("acp", "acp_app_bool.parquet"),
}
LEXICAL = load_config(embedding={"model": "lexical"})


@pytest.fixture(scope="module")
def datasets(bench_data):
    return {name: load_dataset(bench_data.joinpath(*parts)) for name, parts in FILES.items()}


def assert_identical_set_sanity(report):
    for metric_id, m in report.metrics.items():
        assert m.status == "ok", (metric_id, m.reason)
        if metric_id.endswith(("knn_precision", "knn_recall")):
            assert m.value == 1.0, metric_id
        elif metric_id.endswith(".fid"):
            assert m.value <= 1e-9, metric_id
        elif m.pillar == "fidelity":
            assert m.value == 0.0, metric_id
        elif m.pillar == "privacy":  # every eligible synthetic trajectory is a copy of a real one
            assert m.value == (1.0 if m.details.get("eligible", 1) else 0.0), metric_id
        else:
            assert m.value == pytest.approx(m.details["real_value"], rel=1e-12), metric_id


@pytest.mark.parametrize("bench", list(FILES))
def test_real_vs_itself_gives_identity_values(datasets, bench):
    report = evaluate(datasets[bench], datasets[bench], LEXICAL)
    assert_identical_set_sanity(report)
    assert report.config["preset"] == bench
    assert report.datasets["real"].fingerprint == report.datasets["synthetic"].fingerprint
    assert report.embedder.model.startswith("synae-lexical")


def test_metric_sets_follow_the_presets(datasets):
    ids = {b: set(Evaluator(d, LEXICAL).metric_ids) for b, d in datasets.items()}
    assert "fidelity.instructions.knd.user_assistant" in ids["t1"]
    assert "fidelity.instructions.knd.user_user" in ids["bfcl"]
    assert not any(i.startswith("fidelity.output") for i in ids["bfcl"])
    assert not any(".tool_calls." in i for i in ids["acp"])
    assert {"fidelity.tool_calls.planning.k2", "fidelity.tool_calls.planning.k3"} <= ids["t1"]


def test_perturbed_copies_differ(datasets):
    t1 = datasets["t1"]
    subset = Dataset(t1.trajectories[: len(t1) // 3], name="t1_first_third")
    report = evaluate(t1, subset, LEXICAL)
    assert all(m.status == "ok" for m in report.metrics.values())
    assert report.metrics["fidelity.instructions.knn_precision"].value == 1.0  # a subset lies on D
    assert report.metrics["fidelity.instructions.knn_recall"].value < 1.0
    assert report.metrics["fidelity.instructions.am.total_token_length"].value > 0


@pytest.mark.data
def test_the_older_bfcl_copy_differs(shared_data):
    newer = load_dataset(shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json")
    older = load_dataset(shared_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json")
    report = evaluate(newer, older, LEXICAL)
    assert all(m.status == "ok" for m in report.metrics.values())
    for metric_id in ("fidelity.tool_calls.tum", "fidelity.tool_calls.planning.k2",
                      "fidelity.instructions.fid", "fidelity.instructions.am.n_turns",
                      "fidelity.instructions.knd.user_user"):
        assert report.metrics[metric_id].value > 0, metric_id
    assert report.metrics["diversity.tool_calls.vendi"].details["neg_eig_mass"] >= 0


def test_subset_equals_recomputing_on_the_resampled_dataset(datasets):
    real = datasets["t1"]
    ev = Evaluator(real, LEXICAL)
    idx = np.random.default_rng(0).integers(0, len(real), 120)  # with repeats, as a bootstrap draws
    sub = ev.real_features.subset(idx)
    direct = ev.features(Dataset([real.trajectories[i] for i in idx]))
    syn = ev.features(Dataset(real.trajectories[len(real) // 4: 3 * len(real) // 4]))
    a = ev.compute_metrics(sub, syn)
    b = ev.compute_metrics(direct, syn)
    for metric_id in a:
        assert a[metric_id].value == pytest.approx(b[metric_id].value, rel=1e-12, abs=1e-12), metric_id
    assert isinstance(sub, DatasetFeatures) and sub.n == 120


class ExplodingEmbedder:
    name = "boom"
    model_id = "boom"
    window = None
    cacheable = False
    dimension = 3

    def tokenize(self, texts):
        raise AssertionError("must not embed")

    def detokenize(self, tokens):
        raise AssertionError("must not embed")

    def encode(self, texts, batch_size=16):
        raise AssertionError("must not embed")


def test_no_embedding_when_no_selected_metric_needs_it(datasets):
    ev = Evaluator(datasets["t1"], LEXICAL, metric_patterns="fidelity.tool_calls.*, diversity.tool_calls.*",
                   embedder=ExplodingEmbedder())
    report = ev.evaluate(datasets["t1"])
    assert set(report.metrics) == {"fidelity.tool_calls.tum", "fidelity.tool_calls.tcnm",
                                   "fidelity.tool_calls.planning.k2", "fidelity.tool_calls.planning.k3",
                                   "diversity.tool_calls.vendi"}
    assert report.embedder is None
    from synae.errors import ConfigError

    with pytest.raises(ConfigError, match="selects no metric"):
        Evaluator(datasets["t1"], LEXICAL, metric_patterns="nothing.*")


def test_one_failing_metric_does_not_stop_the_others(datasets, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("singular")

    monkeypatch.setattr(fidelity, "frechet_distance", boom)
    report = evaluate(datasets["acp"], datasets["acp"], LEXICAL)
    fid = report.metrics["fidelity.instructions.fid"]
    assert fid.status == "failed" and "singular" in fid.reason and fid.value is None
    assert report.metrics["fidelity.instructions.knn_recall"].status == "ok"


def test_outputs_missing_are_skipped_with_reason(datasets):
    t1 = datasets["t1"]
    stripped = Dataset([t.model_copy(update={"output": None}) for t in t1.trajectories[:30]], name="no_out")
    report = evaluate(t1, stripped, LEXICAL, metric_patterns="*output*")
    for m in report.metrics.values():
        assert m.status == "skipped" and m.reason.startswith("no_outputs"), m.id


def test_extra_metrics_hook_and_json(datasets):
    def extra(real, synthetic):
        return [make_result("validity.output.rate", 0.75, n_synthetic=len(synthetic))]

    report = evaluate(datasets["acp"], datasets["acp"], LEXICAL, extra_metrics=extra)
    assert report.metrics["validity.output.rate"].value == 0.75
    text = report.to_json()
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert {"synae_version", "config", "datasets", "embedder", "metrics"} <= set(data)
    record = data["metrics"]["fidelity.instructions.knn_precision"]
    assert {"value", "status", "reason", "pillar", "target", "direction", "bounds", "n_real", "n_synthetic",
            "details"} <= set(record)
    assert record["details"]["embedding"]["n_truncated"] == 0
    for m in data["metrics"].values():
        assert m["value"] is None or math.isfinite(m["value"])

    def broken(real, synthetic):
        raise RuntimeError("checker crashed")

    report = evaluate(datasets["acp"], datasets["acp"], LEXICAL, extra_metrics=broken,
                      metric_patterns="fidelity.instructions.am.*")
    assert any("checker crashed" in w for w in report.warnings)


def test_reference_mode_is_recorded(datasets):
    report = evaluate(datasets["bfcl"], datasets["bfcl"], load_config(mode="reference",
                                                                      embedding={"model": "lexical"}),
                      metric_patterns="diversity.instructions.ad")
    assert report.config["metrics"]["bfcl_ad_attributes"] == ["primary_api", "secondary_api", "conv_len"]
    assert report.metrics["diversity.instructions.ad"].details["attributes"] == [
        "primary_api", "secondary_api", "conv_len"]


@pytest.mark.slow
def test_minilm_integration_on_a_small_subset(datasets):
    t1 = datasets["t1"]
    real = Dataset(t1.trajectories[:10], name="t1_10")
    config = load_config()
    ev = Evaluator(real, config)
    assert_identical_set_sanity(ev.evaluate(real))
    other = ev.evaluate(Dataset(t1.trajectories[10:20], name="t1_next10"))
    assert other.embedder.model.startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert other.embedder.dimension == 384
    assert 0 < other.metrics["fidelity.instructions.knd.user_assistant"].value < 2
    assert other.metrics["fidelity.instructions.fid"].value > 0
    assert other.metrics["fidelity.instructions.knn_precision"].details["embedding"]["n_truncated"] == 0


def generic_trajectory(i, *, difficulty, topic, tags, calls, output, second_user=False):
    from synae.schema import FunctionCall, Message, ToolCall, Trajectory

    messages = [Message(role="user", content=f"please help with task {i} about {topic}")]
    if calls:
        messages.append(Message(role="assistant", tool_calls=[
            ToolCall(id=f"c{j}", function=FunctionCall(name=name)) for j, name in enumerate(calls)]))
    messages.append(Message(role="assistant", content=f"done with {topic} number {i}"))
    if second_user:
        messages.append(Message(role="user", content=f"thanks, and one more thing {i}"))
    return Trajectory(id=str(i), messages=messages, output=output, metadata={"tool_results": "absent"},
                      attributes={"difficulty": difficulty, "topic": topic, "tags": tags})


def test_generic_preset_with_stored_attributes():
    real = Dataset([generic_trajectory(i, difficulty=i % 3, topic="ab"[i % 2], tags=["x", "y"][: 1 + i % 2],
                                       calls=["f", "g"][: i % 3], output=f"answer {i}", second_user=i < 3)
                    for i in range(12)], name="generic_real")
    syn = Dataset([generic_trajectory(i, difficulty=2, topic="a", tags=["x"], calls=["f"], output=None)
                   for i in range(8)], name="generic_syn")
    report = evaluate(real, syn, LEXICAL, preset="generic")
    m = report.metrics
    assert m["fidelity.instructions.am.difficulty"].value == pytest.approx(1.0)  # W1((0,1,2)×4, 2×8)
    assert m["fidelity.instructions.am.topic"].value == pytest.approx(0.5)
    assert m["fidelity.instructions.am.topic"].bounds == (0.0, 1.0)
    assert m["fidelity.instructions.am.tags"].value == pytest.approx(1 - 12 / 18)  # x: 12/18 vs 1
    assert m["fidelity.instructions.knd.user_user"].status == "skipped"  # no consecutive users in D′
    assert m["fidelity.output.fid"].reason.startswith("no_outputs")
    assert m["diversity.instructions.ad"].value == 0.0
    assert m["diversity.instructions.ad"].details["attributes"] == ["topic", "tags"]
    assert m["diversity.instructions.ad"].details["real_value"] > 0
    assert m["fidelity.tool_calls.tum"].value == pytest.approx(0.5 * (abs(8 / 12 - 1) + 4 / 12))


def test_legacy_flattened_knd_is_reported_not_silently_replaced(datasets):
    config = load_config(metrics={"knd_pairing": "flattened"}, embedding={"model": "lexical"})
    report = evaluate(datasets["acp"], datasets["acp"], config, metric_patterns="*.knd.*")
    result = report.metrics["fidelity.instructions.knd.context_question"]
    assert result.status == "skipped" and result.reason.startswith("not_implemented")


@pytest.mark.parametrize("mode", ["default", "reference"])
def test_ad_labels_reused_from_am_equal_the_presets_first_match(datasets, mode):
    from synae.presets import get_preset

    config = load_config(mode=mode, embedding={"model": "lexical"})
    t1 = datasets["t1"]
    features = Evaluator(t1, config, metric_patterns="*am.city,*am.type,*.ad").features(t1)
    preset = get_preset("t1")
    expected = [preset.ad_labels(t, config.metrics, attributes=["city", "type"]) for t in t1]
    assert features.ad_labels == expected


def test_oversampling_one_trajectory_gives_minimal_diversity(datasets):
    t1 = datasets["t1"]
    copies = Dataset([t1.trajectories[0]] * 20, name="copies")
    report = evaluate(t1, copies, LEXICAL, metric_patterns="diversity.*,fidelity.instructions.knn_*")
    m = report.metrics
    for metric_id in ("diversity.instructions.vendi", "diversity.tool_calls.vendi", "diversity.output.vendi"):
        assert m[metric_id].value == pytest.approx(1.0, abs=1e-9), metric_id
    assert m["diversity.instructions.ad"].value == 0.0
    transcripts = [instruction_transcript(t) for t in t1]
    assert m["fidelity.instructions.knn_recall"].value == pytest.approx(
        transcripts.count(transcripts[0]) / len(t1))
    assert m["fidelity.instructions.knn_precision"].value == 1.0


# ------------------------------------------------------------------------------------------------
# Executors and precomputed embeddings


class CountingExecutor(LocalExecutor):
    """The local executor, counting the stage calls the evaluator makes."""

    def __init__(self) -> None:
        super().__init__(device="cpu")
        self.calls: Counter[str] = Counter()

    def embed(self, make_pipeline, texts, shard_size=4096):
        self.calls["embed"] += 1
        assert len(set(texts)) == len(texts)  # distinct texts only
        return super().embed(make_pipeline, texts, shard_size)

    def knn_prepare(self, x, k=3):
        self.calls["knn_prepare"] += 1
        return super().knn_prepare(x, k)

    def knn_precision_recall(self, real, synthetic, k=3):
        self.calls["knn_precision_recall"] += 1
        return super().knn_precision_recall(real, synthetic, k)


def _outcomes(report):
    return {i: (m.status, m.value, m.reason, m.details) for i, m in report.metrics.items()}


def test_executor_runs_embeddings_and_knn_with_the_engines_values(datasets):
    real = datasets["t1"]
    syn = Dataset(real.trajectories[::2], name="half")
    ex = CountingExecutor()
    ev = Evaluator(real, LEXICAL, executor=ex)
    report = ev.evaluate(syn)
    assert ex.calls["knn_precision_recall"] == 2  # instructions and outputs, one pass each
    assert ex.calls["embed"] == 6  # transcripts, outputs, turn pairs; both sides
    real_f, syn_f = ev.real_features, ev.features(syn)
    pipeline = make_pipeline(LEXICAL.embedding)
    roles = ev.preset.instruction_roles
    assert np.array_equal(real_f.transcripts, pipeline.embed(
        [instruction_transcript(t, roles) for t in real.trajectories]).vectors)
    for target, x, y in (("instructions", real_f.transcripts, syn_f.transcripts),
                         ("output", real_f.outputs, syn_f.outputs)):
        want = knn.knn_precision_recall(x, y, LEXICAL.metrics.knn_k)
        got = [report.metrics[f"fidelity.{target}.knn_{name}"] for name in ("precision", "recall")]
        assert [(g.value, {k: g.details[k] for k in w.details}) for g, w in zip(got, want, strict=True)] == \
            [(w.value, w.details) for w in want]
    prepared = ex.calls["knn_prepare"]
    assert _outcomes(ev.evaluate(syn)) == _outcomes(report)
    # the real references are reused; on the CPU the numpy engine prepares the synthetic sides itself
    assert ex.calls["knn_prepare"] == prepared
    with Evaluator(real, LEXICAL, executor="local", device="cpu") as named:
        assert _outcomes(named.evaluate(syn)) == _outcomes(report)
        assert named.executor.name == "local"


def _with_record_vectors(dataset: Dataset, transcripts: np.ndarray, outputs: np.ndarray) -> Dataset:
    rows, out_rows = iter(transcripts.tolist()), iter(outputs.tolist())
    trajs = []
    for t in dataset.trajectories:
        vectors = {"transcript": next(rows)}
        if t.output is not None:
            vectors["output"] = next(out_rows)
        trajs.append(t.model_copy(update={"embeddings": vectors}))
    return Dataset(trajs, name=dataset.name, source=dataset.source)


VECTOR_METRICS = "fidelity.instructions.knn_*,fidelity.output.knn_*,*.fid,diversity.instructions.vendi"


def test_precomputed_vectors_replace_the_embedding_stage(datasets, tmp_path):
    real = datasets["t1"]
    syn = Dataset(real.trajectories[1::2], name="odd")
    embedded = Evaluator(real, LEXICAL, metric_patterns=VECTOR_METRICS)
    want = embedded.evaluate(syn)
    real_f, syn_f = embedded.real_features, embedded.features(syn)

    def values(report):
        return {i: (m.value, {k: v for k, v in m.details.items() if k != "embedding"})
                for i, m in report.metrics.items()}

    # 1. an ``embeddings`` field on every record
    ev = Evaluator(_with_record_vectors(real, real_f.transcripts, real_f.outputs), LEXICAL,
                   metric_patterns=VECTOR_METRICS, embedder=ExplodingEmbedder())
    got = ev.evaluate(_with_record_vectors(syn, syn_f.transcripts, syn_f.outputs))
    assert values(got) == values(want)
    assert got.metrics["fidelity.instructions.fid"].details["embedding"]["model"] == "precomputed"
    # 2. side files: .npy (memory-mapped, record order) and Parquet (by id, any order)
    np.save(tmp_path / "real_t.npy", real_f.transcripts)
    np.save(tmp_path / "syn_t.npy", syn_f.transcripts)
    real2, syn2 = Dataset(list(real.trajectories), name="real"), Dataset(list(syn.trajectories), name="odd")
    assert isinstance(precomputed.attach(real2, "transcript", tmp_path / "real_t.npy"), np.memmap)
    precomputed.attach(syn2, "transcript", tmp_path / "syn_t.npy")
    for ds, f, name in ((real2, real_f, "real_o"), (syn2, syn_f, "syn_o")):
        ids = [t.id for t in ds.trajectories if t.output is not None]
        table = pa.table({"id": ids[::-1], "output": [list(map(float, r)) for r in f.outputs[::-1]]})
        pq.write_table(table, tmp_path / f"{name}.parquet")
        precomputed.attach(ds, "output", tmp_path / f"{name}.parquet")
    ev = Evaluator(real2, LEXICAL, metric_patterns=VECTOR_METRICS, embedder=ExplodingEmbedder())
    assert values(ev.evaluate(syn2)) == values(want)


def test_precomputed_vectors_are_checked(datasets, tmp_path):
    real = datasets["t1"]
    n = len(real)
    np.save(tmp_path / "short.npy", np.zeros((n - 1, 4), dtype=np.float32))
    with pytest.raises(DataError, match=rf"short\.npy: {n - 1} transcript vectors for {n} trajectories"):
        precomputed.attach(Dataset(list(real.trajectories)), "transcript", tmp_path / "short.npy")
    pq.write_table(pa.table({"id": [real[0].id], "transcript": [[0.0, 1.0]]}), tmp_path / "few.parquet")
    with pytest.raises(DataError, match=rf"few\.parquet: no transcript vector for trajectory {real[1].id!r}"):
        precomputed.attach(Dataset(list(real.trajectories)), "transcript", tmp_path / "few.parquet")
    rows = np.ones((n, 3), dtype=np.float32)
    bad = _with_record_vectors(real, rows, np.ones((sum(t.output is not None for t in real), 3)))
    bad.trajectories[2].embeddings["transcript"] = [1.0, 2.0]  # type: ignore[attr-defined]
    with pytest.raises(DataError, match=rf"trajectory {real[2].id!r}: field 'embeddings.transcript': "
                                        "vector of dimension 2, expected 3"):
        precomputed.vectors(bad, "transcript")
    del bad.trajectories[3].embeddings["transcript"]  # type: ignore[attr-defined]
    bad.trajectories[2].embeddings["transcript"] = [1.0, 2.0, 3.0]  # type: ignore[attr-defined]
    with pytest.raises(DataError, match=rf"{real[3].id!r}.*no transcript vector while other records"):
        precomputed.vectors(bad, "transcript")
    other = Dataset(list(real.trajectories), name="other", source="other.jsonl")
    np.save(tmp_path / "wide.npy", np.ones((n, 5), dtype=np.float32))
    precomputed.attach(other, "transcript", tmp_path / "wide.npy")
    ev = Evaluator(_with_record_vectors(real, rows, np.ones((sum(t.output is not None for t in real), 3))),
                   LEXICAL, metric_patterns="fidelity.instructions.fid")
    with pytest.raises(DataError, match=r"transcript vectors have dimension 3 .* but 5 in 'other.jsonl'"):
        ev.evaluate(other)
