"""HTML rendering from results JSON alone (hand-made reports, no metric engine)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from helpers.report_fixtures import metric, report, trajectory
from synae.report.html import render_html
from synae.results import ComparisonResults, load_any
from synae.run.scoring.aggregate import (
    SELF_ROW,
    Anchor,
    aggregate,
    aggregate_anchored,
    aggregate_single,
    ideal_self_row,
)
from synae.run.scoring.report_data import build_report_data
from synae.validity.verdict import Verdict


def _member(name: str, tum: float, seed: int):
    ms = {m.id: m for m in [
        metric("validity.tool_calls.rate", 0.9),
        metric("fidelity.tool_calls.tum", tum, details={"ci": [tum - 0.01, tum + 0.02],
                                                         "noise_floor": {"mean": 0.05, "std": 0.01}}),
        metric("fidelity.instructions.knn_precision", 0.7),
        metric("diversity.instructions.vendi", 5.0, details={"real_value": 6.0})]}
    rep = report(ms, name=name)
    real = [trajectory(f"r{i}", f"tour {i % 4} <b>bold</b>", ["search"] * (i % 3)) for i in range(20)]
    syn = [trajectory(f"{name}{i}", f"park {i % 2}", ["search", "book"]) for i in range(15)]
    rng = np.random.default_rng(seed)
    verdicts = [Verdict(trajectory_id=f"{name}0", target="tool_calls", valid=False, reasons=["unknown_tool"],
                        checker="rules", explanation="<script>alert(1)</script>")]
    rep.report_data = build_report_data(real, syn, real_embeddings=rng.normal(size=(20, 6)),
                                        synthetic_embeddings=rng.normal(size=(15, 6)), verdicts=verdicts)
    return rep


def test_single_report_sections_and_escaping(tmp_path) -> None:
    rep = _member("syn", 0.2, 0)
    rep.aggregates = aggregate_single(rep.metrics, "syn")
    rep.write(tmp_path / "results.json")
    html = render_html(load_any(tmp_path / "results.json"))  # from the JSON alone
    for section in ("summary", "radar", "metrics", "attributes", "tools", "embedding", "drilldown", "config"):
        assert f'<section id="{section}">' in html
    assert 'id="ranking"' not in html and 'id="sweep"' not in html
    assert "[0.19, 0.22]" in html and "0.05 ± 0.01" in html  # CI and noise floor columns
    assert "Share of synthetic trajectories whose tool calls" in html  # registry meaning
    assert "<script>" not in html and "&lt;script&gt;" in html  # user text is escaped
    assert html.count("<svg") >= 5
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no external resources
    assert "unknown_tool" in html


def test_comparison_report_with_sweep(tmp_path) -> None:
    members = {"a": _member("a", 0.1, 1), "b": _member("b", 0.3, 2)}
    group = {SELF_ROW: ideal_self_row(members["a"].metrics), **{k: v.metrics for k, v in members.items()}}
    results = ComparisonResults(synae_version="0.1.0", config={"seed": 123}, members=members,
                                param_name="temperature", param_values=[0.5, 1.0],
                                aggregates=aggregate(group))
    results.write(tmp_path / "results.json")
    loaded = load_any(tmp_path / "results.json")
    assert isinstance(loaded, ComparisonResults) and list(loaded.members) == ["a", "b"]
    html = render_html(loaded)
    assert 'id="ranking"' in html and 'id="sweep"' in html
    ranking = html[html.index('id="ranking"'):html.index('id="radar"')]
    assert ranking.index("<td>a</td>") < ranking.index("<td>b</td>")  # a has the better TUM
    # pillar radar + normalised metrics as bars (a radar with one axis per metric overlaps its labels)
    assert html.count('class="plot radar"') == 1 and html.count('class="plot bars"') == 1
    assert 'class="plot sweep"' in html


def test_anchored_headline_reference_reasons_bias_and_evidence(tmp_path) -> None:
    rep = _member("syn", 0.2, 0)
    rep.metrics["fidelity.tool_calls.tum"].details.update(ci=[0.25, 0.3], ci_method="BCa",
                                                           ci_excludes_estimate=True)
    anchor = Anchor(indices=[1, 2, 3, 4, 5], copies=15, seed=1,
                    floor={"fidelity.tool_calls.tum": 0.6, "fidelity.instructions.knn_precision": 1.0,
                           "diversity.instructions.vendi": 1.0})
    rep.metrics.pop("validity.tool_calls.rate")
    rep.aggregates = aggregate_anchored(rep.metrics, anchor, "syn")
    rep.write(tmp_path / "results.json")
    html = render_html(load_any(tmp_path / "results.json"))
    assert "1 = as close to the real data as the real data itself" in html
    assert "0 = no better than repeating one real trajectory" in html
    assert "real (self)" not in html  # the self row is the scale, not a listed competitor
    assert "Validity not scored: no validity checker ran" in html  # a missing score says why
    assert 'class="bias"' in html  # the interval that excludes its estimate is flagged
    assert "tone-good" in html or "tone-fair" in html or "tone-poor" in html
    # the drill-down shows whole trajectories with their nearest neighbour
    assert 'class="traj synthetic"' in html and "neighbour · distance" in html
    assert '<table class="dt">' in html


def test_constant_attribute_is_described_not_drawn() -> None:
    from synae.report import plots

    hist = {"kind": "numeric", "edges": [0.5, 1.5], "real": [10], "synthetic": [8], "n_real": 10,
            "n_synthetic": 8}
    why = plots.degenerate(hist, {"syn": hist})
    assert why == "constant: every trajectory has the value 1.0 on every side"
    empty = {**hist, "synthetic": [0], "n_synthetic": 0}
    assert "no values in syn" in plots.degenerate(hist, {"syn": empty})
    varied = {**hist, "edges": [0.5, 1.5, 2.5], "real": [5, 5], "synthetic": [8, 0]}
    assert plots.degenerate(varied, {"syn": varied}) is None


EMAIL = "Jane.Doe@example.org"
WORDS = [f"w{i}" for i in range(300)]


def _traj(rng: np.random.Generator, tid: str, user: str | None = None, output: str | None = None):
    from synae.schema import FunctionCall, Message, ToolCall, Trajectory

    call = ToolCall(id="c0", function=FunctionCall(name="search", arguments={"q": str(rng.choice(WORDS))}))
    return Trajectory(id=tid, output=output or " ".join(rng.choice(WORDS, 15)), messages=[
        Message(role="user", content=user or " ".join(rng.choice(WORDS, 25))),
        Message(role="assistant", tool_calls=[call]), Message(role="tool", content="ok", tool_call_id="c0")])


def privacy_report(folder) -> tuple[str, str]:
    """An evaluation (real privacy metrics, lexical embedder) with planted leaks: s0 copies r3, s1
    holds 16 tokens of r7's user turn, s2 repeats r5's user turn — which carries an e-mail address —
    with words around it and the address in its output. Returns (results JSON path, the copied
    16-token passage)."""
    from synae.config import load_config
    from synae.run.scoring.evaluation import Evaluator
    from synae.run.scoring.pipeline import ReportOptions, evaluate_for_report
    from synae.schema import Dataset

    rng = np.random.default_rng(0)
    real = [_traj(rng, f"r{i}") for i in range(40)]
    real[5] = _traj(rng, "r5", user=f"please write to {EMAIL} about the " + " ".join(rng.choice(WORDS, 20)))
    syn = [_traj(rng, f"s{i}") for i in range(30)]
    syn[0] = real[3].model_copy(update={"id": "s0"})
    copied = " ".join(real[7].messages[0].content.split()[3:19])
    syn[1] = _traj(rng, "s1", user=f"alpha beta gamma {copied} delta epsilon")
    syn[2] = _traj(rng, "s2", user=f"forward this: {real[5].messages[0].content} thanks",
                   output=f"Sure, I mailed {EMAIL.upper()} as asked")
    evaluator = Evaluator(Dataset(real, name="real"), load_config(embedding={"model": "lexical"}),
                          preset="generic", progress=False)
    rep = evaluate_for_report(evaluator, Dataset(syn, name="syn"), options=ReportOptions(), name="syn")
    rep.report_data = build_report_data(real, syn, metrics=rep.metrics)
    rep.write(folder / "results.json")
    return str(folder / "results.json"), copied


def test_privacy_drilldown_highlights_copies_and_never_shows_pii(tmp_path) -> None:
    path, copied = privacy_report(tmp_path)
    results_json = Path(path).read_text(encoding="utf-8")
    html = render_html(load_any(path))
    for text in (results_json, html):  # the echoed address appears nowhere, in no case
        assert "jane.doe" not in text.casefold() and "example.org" not in text.casefold()
    assert '<section id="privacy">' in html and 'href="#privacy"' in html
    assert "1 = leaks no more than an independent sample of the real data; 0 = no better than copying " \
           "real trajectories." in html
    summary = html[html.index('<section id="summary">'):html.index('<section id="radar">')]
    assert "What the privacy score means" in summary
    # output PII cannot be scaled (the real outputs hold none): left out, with its reason
    assert "<code>privacy.output.pii_echo</code> (syn): anchor_undefined" in summary
    section = html[html.index('<section id="privacy">'):html.index('<section id="drilldown">')]
    assert 'data-metric="privacy.instructions.exact_copies"' in section
    assert "<td><code>s0</code></td><td><code>r3</code></td>" in section
    # the copied span is highlighted in the synthetic trajectory and in the real one it copies
    assert section.count(f'<mark class="copy">{copied}</mark>') == 2
    assert "16 consecutive tokens copied" in section
    # the echo shows as a kind and a count; the span over the address highlights its mask only
    assert "echoes email × 1" in section
    assert '<mark class="copy">please write to <mark class="pii"' in section
    assert '<mark class="pii" title="detected personal data or secret, masked">«email»</mark>' \
        in section
    data = load_any(path).report_data
    assert data is not None
    spans = data["privacy"]["privacy.instructions.verbatim_spans"]
    s2 = next(r for r in spans if r["synthetic"] == "s2")
    keys = {k for m in s2["marks"]["synthetic"] + s2["marks"]["real"] for k in m}
    assert keys == {"part", "message", "start", "end"}  # offsets only: no text in the marks
    shown = data["trajectories"]["synthetic"]["s2"]
    start, end = s2["marks"]["synthetic"][0]["start"], s2["marks"]["synthetic"][0]["end"]
    assert shown["messages"][0]["content"][start:end].startswith("please write to «email» about the")
    assert shown["output"] == "Sure, I mailed «email» as asked"
    assert "r5" in data["trajectories"]["real"] and "s1" in data["trajectories"]["synthetic"]


def test_dollar_signs_and_markup_in_data_text_are_drawn_literally(tmp_path) -> None:
    """``$…$`` in an attribute value, an attribute name, a tool name, a set's label (e.g. from a file
    name) or the swept parameter's name is text, not mathtext; markup in them is escaped."""
    values = ["$x^$", "$\\foo$", "<b>x</b>"]
    real = [trajectory(f"r{i}", f"tour {i}", ["search", "$\\bar$"][: 1 + i % 2],
                       attributes={"$a^$": values[i % 3]}) for i in range(9)]
    members = {}
    for k, name in enumerate(("s$\\frac{$", "t$y_$")):
        syn = [trajectory(f"{k}s{i}", f"park {i}", ["search"], attributes={"$a^$": values[(i + k) % 3]})
               for i in range(6)]
        rep = report({m.id: m for m in [metric("validity.tool_calls.rate", 0.9),
                                        metric("fidelity.tool_calls.tum", 0.1 * (k + 1)),
                                        metric("fidelity.instructions.knn_precision", 0.7),
                                        metric("diversity.instructions.vendi", 5.0)]}, name=name)
        rng = np.random.default_rng(k)
        rep.report_data = build_report_data(real, syn, real_embeddings=rng.normal(size=(9, 4)),
                                            synthetic_embeddings=rng.normal(size=(6, 4)))
        members[name] = rep
    group = {SELF_ROW: ideal_self_row(members["s$\\frac{$"].metrics),
             **{k: v.metrics for k, v in members.items()}}
    results = ComparisonResults(synae_version="0.1.0", config={"seed": 123}, members=members,
                                param_name="$\\rho^$", param_values=[0.5, 1.0], aggregates=aggregate(group))
    results.write(tmp_path / "results.json")
    html = render_html(load_any(tmp_path / "results.json"))
    charts = "".join(re.findall(r"<svg.*?</svg>", html, re.S))
    for text in ("$x^$", "$\\foo$", "$a^$", "$\\bar$", "s$\\frac{$", "t$y_$", "$\\rho^$"):
        assert f">{text}<" in charts, text  # a whole SVG text element, as written
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in charts


