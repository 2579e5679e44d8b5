"""report_data: histograms, embedding map and drill-down lists."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.report_fixtures import trajectory
from synae.run.scoring.report_data import (
    Projection,
    build_report_data,
    categorical_histogram,
    numeric_histogram,
)
from synae.validity.verdict import Verdict


def test_numeric_histogram_integer_bins_and_shared_edges() -> None:
    h = numeric_histogram([1, 2, 2, 3], [2, 5])
    assert h["edges"] == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert h["real"] == [1, 2, 1, 0, 0] and h["synthetic"] == [0, 1, 0, 0, 1]
    wide = numeric_histogram([0.0, 100.5], [50.0])
    assert len(wide["edges"]) == 21 and sum(wide["real"]) == 2


def test_categorical_histogram_pools_rare_labels() -> None:
    h = categorical_histogram(["a", "a", "b", "c"], ["a", "d"], max_labels=2)
    assert h["labels"] == ["a", "b", "(other)"]
    assert h["real"] == [2, 1, 1] and h["synthetic"] == [1, 0, 1]


def test_projection_is_fitted_on_real() -> None:
    x = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [2.0, 1.0, 0.0]])
    p = Projection.fit(x)
    assert p.explained[0] == pytest.approx(0.8)  # variance 1 along x, 0.25 along y
    xy = p.project(np.array([[1.0, 0.5, 0.0]]))
    assert np.allclose(xy, 0.0)


def test_build_report_data_drilldown() -> None:
    real = [trajectory(f"r{i}", f"visit museum {i}", ["search", "filter"], attributes={"city": "Paris"})
            for i in range(8)]
    syn = [trajectory("s0", "visit museum 0", ["search"]),  # copy of a real transcript
           trajectory("s1", "buy a boat", ["search", "search", "book"]),
           trajectory("s2", "buy a boat", []),  # duplicate within the synthetic set
           *[trajectory(f"s{i}", f"visit museum {i}", ["search"]) for i in range(3, 8)]]
    # Real points on a line: r0, r3..r7 at 0..5, r1 and r2 far away (100, 200); the synthetic set
    # copies r0, r3..r7 and puts s1, s2 at -1000 (outside every real k-NN ball).
    pos = [0, 100, 200, 1, 2, 3, 4, 5]
    real_emb = np.array([[p, 0.0] for p in pos])
    syn_emb = np.vstack([real_emb[0], [-1000, 0], [-1000, 0], real_emb[3:8]])
    verdicts = [Verdict(trajectory_id="s1", target="tool_calls", valid=False, reasons=["unknown_tool"],
                        checker="rules", explanation="book is not a declared tool"),
                Verdict(trajectory_id="s2", target="tool_calls", valid=None, reasons=["judge_failed"],
                        checker="judge")]
    data = build_report_data(real, syn, real_embeddings=real_emb, synthetic_embeddings=syn_emb,
                             verdicts=verdicts)
    d = data["drilldown"]
    assert [r["id"] for r in d["invalid"]] == ["s1"]  # unscored is not invalid
    assert d["invalid"][0]["reasons"] == ["unknown_tool"]
    assert d["invalid"][0]["text"] == "user: buy a boat assistant: ok"
    assert [r["id"] for r in d["outside_manifold"]] == ["s1", "s2"]
    # Recall: synthetic radii reach x ≤ 5 (copies) and x ≤ 1 (s1/s2: radius 1001 from -1000).
    assert [r["id"] for r in d["uncovered"]] == ["r1", "r2"] and d["totals"]["uncovered"] == 2
    dups = {tuple(r["synthetic_ids"]): r["real_ids"] for r in d["duplicates"]}
    assert dups[("s1", "s2")] == [] and dups[("s0",)] == ["r0"]
    assert d["totals"]["duplicates"] == 7  # s0, s3..s7 copy real ones + the (s1, s2) pair
    assert data["tool_usage"]["labels"][:2] == ["search", "filter"]
    assert data["tool_usage"]["synthetic"][data["tool_usage"]["labels"].index("book")] == 1
    assert data["tool_counts"]["real"] == [0, 0, 8, 0]
    city = data["attributes"]["city"]
    assert dict(zip(city["labels"], city["real"], strict=False)) == {"Paris": 8, "None": 0}
    assert dict(zip(city["labels"], city["synthetic"], strict=False)) == {"Paris": 0, "None": 8}
    emb = data["embedding_map"]
    assert emb["real"]["ids"] == [f"r{i}" for i in range(8)] and len(emb["synthetic"]["xy"]) == 8


def test_without_embeddings_map_and_knn_are_omitted() -> None:
    real = [trajectory("r0", "a", ["x"])]
    data = build_report_data(real, real)
    assert "embedding_map" not in data and "outside_manifold" not in data["drilldown"]
    assert data["drilldown"]["totals"]["duplicates"] == 1


def test_drilldown_rows_show_whole_trajectories_and_nearest_neighbours() -> None:
    from synae.run.scoring.report_data import nearest

    real = [trajectory(f"r{i}", f"visit museum {i}", ["search", "filter"]) for i in range(6)]
    syn = [trajectory("far", "buy a boat", ["book"], answer="done")]
    real_emb = np.array([[float(i), 0.0] for i in range(6)])
    syn_emb = np.array([[8.0, 4.0]])  # (3, 4) from r5
    data = build_report_data(real, syn, real_embeddings=real_emb, synthetic_embeddings=syn_emb)
    row = data["drilldown"]["outside_manifold"][0]
    assert row["id"] == "far" and row["neighbour"] == "r5" and row["distance"] == pytest.approx(5.0)
    shown = data["trajectories"]["synthetic"]["far"]
    assert shown["messages"][0] == {"role": "user", "content": "buy a boat"}
    assert shown["messages"][1]["tool_calls"] == [{"name": "book", "arguments": "{}"}]
    assert shown["output"] == "done"
    assert "r5" in data["trajectories"]["real"]
    # blockwise nearest neighbours agree with brute force
    rng = np.random.default_rng(0)
    q, ref = rng.normal(size=(600, 5)), rng.normal(size=(300, 5))
    idx, dist = nearest(q, ref)
    full = np.linalg.norm(q[:, None, :] - ref[None, :, :], axis=2)
    assert np.array_equal(idx, full.argmin(axis=1)) and np.allclose(dist, full.min(axis=1))


def test_report_data_masks_every_pii_value_of_both_sets_and_ids() -> None:
    """Real PII that the synthetic set does not echo is masked too (trajectories, snippets, labels,
    reasons), and a synthetic id equal to a real e-mail is masked everywhere it is referenced."""
    import json

    from helpers.pii_fixtures import EMAIL, leaked, pii_sets

    real, syn = pii_sets()
    rng = np.random.default_rng(0)
    real_emb, syn_emb = rng.normal(size=(len(real), 4)), rng.normal(size=(len(syn), 4)) + 50  # all outside
    syn_emb[0] = 45.0  # the e-mail id: the nearest synthetic trajectory of every real one
    verdicts = [Verdict(trajectory_id=EMAIL, target="tool_calls", valid=False, checker="rules",
                        reasons=["unknown_argument: ssn 123-45-6789"], explanation=f"mailed {EMAIL}")]
    data = build_report_data(real, syn, real_embeddings=real_emb, synthetic_embeddings=syn_emb,
                             verdicts=verdicts)
    assert leaked(json.dumps(data, ensure_ascii=False)) == []
    assert data["pii_masked"] is True
    masked_id = "«email»#1"
    assert data["embedding_map"]["synthetic"]["ids"][0] == masked_id
    assert data["drilldown"]["invalid"][0]["id"] == masked_id
    assert data["drilldown"]["invalid"][0]["reasons"] == ["unknown_argument: ssn «ssn»"]
    assert masked_id in {r["id"] for r in data["drilldown"]["outside_manifold"]}
    assert data["trajectories"]["synthetic"][masked_id]["id"] == masked_id
    # every id a row names is a key of the shown trajectories (the page links rows to them)
    shown_real, shown_syn = data["trajectories"]["real"], data["trajectories"]["synthetic"]
    for row in data["drilldown"]["outside_manifold"]:
        assert row["id"] in shown_syn and row["neighbour"] in shown_real
    for row in data["drilldown"]["uncovered"]:
        assert row["id"] in shown_real and row["neighbour"] in shown_syn
    assert masked_id in {r["neighbour"] for r in data["drilldown"]["uncovered"]}
    shown = data["trajectories"]["real"]["r4"]
    assert shown["messages"][0]["content"] == "please contact «api_key» about order 4"
    assert shown["attributes"]["contact"] == "«api_key»"
    assert "«ssn»" in data["attributes"]["contact"]["labels"]


def test_show_pii_keeps_the_raw_values() -> None:
    import json

    from helpers.pii_fixtures import EMAIL, RAW, leaked, pii_sets

    real, syn = pii_sets()
    rng = np.random.default_rng(0)
    data = build_report_data(real, syn, real_embeddings=rng.normal(size=(len(real), 4)),
                             synthetic_embeddings=rng.normal(size=(len(syn), 4)) + 50, show_pii=True)
    assert data["pii_masked"] is False
    assert set(leaked(json.dumps(data, ensure_ascii=False))) >= set(RAW)
    assert EMAIL in data["trajectories"]["synthetic"]


def test_the_drilldown_shows_the_final_answer_once_as_the_output() -> None:
    """The final assistant message marked as the output is not repeated among the messages; a final
    message that is not the output (no mark, or other text) stays."""
    from synae.run.scoring.report_data import trajectory_view
    from synae.schema import Message, Trajectory
    from synae.views import OUTPUT_MARK

    answer = "It is 12 degrees in Oslo."
    marked = Trajectory(id="t", output=answer, messages=[
        Message(role="user", content="Weather in Oslo?"),
        Message(role="assistant", content=answer, metadata={OUTPUT_MARK: True})])
    view = trajectory_view(marked)
    assert view["output"] == answer and [m["role"] for m in view["messages"]] == ["user"]
    assert str(view).count(answer) == 1
    unmarked = Trajectory(id="u", output="a stored answer", messages=[
        Message(role="user", content="hi"), Message(role="assistant", content="hello")])
    assert [m["content"] for m in trajectory_view(unmarked)["messages"]] == ["hi", "hello"]
