"""`synae convert`: every benchmark to canonical JSONL and to the research formats; errors."""

from __future__ import annotations

import json

from helpers.synae_cli import run_synae
from synae.run.inputs.data import load_dataset
from synae.schema import read_jsonl


def test_convert_t1_to_canonical_and_back_to_csv(bench_data, tmp_path, capsys, monkeypatch):
    src = bench_data / "t1" / "t1_attraction_augmented_valid.csv"
    out = tmp_path / "valid.jsonl"
    code, _, err = run_synae(["convert", src, "--out", out], capsys, monkeypatch)
    n = len(load_dataset(src))
    assert code == 0 and f"wrote {n} trajectories (t1 → canonical)" in err
    assert len(read_jsonl(out)) == n
    csv_out = tmp_path / "valid.csv"
    code, _, _ = run_synae(["convert", out, "--to", "t1-csv", "--out", csv_out], capsys, monkeypatch)
    assert code == 0 and csv_out.read_bytes() == src.read_bytes()


def test_convert_bfcl_with_answers_sort_and_preset(bench_data, tmp_path, capsys, monkeypatch):
    q = bench_data / "bfcl" / "BFCL_v4_multi_turn_base.json"
    out = tmp_path / "b.jsonl"
    answers = bench_data / "bfcl" / "possible_answer" / q.name
    code, _, _ = run_synae(["convert", q, "--from", "bfcl", "--answers", answers, "--sort", "str_id",
                            "--out", out], capsys, monkeypatch)
    assert code == 0
    ds = read_jsonl(out)
    assert [t.id for t in ds] == sorted(t.id for t in ds)
    assert ds[0].attributes["conv_len"] in {"short", "medium", "long"}
    code, _, _ = run_synae(["convert", out, "--to", "bfcl", "--out", tmp_path / "q.json"], capsys,
                           monkeypatch)
    assert code == 0 and (tmp_path / "possible_answer" / "q.json").is_file()


def test_convert_transcript_columns_and_preset(tmp_path, capsys, monkeypatch):
    src = tmp_path / "t.csv"
    src.write_text('conv,persona\n"assistant: hi\nuser: Art in Boston",student\n', encoding="utf-8")
    out = tmp_path / "t.jsonl"
    code, _, _ = run_synae(["convert", src, "--column", "transcript=conv", "--preset", "t1", "--out", out],
                           capsys, monkeypatch)
    assert code == 0
    traj = read_jsonl(out)[0]
    assert traj.attributes == {"persona": "student", "type": "Art", "city": "Boston", "state": None}


def test_convert_bad_input_and_skip_invalid(tmp_path, capsys, monkeypatch):
    src = tmp_path / "d.jsonl"
    good = {"id": "a", "messages": [{"role": "user", "content": "x"}]}
    src.write_text(json.dumps(good) + "\n{broken\n", encoding="utf-8")
    code, _, err = run_synae(["convert", src, "--out", tmp_path / "o.jsonl"], capsys, monkeypatch)
    assert code == 2 and f"{src}: line 2: malformed JSON" in err
    code, _, err = run_synae(["convert", src, "--skip-invalid", "--out", tmp_path / "o.jsonl"], capsys,
                             monkeypatch)
    assert code == 0 and "skipped 1 invalid record" in err
    assert len(load_dataset(tmp_path / "o.jsonl")) == 1
    code, _, err = run_synae(["convert", src, "--to", "xml", "--out", tmp_path / "o"], capsys, monkeypatch)
    assert code == 2 and "--to must be one of" in err


def test_convert_fails_when_every_record_is_skipped(tmp_path, capsys, monkeypatch):
    src = tmp_path / "d.jsonl"
    src.write_text('{"id": "a"}\n{"id": "b", "messages": 3}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    code, _, err = run_synae(["convert", src, "--from", "canonical", "--skip-invalid", "--out", out], capsys,
                             monkeypatch)
    assert code == 2 and "every record (2) was skipped as invalid" in err and not out.exists()


def test_canonical_jsonl_streams_to_the_same_records_and_takes_output_from(tmp_path, capsys, monkeypatch):
    src = tmp_path / "d.jsonl"
    records = [{"id": f"t{i}", "messages": [{"role": "user", "content": f"q{i}"},
                                            {"role": "assistant", "content": f"a{i}"}],
                "metadata": {"n": i}} for i in range(5)]
    src.write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n", encoding="utf-8")
    out = tmp_path / "o.jsonl.gz"

    def whole(*args, **kwargs):
        raise AssertionError("a canonical → canonical conversion streams; it never loads the dataset whole")

    with monkeypatch.context() as patch:
        patch.setattr("synae.cli.convert.load_dataset", whole)
        code, _, err = run_synae(["convert", src, "--skip-invalid", "--out", out], capsys, monkeypatch)
    assert code == 0 and "wrote 5 trajectories (canonical → canonical)" in err and "skipped 1" in err
    loaded = load_dataset(src, skip_invalid=True)
    assert [t.model_dump() for t in read_jsonl(out)] == [t.model_dump() for t in loaded]
    assert read_jsonl(out)[0].output == "a0"
    code, _, _ = run_synae(["convert", src, "--skip-invalid", "--output-from", "none", "--out", out], capsys,
                           monkeypatch)
    assert code == 0 and all(t.output is None for t in read_jsonl(out))
    bad = ["convert", src, "--output-from", "later", "--out", tmp_path / "x.jsonl"]
    code, _, err = run_synae(bad, capsys, monkeypatch)
    assert code == 2 and "unknown output_from 'later'" in err and not (tmp_path / "x.jsonl").exists()


def test_sharegpt_input_with_from_and_output_from(tmp_path, capsys, monkeypatch):
    src = tmp_path / "s.jsonl"
    turns = [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]
    src.write_text(json.dumps({"conversations": turns}) + "\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    code, _, err = run_synae(["convert", src, "--from", "sharegpt", "--out", out], capsys, monkeypatch)
    assert code == 0 and "(sharegpt → canonical)" in err
    assert read_jsonl(out)[0].output == "hello"
    code, _, _ = run_synae(["convert", src, "--from", "sharegpt", "--output-from", "field", "--out", out],
                           capsys, monkeypatch)
    assert code == 0 and read_jsonl(out)[0].output is None
