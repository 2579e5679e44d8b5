"""`synae evaluate` end to end with the lexical embedder."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from synae.cli.app import app
from synae.errors import ConfigError

runner = CliRunner()


@pytest.mark.data
def test_evaluate_writes_results_and_prints_a_table(shared_data, tmp_path):
    data = shared_data / "acp" / "acp_app_bool.parquet"
    out = tmp_path / "results.json"
    result = runner.invoke(app, ["evaluate", "--real", str(data), "--synthetic", str(data),
                                 "--embedder", "lexical", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "instructions" in result.output and "knn_precision" in result.output and "↑" in result.output
    data_json = json.loads(out.read_text())
    assert data_json["config"]["preset"] == "acp"
    assert data_json["metrics"]["fidelity.instructions.knn_recall"]["value"] == 1.0
    assert data_json["datasets"]["real"]["n"] == 130


@pytest.mark.data
def test_evaluate_metric_patterns_json_and_mode(shared_data, tmp_path):
    real = shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json"
    older = shared_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json"
    result = runner.invoke(app, ["evaluate", "--real", str(real), "--synthetic", str(older),
                                 "--mode", "reference", "--metrics", "fidelity.tool_calls.*", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["metrics"]) == {"fidelity.tool_calls.tum", "fidelity.tool_calls.tcnm",
                                    "fidelity.tool_calls.planning.k2", "fidelity.tool_calls.planning.k3"}
    assert data["config"]["mode"] == "reference" and data["embedder"] is None
    assert data["metrics"]["fidelity.tool_calls.tum"]["value"] > 0


def test_evaluate_bad_options_are_config_errors(bench_data):
    data = str(bench_data / "acp" / "acp_app_bool.parquet")
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--metrics", "nope.*"])
    assert isinstance(result.exception, ConfigError)
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--validity", "maybe"])
    assert isinstance(result.exception, ConfigError)


def test_config_file_values_apply_unless_a_flag_overrides(bench_data, tmp_path):
    data = str(bench_data / "acp" / "acp_app_bool.parquet")
    config = tmp_path / "synae.yaml"
    config.write_text("mode: reference\nmetrics:\n  knn_k: 5\nembedding:\n  model: lexical\n")
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--config", str(config),
                                 "--metrics", "fidelity.instructions.knn_*", "--json"])
    assert result.exit_code == 0, result.output
    data_json = json.loads(result.output)
    assert data_json["config"]["mode"] == "reference"
    assert data_json["metrics"]["fidelity.instructions.knn_recall"]["details"]["k"] == 5
    assert data_json["embedder"]["model"].startswith("synae-lexical")


def test_validity_rules_are_added_to_the_results(bench_data):
    real = str(bench_data / "t1" / "t1_attraction_turns_with_output.csv")
    syn = str(bench_data / "t1" / "t1_attraction_augmented_valid.csv")
    result = runner.invoke(app, ["evaluate", "--real", real, "--synthetic", syn, "--validity", "rules",
                                 "--metrics", "fidelity.tool_calls.tum", "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)["metrics"]
    assert metrics["validity.tool_calls.rate"]["status"] == "ok"
    assert 0 <= metrics["validity.output.rate"]["value"] <= 1
    assert "fidelity.tool_calls.tum" in metrics


def test_full_path_validity_downstream_uncertainty_and_report(bench_data, tmp_path):
    """One command: rule validity, two scripted downstream agents, bootstrap CIs, aggregates, HTML."""
    from synae.adapters.export import write_dataset
    from synae.generate.invalidate import invalidate
    from synae.presets import get_preset
    from synae.run.inputs.data import load_dataset
    from synae.schema import Dataset

    # every other row: both groups, every domain; 26 rows keep the bootstrap's jackknife short
    real = Dataset(load_dataset(bench_data / "acp" / "acp_app_prog.csv").trajectories[::2], name="acp")
    real_path = tmp_path / "real.jsonl"
    write_dataset(real, real_path, "canonical")
    flipped_path = tmp_path / "flipped.jsonl"
    write_dataset(invalidate(real, 0.5, preset=get_preset("acp"), seed=123), flipped_path, "canonical")
    out, html = tmp_path / "results.json", tmp_path / "report.html"
    result = runner.invoke(app, [
        "evaluate", "--real", str(real_path), "--synthetic", str(flipped_path), "--embedder", "lexical",
        "--validity", "rules", "--downstream", "oracle", "--downstream", "noisy-oracle:0.5", "--runs", "1",
        "--bootstrap", "5", "--out", str(out), "--report", str(html)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    metrics = data["metrics"]
    assert metrics["validity.output.rate"]["value"] == 0.5  # half the answers flipped: invalid by provenance
    assert metrics["validity.output.rate"]["details"]["real_value"] == 1.0
    # the oracle replays each set's own answers: both sets are solved alike, so no task difficulty gap
    assert metrics["fidelity.downstream.tdd.output"]["status"] == "ok"
    assert metrics["fidelity.downstream.rd.output"]["value"] == 1.0
    assert len(metrics["fidelity.instructions.knd.context_question"]["details"]["ci"]) == 2
    assert set(data["aggregates"]["scores"][data["aggregates"]["members"][-1]]) >= {"validity", "fidelity"}
    assert data["report_data"]
    page = html.read_text()
    assert "<svg" in page and "validity.output.rate" in page
    assert "Pillar scores" in result.output


def test_downstream_model_agent_through_a_loopback_endpoint(bench_data, tmp_path):
    """`--downstream MODEL` reaches a real OpenAI-compatible server; the model always answers "yes",
    so its success rate on each set is that set's share of "yes" answers."""
    from helpers.openai_server import ScriptedOpenAIServer
    from synae.adapters.export import write_dataset
    from synae.run.inputs.data import load_dataset
    from synae.schema import Dataset

    acp = load_dataset(bench_data / "acp" / "acp_app_prog.csv")
    real = Dataset(acp.trajectories[:12], name="real")
    synthetic = Dataset(acp.trajectories[12:24], name="synthetic")
    paths = {}
    for ds in (real, synthetic):
        paths[ds.name] = tmp_path / f"{ds.name}.jsonl"
        write_dataset(ds, paths[ds.name], "canonical")
    out = tmp_path / "results.json"
    with ScriptedOpenAIServer(default_text="Yes.") as server:
        result = runner.invoke(app, [
            "evaluate", "--real", str(paths["real"]), "--synthetic", str(paths["synthetic"]),
            "--embedder", "lexical", "--metrics", "diversity.*", "--downstream", "always-yes",
            "--downstream", "noisy-oracle:0.5", "--runs", "1", "--llm-base-url", server.base_url,
            "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert {r["model"] for r in server.requests} == {"always-yes"}
        assert len(server.requests) == 24  # one call per trajectory and set (ACP)
    tdd = json.loads(out.read_text())["metrics"]["fidelity.downstream.tdd.output"]
    agents = {a["name"]: a for a in tdd["details"]["agents"]}
    yes_share = {ds.name: sum(t.output == "yes" for t in ds) / len(ds) for ds in (real, synthetic)}
    assert agents["always-yes"]["real"]["mean"] == yes_share["real"]
    assert agents["always-yes"]["synthetic"]["mean"] == yes_share["synthetic"]
    assert (tmp_path / "results.agents").is_dir()


def test_bad_downstream_agent_fails_before_any_work(bench_data):
    data = str(bench_data / "acp" / "acp_app_bool.parquet")
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--embedder", "lexical",
                                 "--downstream", "noisy-oracle:lots"])
    assert isinstance(result.exception, ConfigError) and "noise rate" in str(result.exception)


