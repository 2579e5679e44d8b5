"""The local executor: every stage equals the direct in-process computation; choosing ray without
Ray installed fails at once with the install hint."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from helpers.knn_data import check_near_copies_reuse, tied_sets
from helpers.openai_server import ScriptedOpenAIServer
from synae.config import LLMSettings
from synae.embed import EmbeddingPipeline
from synae.embed.lexical import LexicalEmbedder
from synae.errors import ConfigError, MissingDependencyError
from synae.llm.client import ChatRequest, ChatResponse
from synae.metrics import knn
from synae.run.executors import LocalExecutor, PerItem, make_executor

FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0, "max_retries": 1, "concurrency": 4}


def lexical_pipeline() -> EmbeddingPipeline:
    return EmbeddingPipeline(LexicalEmbedder(), progress=False)


def test_map_batches_keeps_order_and_checks_lengths() -> None:
    words = [f"w{i}" * (i % 5) for i in range(103)]
    with LocalExecutor(device="cpu", workers=3) as ex:
        assert ex.map_batches(PerItem(len), words, batch_size=10) == [len(w) for w in words]
        with pytest.raises(ValueError, match="returned 1 results for 10 items"):
            ex.map_batches(lambda b: b[:1], words, batch_size=10)
        with pytest.raises(ConfigError, match="batch size"):
            ex.map_batches(PerItem(len), words, batch_size=0)


def test_knn_equals_knn_module() -> None:
    rng = np.random.default_rng(3)
    x, y = np.round(rng.normal(size=(400, 6)), 1), np.round(rng.normal(size=(300, 6)), 1)
    y[:50] = x[:50]
    ex = make_executor("local", device="cpu")
    for k in (1, 3, 5):
        want, got = knn.knn_precision_recall(x, y, k), ex.knn_precision_recall(x, y, k)
        assert [(g.value, g.details) for g in got] == [(w.value, w.details) for w in want]
        assert all(np.array_equal(a, b) for a, b in
                   zip(knn.knn_membership(x, y, k), ex.knn_membership(x, y, k), strict=True))
        ref = ex.knn_prepare(x, k)
        assert np.array_equal(ref.radii_sq, knn.prepare(x, k).radii_sq)
        assert ex.knn_precision_recall(ref, y, k)[1].value == want[1].value


@pytest.mark.parametrize("device_path", [False, True])
def test_knn_pass_keeps_what_near_copies_reads(monkeypatch: pytest.MonkeyPatch, device_path: bool) -> None:
    """After ``knn_precision_recall`` the real reference holds its LOO distances and the nearest real
    rows of the very synthetic array, so ``near_copies`` makes no pass (numpy engine, and the GPU
    code path on CPU tensors)."""
    ex = LocalExecutor(device="cpu")
    if device_path:  # the GPU code path (knn_device), on CPU tensors
        pytest.importorskip("torch")
        ex._knn_device = "cpu"
    x, y = tied_sets(5)
    check_near_copies_reuse(lambda ref, y: ex.knn_precision_recall(ref, y, 3), ex.knn_prepare(x, 3), x, y,
                            monkeypatch)


def test_embed_equals_pipeline() -> None:
    texts = ["find a museum", "book a table", "find a museum", "weather in Paris"] * 5
    vectors, stats = LocalExecutor().embed(lexical_pipeline, texts)
    assert np.array_equal(vectors, lexical_pipeline().embed(texts).vectors)
    assert stats is not None and stats.n_texts == len(texts) and stats.n_unique == 3


def test_chat_many_uses_reply_cache(tmp_path) -> None:
    requests = [ChatRequest(messages=[{"role": "user", "content": f"q{i % 6}"}], model="m")
                for i in range(10)]
    settings = LLMSettings(**FAST, cache_dir=tmp_path / "llm")
    with ScriptedOpenAIServer(responder=lambda body: "A:" + body["messages"][0]["content"]) as server:
        first = LocalExecutor().chat_many(settings, requests, base_url=server.base_url, api_key="k")
        sent = len(server.requests)
        second = LocalExecutor().chat_many(settings, requests, base_url=server.base_url, api_key="k")
        assert len(server.requests) == sent == 6  # identical requests sent once; re-run: none
    texts = [r.text for r in first.responses if isinstance(r, ChatResponse)]
    assert texts == [f"A:q{i % 6}" for i in range(10)]
    assert first.usage["calls"] == 6 and second.usage["calls"] == 0 and second.usage["cached"] == 10


def test_unknown_executor_and_missing_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="unknown executor"):
        make_executor("dask")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'synae\[ray\]'"):
        make_executor("ray")
