"""``synae report``, ``synae gate`` and ``synae compare`` end to end (lexical embedder)."""

from __future__ import annotations

import json

import pytest

from helpers.report_fixtures import metric, perturbed_copy, report
from helpers.synae_cli import run_synae
from synae.cli.report import _greedy_lists
from synae.errors import ConfigError
from synae.run.inputs.data import load_dataset
from synae.run.scoring.aggregate import aggregate_single
from synae.schema import write_jsonl


@pytest.fixture
def results_file(tmp_path):
    ms = {m.id: m for m in [metric("validity.tool_calls.rate", 0.92), metric("fidelity.tool_calls.tum", 0.08),
                            metric("fidelity.instructions.fid", None)]}
    rep = report(ms)
    rep.aggregates = aggregate_single(rep.metrics, "syn")
    path = tmp_path / "results.json"
    rep.write(path)
    return path


def test_gate_exit_codes(tmp_path, results_file, capsys, monkeypatch) -> None:
    passing = tmp_path / "pass.yaml"
    passing.write_text("fidelity.tool_calls.tum: {max: 0.1}\nvalidity: {min: 0.9}\n")
    code, out, _ = run_synae(["gate", results_file, "--thresholds", passing], capsys, monkeypatch)
    assert code == 0 and "PASS" in out and "FAIL" not in out
    failing = tmp_path / "fail.toml"
    failing.write_text('["fidelity.tool_calls.tum"]\nmax = 0.05\n')
    code, out, _ = run_synae(["gate", results_file, "--thresholds", failing], capsys, monkeypatch)
    assert code == 1 and "FAIL" in out
    missing = tmp_path / "missing.yaml"
    missing.write_text("fidelity.instructions.fid: {max: 1.0}\n")
    code, out, _ = run_synae(["gate", results_file, "--thresholds", missing, "--json"], capsys, monkeypatch)
    assert code == 3 and json.loads(out)["checks"][0]["outcome"] == "missing"
    bad = tmp_path / "bad.yaml"
    bad.write_text("validity: 0.9\n")
    code, _, err = run_synae(["gate", results_file, "--thresholds", bad], capsys, monkeypatch)
    assert code == 2 and "bounds must be a mapping" in err


def test_report_rerenders_from_json_alone(tmp_path, results_file, capsys, monkeypatch) -> None:
    """Results without report data are refused (never a page without charts); with it the page
    comes from the JSON alone."""
    from helpers.report_fixtures import trajectory
    from synae.results import load_any
    from synae.run.scoring.report_data import build_report_data

    out = tmp_path / "out" / "r.html"
    code, _, err = run_synae(["report", results_file, "--out", out], capsys, monkeypatch)
    assert code == 2 and "no report data" in err and "--report" in err and not out.exists()
    rep = load_any(results_file)
    rep.report_data = build_report_data([trajectory(f"r{i}", f"tour {i}", ["search"]) for i in range(6)],
                                        [trajectory(f"s{i}", f"park {i}", ["book"]) for i in range(4)])
    rep.write(results_file)
    code, stdout, _ = run_synae(["report", results_file, "--out", out], capsys, monkeypatch)
    assert code == 0 and "Pillar scores" in stdout
    html = out.read_text()
    assert "fidelity.tool_calls.tum" in html and "Moderate" in html and "<svg" in html
    not_results = tmp_path / "x.json"
    not_results.write_text("[1, 2]")
    code, _, err = run_synae(["report", not_results, "--out", out], capsys, monkeypatch)
    assert code == 2 and "x.json" in err


def test_greedy_lists() -> None:
    args = ["--synthetic", "a", "b", "--labels", "x,y", "--synthetic", "c", "--param-values=1,2"]
    got = _greedy_lists(args)
    assert got == {"--synthetic": ["a", "b", "c"], "--labels": ["x", "y"], "--param-values": ["1", "2"]}
    with pytest.raises(ConfigError, match="unexpected argument"):
        _greedy_lists(["stray"])
    with pytest.raises(ConfigError, match="unexpected argument"):
        _greedy_lists(["--synthetic", "a", "--unknown"])