def test_instruction_only_sets_warn_and_skipped_records_are_counted(bench_data, tmp_path):
    """A synthetic set that still needs completion is flagged (console and JSON), and with
    --skip-invalid the JSON says how many records of each set were skipped and why."""
    from synae.run.inputs.data import load_dataset
    from synae.schema import Message, write_jsonl

    trajs = load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv").trajectories[:12]
    real, synthetic = tmp_path / "real.jsonl", tmp_path / "synthetic.jsonl"
    write_jsonl(trajs, real)
    instructions_only = [t.model_copy(update={
        "messages": [Message(role="user", content=m.content) for m in t.messages if m.role == "user"],
        "output": None, "metadata": {"generation": {"method": "fewshot", "needs_completion": True}}})
        for t in trajs[:5]]
    write_jsonl([*trajs[5:], *instructions_only], synthetic)
    with synthetic.open("a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    args = ["evaluate", "--real", str(real), "--synthetic", str(synthetic), "--embedder", "lexical",
            "--metrics", "fidelity.tool_calls.*", "--skip-invalid", "--preset", "t1"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["warnings"] == ["synthetic: 5 trajectories have no tool calls or output; complete them with "
                                "--complete-with (synae generate) before scoring their validity"]
    assert data["skipped"]["real"] == {"n_skipped": 0, "first": []}
    skipped = data["skipped"]["synthetic"]
    assert skipped["n_skipped"] == 1 and "line 13" in skipped["first"][0]
    table = runner.invoke(app, args)
    assert "5 trajectories have no tool calls or output" in table.output
    assert "synthetic: skipped 1 invalid record(s)" in table.output


def _generic_set(tmp_path, n=12):
    """A small generic canonical set with record fields, its transcript vectors, and vectors shifted
    far away (a synthetic set whose vectors share nothing with the real ones)."""
    import numpy as np

    rng = np.random.default_rng(0)
    path = tmp_path / "real.jsonl"
    path.write_text("".join(json.dumps({
        "id": f"r{i}", "metadata": {"difficulty": ["easy", "hard"][i % 2], "score": i},
        "messages": [{"role": "user", "content": f"question {i} about topic {i % 3}"},
                     {"role": "assistant", "content": f"answer {i}"}]}) + "\n" for i in range(n)))
    np.save(tmp_path / "real.npy", rng.normal(size=(n, 8)).astype("float32"))
    np.save(tmp_path / "far.npy", (rng.normal(size=(n, 8)) + 100).astype("float32"))
    return path


def test_precomputed_embeddings_attribute_fields_and_compute_options(tmp_path):
    data = str(_generic_set(tmp_path))
    result = runner.invoke(app, [
        "evaluate", "--real", data, "--synthetic", data,
        "--embeddings", f"transcript={tmp_path / 'real.npy'}",
        "--synthetic-embeddings", f"transcript={tmp_path / 'far.npy'}",
        "--attribute-field", "metadata.difficulty", "--attribute-field", "metadata.score",
        "--aggregate-scale", "group",
        "--executor", "local", "--device", "cpu", "--metrics", "fidelity.instructions.*", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    metrics = report["metrics"]
    # same texts, far-apart vectors: the vectors given were used on both sides, not the texts
    assert metrics["fidelity.instructions.knn_precision"]["value"] == 0.0
    assert report["embedder"]["model"] == "precomputed"
    assert metrics["fidelity.instructions.am.metadata.difficulty"]["value"] == 0.0
    assert metrics["fidelity.instructions.am.metadata.score"]["details"]["mean_real"] == 5.5
    assert report["config"]["compute"] == {"executor": "local", "ray_address": None, "device": "cpu",
                                           "ray_connect_timeout": 30.0}
    assert report["config"]["evaluation"]["aggregate_scale"] == "group"
    assert report["config"]["metrics"]["attribute_fields"] == ["metadata.difficulty", "metadata.score"]


def test_attribute_fields_of_a_benchmark_preset_and_bad_mappings_are_config_errors(bench_data, tmp_path):
    data = str(bench_data / "acp" / "acp_app_bool.parquet")
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data,
                                 "--attribute-field", "metadata.x"])
    assert isinstance(result.exception, ConfigError) and "generic preset" in str(result.exception)
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data,
                                 "--embeddings", "transcript"])
    assert isinstance(result.exception, ConfigError) and "--embeddings" in str(result.exception)