def test_a_report_with_raw_pii_says_so() -> None:
    from helpers.pii_fixtures import leaked, pii_sets

    real, syn = pii_sets()
    rng = np.random.default_rng(0)
    for show in (False, True):
        rep = report({m.id: m for m in [metric("fidelity.tool_calls.tum", 0.1)]})
        rep.report_data = build_report_data(real, syn, real_embeddings=rng.normal(size=(len(real), 4)),
                                            synthetic_embeddings=rng.normal(size=(len(syn), 4)) + 50,
                                            attributes={}, show_pii=show)
        html = render_html(rep)
        assert ('id="raw-pii"' in html) is show and ("contains raw PII" in html) is show
        assert bool(leaked(html)) is show


def test_the_card_shows_the_judges_kappa_and_warns_when_it_is_low() -> None:
    def card(kappa: float) -> str:
        found = {"kappa": kappa, "kappa_interval": [kappa - 0.1, kappa + 0.1], "n": 40, "warnings": []}
        if kappa < 0.4:
            found["warnings"] = ["unreliable judge: κ below 0.4"]
        ms = {"validity.output.rate": metric("validity.output.rate", 0.8, details={
            "checker": "judge", "judge_calibration": found})}
        rep = report(ms, name="syn")
        rep.aggregates = aggregate_single(rep.metrics, "syn")
        html = render_html(rep)
        return html.split('<div class="cards">', 1)[1].split("</section>", 1)[0]

    good, bad = card(0.8), card(0.1)
    assert "judge κ = 0.80 [0.70, 0.90] on 40 items" in good and "judge-warning" not in good
    assert "judge κ = 0.10 [0.00, 0.20] on 40 items" in bad
    assert '<div class="reason judge-warning">validity.output.rate: unreliable judge' in bad


