"""The :class:`Executor` interface: the four stages of an evaluation that can leave the process.

1. :meth:`Executor.map_batches` — a function over records, one call per batch (reading, feature
   extraction, embedding per shard); results in input order.
2. :meth:`Executor.embed` — texts through an :class:`~synae.embed.EmbeddingPipeline` built once per
   worker (one model load per worker); vectors in input order and the merged
   :class:`~synae.embed.EmbeddingStats`.
3. :meth:`Executor.knn_prepare` / :meth:`Executor.knn_membership` /
   :meth:`Executor.knn_precision_recall` — exact k-NN; every value equals
   :mod:`synae.metrics.knn`'s (the distributed and device paths recheck in float64 exactly as it does),
   and the prepared real reference keeps what the privacy metric ``near_copies`` reads (its
   leave-one-out distances, each synthetic row's nearest real row: ``KnnReference.loo_sq`` and
   ``last_pass``), so that metric makes no pass of its own.
4. :meth:`Executor.chat_many` — LLM requests with the endpoint's concurrency limit and the on-disk
   reply cache of :class:`~synae.llm.client.LLMClient`.

``device`` (``auto`` | ``cpu`` | ``cuda``) picks where the k-NN screening products run:
``cpu`` = the numpy engine, ``cuda`` = :mod:`synae.metrics.knn_device` on the GPU, ``auto`` = ``cuda``
when torch sees a GPU, else ``cpu``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from synae.config import LLMSettings, cache_root
from synae.embed import EmbeddingPipeline, EmbeddingStats
from synae.errors import ConfigError
from synae.metrics import knn
from synae.metrics.base import MetricValue

if TYPE_CHECKING:  # the LLM client (httpx) loads only where a run calls an LLM
    from synae.llm.client import ChatRequest, ChatResponse, LLMError

T = TypeVar("T")
R = TypeVar("R")
Device = Literal["auto", "cpu", "cuda"]
MembershipPair = tuple[np.ndarray | None, np.ndarray | None]


@dataclass
class ChatBatch:
    """Replies to a list of requests (input order; failures as :class:`LLMError`) and the summed
    :class:`~synae.llm.client.UsageStats` counters of every client that served them."""

    responses: list[ChatResponse | LLMError]
    usage: dict[str, int] = field(default_factory=dict)


def batches(n: int, size: int) -> list[tuple[int, int]]:
    """``[(start, stop), …]`` covering ``range(n)`` in order with at most ``size`` items each."""
    if size < 1:
        raise ConfigError(f"batch size must be >= 1, not {size}")
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def knn_device(device: str) -> str | None:
    """Where the k-NN screening runs for a ``device`` option: ``None`` = the numpy engine (``cpu``,
    or ``auto`` without a GPU), else a torch device (``cuda``). ``auto`` never imports torch when it
    is not installed."""
    if device == "cpu":
        return None
    if device == "auto":
        try:
            import torch
        except ImportError:
            return None
        return "cuda" if torch.cuda.is_available() else None
    from synae.metrics.knn_device import resolve_device

    return resolve_device(device)


def knn_backend_label(device: str | None) -> str:
    """``details.backend`` of k-NN results: ``numpy`` (as :mod:`synae.metrics.knn`) or ``torch:<device>``."""
    return "numpy" if device is None else f"torch:{device}"


def llm_settings_for_workers(settings: LLMSettings) -> LLMSettings:
    """``settings`` with the reply cache folder made explicit, so that clients in other processes
    (whose ``$SYNAE_CACHE_DIR`` may differ) read and write the same cache as this one."""
    if settings.cache and settings.cache_dir is None:
        return settings.model_copy(update={"cache_dir": cache_root() / "llm"})
    return settings


class PerItem:
    """A batch function from a per-record one: ``PerItem(f)(batch) = [f(x) for x in batch]``
    (picklable when ``f`` is a module-level function, as distributed executors need)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __call__(self, batch: list[Any]) -> list[Any]:
        return [self.fn(item) for item in batch]


