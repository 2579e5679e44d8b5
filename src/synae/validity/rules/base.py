"""Shared pieces of the rule-based checkers: verdict construction, options and call extraction.

Every rule checker reports, per trajectory, ``valid`` (``True``/``False``, or ``None`` when no rule
can decide), ``reasons`` = the short codes of the rules that failed (plus informational codes such
as ``unknown_entity``), ``explanation`` = the first failure in words, and ``details`` = per-rule
messages.

Checkers that execute tool calls run each trajectory within a time budget
(:func:`within_budget`, :mod:`synae.envs.budget`): a trajectory whose calls use up
``validity.trajectory_seconds`` of environment time gets an unscored verdict with reason
``time_budget_exceeded`` (the checks that had already failed are dropped with the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from synae.envs.budget import TRAJECTORY_SECONDS, BudgetExceeded, TrajectoryLimits, trajectory_budget
from synae.schema import Message, Trajectory
from synae.toolcalls import parsed_module
from synae.validity.verdict import CheckTarget, Verdict

RULES_VERSION = "1"


@dataclass
class RuleOutcome:
    """Failed rule codes with their messages, informational codes, and extra details."""

    failures: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def fail(self, code: str, message: str) -> None:
        self.failures.setdefault(code, []).append(message)

    def note(self, code: str, message: str) -> None:
        self.notes.setdefault(code, []).append(message)

    def judged(self, unscored: str | None = None) -> tuple[bool | None, list[str]]:
        """``(valid, reasons)``: ``valid`` is False when any rule failed, None when ``unscored``
        names why no rule can decide, else True; the reasons are the failed codes (else
        ``unscored``), then the informational ones."""
        reasons = list(self.failures)
        if not reasons and unscored:
            reasons.append(unscored)
        if self.notes:
            reasons += [code for code in self.notes if code not in reasons]
        return (False if self.failures else (None if unscored else True)), reasons

    def verdict(self, traj: Trajectory, target: CheckTarget, checker: str,
                unscored: str | None = None) -> Verdict:
        """The verdict of :meth:`judged`, explained by the first failure, with every message."""
        valid, reasons = self.judged(unscored)
        first = next(iter(self.failures.values()))[0] if self.failures else None
        details = {**self.details, **self.notes, **self.failures}
        return Verdict(trajectory_id=traj.id, target=target, valid=valid, reasons=reasons,
                       checker=f"{checker}@{RULES_VERSION}", explanation=first, details=details)


def within_budget(check: Callable[[Trajectory], Verdict], traj: Trajectory, target: CheckTarget,
                  checker: str, seconds: float | None = TRAJECTORY_SECONDS) -> Verdict:
    """``check(traj)`` within a fresh trajectory budget of ``seconds`` environment seconds; when the
    budget is exceeded, the unscored verdict with the budget's reason code and message."""
    try:
        with trajectory_budget(TrajectoryLimits(seconds).start()):
            return check(traj)
    except BudgetExceeded as exc:
        return Verdict(trajectory_id=traj.id, target=target, valid=None, reasons=[exc.reason],
                       checker=f"{checker}@{RULES_VERSION}", explanation=exc.message)


def message_parse_error(message: Message) -> str | None:
    """Why a message's tool calls did not parse: the ``parse_error`` its metadata records, else the
    syntax error of its ``code`` (parsed with :mod:`ast`, never executed); ``None`` when neither."""
    error = (message.metadata or {}).get("parse_error")
    if error is None and message.code is not None:
        tree = parsed_module(message.code)
        error = tree if isinstance(tree, str) else None
    return str(error) if error else None


def source_of(traj: Trajectory, sources: Mapping[str, Trajectory] | None) -> Trajectory | None:
    """The generation source (``metadata.generation.source_id``) when known, else ``None``."""
    generation = traj.metadata.get("generation")
    if not sources or not isinstance(generation, Mapping) or generation.get("source_id") is None:
        return None
    return sources.get(str(generation["source_id"]))
