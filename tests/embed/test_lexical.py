"""Lexical embedder: hashed word 1–2-grams with sublinear term frequency."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from synae.embed.lexical import LexicalEmbedder


def test_encode_equals_dense_definition():
    texts = ["Hello world, hello!", "", "a b a b a b", "Ünïcode straße x_y", "  ", "don't stop-me now"] * 2
    counts = HashingVectorizer(n_features=64, ngram_range=(1, 2), norm=None, alternate_sign=True,
                               token_pattern=r"(?u)\b\w+\b").transform(texts).toarray()
    expected = np.sign(counts) * np.log1p(np.abs(counts))
    expected[~expected.any(axis=1)] = 1.0
    out = LexicalEmbedder(dimension=64).encode(texts)
    assert np.array_equal(out, expected)
    assert np.all(out[1] == 1.0) and np.any(np.abs(out[0]) == np.log1p(2.0))  # "hello" counted twice
