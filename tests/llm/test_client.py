"""LLMClient against a real loopback HTTP server with scripted replies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import LLMSettings
from synae.errors import LLMFatalError
from synae.llm.client import ChatRequest, LLMClient, LLMError, parse_retry_after

FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 2.0, "max_retries": 3}
FAST_CONCURRENCY_BOUND = 8  # requests at most in flight when a fatal reply arrives (default concurrency)


def make_client(server: ScriptedOpenAIServer, **overrides) -> LLMClient:
    return LLMClient(LLMSettings(**{**FAST, **overrides}), base_url=server.base_url, api_key="sk-test",
                     progress=False)


def ask(text: str, **params) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], model="judge-model", **params)


def test_payload_contains_only_given_parameters_and_auth_header() -> None:
    with ScriptedOpenAIServer(["yes"]) as server:
        client = make_client(server)
        response = client.chat(ask("hello", temperature=0.0, max_tokens=16, seed=7,
                                   response_format={"type": "json_object"}, extra={"top_p": 0.5}))
        body = server.requests[0]
        headers = server.calls[0].headers
    assert response.content == "yes" and response.cached is False and response.finish_reason == "stop"
    assert body == {"model": "judge-model", "messages": [{"role": "user", "content": "hello"}],
                    "temperature": 0.0, "max_tokens": 16, "seed": 7,
                    "response_format": {"type": "json_object"}, "top_p": 0.5}
    assert headers["authorization"] == "Bearer sk-test"
    assert server.calls[0].path == "/v1/chat/completions"


def test_endpoint_and_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedOpenAIServer(["ok"]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
        client = LLMClient(LLMSettings(**FAST), progress=False)
        assert client.base_url == server.base_url
        client.chat(ask("x"))
        assert server.calls[0].headers["authorization"] == "Bearer sk-env"


def test_tool_calls_usage_and_reasoning_are_returned() -> None:
    reply = Reply.tools(("search_attractions", {"city": "Austin", "state": "TX"}),
                        reasoning_content="the user wants Austin", usage={"prompt_tokens": 40,
                                                                          "completion_tokens": 9})
    with ScriptedOpenAIServer([reply]) as server:
        client = make_client(server)
        response = client.chat(ask("find", tools=[{"type": "function", "function": {"name": "f"}}],
                                   tool_choice="auto"))
    assert response.finish_reason == "tool_calls"
    assert response.tool_calls[0]["function"]["name"] == "search_attractions"
    assert response.reasoning == "the user wants Austin"
    assert client.usage.prompt_tokens == 40 and client.usage.completion_tokens == 9
    assert client.usage.calls == 1


def test_think_block_removed_from_text() -> None:
    with ScriptedOpenAIServer(["<think>Is it yes? maybe no</think>\n Yes."]) as server:
        response = make_client(server).chat(ask("q"))
    assert response.content.startswith("<think>") and response.text == "Yes."


def test_slow_reply_times_out_and_is_retried() -> None:
    with ScriptedOpenAIServer([Reply.slow(3.0, "late"), Reply.text("on time")]) as server:
        client = make_client(server, timeout=0.3)
        start = time.monotonic()
        response = client.chat(ask("q"))
        elapsed = time.monotonic() - start
        n = len(server.requests)
    assert response.content == "on time"
    assert n == 2 and client.usage.retries == 1
    assert 0.3 <= elapsed < 2.8  # timed out after 0.3 s instead of waiting 3 s


def test_timeouts_exhaust_retries() -> None:
    with ScriptedOpenAIServer([Reply.slow(3.0)] * 3) as server:
        client = make_client(server, timeout=0.2, max_retries=2)
        with pytest.raises(LLMError) as info:
            client.chat(ask("q"))
        n = len(server.requests)
    assert info.value.kind == "timeout" and info.value.attempts == 3 and n == 3
    assert client.usage.failed == 1 and client.usage.calls == 0


def test_server_errors_are_retried_then_fail() -> None:
    with ScriptedOpenAIServer([Reply.error(500), Reply.error(503), Reply.text("fine")]) as server:
        client = make_client(server)
        assert client.chat(ask("q")).content == "fine"
        assert len(server.requests) == 3
        server.push(*[Reply.error(502)] * 4)
        with pytest.raises(LLMError) as info:
            client.chat(ask("other"))
    assert info.value.kind == "http_502" and info.value.status == 502 and info.value.attempts == 4
    assert "scripted error" in str(info.value)


def test_429_waits_for_retry_after() -> None:
    with ScriptedOpenAIServer([Reply.error(429, retry_after=0.6), Reply.text("ok")]) as server:
        client = make_client(server, backoff_base=0.0)
        assert client.chat(ask("q")).content == "ok"
        first, second = server.calls
    waited = second.time - first.time
    assert 0.6 <= waited < 3.0  # Retry-After honoured (the exponential backoff would be 0 here)


def test_retry_after_is_capped() -> None:
    with ScriptedOpenAIServer([Reply.error(429, retry_after=30), Reply.text("ok")]) as server:
        client = make_client(server, retry_after_max=0.1)
        start = time.monotonic()
        client.chat(ask("q"))
    assert time.monotonic() - start < 5.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    from email.utils import formatdate
    in_ten = parse_retry_after(formatdate(time.time() + 10, usegmt=True))
    assert in_ten is not None and 8 <= in_ten <= 10.5


@pytest.mark.parametrize("bad", [Reply.raw("{not json"), Reply.empty_choices(),
                                 Reply.raw('{"choices": null}'), Reply.raw("[1, 2]")])
def test_malformed_replies_are_retried(bad: Reply) -> None:
    with ScriptedOpenAIServer([bad, Reply.text("good")]) as server:
        client = make_client(server)
        assert client.chat(ask("q")).content == "good"
        assert len(server.requests) == 2


def test_malformed_replies_exhaust_retries() -> None:
    with ScriptedOpenAIServer([Reply.empty_choices()] * 2) as server, pytest.raises(LLMError) as info:
        make_client(server, max_retries=1).chat(ask("q"))
    assert info.value.kind == "malformed" and "no choices" in info.value.message


def test_client_error_is_not_retried() -> None:
    with ScriptedOpenAIServer([Reply.error(400, message="response_format not supported")]) as server:
        client = make_client(server)
        with pytest.raises(LLMError) as info:
            client.chat(ask("q"))
        assert len(server.requests) == 1
    assert info.value.kind == "http_400" and "response_format not supported" in info.value.message


def test_replies_are_cached_on_disk_by_full_request(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(responder=lambda body: f"reply {len(body)}") as server:
        client = make_client(server, cache_dir=tmp_path)
        first = client.chat(ask("q", temperature=0.0))
        again = client.chat(ask("q", temperature=0.0))
        other = client.chat(ask("q", temperature=0.5))
        fresh = make_client(server, cache_dir=tmp_path).chat(ask("q", temperature=0.0))
        n = len(server.requests)
    assert (first.cached, again.cached, other.cached, fresh.cached) == (False, True, False, True)
    assert again.content == first.content == fresh.content
    assert n == 2 and len(client.cache) == 2
    assert client.usage.calls == 2 and client.usage.cached == 1


def test_cache_can_be_disabled() -> None:
    with ScriptedOpenAIServer() as server:
        client = make_client(server, cache=False)
        client.chat(ask("q"))
        client.chat(ask("q"))
        assert len(server.requests) == 2 and client.cache is None


def test_failures_are_not_cached() -> None:
    with ScriptedOpenAIServer([Reply.error(400)]) as server:
        client = make_client(server)
        with pytest.raises(LLMError):
            client.chat(ask("q"))
        assert client.chat(ask("q")).content == "ok"
        assert len(server.requests) == 2


def test_chat_many_keeps_order_and_reports_failures() -> None:
    def responder(body: dict) -> Reply:
        text = body["messages"][0]["content"]
        if text == "q3":
            return Reply.error(404)
        return Reply.slow(0.05 * (5 - int(text[1:])), f"answer {text}")  # later ones finish first

    with ScriptedOpenAIServer(responder=responder) as server:
        client = make_client(server, concurrency=6)
        results = client.chat_many([ask(f"q{i}") for i in range(6)], description="order test", progress=True)
    assert [getattr(r, "content", None) for r in results] == [
        "answer q0", "answer q1", "answer q2", None, "answer q4", "answer q5"]
    assert isinstance(results[3], LLMError) and results[3].kind == "http_404"
    assert client.usage.failed == 1 and client.usage.calls == 5


@pytest.mark.parametrize("concurrency", [3, 11])  # one connection pool; two pools (POOL_SIZE 8)
def test_concurrency_limit_is_respected(concurrency: int) -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def responder(body: dict) -> str:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return "ok"

    with ScriptedOpenAIServer(responder=responder) as server:
        client = make_client(server, concurrency=concurrency)
        start = time.monotonic()
        results = client.chat_many([ask(f"q{i}") for i in range(3 * concurrency)])
        elapsed = time.monotonic() - start
    assert all(r.content == "ok" for r in results)
    assert state["peak"] == concurrency
    assert elapsed >= 0.3  # three rounds of `concurrency` requests, 0.1 s each


def test_identical_requests_in_flight_are_sent_once() -> None:
    with ScriptedOpenAIServer(responder=lambda body: Reply.slow(0.1, "same")) as server:
        client = make_client(server, concurrency=4)
        results = client.chat_many([ask("dup")] * 5 + [ask("other")])
        n = len(server.requests)
    assert [r.content for r in results] == ["same"] * 6
    assert n == 2 and client.usage.calls == 2 and client.usage.cached == 4


def test_dry_run_counts_without_calling(tmp_path: Path) -> None:
    with ScriptedOpenAIServer() as server:
        make_client(server, cache_dir=tmp_path).chat(ask("already done"))
        server.clear()
        client = make_client(server, cache_dir=tmp_path, dry_run=True)
        requests = [ask("already done"), ask("a" * 400, max_tokens=16), ask("b", max_tokens=16)]
        results = client.chat_many(requests)
        n = len(server.requests)
    assert n == 0
    assert results[0].content == "ok" and results[0].cached
    assert all(isinstance(r, LLMError) and r.kind == "dry_run" for r in results[1:])
    usage = client.usage
    assert usage.estimated_calls == 2 and usage.failed == 0 and usage.cached == 1
    assert usage.estimated_prompt_tokens == requests[1].estimated_prompt_tokens() + \
        requests[2].estimated_prompt_tokens()
    assert usage.estimated_prompt_tokens > 100 and usage.estimated_completion_tokens == 32


def test_async_api_and_sync_call_inside_running_loop() -> None:
    with ScriptedOpenAIServer(responder=lambda body: body["messages"][0]["content"].upper()) as server:
        client = make_client(server)

        async def main() -> tuple[str, str, list]:
            async with client:
                first = await client.achat(ask("abc"))
                many = await client.achat_many([ask("x"), ask("y")], progress=False)
                inside = client.chat(ask("def"))  # sync wrapper from a running loop
            return first.content, inside.content, [r.content for r in many]

        assert asyncio.run(main()) == ("ABC", "DEF", ["X", "Y"])


RESUME_SCRIPT = textwrap.dedent("""
    import sys
    from synae.config import LLMSettings
    from synae.llm.client import ChatRequest, LLMClient

    client = LLMClient(LLMSettings(concurrency=1, timeout=60, cache_dir=sys.argv[2]), base_url=sys.argv[1],
                       progress=False)
    requests = [ChatRequest([{"role": "user", "content": f"q{i}"}], model="judge-model") for i in range(10)]
    client.chat_many(requests)