def test_compare_writes_results_and_report(tmp_path, bench_data, capsys, monkeypatch) -> None:
    real = load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv")
    subset = real.trajectories[:60]
    write_jsonl(subset, tmp_path / "real.jsonl")
    write_jsonl(perturbed_copy(subset, seed=1), tmp_path / "a.jsonl")
    write_jsonl(perturbed_copy(subset, seed=2)[:30], tmp_path / "b.jsonl")
    out = tmp_path / "cmp"
    code, stdout, err = run_synae(
        ["compare", "--real", tmp_path / "real.jsonl",
         "--synthetic", tmp_path / "a.jsonl", tmp_path / "b.jsonl",
         "--labels", "A", "B", "--param-values", "0.1", "0.2", "--param-name", "noise", "--preset", "t1",
         "--embedder", "lexical", "--noise-floor", "2", "--out", out,
         "--metrics", "fidelity.tool_calls.*,fidelity.instructions.am.*,fidelity.instructions.knn_*"],
        capsys, monkeypatch)
    assert code == 0, err
    data = json.loads((out / "results.json").read_text())
    assert data["kind"] == "comparison" and list(data["members"]) == ["A", "B"]
    assert data["param_values"] == [0.1, 0.2] and data["aggregates"]["reference"] == "real (self)"
    tum = data["members"]["A"]["metrics"]["fidelity.tool_calls.tum"]
    assert tum["details"]["noise_floor"]["n"] == 2 and tum["details"]["noise_floor"]["half_size"] == 30
    assert data["members"]["A"]["report_data"]["embedding_map"]["real"]["n"] == 60
    html = (out / "report.html").read_text()
    for section in ("summary", "ranking", "radar", "metrics", "attributes", "tools", "embedding", "drilldown",
                    "sweep"):
        assert f'id="{section}"' in html
    assert "A" in stdout and "B" in stdout
    real_opt = ["--real", tmp_path / "real.jsonl"]
    code, _, err = run_synae(["compare", *real_opt, "--out", out], capsys, monkeypatch)
    assert code == 2 and "at least one --synthetic" in err
    code, _, err = run_synae(["compare", *real_opt, "--synthetic", tmp_path / "a.jsonl",
                              "--labels", "A", "B", "--out", out], capsys, monkeypatch)
    assert code == 2 and "--labels must give 1" in err


def test_compare_takes_precomputed_vectors_per_label(tmp_path, capsys, monkeypatch) -> None:
    """``{label}`` in a --synthetic-embeddings path names each set's file; without it two sets
    would share one file, which is refused."""
    import numpy as np

    rng = np.random.default_rng(0)
    lines = [json.dumps({"id": f"r{i}", "messages": [{"role": "user", "content": f"question {i}"},
                                                      {"role": "assistant", "content": f"answer {i}"}]})
             for i in range(10)]
    (tmp_path / "real.jsonl").write_text("\n".join(lines) + "\n")
    vectors = rng.normal(size=(10, 4)).astype("float32")
    np.save(tmp_path / "real.npy", vectors)
    np.save(tmp_path / "near.npy", vectors)
    np.save(tmp_path / "far.npy", vectors + 100)
    common = ["compare", "--real", tmp_path / "real.jsonl", "--synthetic", tmp_path / "real.jsonl",
              tmp_path / "real.jsonl", "--labels", "near", "far", "--embeddings",
              f"transcript={tmp_path / 'real.npy'}", "--no-html", "--metrics", "fidelity.instructions.knn_*",
              "--out", tmp_path / "cmp"]
    code, _, err = run_synae([*common, "--synthetic-embeddings", f"transcript={tmp_path / 'near.npy'}"],
                             capsys, monkeypatch)
    assert code == 2 and "{label}" in err
    code, _, err = run_synae([*common, "--synthetic-embeddings", f"transcript={tmp_path / '{label}.npy'}"],
                             capsys, monkeypatch)
    assert code == 0, err
    members = json.loads((tmp_path / "cmp" / "results.json").read_text())["members"]
    assert members["near"]["metrics"]["fidelity.instructions.knn_recall"]["value"] == 1.0
    assert members["far"]["metrics"]["fidelity.instructions.knn_recall"]["value"] == 0.0


PII_RUN = ["--embedder", "lexical", "--validity", "none", "--metrics",
           "fidelity.instructions.knn_precision,fidelity.instructions.am.tag,privacy.instructions.*"]


