"""Chunk-and-pool, de-duplication and the on-disk cache, with a fake windowed embedder."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from synae.config import EmbeddingSettings
from synae.embed import EmbeddingCache, get_embedder, make_pipeline
from synae.embed.lexical import LexicalEmbedder
from synae.embed.pipeline import EmbeddingPipeline
from synae.errors import ConfigError


class FakeEmbedder:
    """Whitespace tokens, window W = 20 (so texts over 18 tokens are chunked in windows of 10);
    the vector of a text is drawn from a normal distribution seeded by its SHA-256."""

    name = "fake"
    model_id = "fake-v1"
    window = 20
    cacheable = True
    dimension = 8

    def __init__(self):
        self.encoded: list[str] = []

    def tokenize(self, texts):
        return [t.split() for t in texts]

    def detokenize(self, tokens):
        return " ".join(tokens)

    def encode(self, texts, batch_size=16):
        self.encoded.extend(texts)
        return np.array([self.raw(t) for t in texts])

    @staticmethod
    def raw(text):
        seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
        return np.random.default_rng(seed).normal(size=8) * 3


def unit(v):
    return v / np.linalg.norm(v)


def test_long_text_is_chunked_and_token_weighted(tmp_path):
    fake = FakeEmbedder()
    words = [f"w{i}" for i in range(25)]
    text = " ".join(words)
    pipe = EmbeddingPipeline(fake, cache=None, progress=False)
    out = pipe.embed(["short text", text])
    windows = [" ".join(words[0:10]), " ".join(words[10:20]), " ".join(words[20:25])]
    expected = unit(sum(w * unit(FakeEmbedder.raw(t)) for w, t in zip([10, 10, 5], windows, strict=True)))
    assert np.allclose(out.vectors[1], expected.astype(np.float32), atol=1e-7)
    assert np.allclose(out.vectors[0], unit(FakeEmbedder.raw("short text")), atol=1e-7)
    s = out.stats
    assert (s.n_texts, s.n_unique, s.n_multi_window, s.n_windows, s.max_tokens, s.n_truncated) == (
        2, 2, 1, 4, 25, 0)
    assert s.mean_tokens == pytest.approx(13.5)


def test_chunking_off_truncates_and_counts():
    fake = FakeEmbedder()
    pipe = EmbeddingPipeline(fake, cache=None, chunking=False, progress=False)
    out = pipe.embed([" ".join(["x"] * 30), "ok"])
    assert out.stats.n_truncated == 1 and out.stats.n_windows == 2


def test_duplicates_embedded_once_and_bitwise_equal():
    fake = FakeEmbedder()
    out = EmbeddingPipeline(fake, cache=None, progress=False).embed(["a b", "c", "a b", "a b"])
    assert fake.encoded == ["a b", "c"]
    assert np.array_equal(out.vectors[0], out.vectors[2]) and np.array_equal(out.vectors[0], out.vectors[3])
    assert out.stats.n_texts == 4 and out.stats.n_unique == 2


def test_cache_second_run_embeds_nothing(tmp_path):
    texts = ["alpha beta", " ".join(f"t{i}" for i in range(40)), "gamma"]
    identity = {"model": "fake-v1", "window": 20}
    first = FakeEmbedder()
    out1 = EmbeddingPipeline(first, cache=EmbeddingCache(tmp_path, identity), progress=False).embed(texts)
    second = FakeEmbedder()
    out2 = EmbeddingPipeline(second, cache=EmbeddingCache(tmp_path, identity), progress=False).embed(
        [*texts, "delta"])
    assert second.encoded == ["delta"]
    assert np.array_equal(out1.vectors, out2.vectors[:3])
    assert out2.stats.n_cached == 3 and out2.stats.n_embedded == 1
    assert out2.stats.n_multi_window == 1 and out2.stats.max_tokens == 40  # stats survive the cache
    shards = sorted(p.suffix for p in next(tmp_path.iterdir()).iterdir())
    assert shards.count(".npy") == 2  # one shard per batch of new texts, not one file per text
    # a different identity (e.g. chunking off) does not see these vectors
    third = FakeEmbedder()
    EmbeddingPipeline(third, cache=EmbeddingCache(tmp_path, {**identity, "chunking": False}),
                      progress=False).embed(texts)
    assert len(third.encoded) > 0


def test_damaged_shard_is_ignored(tmp_path):
    cache = EmbeddingCache(tmp_path, {"model": "fake"})
    EmbeddingPipeline(FakeEmbedder(), cache=cache, progress=False).embed(["one", "two"])
    meta = next(p for p in cache.dir.glob("*.json") if p.name != "identity.json")
    meta.write_text("{not json")
    fresh = FakeEmbedder()
    EmbeddingPipeline(fresh, cache=EmbeddingCache(tmp_path, {"model": "fake"}), progress=False).embed(["one"])
    assert fresh.encoded == ["one"]


def test_make_pipeline_uses_cache_root_and_can_disable(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNAE_CACHE_DIR", str(tmp_path))
    pipe = make_pipeline(EmbeddingSettings(model="lexical"), embedder=FakeEmbedder(), progress=False)
    pipe.embed(["x y"])
    assert (tmp_path / "embeddings").is_dir()
    off = make_pipeline(EmbeddingSettings(cache=False), embedder=FakeEmbedder(), progress=False)
    assert off.cache is None


def test_lexical_embedder_is_deterministic_and_normalised():
    pipe = make_pipeline(EmbeddingSettings(model="lexical"), progress=False)
    assert pipe.cache is None  # cheaper to recompute than to cache
    a = pipe.embed(["The cat sat", "the CAT sat", "", "dogs run fast"]).vectors
    b = make_pipeline(EmbeddingSettings(model="lexical"), progress=False).embed(["The cat sat"]).vectors
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[0], a[1])  # lower-cased
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)  # empty text is not the zero vector
    assert float(a[0] @ a[3]) < 0.5
    assert LexicalEmbedder(dimension=64).encode(["a b"]).shape == (1, 64)


def test_unknown_embedder_name():
    with pytest.raises(ConfigError):
        get_embedder("nope")


def test_an_unwritable_cache_folder_warns_and_the_run_goes_on_without_it(tmp_path):
    (tmp_path / "file").write_text("x")
    settings = EmbeddingSettings(cache_dir=tmp_path / "file" / "cache")  # a folder under a file
    with pytest.warns(RuntimeWarning, match=r"embedding cache disabled: cannot write to .*file.*is a file"):
        pipe = make_pipeline(settings, embedder=FakeEmbedder(), progress=False)
    assert pipe.cache is None and pipe.embed(["a b", "c"]).stats.n_embedded == 2
    # a cache that becomes unwritable during the run (disk full, remounted read-only): the vectors
    # just computed are kept, the cache is dropped with a warning
    cache = EmbeddingCache(tmp_path / "ok", {"model": "fake"})
    pipe = EmbeddingPipeline(FakeEmbedder(), cache=cache, progress=False)
    cache.dir = tmp_path / "file" / "sub"
    with pytest.warns(RuntimeWarning, match="embedding cache disabled"):
        out = pipe.embed(["one", "two"])
    assert out.vectors.shape == (2, 8) and np.isfinite(out.vectors).all() and pipe.cache is None


def test_windows_per_text_are_capped_and_the_capped_texts_counted(tmp_path):
    long = " ".join(f"w{i}" for i in range(100))  # 100 tokens: 10 windows of S = 10 without a cap
    first30 = " ".join(f"w{i}" for i in range(30))
    fake = FakeEmbedder()
    pipe = EmbeddingPipeline(fake, cache=EmbeddingCache(tmp_path, {"model": "fake"}), progress=False,
                             max_windows=3)
    out = pipe.embed([long, first30, "short text"])
    assert len(fake.encoded) == 3 + 3 + 1  # three windows each for the two long texts, one for the short
    assert np.array_equal(out.vectors[0], out.vectors[1])  # the capped text = its first 3 windows
    assert out.stats.n_capped == 1 and out.stats.max_windows == 3 and out.stats.n_windows == 7
    warm = EmbeddingPipeline(FakeEmbedder(), cache=EmbeddingCache(tmp_path, {"model": "fake"}),
                             progress=False,
                             max_windows=3).embed([long])
    assert warm.stats.n_cached == 1 and warm.stats.n_capped == 1  # still reported from the cache
    uncapped = EmbeddingPipeline(FakeEmbedder(), progress=False).embed([long])
    assert uncapped.stats.n_windows == 10 and uncapped.stats.n_capped == 0


def test_make_pipeline_applies_the_configured_window_cap(tmp_path):
    pipe = make_pipeline(EmbeddingSettings(max_windows=2, cache_dir=tmp_path), embedder=FakeEmbedder(),
                         progress=False)
    stats = pipe.embed([" ".join(f"t{i}" for i in range(50))]).stats
    assert stats.n_capped == 1 and stats.n_windows == 2
