"""Chart legends list every set inside the figure, however many sets and however long their names."""

from __future__ import annotations

import pytest

from synae.report import plots

NAMES = [f"oversample_frac0_{i}" for i in range(1, 6)]
AXES = ["fidelity.instructions.knn_precision", "fidelity.tool_calls.tum", "diversity.instructions.vendi"]


@pytest.mark.parametrize("chart", ["metric_bars", "radar"])
def test_every_legend_entry_is_drawn_inside_the_figure(chart: str, monkeypatch) -> None:
    placed: dict[str, bool] = {}
    to_svg = plots.to_svg

    def check(fig, css_class="plot"):
        svg = to_svg(fig, css_class)  # draws the figure: the legend is laid out
        renderer = fig._get_renderer()
        for ax in fig.axes:
            legend = ax.get_legend()
            for text in legend.get_texts() if legend else []:
                box = text.get_window_extent(renderer)
                placed[text.get_text()] = (box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.width
                                           and box.y1 <= fig.bbox.height)
        return svg

    monkeypatch.setattr(plots, "to_svg", check)
    series = {n: dict.fromkeys(AXES, 0.5) for n in NAMES}
    svg = getattr(plots, chart)(series, AXES, "title", {n: plots.colour(i) for i, n in enumerate(NAMES)})
    assert placed == dict.fromkeys(NAMES, True)
    assert all(f">{n}<" in svg for n in NAMES)
