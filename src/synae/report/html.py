"""Render a results JSON (one evaluation or a comparison) to one self-contained HTML file.

Everything comes from the results JSON (``metrics``, ``aggregates``, ``report_data``); nothing is
recomputed. The page has no external references: CSS is inline and plots are inline SVG
(:mod:`synae.report.plots`); a small inline script makes the drill-down tables sortable,
searchable and paged. Sections (HTML ids): ``summary`` (each pillar score with what it means, the
reason whenever a score is missing; the self row is the reference, not a competitor),
``ranking`` (comparisons), ``radar``, ``metrics`` (direction, bounds, the real set's own value,
value coloured against its ideal and the noise floor, CI — flagged when it excludes the estimate —,
noise floor, meaning; rows in the metric registry's report order,
:func:`synae.metrics.registry.ordered`), ``downstream`` (per-agent success rates, when agents ran),
``attributes``, ``tools``, ``embedding``, ``privacy`` (when privacy metrics ran: the score with
what it means, the metrics it uses against their independent-half anchor, and the drill-down — the
most-leaking synthetic trajectories next to the real trajectory each copies, the copied text
highlighted, echoed PII shown as ``«kind»`` masks and counts per kind, never the values),
``drilldown`` (whole trajectories next to their nearest neighbour), ``sweep`` (when a parameter was
swept), ``config``. The summary lists the metrics left out of the scores, privacy's included.
Every PII mask (``«kind»``, :mod:`synae.run.scoring.pii_masking`) is highlighted; a report whose data keeps
raw PII (``output.show_pii``) opens with a notice saying so (:func:`raw_pii`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from synae import __version__
from synae.errors import DataError
from synae.files import atomic_write_text, check_writable
from synae.metrics.registry import ordered
from synae.report import plots
from synae.report.meanings import meaning, missing_reason
from synae.results import Aggregates, ComparisonResults, EvaluationReport, MetricResult
from synae.run.scoring.aggregate import ANCHORED_MEANING, SELF_ROW, headline_score, shown_pillars
from synae.run.scoring.judge_calibration import judge_notes
from synae.run.scoring.pii_masking import PII_LABEL
from synae.run.scoring.privacy import MEANING as PRIVACY_MEANING
from synae.run.scoring.report_data import WHOLE_COPIES

GOOD, FAIR = 0.9, 0.5  # colour classes of a normalised metric value u (1 = ideal)


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
    names = [m for m in (results.aggregates or {"members": []})["members"] if m != SELF_ROW]
    synthetic = results.datasets.get("synthetic")
    name = names[0] if names else (synthetic.name if synthetic is not None else "synthetic")
    return {name: results}


def _normalised(aggregates: Aggregates | None, name: str) -> dict[str, float]:
    return dict(aggregates["normalised"].get(name, {})) if aggregates else {}


def _tone(m: MetricResult, u: float | None, beyond: bool | None) -> str:
    """Colour class of a value: against the noise floor when known (within it = as good as real
    data), else against its ideal through the normalised value u."""
    if m.value is None:
        return "none"
    if beyond is False:
        return "good"
    if u is None:
        return "plain"
    return "good" if u >= GOOD else "fair" if u >= FAIR else "poor"


def _metric_rows(members: dict[str, EvaluationReport],
                 aggregates: Aggregates | None = None) -> list[dict[str, Any]]:
    norms = {n: {**_normalised(r.aggregates, n), **_normalised(aggregates, n)} for n, r in members.items()}
    ids: list[str] = []
    for report in members.values():
        ids.extend(m for m in report.metrics if m not in ids)
    rows = []
    for mid in ordered(ids):
        first: MetricResult = next(r.metrics[mid] for r in members.values() if mid in r.metrics)
        noise = first.details.get("noise_floor") or {}
        cells: list[dict[str, Any]] = []
        for name, report in members.items():
            m = report.metrics.get(mid)
            if m is None:
                cells.append({"value": "—", "status": "absent", "ci": "", "note": "", "tone": "none"})
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
            u = norms[name].get(mid)
            cells.append({"value": _fmt(m.value), "status": m.status, "ci": ci_text, "note": note,
                          "beyond_noise": beyond, "tone": _tone(m, u, beyond),
                          "u": None if u is None else f"{u:.2f}",
                          "biased": "ci_shift" in m.details or bool(m.details.get("ci_excludes_estimate")),
                          "ci_method": m.details.get("ci_method", "")})
        lo, hi = first.bounds
        real_value = first.details.get("real_value")
        rows.append({
            "id": mid, "pillar": first.pillar, "meaning": meaning(mid),
            "real": _fmt(real_value) if isinstance(real_value, (int, float)) else "",
            "direction": "↓ lower" if first.direction == "lower_is_better" else "↑ higher",
            "bounds": f"[{_fmt(lo)}, {'∞' if hi is None else _fmt(hi)}]",
            "noise": (f"{_fmt(noise.get('mean'), 3)} ± {_fmt(noise.get('std'), 2)}"
                      if noise.get("mean") is not None else ""),
            "cells": cells,
        })
    return rows


def _summary(aggregates: Aggregates | None, names: list[str]) -> list[dict[str, Any]]:
    """One row per synthetic member (the self row is the reference and is not listed)."""
    if not aggregates:
        return []
    rows = []
    for name in names:
        scores = aggregates["scores"].get(name, {})
        labels = aggregates["labels"].get(name, {})
        available = [s for s in scores.values() if s is not None]
        pillars = []
        for p in shown_pillars(aggregates):
            label = labels.get(p)
            score = scores.get(p)
            pillars.append({"pillar": p, "score": _fmt(score, 3) if score is None else f"{score:.3f}",
                            "label": label["label"] if label else None,
                            "reason": None if score is not None and label and label["label"]
                            else missing_reason(aggregates, name, p),
                            "capped_by": label.get("capped_by") if label else None,
                            "targets": _targets(aggregates, name, p)})
        headline = [h for p in scores if (h := headline_score(aggregates, name, p)) is not None]
        rows.append({"name": name, "is_self": False,
                     "overall": sum(headline) / len(headline) if headline else
                     (sum(available) / len(available) if available else None), "pillars": pillars})
    order = aggregates.get("ranking") or names
    rows.sort(key=lambda row: order.index(row["name"]) if row["name"] in order else len(order))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def _targets(aggregates: Aggregates, name: str, pillar: str) -> list[dict[str, Any]]:
    """A card's lines under one pillar: each target's score, label, basis and forced reason; for
    privacy the whole-trajectory copies."""
    out = []
    for target, entry in ((aggregates.get("targets") or {}).get(name, {}).get(pillar, {})).items():
        own = entry.get("label")
        score = entry.get("score")
        out.append({"target": target, "score": "—" if score is None else f"{score:.3f}",
                    "label": own["label"] if own else None,
                    "note": entry.get("reason") if entry.get("forced") else
                    "structural checks only" if entry.get("basis") == "structural" else None})
    privacy = (aggregates.get("privacy") or {}).get(name) or {}
    copies = privacy.get("copies") if pillar == "privacy" else None
    if copies:
        near, exact = copies["near"], copies["exact"]
        out.append({"target": "copies", "score": f"{near['count']}/{near['eligible']}", "label": None,
                    "note": f"{exact['count']} exact; the real set's own duplication rate: "
                            f"{copies['anchor_rate']:.1%}"})
    return out


MIN_CHART_AXES = 3  # fewer axes make a degenerate radar or bar chart


def _plots(members: dict[str, EvaluationReport], aggregates: Aggregates | None,
           colours: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"radar": [], "bars": [], "attributes": [], "tools": [], "embedding": [],
                           "notes": []}
    if aggregates:
        # a radar needs three scored pillars and a bar chart three metrics; fewer are read from the
        # cards and the metric table instead of a degenerate chart
        scored = [n for n in members
                  if sum(v is not None for v in aggregates["scores"].get(n, {}).values()) >= MIN_CHART_AXES]
        if scored:
            scores = {n: aggregates["scores"].get(n, {}) for n in scored}
            out["radar"].append(plots.radar(scores, shown_pillars(aggregates),
                                            "Pillar scores (1 = as close as the real data)", colours))
        axes = [*aggregates["metrics"]["fidelity"], *aggregates["metrics"]["diversity"]]
        norm = {n: aggregates["normalised"].get(n, {}) for n in members}
        if len(axes) >= MIN_CHART_AXES and any(norm.values()):
            out["bars"].append(plots.metric_bars(norm, ordered(axes), "Normalised metrics (1 = ideal)",
                                                 colours))
    data = {n: r.report_data for n, r in members.items() if r.report_data}
    if not data:
        return out
    first = next(iter(data.values()))
    for attr, hist in first.get("attributes", {}).items():
        per_set = {n: d["attributes"][attr] for n, d in data.items() if attr in d.get("attributes", {})
                   and d["attributes"][attr]["kind"] == hist["kind"]}
        why = plots.degenerate(hist, per_set)
        if why:
            out["notes"].append(f"{attr}: {why}")
        else:
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


def _downstream(members: dict[str, EvaluationReport]) -> list[dict[str, Any]]:
    """Per target, one row per agent: its success rate on D and on each synthetic set."""
    tables: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name, report in members.items():
        for mid, m in report.metrics.items():
            if not mid.startswith("fidelity.downstream.tdd.") or not m.details.get("agents"):
                continue
            target = mid.rsplit(".", 1)[-1]
            if target not in seen:
                seen.add(target)
                tables.append({"target": target, "scorer": m.details.get("scorer"), "rows": {}})
            table = next(t for t in tables if t["target"] == target)
            for agent in m.details["agents"]:
                row = table["rows"].setdefault(agent["name"], {"agent": agent["name"],
                                                               "model": agent.get("model"),
                                                               "real": (agent.get("real") or {}).get("mean"),
                                                               "sets": {}})
                row["sets"][name] = (agent.get("synthetic") or {}).get("mean")
    return [{**t, "rows": list(t["rows"].values())} for t in tables]


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


PII_TITLE = "detected personal data or secret, masked"
PRIVACY_TITLES = {"exact_copies": "Exact copies", "verbatim_spans": "Verbatim spans",
                  "near_copies": "Near copies", "pii_echo": "PII echo"}


def _excluded(aggregates: Aggregates | None) -> list[dict[str, Any]]:
    """The metrics left out of the scores: the aggregates' and each member's privacy exclusions, one
    entry per (metric, reason) with the members it applies to."""
    if not aggregates:
        return []
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for e in aggregates.get("excluded", []):
        entry = out.setdefault((e["id"], e["reason"]), {"id": e["id"], "reason": e["reason"], "members": []})
        entry["members"] += [m for m in e.get("members", []) if m not in entry["members"]]
    for name, score in (aggregates.get("privacy") or {}).items():
        for e in score.get("excluded", []):
            out.setdefault((e["id"], e["reason"]), {"id": e["id"], "reason": e["reason"],
                                                    "members": []})["members"].append(name)
    return list(out.values())


def _mark_index(marks: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[int, int]]]:
    """Marks of one trajectory (``report_data`` privacy rows) by the text they fall in: keys
    ``content:i``, ``output`` and ``calls:i`` (whole tool calls of message i: no ranges)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for mark in marks:
        key = mark["part"] if mark["part"] == "output" else f"{mark['part']}:{mark['message']}"
        ranges = out.setdefault(key, [])
        if "start" in mark:
            ranges.append((int(mark["start"]), int(mark["end"])))
    return out


