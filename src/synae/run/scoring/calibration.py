"""Calibration curves: where known, nameable damage of the real set lands on each pillar's scale.

``synae calibrate`` builds controlled synthetic sets from the real set D alone, at strengths s in
[0, 1] (default 0, 0.25, 0.5, 0.75, 1), scores each like ``synae evaluate`` does, and records one
curve per pillar and damage:

- **fidelity, diversity ~ oversample**: the damage of the ``oversample`` generator as a share:
  ⌈s·n⌉ rows of D replaced by copies of one real trajectory (:func:`oversampled`, drawn per seed).
  Every row is a verbatim real trajectory, so its features are D's rows
  (``DatasetFeatures.subset``: nothing is embedded again); anchored scores as in
  :func:`synae.run.scoring.pipeline.aggregates_for`. s = 0 is D itself (score 1), s = 1 the collapse
  (score ≈ 0).
- **validity ~ invalidate, per target**: :func:`synae.generate.invalidate.invalidate` with v = s on
  each validity target the preset checks on this data whose invalidation the preset defines (its
  ``invalidation`` hook: tool calls and outputs separately), checked by the validity checkers
  (rules unless ``validity.checker`` says otherwise; LLM-free by default). The score is the
  target's validity rate (``aggregates.targets[member].validity[target]``). Rule verdicts depend on
  the trajectory alone, so only the rows a damaged set changes are checked: the others keep their
  verdicts of the undamaged set (v = 0, checked once), and the counts are added. A transform that
  leaves some trajectories unchanged (a T1 output naming no attraction type) cannot damage them:
  the curve is then measured on the trajectories it changes (noted; none below
  :data:`MIN_DAMAGEABLE`), so that strength s means a share s of damaged trajectories.
- **privacy ~ verbatim copies**: a seeded half split of D (:func:`synae.run.scoring.privacy.half_split`,
  seed per repeat): the first half R plays the real set, the held-out half H the synthetic one, of
  which round(s·|H|) rows (drawn) are replaced by distinct rows of R (drawn). s = 0 is an
  independent sample of the same source (privacy ≈ 1), s = 1 a set of copies (privacy 0). The score
  is :func:`synae.run.scoring.privacy.privacy_score` against R.
- **preset sweeps**: every :class:`~synae.generate.hooks.CalibrationSweep` of the preset's
  ``calibration_sweeps`` hook, its generator run at each strength and the sweep's pillar (and
  target) read from the same aggregates (features built by the evaluator; nothing here names a
  benchmark).

**Repeats and intervals.** Every strength is built ``repeats`` times with seeds ``seed``,
``seed + 1``, …; a point's ``score`` is the mean over the seeds where it is defined, its ``ci`` the
[min, max] over them (``config.ci``: ``"min-max over seeds"``).

**Checks.** A curve *falls* when score(s_min) − score(s_max) ≥ :data:`MIN_DROP`; it *rises* when a
step up between neighbouring strengths exceeds their noise (the two points' half-widths plus
:data:`RISE_TOLERANCE`). Every curve's check is in ``checks``; a curve that does not fall or that
rises is listed with its problem (never left out), and placement on it says it is not calibrated.

**Placement** (:func:`place`): the curve's means, and its ci band's lower and upper ends, each made
non-increasing in s (pool-adjacent-violators), are interpolated linearly; a score y is placed at the
strength where the means cross y, its interval between the strengths where the lower and the upper
band cross y. A score above the undamaged band (y > hi(s_min)) or below the fully damaged one
(y < lo(s_max)) is *outside the calibrated range*.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synae import __version__
from synae.config import CalibrationSettings
from synae.errors import ConfigError, DataError
from synae.metrics import registry
from synae.metrics.features import DatasetFeatures
from synae.results import Aggregates, MetricResult
from synae.run.scoring.aggregate import AggregateOptions, aggregate_anchored, aggregate_single
from synae.run.scoring.evaluation import Evaluator
from synae.run.scoring.pipeline import collapse_anchor
from synae.run.scoring.privacy import PILLAR as PRIVACY
from synae.run.scoring.privacy import half_split, privacy_score
from synae.run.scoring.validity import ValidityRun
from synae.schema import Dataset

DEFAULT_STRENGTHS = tuple(CalibrationSettings().strengths)  # 0, 0.25, 0.5, 0.75, 1
MIN_DROP = 0.2  # a curve must fall at least this much from the weakest to the strongest damage
MIN_DAMAGEABLE = 3  # fewest real trajectories a validity curve is measured on
RISE_TOLERANCE = 0.02  # a step up within the two points' half-widths plus this is noise
CI_METHOD = "min-max over seeds"
CALIBRATED_PILLARS = ("validity", "fidelity", "diversity", "privacy")
JSON_NAME, HTML_NAME = "calibration.json", "calibration.html"
COPIES = "copies"  # the privacy curve's generator: verbatim real trajectories mixed into a half split

# What a strength means, per built-in generator ({target} filled in): "like the real data with ≈ x % of …"
MEANINGS = {
    "oversample": "trajectories replaced by copies of one trajectory",
    "invalidate": "trajectories with corrupted {target}",
    COPIES: "trajectories replaced by verbatim copies of real ones",
}


@dataclass(frozen=True)
class Curve:
    """One curve's identity: pillar, generator and target (``None``: the whole pillar)."""

    pillar: str
    generator: str
    target: str | None


