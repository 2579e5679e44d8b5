"""Structure that an input lost or never had, counted in one pass and reported as warnings.

A converted or exported file can drop parts of a trace without failing to parse: a ShareGPT export
that kept the assistant turns but not their tool calls leaves empty assistant messages; a log that
kept the calls but not the tool messages leaves calls without results. The metrics would then score
what is left as if it were complete. :func:`structure_counts` counts, per dataset:

- ``empty_assistant``: assistant messages with no text (missing or only whitespace), no tool call
  and no tool-call code;
- ``unanswered_calls``: structured tool calls (with an id) that no ``tool`` message of the same
  trajectory answers (``tool_call_id``); calls written as code carry no id and are not counted;
- ``needs_completion``: trajectories a generator marked as holding instructions only
  (``metadata.generation.needs_completion``: blankfill, fewshot).

:func:`structure_warnings` turns non-zero counts into one line each, naming the dataset, the count,
the first trajectory id, and what it does to the scores. On a stream, :func:`ride_structure` has
the counts made by the next complete pass (the features pass) instead of a pass of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from synae.presets import Preset
from synae.run.inputs.streaming import TrajectoryStream
from synae.run.scoring.evaluation import trajectory_chunks
from synae.schema import Dataset, Trajectory


@dataclass
class StructureCounts:
    """What :func:`structure_counts` found; ``first`` maps each kind to the first trajectory id."""

    trajectories: int = 0
    empty_assistant: int = 0
    unanswered_calls: int = 0
    needs_completion: int = 0
    first: dict[str, str] = field(default_factory=dict)

    def add(self, traj: Trajectory) -> None:
        """Count one trajectory."""
        self.trajectories += 1
        answered = {m.tool_call_id for m in traj.messages if m.role == "tool"}
        for message in traj.messages:
            if message.role != "assistant":
                continue
            if not (message.content or "").strip() and not message.tool_calls and message.code is None:
                self._hit("empty_assistant", traj.id)
            for call in message.tool_calls or ():
                if call.id not in answered:
                    self._hit("unanswered_calls", traj.id)
        if (traj.metadata.get("generation") or {}).get("needs_completion"):
            self._hit("needs_completion", traj.id)

    def feed(self, chunk: Iterable[Trajectory]) -> None:
        """Count every trajectory of ``chunk`` (a :class:`~synae.run.inputs.streaming.Rider`)."""
        for traj in chunk:
            self.add(traj)

    def _hit(self, kind: str, trajectory_id: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.first.setdefault(kind, trajectory_id)


def structure_counts(chunks: Iterable[Iterable[Trajectory]]) -> StructureCounts:
    """The counts of the module doc over every trajectory of ``chunks`` (one pass)."""
    counts = StructureCounts()
    for chunk in chunks:
        counts.feed(chunk)
    return counts


RIDER = "structure"


def ride_structure(*datasets: Dataset | TrajectoryStream) -> None:
    """Have the next complete pass over each stream among ``datasets`` count its structure
    (:meth:`~synae.run.inputs.streaming.TrajectoryStream.ride`), so :func:`structure_warnings` reads no
    stream again; a dataset loaded whole needs nothing."""
    for data in datasets:
        if isinstance(data, TrajectoryStream):
            data.ride(RIDER, StructureCounts)


def structure_warnings(dataset: Dataset | TrajectoryStream, preset: Preset | None = None) -> list[str]:
    """One warning per non-zero count of :func:`structure_counts` on ``dataset``; unanswered calls
    only when the ``preset``'s format records tool results (``Preset.records_tool_results``)."""
    ridden = dataset.ridden(RIDER) if isinstance(dataset, TrajectoryStream) else None
    if isinstance(dataset, TrajectoryStream) and ridden is None:
        dataset.unride(RIDER)  # counted by the pass below, not by a rider on it too
    c = (replace(ridden) if isinstance(ridden, StructureCounts)  # a copy: the rider stays as counted
         else structure_counts(trajectory_chunks(dataset)))
    if preset is not None and not preset.records_tool_results:
        c.unanswered_calls = 0
    name = dataset.name
    out = []
    if c.empty_assistant:
        out.append(f"{name}: {c.empty_assistant} assistant messages are empty (no text, no tool call; first "
                   f"in {c.first['empty_assistant']!r}) — did the export drop tool calls? Tool-call "
                   "metrics and validity see only what is left")
    if c.unanswered_calls:
        out.append(f"{name}: {c.unanswered_calls} tool calls have no tool result (first in "
                   f"{c.first['unanswered_calls']!r}) — output checks that read tool results cannot use them")
    if c.needs_completion:
        out.append(f"{name}: {c.needs_completion} trajectories have no tool calls or output; complete them "
                   "with --complete-with (synae generate) before scoring their validity")
    return out


__all__ = ["StructureCounts", "ride_structure", "structure_counts", "structure_warnings"]
