"""How far an LLM judge can be trusted on a real set: ``synae judge calibrate`` and the reliability
that ``validate`` / ``evaluate`` record with the judge's verdicts.

**Labelled set, by construction, from the real set alone.** Per validity target T of the preset that
has an invalidation generator (:func:`synae.generate.invalidate.invalidate`):

- originals: the trajectories that no rule checker of the preset finds invalid (a rule verdict of
  ``False`` removes a trajectory; an unscored rule verdict does not), that carry T (the preset's
  ``validity_targets_for``), at most ``validity.calibration_items`` of them, drawn without
  replacement by ``default_rng(seed)`` and kept in input order — label *valid*;
- their copies invalidated at v = 1 for T, keeping only the copies the generator really modified
  (``metadata.generation.modified``) — label *invalid*.

Every item gets a fresh id (``valid/<i>`` or ``invalid/<i>``, i = the original's position) so that
presets whose generator keeps ids (T1) still give one verdict per item. The judge (the preset's
:func:`synae.run.factory.judge`) sees the originals and the copies of one target in one batch.

**Agreement** (:class:`synae.validity.agreement.Confusion`, "valid" positive): coverage = scored /
labelled, accuracy, F1 = 2·TP / (2·TP + FP + FN) and Cohen's κ = (p_o − p_e) / (1 − p_e), per target
and pooled over the targets. κ's interval: ``validity.calibration_resamples`` bootstrap resamples of
the scored (label, verdict) pairs, drawn with replacement by ``default_rng(seed)``; the 2.5th and
97.5th percentiles (linear interpolation) of the resamples whose κ is defined (p_e < 1), ``None``
when fewer than two are.

**Invalidation curve.** For each fraction v of ``validity.calibration_fractions``, the set that
``invalidate(v)`` selects — positions ``select_positions(n, v)`` with a fresh ``default_rng(seed)``
— has the invalidated copy at a selected position that the generator modified, the original
elsewhere. Its judged validity rate is #valid / #scored of those n verdicts (no extra call: every
item was judged once), its construction rate #unmodified / n. ``slope`` is the least-squares slope
of the judged rate against v (points with a rate; ``None`` with fewer than two distinct v), and
``construction_slope`` the same for the construction rate: the slope a perfect judge gets (−1 when
the generator modifies every selected item). A judge that tracks validity has a slope near it.

**Reliability.** :data:`MIN_KAPPA` = 0.4: κ below it, undefined, or an interval whose lower end is ≤ 0
earns a warning. :func:`reliability` gives what a report records (κ, its interval, N scored items,
F1, the calibration's judge, endpoint and preset, and a warning when these differ from the run's).

**Where calibrations live.** ``<out>/judge_calibration.json`` (written atomically), and a copy in the
cache (``$SYNAE_CACHE_DIR/judge_calibration/<key>.json``, key = SHA-256 of judge model, endpoint and
preset) when ``llm.cache`` is on, which ``validate`` / ``evaluate`` find when no
``--judge-calibration`` is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import numpy as np

from synae.config import Config, cache_root
from synae.errors import ConfigError, DataError
from synae.files import atomic_write
from synae.generate.common import new_rng
from synae.generate.invalidate import invalidate, select_positions
from synae.llm.client import LLMClient
from synae.presets import Preset
from synae.results import MetricResult
from synae.run.factory import judge
from synae.schema import Dataset, Trajectory
from synae.validity.agreement import Confusion
from synae.validity.judge import judge_info
from synae.validity.verdict import CheckTarget, Verdict

FILE_NAME = "judge_calibration.json"
KIND = "synae.judge_calibration"
VERSION = 1
MIN_KAPPA = 0.4
INTERVAL = (2.5, 97.5)


# ------------------------------------------------------------------------------------------------
# The labelled set


def rule_valid(trajectories: Sequence[Trajectory], preset: Preset, config: Config) -> list[Trajectory]:
    """The trajectories that no rule checker of ``preset`` finds invalid (unscored ones stay)."""
    keep = [True] * len(trajectories)
    for checker in preset.rule_checkers(config):
        for i, verdict in enumerate(checker.check_all(trajectories)):
            keep[i] = keep[i] and verdict.valid is not False
    return [t for t, ok in zip(trajectories, keep, strict=True) if ok]


def draw(trajectories: Sequence[Trajectory], k: int, seed: int) -> list[Trajectory]:
    """At most ``k`` of ``trajectories``: drawn without replacement by ``default_rng(seed)``, in input
    order (all of them when there are ``k`` or fewer)."""
    if len(trajectories) <= k:
        return list(trajectories)
    chosen = np.sort(np.random.default_rng(seed).choice(len(trajectories), size=k, replace=False))
    return [trajectories[int(i)] for i in chosen]


def _relabelled(traj: Trajectory, new_id: str) -> Trajectory:
    copy = traj.model_copy()
    copy.id = new_id
    return copy


def labelled_items(originals: Sequence[Trajectory], preset: Preset, target: CheckTarget,
                   seed: int) -> tuple[list[Trajectory], dict[int, Trajectory]]:
    """(originals with ids ``valid/<i>``, {i: the invalidated copy of original i with id
    ``invalid/<i>``} for the copies the generator modified). A target the preset cannot invalidate
    raises :class:`ConfigError`."""
    copies = invalidate(Dataset(trajectories=list(originals), name="calibration"), 1.0, preset=preset,
                        target=target, seed=seed).trajectories
    valid = [_relabelled(t, f"valid/{i}") for i, t in enumerate(originals)]
    invalid = {i: _relabelled(t, f"invalid/{i}") for i, t in enumerate(copies)
               if (t.metadata.get("generation") or {}).get("modified") is True}
    return valid, invalid


# ------------------------------------------------------------------------------------------------
# Statistics


def _kappas(labels: np.ndarray, verdicts: np.ndarray) -> np.ndarray:
    """Cohen's κ of each row of boolean ``labels`` / ``verdicts`` (shape (B, n)); NaN where p_e = 1."""
    n = labels.shape[1]
    tp = np.sum(labels & verdicts, axis=1)
    tn = np.sum(~labels & ~verdicts, axis=1)
    fp = np.sum(~labels & verdicts, axis=1)
    fn = np.sum(labels & ~verdicts, axis=1)
    p_o = (tp + tn) / n
    p_e = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p_e < 1, (p_o - p_e) / (1 - p_e), np.nan)


