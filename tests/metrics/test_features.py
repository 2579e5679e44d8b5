"""Per-record feature columns: equal label rows share one object, and nothing changes its value or type."""

from __future__ import annotations

from synae.metrics.features import share_equal, share_raw


def test_equal_label_rows_share_one_object() -> None:
    rows = [["a", "b"], ["a", "b"], ["b"], ["a", "b"], []]
    shared = share_equal(rows)
    assert shared == rows and shared[0] is shared[1] is shared[3] is rows[0] and shared[2] is rows[2]
    calls = [("f", "g"), ("f", "g"), ()]
    assert share_equal(calls)[1] is calls[0] and share_equal([]) == []


def test_raw_values_share_only_strings_and_string_lists_and_keep_their_types() -> None:
    rows = [["a", "b"], ["a", "b"], ("a", "b"), ("a", "b"), "x", "".join(["x"]), 1, True, 1.0, [1], [True],
            {"k": 1}, {"k": 1}, None, [["nested"]], [["nested"]]]
    shared = share_raw(rows)
    assert shared == rows and [type(r) for r in shared] == [type(r) for r in rows]
    assert shared[0] is shared[1] is rows[0] and shared[4] is shared[5]
    assert shared[2] is rows[2] and shared[3] is rows[3]  # tuples are not JSON values: kept
    assert shared[7] is True and type(shared[8]) is float and shared[10][0] is True  # numbers untouched
    assert shared[11] is rows[11] and shared[12] is rows[12] and shared[14] is rows[14]
