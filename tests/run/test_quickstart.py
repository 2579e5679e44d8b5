"""``synae.run.quickstart``: one generated set from the example data, evaluated against it (lexical
embedder, so no model is loaded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.openai_server import ScriptedOpenAIServer
from synae.config import load_config
from synae.errors import ConfigError
from synae.run.inputs.data import load_dataset
from synae.run.quickstart import quickstart_command


def test_default_benchmark_is_bfcl(tmp_path: Path):
    config = load_config(embedding={"model": "lexical"}, evaluation={"select": "diversity.instructions.*"},
                         output={"out": tmp_path, "html": False}, generate={"method": "dropmin"})
    run = quickstart_command(config)
    assert run.benchmark == "bfcl" and run.n_real == 200 and run.source.name == "BFCL_v4_multi_turn_base.json"
    [one] = run.sets
    assert one.results == tmp_path / "results.json" and one.html == tmp_path / "report.html"
    assert not one.html.exists() and one.report.report_data is None  # no HTML asked, no report data
    written = json.loads(one.results.read_text())
    name = run.written[0].name
    assert written["datasets"]["synthetic"]["name"] == name and name.startswith("dropmin_2")
    assert written["datasets"]["synthetic"]["n"] == len(load_dataset(tmp_path / f"{name}.jsonl")) < 200
    assert written["config"]["preset"] == "bfcl"
    assert {m for m in written["metrics"] if not m.startswith("validity.")} == {
        "diversity.instructions.vendi", "diversity.instructions.ad"}
    assert written["metrics"]["validity.tool_calls.rate"]["status"] == "ok"  # validity unless `none`


def test_one_value_only(tmp_path: Path):
    config = load_config(preset="acp", output={"out": tmp_path}, generate={"param": "0.1,0.2"})
    with pytest.raises(ConfigError, match="one parameter value"):
        quickstart_command(config)
    assert not any(tmp_path.iterdir())


def test_generate_keys_apply_and_the_llm_budget_comes_first(tmp_path: Path):
    lines = "\n".join(f"Request {i}: please list every file in the current folder number {i} now"
                      for i in range(1, 6))
    announced: list[tuple[str, int]] = []
    with ScriptedOpenAIServer(default_text=lines) as server:
        config = load_config(embedding={"model": "lexical"},
                             evaluation={"select": "diversity.instructions.*"},
                             output={"out": tmp_path, "html": False}, validity={"checker": "none"},
                             llm={"base_url": server.base_url, "cache": False},
                             generate={"method": "fewshot", "param": "1", "model": "gen", "n_out": 3,
                                       "complete_with": "oracle"})
        run = quickstart_command(config, announce=lambda line: announced.append((line, len(server.requests))))
        n_requests = len(server.requests)
    # before: n_out and complete_with were ignored (one output per real trajectory, 200 requests)
    assert n_requests == 3 and run.written[0].counts["n_out"] == 3
    [(budget, sent_before)] = announced
    assert sent_before == 0 and "up to 3 generator request(s) to gen" in budget and "oracle" in budget
    generated = load_dataset(tmp_path / f"{run.written[0].name}.jsonl")
    assert all(t.metadata["generation"]["completion"]["agent"] == "oracle" for t in generated)
