"""Plots of the HTML report as inline SVG strings (matplotlib, no pyplot global state).

Every function takes plain data (from the results JSON) and returns an ``<svg>`` element; text stays
text (``svg.fonttype = none``) so files are small and readable offline. Colours: real data grey,
synthetic sets from a fixed qualitative palette (same member → same colour across plots).

Legibility at a 1280-px page (two charts per row, each about 600 px wide for a 4.4-inch figure):
every text is at least ``MIN_FONT`` points (≥ 10 px on screen), legends sit outside the axes, and
tick labels are shortened. :func:`degenerate` says in words when a chart would carry no
information (a constant attribute, a side without values), so the report prints that instead.

Every text drawn is literal: labels, titles and legends come from the data (attribute values, tool
names, file names, labels), so mathtext (``$…$``) and TeX are off (``text.parse_math`` and
``text.usetex`` false) — ``$\\foo$`` is drawn as written, never parsed. The SVG writer escapes XML.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from synae.errors import MissingDependencyError

REAL_COLOUR = "#7f7f7f"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
           "#bcbd22", "#393b79")
_XML_HEADER = re.compile(r"^.*?(?=<svg)", re.S)
MIN_FONT = 9.5  # points: ≥ 10 px when a 4.4-inch chart is drawn ≥ 450 px wide
LABEL_CHARS = 22
LEGEND_ROW = 0.22  # inches: one legend row at MIN_FONT


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _figure(width: float, height: float, constrained: bool = True) -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("matplotlib", "pip install 'synae[report]'") from exc
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "synae", "font.size": MIN_FONT,
                                "text.parse_math": False, "text.usetex": False,  # data-borne text, literal
                                "xtick.labelsize": MIN_FONT, "ytick.labelsize": MIN_FONT,
                                "legend.fontsize": MIN_FONT,
                                "axes.spines.top": False, "axes.spines.right": False})
    return Figure(figsize=(width, height), layout="constrained" if constrained else None)


def to_svg(fig: Any, css_class: str = "plot") -> str:
    """Serialise a figure to an inline ``<svg>`` element (XML header and fixed size removed)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = _XML_HEADER.sub("", buf.getvalue(), count=1)
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', svg, count=1)
    return svg.replace("<svg", f'<svg class="{css_class}" role="img"', 1)


def radar(series: Mapping[str, Mapping[str, float | None]], axes: Sequence[str], title: str,
          colours: Mapping[str, str]) -> str:
    """Radar chart: one closed polygon per series over ``axes`` (values in [0, 1], None → 0). Meant
    for few axes (the pillars); many metrics are drawn by :func:`metric_bars`."""
    # room under the bottom axis label for the legend: two columns, one more row per two series
    extra = LEGEND_ROW * (math.ceil(len(series) / 2) - 1)
    fig = _figure(4.4, 4.8 + extra, constrained=False)
    fig.subplots_adjust(bottom=(0.96 + extra) / (4.8 + extra), top=1 - 0.672 / (4.8 + extra))
    ax = fig.add_subplot(projection="polar")
    angles = [2 * math.pi * i / len(axes) for i in range(len(axes))]
    for name, values in series.items():
        ys = [values.get(a) or 0.0 for a in axes]
        col = colours.get(name, REAL_COLOUR)
        ax.plot([*angles, angles[0]], [*ys, ys[0]], color=col, linewidth=1.6, label=name)
        ax.fill([*angles, angles[0]], [*ys, ys[0]], color=col, alpha=0.12)
    ax.set_xticks(angles)
    ax.set_xticklabels([_short(a.split(".", 1)[-1]) for a in axes], fontsize=MIN_FONT + 1)
    ax.tick_params(axis="x", pad=12)  # labels clear of the polygons drawn at 1
    ax.set_ylim(0, 1)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["", "0.5", "", "1"], fontsize=MIN_FONT)
    ax.set_title(title, fontsize=MIN_FONT + 1.5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return to_svg(fig, "plot radar")


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def metric_bars(series: Mapping[str, Mapping[str, float]], axes: Sequence[str], title: str,
                colours: Mapping[str, str]) -> str:
    """Horizontal bars: one row per metric, one bar per set (normalised value u in [0, 1], 1 =
    ideal); a dashed line at 1. Legible for any number of metrics (the height grows with them)."""
    names = [n for n in series if series[n]]
    height = 0.9 + 0.26 * len(axes) * max(1, len(names)) ** 0.6
    fig = _figure(6.4, height)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(names))
    for g, name in enumerate(names):
        ys = [i + (g - (len(names) - 1) / 2) * width for i in range(len(axes))]
        ax.barh(ys, [series[name].get(a, 0.0) for a in axes], height=width,
                color=colours.get(name, REAL_COLOUR), label=name)
    ax.set_yticks(range(len(axes)))
    ax.set_yticklabels([a.split(".", 1)[-1] for a in axes])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.axvline(1.0, color=REAL_COLOUR, linestyle="--", linewidth=1)
    ax.set_xlabel("u (1 = ideal, 0 = collapse anchor or group worst)")
    ax.set_title(title, fontsize=MIN_FONT + 1.5)
    if len(names) > 1:  # one column outside on the right: every set listed, whatever the names' length
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return to_svg(fig, "plot bars")