class Executor(ABC):
    """Runs the distributable stages of an evaluation. Use as a context manager or call :meth:`close`."""

    name: str
    device: str

    # -- 1. map --------------------------------------------------------------------------------
    @abstractmethod
    def map_batches(self, fn: Callable[[list[T]], list[R]], items: Sequence[T], batch_size: int) -> list[R]:
        """``fn`` over consecutive batches of ``items``; the concatenated results, in input order.
        ``fn`` must return one result per item (a :class:`ValueError` otherwise) and, for a
        distributed executor, be importable by the workers (a module-level function)."""

    # -- 2. embeddings -------------------------------------------------------------------------
    @abstractmethod
    def embed(self, make_pipeline: Callable[[], EmbeddingPipeline], texts: Sequence[str],
              shard_size: int = 4096) -> tuple[np.ndarray, EmbeddingStats | None]:
        """Vectors (len(texts) × d, float32, input order) and merged stats (``None`` for no texts).
        ``make_pipeline`` is called once per worker; shards of ``shard_size`` texts go to workers."""

    # -- 3. exact k-NN -------------------------------------------------------------------------
    @abstractmethod
    def knn_prepare(self, x: np.ndarray, k: int = 3) -> knn.KnnReference:
        """Equal to :func:`synae.metrics.knn.prepare` ``(x, k)``."""

    @abstractmethod
    def _membership(self, xr: knn.KnnReference, xs: knn.KnnReference, source: object) -> MembershipPair:
        """Per distinct row memberships of two prepared non-empty sets, at least one with radii; the
        same pass sets ``xr.last_pass`` to ``source`` (the synthetic input as given, not a copy) and
        the exact nearest real row of every distinct synthetic row."""

    def _prepared(self, real: np.ndarray | knn.KnnReference, synthetic: np.ndarray | knn.KnnReference,
                  k: int) -> tuple[knn.KnnReference, knn.KnnReference]:
        xr = real if isinstance(real, knn.KnnReference) else self.knn_prepare(real, k)
        xs = synthetic if isinstance(synthetic, knn.KnnReference) else self.knn_prepare(synthetic, k)
        if xr.k != k or xs.k != k:
            raise ValueError(f"prepared k-NN references use k={xr.k}/{xs.k}, not k={k}")
        return xr, xs

    def _membership_of(self, xr: knn.KnnReference, xs: knn.KnnReference, source: object) -> MembershipPair:
        if xr.n == 0 or xs.n == 0 or (xr.radii_sq is None and xs.radii_sq is None):
            return None, None
        return self._membership(xr, xs, source)

    def knn_membership(self, real: np.ndarray | knn.KnnReference, synthetic: np.ndarray | knn.KnnReference,
                       k: int = 3) -> MembershipPair:
        """Equal to :func:`synae.metrics.knn.knn_membership` (input row order)."""
        xr, xs = self._prepared(real, synthetic, k)
        syn_in, real_in = self._membership_of(xr, xs, synthetic)
        return (None if syn_in is None else syn_in[xs.points.inverse],
                None if real_in is None else real_in[xr.points.inverse])

    def knn_precision_recall(self, real: np.ndarray | knn.KnnReference,
                             synthetic: np.ndarray | knn.KnnReference, k: int = 3
                             ) -> tuple[MetricValue, MetricValue]:
        """Equal to :func:`synae.metrics.knn.knn_precision_recall` (values, members, reasons;
        ``details.backend`` is ``torch:<device>`` when the screening ran on a GPU)."""
        from synae.metrics.knn import precision_recall_from

        xr, xs = self._prepared(real, synthetic, k)
        syn_in, real_in = self._membership_of(xr, xs, synthetic)
        return precision_recall_from(xr, xs, syn_in, real_in, knn_backend_label(knn_device(self.device)))

    # -- 4. LLM calls ---------------------------------------------------------------------------
    @abstractmethod
    def chat_many(self, settings: LLMSettings, requests: Sequence[ChatRequest], *,
                  base_url: str | None = None, api_key: str | None = None) -> ChatBatch:
        """Every request answered (reply cache first) by clients built from ``settings``; at most
        ``settings.concurrency`` requests in flight in all."""

    # -- lifecycle ------------------------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers (the local executor holds none)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_lengths(results: list[Any], expected: int, where: str) -> None:
    """Raise :class:`ValueError` unless a batch function returned one result per item."""
    if len(results) != expected:
        raise ValueError(f"{where}: batch function returned {len(results)} results for {expected} items")