def test_ray_executor_without_ray_fails_at_once_with_the_install_hint(tmp_path, capsys, monkeypatch):
    import sys

    from helpers.synae_cli import run_synae

    data = _generic_set(tmp_path)
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError: Ray not installed
    code, _, err = run_synae(["evaluate", "--real", data, "--synthetic", data, "--executor", "ray",
                              "--out", tmp_path / "r.json"], capsys, monkeypatch)
    assert code == 2 and "pip install 'synae[ray]'" in err
    assert not (tmp_path / "r.json").exists()


def test_outputs_under_a_file_or_on_a_read_only_path_fail_before_any_work(tmp_path, capsys, monkeypatch):
    import synae.run.scoring.evaluation
    from helpers.synae_cli import run_synae

    def no_work(*args, **kwargs):
        raise AssertionError("the computation started before the outputs were checked")

    monkeypatch.setattr(synae.run.scoring.evaluation.Evaluator, "__init__", no_work)
    data = _generic_set(tmp_path)
    (tmp_path / "taken").write_text("x")
    base = ["--real", data, "--synthetic", data, "--embedder", "lexical"]
    for args, message in [
        (["evaluate", *base, "--out", tmp_path / "taken" / "r.json"], "taken is a file, not a folder"),
        (["evaluate", *base, "--report", "/proc/synae/report.html"], "/proc refuses new files"),
        (["compare", *base, "--out", tmp_path / "taken"], "exists and is not a folder"),
        (["compare", *base, "--out", tmp_path / "taken" / "runs"], "taken is a file, not a folder"),
        (["validate", data, "--validity", "rules", "--out", tmp_path / "taken" / "v.jsonl"], "is a file"),
    ]:
        code, _, err = run_synae(args, capsys, monkeypatch)
        assert code == 2 and message in err and "Traceback" not in err, (args, err)


