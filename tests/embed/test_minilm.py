"""Integration: the real all-MiniLM-L6-v2 model (loaded once for this module, a handful of texts)."""

from __future__ import annotations

import numpy as np
import pytest

from synae.config import EmbeddingSettings
from synae.embed import make_pipeline
from synae.embed.local import SentenceTransformerEmbedder, load_sentence_transformer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder():
    return SentenceTransformerEmbedder()


def test_metadata_without_loading(embedder):
    assert embedder.window == 256 and embedder.dimension == 384
    assert "all-MiniLM-L6-v2" in embedder.model_id and "0.1.0" in embedder.model_id


def test_short_text_equals_bare_encode_and_long_text_is_chunked(embedder, tmp_path):
    long_text = " ".join(["The museum opens at nine and closes at five on weekdays."] * 60)
    settings = EmbeddingSettings(cache_dir=tmp_path)
    out = make_pipeline(settings, embedder, progress=False).embed(["Find museums in Paris.", long_text])
    bare = load_sentence_transformer(embedder.path).encode(["Find museums in Paris."], batch_size=16)[0]
    assert np.allclose(out.vectors[0], bare / np.linalg.norm(bare), atol=1e-6)
    s = out.stats
    assert s.n_multi_window == 1 and s.n_truncated == 0 and s.max_tokens > 600
    assert s.n_windows == 1 + int(np.ceil(s.max_tokens / 246))
    assert np.linalg.norm(out.vectors[1]) == pytest.approx(1.0, abs=1e-6)
    again = make_pipeline(settings, embedder, progress=False).embed([long_text])
    assert again.stats.n_embedded == 0 and np.array_equal(again.vectors[0], out.vectors[1])
    assert load_sentence_transformer(embedder.path) is load_sentence_transformer(embedder.path)  # loaded once
