import numpy as np
from tests.metrics.test_privacy import REAL, evaluate, oversample, sample

from synae.report.gate import check, exit_code
from synae.run.privacy import half_split, privacy_score


def test_half_split_is_seeded_and_complete():
    a, b = half_split(11, 3)
    assert a.size == 6 and sorted([*a, *b]) == list(range(11))
    assert np.array_equal(half_split(11, 3)[0], a) and not np.array_equal(half_split(11, 4)[0], a)


def test_copies_score_zero_and_an_independent_sample_near_one():
    copies = oversample(80, 5)
    ev, real_f, results = evaluate(REAL, copies)
    collapsed = privacy_score(real_f, results, ev.context)
    assert collapsed.score == 0.0 and collapsed.label["label"] == "Poor"
    assert {e["id"] for e in collapsed.excluded} >= {"privacy.instructions.pii_echo"}  # no PII: no scale
    assert set(collapsed.floor.values()) == {1.0} and collapsed.split == (60, 60)
    ev, real_f, results = evaluate(REAL, sample(120, 2, "s"))
    independent = privacy_score(real_f, results, ev.context)
    assert independent.score > 0.9 and independent.label["label"] in ("Strong", "Moderate")
    assert independent.to_json()["anchors"]["independent"].keys() == independent.normalised.keys()


def test_gate_thresholds_apply_to_privacy_metrics():
    _, _, results = evaluate(REAL, REAL[:40])
    report = {"metrics": {k: v.to_json_dict() for k, v in results.items()}}
    checks = check(report, {"privacy.instructions.exact_copies": {"max": 0.01},
                            "privacy.output.verbatim_spans": {"max": 1.0}})
    assert [c.outcome for c in checks] == ["fail", "pass"] and exit_code(checks) == 1
