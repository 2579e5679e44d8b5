"""Content-addressed on-disk cache of text embeddings.

Layout: ``<root>/<key>/`` where ``key`` hashes the embedding identity (model id, window, chunking,
normalisation) — ``identity.json`` records it in clear. Each batch of newly embedded texts is one
shard: ``<shard>.npy`` (float32 vectors, one row per text) and ``<shard>.json`` (per row: SHA-256
of the text, token count, window count, truncated flag). The index of all shards is read once per
cache object; shards are written atomically (temporary name, then rename), so concurrent writers
never corrupt each other and a crash loses at most the shard being written.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def text_key(text: str) -> str:
    """SHA-256 (hex) of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TextInfo:
    """Per-text statistics stored next to its vector."""

    tokens: int
    windows: int
    truncated: bool


class EmbeddingCache:
    """Vectors keyed by SHA-256 of the text, for one embedding identity."""

    def __init__(self, root: str | Path, identity: dict[str, Any]) -> None:
        blob = json.dumps(identity, sort_keys=True)
        self.dir = Path(root) / hashlib.sha256(blob.encode()).hexdigest()[:20]
        self.identity = identity
        self._index: dict[str, tuple[str, int, TextInfo]] | None = None

    def _load_index(self) -> dict[str, tuple[str, int, TextInfo]]:
        if self._index is None:
            self._index = {}
            if self.dir.is_dir():
                for meta in sorted(self.dir.glob("*.json")):
                    if meta.name == "identity.json" or not meta.with_suffix(".npy").exists():
                        continue
                    try:
                        rows = json.loads(meta.read_text(encoding="utf-8"))
                    except (OSError, json.JSONDecodeError):
                        continue  # a damaged shard is ignored (its texts are embedded again)
                    for row, (sha, tokens, windows, truncated) in enumerate(rows):
                        self._index[sha] = (meta.stem, row, TextInfo(tokens, windows, bool(truncated)))
        return self._index

    def __len__(self) -> int:
        return len(self._load_index())

    def lookup(self, keys: list[str]) -> tuple[dict[str, int], np.ndarray | None, dict[str, TextInfo]]:
        """Cached entries among ``keys``: (key → row of the returned array, vectors, key → info)."""
        index = self._load_index()
        by_shard: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for key in keys:
            hit = index.get(key)
            if hit is not None:
                by_shard[hit[0]].append((key, hit[1]))
        if not by_shard:
            return {}, None, {}
        positions: dict[str, int] = {}
        parts = []
        for shard, entries in by_shard.items():
            array = np.load(self.dir / f"{shard}.npy", mmap_mode="r")
            rows = np.fromiter((r for _, r in entries), dtype=np.int64, count=len(entries))
            parts.append(np.asarray(array[rows]))
            for key, _ in entries:
                positions[key] = len(positions)
        infos = {key: index[key][2] for key in positions}
        return positions, np.concatenate(parts), infos

    def add(self, keys: list[str], vectors: np.ndarray, infos: list[TextInfo]) -> None:
        """Store one new shard (vectors as float32)."""
        if not keys:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        ident = self.dir / "identity.json"
        if not ident.exists():
            ident.write_text(json.dumps(self.identity, indent=2, sort_keys=True), encoding="utf-8")
        shard = uuid.uuid4().hex
        tmp = self.dir / f".{shard}.tmp"
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32))
        os.replace(tmp, self.dir / f"{shard}.npy")
        meta = [[k, i.tokens, i.windows, int(i.truncated)] for k, i in zip(keys, infos, strict=False)]
        tmp.write_text(json.dumps(meta, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.dir / f"{shard}.json")
        index = self._load_index()
        for row, (key, info) in enumerate(zip(keys, infos, strict=False)):
            index[key] = (shard, row, info)
