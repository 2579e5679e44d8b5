"""Agreement of verdicts with known labels (docs/method.md §6.4), pinned to scikit-learn's definitions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from synae.errors import DataError
from synae.schema import Message, Trajectory
from synae.validity.agreement import agreement, construction_labels, read_labels
from synae.validity.verdict import Verdict


def verdict(i: int, valid: bool | None) -> Verdict:
    return Verdict(trajectory_id=str(i), target="output", valid=valid, checker="c")


def test_matches_sklearn_on_random_verdicts() -> None:
    rng = np.random.default_rng(123)
    verdicts = [verdict(i, [True, False, None][int(rng.integers(3))]) for i in range(200)]
    labels = {str(i): bool(rng.integers(2)) for i in range(0, 200, 2)} | {"unrelated": True}
    found = agreement(verdicts, labels)
    pairs = [(v.valid, labels[v.trajectory_id]) for v in verdicts if v.trajectory_id in labels
             and v.valid is not None]
    truth, predicted = [p[1] for p in pairs], [p[0] for p in pairs]
    assert found["n_labelled"] == 100 and found["n_scored"] == len(pairs)
    assert found["coverage"] == len(pairs) / 100
    assert found["kappa"] == pytest.approx(cohen_kappa_score(truth, predicted))
    assert found["f1_valid"] == pytest.approx(f1_score(truth, predicted))
    assert found["tp"] + found["tn"] + found["fp"] + found["fn"] == len(pairs)


def test_degenerate_cases() -> None:
    assert agreement([verdict(0, None)], {"0": True}) == {
        "n_labelled": 1, "n_scored": 0, "tp": 0, "tn": 0, "fp": 0, "fn": 0, "coverage": 0.0,
        "accuracy": None, "f1_valid": None, "kappa": None}
    perfect_constant = agreement([verdict(0, True), verdict(1, True)], {"0": True, "1": True})
    assert perfect_constant["accuracy"] == 1.0 and perfect_constant["kappa"] is None  # p_e = 1
    assert agreement([], {})["coverage"] is None


def test_labels_from_file_and_construction(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_text(json.dumps({"a": True, "b": False}))
    assert read_labels(path) == {"a": True, "b": False}
    path.write_text(json.dumps({"a": "yes"}))
    with pytest.raises(DataError, match=r"id 'a'.*true or false"):
        read_labels(path)
    path.write_text("{oops")
    with pytest.raises(DataError, match=r"labels\.json: line 1"):
        read_labels(path)
    trajs = [Trajectory(id=str(i), messages=[Message(role="user", content="x")],
                        metadata={"generation": {"modified": i == 1}} if i < 2 else {}) for i in range(3)]
    assert construction_labels(trajs) == {"0": True, "1": False}
