"""Render a results JSON (one evaluation or a comparison) to one self-contained HTML file.

Everything comes from the results JSON (``metrics``, ``aggregates``, ``report_data``); nothing is
recomputed. The page has no external references: CSS is inline and plots are inline SVG
(:mod:`synae.report.plots`). Sections (HTML ids): ``summary``, ``ranking`` (comparisons),
``radar``, ``metrics`` (direction, bounds, value, CI, noise floor, meaning), ``attributes``,
``tools``, ``embedding``, ``drilldown``, ``sweep`` (when a parameter was swept), ``config``.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2

from synae import __version__
from synae.report import plots
from synae.report.aggregate import PILLARS, SELF_ROW, bounded_closeness
from synae.report.comparison import ComparisonResults
from synae.report.meanings import meaning
from synae.report.models import EvaluationReport, MetricResult


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:.3e}"
    return str(value)


def _members(results: EvaluationReport | ComparisonResults) -> dict[str, EvaluationReport]:
    if isinstance(results, ComparisonResults):
        return dict(results.members)
    aggregates = results.aggregates or {}
    names = [m for m in aggregates.get("members", []) if m != SELF_ROW]
    name = names[0] if names else (results.datasets.get("synthetic").name
                                   if results.datasets.get("synthetic") else "synthetic")
    return {name: results}


def _metric_rows(members: dict[str, EvaluationReport]) -> list[dict[str, Any]]:
    ids: list[str] = []
    for report in members.values():
        ids.extend(m for m in report.metrics if m not in ids)
    rows = []
    for mid in sorted(ids, key=lambda m: (PILLARS.index(m.split(".")[0]) if m.split(".")[0] in PILLARS
                                          else 9, m)):
        first: MetricResult = next(r.metrics[mid] for r in members.values() if mid in r.metrics)
        noise = first.details.get("noise_floor") or {}
        cells = []
        for report in members.values():
            m = report.metrics.get(mid)
            if m is None:
                cells.append({"value": "—", "status": "absent", "ci": "", "note": ""})
                continue
            ci = m.details.get("ci")
            ci_text = f"[{_fmt(ci[0], 3)}, {_fmt(ci[1], 3)}]" if isinstance(ci, list) and len(ci) == 2 else ""
            note = m.reason or ""
            if m.warnings:
                note = "; ".join([note, *m.warnings]) if note else "; ".join(m.warnings)
            beyond = None
            if isinstance(noise.get("mean"), (int, float)) and isinstance(noise.get("std"), (int, float)) \
                    and m.value is not None:
                beyond = abs(m.value - noise["mean"]) > 2 * noise["std"]
            cells.append({"value": _fmt(m.value), "status": m.status, "ci": ci_text, "note": note,
                          "beyond_noise": beyond})
        lo, hi = first.bounds
        rows.append({
            "id": mid, "pillar": first.pillar, "meaning": meaning(mid),
            "direction": "↓ lower" if first.direction == "lower_is_better" else "↑ higher",
            "bounds": f"[{_fmt(lo)}, {'∞' if hi is None else _fmt(hi)}]",
            "noise": (f"{_fmt(noise.get('mean'), 3)} ± {_fmt(noise.get('std'), 2)}"
                      if noise.get("mean") is not None else ""),
            "cells": cells,
        })
    return rows


def _summary(aggregates: dict[str, Any] | None, names: list[str]) -> list[dict[str, Any]]:
    if not aggregates:
        return []
    rows = []
    for name in [*names, *([SELF_ROW] if SELF_ROW in aggregates.get("members", []) else [])]:
        scores = aggregates["scores"].get(name, {})
        labels = aggregates["labels"].get(name, {})
        available = [s for s in scores.values() if s is not None]
        rows.append({"name": name, "is_self": name == SELF_ROW,
                     "overall": sum(available) / len(available) if available else None,
                     "pillars": [{"pillar": p, "score": _fmt(scores.get(p), 3),
                                  "label": (labels.get(p) or {}).get("label"),
                                  "reason": (labels.get(p) or {}).get("reason")} for p in PILLARS]})
    return rows


def _plots(members: dict[str, EvaluationReport], aggregates: dict[str, Any] | None,
           colours: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"radar": [], "attributes": [], "tools": [], "embedding": []}
    if len(members) == 1:  # no comparison group: pillar scores are not graded (aggregate_single)
        name, report = next(iter(members.items()))
        closeness = bounded_closeness(report.metrics)
        if len(closeness) >= 3:
            series = {name: closeness, SELF_ROW: dict.fromkeys(closeness, 1.0)}
            out["radar"].append(plots.radar(series, sorted(closeness), "Bounded metrics (1 = ideal)",
                                            colours))
    elif aggregates:
        names = [*members, *([SELF_ROW] if SELF_ROW in aggregates["members"] else [])]
        series = {n: aggregates["scores"].get(n, {}) for n in names}
        out["radar"].append(plots.radar(series, PILLARS, "Pillar scores", colours))
        axes = [*aggregates["metrics"]["fidelity"], *aggregates["metrics"]["diversity"]]
        if len(members) > 1 and len(axes) >= 3:
            norm = {n: aggregates["normalised"].get(n, {}) for n in names}
            out["radar"].append(plots.radar(norm, axes, "Normalised metrics (1 = ideal)", colours))
    data = {n: r.report_data for n, r in members.items() if getattr(r, "report_data", None)}
    if not data:
        return out
    first = next(iter(data.values()))
    for attr, hist in first.get("attributes", {}).items():
        per_set = {n: d["attributes"][attr] for n, d in data.items() if attr in d.get("attributes", {})
                   and d["attributes"][attr]["kind"] == hist["kind"]}
        out["attributes"].append(plots.histogram(hist, attr, per_set, colours))
    has_calls = first["tool_usage"]["n_real"] or any(d["tool_usage"]["n_synthetic"] for d in data.values())
    for key, title in (("tool_usage", "Tool usage (share of calls)"),
                       ("tool_counts", "Tool calls per trajectory")):
        if has_calls:
            out["tools"].append(plots.histogram(first[key], title, {n: d[key] for n, d in data.items()},
                                                colours))
    maps = {n: d["embedding_map"] for n, d in data.items() if d.get("embedding_map")}
    for n, emb in maps.items():
        out["embedding"].append(plots.scatter(emb["real"]["xy"], {n: emb["synthetic"]["xy"]}, colours,
                                              f"Instruction embeddings: real vs {n}", emb["explained"]))
    return out


def _sweep(results: EvaluationReport | ComparisonResults, members: dict[str, EvaluationReport]) -> str | None:
    if not isinstance(results, ComparisonResults) or not results.param_values:
        return None
    ids: list[str] = []
    for r in members.values():
        ids.extend(m for m in r.metrics if m not in ids)
    series = {mid: [r.metrics[mid].value if mid in r.metrics else None for r in members.values()]
              for mid in ids}
    series = {k: v for k, v in series.items() if any(x is not None for x in v)}
    if not series:
        return None
    noise = {}
    for mid in series:
        first = next(r.metrics[mid] for r in members.values() if mid in r.metrics)
        noise[mid] = (first.details.get("noise_floor") or {}).get("mean")
    return plots.sweep(results.param_name or "parameter", results.param_values, series, noise)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("synae", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    return env


def render_html(results: EvaluationReport | ComparisonResults) -> str:
    """The complete HTML page for ``results`` (a string; see :func:`write_html`)."""
    members = _members(results)
    aggregates = results.aggregates
    colours = {n: plots.colour(i) for i, n in enumerate(members)}
    first = next(iter(members.values()))
    drill = {n: (r.report_data or {}).get("drilldown") for n, r in members.items()
             if getattr(r, "report_data", None)}
    context = {
        "title": "synae comparison" if isinstance(results, ComparisonResults) else "synae evaluation",
        "is_comparison": isinstance(results, ComparisonResults),
        "version": __version__,
        "rendered_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "created_at": results.created_at,
        "datasets": {n: r.datasets for n, r in members.items()},
        "real": first.datasets.get("real"),
        "embedder": first.embedder,
        "members": list(members),
        "colours": colours,
        "summary": _summary(aggregates, list(members)),
        "aggregates": aggregates,
        "metrics": _metric_rows(members),
        "plots": _plots(members, aggregates, colours),
        "sweep": _sweep(results, members),
        "param_name": getattr(results, "param_name", None),
        "param_values": getattr(results, "param_values", None),
        "drill": drill,
        "has_uncertainty": any("ci" in m.details or "noise_floor" in m.details
                               for r in members.values() for m in r.metrics.values()),
        "uncertainty": next((r.uncertainty for r in members.values() if r.uncertainty), None),
        "config": results.config,
    }
    return _environment().get_template("report.html.j2").render(**context)


def write_html(results: EvaluationReport | ComparisonResults, path: str | Path) -> Path:
    """Render and write the report; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(results), encoding="utf-8")
    return path