def _evidence(row: Mapping[str, Any]) -> str:
    """What a privacy row found, in words (PII: kinds and counts only)."""
    kind = row["metric"].rsplit(".", 1)[-1]
    if kind == "verbatim_spans":
        return f"{row.get('tokens')} consecutive tokens copied (a span counts from {row.get('span_tokens')})"
    if kind == "near_copies":
        return f"distance {_fmt(row.get('distance'))} ≤ threshold {_fmt(row.get('threshold'))}"
    if kind == "pii_echo":
        return "echoes " + ", ".join(f"{k} × {n}" for k, n in sorted((row.get("pii") or {}).items()))
    return "identical up to case and spacing"


def _privacy_score(aggregates: Aggregates | None, name: str) -> dict[str, Any]:
    """Member ``name``'s ``aggregates["privacy"]`` entry (``{}`` when absent)."""
    scores: dict[str, dict[str, Any]] = aggregates.get("privacy", {}) if aggregates else {}
    return scores.get(name) or {}


def _privacy(members: dict[str, EvaluationReport], aggregates: Aggregates | None) -> list[dict[str, Any]]:
    """Per member with privacy metrics: its score (``aggregates["privacy"]``), the metrics the score
    uses (value, independent-half anchor, normalised u) and one drill-down table per metric with
    leaks (``report_data["privacy"]``; ``has_rows`` is false when no report data was built)."""
    out = []
    for name, report in members.items():
        metrics = {mid: m for mid, m in report.metrics.items() if m.pillar == "privacy"}
        if not metrics:
            continue
        score = _privacy_score(aggregates, name) or _privacy_score(report.aggregates, name)
        best = (score.get("anchors") or {}).get("independent", {})
        used = [{"id": mid, "value": metrics[mid].value if mid in metrics else None, "best": best.get(mid),
                 "u": u} for mid, u in score.get("normalised", {}).items()]
        rows: dict[str, list[dict[str, Any]]] | None = (report.report_data or {}).get("privacy")
        tables = []
        copies = score.get("copies") or {}
        if rows and rows.get(WHOLE_COPIES):
            near = copies.get("near") or {}
            tables.append({"id": WHOLE_COPIES, "title": "Whole-trajectory copies", "target": "every view",
                           "leaking": near.get("count"), "eligible": near.get("eligible"),
                           "rows": [{**r, "evidence": "the whole trajectory",
                                     "marks_synthetic": _mark_index(r["marks"]["synthetic"]),
                                     "marks_real": _mark_index(r["marks"]["real"])}
                                    for r in rows[WHOLE_COPIES]]})
        for mid in ordered(metrics):
            if rows is None or not rows.get(mid):
                continue
            details = metrics[mid].details
            tables.append({"id": mid, "title": PRIVACY_TITLES.get(mid.rsplit(".", 1)[-1], mid),
                           "target": metrics[mid].target, "leaking": details.get("leaking"),
                           "eligible": details.get("eligible"),
                           "rows": [{**r, "evidence": _evidence(r),
                                     "marks_synthetic": _mark_index(r["marks"]["synthetic"]),
                                     "marks_real": _mark_index(r["marks"]["real"])} for r in rows[mid]]})
        label = (score.get("label") or {}).get("label")
        out.append({"name": name, "score": score.get("score"), "label": label,
                    "meaning": score.get("meaning") or PRIVACY_MEANING, "used": used, "tables": tables,
                    "has_rows": rows is not None,
                    "clean": [mid for mid in ordered(metrics) if metrics[mid].value == 0.0]})
    return out


