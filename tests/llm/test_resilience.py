"""The client against hostile or struggling servers: breaker, probe, refused and broken replies, reply
size, model list, remembered refusals, adaptive concurrency and timeouts (real loopback HTTP)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer
from synae.config import LLMSettings
from synae.errors import LLMFatalError
from synae.llm.client import ChatRequest, LLMClient, LLMError

FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 2.0, "max_retries": 3, "cache": False}


def client_for(server: ScriptedOpenAIServer, **overrides) -> LLMClient:
    settings = {**FAST, **overrides}
    breaker = settings.pop("breaker_threshold", 5)
    return LLMClient(LLMSettings(**settings), base_url=server.base_url, progress=False,
                     breaker_threshold=breaker)


def ask(text: str, model: str = "judge-model", **params) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], model=model, **params)


def test_a_burst_of_resets_after_successes_does_not_stop_the_run() -> None:
    replies = [Reply.text("ok")] * 20 + [Reply.connection_reset()] * 12
    with ScriptedOpenAIServer(replies) as server:
        client = client_for(server, concurrency=16)
        results = client.chat_many([ask(f"q{i}") for i in range(40)])
    assert all(not isinstance(r, LLMError) for r in results)  # before: the breaker stopped the run
    assert client.usage.calls == 40 and client.usage.retries >= 12


def test_an_endpoint_that_dies_still_trips_the_breaker_after_the_window() -> None:
    def dead(body: dict) -> Reply:
        return Reply.connection_reset()

    with ScriptedOpenAIServer([Reply.text("ok")] * 3, responder=dead) as server:
        client = client_for(server, concurrency=2, breaker_threshold=3, breaker_window=0.3, max_retries=8)
        start = time.monotonic()
        with pytest.raises(LLMFatalError, match=r"none in the last 0\.3 s") as info:
            client.chat_many([ask(f"q{i}") for i in range(30)])
    assert info.value.kind == "breaker" and time.monotonic() - start < 5


def test_a_server_that_never_answers_fails_at_the_probe() -> None:
    with ScriptedOpenAIServer(silent=True) as server:
        client = client_for(server, timeout=60.0, probe_timeout=0.4)
        start = time.monotonic()
        with pytest.raises(LLMFatalError, match="GET /models") as info:
            client.chat_many([ask(f"q{i}") for i in range(5)])
        elapsed = time.monotonic() - start
        n = len(server.requests)
    assert info.value.kind == "unreachable" and elapsed < 3 and n == 0  # before: 60 s per attempt


def test_the_same_broken_reply_is_asked_twice_at_most_per_item() -> None:
    invalid_utf8 = b'{"choices": [{"message": {"content": "\xff\xfe"}}]}'
    with ScriptedOpenAIServer(responder=lambda body: Reply.raw(invalid_utf8)) as server:
        client = client_for(server)
        results = client.chat_many([ask(f"q{i}") for i in range(20)])
        n = len(server.requests)
    assert n == 40  # before: 4 attempts per item (and the judge asked again: 320 for 20)
    assert all(isinstance(r, LLMError) and r.kind == "malformed" and r.final and not r.retryable
               for r in results)
    assert client.usage.refused == 20 and "20 refused by the server" in client.summary()


def test_a_deterministic_500_is_retried_once_and_reported_as_refused() -> None:
    with ScriptedOpenAIServer(responder=lambda body: Reply.error(500, message="template failed")) as server:
        client = client_for(server)
        with pytest.raises(LLMError, match="the server refused this request") as info:
            client.chat(ask("q"))
        n = len(server.requests)
    assert n == 2 and info.value.final and not info.value.retryable  # before: 4 attempts with backoff


@pytest.mark.parametrize("status", [502, 503, 504, 429])
def test_transient_statuses_are_retried(status: int) -> None:
    with ScriptedOpenAIServer([Reply.error(status)] * 3 + [Reply.text("fine")]) as server:
        assert client_for(server).chat(ask("q")).content == "fine"


def test_a_reply_over_the_size_cap_is_rejected_and_not_cached(tmp_path: Path) -> None:
    big = "x" * 300_000
    with ScriptedOpenAIServer([Reply.text(big), Reply.text("small")]) as server:
        client = client_for(server, max_reply_bytes=100_000, cache=True, cache_dir=tmp_path)
        with pytest.raises(LLMError) as info:
            client.chat(ask("q"))
        assert client.chat(ask("q")).content == "small"
        n = len(server.requests)
    assert info.value.kind == "too_large" and info.value.final and n == 2
    assert big not in "".join(p.read_text() for p in tmp_path.glob("*.jsonl"))


def test_a_model_the_server_does_not_list_is_fatal_before_any_chat_request() -> None:
    with ScriptedOpenAIServer(list_models=["/models/qwen2.5-coder-0.5b.gguf"], flavor="llama.cpp") as server:
        with pytest.raises(LLMFatalError, match=r"qwen2\.5-coder-0\.5b\.gguf") as info:
            client_for(server).chat_many([ask(f"q{i}") for i in range(5)])
        assert len(server.requests) == 0  # before: answered under any name
        replies = client_for(server).chat_many([ask(f"q{i}", model="qwen2.5-coder-0.5b.gguf")
                                                for i in range(5)])
        listings = server.model_listings
    assert info.value.kind == "model_not_found" and "'judge-model'" in str(info.value)
    assert all(r.content == "ok" for r in replies if not isinstance(r, LLMError)) and listings == 2


def test_ollama_tags_and_servers_without_a_model_list_are_tolerated() -> None:
    with ScriptedOpenAIServer(list_models=["llama3:latest"]) as server:
        assert client_for(server).chat(ask("q", model="llama3")).content == "ok"
    with ScriptedOpenAIServer(flavor="ollama") as server:  # /v1/models answers 404
        assert client_for(server).chat(ask("q", model="anything")).content == "ok"


def test_a_refused_parameter_is_remembered_in_the_cache_across_runs(tmp_path: Path) -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "v", "schema": {"type": "object"}}}
    with ScriptedOpenAIServer(responder=lambda body: "yes", flavor="llama.cpp") as server:
        first = client_for(server, cache=True, cache_dir=tmp_path)
        first.chat(ask("q1", response_format=schema))
        assert len(server.requests) == 2  # refused, then re-sent without response_format
        server.clear()
        second = client_for(server, cache=True, cache_dir=tmp_path)
        assert second.chat(ask("q1", response_format=schema)).cached  # before: the probe was sent again
        second.chat(ask("q2", response_format=schema))
        sent = server.requests
    assert len(sent) == 1 and "response_format" not in sent[0]
    assert second.rejected_parameters == {"response_format"} and second.usage.rejected == 0


def test_concurrency_drops_on_503_and_every_request_gets_through() -> None:
    lock = threading.Lock()
    active = [0]

    def one_slot(body: dict) -> Reply:
        with lock:
            active[0] += 1
            busy = active[0] > 2
        try:
            if busy:
                return Reply.error(503, message="no free slot")
            time.sleep(0.02)
            return Reply.text("ok")
        finally:
            with lock:
                active[0] -= 1

    with ScriptedOpenAIServer(responder=one_slot) as server:
        client = client_for(server, concurrency=16, max_retries=10, backoff_max=0.02)
        results = client.chat_many([ask(f"q{i}") for i in range(40)])
    assert all(not isinstance(r, LLMError) for r in results)
    assert client._limit.generation >= 2 and client._limit.allowed < 16


def test_a_healthy_slow_server_gets_a_longer_timeout() -> None:
    replies = [Reply.slow(0.2, "first"), Reply.slow(0.45, "second")]
    with ScriptedOpenAIServer(replies) as server:
        client = client_for(server, timeout=0.3, max_retries=0)
        assert client.chat(ask("a")).content == "first"
        assert client.chat(ask("b")).content == "second"  # limit 4 × 0.2 s, not 0.3 s
    with ScriptedOpenAIServer(replies) as server:
        fixed = client_for(server, timeout=0.3, max_retries=0, adaptive_timeout=False)
        assert fixed.chat(ask("a")).content == "first"
        with pytest.raises(LLMError) as info:
            fixed.chat(ask("b"))
    assert info.value.kind == "timeout"


def test_a_500_that_speaks_of_load_is_retried_like_a_503() -> None:
    replies = [Reply.error(500, message="upstream overloaded")] * 3 + [Reply.text("fine")]
    with ScriptedOpenAIServer(replies) as server:
        assert client_for(server).chat(ask("q")).content == "fine"
