"""Agreement of a checker with known validity labels (``docs/method.md`` §6.4).

Labels come from people (a JSON file ``{"<trajectory id>": true | false}``) or from the generators'
*validity by construction*: a trajectory whose ``metadata.generation.modified`` is false is valid,
one that a generator modified (invalidated) is not (``docs/method.md`` §8.1).

For the verdicts that have a label: ``coverage`` = scored / labelled; over the scored ones the
confusion counts, ``accuracy``, ``f1_valid`` = 2·TP / (2·TP + FP + FN) with "valid" as the positive
class, and Cohen's ``kappa`` = (p_o − p_e) / (1 − p_e), where p_o is the observed agreement and p_e
the agreement expected from the two marginals. Undefined values (no scored verdict, a zero
denominator) are ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synae.errors import DataError
from synae.schema import Trajectory
from synae.validity.verdict import Verdict


def construction_labels(trajectories: Sequence[Trajectory]) -> dict[str, bool]:
    """``id → not modified`` for every trajectory with generation provenance."""
    labels = {}
    for traj in trajectories:
        generation = traj.metadata.get("generation")
        if isinstance(generation, dict) and isinstance(generation.get("modified"), bool):
            labels[traj.id] = not generation["modified"]
    return labels


def read_labels(path: str | Path) -> dict[str, bool]:
    """Labels from a JSON object mapping trajectory ids to ``true``/``false``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read labels ({exc.strerror})", source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON ({exc.msg})", source=str(path),
                        location=f"line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise DataError('expected one JSON object {"<trajectory id>": true | false, ...}', source=str(path))
    for key, value in data.items():
        if not isinstance(value, bool):
            raise DataError(f"label must be true or false, got {value!r}", source=str(path),
                            location=f"id {key!r}")
    return {str(k): v for k, v in data.items()}


@dataclass
class Confusion:
    """Confusion counts of verdicts against labels; add the verdicts of several chunks of one input
    with :meth:`add`, then read :meth:`result` (equal to the counts over all of them at once)."""

    n_labelled: int = 0
    tp: int = 0
    tn: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, verdicts: Sequence[Verdict], labels: Mapping[str, bool]) -> None:
        """Count the ``verdicts`` that have a label (unscored ones only in ``n_labelled``)."""
        for verdict in verdicts:
            label = labels.get(verdict.trajectory_id)
            if label is None:
                continue
            self.n_labelled += 1
            if verdict.valid is not None:
                valid = bool(verdict.valid)
                self.tp += valid and label
                self.tn += not valid and not label
                self.fp += valid and not label
                self.fn += not valid and label

    def result(self) -> dict[str, Any]:
        """``n_labelled``, ``n_scored``, the four counts, ``coverage``, ``accuracy``, ``f1_valid`` and
        ``kappa`` (see the module docstring)."""
        tp, tn, fp, fn = self.tp, self.tn, self.fp, self.fn
        n = tp + tn + fp + fn
        out: dict[str, Any] = {"n_labelled": self.n_labelled, "n_scored": n, "tp": tp, "tn": tn, "fp": fp,
                               "fn": fn, "coverage": n / self.n_labelled if self.n_labelled else None,
                               "accuracy": (tp + tn) / n if n else None,
                               "f1_valid": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None,
                               "kappa": None}
        if n:
            p_o = (tp + tn) / n
            p_e = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
            out["kappa"] = (p_o - p_e) / (1 - p_e) if p_e < 1 else None
        return out


def agreement(verdicts: Sequence[Verdict], labels: Mapping[str, bool]) -> dict[str, Any]:
    """Agreement of ``verdicts`` with ``labels`` (see the module docstring)."""
    confusion = Confusion()
    confusion.add(verdicts, labels)
    return confusion.result()
