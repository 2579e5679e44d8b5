"""Per-call limits of environment tools: semantic caps, time limit, isolated numeric state."""

from __future__ import annotations

import decimal
import json
import threading
import time
import typing

import mpmath
import pytest

from synae.config import Config
from synae.downstream.agents import OracleAgent
from synae.envs.bfcl import BFCLEnvironment
from synae.envs.budget import BudgetExceeded, TrajectoryBudget, trajectory_budget
from synae.envs.limits import MAX_PRECISION, CallTimeout, bfcl_argument_problem, run_limited, type_problem
from synae.run.scoring.downstream import evaluate_dataset
from synae.run.scoring.validity import ValiditySession
from synae.schema import FunctionCall, Message, ToolCall, Trajectory

HOSTILE = [("power", {"base": 7, "exponent": 999999999}),
           ("logarithm", {"value": 10, "base": 2, "precision": 100000000}),
           ("square_root", {"number": 2, "precision": 100000000})]


def test_hostile_math_calls_are_error_results_at_once() -> None:
    env = BFCLEnvironment(["MathAPI"])
    start = time.monotonic()
    results = [env.call(name, args) for name, args in HOSTILE]
    assert time.monotonic() - start < 1.0
    assert all(not r.ok for r in results)
    assert "digits" in results[0].error and "precision=100000000" in results[1].error
    assert str(MAX_PRECISION) in results[2].error


def test_reasonable_math_calls_still_work_and_leak_no_precision() -> None:
    env = BFCLEnvironment(["MathAPI"])
    dps, prec = mpmath.mp.dps, decimal.getcontext().prec
    log = env.call("logarithm", {"value": 8, "base": 2, "precision": 50})
    root = env.call("square_root", {"number": 2, "precision": 40})
    power = env.call("power", {"base": 2, "exponent": 10})
    assert log.ok and abs(float(log.value["result"]) - 3.0) < 1e-12
    assert root.ok and str(root.value["result"]).startswith("1.41421356237309504880168872420969807")
    assert power.ok and power.value == {"result": 1024}
    assert (mpmath.mp.dps, decimal.getcontext().prec) == (dps, prec)


@pytest.mark.parametrize(("method", "bound", "problem"), [
    ("power", {"base": 10, "exponent": 100_001}, True), ("power", {"base": 10, "exponent": 99_999}, False),
    ("power", {"base": 1, "exponent": 10**17}, False), ("power", {"base": 2.0, "exponent": 10**9}, False),
    ("power", {"base": 7, "exponent": -999999999}, False),
    ("round_number", {"number": 7, "decimal_places": -10**8}, True),
    ("logarithm", {"value": 3, "base": 2, "precision": MAX_PRECISION}, False),
])
def test_semantic_caps(method: str, bound: dict, problem: bool) -> None:
    assert (bfcl_argument_problem("MathAPI", method, bound) is not None) is problem


def test_time_limit_stops_a_python_loop() -> None:
    def spin() -> int:
        n = 0
        while True:
            n += 1

    start = time.monotonic()
    with pytest.raises(CallTimeout, match=r"0\.2 s"):
        run_limited(spin, timeout=0.2)
    assert time.monotonic() - start < 2.0
    assert run_limited(lambda: 41 + 1, timeout=0.2) == 42
    time.sleep(0.3)  # a cancelled timer never fires later


def test_one_watchdog_serves_every_call_and_threads_get_their_own_deadlines() -> None:
    """No thread per call: a thousand quick calls leave the thread count as it was; a call that
    spins past its own short limit is stopped while a longer-limit call in another thread, started
    before it, finishes."""
    run_limited(lambda: None, timeout=1.0)  # the watchdog exists from here on
    before = threading.active_count()
    assert all(run_limited(lambda i=i: i, timeout=5.0) == i for i in range(1000))
    assert threading.active_count() == before

    outcome: dict[str, object] = {}

    def slow_but_in_time() -> None:
        outcome["long"] = run_limited(lambda: time.sleep(0.6) or "finished", timeout=5.0)

    other = threading.Thread(target=slow_but_in_time)
    other.start()

    def spin() -> None:
        while True:
            pass

    start = time.monotonic()
    with pytest.raises(CallTimeout):
        run_limited(spin, timeout=0.2)
    assert time.monotonic() - start < 2.0
    other.join(5)
    assert outcome == {"long": "finished"}
    time.sleep(0.3)  # nothing fires late at a finished call
    assert run_limited(lambda: "still fine", timeout=0.1) == "still fine"


