"""On-disk cache of LLM replies, keyed by a hash of the full request.

Layout: append-only *segment* files ``<root>/replies-<time>-<pid>-<random>.jsonl``; each client
that writes opens its own segment, so concurrent runs never write to the same file. Every reply is
one line ``{"key": <sha256>, "format": …, "endpoint": <base URL>, "request": <payload>,
"response": <reply body>}`` written with a single
``os.write`` on a file opened with ``O_APPEND`` as soon as the reply arrives: a run that is killed
loses no finished reply, and appending a line costs far less than creating a file per reply.

Reading: the first lookup indexes every segment (key → file, offset, length; only the fixed-width
key prefix of each line is read, not the JSON). A line that is incomplete (a crash in the middle
of a write) or not valid JSON is ignored — it counts as a miss, and the request is simply sent
again. When a key occurs twice (two runs answered the same request), the first line wins.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

CACHE_FORMAT = "synae-llm-v2"  # v2: the key includes the endpoint
_PREFIX = b'{"key": "'
_KEY_END = len(_PREFIX) + 64


def request_key(payload: dict[str, Any], endpoint: str | None = None) -> str:
    """SHA-256 (hex) of the canonical JSON of ``[format, endpoint, payload]``: the endpoint base URL
    (trailing ``/`` removed; two servers may serve different weights under one model name) and the
    request payload (model, messages, tools, every sampling parameter). Key order and whitespace do
    not matter, every value does."""
    where = endpoint.rstrip("/") if endpoint else None
    canonical = json.dumps([CACHE_FORMAT, where, payload], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ReplyCache:
    """Reply bodies stored by request key in append-only segment files under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._index: dict[str, tuple[Path, int, int]] | None = None
        self._segment: Path | None = None
        self._fd: int | None = None
        self._lock = threading.Lock()

    def _load_index(self) -> dict[str, tuple[Path, int, int]]:
        if self._index is None:
            index: dict[str, tuple[Path, int, int]] = {}
            for segment in sorted(self.root.glob("replies-*.jsonl")):
                offset = 0
                with segment.open("rb") as fh:
                    for line in fh:
                        key = line[len(_PREFIX):_KEY_END].decode("ascii", "replace")
                        if line.startswith(_PREFIX) and line.endswith(b"\n") and key not in index:
                            index[key] = (segment, offset, len(line))
                        offset += len(line)
            self._index = index
        return self._index

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply body, or ``None`` when absent or unreadable."""
        with self._lock:
            where = self._load_index().get(key)
        if where is None:
            return None
        path, offset, length = where
        try:
            with path.open("rb") as fh:
                fh.seek(offset)
                record = json.loads(fh.read(length))
        except (OSError, ValueError):
            return None
        body = record.get("response") if isinstance(record, dict) and record.get("key") == key else None
        return body if isinstance(body, dict) else None

    def put(self, key: str, payload: dict[str, Any], body: dict[str, Any],
            endpoint: str | None = None) -> None:
        """Append one reply (one ``os.write`` of one complete line)."""
        record = {"key": key, "format": CACHE_FORMAT, "endpoint": endpoint, "request": payload,
                  "response": body}
        line = json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"
        with self._lock:
            index = self._load_index()
            if self._fd is None:
                self.root.mkdir(parents=True, exist_ok=True)
                name = f"replies-{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
                self._segment = self.root / name
                self._fd = os.open(self._segment, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            offset = os.lseek(self._fd, 0, os.SEEK_END)
            done = 0
            while done < len(line):  # a regular file takes it all at once, short of a full disk
                done += os.write(self._fd, line[done:])
            assert self._segment is not None
            index.setdefault(key, (self._segment, offset, len(line)))

    def close(self) -> None:
        """Close the segment file this cache writes to (a later put opens a new one)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __len__(self) -> int:
        with self._lock:
            return len(self._load_index())

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
