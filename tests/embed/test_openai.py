"""The OpenAI-compatible embedder over real HTTP against the loopback test server."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.openai_server import Reply, ScriptedOpenAIServer, embedding_for
from synae.config import EmbeddingSettings
from synae.embed import get_embedder, make_pipeline
from synae.embed.openai import OpenAIEmbedder
from synae.errors import SynaeError


def test_openai_embeddings_through_the_pipeline(tmp_path):
    with ScriptedOpenAIServer() as server:
        settings = EmbeddingSettings(model="openai:test-embed", base_url=server.base_url, api_key="k",
                                     cache_dir=tmp_path, batch_size=2)
        pipe = make_pipeline(settings, progress=False)
        out = pipe.embed(["hello", "world", "hello", "third text"])
        expected = np.array(embedding_for("hello"))
        assert np.allclose(out.vectors[0], expected / np.linalg.norm(expected), atol=1e-6)
        bodies = [r for r in server.requests if "input" in r]
        assert [len(b["input"]) for b in bodies] == [2, 1]  # 3 distinct texts, batches of 2
        assert bodies[0]["model"] == "test-embed"
        assert server.calls[0].headers.get("authorization") == "Bearer k"
        again = make_pipeline(settings, progress=False).embed(["world"])
        assert len([r for r in server.requests if "input" in r]) == 2  # served from the cache
        assert np.array_equal(again.vectors[0], out.vectors[1])


def test_openai_long_text_chunked_on_words():
    with ScriptedOpenAIServer() as server:
        embedder = OpenAIEmbedder("m", base_url=server.base_url, window_words=5)
        pipe = make_pipeline(EmbeddingSettings(cache=False), embedder=embedder, progress=False)
        out = pipe.embed([" ".join(f"w{i}" for i in range(12))])
        assert out.stats.n_multi_window == 1 and out.stats.n_windows == 3


def test_openai_errors_are_clear():
    with ScriptedOpenAIServer(embedding_replies=[Reply.error(400, message="bad model")]) as server:
        embedder = OpenAIEmbedder("m", base_url=server.base_url, max_retries=0)
        with pytest.raises(SynaeError, match="HTTP 400"):
            embedder.encode(["x"])
    with ScriptedOpenAIServer(embedding_replies=[Reply.error(500), Reply.raw("{oops")]) as server:
        embedder = OpenAIEmbedder("m", base_url=server.base_url, max_retries=1)
        with pytest.raises(SynaeError, match="unexpected body"):
            embedder.encode(["x"])


def test_openai_name_parsing(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    embedder = get_embedder("openai:text-embedding-3-small")
    assert embedder.model_id == "openai:text-embedding-3-small@http://127.0.0.1:9/v1"
