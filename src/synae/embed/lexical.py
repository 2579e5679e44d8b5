"""A model-free, deterministic lexical embedder (hashed word n-grams).

Each text becomes the vector of its lower-cased word unigrams and bigrams hashed (MurmurHash3,
signed) into ``dimension`` buckets, with sublinear term frequency sign(x)·ln(1 + |x|); the
pipeline L2-normalises it. An empty text maps to a dedicated constant vector (so it is not the zero
vector). No window: texts of any length are embedded whole. Used by unit tests and when no model is
wanted; cheaper to recompute than to cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DEFAULT_DIMENSION = 384


class LexicalEmbedder:
    """Hashed word 1–2-gram vectors (sklearn's ``HashingVectorizer``)."""

    name = "lexical"
    window: int | None = None
    cacheable = False

    def __init__(self, dimension: int = DEFAULT_DIMENSION) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self._dimension = dimension
        self.model_id = f"synae-lexical-v1-d{dimension}"
        self._vectorizer = HashingVectorizer(n_features=dimension, ngram_range=(1, 2), norm=None,
                                             alternate_sign=True, lowercase=True,
                                             token_pattern=r"(?u)\b\w+\b", dtype=np.float64)

    @property
    def dimension(self) -> int:
        return self._dimension

    def tokenize(self, texts: Sequence[str]) -> list[list[Any]]:
        return [t.split() for t in texts]

    def detokenize(self, tokens: Sequence[Any]) -> str:
        return " ".join(tokens)

    def encode(self, texts: Sequence[str], batch_size: int = 0) -> np.ndarray:
        counts = self._vectorizer.transform(list(texts))  # sparse: transform the non-zeros only
        counts.data = np.sign(counts.data) * np.log1p(np.abs(counts.data))
        out: np.ndarray = counts.toarray()
        empty = ~out.any(axis=1)
        out[empty] = 1.0  # one shared direction for texts without any word
        return out
