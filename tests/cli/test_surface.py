"""What a user sees of the commands: help pages, ``--json`` on every command that produces results,
the metric tables of ``compare`` and its progress lines in a CI log."""

from __future__ import annotations

import csv
import json

import typer.main
from typer.testing import CliRunner

from helpers.synae_cli import run_synae
from synae.cli.app import app
from synae.cli.configdoc import commands
from synae.schema import Message, Trajectory, write_jsonl


def _help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_help_shows_no_value_type_on_flags_and_keeps_square_brackets() -> None:
    pages = {name: _help(*name.split()) for name, _ in commands(typer.main.get_command(app))}
    assert {name for name, text in pages.items() if "<bool>" in text} == set()
    assert "<bool>" not in _help()
    assert "--json" in pages["evaluate"] and "--no-cache" in pages["evaluate"]
    assert "pip install 'synae[ray]'" in " ".join(pages["evaluate"].split())  # Rich kept "[ray]"


def test_every_command_that_produces_results_takes_json() -> None:
    for name in ("evaluate", "compare", "downstream", "validate", "inspect", "gate", "quickstart",
                 "calibrate", "generate"):
        assert "--json" in _help(name), name


def _sets(tmp_path) -> list:
    def traj(i: int, word: str) -> Trajectory:
        return Trajectory(id=f"{word}{i}", messages=[
            Message(role="user", content=f"find a {word} museum number {i} near the river"),
            Message(role="assistant", content=f"here is {word} museum {i}")], output=f"museum {i}")

    files = []
    for name, word, n in (("real", "art", 12), ("a", "art", 10), ("b", "boat", 8)):
        write_jsonl([traj(i, word) for i in range(n)], tmp_path / f"{name}.jsonl")
        files.append(tmp_path / f"{name}.jsonl")
    return files


COMPARE = ["--embedder", "lexical", "--validity", "none", "--no-html", "--preset", "generic",
           "--metrics", "fidelity.instructions.am.*,diversity.instructions.vendi"]


def test_compare_prints_each_sets_metric_table_and_progress_lines(tmp_path, capsys, monkeypatch) -> None:
    real, a, b = _sets(tmp_path)
    code, out, err = run_synae(["compare", "--real", real, "--synthetic", a, b, *COMPARE,
                                "--out", tmp_path / "cmp"], capsys, monkeypatch)
    assert code == 0, err
    assert "a vs real" in out and "b vs real" in out and "total_token_length" in out  # metric tables
    assert "Pillar scores" in out
    assert "compare: started, 2 sets" in err and "compare: done, 2/2 sets" in err  # not a terminal


def test_compare_json_is_one_object_on_stdout(tmp_path, capsys, monkeypatch) -> None:
    real, a, b = _sets(tmp_path)
    code, out, err = run_synae(["compare", "--real", real, "--synthetic", a, b, *COMPARE, "--json",
                                "--out", tmp_path / "cmp"], capsys, monkeypatch)
    assert code == 0, err
    data = json.loads(out)
    assert data == json.loads((tmp_path / "cmp" / "results.json").read_text())
    assert list(data["members"]) == ["a", "b"]
    assert "compare: done" in err and "wrote" in err


def _acp(path, answers: list[str]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["context", "question", "answer", "group"])
        for i, answer in enumerate(answers):
            w.writerow([f"A blocksworld state with block b{i} on the table.", f"Is b{i} clear?", answer,
                        "applicable_actions_bool"])


def test_downstream_json_is_one_object_on_stdout(tmp_path) -> None:
    _acp(tmp_path / "real.csv", ["yes", "no", "yes", "no"])
    _acp(tmp_path / "syn.csv", ["no", "no", "yes", "yes"])
    args = ["downstream", "--real", str(tmp_path / "real.csv"), "--synthetic", str(tmp_path / "syn.csv"),
            "--agent", "oracle", "--agent", "noisy-oracle:0.5", "--runs", "1", "--json"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "results.json")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["metrics"]["fidelity.downstream.tdd.output"]["status"] == "ok"
    assert data == json.loads((tmp_path / "results.json").read_text())
    assert "budget total" in result.stderr and "budget" not in result.stdout.split("{", 1)[0]
    dry = CliRunner().invoke(app, [*args, "--dry-run", "--out", str(tmp_path / "dry.json")])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["budget"]["planned"] == 0  # scripted agents make no LLM call


def test_quickstart_json_is_one_object_on_stdout(tmp_path, monkeypatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("SYNAE_DATA_DIR", str(tmp_path / "empty"))  # the BFCL copy bfcl-eval ships
    result = CliRunner().invoke(app, ["quickstart", "--embedder", "lexical", "--validity", "none",
                                      "--no-html", "--metrics", "fidelity.tool_calls.tum", "--json",
                                      "--out", str(tmp_path / "qs")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["out"] == str(tmp_path / "qs")
    assert data["sets"]["oversample_frac0_3"] == json.loads((tmp_path / "qs" / "results.json").read_text())
    assert "generated oversample_frac0_3" in result.stderr


def test_a_folder_given_as_a_file_is_named_as_such(tmp_path, capsys, monkeypatch) -> None:
    for args in (["report", tmp_path, "--out", tmp_path / "r.html"],
                 ["gate", tmp_path, "--thresholds", tmp_path / "t.yaml"]):
        code, _, err = run_synae(args, capsys, monkeypatch)
        assert code == 2 and "is a directory, not a results file" in err, err
    (tmp_path / "results.json").write_text(json.dumps({"metrics": {}}))
    code, _, err = run_synae(["gate", tmp_path / "results.json", "--thresholds", tmp_path],
                             capsys, monkeypatch)
    assert code == 2 and "is a directory, not a thresholds file" in err, err
