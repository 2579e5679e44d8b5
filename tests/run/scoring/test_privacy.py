import numpy as np
from tests.metrics.test_privacy import REAL, WORDS, evaluate, oversample, sample

from synae.report.gate import check, exit_code
from synae.run.scoring.privacy import half_split, privacy_score


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


def test_privacy_pillar_joins_the_aggregates_console_and_gate():
    from synae.config import load_config
    from synae.report.console import aggregates_table
    from synae.run.scoring.evaluation import Evaluator
    from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
    from synae.schema import Dataset

    config = load_config(embedding={"model": "lexical"})
    evaluator = Evaluator(Dataset(REAL, name="real"), config, preset="generic", progress=False)
    copies = evaluate_for_report(evaluator, Dataset(oversample(80, 5), name="copies"),
                                 options=ReportOptions(), name="copies")
    fresh = evaluate_for_report(evaluator, Dataset(sample(120, 2, "s"), name="fresh"),
                                options=ReportOptions(), name="fresh")
    agg = copies.aggregates
    assert agg is not None and agg["scores"]["copies"]["privacy"] == 0.0
    assert agg["labels"]["copies"]["privacy"]["label"] == "Poor"
    assert agg["privacy"]["copies"]["score"] == 0.0 and "independent" in agg["privacy"]["copies"]["anchors"]
    assert fresh.aggregates is not None and fresh.aggregates["scores"]["fresh"]["privacy"] > 0.9
    assert "privacy" in [c.header for c in aggregates_table(agg).columns]
    report = {"aggregates": agg, "metrics": {k: v.to_json_dict() for k, v in copies.metrics.items()}}
    checks = check(report, {"privacy": {"min": 0.5}})
    assert [c.outcome for c in checks] == ["fail"] and exit_code(checks) == 1


def _whole_copy_report(synthetic, name):
    from synae.config import load_config
    from synae.run.scoring.evaluation import Evaluator
    from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
    from synae.schema import Dataset

    config = load_config(embedding={"model": "lexical"})
    evaluator = Evaluator(Dataset(REAL, name="real"), config, preset="generic", progress=False)
    return evaluate_for_report(evaluator, Dataset(synthetic, name=name), options=ReportOptions(), name=name)


def test_five_verbatim_copies_in_thirty_make_privacy_poor_and_are_counted():
    # 25 independently written trajectories and 5 real ones copied whole (with new ids)
    copied = [REAL[i].model_copy(update={"id": f"copy{i}"}) for i in (3, 17, 40, 77, 101)]
    report = _whole_copy_report([*sample(25, 9, "fresh"), *copied], "leaky")
    agg = report.aggregates
    copies = agg["privacy"]["leaky"]["copies"]
    assert copies["exact"]["count"] == 5 and copies["near"]["count"] == 5 and copies["leak"] is True
    assert {p["real"] for p in copies["exact"]["pairs"]} == {3, 17, 40, 77, 101}
    assert copies["anchor_rate"] == 0.0  # the real set holds no duplicates of itself
    assert agg["labels"]["leaky"]["privacy"]["label"] == "Poor"
    assert agg["targets"]["leaky"]["privacy"]["trajectory"]["forced"] == "Poor"
    assert agg["targets"]["leaky"]["privacy"]["trajectory"]["reason"].startswith("5/30 whole copies of real")


def test_near_whole_copies_ignore_punctuation_and_case_but_not_content():
    from synae.schema import Message

    real = REAL[5]
    question = Message(role="user", content=real.messages[0].content + "?")
    edited = real.model_copy(update={"id": "edit", "output": real.output.upper() + " !!",
                                     "messages": [question, *real.messages[1:]]})
    changed = real.model_copy(update={"id": "changed", "output": real.output + " extra words"})
    report = _whole_copy_report([edited, changed, *sample(20, 4, "f")], "edits")
    copies = report.aggregates["privacy"]["edits"]["copies"]
    assert copies["exact"]["count"] == 0 and copies["near"]["count"] == 1
    assert copies["near"]["pairs"] == [{"synthetic": 0, "real": 5}]


