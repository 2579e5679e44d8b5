"""Verdicts of validity checkers (``docs/method.md`` §6).

Every checker returns, per trajectory, ``valid: True | False | None`` (``None`` = unscored), short
reason codes and the checker's name. Unscored verdicts are counted and reported, never turned into
``False``, ``0`` or NaN.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

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


CHECK_STATES = ("passed", "failed", "not_run")


class VerdictTally:
    """Counts of verdicts folded one at a time from their parts — ``valid``, ``reasons``, the
    rule checks' states (``details["checks"]``: check → ``passed``/``failed``/``not_run``) and the
    judge's truncated prompt fields —, so that a checker that only needs to be counted can count
    what it would have built (:meth:`add`) and a list of verdicts is counted the same way
    (:meth:`add_verdict`).

    ``reasons`` counts every reason of the invalid verdicts, ``unscored_reasons`` the first reason
    of the unscored ones, both in first-seen order; :meth:`checks` gives, per check in order of
    first appearance, how many verdicts passed / failed / did not run it (other states are not
    reported)."""

    def __init__(self) -> None:
        self.n = self.valid = self.invalid = self.unscored = self.truncated_fields = 0
        self.reasons: Counter[str] = Counter()
        self.unscored_reasons: Counter[str] = Counter()
        self._states: Counter[tuple[str, str]] = Counter()

    def add(self, valid: bool | None, reasons: Sequence[str], checks: Mapping[str, str] | None = None,
            truncated_fields: int = 0) -> None:
        self.n += 1
        if valid is True:
            self.valid += 1
        elif valid is False:
            self.invalid += 1
            self.reasons.update(reasons)
        else:
            self.unscored += 1
            self.unscored_reasons.update(reasons[:1])
        if checks:
            self._states.update(checks.items())
        self.truncated_fields += truncated_fields

    def add_verdict(self, verdict: Verdict) -> None:
        details = verdict.details
        self.add(verdict.valid, verdict.reasons, details.get("checks") if details else None,
                 int(details.get("truncated_fields", 0)) if details else 0)

    def checks(self) -> dict[str, dict[str, int]]:
        states = self._states
        order = dict.fromkeys(check for check, _ in states)  # a Counter keeps the order of first counts
        return {check: {state: states[check, state] for state in CHECK_STATES} for check in order}


class Checker(Protocol):
    """Judges one target of many trajectories (batch form, so LLM judges can run concurrently)."""

    name: str
    target: CheckTarget

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        """One verdict per trajectory, in input order."""
        ...


@runtime_checkable
class CountingChecker(Checker, Protocol):
    """A checker that can also count its verdicts without building them (rule checkers whose
    verdicts are many small objects: a streamed run keeps counts only)."""

    def tally_all(self, trajectories: Sequence[Trajectory], tally: VerdictTally) -> None:
        """Add the verdict of each trajectory to ``tally``, as :meth:`check_all` would give it."""
        ...