def hostile_trajectory() -> Trajectory:
    calls = [ToolCall(id=f"c{i}", function=FunctionCall(name=name, arguments=json.dumps(args)))
             for i, (name, args) in enumerate(HOSTILE)]
    messages = [Message(role="user", content="Compute 7 to the 999999999, log2(10) and sqrt(2) exactly."),
                Message(role="assistant", content=None, tool_calls=calls)]
    messages += [Message(role="tool", tool_call_id=c.id, content="{}") for c in calls]
    return Trajectory(id="hostile", messages=messages,
                      environment={"involved_classes": ["MathAPI"], "initial_config": {}})


def test_validity_run_with_hostile_calls_finishes_fast() -> None:
    start = time.monotonic()
    run = ValiditySession(None, "bfcl", Config(), "rules", progress=False).run([hostile_trajectory()])
    elapsed = time.monotonic() - start
    [verdict] = run.verdicts["tool_calls"]["rules"]
    assert elapsed < 10 and verdict.valid is False and "executes" in verdict.reasons


def test_downstream_run_with_hostile_agent_calls_finishes_fast() -> None:
    start = time.monotonic()
    result = evaluate_dataset([hostile_trajectory()], [OracleAgent()], "bfcl", runs=1)
    elapsed = time.monotonic() - start
    assert elapsed < 10 and result.agents["oracle"].runs[0].scores


def test_a_float_precision_is_rejected_before_any_call() -> None:
    """Issue 21: ``precision=1e8`` (a float) passed the integer-only cap and ran for seconds in C."""
    calls = [ToolCall(id=f"c{i}", function=FunctionCall(
        name="logarithm", arguments=json.dumps({"value": 10 + i, "base": 2, "precision": 1e8})))
        for i in range(12)]
    trajectory = Trajectory(id="floats", messages=[
        Message(role="user", content="Logarithms, very precisely."),
        Message(role="assistant", content=None, tool_calls=calls),
        *(Message(role="tool", tool_call_id=c.id, content="{}") for c in calls)],
        environment={"involved_classes": ["MathAPI"], "initial_config": {}})
    start = time.monotonic()
    run = ValiditySession(None, "bfcl", Config(), "rules", progress=False).run([trajectory])
    [verdict] = run.verdicts["tool_calls"]["rules"]
    assert time.monotonic() - start < 5
    assert verdict.valid is False and "executes" in verdict.reasons
    assert all("precision: expected int, got float" in m for m in verdict.details["executes"])


@pytest.mark.parametrize(("arguments", "problem"), [
    ({"value": 8, "base": 2, "precision": 1e8}, "expected int, got float"),
    ({"value": 8, "base": 2, "precision": True}, "expected int, got bool"),
    ({"value": 8, "base": 2, "precision": "100000000"}, "exceeds the limit"),  # strings: read as numbers
    ({"value": 8, "base": 2, "precision": float("nan")}, "expected int, got float"),
    ({"value": [8], "base": 2, "precision": 10}, "value: expected float, got list"),
])
def test_arguments_must_have_the_declared_type(arguments: dict, problem: str) -> None:
    result = BFCLEnvironment(["MathAPI"]).call("logarithm", arguments)
    assert not result.ok and problem in result.error


@pytest.mark.parametrize(("value", "annotation", "ok"), [
    (3, float, True), (3.5, int, False), ("ticket_001", int, True), (None, str | None, True),
    (["a", 1], list[str], False), ({"k": 1.5}, dict[str, str | int], False), ("x", bool, False),
    ({"any": object()}, dict, True),
    # bfcl-eval annotates with the typing aliases
    ([1, 2.5], typing.List[float], True), ("x", typing.Optional[int], True),  # noqa: UP006, UP045
    ({"k": None}, typing.Dict[str, typing.Union[str, int, None]], True),  # noqa: UP006, UP007
])
def test_type_problem(value: object, annotation: object, ok: bool) -> None:
    assert (type_problem(value, annotation) is None) is ok


def test_a_call_gets_at_most_the_trajectory_time_left() -> None:
    def spin() -> int:
        while True:
            pass

    start = time.monotonic()
    with trajectory_budget(TrajectoryBudget(seconds=0.3)) as budget, pytest.raises(BudgetExceeded) as caught:
        run_limited(spin, timeout=10)
    assert time.monotonic() - start < 2 and caught.value.reason == "time_budget_exceeded"
    assert budget is not None and budget.spent >= 0.3
    with trajectory_budget(TrajectoryBudget(seconds=5)), pytest.raises(CallTimeout):
        run_limited(spin, timeout=0.2)  # its own limit first: an error result, the trajectory goes on