def test_an_independent_set_is_not_made_poor_by_the_copy_rule():
    report = _whole_copy_report(sample(30, 11, "indep"), "independent")
    agg = report.aggregates
    assert agg["privacy"]["independent"]["copies"]["near"]["count"] == 0
    assert "trajectory" not in agg["targets"]["independent"]["privacy"]
    assert agg["labels"]["independent"]["privacy"]["label"] != "Poor"


def test_copies_at_the_real_sets_own_duplication_rate_are_not_a_leak():
    from synae.run.scoring.privacy import _tail

    # binomial tail used by the rule: 3 copies in 30 where the real half split duplicates 10 % is
    # ordinary; 12 in 30 is not
    assert _tail(3, 30, 0.1) > 0.01 and _tail(12, 30, 0.1) < 0.01 and _tail(0, 30, 0.1) == 1.0


def _weather(i: int, rng, prefix: str):
    from synae.schema import FunctionCall, Message, ToolCall, Trajectory

    city = str(rng.choice(["Oslo", "Rome", "Riga", "Lima"]))  # a small vocabulary: calls repeat by nature
    user = " ".join(rng.choice(WORDS, 12))
    call = ToolCall(id="c", function=FunctionCall(name="get_weather", arguments={"city": city}))
    return Trajectory(id=f"{prefix}{i}", output=" ".join(rng.choice(WORDS, 10)), messages=[
        Message(role="user", content=user), Message(role="assistant", tool_calls=[call]),
        Message(role="tool", tool_call_id="c", content="{}")])


def test_exact_copy_anchor_is_leave_one_out_so_a_small_vocabulary_is_not_a_leak():
    """Tool calls drawn from 4 cities match a real call whatever the sample: the half split (30
    against 30) would understate that rate for a set matched against all 60."""
    from synae.config import load_config
    from synae.metrics.privacy import duplicate_share
    from synae.run.scoring.evaluation import Evaluator
    from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
    from synae.schema import Dataset

    assert duplicate_share(np.array([5, 5, 7, 0, 9, 9, 9], dtype=np.uint64)) == (5, 6)
    rng = np.random.default_rng(3)
    real = [_weather(i, rng, "r") for i in range(60)]
    config = load_config(embedding={"model": "lexical"})
    evaluator = Evaluator(Dataset(real, name="real"), config, preset="generic", progress=False)
    fresh = [_weather(i, rng, "s") for i in range(30)]
    agg = evaluate_for_report(evaluator, Dataset(fresh, name="fresh"), options=ReportOptions(),
                              name="fresh").aggregates
    # every real call has a twin among the other 59: tool-call copies cannot be told from leaks
    excluded = {e["id"]: e["reason"] for e in agg["privacy"]["fresh"]["excluded"]}
    assert excluded["privacy.tool_calls.exact_copies"].startswith("anchor_not_better")
    assert "tool_calls" not in agg["targets"]["fresh"]["privacy"]
    assert agg["labels"]["fresh"]["privacy"]["label"] != "Poor"


def test_the_drill_down_lists_whole_copies_first():
    from synae.config import load_config
    from synae.report.html import render_html
    from synae.run.scoring.evaluation import Evaluator
    from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
    from synae.run.scoring.report_data import WHOLE_COPIES
    from synae.schema import Dataset

    copied = [REAL[i].model_copy(update={"id": f"copy{i}"}) for i in (3, 17)]
    evaluator = Evaluator(Dataset(REAL, name="real"), load_config(embedding={"model": "lexical"}),
                          preset="generic", progress=False)
    report = evaluate_for_report(evaluator, Dataset([*sample(10, 9, "fresh"), *copied], name="leaky"),
                                 options=ReportOptions(report_data=True), name="leaky")
    privacy = report.report_data["privacy"]
    assert next(iter(privacy)) == WHOLE_COPIES
    pairs = [(r["synthetic"], r["real"]) for r in privacy[WHOLE_COPIES]]
    assert pairs == [("copy3", "r3"), ("copy17", "r17")]
    html = render_html(report)
    section = html[html.index('id="privacy"'):]
    first_metric = section.index('data-metric="privacy.instructions.exact_copies"')
    assert section.index("Whole-trajectory copies") < first_metric