def kappa_interval(pairs: Sequence[tuple[bool, bool]], resamples: int, seed: int) -> list[float] | None:
    """The bootstrap interval of Cohen's κ over scored (label, verdict) ``pairs`` (module docstring)."""
    if not pairs or resamples <= 0:
        return None
    labels = np.array([p[0] for p in pairs], dtype=bool)
    verdicts = np.array([p[1] for p in pairs], dtype=bool)
    index = np.random.default_rng(seed).integers(len(pairs), size=(resamples, len(pairs)))
    kappas = _kappas(labels[index], verdicts[index])
    kappas = kappas[~np.isnan(kappas)]
    if len(kappas) < 2:
        return None
    low, high = np.percentile(kappas, INTERVAL)
    return [float(low), float(high)]


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of y on x; ``None`` with fewer than two distinct x."""
    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    if len(set(xs.tolist())) < 2:
        return None
    dx = xs - xs.mean()
    return float(np.sum(dx * (ys - ys.mean())) / np.sum(dx * dx))


def invalidation_curve(valid: Sequence[Verdict], invalid: Mapping[int, Verdict], fractions: Sequence[float],
                       seed: int) -> dict[str, Any]:
    """The judged and construction validity rates at each fraction, and both slopes (module docstring)."""
    n = len(valid)
    points = []
    for v in fractions:
        selected = set(select_positions(n, v, with_replacement=False, rng=new_rng(seed)))
        chosen = [invalid[i] if i in selected and i in invalid else valid[i] for i in range(n)]
        scored = [c.valid for c in chosen if c.valid is not None]
        n_modified = sum(i in invalid for i in selected)
        points.append({"v": v, "judged_rate": sum(scored) / len(scored) if scored else None,
                       "construction_rate": (n - n_modified) / n if n else None, "n_scored": len(scored)})
    judged = [(float(v), float(p["judged_rate"])) for v, p in zip(fractions, points, strict=True)
              if p["judged_rate"] is not None]
    built = [(float(v), float(p["construction_rate"])) for v, p in zip(fractions, points, strict=True)
             if p["construction_rate"] is not None]
    return {"points": points, "slope": slope(judged), "construction_slope": slope(built)}


def with_interval(confusion: Confusion, pairs: Sequence[tuple[bool, bool]], resamples: int,
                  seed: int) -> dict[str, Any]:
    """:meth:`Confusion.result` plus ``kappa_interval`` over the scored (label, verdict) ``pairs``."""
    return {**confusion.result(), "kappa_interval": kappa_interval(pairs, resamples, seed)}


def needs_warning(kappa: float | None, interval: Sequence[float] | None) -> bool:
    """κ undefined or below :data:`MIN_KAPPA`, or an interval reaching 0."""
    return kappa is None or kappa < MIN_KAPPA or (interval is not None and interval[0] <= 0)


# ------------------------------------------------------------------------------------------------
# Calibrating


def calibrate(real: Sequence[Trajectory], preset: Preset, config: Config, client: LLMClient | None, *,
              source: str = "") -> dict[str, Any]:
    """Judge the labelled set built from ``real`` (module docstring) and return the calibration
    record; with a dry-run ``client`` only the budget (``dry_run``, ``calls``, ``cached``,
    ``prompt_tokens``, ``completion_tokens``, ``n_items``)."""
    settings = config.validity
    originals_all = rule_valid(real, preset, config)
    targets: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    pooled, pooled_pairs = Confusion(), cast("list[tuple[bool, bool]]", [])
    n_items = 0
    for target in cast("list[CheckTarget]", list(preset.validity_targets)):
        having = [t for t in originals_all if target in preset.validity_targets_for([t])]
        originals = draw(having, settings.calibration_items, config.seed)
        if not originals:
            skipped[target] = "no rule-valid trajectory carries this target"
            continue
        try:
            valid, invalid = labelled_items(originals, preset, target, config.seed)
        except ConfigError as exc:
            skipped[target] = f"no invalidation generator: {exc}"
            continue
        positions = sorted(invalid)
        verdicts = judge(config, client, target, preset).check_all(valid + [invalid[i] for i in positions])
        n_items += len(verdicts)
        labels = {t.id: True for t in valid} | {t.id: False for t in invalid.values()}
        pairs = [(labels[v.trajectory_id], bool(v.valid)) for v in verdicts if v.valid is not None]
        confusion = Confusion()
        for counts in (confusion, pooled):
            counts.add(verdicts, labels)
        pooled_pairs += pairs
        targets[target] = {
            "n_originals": len(valid), "n_invalidated": len(invalid),
            **with_interval(confusion, pairs, settings.calibration_resamples, config.seed),
            "curve": invalidation_curve(verdicts[: len(valid)], dict(zip(positions, verdicts[len(valid):],
                                                                          strict=True)),
                                        settings.calibration_fractions, config.seed),
            "unscored_reasons": _unscored_reasons(verdicts)}
    if client is not None and client.dry_run:
        u = client.usage
        return {"dry_run": True, "calls": u.estimated_calls, "cached": u.cached,
                "prompt_tokens": u.estimated_prompt_tokens,
                "completion_tokens": u.estimated_completion_tokens, "n_items": n_items}
    overall = with_interval(pooled, pooled_pairs, settings.calibration_resamples, config.seed)
    record = {
        "kind": KIND, "version": VERSION, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "judge": judge_info(config.judge), "endpoint": client.base_url if client is not None else None,
        "preset": preset.name, "real": source, "n_real": len(real), "n_rule_valid": len(originals_all),
        "seed": config.seed,
        "config": {"items": settings.calibration_items, "fractions": list(settings.calibration_fractions),
                   "resamples": settings.calibration_resamples, "interval_percentiles": list(INTERVAL),
                   "min_kappa": MIN_KAPPA},
        "overall": overall, "targets": targets, "skipped_targets": skipped,
        "usage": client.usage.as_dict() if client is not None else None,
    }
    record["warnings"] = [w for w in [warning_text(overall, "pooled")] if w]
    return record


def _unscored_reasons(verdicts: Iterable[Verdict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in verdicts:
        if v.valid is None and v.reasons:
            out[v.reasons[0]] = out.get(v.reasons[0], 0) + 1
    return out


def warning_text(found: Mapping[str, Any], scope: str) -> str | None:
    """The warning for an unreliable judge (:func:`needs_warning`), ``None`` for a reliable one."""
    kappa, interval = found.get("kappa"), found.get("kappa_interval")
    if not needs_warning(kappa, interval):
        return None
    shown = "undefined" if kappa is None else f"{kappa:.2f}"
    span = "" if interval is None else f", 95% interval [{interval[0]:.2f}, {interval[1]:.2f}]"
    return (f"unreliable judge: κ = {shown}{span} on {found.get('n_scored', 0)} labelled items ({scope}); "
            f"below {MIN_KAPPA} or not clearly above 0, so its validity verdicts are close to chance")


# ------------------------------------------------------------------------------------------------
# Storing and finding


def cache_key(model: str | None, endpoint: str | None, preset: str) -> str:
    """SHA-256 (first 16 hex digits) of judge model, endpoint and preset."""
    return hashlib.sha256(json.dumps([model, endpoint, preset]).encode("utf-8")).hexdigest()[:16]


def cache_path(model: str | None, endpoint: str | None, preset: str) -> Path:
    return cache_root() / "judge_calibration" / f"{cache_key(model, endpoint, preset)}.json"


def write_calibration(record: Mapping[str, Any], out_dir: Path, *, cache: bool) -> Path:
    """``out_dir/judge_calibration.json`` (atomic), plus the cache copy when ``cache``."""
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    targets = [path]
    if cache:
        targets.append(cache_path(record["judge"].get("model"), record.get("endpoint"), record["preset"]))
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target, "w") as fh:
            fh.write(text)
    return path


def load_calibration(path: Path) -> dict[str, Any]:
    """A calibration record from a folder (its ``judge_calibration.json``) or the file itself."""
    file = path / FILE_NAME if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read the judge calibration ({exc.strerror}); make one with "
                        "`synae judge calibrate`", source=str(file)) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON ({exc.msg})", source=str(file),
                        location=f"line {exc.lineno}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND or not isinstance(data.get("overall"), dict):
        raise DataError(f"not a judge calibration (expected \"kind\": \"{KIND}\")", source=str(file))
    data["path"] = str(file)
    return data


def find_calibration(config: Config, endpoint: str | None, preset: str) -> dict[str, Any] | None:
    """``validity.judge_calibration`` when set, else the cache's calibration for the same judge model,
    endpoint and preset, else ``None``."""
    if config.validity.judge_calibration is not None:
        return load_calibration(config.validity.judge_calibration)
    cached = cache_path(config.judge.model, endpoint, preset)
    return load_calibration(cached) if cached.is_file() else None


def reliability(record: Mapping[str, Any], target: str | None, *, model: str | None, endpoint: str | None,
                preset: str) -> dict[str, Any]:
    """What a report records for one target's judge verdicts: the calibration's figures for that
    target (pooled when it has none), the judge it was made with, and its warnings (unreliable
    judge; calibrated with another judge model, endpoint or preset)."""
    found = (record.get("targets") or {}).get(target) or record["overall"]
    scope = target if target is not None and target in (record.get("targets") or {}) else "pooled"
    warnings = [w for w in [warning_text(found, scope)] if w]
    calibrated = {"judge model": (record.get("judge") or {}).get("model"), "endpoint": record.get("endpoint"),
                  "preset": record.get("preset")}
    now = {"judge model": model, "endpoint": endpoint, "preset": preset}
    differ = [f"{k} {calibrated[k]!r} (this run: {now[k]!r})" for k in now if calibrated[k] != now[k]]
    if differ:
        warnings.append("judge calibration made with another " + ", ".join(differ))
    return {"kappa": found.get("kappa"), "kappa_interval": found.get("kappa_interval"),
            "n": found.get("n_scored"), "n_labelled": found.get("n_labelled"),
            "f1_valid": found.get("f1_valid"),
            "accuracy": found.get("accuracy"), "coverage": found.get("coverage"), "scope": scope,
            "slope": ((record.get("targets") or {}).get(target) or {}).get("curve", {}).get("slope"),
            "judge_model": calibrated["judge model"], "endpoint": calibrated["endpoint"],
            "preset": calibrated["preset"], "created": record.get("created"), "path": record.get("path"),
            "warnings": warnings}


def summary_line(found: Mapping[str, Any]) -> str:
    """``judge κ = 0.62 [0.41, 0.80] on 40 items`` (``—`` for an undefined κ)."""
    kappa, interval = found.get("kappa"), found.get("kappa_interval")
    span = "" if not interval else f" [{interval[0]:.2f}, {interval[1]:.2f}]"
    return f"judge κ = {'—' if kappa is None else f'{kappa:.2f}'}{span} on {found.get('n') or 0} items"


def attach(metrics: Iterable[MetricResult], record: Mapping[str, Any] | None, *, model: str | None,
           endpoint: str | None, preset: str) -> None:
    """Record the judge's reliability on every judge validity metric (``details.judge_calibration``;
    its warnings join the metric's), or that it is unknown (``details.judge_calibration = None``)."""
    for metric in metrics:
        if metric.details.get("checker") != "judge":
            continue
        if record is None:
            metric.details["judge_calibration"] = None
            continue
        found = reliability(record, metric.target, model=model, endpoint=endpoint, preset=preset)
        metric.details["judge_calibration"] = found
        metric.warnings = [*metric.warnings, *found["warnings"]]


def reliability_lines(label: str, found: Mapping[str, Any] | None) -> list[tuple[str, bool]]:
    """(line, is a warning) about one judge's reliability (a :func:`reliability` record; ``None``
    when no calibration was found), each line starting with ``label``."""
    if found is None:
        return [(f"{label}: judge reliability unknown (no calibration for this judge model, endpoint and "
                 "preset; run `synae judge calibrate`)", False)]
    return [(f"{label}: {summary_line(found)}", False), *((f"{label}: {w}", True) for w in found["warnings"])]


def judge_notes(metrics: Iterable[MetricResult]) -> list[tuple[str, bool]]:
    """:func:`reliability_lines` of every judge validity metric that records its calibration."""
    return [line for metric in metrics if "judge_calibration" in metric.details
            for line in reliability_lines(metric.id, metric.details["judge_calibration"])]
