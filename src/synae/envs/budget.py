"""Per-trajectory budgets for executing environments: what one trajectory may cost.

A trajectory decides how much work its tool calls and state comparisons cause, so each trajectory
runs under a :class:`TrajectoryBudget` started from :class:`TrajectoryLimits`:

- ``seconds``: *environment time* — wall-clock seconds spent inside tool calls
  (:func:`synae.envs.limits.run_limited`) and state comparisons (:mod:`synae.envs.state`), summed
  over the trajectory (``None``: no limit). Time spent waiting for an LLM or for other trajectories
  does not count. A running call gets at most the remaining time as its limit, so the budget is
  overrun by at most one uninterruptible C operation (which the argument caps bound).
- ``state_nodes``: pairs of values one state comparison may visit.

Whoever runs one trajectory (a validity checker, the downstream loop, the downstream scorer) enters
:func:`trajectory_budget`; the environments find the budget with :func:`current_budget` (a context
variable, so concurrent asyncio tasks each see their own). A spent budget raises
:class:`BudgetExceeded`, which environments never turn into an error result: it reaches the caller,
which makes that trajectory *unscored* with ``BudgetExceeded.reason`` (``time_budget_exceeded`` or
``state_budget_exceeded``) and goes on with the others.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

TRAJECTORY_SECONDS = 60.0  # environment seconds per trajectory (validity, downstream)
STATE_NODES = 1_000_000  # value pairs one state comparison may visit
TIME_BUDGET_EXCEEDED = "time_budget_exceeded"
STATE_BUDGET_EXCEEDED = "state_budget_exceeded"


class BudgetExceeded(Exception):
    """A trajectory spent one of its budgets; ``reason`` is the short code, ``message`` the words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class TrajectoryLimits:
    """The budgets every trajectory of a run gets (see the module docstring)."""

    seconds: float | None = TRAJECTORY_SECONDS
    state_nodes: int = STATE_NODES

    def start(self) -> TrajectoryBudget:
        """A fresh budget for one trajectory."""
        return TrajectoryBudget(self.seconds, self.state_nodes)


class TrajectoryBudget:
    """What one trajectory has left: environment seconds (``spent`` so far) and the node budget of
    each state comparison."""

    def __init__(self, seconds: float | None = TRAJECTORY_SECONDS, state_nodes: int = STATE_NODES) -> None:
        self.seconds = seconds
        self.state_nodes = state_nodes
        self.spent = 0.0

    def remaining(self, running: float = 0.0) -> float:
        """Seconds left once ``running`` seconds of the current piece of work are counted (``inf``
        without a limit)."""
        return math.inf if self.seconds is None else self.seconds - self.spent - running

    def exceeded(self) -> BudgetExceeded:
        """The error of a trajectory whose time ran out (``time_budget_exceeded``)."""
        return BudgetExceeded(TIME_BUDGET_EXCEEDED, f"the trajectory used its {self.seconds:g} s of "
                                                    "environment time")

    def check(self, running: float = 0.0) -> None:
        """Raise :meth:`exceeded` when no time is left."""
        if self.remaining(running) <= 0:
            raise self.exceeded()

    @contextmanager
    def charging(self) -> Iterator[None]:
        """Count the body's wall-clock time as spent (also when it raises)."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.spent += time.monotonic() - start


_CURRENT: ContextVar[TrajectoryBudget | None] = ContextVar("synae_trajectory_budget", default=None)


def current_budget() -> TrajectoryBudget | None:
    """The budget of the trajectory being run in this context, if any."""
    return _CURRENT.get()


@contextmanager
def trajectory_budget(budget: TrajectoryBudget | None) -> Iterator[TrajectoryBudget | None]:
    """Run the body as one trajectory under ``budget`` (``None``: no budget)."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
