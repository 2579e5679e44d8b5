"""Budgeted state comparison (issue 21): shared subtrees, cycles, deep nesting, budgets."""

from __future__ import annotations

import time

import pytest

from helpers.hostile_bfcl import doubling_calls, nested_calls, self_copy_calls
from synae.envs.bfcl import BFCLEnvironment
from synae.envs.budget import (
    STATE_BUDGET_EXCEEDED,
    TIME_BUDGET_EXCEEDED,
    BudgetExceeded,
    TrajectoryBudget,
    trajectory_budget,
)
from synae.envs.state import same_state


def pair(calls, extra=()) -> tuple[BFCLEnvironment, BFCLEnvironment]:
    """Two file systems after ``calls``; the second also after ``extra``."""
    first, second = BFCLEnvironment(["GorillaFileSystem"]), BFCLEnvironment(["GorillaFileSystem"])
    for name, args in calls:
        assert first.call(name, args).ok and second.call(name, args).ok, (name, args)
    for name, args in extra:
        assert second.call(name, args).ok
    return first, second


def test_shared_subtrees_with_2_to_the_40_paths_compare_at_once() -> None:
    first, second = pair(doubling_calls(40))
    start = time.monotonic()
    assert first.same_state(second)
    second.call("cd", {"folder": "d40"})
    second.call("cd", {"folder": "d39"})
    second.call("touch", {"file_name": "deep.txt"})  # one file in a shared folder: every path sees it
    assert not first.same_state(second)
    assert time.monotonic() - start < 1.0


def test_a_folder_copied_into_itself_is_a_cycle_compared_without_recursion() -> None:
    first, second = pair(self_copy_calls())
    assert first.state()["GorillaFileSystem"]["root"].contents["loop"].contents["loop"].contents["loop"]
    assert first.same_state(second)
    second.call("cd", {"folder": "loop"})
    second.call("cd", {"folder": "loop"})
    second.call("touch", {"file_name": "inside.txt"})
    assert not first.same_state(second)


def test_1500_nested_folders_compare_without_recursion_error() -> None:
    first, second = pair(nested_calls(1500), extra=[("touch", {"file_name": "bottom.txt"})])
    assert not first.same_state(second)
    second.call("rm", {"file_name": "bottom.txt"})
    assert first.same_state(second)


def test_plain_data_follows_python_equality() -> None:
    assert same_state({"a": [1, 2.0, (True, None)], "b": {1, 2}}, {"a": [1.0, 2, (1, None)], "b": {2, 1}})
    assert not same_state([1, 2], (1, 2)) and not same_state({"a": 1}, {"a": 1, "b": 2})
    assert not same_state([[1]], [[1], 2]) and not same_state({"a": "x"}, {"a": "y"})
    nested: list = []
    for _ in range(10_000):
        nested = [nested]
    assert same_state(nested, [nested[0]])


def test_node_budget_raises_state_budget_exceeded() -> None:
    first, second = pair(doubling_calls(5))
    with trajectory_budget(TrajectoryBudget(seconds=None, state_nodes=20)), \
            pytest.raises(BudgetExceeded) as caught:
        first.same_state(second)
    assert caught.value.reason == STATE_BUDGET_EXCEEDED and "20 value pairs" in str(caught.value)
    with trajectory_budget(TrajectoryBudget(seconds=None, state_nodes=10_000)):
        assert first.same_state(second)


def test_a_spent_time_budget_stops_calls_and_comparisons() -> None:
    env = BFCLEnvironment(["GorillaFileSystem"])
    budget = TrajectoryBudget(seconds=0.5)
    budget.spent = 0.5
    with trajectory_budget(budget), pytest.raises(BudgetExceeded) as caught:
        env.call("ls", {})
    assert caught.value.reason == TIME_BUDGET_EXCEEDED
    with trajectory_budget(budget), pytest.raises(BudgetExceeded):
        env.same_state(BFCLEnvironment(["GorillaFileSystem"]))
