"""Rule-based validity of the shipped real data (facts of docs/method.md §6.5, §1.5)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from synae.run.inputs.data import load_dataset
from synae.run.scoring.validity import rule_checkers

pytestmark = pytest.mark.data  # facts of the real files


def verdicts(path: Path, preset: str) -> dict[str, list]:
    data = load_dataset(path)
    return {checker.target: checker.check_all(data.trajectories) for checker in rule_checkers(preset)}


def invalid(found: list) -> dict[str, list[str]]:
    return {v.trajectory_id: v.reasons for v in found if v.valid is not True}


@pytest.mark.parametrize("name", ["t1_attraction_augmented.csv", "t1_attraction_turns_with_output.csv"])
def test_t1_real_tool_calls_all_valid(shared_data: Path, name: str):
    result = verdicts(shared_data / "t1" / name, "t1")
    assert len(result["tool_calls"]) == 225 and invalid(result["tool_calls"]) == {}
    # unknown neighborhoods (e.g. "Buckhead") are reported without invalidating
    assert sum("unknown_entity" in v.reasons for v in result["tool_calls"]) == 41
    # one real output mentions a type absent from its conversation
    assert invalid(result["output"]) == {"102": ["type_consistent"]}


def test_t1_prototype_synthetic_set_has_invalid_plans(shared_data: Path):
    result = verdicts(shared_data / "t1" / "synthetic_prototype_claude_turns.csv", "t1")["tool_calls"]
    reasons = Counter(r for v in result for r in v.reasons)
    assert sum(v.valid is False for v in result) == 90
    assert reasons["executes"] == 26  # the plans whose generated_code_error is not "success" fail here too


def test_bfcl_newer_copy_executes_without_any_error(shared_data: Path):
    [result] = verdicts(shared_data / "bfcl" / "BFCL_v4_multi_turn_base.json", "bfcl").values()
    assert len(result) == 200
    assert not any("executes" in v.reasons for v in result)
    # The only rule failure: close_ticket(ticket_id='ticket_001') passes a string where the
    # function doc declares an integer (the environment accepts it).
    assert invalid(result) == {"multi_turn_base_173": ["schema"]}


def test_bfcl_older_copy_has_72_entries_with_an_error_result(shared_data: Path):
    older = shared_data / "bfcl" / "v_older" / "BFCL_v4_multi_turn_base_instr.json"
    [result] = verdicts(older, "bfcl").values()
    assert sum("executes" in v.reasons for v in result) == 72
    # update_market_status and make_transaction no longer exist
    assert sum("unknown_function" in v.reasons for v in result) == 12


def test_acp_real_outputs_all_valid(shared_data: Path):
    [result] = verdicts(shared_data / "acp" / "acp_app_prog.csv", "acp").values()
    assert len(result) == 260 and invalid(result) == {}