def repeat_seeds(seed: int, repeats: int) -> list[int]:
    """The seeds of the repeats of every strength: ``seed``, ``seed + 1``, …"""
    return [seed + k for k in range(repeats)]


def check_strengths(strengths: Sequence[float]) -> list[float]:
    """Distinct strengths in [0, 1], sorted; at least two (:class:`ConfigError` otherwise)."""
    values = sorted({float(s) for s in strengths})
    if len(values) < 2 or not all(0.0 <= s <= 1.0 for s in values):
        raise ConfigError(f"calibration strengths must be at least two distinct values in [0, 1], got "
                          f"{list(strengths)}")
    return values


def _point(curve: Curve, strength: float, seeds: Sequence[int],
           scores: Sequence[float | None]) -> dict[str, Any]:
    """A curve point: mean and [min, max] over the seeds where the score is defined."""
    defined = [float(v) for v in scores if v is not None and math.isfinite(v)]
    return {"generator": curve.generator, "strength": strength, "target": curve.target,
            "score": float(np.mean(defined)) if defined else None,
            "ci": [min(defined), max(defined)] if defined else None,
            "seeds": list(seeds), "scores": [None if v is None else float(v) for v in scores]}


# ------------------------------------------------------------------------------------------------
# Building the curves


class Calibrator:
    """Builds every curve for one real set through one :class:`Evaluator` (its real features, the
    collapse anchors and the privacy anchors are computed once and shared by every point)."""

    def __init__(self, evaluator: Evaluator, strengths: Sequence[float] = DEFAULT_STRENGTHS, repeats: int = 3,
                 checker: str | None = None) -> None:
        if not isinstance(evaluator.real, Dataset):
            raise ConfigError("calibrate needs the real set loaded whole (its generators copy trajectories)")
        self.evaluator = evaluator
        self.real: Dataset = evaluator.real
        self.strengths = check_strengths(strengths)
        self.seeds = repeat_seeds(evaluator.config.seed, repeats)
        self.checker = checker or evaluator.config.validity.checker or "rules"
        self.options = AggregateOptions(scale="anchored",
                                        diversity_bound=evaluator.config.metrics.diversity_bound)
        self.points: dict[str, list[dict[str, Any]]] = {}
        self.notes: list[str] = []
        self.meanings = dict(MEANINGS)

    # -- helpers ------------------------------------------------------------------------------

    def _add(self, curve: Curve, per_strength: Callable[[float, int], float | None]) -> None:
        for s in self.strengths:
            scores = [per_strength(s, seed) for seed in self.seeds]
            self.points.setdefault(curve.pillar, []).append(_point(curve, s, self.seeds, scores))

    def anchored(self, syn_f: DatasetFeatures, name: str) -> Aggregates:
        """Anchored aggregates of a synthetic set given by its features (no report, no embedding)."""
        ev = self.evaluator
        metrics = ev.compute_metrics(ev.real_features, syn_f)
        return aggregate_anchored(metrics, collapse_anchor(ev, syn_f.n, metrics), name, self.options)

    # -- the built-in curves ------------------------------------------------------------------

    def oversample_curves(self) -> None:
        """Fidelity and diversity against the oversampled share (module doc)."""
        real_f = self.evaluator.real_features
        cache: dict[bytes, Aggregates] = {}  # by the positions: strength 0 is D itself for every seed

        def aggregates(s: float, seed: int) -> Aggregates:
            positions = oversampled(real_f.n, s, seed)
            key = positions.tobytes()
            if key not in cache:
                cache[key] = self.anchored(real_f.subset(positions), "calibration")
            return cache[key]

        def score(pillar: str) -> Callable[[float, int], float | None]:
            return lambda s, seed: aggregates(s, seed)["scores"]["calibration"].get(pillar)

        for pillar in ("fidelity", "diversity"):
            self._add(Curve(pillar, "oversample", None), score(pillar))

    def invalidate_curves(self) -> None:
        """Validity against the invalidated share, one curve per target (module doc)."""
        from synae.generate.invalidate import invalidate
        from synae.run.scoring.validity import ValiditySession

        preset = self.evaluator.preset
        trajectories = self.real.trajectories
        session = ValiditySession(trajectories, preset, self.evaluator.config, self.checker, progress=False)
        for target in preset.validity_targets_for(trajectories):
            try:
                preset.invalidation(target, trajectories)
            except KeyError:
                self.notes.append(f"validity · {target}: the {preset.name} preset defines no invalidation "
                                  "of this target; no curve")
                continue

            base = self._damageable(target)
            if base is None:
                continue
            clean = invalidate(base, 0.0, preset=preset, target=target, seed=self.seeds[0])
            clean_run = session.run(clean)

            def score(s: float, seed: int, target: str = target, base: Dataset = base,
                      clean: Dataset = clean, clean_run: ValidityRun = clean_run) -> float | None:
                damaged = invalidate(base, s, preset=preset, target=target, seed=seed)
                changed = [i for i, t in enumerate(damaged)
                           if (t.metadata.get("generation") or {}).get("modified")]
                kept = set(range(len(clean))) - set(changed)
                run = _restricted(clean_run, {clean[i].id for i in kept})
                if changed:
                    run = run.merge(session.run([damaged[i] for i in changed]))
                metrics = {m.id: m for m in session.metrics(run)}
                return _target_score(aggregate_single(metrics, "calibration"), "validity", target)

            self._add(Curve("validity", "invalidate", target), score)

    def _damageable(self, target: str) -> Dataset | None:
        """The real trajectories the invalidation of ``target`` changes (``modified`` when every
        row is selected, first seed): D itself when it changes them all; else those, with a note;
        ``None`` (and a note) when fewer than :data:`MIN_DAMAGEABLE`."""
        from synae.generate.invalidate import invalidate

        real = self.real
        full = invalidate(real, 1.0, preset=self.evaluator.preset, target=target, seed=self.seeds[0])
        rows = [i for i, t in enumerate(full) if (t.metadata.get("generation") or {}).get("modified")]
        what = f"validity · {target}: the invalidation changes {len(rows)} of {len(real)} real trajectories"
        if len(rows) < MIN_DAMAGEABLE:
            self.notes.append(f"{what}; fewer than {MIN_DAMAGEABLE}, no curve")
            return None
        if len(rows) == len(real):
            return real
        self.notes.append(f"{what} (the others offer it nothing to corrupt); the curve is measured on those")
        return Dataset(trajectories=[real[i] for i in rows], name=real.name, source=real.source)

    def privacy_curve(self) -> None:
        """Privacy against the share of verbatim copies in a half split (module doc)."""
        ev = self.evaluator
        ids = [mid for mid in ev.metric_ids if registry.spec(mid).pillar == PRIVACY]
        real_f = ev.real_features
        if not ids or real_f.n < 4:
            self.notes.append("privacy: no privacy metric runs on this data (or fewer than 4 trajectories); "
                              "no curve")
            return
        halves: dict[int, DatasetFeatures] = {}

        def score(s: float, seed: int) -> float | None:
            first, second = half_split(real_f.n, seed)
            if seed not in halves:
                halves[seed] = real_f.subset(first)
            rng = np.random.default_rng([seed, round(s * 1_000_000)])
            k = round(s * second.size)
            positions = second.copy()
            replaced = rng.choice(second.size, size=k, replace=False)
            positions[replaced] = rng.choice(first, size=k, replace=False)
            syn_f = real_f.subset(positions)
            half = halves[seed]
            shared: dict[str, Any] = {}
            metrics: dict[str, MetricResult] = {}
            for mid in ids:
                try:
                    metrics[mid] = registry.compute_metric(mid, half, syn_f, ev.context, shared)
                except Exception as exc:  # one metric's error excludes it, as in an evaluation
                    metrics[mid] = registry.failed(mid, f"error: {type(exc).__name__}: {exc}")
            return privacy_score(half, metrics, ev.context, seed=seed, options=self.options).score

        self._add(Curve(PRIVACY, COPIES, None), score)

    def preset_curves(self) -> None:
        """Every sweep of the preset's ``calibration_sweeps`` hook (module doc)."""
        from synae.generate.registry import get_method

        ev = self.evaluator
        for sweep in ev.preset.calibration_sweeps(self.real.trajectories):
            method = get_method(sweep.method)
            options = dict(sweep.options)
            if "preset" in method.options():
                options["preset"] = ev.preset

            def score(s: float, seed: int, sweep: Any = sweep, method: Any = method,
                      options: dict[str, Any] = options) -> float | None:
                data = method.outputs(self.real, sweep.value(s), {**options, "seed": seed})[0]
                agg = self.anchored(ev.features(data), "calibration")
                if sweep.target is None:
                    return agg["scores"]["calibration"].get(sweep.pillar)
                return _target_score(agg, sweep.pillar, sweep.target)

            self._add(Curve(sweep.pillar, sweep.method, sweep.target), score)
            self.meanings.setdefault(sweep.method, sweep.meaning)

    # -- the record -----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Every curve, its checks, the real set and the configuration (``calibration.json``)."""
        import time

        timings: dict[str, float] = {}
        for name, step in (("oversample", self.oversample_curves), ("invalidate", self.invalidate_curves),
                           ("privacy", self.privacy_curve), ("preset", self.preset_curves)):
            start = time.perf_counter()
            step()
            timings[name] = time.perf_counter() - start
        ev = self.evaluator
        curves = {p: self.points[p] for p in (*CALIBRATED_PILLARS, *self.points) if p in self.points}
        checks = [check_curve(c, pts) for c, pts in curve_points(curves).items()]
        return {
            "synae_version": __version__,
            "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "curves": curves,
            "checks": checks,
            "problems": [c["problem"] for c in checks if c["problem"]],
            "notes": self.notes,
            "meanings": {c["generator"]: self.meanings[c["generator"]] for c in checks},
            "real": {**self.real.summary(), "preset": ev.preset.name},
            "config": {"strengths": self.strengths, "seeds": self.seeds, "ci": CI_METHOD,
                       "validity_checker": self.checker, "min_drop": MIN_DROP,
                       "rise_tolerance": RISE_TOLERANCE, "embedder": ev.config.embedding.model,
                       "scale": "anchored", "resolved": ev.config.resolved()},
            "timings": timings,
        }


