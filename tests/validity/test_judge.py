"""LLM judges against a real loopback HTTP server: prompts, verdict parsing, failures, fallbacks."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from pathlib import Path

import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import JudgeSettings, LLMSettings
from synae.errors import LLMFatalError
from synae.llm.client import LLMClient
from synae.presets import get_preset
from synae.run.inputs.data import load_dataset
from synae.schema import FunctionCall, Message, ToolCall, Trajectory
from synae.validity.judge import REPAIR_TURN, LLMJudge, judge_equivalence, judge_prompts, parse_reply
from synae.validity.prompts import (
    ANSWER_CUE,
    PROMPT_VERSION,
    SYSTEM_MESSAGE,
    TRUNCATION_MARKER,
    acp_output_validity_prompt,
    output_validity_prompt,
    t1_output_validity_prompt,
    tool_call_validity_prompt,
)

SETTINGS = JudgeSettings(model="judge-model", parse="robust")


def client_for(server: ScriptedOpenAIServer, **overrides) -> LLMClient:
    settings = LLMSettings(backoff_base=0.01, backoff_max=0.02, timeout=2.0, max_retries=2, **overrides)
    return LLMClient(settings, base_url=server.base_url, progress=False)


def trajectory(i: int, *, output: str | None = "Here are guided tours in Denver.", user: str | None = None,
               tool_results: bool = False) -> Trajectory:
    arguments = json.dumps({"city": "Denver", "state": "CO", "type": ["Guided"]})
    call = ToolCall(id=f"call_{i}", function=FunctionCall(name="search_attractions", arguments=arguments))
    messages = [Message(role="user", content=user or f"Find guided tours in Denver, CO (request {i})."),
                Message(role="assistant", content=None, tool_calls=[call])]
    if tool_results:
        messages.append(Message(role="tool", tool_call_id=f"call_{i}", content="3 attractions found"))
    return Trajectory(id=f"t{i}", messages=messages, output=output)


def user_prompt(body: dict) -> str:
    return body["messages"][1]["content"]


# ---------------------------------------------------------------------------------------------
# Parsing (docs/method.md §6.2)


@pytest.mark.parametrize(("reply", "expected"), [
    ("Yes", True), ("no.", False), ("  **Answer:** yes", True), ("# No", False), ("answer - no", False),
    ("'yes'", True), ('"No," because', False), ("yes and no", True), ("I think the answer is no.", False),
    ("<think>surely no</think>\nYes", True), ('{"answer": "no"}', False), ("Nope", None),
    ("Not really", None), ("I cannot tell", None), ("", None), (None, None), ("yesterday", None),
    ("ANSWER: NO", False),
])
def test_robust_parser(reply: str | None, expected: bool | None) -> None:
    assert parse_reply(reply, "robust") is expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("Yes", True), ("Not really", False), ("I don't know", False), ("eyes", True), ("maybe", None),
    ("<think>yes</think> no", False),
])
def test_reference_parser(reply: str, expected: bool | None) -> None:
    assert parse_reply(reply, "reference") is expected


def test_parser_default_mode_is_robust() -> None:
    assert parse_reply("Not really", None) is None


# ---------------------------------------------------------------------------------------------
# Prompts (§6.1, §6.3)


def test_tool_call_prompt_on_real_t1_trajectory(bench_data: Path) -> None:
    data = load_dataset(bench_data / "t1" / "t1_attraction_turns_with_output.csv")
    traj = data[0]
    judge = LLMJudge("tool_calls", settings=SETTINGS, client=None,
                     default_tools=get_preset("t1").judge_default_tools())
    prompt = judge.prompt(traj)
    system, user = prompt.messages
    assert system == {"role": "system", "content": SYSTEM_MESSAGE}
    plan = next(m.code for m in traj.messages if m.code)
    assert plan in user["content"]  # the plan code verbatim
    assert "After user message 1:" in user["content"]  # grouped per turn (alignment known)
    assert "- search_attractions:" in user["content"]  # the preset's tools (the data has none)
    assert all(m.content in user["content"] for m in traj.messages if m.role == "user")
    assert user["content"].endswith(ANSWER_CUE)
    assert "bookkeeping" in user["content"].lower()
    assert prompt.truncated_fields == 0


def test_unknown_alignment_and_tool_results_are_shown() -> None:
    traj = trajectory(1, tool_results=True)
    traj.metadata = {"turn_alignment": "unknown"}
    text = tool_call_validity_prompt(traj, None).messages[1]["content"]
    assert "(for the whole conversation)" in text
    assert "## Tool results\nsearch_attractions → 3 attractions found" in text
    assert "search_attractions(city='Denver', state='CO', type=['Guided'])" in text


def test_fields_are_truncated_and_counted() -> None:
    traj = trajectory(1, user="x" * 500, output="y" * 500)
    prompt = t1_output_validity_prompt(traj, max_field_chars=100)
    text = prompt.messages[1]["content"]
    assert prompt.truncated_fields == 2  # conversation and output; the calls fit
    assert text.count(TRUNCATION_MARKER) == 2
    assert "x" * 101 not in text and "x" * 90 in text


def test_acp_output_prompt(bench_data: Path) -> None:
    item = load_dataset(bench_data / "acp" / "acp_app_prog.csv")[0]
    text = acp_output_validity_prompt(item).messages[1]["content"]
    context, question = item.messages[0].content.split("\n")[:2]
    assert f"## Context\n{context}" in text and f"## Question\n{question}" in text
    assert f"## Proposed answer\n{item.output}" in text
    assert "Only answer yes or no." not in text


# ---------------------------------------------------------------------------------------------
# Judging over HTTP


def test_verdicts_reasons_and_request_parameters() -> None:
    replies = {"t0": "Yes", "t1": "No.", "t2": "It depends on the weather", "t3": Reply.error(500),
               "t4": "<think>hmm no</think>yes", "t5": ""}

    def responder(body: dict) -> Reply | str:
        tid = next(k for k in replies if f"(request {k[1:]})" in user_prompt(body))
        return replies[tid]

    trajs = [trajectory(i) for i in range(6)]
    with ScriptedOpenAIServer(responder=responder) as server:
        client = client_for(server)
        verdicts = LLMJudge("tool_calls", settings=SETTINGS, client=client).check_all(trajs)
        bodies = server.requests
    assert [v.valid for v in verdicts] == [True, False, None, None, True, None]
    assert [v.reasons for v in verdicts] == [[], ["judge_no"], ["unparseable_reply"], ["judge_failed"], [],
                                             ["judge_failed"]]
    assert verdicts[2].explanation == "It depends on the weather"  # raw reply kept
    assert "http_500" in verdicts[3].explanation
    assert verdicts[0].details["prompt_version"] == PROMPT_VERSION
    assert verdicts[0].details["model"] == "judge-model" and verdicts[0].checker == f"judge@{PROMPT_VERSION}"
    body = bodies[0]
    assert body["temperature"] == 0.0 and body["max_tokens"] == 16 and body["model"] == "judge-model"
    assert body["response_format"]["type"] == "json_schema"
    # t3: a deterministic 500 is tried twice, then reported as refused and not asked again;
    # t2 and t5 (unreadable, empty) got two repair turns each
    assert len(bodies) == 6 + 1 + 2 * 2


def test_structured_reply_is_read() -> None:
    with ScriptedOpenAIServer(responder=lambda body: '{"answer": "no"}') as server:
        verdicts = LLMJudge("output", settings=SETTINGS, client=client_for(server)).check_all([trajectory(0)])
    assert verdicts[0].valid is False and verdicts[0].details["structured"] is True


def test_falls_back_when_response_format_is_rejected() -> None:
    def responder(body: dict) -> Reply | str:
        if "response_format" in body:
            return Reply.error(400, message="response_format is not supported")
        return "yes"

    trajs = [trajectory(i) for i in range(5)]
    with ScriptedOpenAIServer(responder=responder) as server:
        client = client_for(server)
        judge = LLMJudge("output", settings=SETTINGS, client=client)
        first = judge.check_all(trajs)
        with_format = sum("response_format" in b for b in server.requests)
        again = judge.check_all([trajectory(9)])
        n = len(server.requests)
    assert [v.valid for v in first] == [True] * 5 and first[0].details["structured"] is False
    assert with_format == 1  # only the probe carried response_format
    assert "response_format" in client.rejected_parameters
    assert again[0].valid is True and n == 1 + 5 + 1  # no second probe
    assert client.usage.failed == 0 and client.usage.rejected == 1


def test_reference_parse_sends_plain_requests() -> None:
    settings = JudgeSettings(model="judge-model", parse="reference")
    with ScriptedOpenAIServer(["I don't know"]) as server:
        verdicts = LLMJudge("output", settings=settings, client=client_for(server)).check_all([trajectory(0)])
        body = server.requests[0]
    assert "response_format" not in body
    assert verdicts[0].valid is False and verdicts[0].details["parse"] == "reference"


def test_no_judge_and_empty_output_make_no_call() -> None:
    with ScriptedOpenAIServer() as server:
        none_configured = LLMJudge("output", settings=JudgeSettings(), client=client_for(server))
        no_model = none_configured.check_all([trajectory(0)])
        judge = LLMJudge("output", settings=SETTINGS, client=client_for(server))
        empty = judge.check_all([trajectory(1, output="  "), trajectory(2, output=None)])
        n = len(server.requests)
    assert n == 0
    assert no_model[0].valid is None and no_model[0].reasons == ["no_judge"]
    assert [v.valid for v in empty] == [False, False] and empty[0].reasons == ["empty_output"]


def test_dry_run_verdicts_are_unscored(tmp_path: Path) -> None:
    with ScriptedOpenAIServer() as server:
        client = client_for(server, dry_run=True)
        verdicts = LLMJudge("tool_calls", settings=SETTINGS, client=client).check_all(
            [trajectory(0), trajectory(1)])
        n = len(server.requests)
    assert n == 0 and [v.reasons for v in verdicts] == [["dry_run"], ["dry_run"]]
    assert client.usage.estimated_calls == 2


def test_rerun_answers_from_cache() -> None:
    with ScriptedOpenAIServer(responder=lambda body: "yes") as server:
        trajs = [trajectory(i) for i in range(4)]
        LLMJudge("output", settings=SETTINGS, client=client_for(server)).check_all(trajs)
        server.clear()
        verdicts = LLMJudge("output", settings=SETTINGS, client=client_for(server)).check_all(trajs)
        n = len(server.requests)
    assert n == 0 and all(v.details["cached"] for v in verdicts)


# ---------------------------------------------------------------------------------------------
# Downstream equivalence


def test_judge_equivalence_prompts_and_outcomes() -> None:
    ref = trajectory(0)
    with ScriptedOpenAIServer(["yes", "no"]) as server:
        client = client_for(server)
        calls = judge_equivalence(client, SETTINGS, "tool_calls", [ref], ["search_attractions(state='OR')"],
                                  [["search_attractions(state='Oregon')", "print('done')"]])
        outputs = judge_equivalence(client, SETTINGS, "output", [ref], ["Visit the zoo."], ["See the zoo."])
        first, second = (user_prompt(b) for b in server.requests)
    assert calls[0].valid is True and outputs[0].valid is False and outputs[0].reason == "judge_no"
    assert "## Expected tool calls\nsearch_attractions(state='OR')" in first
    assert "## Actual tool calls\nsearch_attractions(state='Oregon')\nprint('done')" in first
    assert '"OR" and "Oregon"' in first
    assert "## Expected output\nVisit the zoo." in second and "## Actual output\nSee the zoo." in second
    assert "judge the content, not the style" in second


def test_judge_equivalence_checks_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        judge_equivalence(None, SETTINGS, "output", [trajectory(0)], ["a", "b"], ["a"])


def test_judge_prompts_without_client_is_no_judge() -> None:
    prompt = output_validity_prompt(trajectory(0))
    [outcome] = judge_prompts(None, SETTINGS, [prompt])
    assert outcome.valid is None and outcome.reason == "no_judge"


# ---------------------------------------------------------------------------------------------
# Surviving real servers: flaky replies, refused structured output, identical outputs


def flaky_responder(seed: int, error_rate: float, garbage_rate: float):
    """HTTP 500 with probability ``error_rate``, an unreadable reply with ``garbage_rate``, else the
    true answer (``yes`` for even request numbers)."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def respond(body: dict) -> Reply | str:
        with lock:
            draw = rng.random()
        if draw < error_rate:
            return Reply.error(500, message="upstream overloaded")
        if draw < error_rate + garbage_rate:
            return "I am not sure, it depends."
        number = int(re.search(r"\(request (\d+)\)", body["messages"][1]["content"]).group(1))
        return "yes" if number % 2 == 0 else "no"

    return respond