""")


def test_killed_run_resumes_without_repeating_finished_calls(tmp_path: Path) -> None:
    release = threading.Event()

    def responder(body: dict) -> str:
        text = body["messages"][0]["content"]
        if int(text[1:]) >= 4:
            release.wait(30)  # hangs until the first run has been killed
        return f"answer {text}"

    script = tmp_path / "run.py"
    script.write_text(RESUME_SCRIPT)
    cache_dir = tmp_path / "cache"
    with ScriptedOpenAIServer(responder=responder) as server:
        proc = subprocess.Popen([sys.executable, str(script), server.base_url, str(cache_dir)])
        try:
            deadline = time.monotonic() + 30
            while len(server.requests) < 5 and time.monotonic() < deadline:  # q0..q3 answered, q4 hangs
                time.sleep(0.02)
            time.sleep(0.1)
        finally:
            proc.kill()
            proc.wait()
            release.set()
        first_run = [b["messages"][0]["content"] for b in server.requests]
        assert first_run == ["q0", "q1", "q2", "q3", "q4"]
        server.clear()
        client = make_client(server, cache_dir=cache_dir)
        results = client.chat_many([ask(f"q{i}") for i in range(10)])
        results = [r.content for r in results]  # all succeed
        second_run = sorted(b["messages"][0]["content"] for b in server.requests)
    assert second_run == [f"q{i}" for i in range(4, 10)]
    assert results == [f"answer q{i}" for i in range(10)]
    assert client.usage.cached == 4 and client.usage.calls == 6


def test_backoff_grows_exponentially_with_jitter_and_cap() -> None:
    client = LLMClient(LLMSettings(backoff_base=1.0, backoff_max=5.0, retry_after_max=2.0), progress=False)
    waits = [[client._backoff(attempt, None) for _ in range(50)] for attempt in range(4)]
    for attempt, samples in enumerate(waits):
        d = min(5.0, 2.0 ** attempt)
        assert all(d / 2 <= w <= d for w in samples)
        assert len(set(samples)) > 1  # jittered
    assert client._backoff(0, 1.5) == 1.5 and client._backoff(0, 60.0) == 2.0  # Retry-After, capped


def test_progress_counts() -> None:
    from synae.llm.progress import CallProgress

    with CallProgress(4, "test", enabled=True) as bar:
        for outcome in ("done", "cached", "failed", "done"):
            bar.advance(outcome)
    assert bar.counts == {"done": 2, "cached": 1, "failed": 1, "estimated": 0}
    assert bar._counts_text() == "done 2 · cached 1 · failed 1"


# ---------------------------------------------------------------------------------------------
# Real-server quirks and fail-fast


def test_cache_key_differs_by_base_url(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(["from A"]) as a, ScriptedOpenAIServer(["from B"]) as b:
        first = make_client(a, cache_dir=tmp_path).chat(ask("q"))
        other = make_client(b, cache_dir=tmp_path).chat(ask("q"))
        again = make_client(a, cache_dir=tmp_path).chat(ask("q"))
    assert (first.content, other.content, again.content) == ("from A", "from B", "from A")
    assert not other.cached and again.cached
    assert ask("q").cache_key("http://a:1/v1") != ask("q").cache_key("http://b:1/v1")
    assert ask("q").cache_key("http://a:1/v1") == ask("q").cache_key("http://a:1/v1/")


def test_vllm_unsupported_parameter_is_dropped_and_remembered() -> None:
    with ScriptedOpenAIServer(responder=lambda body: "fine", flavor="vllm",
                              unsupported_params=["seed"]) as server:
        client = make_client(server)
        replies = [client.chat(ask(f"q{i}", seed=3)) for i in range(3)]
        bodies = server.requests
    assert [r.content for r in replies] == ["fine"] * 3
    assert ["seed" in b for b in bodies] == [True, False, False, False]
    assert client.rejected_parameters == {"seed"} and client.usage.rejected == 1 and client.usage.failed == 0


def test_llama_cpp_json_schema_500_degrades_to_text() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "v", "schema": {"type": "object"}}}
    with ScriptedOpenAIServer(responder=lambda body: "yes", flavor="llama.cpp") as server:
        client = make_client(server)
        reply = client.chat(ask("q", response_format=schema))
        n = len(server.requests)
    assert reply.content == "yes" and n == 2 and client.rejected_parameters == {"response_format"}


def test_plain_500_naming_nothing_is_still_retried() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "v", "schema": {"type": "object"}}}
    with ScriptedOpenAIServer([Reply.error(500, message="busy"), "yes"]) as server:
        client = make_client(server)
        reply = client.chat(ask("q", response_format=schema))
        body = server.requests[1]
    assert reply.content == "yes" and "response_format" in body and not client.rejected_parameters


@pytest.mark.parametrize(("flavor", "kind"), [("openai", "model_not_found"), ("vllm", "model_not_found"),
                                              ("ollama", "model_not_found")])
def test_unknown_model_is_fatal(flavor: str, kind: str) -> None:
    with ScriptedOpenAIServer(flavor=flavor, models=["llama3"]) as server:
        client = make_client(server)
        with pytest.raises(LLMFatalError, match="judge-model") as info:
            client.chat_many([ask(f"q{i}") for i in range(20)])
        time.sleep(0.3)  # requests cancelled in flight may still reach the server thread
        n = len(server.requests)
        with pytest.raises(LLMFatalError):  # every later request stops too, unsent
            client.chat(ask("later"))
        assert len(server.requests) == n
    assert info.value.kind == kind and n <= FAST_CONCURRENCY_BOUND


def test_ollama_without_v1_prefix_is_fatal_and_error_shape_is_read() -> None:
    with ScriptedOpenAIServer([Reply.raw('{"error": "bad things"}', status=400)], flavor="ollama") as server:
        with pytest.raises(LLMFatalError, match="/v1") as info:
            LLMClient(LLMSettings(**FAST), base_url=server.base_url.removesuffix("/v1"),
                      progress=False).chat(ask("q"))
        with pytest.raises(LLMError, match="bad things"):
            make_client(server).chat(ask("q"))
    assert info.value.kind == "not_found"


def test_deadline_stops_the_run() -> None:
    with ScriptedOpenAIServer(responder=lambda body: Reply.slow(0.3, "late")) as server:
        client = LLMClient(LLMSettings(**FAST, concurrency=1), base_url=server.base_url, progress=False,
                           deadline=1.0)
        start = time.monotonic()
        with pytest.raises(LLMFatalError, match="deadline") as info:
            client.chat_many([ask(f"q{i}") for i in range(20)])
        elapsed = time.monotonic() - start
    assert info.value.kind == "deadline" and elapsed < 3.0  # 20 × 0.3 s without the deadline
    assert 1 <= client.usage.calls <= 4 and "not done" in str(info.value)


def test_rejected_replies_are_not_cached(tmp_path: Path) -> None:
    with ScriptedOpenAIServer(["garbage", "yes"]) as server:
        client = make_client(server, cache_dir=tmp_path)
        first = client.chat(ask("q"), accept=lambda r: r.content == "yes")
        second = client.chat(ask("q"), accept=lambda r: r.content == "yes")
        third = client.chat(ask("q"), accept=lambda r: r.content == "yes")
    assert (first.content, second.content, third.content) == ("garbage", "yes", "yes")
    assert third.cached and len(server.requests) == 2