def oversampled(n: int, strength: float, seed: int) -> np.ndarray:
    """D's positions with ⌈strength · n⌉ of them (drawn without replacement) replaced by one drawn
    position: ``rng = default_rng(seed)``, the duplicated position ``rng.integers(n)``, then the
    replaced ones ``rng.choice(n, ⌈strength · n⌉, replace=False)``. Strength 0 is D itself, 1 the
    collapse (n copies of one trajectory)."""
    rng = np.random.default_rng(seed)
    dup = int(rng.integers(n))
    positions = np.arange(n)
    positions[rng.choice(n, size=math.ceil(strength * n - 1e-9), replace=False)] = dup
    return positions


def _restricted(run: ValidityRun, ids: set[str]) -> ValidityRun:
    """``run`` with only the verdicts of the trajectories ``ids``."""
    verdicts = {target: {kind: [v for v in found if v.trajectory_id in ids]
                         for kind, found in by_kind.items()}
                for target, by_kind in run.verdicts.items()}
    return dataclasses.replace(run, verdicts=verdicts, tallies={})


def _target_score(aggregates: Aggregates, pillar: str, target: str) -> float | None:
    entry = (aggregates.get("targets") or {}).get("calibration", {}).get(pillar, {}).get(target)
    return None if entry is None else entry.get("score")


