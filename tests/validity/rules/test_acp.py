"""Rule-based ACP output validity (docs/method.md §6.9)."""

from __future__ import annotations

import pytest

from synae.schema import Message, Trajectory
from synae.validity.rules.acp import ACPOutputChecker

CONTEXT = "This is a ferry domain, where the task is to transport cars. The ferry is at l1."
QUESTION = "Is the following action applicable in this state: sail from l1 to l0?"


def acp(output: str | None, *, question: str = QUESTION, tid: str = "1", generation: dict | None = None,
        source_fields: bool = False) -> Trajectory:
    metadata: dict = {"benchmark": "acp"}
    if generation is not None:
        metadata["generation"] = generation
    if source_fields:
        metadata["source"] = {"id": 1, "group": "applicable_actions_bool", "context": CONTEXT,
                              "question": QUESTION, "answer": "yes"}
    prompt = f"{CONTEXT}\n{question}\nOnly answer yes or no."
    return Trajectory(id=tid, messages=[Message(role="user", content=prompt)],
                      output=output, environment={"kind": "acp"}, metadata=metadata)


def check(traj: Trajectory, sources=None):
    [v] = ACPOutputChecker(sources).check_all([traj])
    return v


@pytest.mark.parametrize(("output", "valid"), [("yes", True), (" No\n", True), ("YES", True),
                                               ("maybe", False), ("yes.", False), ("", False), (None, False)])
def test_format_decides_for_original_items(output, valid):
    v = check(acp(output))
    assert v.valid is valid and v.target == "output"
    if not valid:
        assert v.reasons == ["format"]


SOURCE = acp("yes", tid="1")
FLIP = {"method": "invalidate", "source_id": "1", "modified": True}


def test_provenance_against_source_trajectory():
    assert check(acp("yes", tid="c", generation=FLIP), {"1": SOURCE}).valid is True
    flipped = check(acp("no", tid="c", generation=FLIP), {"1": SOURCE})
    assert flipped.valid is False and flipped.reasons == ["provenance"]


def test_provenance_falls_back_to_verbatim_source_fields():
    assert check(acp("no", tid="c", generation=FLIP, source_fields=True)).valid is False
    assert check(acp("yes", tid="c", generation=FLIP, source_fields=True)).valid is True


def test_changed_question_needs_a_judge_and_missing_source_is_unscored():
    changed = acp("no", tid="c", question="Is the ferry empty?", generation={"method": "blankfill",
                                                                               "source_id": "1"})
    v = check(changed, {"1": SOURCE})
    assert v.valid is None and v.reasons == ["needs_judge"]
    lost = check(acp("no", tid="c", generation={"method": "fewshot", "source_id": "404"}), {"1": SOURCE})
    assert lost.valid is None and lost.reasons == ["source_unavailable"]
    bad_format = check(changed.model_copy(update={"output": "perhaps"}), {"1": SOURCE})
    assert bad_format.valid is False and bad_format.reasons == ["format"]
