"""Budgeted equality of environment states: ``a == b`` without recursion, hangs or cycles.

:func:`same_state` decides what Python's ``==`` decides on plain data (dicts, lists, tuples, sets,
scalars) and on the objects whose compared attributes are named in ``fields`` (a class → the
attributes its own ``__eq__`` compares), but

- **iteratively** (an explicit stack: a state nested thousands of levels deep is no
  ``RecursionError``);
- **identity first, pairs memoised**: two values that are the same object are equal without a
  look inside, and a pair of values already visited is not visited again. A subtree shared many
  times (a folder copied into many places) is compared once per pair of objects, not once per path;
- **cycle-safe**: revisiting a pair that is still being compared counts as equal (equality of the
  two graphs, the greatest relation consistent with every field — so a folder copied into itself
  compares equal to the same structure on the other side);
- **within a budget**: more than ``budget.state_nodes`` visited pairs (every pair taken from the
  stack counts, also one skipped as identical or already seen), or the trajectory's time budget
  (:mod:`synae.envs.budget`) spent, raises :class:`~synae.envs.budget.BudgetExceeded`.

Rules per pair ``(x, y)``: dicts (both) — equal key sets, then value pairs; lists (both) or tuples
(both) — equal lengths, then element pairs; a class in ``fields`` — the same class on both sides,
then the pairs of its compared attributes; anything else — ``x == y`` (sets and scalars; an object
without its own ``__eq__`` equals only itself, as in Python).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from synae.envs.budget import STATE_BUDGET_EXCEEDED, BudgetExceeded, TrajectoryBudget

CHECK_EVERY = 4096  # visited pairs between two looks at the clock
ATOMIC = frozenset({str, int, float, bool, type(None)})  # compared at once, never memoised

Pairs = list[tuple[Any, Any]]


def _children(x: Any, y: Any, fields: Mapping[type, tuple[str, ...]]) -> Pairs | None:
    """The pairs ``x == y`` depends on, or ``None`` when ``x`` and ``y`` already differ."""
    if isinstance(x, dict) or isinstance(y, dict):
        if not (isinstance(x, dict) and isinstance(y, dict)) or x.keys() != y.keys():
            return None
        return [(value, y[key]) for key, value in x.items()]
    for kind in (list, tuple):
        if isinstance(x, kind) or isinstance(y, kind):
            if not (isinstance(x, kind) and isinstance(y, kind)) or len(x) != len(y):
                return None
            return list(zip(x, y, strict=True))
    compared = fields.get(type(x)) or fields.get(type(y))
    if compared is not None:
        if type(x) is not type(y):
            return None
        return [(getattr(x, name, None), getattr(y, name, None)) for name in compared]
    return [] if bool(x == y) else None


def same_state(a: Any, b: Any, *, fields: Mapping[type, tuple[str, ...]] | None = None,
               budget: TrajectoryBudget | None = None) -> bool:
    """Whether ``a`` and ``b`` are equal (module docstring); raises
    :class:`~synae.envs.budget.BudgetExceeded` when the comparison exceeds ``budget`` (its
    ``state_nodes`` pairs, or its remaining seconds). Without a budget nothing bounds it."""
    fields = fields or {}
    max_nodes = budget.state_nodes if budget is not None else None
    start = time.monotonic()
    stack: Pairs = [(a, b)]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        x, y = stack.pop()
        visited += 1
        if max_nodes is not None and visited > max_nodes:
            raise BudgetExceeded(STATE_BUDGET_EXCEEDED,
                                 f"a state comparison visited more than {max_nodes} value pairs")
        if budget is not None and visited % CHECK_EVERY == 0:
            budget.check(running=time.monotonic() - start)
        if x is y:
            continue
        if type(x) in ATOMIC and type(y) in ATOMIC:
            if x != y:
                return False
            continue
        key = (id(x), id(y))
        if key in seen:
            continue
        seen.add(key)
        children = _children(x, y, fields)
        if children is None:
            return False
        stack.extend(children)
    return True
