"""Rule-based BFCL tool-call validity (docs/method.md §6.8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synae.adapters.bfcl import function_classes, tool_definitions
from synae.adapters.common import code_message
from synae.schema import Message, Trajectory
from synae.validity.rules.bfcl import BFCLToolCallChecker

CLASSES = ["GorillaFileSystem", "TwitterAPI"]
CONFIG = {"GorillaFileSystem": {"root": {"alex": {"type": "directory", "contents": {
    "final_report.pdf": {"type": "file", "content": "budget analysis\nyear 2024"},
    "document": {"type": "directory", "contents": {}}}}}}}


def bfcl_trajectory(turns: list[tuple[str, list[str]]], *, tools: bool = True, classes=CLASSES) -> Trajectory:
    messages: list[Message] = []
    declared = frozenset(function_classes())
    for k, (user, calls) in enumerate(turns, start=1):
        messages.append(Message(role="user", content=user))
        if calls:
            messages.append(code_message("\n".join(calls), turn=k, declared_tools=declared))
    return Trajectory(id="b", messages=messages, tools=tool_definitions(classes) if tools else None,
                      environment={"kind": "bfcl", "initial_config": CONFIG, "involved_classes": classes},
                      metadata={"tool_results": "absent"})


GOOD = [("Move 'final_report.pdf' to a new 'temp' folder.",
         ["mkdir(dir_name='temp')", "mv(source='final_report.pdf', destination='temp')"]),
        ("Thanks, nothing else.", []),
        ("Show lines with 'budget' in it.", ["cd(folder='temp')", "grep('final_report.pdf', 'budget')"])]


def check(traj: Trajectory, **kwargs):
    [v] = BFCLToolCallChecker(**kwargs).check_all([traj])
    return v


def test_valid_trajectory_with_positional_arguments_and_an_empty_turn():
    v = check(bfcl_trajectory(GOOD))
    assert v.valid is True and v.reasons == [] and v.target == "tool_calls"
    assert check(bfcl_trajectory(GOOD, tools=False)).valid is True  # docs of the involved classes


@pytest.mark.parametrize(("turns", "reason"), [
    ([("Hello", [])], "has_calls"),
    ([("Go", ["cd(folder='document'"])], "parses"),
    ([("Add", ["add(a=1, b=2)"])], "unknown_function"),  # MathAPI is not involved
    ([("Nope", ["launch_rocket(x=1)"])], "unknown_function"),
    ([("Go", ["cd(directory='document')"])], "schema"),
    ([("Go", ["cd(folder=3)"])], "schema"),
    ([("Go", ["cd()"])], "schema"),
    ([("Go", ["cd('a', 'b')"])], "schema"),
    ([("Go", ["cd(folder=pwd())"])], "schema"),  # non-literal argument
    ([("Go", ["cd(folder='missing')"])], "executes"),  # returns {"error": ...}
    ([("Read", ["cat(file_name='final_report.pdf')", "rm(file_name='final_report.pdf')",
                "cat(file_name='final_report.pdf')"])], "executes"),
])
def test_invalid_trajectories(turns, reason):
    v = check(bfcl_trajectory(turns))
    assert v.valid is False and reason in v.reasons and v.explanation


@pytest.mark.parametrize("call", [
    "__import__('os').system('touch {marker}')",
    "exit()",
    "kill(pid=1)",
    "open('{marker}', 'w')",
    "os.system('touch {marker}')",
    "posting_api.TwitterAPI()._load_scenario({{}})",
    "cd(folder='x' * 10 ** 9)",
    "cd(folder='" + "x" * 150_000 + "')",
])
def test_hostile_call_strings_are_invalid_and_not_run(tmp_path: Path, call: str):
    marker = tmp_path / "pwned"
    v = check(bfcl_trajectory([("Do it", [call.format(marker=marker)])]))
    assert v.valid is False
    assert not marker.exists()


def test_grounding_option():
    grounded = bfcl_trajectory(GOOD)
    assert check(grounded, grounding=True).valid is True
    invented = bfcl_trajectory([("Make a folder", ["mkdir(dir_name='secret_plans')"])])
    assert check(invented).valid is True
    v = check(invented, grounding=True)
    assert v.valid is False and v.reasons == ["grounded"]


def test_unknown_involved_class_is_reported_not_raised():
    traj = bfcl_trajectory([("Go", ["cd(folder='document')"])], tools=False)
    traj.environment["involved_classes"] = ["NotAClass"]
    v = check(traj)
    assert v.valid is False and v.reasons == ["environment"]


def test_missing_environment_is_reported():
    traj = bfcl_trajectory([("Go", ["cd(folder='document')"])])
    traj.environment = None
    v = check(traj)
    assert v.valid is False and v.reasons == ["environment"]


def test_a_trajectory_beyond_its_time_budget_is_unscored_and_the_next_one_is_checked():
    """Issue 21: shared folders with 2^24 paths make ``find`` run long; the trajectory's environment
    time (0.3 s here) stops it, and only its verdict is lost."""
    import time

    from helpers.hostile_bfcl import doubling_calls, fs_trajectory

    slow = fs_trajectory("slow", [*doubling_calls(24), ("find", {"path": "."})])
    plain = fs_trajectory("plain", [("mkdir", {"dir_name": "a"})])
    start = time.monotonic()
    verdicts = BFCLToolCallChecker(seconds=0.3).check_all([slow, plain])
    assert time.monotonic() - start < 3
    assert verdicts[0].valid is None and verdicts[0].reasons == ["time_budget_exceeded"]
    assert "0.3 s" in verdicts[0].explanation
    assert verdicts[1].valid is True


def test_an_initial_config_too_deep_to_load_fails_environment_not_the_run():
    from helpers.hostile_bfcl import fs_trajectory, nested_config

    deep = fs_trajectory("deep", [("ls", {})], initial_config=nested_config(1500))
    [v] = BFCLToolCallChecker().check_all([deep])
    assert v.valid is False and v.reasons == ["environment"] and "RecursionError" in v.explanation
