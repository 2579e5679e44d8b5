"""Embedding-cache shards carry a checksum: damaged shards are dropped and recomputed, never used."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embed.test_pipeline import FakeEmbedder
from synae.embed.cache import EmbeddingCache
from synae.embed.pipeline import EmbeddingPipeline

TEXTS = [f"text number {i} about topic {i % 3}" for i in range(12)]


def embed(root, texts=TEXTS):
    fake = FakeEmbedder()
    cache = EmbeddingCache(root, {"model": "fake-v1"})
    out = EmbeddingPipeline(fake, cache=cache, progress=False).embed(texts)
    return out, fake.encoded


def shard_files(root):
    [npy] = [p for p in root.rglob("*.npy")]
    return npy, npy.with_suffix(".json")


def truncate(npy, meta):
    npy.write_bytes(npy.read_bytes()[:-40])


def reshape(npy, meta):
    array = np.load(npy)
    np.save(npy, array.reshape(array.shape[0] * 2, -1))


def reshape_both(npy, meta):  # metadata rewritten to match: only the checksum tells
    array = np.load(npy)
    np.save(npy, array.reshape(array.shape[0] * 2, -1))
    record = json.loads(meta.read_text())
    record["shape"] = [array.shape[0] * 2, array.shape[1] // 2]
    record["rows"] = record["rows"] * 2
    meta.write_text(json.dumps(record))


def alter(npy, meta):
    array = np.load(npy)
    array[0, 0] += 0.5
    np.save(npy, array)


def garble_meta(npy, meta):
    meta.write_text("{not json")


def old_format(npy, meta):
    meta.write_text(json.dumps(json.loads(meta.read_text())["rows"]))


@pytest.mark.parametrize("corrupt", [truncate, reshape, reshape_both, alter, garble_meta, old_format])
def test_damaged_shard_is_dropped_and_recomputed(tmp_path, corrupt) -> None:
    fresh, _ = embed(tmp_path / "fresh")
    embed(tmp_path / "cache")
    npy, meta = shard_files(tmp_path / "cache")
    corrupt(npy, meta)
    with pytest.warns(RuntimeWarning, match="dropped and recomputed"):
        again, encoded = embed(tmp_path / "cache")
    assert sorted(encoded) == sorted(TEXTS)  # everything embedded again
    assert np.array_equal(again.vectors, fresh.vectors)
    assert again.stats.n_cached == 0
    third, encoded = embed(tmp_path / "cache")  # the recomputed shard is good
    assert encoded == [] and np.array_equal(third.vectors, fresh.vectors)


def test_intact_cache_is_reused_without_warning(tmp_path, recwarn) -> None:
    first, _ = embed(tmp_path)
    again, encoded = embed(tmp_path)
    assert encoded == [] and np.array_equal(again.vectors, first.vectors)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    record = json.loads(shard_files(tmp_path)[1].read_text())
    assert len(record["sha256"]) == 64 and record["shape"] == [len(TEXTS), FakeEmbedder.dimension]