def test_the_metric_table_of_many_sets_fits_the_page() -> None:
    """Five sets with long labels: the table scrolls inside its section if it must, and its long metric
    IDs, set labels and reasons may wrap anywhere (else each column is as wide as its longest word:
    2,525 px in a 1,240 px page)."""
    ids = ("fidelity.instructions.am.assistant_token_length", "fidelity.tool_calls.planning.k3",
           "fidelity.instructions.knn_precision", "diversity.instructions.vendi")
    members = {f"oversample_frac0_{i}": report({m: metric(m, 0.1 * i, details={"real_value": 1.0})
                                                for m in ids}, name=f"oversample_frac0_{i}")
               for i in range(1, 6)}
    group = {SELF_ROW: ideal_self_row(members["oversample_frac0_1"].metrics),
             **{k: v.metrics for k, v in members.items()}}
    html = render_html(ComparisonResults(synae_version="0.1.0", config={"seed": 123}, members=members,
                                         aggregates=aggregate(group)))
    section = html[html.index('<section id="metrics">'):html.index("</section>", html.index('id="metrics"'))]
    assert '<div class="scroll"><table class="metrics">' in section
    assert all(f"</span>{name}</th>" in section for name in members)
    assert re.search(r"table\.metrics th, table\.metrics code, table\.metrics td\.value small \{ "
                     r"overflow-wrap: anywhere; \}", html)
