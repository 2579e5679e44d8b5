"""The on-disk reply cache: request keys, append-only segments, crash tolerance."""

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


def test_put_get_across_instances(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    k1, k2 = request_key({"model": "a"}), request_key({"model": "b"})
    assert cache.get(k1) is None and len(cache) == 0
    cache.put(k1, {"model": "a"}, {"choices": [], "n": 1})
    cache.put(k2, {"model": "b"}, {"choices": [], "n": 2, "text": "é ✓"})
    assert cache.get(k1) == {"choices": [], "n": 1}
    reopened = ReplyCache(tmp_path)
    assert reopened.get(k2) == {"choices": [], "n": 2, "text": "é ✓"} and len(reopened) == 2
    reopened.put(k1, {"model": "a"}, {"choices": [], "n": 99})  # a second run answering again
    cache.close()
    reopened.close()
    assert len(list(tmp_path.glob("replies-*.jsonl"))) == 2  # one segment per writer
    assert ReplyCache(tmp_path).get(k1) == {"choices": [], "n": 1}  # the first line wins


def test_partial_and_corrupt_lines_are_misses(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    good, cut, bad = (request_key({"i": i}) for i in range(3))
    cache.put(good, {"i": 0}, {"ok": True})
    cache.close()
    segment = next(tmp_path.glob("replies-*.jsonl"))
    with segment.open("ab") as fh:  # a run killed in the middle of a write, then a garbled line
        fh.write(b'{"key": "' + bad.encode() + b'", "response": {broken}\n')
        fh.write(b'{"key": "' + cut.encode() + b'", "response": {"ok"')
    fresh = ReplyCache(tmp_path)
    assert fresh.get(good) == {"ok": True}
    assert fresh.get(cut) is None and fresh.get(bad) is None
    fresh.put(cut, {"i": 1}, {"ok": 1})  # written to a new segment, readable
    assert ReplyCache(tmp_path).get(cut) == {"ok": 1}
