"""Console tables: every metric ID whole at 80 columns, warnings explained, markup in data literal."""

from __future__ import annotations

import io

from rich.console import Console

from helpers.report_fixtures import metric, report
from synae.report.console import metrics_table, print_metrics

IDS = ("fidelity.instructions.am.assistant_token_length", "fidelity.tool_calls.planning.k3",
       "fidelity.instructions.knd.user_assistant", "diversity.instructions.vendi")


def _text(render, width: int = 80) -> str:
    console = Console(width=width, file=io.StringIO(), record=True)
    render(console)
    return console.export_text()


def test_metric_ids_are_never_cut_at_80_columns() -> None:
    ms = {i: metric(i, 0.123456, details={"ci": [0.1, 0.2], "real_value": 0.3}) for i in IDS}
    ms["fidelity.instructions.fid"] = metric(
        "fidelity.instructions.fid", 12.5,
        warnings=["rank_deficient: min(m, m') = 10 <= dim 384; FD is biased upward"])
    text = _text(lambda c: c.print(metrics_table(report(ms, name="a[b]"))))
    for mid in (*IDS, "fidelity.instructions.fid"):
        assert mid.split(".", 2)[2] in text, mid
    assert "…" not in text
    assert "a[b] vs real" in text  # a set's name is text, not markup


def test_a_metric_warning_is_explained_under_the_table() -> None:
    fid = metric("fidelity.instructions.fid", 12.5,
                 warnings=["rank_deficient: min(m, m') = 10 <= dim 384; FD is biased upward"])
    text = _text(lambda c: print_metrics(report({fid.id: fid}), c), width=200)
    assert "(rank_deficient)" in text
    assert "rank_deficient: fewer points than embedding dimensions: FID is biased upward" in text
    plain = metric("fidelity.tool_calls.tum", 0.1)
    assert "rank_deficient:" not in _text(lambda c: print_metrics(report({plain.id: plain}), c), width=200)
