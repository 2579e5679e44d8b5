"""Rule-based validity of ACP outputs (``docs/method.md`` §6.9).

- ``format``: the output is ``yes`` or ``no`` after stripping and lower-casing.
- ``provenance``: when ``metadata.generation`` names a source item (``source_id``) whose context
  and question are unchanged, the output must equal the source's answer (a flipped answer is
  invalid). The source is looked up in ``sources`` (id → trajectory); without it, the verbatim
  original fields in ``metadata.source`` (``context``, ``question``, ``answer``) are used when the
  generator copied them. When the question changed (blank filling, few-shot) no rule can decide:
  unscored with ``needs_judge``; when no source can be found at all: unscored with
  ``source_unavailable``.
- A trajectory without generation provenance (an original item) is its own reference: ``format``
  alone decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synae.schema import Trajectory
from synae.validity.rules.base import RuleOutcome, source_of
from synae.validity.verdict import CheckTarget, Verdict
from synae.views import user_messages

ANSWERS = ("yes", "no")
PROMPT_SUFFIX = "Only answer yes or no."


def normalised_answer(text: str | None) -> str:
    return (text or "").strip().lower()


def _reference(traj: Trajectory, sources: Mapping[str, Trajectory] | None) -> tuple[list[str], str] | None:
    """(user messages, answer) of the source item, or ``None`` when it cannot be found."""
    source = source_of(traj, sources)
    if source is not None:
        return user_messages(source), normalised_answer(source.output)
    original: Any = traj.metadata.get("source")
    if isinstance(original, Mapping) and {"context", "question", "answer"} <= set(original):
        prompt = f"{original['context']}\n{original['question']}\n{PROMPT_SUFFIX}"
        return [prompt], normalised_answer(str(original["answer"]))
    return None


class ACPOutputChecker:
    """§6.9 rules; ``sources`` maps source ids to the original items."""

    name = "rules.acp.output"
    target: CheckTarget = "output"

    def __init__(self, sources: Mapping[str, Trajectory] | None = None) -> None:
        self.sources = sources

    def check(self, traj: Trajectory) -> Verdict:
        outcome = RuleOutcome()
        answer = normalised_answer(traj.output)
        if answer not in ANSWERS:
            outcome.fail("format", f"output {traj.output!r} is not yes or no")
            return outcome.verdict(traj, "output", self.name)
        if not isinstance(traj.metadata.get("generation"), Mapping):
            return outcome.verdict(traj, "output", self.name)
        reference = _reference(traj, self.sources)
        if reference is None:
            return outcome.verdict(traj, "output", self.name, unscored="source_unavailable")
        source_messages, source_answer = reference
        if source_messages != user_messages(traj):
            return outcome.verdict(traj, "output", self.name, unscored="needs_judge")
        if answer != source_answer:
            outcome.fail("provenance", f"answer {answer!r} differs from the source answer {source_answer!r}")
        return outcome.verdict(traj, "output", self.name)

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return [self.check(t) for t in trajectories]
