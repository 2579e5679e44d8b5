"""The loopback test server itself: routes, embeddings, scripted embedding failures."""

from __future__ import annotations

import httpx
import numpy as np

from helpers.openai_server import Reply, ScriptedOpenAIServer, embedding_for


def test_embeddings_are_deterministic_unit_vectors() -> None:
    with ScriptedOpenAIServer(embedding_dim=8) as server:
        reply = httpx.post(f"{server.base_url}/embeddings", json={"model": "e", "input": ["a", "b", "a"]})
        single = httpx.post(f"{server.base_url}/embeddings", json={"model": "e", "input": "b"})
        missing = httpx.post(f"{server.base_url}/nothing", json={})
    vectors = np.array([d["embedding"] for d in reply.json()["data"]])
    assert vectors.shape == (3, 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[0], vectors[2]) and not np.allclose(vectors[0], vectors[1])
    assert np.allclose(single.json()["data"][0]["embedding"], vectors[1])
    assert np.allclose(vectors[0], embedding_for("a", 8))
    assert missing.status_code == 404
    assert [c.path for c in server.calls] == ["/v1/embeddings", "/v1/embeddings", "/v1/nothing"]


def test_scripted_embedding_failure() -> None:
    with ScriptedOpenAIServer(embedding_replies=[Reply.error(503, retry_after=1)]) as server:
        first = httpx.post(f"{server.base_url}/embeddings", json={"input": ["x"]})
        second = httpx.post(f"{server.base_url}/embeddings", json={"input": ["x"]})
    assert first.status_code == 503 and first.headers["retry-after"] == "1"
    assert second.status_code == 200 and len(second.json()["data"]) == 1


def test_llama_cpp_mode_refuses_null_content_and_lists_models() -> None:
    body = {"model": "m", "messages": [{"role": "assistant", "content": None}]}
    with ScriptedOpenAIServer(flavor="llama.cpp", list_models=["m.gguf"]) as server:
        refused = httpx.post(f"{server.base_url}/chat/completions", json=body)
        listed = httpx.get(f"{server.base_url}/models").json()
    assert refused.status_code == 500 and "NoneType" in refused.json()["error"]["message"]
    assert [m["id"] for m in listed["data"]] == ["m.gguf"]