def marked(text: str | None, ranges: Iterable[tuple[int, int]] | None = None) -> Markup:
    """``text`` escaped, characters [start, end) of each range (clipped, merged) wrapped in
    ``<mark class="copy">`` and every PII mask (``«kind»``) in ``<mark class="pii">``."""
    text = text or ""

    def pii(segment: str) -> str:
        return PII_LABEL.sub(lambda m: f'<mark class="pii" title="{PII_TITLE}">{m.group()}</mark>',
                             str(escape(segment)))

    pieces, pos = [], 0
    for start, end in sorted(ranges or ()):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        pieces += [pii(text[pos:start]), f'<mark class="copy">{pii(text[start:end])}</mark>']
        pos = end
    return Markup("".join([*pieces, pii(text[pos:])]))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("synae", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    env.filters["marked"] = marked
    return env


def raw_pii(results: EvaluationReport | ComparisonResults) -> bool:
    """Whether some member's ``report_data`` keeps raw PII (built with ``output.show_pii``)."""
    return any((r.report_data or {}).get("pii_masked") is False for r in _members(results).values())


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
        "anchored": aggregates is not None and aggregates.get("scale") == "anchored",
        "anchored_meaning": ANCHORED_MEANING,
        "self_row": SELF_ROW,
        "metrics": _metric_rows(members, aggregates),
        "downstream": _downstream(members),
        "privacy": _privacy(members, aggregates),
        "privacy_meaning": PRIVACY_MEANING,
        "excluded": _excluded(aggregates),
        "trajectories": {n: (r.report_data or {}).get("trajectories") or {"real": {}, "synthetic": {}}
                         for n, r in members.items()},
        "plots": _plots(members, aggregates, colours),
        "sweep": _sweep(results, members),
        "param_name": getattr(results, "param_name", None),
        "param_values": getattr(results, "param_values", None),
        "drill": drill,
        "has_uncertainty": any("ci" in m.details or "noise_floor" in m.details
                               for r in members.values() for m in r.metrics.values()),
        "uncertainty": next((r.uncertainty for r in members.values() if r.uncertainty), None),
        "config": results.config,
        "judge_notes": {n: [{"text": t, "warning": w} for t, w in judge_notes(r.metrics.values())]
                        for n, r in members.items()},
        "raw_pii": raw_pii(results),
    }
    return _environment().get_template("report.html.j2").render(**context)


def write_html(results: EvaluationReport | ComparisonResults, path: str | Path) -> Path:
    """Render and write the report (what ``synae report`` writes); returns the path. Results
    without report data (the map, the charts and the drill-down: no member has ``report_data``)
    are a :class:`DataError` saying how to get it, not a page without charts."""
    if not any(r.report_data for r in _members(results).values()):
        raise DataError("no report data (the charts and the drill-down) in these results: evaluate "
                        "with report=True (Python) or --report FILE (synae evaluate); synae compare "
                        "writes it unless --no-html")
    path = check_writable(path)  # before rendering: a path under a file is a clear error, not a traceback
    atomic_write_text(path, render_html(results))
    return path
