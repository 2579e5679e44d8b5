"""Validity orchestration: checker choice, verdict counts and the validity.*.rate metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import Config, load_config
from synae.errors import ConfigError
from synae.llm.client import LLMClient
from synae.run.inputs.data import load_dataset
from synae.run.scoring.validity import (
    VerdictCounts,
    checker_kinds,
    default_note,
    run_validity,
    validity_metrics,
)
from synae.schema import Message, Trajectory
from synae.validity.verdict import Verdict


@pytest.fixture(scope="module")
def t1_valid(bench_data: Path) -> list[Trajectory]:
    return load_dataset(bench_data / "t1" / "t1_attraction_augmented_valid.csv").trajectories[:20]


def judged(server: ScriptedOpenAIServer, **llm) -> Config:
    return load_config(judge={"model": "judge-model"},
                       llm={"base_url": server.base_url, "backoff_base": 0.01, "max_retries": 1,
                            "timeout": 2.0, **llm})


def test_default_checkers_per_preset() -> None:
    plain, with_judge = Config(), load_config(judge={"model": "m"})
    assert checker_kinds("t1", with_judge, None) == (["rules"], "rules")
    assert checker_kinds("bfcl", with_judge, None) == (["rules"], "rules")
    assert checker_kinds("acp", plain, None) == (["rules"], "rules")
    assert checker_kinds("acp", with_judge, None) == (["judge"], "judge")
    # generic without a judge model: the rules, never a judge whose every verdict is unscored
    assert checker_kinds("generic", plain, None) == (["rules"], "rules")
    assert checker_kinds("generic", with_judge, None) == (["judge"], "judge")
    note = default_note("generic", plain, None)
    assert note is not None and "rule checks" in note
    assert default_note("generic", with_judge, None) is None
    assert default_note("generic", plain, "rules") is None
    assert default_note("t1", plain, None) is None  # its default is the rules anyway
    assert checker_kinds("t1", with_judge, "both") == (["rules", "judge"], "rules")
    assert checker_kinds("t1", with_judge, "llm") == (["judge"], "judge")
    with pytest.raises(ConfigError, match="--validity llm needs a judge model"):
        checker_kinds("t1", plain, "llm")
    with pytest.raises(ConfigError, match="unknown checker"):
        checker_kinds("t1", plain, "magic")


def test_verdict_counts() -> None:
    def v(valid: bool | None, *reasons: str) -> Verdict:
        return Verdict(trajectory_id="x", target="output", valid=valid, reasons=list(reasons), checker="c")

    counts = VerdictCounts.of([v(True, "note"), v(True), v(False, "a", "b"), v(False, "a"),
                               v(None, "judge_failed")])
    assert (counts.valid, counts.invalid, counts.unscored) == (2, 2, 1)
    assert counts.rate == 0.5 and counts.coverage == 0.8 and counts.rate_all == 0.4
    assert counts.reasons == {"a": 2, "b": 1} and counts.unscored_reasons == {"judge_failed": 1}
    assert VerdictCounts.of([v(None, "no_judge")]).rate is None
    mixed = [v(False, "z", "a"), v(None, "timeout", "judge_failed"), v(False), v(None, "no_judge"),
             v(False, "a"), Verdict(trajectory_id="y", target="output", valid=True, checker="c",
                                    details={"truncated_fields": 2})]
    counts = VerdictCounts.of(mixed)
    assert list(counts.reasons.items()) == [("z", 1), ("a", 2)]  # every reason, first-seen order
    assert counts.unscored_reasons == {"timeout": 1, "no_judge": 1}  # the first reason only
    assert (counts.n, counts.valid, counts.invalid, counts.unscored) == (6, 1, 3, 2)
    assert counts.truncated_fields == 2


def test_rules_run_on_real_t1(t1_valid: list[Trajectory]) -> None:
    run = run_validity(t1_valid, "t1", Config(), None)
    assert run.targets == ["tool_calls", "output"] and run.kinds == ["rules"]
    counts = run.counts("tool_calls")
    assert counts is not None and counts.n == 20 and counts.valid == 20  # the shipped real data is valid
    assert run.usage is None


def test_metrics_with_both_checkers(t1_valid: list[Trajectory]) -> None:
    def responder(body: dict) -> Reply | str:
        text = body["messages"][1]["content"]
        return "no" if "## Final output" in text else "yes"

    real, synthetic = t1_valid[:10], t1_valid[10:]
    with ScriptedOpenAIServer(responder=responder) as server:
        config = judged(server)
        client = LLMClient(config.llm, progress=False)
        results = {m.id: m for m in validity_metrics(real, synthetic, "t1", config, "both", client=client)}
        n_requests = len(server.requests)
    assert set(results) == {"validity.tool_calls.rate", "validity.tool_calls.rate.rules",
                            "validity.tool_calls.rate.judge", "validity.output.rate",
                            "validity.output.rate.rules", "validity.output.rate.judge"}
    primary = results["validity.tool_calls.rate"]
    assert primary.value == 1.0 and primary.details["checker"].startswith("rules.t1")
    assert primary.model_dump() == {**results["validity.tool_calls.rate.rules"].model_dump(),
                                    "id": "validity.tool_calls.rate"}
    judge_output = results["validity.output.rate.judge"]
    assert judge_output.value == 0.0 and judge_output.details["n_invalid"] == 10
    assert judge_output.details["reasons"] == {"judge_no": 10}
    assert judge_output.details["real_value"] == 0.0
    assert judge_output.details["judge"]["model"] == "judge-model"
    usage = judge_output.details["llm_usage"]
    assert usage["calls"] + usage["cached"] == 40  # 2 targets x 20 trajectories (identical prompts sent once)
    assert usage["calls"] == n_requests
    assert judge_output.n_real == 10 and judge_output.n_synthetic == 10
    assert judge_output.pillar == "validity" and judge_output.direction == "higher_is_better"
    assert judge_output.bounds == (0.0, 1.0)


def test_low_coverage_warns_and_all_unscored_is_null(t1_valid: list[Trajectory]) -> None:
    # trajectories 1 and 4 always get an unreadable reply (re-asking and repair turns included)
    unreadable = [next(m.content for m in t1_valid[i].messages if m.role == "user") for i in (1, 4)]

    def responder(body: dict) -> str:
        text = json.dumps(body, ensure_ascii=False)
        return "maybe" if any(json.dumps(u, ensure_ascii=False)[1:-1] in text for u in unreadable) else "yes"

    with ScriptedOpenAIServer(responder=responder) as server:
        config = judged(server, concurrency=1)
        [result] = [m for m in validity_metrics(None, t1_valid[:5], "t1", config, "llm")
                    if m.id == "validity.tool_calls.rate"]
    assert result.value == 1.0 and result.details["coverage"] == 0.6
    assert result.details["rate_all"] == 0.6
    assert result.details["unscored_reasons"] == {"unparseable_reply": 2}
    assert result.warnings and "coverage 0.60 < 0.95" in result.warnings[0]
    assert result.details["real_value"] is None

    with ScriptedOpenAIServer(responder=lambda body: "maybe") as server:
        judged_out = validity_metrics(None, t1_valid[:2], "t1", judged(server, concurrency=1), "llm")
    [nothing] = [m for m in judged_out if m.id == "validity.output.rate"]
    assert nothing.value is None and nothing.status == "skipped"
    assert nothing.reason.startswith("no_scored_verdicts")
    assert set(nothing.details["unscored_reasons"]) == {"unparseable_reply"}

    # the generic default without a judge model is its rules: scored, never an all-unscored judge
    generic = [Trajectory(id="g", messages=[Message(role="user", content="hi")], output="hello")]
    [ruled] = validity_metrics(None, generic, "generic", Config(), None)
    assert ruled.id == "validity.output.rate" and ruled.details["checker"].startswith("rules.")


def test_generic_targets_follow_the_data_and_none_checker() -> None:
    no_output = [Trajectory(id="g", messages=[Message(role="user", content="hi")])]
    assert validity_metrics(None, no_output, "generic", Config(), None) == []
    assert validity_metrics(None, no_output, "t1", Config(), "none") == []
    run = run_validity(no_output, "generic", Config(), "rules")
    assert run.targets == [] and run.verdicts == {}


def test_real_set_serves_as_provenance_source(bench_data: Path) -> None:
    """ACP answers flipped by the generator are invalid by provenance: the rate is exactly 1 - v."""
    from synae.generate.invalidate import invalidate
    from synae.presets import get_preset

    real = load_dataset(bench_data / "acp" / "acp_app_prog.csv")
    flipped = invalidate(real, 0.3, preset=get_preset("acp"), seed=123)
    [rate] = validity_metrics(real, flipped, "acp", Config(), "rules", progress=False)
    assert rate.id == "validity.output.rate"
    assert rate.details["n_invalid"] == int(0.3 * len(real))
    assert rate.value == pytest.approx(1 - int(0.3 * len(real)) / len(real))
    assert rate.details["real_value"] == 1.0


def _chat(i: int, tools: bool = True, name: str = "get_weather") -> dict:
    """A generic chat record: one weather call for city i, its result and an answer."""
    call = {"id": f"c{i}", "type": "function",
            "function": {"name": name, "arguments": json.dumps({"city": f"City {i}"})}}
    record = {"id": f"chat{i}", "messages": [
        {"role": "user", "content": f"Weather in City {i}?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"c{i}", "content": "sunny"},
        {"role": "assistant", "content": f"It is sunny in City {i}."}]}
    if tools:
        schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        record["tools"] = [{"type": "function", "function": {"name": "get_weather", "parameters": schema}}]
    return record


def test_rule_metrics_say_which_checks_ran(t1_valid: list[Trajectory]) -> None:
    """Generic rules record their checks per verdict: the metric counts them (``details.checks``)."""
    from synae.adapters import load_dataset as load_records

    real = load_records([_chat(i) for i in range(4)], "openai").trajectories
    synthetic = load_records([_chat(10), _chat(11, tools=False), _chat(12, name="get_stock")],
                             "openai").trajectories
    results = validity_metrics(real, synthetic, "generic", Config(), "rules", progress=False)
    metrics = {m.id: m for m in results}
    tool_calls = metrics["validity.tool_calls.rate"]
    assert tool_calls.value == pytest.approx(2 / 3)
    assert tool_calls.details["checks"] == {"parses": {"passed": 3, "failed": 0, "not_run": 0},
                                            "declared": {"passed": 1, "failed": 1, "not_run": 1},
                                            "schema": {"passed": 1, "failed": 0, "not_run": 2},
                                            "results_answer_calls": {"passed": 3, "failed": 0, "not_run": 0}}
    # Checkers that record no per-check results (T1 rules) add no ``checks``.
    t1 = validity_metrics(t1_valid, t1_valid, "t1", Config(), "rules", progress=False)
    assert t1 and all("checks" not in m.details for m in t1)


def test_a_target_the_synthetic_set_lost_is_reported_not_dropped() -> None:
    """A chat export that dropped every tool call: the real set has calls, the synthetic one only
    empty assistant turns. The tool-call rate is reported as skipped with the reason, not left out."""
    from synae.schema import FunctionCall, ToolCall

    def real_traj(i: int) -> Trajectory:
        call = ToolCall(id=f"c{i}", function=FunctionCall(name="get_weather", arguments={"city": "Oslo"}))
        return Trajectory(id=f"r{i}", output="It is 4 °C in Oslo.", messages=[
            Message(role="user", content="Weather in Oslo?"), Message(role="assistant", tool_calls=[call]),
            Message(role="tool", tool_call_id=f"c{i}", content='{"temp_c": 4}'),
            Message(role="assistant", content="It is 4 °C in Oslo.")])

    def exported(i: int) -> Trajectory:
        return Trajectory(id=f"s{i}", output="It is 4 °C in Oslo.", messages=[
            Message(role="user", content="Weather in Oslo?"), Message(role="assistant", content=""),
            Message(role="assistant", content="It is 4 °C in Oslo.")])

    real, synthetic = [real_traj(i) for i in range(4)], [exported(i) for i in range(4)]
    results = {m.id: m for m in validity_metrics(real, synthetic, "generic", Config(), "rules")}
    lost = results["validity.tool_calls.rate"]
    assert lost.value is None and lost.status == "skipped"
    assert lost.reason.startswith("missing_in_synthetic: the real set has tool calls")
    assert "validity.output.rate" in results
