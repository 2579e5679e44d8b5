"""Content-addressed on-disk cache of text embeddings.

Layout: ``<root>/<key>/`` where ``key`` hashes the embedding identity (model id, window, chunking,
normalisation) — ``identity.json`` records it in clear. Each batch of newly embedded texts is one
shard: ``<shard>.npy`` (float32 vectors, one row per text) and ``<shard>.json``
(``{"sha256": <SHA-256 of the .npy bytes>, "shape": [rows, dim], "rows": [[text SHA-256, token
count, window count, truncated flag], …]}``). The index of all shards is read once per cache object;
shards are written atomically (:mod:`synae.files`: temporary name, then rename; the temporary file
removed on failure and on ``SIGTERM``), so concurrent writers never corrupt each other and a crash
loses at most the shard being written.

Integrity: a shard is verified the first time it is read (checksum of the ``.npy`` file, array
shape and dtype against the metadata, one row per text, and the dimension of the other shards). A
shard that is truncated, reshaped, altered, has unreadable metadata or the old checksum-less format
is dropped (both files deleted) with a :class:`RuntimeWarning`, and its texts count as not cached:
they are embedded again. A damaged shard never crashes a run and is never used.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synae.files import atomic_write, atomic_write_text


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
        self._shards: dict[str, tuple[str, tuple[int, int]]] = {}  # shard → (checksum, shape)
        self._verified: set[str] = set()  # shards whose checksum was checked in this object

    def _load_index(self) -> dict[str, tuple[str, int, TextInfo]]:
        if self._index is None:
            self._index = {}
            if self.dir.is_dir():
                for meta in sorted(self.dir.glob("*.json")):
                    if meta.name == "identity.json" or not meta.with_suffix(".npy").exists():
                        continue
                    try:
                        record = json.loads(meta.read_text(encoding="utf-8"))
                        checksum, shape, rows = record["sha256"], tuple(record["shape"]), record["rows"]
                        entries = [(sha, TextInfo(int(t), int(w), bool(tr))) for sha, t, w, tr in rows]
                        if len(shape) != 2 or shape[0] != len(entries):
                            raise ValueError("shape does not match the rows")
                    except (OSError, ValueError, TypeError, KeyError) as exc:
                        self._drop(meta.stem, f"unreadable metadata ({type(exc).__name__}: {exc})")
                        continue
                    self._shards[meta.stem] = (str(checksum), (int(shape[0]), int(shape[1])))
                    for row, (sha, info) in enumerate(entries):
                        self._index[sha] = (meta.stem, row, info)
        return self._index

    def _drop(self, shard: str, why: str) -> None:
        """Forget a damaged shard, delete its files and warn (its texts are embedded again)."""
        warnings.warn(f"embedding cache: shard {self.dir / shard}.npy dropped and recomputed: {why}",
                      RuntimeWarning, stacklevel=3)
        for suffix in (".npy", ".json"):
            (self.dir / f"{shard}{suffix}").unlink(missing_ok=True)
        if self._index is not None:
            self._index = {k: v for k, v in self._index.items() if v[0] != shard}
            self._shards.pop(shard, None)

    def _load_shard(self, shard: str, dim: int | None) -> np.ndarray | None:
        """The verified array of a shard, or ``None`` after dropping it (see the module docstring)."""
        path = self.dir / f"{shard}.npy"
        checksum, shape = self._shards[shard]
        try:
            if shard not in self._verified:
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() != checksum:
                    raise ValueError("checksum mismatch (file altered or truncated)")
            array = np.load(path, mmap_mode="r")
            if array.dtype != np.float32 or array.shape != shape:
                raise ValueError(f"array {array.dtype}{array.shape} does not match the metadata {shape}")
            if dim is not None and shape[1] != dim:
                raise ValueError(f"dimension {shape[1]} differs from the other shards ({dim})")
        except (OSError, ValueError) as exc:
            self._drop(shard, str(exc))
            return None
        self._verified.add(shard)
        return np.asarray(array)

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
        dim: int | None = None
        for shard, entries in by_shard.items():
            array = self._load_shard(shard, dim)
            if array is None:
                continue
            dim = array.shape[1]
            rows = np.fromiter((r for _, r in entries), dtype=np.int64, count=len(entries))
            parts.append(np.asarray(array[rows]))
            for key, _ in entries:
                positions[key] = len(positions)
        if not parts:
            return {}, None, {}
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
        array = np.ascontiguousarray(vectors, dtype=np.float32)
        with atomic_write(self.dir / f"{shard}.npy", "wb") as fh:
            np.save(fh, array)
        checksum = hashlib.sha256((self.dir / f"{shard}.npy").read_bytes()).hexdigest()
        rows = [[k, i.tokens, i.windows, int(i.truncated)] for k, i in zip(keys, infos, strict=True)]
        meta = {"sha256": checksum, "shape": list(array.shape), "rows": rows}
        atomic_write_text(self.dir / f"{shard}.json", json.dumps(meta, separators=(",", ":")))
        index = self._load_index()
        self._shards[shard] = (checksum, (int(array.shape[0]), int(array.shape[1])))
        self._verified.add(shard)
        for row, (key, info) in enumerate(zip(keys, infos, strict=True)):
            index[key] = (shard, row, info)
