"""The on-disk reply cache: request keys and atomic files."""

from __future__ import annotations

from pathlib import Path

from synae.llm.cache import ReplyCache, request_key


def test_request_key_ignores_key_order_but_not_values() -> None:
    a = {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0}
    b = {"temperature": 0, "messages": [{"content": "x", "role": "user"}], "model": "m"}
    assert request_key(a) == request_key(b)
    assert request_key(a) != request_key({**a, "temperature": 0.1})
    assert request_key(a) != request_key({**a, "tools": []})
    assert len(request_key(a)) == 64


def test_put_get_and_unreadable_files(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    key = request_key({"model": "m"})
    assert cache.get(key) is None
    cache.put(key, {"model": "m"}, {"choices": []})
    assert cache.get(key) == {"choices": []}
    assert len(cache) == 1
    assert not list(tmp_path.rglob("*.tmp"))  # no temporary file left behind
    cache.path(key).write_text("{truncated")
    assert cache.get(key) is None  # treated as a miss