def test_evaluate_commits_results_and_report_together(tmp_path):
    data = str(_generic_set(tmp_path))
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    html.write_text("previous report")
    result = runner.invoke(app, ["evaluate", "--real", data, "--synthetic", data, "--embedder", "lexical",
                                 "--metrics", "fidelity.instructions.knn_*", "--out", str(out),
                                 "--report", str(html)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["metrics"] and "previous report" not in html.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_executor_failure_exits_with_code_5(tmp_path, capsys, monkeypatch):
    import synae.run.commands
    from helpers.synae_cli import run_synae
    from synae.errors import ExecutorError

    def dies(*args, **kwargs):
        raise ExecutorError("embedding failed: a Ray embedding actor died, and again after one retry")

    monkeypatch.setattr(synae.run.commands, "evaluate_command", dies)
    data = _generic_set(tmp_path)
    code, _, err = run_synae(["evaluate", "--real", data, "--synthetic", data], capsys, monkeypatch)
    assert code == 5 and "error: embedding failed: a Ray embedding actor died" in err
    assert "Traceback" not in err


def test_downstream_metrics_survive_hostile_bfcl_trajectories(tmp_path):
    """Issue 21: a folder copied into itself crashed the state comparison and ``evaluate`` dropped every
    downstream metric (exit 0); a trajectory beyond the state budget is now unscored, the rest scored."""
    from helpers.hostile_bfcl import doubling_calls, fs_trajectory, self_copy_calls
    from synae.schema import write_jsonl

    plain = [fs_trajectory("plain", [("mkdir", {"dir_name": "a"})]),
             fs_trajectory("cycle", self_copy_calls())]
    real, synthetic, out = tmp_path / "real.jsonl", tmp_path / "synthetic.jsonl", tmp_path / "results.json"
    write_jsonl(plain, real)
    write_jsonl([fs_trajectory("doubling", doubling_calls(40)), *plain], synthetic)
    result = runner.invoke(app, [
        "evaluate", "--real", str(real), "--synthetic", str(synthetic), "--preset", "bfcl",
        "--embedder", "lexical", "--metrics", "fidelity.tool_calls.tum", "--validity", "none",
        "--downstream", "oracle", "--downstream", "noisy-oracle:0.5", "--runs", "1", "--out", str(out)],
        env={"SYNAE_DOWNSTREAM_STATE_MAX_NODES": "400"})
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())["metrics"]
    tdd = metrics["fidelity.downstream.tdd.tool_calls"]
    assert tdd["status"] == "ok" and "fidelity.downstream.rd.tool_calls" in metrics
    oracle = tdd["details"]["agents"][0]["synthetic"]
    assert oracle["counts"] == [{"success": 2, "failure": 0, "unscored": 1}]
    assert oracle["unscored_reasons"] == {"state_budget_exceeded": 1}
