"""Result models: the run-level ``warnings`` / ``skipped`` notes and the JSON they write."""

from __future__ import annotations

import json

from helpers.report_fixtures import metric, report
from synae.results import ComparisonResults, EvaluationReport, load_any

SKIPPED = {"real": {"n_skipped": 0, "first": []}, "synthetic": {"n_skipped": 2, "first": ["line 3: bad"]}}


def test_unset_notes_are_left_out_of_the_json() -> None:
    data = report({"fidelity.tool_calls.tum": metric("fidelity.tool_calls.tum", 0.1)}).to_json_dict()
    assert "warnings" not in data and "skipped" not in data
    assert list(data)[-1] == "metrics"


def test_notes_are_typed_fields_written_before_the_metrics(tmp_path) -> None:
    result = report({"fidelity.tool_calls.tum": metric("fidelity.tool_calls.tum", 0.1)},
                    warnings=["synthetic: 5 trajectories have no tool calls"], skipped=SKIPPED)
    data = result.to_json_dict()
    assert list(data)[-3:] == ["warnings", "skipped", "metrics"]
    assert data["warnings"] == ["synthetic: 5 trajectories have no tool calls"] and data["skipped"] == SKIPPED
    result.write(tmp_path / "r.json")
    loaded = load_any(tmp_path / "r.json")
    assert isinstance(loaded, EvaluationReport)
    assert loaded.warnings == result.warnings and loaded.skipped == SKIPPED
    assert loaded.model_extra == {}


def test_assignment_gives_the_same_json_as_the_constructor() -> None:
    """Setting the notes after construction (as ``synae.run.commands.set_extra`` does) writes the
    same JSON as passing them to the constructor."""
    metrics = {"fidelity.tool_calls.tum": metric("fidelity.tool_calls.tum", 0.1)}
    by_setattr = report(metrics)
    by_setattr.warnings = ["w"]
    by_setattr.skipped = SKIPPED
    assert by_setattr.to_json() == report(metrics, warnings=["w"], skipped=SKIPPED).to_json()
    empty_skipped = report(metrics, skipped={})  # set (skip_invalid on), even if empty: written
    assert empty_skipped.to_json_dict()["skipped"] == {}


def test_comparison_notes(tmp_path) -> None:
    member = report({"fidelity.tool_calls.tum": metric("fidelity.tool_calls.tum", 0.1)})
    results = ComparisonResults(synae_version="0.1.0", config={}, members={"a": member})
    data = results.to_json_dict()
    assert "warnings" not in data and "skipped" not in data
    results.skipped = SKIPPED
    results.write(tmp_path / "results.json")
    written = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert written["skipped"] == SKIPPED and "warnings" not in written
    assert list(written)[-2:] == ["skipped", "members"]
    loaded = load_any(tmp_path / "results.json")
    assert isinstance(loaded, ComparisonResults) and loaded.skipped == SKIPPED and loaded.warnings == []
