"""Per-record feature columns: equal label rows share one object, and nothing changes its value or type."""

from __future__ import annotations

from synae.metrics.features import share_equal


def test_equal_string_rows_share_one_object_and_other_rows_keep_theirs() -> None:
    rows = [["a", "b"], ["a", "b"], ("a", "b"), ("a", "b"), "x", "".join(["x"]), 1, True, 1.0, [1], [True],
            {"k": 1}, {"k": 1}, None, [["nested"]], [["nested"]]]
    shared = share_equal(rows)
    assert shared == rows and [type(r) for r in shared] == [type(r) for r in rows]
    assert shared[0] is shared[1] is rows[0] and shared[2] is shared[3] is rows[2]
    assert shared[0] is not shared[2]  # a list never stands for a tuple
    assert shared[4] is shared[5]
    assert shared[7] is True and type(shared[8]) is float and shared[10][0] is True  # numbers untouched
    assert shared[11] is rows[11] and shared[12] is rows[12] and shared[14] is rows[14]
    assert share_equal([]) == []