def degenerate(hist: Mapping[str, Any], synthetic: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why a histogram would be uninformative, in words (``None`` when it is worth drawing): no
    values on a side (e.g. a set without outputs), or one constant value everywhere."""
    if not hist.get("n_real") and not any(h.get("n_synthetic") for h in synthetic.values()):
        return "no values on either side"
    if not hist.get("n_real"):
        return "the real set has no values (e.g. no outputs)"
    empty = [n for n, h in synthetic.items() if not h.get("n_synthetic")]
    if empty and len(empty) == len(synthetic):
        return f"no values in {', '.join(empty)} (e.g. a set without outputs)"
    counts = [c for c in (hist["real"], *(h["synthetic"] for h in synthetic.values()))]
    occupied = {i for row in counts for i, c in enumerate(row) if c}
    if len(occupied) == 1:
        (i,) = occupied
        if hist["kind"] == "categorical":
            value: Any = hist["labels"][i]
        else:
            lo, hi = hist["edges"][i], hist["edges"][i + 1]
            value = (lo + hi) / 2 if float(lo + hi).is_integer() or hi - lo <= 1 else f"{lo:g}–{hi:g}"
        return f"constant: every trajectory has the value {value} on every side"
    return None


def histogram(hist: Mapping[str, Any], title: str, synthetic: Mapping[str, Mapping[str, Any]],
              colours: Mapping[str, str]) -> str:
    """Real side (grey, from ``hist``) against each synthetic set (``synthetic``: name → histogram).

    Numeric histograms are drawn as densities (share ÷ bin width) so that sets binned differently
    (each set's bins are shared with the real side only) are comparable; categorical ones as shares
    per label over the union of labels.
    """
    fig = _figure(5.2, 2.9)
    ax = fig.add_subplot()
    series = [("real", hist["real"], hist, REAL_COLOUR)] + [
        (name, h["synthetic"], h, colours[name]) for name, h in synthetic.items()]
    if hist["kind"] == "categorical":
        labels = list(hist["labels"])
        labels += [lab for _, _, h, _ in series for lab in h["labels"] if lab not in labels]
        width = 0.8 / len(series)
        for g, (name, counts, h, col) in enumerate(series):
            total = sum(counts) or 1
            share = dict(zip(h["labels"], (c / total for c in counts), strict=True))
            xs = [i + (g - (len(series) - 1) / 2) * width for i in range(len(labels))]
            ax.bar(xs, [share.get(lab, 0.0) for lab in labels], width=width, color=col, label=name)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels([_short(str(lab), 16) for lab in labels], rotation=45, ha="right")
        ax.set_ylabel("share")
    else:
        for name, counts, h, col in series:
            edges = h["edges"]
            total = sum(counts) or 1
            widths = [(b - a) or 1.0 for a, b in itertools.pairwise(edges)]
            dens = [c / total / w for c, w in zip(counts, widths, strict=True)]
            if name == "real":
                ax.stairs(dens, edges, fill=True, color=col, alpha=0.35, label=name)
            else:
                ax.stairs(dens, edges, color=col, linewidth=1.6, label=name)
        ax.set_ylabel("density")
    ax.set_title(title, fontsize=MIN_FONT + 1.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # outside: never over bars
    return to_svg(fig, "plot hist")


def scatter(real_xy: Sequence[Sequence[float]], synthetic: Mapping[str, Sequence[Sequence[float]]],
            colours: Mapping[str, str], title: str, explained: Sequence[float]) -> str:
    """2-D embedding map: real points grey, each synthetic set in its colour."""
    fig = _figure(4.6, 4.0)
    ax = fig.add_subplot()
    if real_xy:
        ax.scatter([p[0] for p in real_xy], [p[1] for p in real_xy], s=12, c=REAL_COLOUR, alpha=0.5,
                   label="real", linewidths=0)
    for name, xy in synthetic.items():
        if xy:
            ax.scatter([p[0] for p in xy], [p[1] for p in xy], s=16, c=colours[name], alpha=0.7,
                       label=name, linewidths=0, marker="^")
    ax.set_xlabel(f"PC1 ({explained[0]:.0%} of real variance)")
    ax.set_ylabel(f"PC2 ({explained[1]:.0%})")
    ax.set_title(title, fontsize=MIN_FONT + 1.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, markerscale=2)
    return to_svg(fig, "plot scatter")


def sweep(param_name: str, param_values: Sequence[float], series: Mapping[str, Sequence[float | None]],
          noise: Mapping[str, float | None] | None = None) -> str:
    """Small multiples: each metric against the swept parameter (dashed line: real-vs-real mean)."""
    ids = list(series)
    ncols = min(4, len(ids))
    nrows = math.ceil(len(ids) / ncols)
    fig = _figure(3.2 * ncols, 2.5 * nrows, constrained=False)  # constrained layout is slow on grids
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.3 / nrows, top=1 - 0.2 / nrows, wspace=0.35,
                        hspace=0.75)
    for i, mid in enumerate(ids):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        pts = [(x, y) for x, y in zip(param_values, series[mid], strict=False) if y is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=3, color=colour(0))
        if noise and noise.get(mid) is not None:
            ax.axhline(noise[mid], color=REAL_COLOUR, linestyle="--", linewidth=1)
        ax.set_title(_short(mid.split(".", 1)[-1], 30), fontsize=MIN_FONT)
        ax.tick_params(labelsize=MIN_FONT - 1)
        ax.set_xlabel(param_name, fontsize=MIN_FONT - 1)
    return to_svg(fig, "plot sweep")