def _pii_files(tmp_path):
    from helpers.pii_fixtures import pii_sets

    real, syn = pii_sets()
    write_jsonl(real, tmp_path / "real.jsonl")
    write_jsonl(syn, tmp_path / "syn.jsonl")
    return ["--real", tmp_path / "real.jsonl", "--synthetic", tmp_path / "syn.jsonl", *PII_RUN]


def test_shareable_outputs_hold_no_raw_pii(tmp_path, capsys, monkeypatch) -> None:
    """evaluate --report: no raw PII value of either set (nor a secret part of one) in the results
    JSON or the page, the synthetic id equal to a real e-mail included; nor in `synae report`'s page."""
    from helpers.pii_fixtures import leaked

    out, html = tmp_path / "results.json", tmp_path / "report.html"
    code, _, err = run_synae(["evaluate", *_pii_files(tmp_path), "--out", out, "--report", html],
                             capsys, monkeypatch)
    assert code == 0, err
    assert leaked(out.read_text()) == [] and leaked(html.read_text()) == []
    data = json.loads(out.read_text())
    assert data["report_data"]["pii_masked"] is True
    assert "«email»#1" in data["report_data"]["embedding_map"]["synthetic"]["ids"]
    code, _, err = run_synae(["report", out, "--out", tmp_path / "again.html"], capsys, monkeypatch)
    assert code == 0, err
    assert leaked((tmp_path / "again.html").read_text()) == [] and 'id="raw-pii"' not in html.read_text()


def test_show_pii_is_an_explicit_opt_in_for_a_private_report(tmp_path, capsys, monkeypatch) -> None:
    """--show-pii keeps the raw values and says so on the page; `synae report` renders such a
    results file only with --show-pii."""
    from helpers.pii_fixtures import RAW, leaked

    private, private_html = tmp_path / "private.json", tmp_path / "private.html"
    code, _, err = run_synae(["evaluate", *_pii_files(tmp_path), "--out", private, "--report", private_html,
                              "--show-pii"], capsys, monkeypatch)
    assert code == 0, err
    assert set(leaked(private.read_text())) >= set(RAW)
    assert 'id="raw-pii"' in private_html.read_text() and leaked(private_html.read_text())
    assert json.loads(private.read_text())["config"]["output"]["show_pii"] is True
    code, _, err = run_synae(["report", private, "--out", tmp_path / "p2.html"], capsys, monkeypatch)
    assert code == 2 and "--show-pii" in err and not (tmp_path / "p2.html").exists()
    code, _, err = run_synae(["report", private, "--out", tmp_path / "p2.html", "--show-pii"],
                             capsys, monkeypatch)
    assert code == 0, err
    assert 'id="raw-pii"' in (tmp_path / "p2.html").read_text()


def test_dollar_signs_in_a_file_name_and_an_attribute_value_render(tmp_path, capsys, monkeypatch) -> None:
    """``$…$`` is text wherever it comes from: the synthetic file's name (the set's label) and an
    attribute value reach the charts of evaluate --report and of `synae report` literally."""
    from helpers.report_fixtures import trajectory

    real = [trajectory(f"r{i}", f"tour {i}", ["search"], attributes={"tag": ["$x^$", "$\\foo$"][i % 2]})
            for i in range(8)]
    syn = [trajectory(f"s{i}", f"park {i}", ["search"], attributes={"tag": "$x^$"}) for i in range(6)]
    write_jsonl(real, tmp_path / "real.jsonl")
    write_jsonl(syn, tmp_path / "s$y_$.jsonl")
    out, html = tmp_path / "results.json", tmp_path / "report.html"
    code, _, err = run_synae(["evaluate", "--real", tmp_path / "real.jsonl", "--synthetic",
                              tmp_path / "s$y_$.jsonl", *PII_RUN, "--out", out, "--report", html],
                             capsys, monkeypatch)
    assert code == 0, err
    code, _, err = run_synae(["report", out, "--out", tmp_path / "again.html"], capsys, monkeypatch)
    assert code == 0, err
    for page in (html, tmp_path / "again.html"):
        text = page.read_text()
        assert ">$x^$<" in text and ">$\\foo$<" in text and ">s$y_$<" in text
