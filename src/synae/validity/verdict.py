"""Verdicts of validity checkers (``docs/method.md`` §6).

Every checker returns, per trajectory, ``valid: True | False | None`` (``None`` = unscored), short
reason codes and the checker's name. Unscored verdicts are counted and reported, never turned into
``False``, ``0`` or NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from synae.schema import Trajectory

CheckTarget = Literal["tool_calls", "output"]


class Verdict(BaseModel):
    """The verdict of one checker on one trajectory for one target."""

    trajectory_id: str
    target: CheckTarget
    valid: bool | None
    reasons: list[str] = Field(default_factory=list)  # short codes, e.g. "grounded", "judge_failed"
    checker: str
    explanation: str | None = None  # free text: a failing value, the raw judge reply, ...
    details: dict[str, Any] = Field(default_factory=dict)


class Checker(Protocol):
    """Judges one target of many trajectories (batch form, so LLM judges can run concurrently)."""

    name: str
    target: CheckTarget

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        """One verdict per trajectory, in input order."""
        ...
