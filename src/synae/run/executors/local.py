"""The in-process executor (the default): threads for the map stage, one embedding pipeline, the
numpy k-NN engine (or :mod:`synae.metrics.knn_device` on a GPU), one async LLM client."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from synae.config import LLMSettings
from synae.embed import EmbeddingPipeline, EmbeddingStats
from synae.metrics import knn
from synae.metrics.base import MetricValue
from synae.run.executors.base import ChatBatch, Executor, MembershipPair, batches, check_lengths, knn_device

if TYPE_CHECKING:
    from synae.llm.client import ChatRequest

T = TypeVar("T")
R = TypeVar("R")


class LocalExecutor(Executor):
    """Everything in this process. ``workers``: threads of the map stage (default: CPU count)."""

    name = "local"

    def __init__(self, *, device: str = "auto", workers: int | None = None) -> None:
        self.device = device
        self.workers = workers or os.cpu_count() or 1
        self._knn_device = knn_device(device)

    def map_batches(self, fn: Callable[[list[T]], list[R]], items: Sequence[T], batch_size: int) -> list[R]:
        spans = batches(len(items), batch_size)

        def run(span: tuple[int, int]) -> list[R]:
            out = fn(list(items[span[0]:span[1]]))
            check_lengths(out, span[1] - span[0], "map_batches")
            return out

        with ThreadPoolExecutor(min(self.workers, max(len(spans), 1))) as pool:
            return [r for part in pool.map(run, spans) for r in part]

    def embed(self, make_pipeline: Callable[[], EmbeddingPipeline], texts: Sequence[str],
              shard_size: int = 4096) -> tuple[np.ndarray, EmbeddingStats | None]:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), None
        out = make_pipeline().embed(list(texts))
        return out.vectors, out.stats

    def knn_prepare(self, x: np.ndarray, k: int = 3) -> knn.KnnReference:
        if self._knn_device is None:
            return knn.prepare(x, k)
        from synae.metrics import knn_device as kd

        return kd.prepare(x, k, self._knn_device)

    def knn_precision_recall(self, real: np.ndarray | knn.KnnReference,
                             synthetic: np.ndarray | knn.KnnReference, k: int = 3
                             ) -> tuple[MetricValue, MetricValue]:
        """On the CPU: the numpy engine itself. On a GPU: the device engine. Either way the shared
        real × synthetic pass also records each synthetic row's nearest real row
        (``KnnReference.last_pass``, for the synthetic input as given), so the privacy metrics'
        ``near_copies`` reuse it instead of a second pass."""
        if self._knn_device is None:  # the synthetic array goes in as is: the pass is recorded for it
            return knn.knn_precision_recall(real, synthetic, k, backend="numpy")
        return super().knn_precision_recall(real, synthetic, k)

    def _membership(self, xr: knn.KnnReference, xs: knn.KnnReference, source: object) -> MembershipPair:
        from synae.metrics import knn_device as kd

        return kd.membership_of(xr, xs, self._knn_device, source)

    def chat_many(self, settings: LLMSettings, requests: Sequence[ChatRequest], *,
                  base_url: str | None = None, api_key: str | None = None) -> ChatBatch:
        from synae.llm.client import LLMClient  # (rich, asyncio) only where an LLM is called

        with LLMClient(settings, base_url=base_url, api_key=api_key, progress=False) as client:
            responses = client.chat_many(list(requests))
            return ChatBatch(responses, client.usage.as_dict())
