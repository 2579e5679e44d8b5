"""The :class:`Embedder` protocol and the statistics every embedding run records (``docs/method.md`` §2.4).

An embedder only knows how to tokenize, detokenize and encode texts that fit its window; chunking,
pooling, de-duplication and caching live in :mod:`synae.embed.pipeline`, so every backend gets them
the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np


class Embedder(Protocol):
    """A text embedding backend.

    ``window`` is the model's input window in its own tokens *including* 2 special tokens
    (``None``: no window, texts are never chunked). ``model_id`` identifies the weights (it is part
    of the cache key). ``cacheable`` is ``False`` for embedders cheaper to run than to cache.
    An embedder may also set ``chunk_slack`` (default 8): tokens kept free in each window for
    re-tokenisation growth of decoded windows (0 when detokenising is exact, e.g. whitespace words).
    """

    name: str
    model_id: str
    window: int | None
    cacheable: bool

    @property
    def dimension(self) -> int | None: ...

    def tokenize(self, texts: Sequence[str]) -> list[list[Any]]:
        """Tokens of each text without special tokens (only called when ``window`` is set)."""
        ...

    def detokenize(self, tokens: Sequence[Any]) -> str:
        """Text of a token window (inverse of :meth:`tokenize` up to normalisation)."""
        ...

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Vectors (n × d) of texts that fit the window (the pipeline normalises them)."""
        ...


@dataclass
class EmbeddingStats:
    """What an embedding run saw; attached to results under ``details.embedding``.

    Token counts are in the model's tokens, over the distinct texts.
    """

    model: str
    dimension: int | None
    window: int | None
    chunking: bool
    n_texts: int = 0
    n_unique: int = 0
    n_multi_window: int = 0
    n_windows: int = 0
    max_tokens: int = 0
    mean_tokens: float = 0.0
    n_truncated: int = 0
    n_cached: int = 0
    n_embedded: int = 0
    max_windows: int | None = None  # the cap on windows per text (embedding.max_windows)
    n_capped: int = 0  # texts longer than the cap allows: only their first max_windows windows embedded

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def merge(self, other: EmbeddingStats) -> EmbeddingStats:
        """Combined statistics of two runs with the same embedder (``n_unique`` summed)."""
        total = self.n_unique + other.n_unique
        weighted = self.mean_tokens * self.n_unique + other.mean_tokens * other.n_unique
        mean = weighted / total if total else 0.0
        return EmbeddingStats(
            model=self.model, dimension=self.dimension or other.dimension, window=self.window,
            chunking=self.chunking, n_texts=self.n_texts + other.n_texts, n_unique=total,
            n_multi_window=self.n_multi_window + other.n_multi_window,
            n_windows=self.n_windows + other.n_windows, max_tokens=max(self.max_tokens, other.max_tokens),
            mean_tokens=mean, n_truncated=self.n_truncated + other.n_truncated,
            n_cached=self.n_cached + other.n_cached, n_embedded=self.n_embedded + other.n_embedded,
            max_windows=self.max_windows, n_capped=self.n_capped + other.n_capped)
