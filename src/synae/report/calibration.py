"""The calibration page (``calibration.html``) and the placement lines of reports.

:func:`render_calibration` draws one small plot per pillar from a ``calibration.json`` record alone
(every curve of the pillar: mean score against damage strength, its min–max band over seeds), with a
table of the checks and every problem in words. :func:`placement_lines` turns
``aggregates.calibration`` into sentences for the console and the HTML card. Everything data-borne
(set names, file names, generator and target names) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from synae.report.plots import MIN_FONT, colour, to_svg

PLACEMENT_MARK = {"placed": "≈", "above_range": "↑", "below_range": "↓"}


def curve_plot(pillar: str, curves: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """One pillar's curves (label → points): score against strength, the min–max band shaded."""
    from synae.report.plots import _figure

    fig = _figure(4.2, 3.0)
    ax = fig.add_subplot()
    for i, (label, points) in enumerate(curves.items()):
        pts = [p for p in points if p.get("score") is not None]
        xs = [float(p["strength"]) for p in pts]
        ax.plot(xs, [float(p["score"]) for p in pts], marker="o", markersize=3.5, color=colour(i),
                label=label)
        banded = [p for p in pts if p.get("ci")]
        if banded:
            ax.fill_between([float(p["strength"]) for p in banded], [float(p["ci"][0]) for p in banded],
                            [float(p["ci"][1]) for p in banded], color=colour(i), alpha=0.18, linewidth=0)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(-0.03, 1.03)
    ax.set_xlabel("damage strength (share of trajectories)")
    ax.set_ylabel(f"{pillar} score")
    ax.set_title(pillar, fontsize=MIN_FONT + 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", frameon=False)
    return to_svg(fig, "plot calibration")


def _label(point: Mapping[str, Any]) -> str:
    target = point.get("target")
    return f"{point['generator']} · {target}" if target else str(point["generator"])


def _by_curve(points: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for p in points:
        out.setdefault(_label(p), []).append(p)
    return {k: sorted(v, key=lambda p: float(p["strength"])) for k, v in out.items()}


def _num(value: Any, digits: int = 3) -> str:
    return "—" if not isinstance(value, (int, float)) else f"{value:.{digits}f}"


CSS = """body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:1200px;padding:0 1rem;color:#222}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem}
svg.plot{width:100%;height:auto}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}
.bad{color:#b00020}.ok{color:#1b7a1b}.muted{color:#666}"""


def render_calibration(record: Mapping[str, Any]) -> str:
    """``calibration.html`` of a ``calibration.json`` record (self-contained, inline SVG)."""
    real = record.get("real", {})
    config = record.get("config", {})
    plots = [f"<figure>{curve_plot(pillar, _by_curve(points))}</figure>"
             for pillar, points in record.get("curves", {}).items()]
    rows = []
    for c in record.get("checks", []):
        verdict = ('<span class="ok">falls</span>' if not c.get("problem") else
                   f'<span class="bad">{escape(str(c["problem"]))}</span>')
        rows.append(f"<tr><td>{escape(str(c['pillar']))}</td><td>{escape(str(c.get('target') or '—'))}</td>"
                    f"<td>{escape(str(c['generator']))}</td><td>{_num(c.get('drop'))}</td>"
                    f"<td>{_num(c.get('max_rise'))}</td><td>{_num(c.get('noise'))}</td><td>{verdict}</td></tr>")
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in record.get("notes", []))
    strengths = ", ".join(f"{s:g}" for s in config.get("strengths", []))
    seeds = ", ".join(str(s) for s in config.get("seeds", []))
    meanings = "".join(f"<li><b>{escape(str(g))}</b>: strength = share of "
                       f"{escape(str(m).replace('{target}', 'the curve’s target'))}</li>"
                       for g, m in record.get("meanings", {}).items())
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>synae calibration</title>
<style>{CSS}</style></head><body>
<h1>Calibration of {escape(str(real.get('name', 'the real set')))}</h1>
<p class="muted">{escape(str(real.get('n', '?')))} real trajectories
· preset {escape(str(real.get('preset', '?')))}
· embedder {escape(str(config.get('embedder', '?')))} · strengths {escape(strengths)} · seeds {escape(seeds)}
· band: {escape(str(config.get('ci', '')))} · synae {escape(str(record.get('synae_version', '')))}</p>
<p>Each curve is a pillar's score on sets built from the real data with a known share of damage.
A synthetic set's score is read on these curves as the damage it is comparable to.</p>
<ul>{meanings}</ul>
<div class="grid">{''.join(plots)}</div>
<h2>Checks</h2><p class="muted">A curve must fall by at least {_num(config.get('min_drop'), 2)} from the
weakest to the strongest damage and never rise by more than its noise.</p>
<table><tr><th>pillar</th><th>target</th><th>damage</th><th>drop</th><th>largest step up</th>
<th>noise (half band)</th><th>check</th></tr>{''.join(rows)}</table>
{f'<h2>Notes</h2><ul>{notes}</ul>' if notes else ''}
</body></html>
"""


def placement_lines(aggregates: Mapping[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """``(member, pillar, target or "", sentence)`` for every placement of ``aggregates.calibration``."""
    out: list[tuple[str, str, str, str]] = []
    for member, pillars in ((aggregates or {}).get("calibration") or {}).items():
        for pillar, placements in pillars.items():
            for p in placements:
                out.append((member, pillar, p.get("target") or "", str(p.get("text", ""))))
    return out


__all__ = ["curve_plot", "placement_lines", "render_calibration"]
