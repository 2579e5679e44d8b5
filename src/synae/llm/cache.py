"""On-disk cache of LLM replies, keyed by a hash of the full request.

One JSON file per reply, ``<root>/<key[:2]>/<key>.json``, holding the request payload (for
inspection) and the endpoint's reply body. Each file is written to a temporary name in the same
folder and moved into place with :func:`os.replace`, which is atomic: a run killed at any moment
leaves either the complete reply or nothing, never a truncated file. A file that cannot be read
back (e.g. edited by hand) is treated as a miss and overwritten on the next reply.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

CACHE_FORMAT = "synae-llm-v1"


def request_key(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a request payload (model, messages, tools, every
    sampling parameter); key order and whitespace do not matter, every value does."""
    canonical = json.dumps([CACHE_FORMAT, payload], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReplyCache:
    """Reply bodies stored by request key under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._made: set[Path] = set()  # shard folders known to exist

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply body, or ``None`` when absent or unreadable."""
        try:
            record = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        body = record.get("response") if isinstance(record, dict) else None
        return body if isinstance(body, dict) else None

    def put(self, key: str, payload: dict[str, Any], body: dict[str, Any]) -> None:
        """Store one reply atomically (temporary file + rename)."""
        target = self.path(key)
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        tmp = target.with_name(f".{key}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        record = {"format": CACHE_FORMAT, "key": key, "request": payload, "response": body}
        try:
            tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.exists() else 0