def meaning(generator: str, target: str | None, meanings: Mapping[str, str] | None = None) -> str:
    """What a strength of ``generator`` damages, in words (from ``meanings``, default
    :data:`MEANINGS`; ``{target}`` filled in)."""
    text = (meanings or MEANINGS).get(generator, f"trajectories damaged by {generator}")
    return text.replace("{target}", (target or "content").replace("_", " "))


# ------------------------------------------------------------------------------------------------
# Checks and placement


def curve_points(curves: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[Curve, list[Mapping[str, Any]]]:
    """The points of every curve of a ``curves`` record, by strength."""
    out: dict[Curve, list[Mapping[str, Any]]] = {}
    for pillar, points in curves.items():
        for p in points:
            out.setdefault(Curve(pillar, str(p["generator"]), p.get("target")), []).append(p)
    return {c: sorted(pts, key=lambda p: float(p["strength"])) for c, pts in out.items()}


def _half_width(point: Mapping[str, Any]) -> float:
    ci = point.get("ci")
    return 0.0 if not ci else (float(ci[1]) - float(ci[0])) / 2


def check_curve(curve: Curve, points: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Whether the curve falls by :data:`MIN_DROP` and never rises beyond its noise (module doc)."""
    scored = [p for p in points if p.get("score") is not None]
    out: dict[str, Any] = {"pillar": curve.pillar, "generator": curve.generator, "target": curve.target,
                           "n_points": len(scored), "drop": None, "max_rise": None, "noise": None,
                           "falls": False, "monotone": False, "problem": None}
    name = " · ".join(x for x in (curve.pillar, curve.target, curve.generator) if x)
    if len(scored) < 2:
        out["problem"] = f"{name}: fewer than two scored strengths"
        return out
    values = [float(p["score"]) for p in scored]
    steps = [values[i + 1] - values[i] for i in range(len(values) - 1)]
    noise = [_half_width(scored[i]) + _half_width(scored[i + 1]) + RISE_TOLERANCE for i in range(len(steps))]
    rises = [step - allowed for step, allowed in zip(steps, noise, strict=True)]
    out["drop"] = values[0] - values[-1]
    out["max_rise"] = max(steps)
    out["noise"] = max(_half_width(p) for p in scored)
    out["falls"] = out["drop"] >= MIN_DROP - 1e-12
    out["monotone"] = all(r <= 1e-12 for r in rises)
    if not out["falls"]:
        out["problem"] = (f"{name}: does not fall (drop {out['drop']:.3f} from strength "
                          f"{scored[0]['strength']} to {scored[-1]['strength']}, need ≥ {MIN_DROP}): the "
                          "metric does not see this damage on this data")
    elif not out["monotone"]:
        out["problem"] = f"{name}: rises by {out['max_rise']:.3f}, more than its noise"
    return out


def non_increasing(values: Sequence[float]) -> list[float]:
    """The closest non-increasing sequence in least squares (pool-adjacent-violators)."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([float(v), 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    return [b[0] / b[1] for b in blocks for _ in range(int(b[1]))]


def crossing(y: float, strengths: Sequence[float], values: Sequence[float]) -> float:
    """The strength where the non-increasing piecewise-linear curve (``strengths``, ``values``) equals
    ``y``, clipped to its ends (a flat stretch at ``y``: its middle)."""
    if y >= values[0]:
        return strengths[0]
    if y <= values[-1]:
        return strengths[-1]
    at = [s for s, v in zip(strengths, values, strict=True) if v == y]
    if at:
        return (min(at) + max(at)) / 2
    for i in range(len(values) - 1):
        (s0, v0), (s1, v1) = (strengths[i], values[i]), (strengths[i + 1], values[i + 1])
        if v0 > y > v1:
            return s0 + (v0 - y) / (v0 - v1) * (s1 - s0)
    return strengths[-1]  # pragma: no cover - the guards above cover every y


def place(score: float | None, curve: Curve, points: Sequence[Mapping[str, Any]],
          check: Mapping[str, Any] | None = None,
          meanings: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Where ``score`` lies on one curve (module doc): ``status`` ``placed`` with ``strength`` and
    ``interval``, ``above_range`` / ``below_range``, ``not_calibrated`` (the curve does not fall) or
    ``no_score``; ``text`` says it in words."""
    out: dict[str, Any] = {"generator": curve.generator, "target": curve.target, "score": score,
                           "strength": None, "interval": None}
    scored = [p for p in points if p.get("score") is not None and p.get("ci")]
    what = meaning(curve.generator, curve.target, meanings)
    if score is None:
        return {**out, "status": "no_score", "text": "no score to place"}
    if (check is not None and check.get("problem") and not check.get("falls")) or len(scored) < 2:
        return {**out, "status": "not_calibrated",
                "text": "not calibrated: " + str((check or {}).get("problem") or "too few points")}
    xs = [float(p["strength"]) for p in scored]
    mean = non_increasing([float(p["score"]) for p in scored])
    lo = non_increasing([float(p["ci"][0]) for p in scored])
    hi = non_increasing([float(p["ci"][1]) for p in scored])
    if score > hi[0] + 1e-12:
        return {**out, "status": "above_range",
                "text": f"outside the calibrated range: above the undamaged level ({hi[0]:.2f} at "
                        f"{xs[0]:.0%} {what})"}
    if score < lo[-1] - 1e-12:
        return {**out, "status": "below_range",
                "text": f"outside the calibrated range: below {lo[-1]:.2f}, the score with {xs[-1]:.0%} "
                        f"{what}"}
    strength = crossing(score, xs, mean)
    interval = sorted((crossing(score, xs, lo), crossing(score, xs, hi)))
    subject = "an independent sample" if curve.generator == COPIES else "the real data"
    text = (f"like {subject} with ≈ {strength:.0%} of {what} "
            f"(interval {interval[0]:.0%}–{interval[1]:.0%})")
    return {**out, "status": "placed", "strength": strength, "interval": interval, "text": text}


def place_member(aggregates: Aggregates, member: str,
                 calibration: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every curve's placement of member ``member`` by pillar: a curve with a target places the
    member's score of that target (``aggregates.targets``), one without the pillar score. Fidelity
    and diversity curves are on the anchored scale: on another scale they say so (``scale_mismatch``)."""
    checks = {Curve(c["pillar"], c["generator"], c.get("target")): c for c in calibration.get("checks", [])}
    scale = aggregates.get("scale")
    out: dict[str, list[dict[str, Any]]] = {}
    for curve, points in curve_points(calibration.get("curves", {})).items():
        if curve.target is None:
            score = aggregates["scores"].get(member, {}).get(curve.pillar)
        else:
            entry = (aggregates.get("targets") or {}).get(member, {}).get(curve.pillar, {}).get(curve.target)
            score = None if entry is None else entry.get("score")
        if curve.pillar in ("fidelity", "diversity") and scale != "anchored":
            placed = {"generator": curve.generator, "target": curve.target, "score": score, "strength": None,
                      "interval": None, "status": "scale_mismatch",
                      "text": f"not comparable: the curves are on the anchored scale, this run on {scale}"}
        else:
            placed = place(score, curve, points, checks.get(curve), calibration.get("meanings"))
        out.setdefault(curve.pillar, []).append(placed)
    return out


def attach_calibration(aggregates: Aggregates | None, calibration: Mapping[str, Any],
                       page: str | None = None, real_fingerprint: str | None = None) -> None:
    """Place every synthetic member of ``aggregates`` on the curves (in place): under
    ``aggregates.calibration[member][pillar]``, and ``aggregates.calibration_source`` naming the
    calibration (its real set; ``page``: the calibration page's address when known; ``same_real``:
    whether it was built on the run's real set, by fingerprint — ``None`` when unknown)."""
    if not aggregates:
        return
    from synae.run.scoring.aggregate import SELF_ROW

    members = [m for m in aggregates.get("members", []) if m != SELF_ROW]
    aggregates["calibration"] = {m: place_member(aggregates, m, calibration) for m in members}
    real = dict(calibration.get("real", {}))
    known = real_fingerprint is not None and "fingerprint" in real
    same = real["fingerprint"] == real_fingerprint if known else None
    aggregates["calibration_source"] = {"real": real, "page": page, "same_real": same,
                                        "problems": list(calibration.get("problems", []))}


def read_calibration(folder: str | Path) -> dict[str, Any]:
    """``<folder>/calibration.json`` (a ``synae calibrate`` output; the file itself may be given):
    :class:`DataError` naming the file when it is missing, unreadable or not a calibration."""
    path = Path(folder)
    path = path if path.suffix == ".json" else path / JSON_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("no calibration here: run `synae calibrate --real … --out DIR` first",
                        source=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"unreadable calibration: {exc}", source=str(path)) from None
    if not isinstance(record, dict) or not isinstance(record.get("curves"), dict):
        raise DataError("not a calibration (no 'curves' object)", source=str(path), field="curves")
    return record


__all__ = ["CI_METHOD", "DEFAULT_STRENGTHS", "HTML_NAME", "JSON_NAME", "MIN_DROP", "Calibrator", "Curve",
           "attach_calibration", "check_curve", "crossing", "non_increasing", "place", "place_member",
           "read_calibration", "repeat_seeds"]