def test_flaky_server_leaves_few_unscored_and_rerun_changes_no_verdict(tmp_path: Path) -> None:
    trajs = [trajectory(i) for i in range(100)]
    # the default retry budget (max_retries 3)
    settings = LLMSettings(backoff_base=0.001, backoff_max=0.005, timeout=5.0, cache_dir=tmp_path)
    with ScriptedOpenAIServer(responder=flaky_responder(7, 0.3, 0.1)) as server:
        client = LLMClient(settings, base_url=server.base_url, progress=False)
        first = LLMJudge("output", settings=SETTINGS, client=client).check_all(trajs)
        server.responder = lambda body: "yes" if int(re.search(
            r"\(request (\d+)\)", body["messages"][1]["content"]).group(1)) % 2 == 0 else "no"
        server.clear()
        again = LLMJudge("output", settings=SETTINGS, client=LLMClient(
            settings, base_url=server.base_url, progress=False)).check_all(trajs)
        resent = len(server.requests)
    unscored = [i for i, v in enumerate(first) if v.valid is None]
    assert len(unscored) <= 2
    assert all(v.valid is (i % 2 == 0) for i, v in enumerate(first) if v.valid is not None)
    assert all(v.valid is not None for v in again)
    assert [a.valid for a, f in zip(again, first, strict=True) if f.valid is not None] == \
        [f.valid for f in first if f.valid is not None]  # judged verdicts unchanged
    assert all(again[i].details["cached"] for i, f in enumerate(first) if f.valid is not None)
    assert resent == len(unscored)  # only the unscored items were asked again


