"""One configuration, one precedence rule: flag > SYNAE_* environment > file > profile default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synae.cli.app import app
from synae.config import config_keys, env_name, load_config
from synae.errors import ConfigError


def test_precedence_file_env_override(tmp_path: Path) -> None:
    path = tmp_path / "synae.yaml"
    path.write_text("llm:\n  concurrency: 2\njudge:\n  model: from-file\nmode: reference\n")
    assert load_config(path).llm.concurrency == 2
    env = {"SYNAE_LLM_CONCURRENCY": "5", "SYNAE_JUDGE_MODEL": "from-env"}
    config = load_config(path, environ=env)
    assert config.llm.concurrency == 5 and config.judge.model == "from-env"
    config = load_config(path, environ=env, llm={"concurrency": 9}, judge={"model": None})
    assert config.llm.concurrency == 9 and config.judge.model == "from-env"  # None = flag not given
    assert config.metrics.keyword_match == "substring"  # reference profile fills what nobody set


def test_env_values_are_typed_and_bad_ones_name_the_variable() -> None:
    config = load_config(environ={"SYNAE_METRICS_WASSERSTEIN_ORDER": "2", "SYNAE_METRICS_PLANNING_K": "2,4",
                                  "SYNAE_LLM_CACHE": "false", "SYNAE_DATA_DIR": "/ignored"})
    assert config.metrics.wasserstein_order == 2 and config.metrics.planning_k == [2, 4]
    assert config.llm.cache is False
    with pytest.raises(ConfigError, match="SYNAE_LLM_CONCURRENCY"):
        load_config(environ={"SYNAE_LLM_CONCURRENCY": "many"})


def test_env_names_are_unique_and_spare_the_reserved_ones() -> None:
    names = [env_name(k) for k in config_keys()]
    assert len(names) == len(set(names))
    assert not {"SYNAE_DATA_DIR", "SYNAE_CACHE_DIR", "SYNAE_CONFIG"} & set(names)
    assert env_name("judge.model") == "SYNAE_JUDGE_MODEL"


def test_config_file_accepts_inputs_and_run_options(tmp_path: Path) -> None:
    path = tmp_path / "synae.toml"
    path.write_text('[inputs]\nreal = "r.csv"\nsynthetic = ["s.csv"]\n[evaluation]\nbootstrap = 20\n')
    config = load_config(path)
    assert config.inputs.real == Path("r.csv") and config.evaluation.bootstrap == 20


def test_mode_reference_from_a_config_file_reaches_validate_and_compare(
        bench_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "synae.yaml"
    config.write_text("mode: reference\nembedding:\n  model: lexical\n")
    data = bench_data / "acp" / "acp_app_bool.parquet"
    monkeypatch.setenv("SYNAE_CONFIG", str(config))  # validate reads the file named by $SYNAE_CONFIG
    out = tmp_path / "verdicts.jsonl"
    result = CliRunner().invoke(app, ["validate", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    monkeypatch.delenv("SYNAE_CONFIG")
    result = CliRunner().invoke(app, ["compare", "--real", str(data), "--synthetic", str(data), "--out",
                                      str(tmp_path / "cmp"), "--config", str(config), "--no-html",
                                      "--metrics", "fidelity.output.*"])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "cmp" / "results.json").read_text())
    assert results["config"]["mode"] == "reference"
    result = CliRunner().invoke(app, ["compare", "--real", str(data), "--synthetic", str(data), "--out",
                                      str(tmp_path / "cmp2"), "--config", str(config), "--no-html",
                                      "--mode", "default", "--metrics", "fidelity.output.*"])
    assert json.loads((tmp_path / "cmp2" / "results.json").read_text())["config"]["mode"] == "default"


def test_fail_fast_llm_settings_reach_the_client() -> None:
    from synae.run.factory import llm_client

    config = load_config(environ={"SYNAE_LLM_BREAKER_THRESHOLD": "2", "SYNAE_LLM_DEADLINE": "30"})
    assert config.llm.breaker_threshold == 2 and config.llm.deadline == 30.0
    client = llm_client(config)
    assert client.breaker_threshold == 2 and client.deadline == 30.0
    default = llm_client(load_config())
    assert default.breaker_threshold == 5 and default.deadline is None
    with pytest.raises(ConfigError, match=r"llm\.deadline"):
        load_config(llm={"deadline": 0})


def test_profiles_set_the_aggregate_scale_and_compute_has_defaults() -> None:
    assert load_config().evaluation.aggregate_scale == "anchored"
    assert load_config(mode="reference").evaluation.aggregate_scale == "group"
    assert load_config(mode="reference", evaluation={"aggregate_scale": "anchored"}
                       ).evaluation.aggregate_scale == "anchored"
    compute = load_config().compute
    assert (compute.executor, compute.ray_address, compute.device) == ("local", None, "cpu")
    with pytest.raises(ConfigError, match=r"compute\.executor"):
        load_config(compute={"executor": "spark"})


def test_mapping_keys_read_key_value_pairs_from_the_environment() -> None:
    from synae.config import parse_mapping

    config = load_config(environ={"SYNAE_INPUTS_EMBEDDINGS": "transcript=r.npy, output=o.parquet",
                                  "SYNAE_INPUTS_SYNTHETIC_EMBEDDINGS": '{"output": "s.npy"}',
                                  "SYNAE_METRICS_ATTRIBUTE_FIELDS": "metadata.a,category",
                                  "SYNAE_INPUTS_OUTPUT_FROM": "field"})
    assert config.inputs.embeddings == {"transcript": Path("r.npy"), "output": Path("o.parquet")}
    assert config.inputs.synthetic_embeddings == {"output": Path("s.npy")}
    assert config.metrics.attribute_fields == ["metadata.a", "category"]
    assert config.inputs.output_from == "field"
    with pytest.raises(ConfigError, match="SYNAE_INPUTS_EMBEDDINGS"):
        load_config(environ={"SYNAE_INPUTS_EMBEDDINGS": "words=r.npy"})
    assert parse_mapping("") == {}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_mapping("transcript=", "--embeddings")


def test_a_config_file_that_is_not_utf8_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("judge:\n  model: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin\.yaml: config file is not valid UTF-8 \(byte 0xe9"):
        load_config(path)


def test_duplicate_yaml_keys_are_rejected_with_the_key_named(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("llm:\n  timeout: 5\n  concurrency: 2\n  timeout: 9\n")
    with pytest.raises(ConfigError, match=r"dup\.yaml: not valid YAML: .*duplicate key 'timeout'"):
        load_config(path)
    path.write_text("llm:\n  timeout: 5\njudge:\n  timeout: 9\n")  # same name in two sections is fine
    with pytest.raises(ConfigError, match=r"judge\.timeout"):  # (but judge has no timeout key)
        load_config(path)


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_infinite_or_nan_numbers_are_rejected(tmp_path: Path, value: str) -> None:
    path = tmp_path / "inf.yaml"
    path.write_text(f"llm:\n  timeout: {value}\n")
    with pytest.raises(ConfigError, match=r"llm\.timeout"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"environment / flags: llm\.deadline: .*finite"):
        load_config(environ={"SYNAE_LLM_DEADLINE": "inf"})


def test_misspelt_synae_variables_are_errors_and_others_are_left_alone() -> None:
    with pytest.raises(ConfigError, match="TIMEOUTT: not a synae setting; did you mean SYNAE_LLM_TIMEOUT"):
        load_config(environ={"SYNAE_LLM_TIMEOUTT": "5"})
    with pytest.raises(ConfigError, match="SYNAE_JUDGE_MODLE"):
        load_config(environ={"SYNAE_JUDGE_MODLE": "m"})
    with pytest.raises(ConfigError, match="did you mean SYNAE_MODE"):
        load_config(environ={"SYNAE_MDOE": "reference"})
    with pytest.raises(ConfigError, match="did you mean SYNAE_DATA_DIR"):
        load_config(environ={"SYNAE_DATA_DIRR": "/x"})
    config = load_config(environ={"SYNAE_DATA_DIR": "/d", "SYNAE_CACHE_DIR": "/c",
                                  "SYNAE_SKIP_BROWSER_TESTS": "1", "SYNAE_LLM_TIMEOUT": "5"})
    assert config.llm.timeout == 5


def test_a_fifo_as_config_file_is_refused_not_read_for_ever(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config(fifo)
    monkeypatch.setenv("SYNAE_CONFIG", str(fifo))
    result = CliRunner().invoke(app, ["inspect", str(tmp_path)])  # SYNAE_CONFIG is read, never blocks
    assert result.exit_code != 0 and "is not a regular file" in (str(result.exception) + result.output)