def test_unreadable_reply_is_repaired_and_not_cached(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(["the weather is nice", "Yes"]) as server:
        client = client_for(server, cache_dir=tmp_path)
        [verdict] = LLMJudge("output", settings=SETTINGS, client=client).check_all([trajectory(0)])
        repair = server.requests[1]["messages"]
        server.clear()
        [cached] = LLMJudge("output", settings=SETTINGS, client=client_for(server, cache_dir=tmp_path)
                            ).check_all([trajectory(0)])
        n = len(server.requests)
    assert verdict.valid is True and cached.valid is True and n == 0
    assert repair[-2] == {"role": "assistant", "content": "the weather is nice"}
    assert repair[-1] == {"role": "user", "content": REPAIR_TURN}


@pytest.mark.parametrize("flavor", ["llama.cpp", "openai"])
def test_structured_output_refused_with_500_falls_back_to_text(flavor: str) -> None:
    def responder(body: dict) -> Reply | str:
        if "response_format" in body:  # openai flavour: scripted like llama.cpp's 500
            return Reply.error(500, message="failed to parse grammar from json_schema")
        return "yes"

    trajs = [trajectory(i) for i in range(20)]
    with ScriptedOpenAIServer(responder=responder, flavor=flavor) as server:
        client = client_for(server)
        verdicts = LLMJudge("output", settings=SETTINGS, client=client).check_all(trajs)
        with_format = sum("response_format" in b for b in server.requests)
    assert all(v.valid is True for v in verdicts) and verdicts[0].details["structured"] is False
    assert with_format == 1 and "response_format" in client.rejected_parameters
    assert client.usage.failed == 0 and client.usage.rejected == 1


def test_unauthorised_endpoint_stops_the_run_at_once() -> None:
    with ScriptedOpenAIServer(api_key="right-key") as server:
        client = LLMClient(LLMSettings(backoff_base=0.01, timeout=5.0, api_key="wrong-key"),
                           base_url=server.base_url, progress=False)
        start = time.monotonic()
        with pytest.raises(LLMFatalError, match="401") as info:
            LLMJudge("output", settings=SETTINGS, client=client).check_all([trajectory(i) for i in range(50)])
        elapsed = time.monotonic() - start
        n = len(server.requests)
    assert info.value.kind == "auth" and elapsed < 3 and n <= 2


def test_silent_server_trips_the_breaker_before_timeouts_add_up() -> None:
    with ScriptedOpenAIServer(responder=lambda body: Reply.slow(60)) as server:
        client = LLMClient(LLMSettings(timeout=0.5, max_retries=3, backoff_base=0.01, concurrency=2),
                           base_url=server.base_url, progress=False, breaker_threshold=4)
        start = time.monotonic()
        with pytest.raises(LLMFatalError, match="consecutive") as info:
            LLMJudge("output", settings=SETTINGS, client=client).check_all([trajectory(i) for i in range(30)])
        elapsed = time.monotonic() - start
    # without the breaker: 30 requests × 4 attempts × 0.5 s / 2 in parallel = 30 s
    assert info.value.kind == "breaker" and elapsed < 3
    assert "not done" in str(info.value)


def test_all_unscored_is_an_error_for_commands() -> None:
    with ScriptedOpenAIServer(responder=lambda body: "perhaps") as server:
        client = client_for(server)
        verdicts = LLMJudge("output", settings=SETTINGS, client=client).check_all([trajectory(0)])
        assert verdicts[0].reasons == ["unparseable_reply"]
        with pytest.raises(LLMFatalError, match="unscored"):
            client.raise_if_all_unscored()


def test_identical_outputs_are_equivalent_without_a_call() -> None:
    ref = trajectory(0)
    with ScriptedOpenAIServer(["no"]) as server:
        outcomes = judge_equivalence(client_for(server), SETTINGS, "output", [ref, ref],
                                     ["Visit  the Zoo.\n", "Visit the zoo."],
                                     [" visit the zoo.", "See the zoo."])
        n = len(server.requests)
    assert [o.valid for o in outcomes] == [True, False] and outcomes[0].reason == "identical" and n == 1
    [offline] = judge_equivalence(None, SETTINGS, "output", [ref], ["Same"], ["same "])
    assert offline.valid is True


def test_the_same_broken_reply_costs_two_requests_per_item_not_a_judge_round_each() -> None:
    invalid_utf8 = b'{"choices": [{"message": {"content": "\xff\xfe yes"}}]}'
    with ScriptedOpenAIServer(responder=lambda body: Reply.raw(invalid_utf8)) as server:
        client = LLMClient(LLMSettings(backoff_base=0.01, backoff_max=0.02, timeout=2.0, cache=False),
                           base_url=server.base_url, progress=False)
        verdicts = LLMJudge("output", settings=SETTINGS, client=client).check_all(
            [trajectory(i) for i in range(20)])
        n = len(server.requests)
    # before: 4 attempts per request and 4 judge rounds, 320 requests for 20 items
    assert n == 40 and all(v.valid is None and "judge_failed" in v.reasons for v in verdicts)
