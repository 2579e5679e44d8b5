"""Validity orchestration: which checkers run, and the ``validity.*.rate`` metrics they give.

Checker choice (``docs/method.md`` §6.5), ``checker`` = ``rules``, ``llm`` (alias
``judge``), ``both`` or ``None`` for the preset default (``Preset.default_checker``):

| preset | default | primary with ``both`` |
|---|---|---|
| ``t1``, ``bfcl`` | rules | rules |
| ``acp``, ``generic`` | judge if a judge model is configured, else rules | the same |

:func:`default_note` is the one line a command prints when the default fell back to the rules.

Targets: the preset's ``validity_targets_for(data)``; for ``generic`` only those the data has (tool
calls somewhere / an output somewhere). Rule checkers come from ``Preset.rule_checkers``. A target
with no checker of the chosen kind (e.g. generic outputs under ``rules``) is reported as skipped.

Metric (``docs/method.md`` §3.1): VR = #valid / #scored; details ``checker``, ``n_valid``,
``n_invalid``, ``n_unscored``, ``coverage`` = #scored / m′, ``reasons`` (counts over invalid
verdicts), ``unscored_reasons``, ``rate_all`` = #valid / m′, ``real_value`` (the same rate on D);
``checks`` when the rule checker records its checks per verdict (the generic checkers): per
check, how many verdicts ``passed`` / ``failed`` / ``not_run`` it
(:class:`synae.validity.verdict.VerdictTally`); a warning when coverage < 0.95; #scored = 0
→ value ``null`` (status ``skipped``, reason ``no_scored_verdicts``). With several checkers the
primary one is reported under the plain ID and each one under ``.rules`` / ``.judge``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from synae.config import Config
from synae.errors import ConfigError
from synae.presets import PRESET_NAMES, Preset, get_preset
from synae.presets.base import CheckerKind
from synae.results import MetricResult
from synae.run.inputs.streaming import TrajectoryStream
from synae.run.scoring.aggregate import LOST_TARGET
from synae.schema import Dataset, Trajectory
from synae.validity.verdict import CHECK_STATES, Checker, CheckTarget, CountingChecker, Verdict, VerdictTally

if TYPE_CHECKING:  # the LLM client and the judge are imported only where a run uses the judge
    from synae.llm.client import LLMClient

CHECKER_CHOICES = ("rules", "llm", "judge", "both")
MIN_COVERAGE = 0.95
QUALIFIER = {"rules": "rules", "judge": "judge"}


def _preset(preset: str | Preset) -> Preset:
    return preset if isinstance(preset, Preset) else get_preset(preset)


def default_kind(preset: str | Preset, config: Config) -> CheckerKind:
    """The preset's default checker kind (§6.5)."""
    return _preset(preset).default_checker(bool(config.judge.model))


def checker_kinds(preset: str | Preset, config: Config,
                  checker: str | None) -> tuple[list[CheckerKind], CheckerKind]:
    """(kinds to run, primary kind) for a ``--validity`` value; ``llm`` and ``both`` need a judge model."""
    if checker is None:
        default = default_kind(preset, config)
        return [default], default
    if checker not in CHECKER_CHOICES:
        raise ConfigError(f"unknown checker {checker!r} (expected rules, llm or both)")
    if checker != "rules" and not config.judge.model:
        raise ConfigError(f"--validity {checker} needs a judge model (--judge-model, SYNAE_JUDGE_MODEL, or "
                          "judge.model in a config file)")
    if checker == "both":
        return ["rules", "judge"], default_kind(preset, config)
    kind: CheckerKind = "rules" if checker == "rules" else "judge"
    return [kind], kind


def default_note(preset: str | Preset, config: Config, checker: str | None) -> str | None:
    """The line saying validity uses the preset's rules because no judge model is configured
    (``None`` when a checker was chosen, or the default is not a fallback)."""
    p = _preset(preset)
    if checker is not None or config.judge.model or p.default_checker(True) != "judge":
        return None
    return (f"validity: no judge model configured, so the {p.name} preset's rule checks are used "
            "(--validity llm --judge-model M for an LLM judge)")


def validity_targets(preset: Preset, trajectories: Sequence[Trajectory]) -> list[CheckTarget]:
    """Targets validity applies to: the preset's; for ``generic`` those present in the data."""
    return preset.validity_targets_for(trajectories)


def validity_targets_over(preset: Preset, chunks: Iterable[Sequence[Trajectory]]) -> list[CheckTarget]:
    """:func:`validity_targets` of a whole input given in chunks: the union of the chunks' targets,
    in the preset's order (a target applies to a set when it applies to a part of it: the data has
    it somewhere). Stops reading once every declared target was found, so for most inputs only the
    first chunk is read."""
    everything = cast("list[CheckTarget]", list(preset.validity_targets))
    found = set(preset.validity_targets_for([]))  # those that apply whatever the data
    if found < set(everything):
        for chunk in chunks:
            found.update(validity_targets(preset, chunk))
            if found >= set(everything):
                break
    return [t for t in everything if t in found]


def rule_checkers(preset: str | Preset, config: Config | None = None, *,
                  sources: Mapping[str, Trajectory] | None = None) -> list[Checker]:
    """The rule-based checkers of a preset (an object or a name), one per validity target."""
    if isinstance(preset, str) and preset.strip().lower() not in PRESET_NAMES:
        raise ConfigError(f"no rule-based checkers for preset {preset!r} (known: {', '.join(PRESET_NAMES)})")
    return _preset(preset).rule_checkers(config, sources=sources)


@dataclass
class VerdictCounts:
    """Counts of one checker's verdicts on one target: verdicts, valid, invalid and unscored ones,
    their reasons, per rule check how many verdicts passed / failed / did not run it
    (:class:`~synae.validity.verdict.VerdictTally`) and the judge's truncated prompt fields."""

    n: int
    valid: int
    invalid: int
    unscored: int
    reasons: dict[str, int]
    unscored_reasons: dict[str, int]
    checks: dict[str, dict[str, int]] = field(default_factory=dict)
    truncated_fields: int = 0

    def __add__(self, other: VerdictCounts) -> VerdictCounts:
        """The counts of both sets of verdicts together (checks in first-appearance order)."""
        checks = {c: dict(Counter(self.checks.get(c, {})) + Counter(other.checks.get(c, {})))
                  for c in dict.fromkeys([*self.checks, *other.checks])}
        return VerdictCounts(n=self.n + other.n, valid=self.valid + other.valid,
                             invalid=self.invalid + other.invalid, unscored=self.unscored + other.unscored,
                             reasons=dict(Counter(self.reasons) + Counter(other.reasons)),
                             unscored_reasons=dict(Counter(self.unscored_reasons)
                                                   + Counter(other.unscored_reasons)),
                             checks={c: {state: counts.get(state, 0) for state in CHECK_STATES}
                                     for c, counts in checks.items()},
                             truncated_fields=self.truncated_fields + other.truncated_fields)

    @classmethod
    def of(cls, verdicts: Sequence[Verdict]) -> VerdictCounts:
        """The counts of ``verdicts`` (one pass; :class:`~synae.validity.verdict.VerdictTally`)."""
        tally = VerdictTally()
        for v in verdicts:
            tally.add_verdict(v)
        return cls.of_tally(tally)

    @classmethod
    def of_tally(cls, tally: VerdictTally) -> VerdictCounts:
        return cls(n=tally.n, valid=tally.valid, invalid=tally.invalid, unscored=tally.unscored,
                   reasons=dict(tally.reasons), unscored_reasons=dict(tally.unscored_reasons),
                   checks=tally.checks(), truncated_fields=tally.truncated_fields)

    @classmethod
    def of_checker(cls, checker: Checker, trajectories: Sequence[Trajectory]) -> VerdictCounts:
        """The counts of ``checker``'s verdicts on ``trajectories``: counted as they are decided
        when the checker can (:class:`~synae.validity.verdict.CountingChecker`: rule checkers),
        else from its verdicts."""
        if not isinstance(checker, CountingChecker):
            return cls.of(checker.check_all(trajectories))
        tally = VerdictTally()
        checker.tally_all(trajectories, tally)
        return cls.of_tally(tally)

    @property
    def scored(self) -> int:
        return self.valid + self.invalid

    @property
    def rate(self) -> float | None:
        """VR = valid / scored (``None`` when nothing is scored)."""
        return self.valid / self.scored if self.scored else None

    @property
    def coverage(self) -> float | None:
        return self.scored / self.n if self.n else None

    @property
    def rate_all(self) -> float | None:
        return self.valid / self.n if self.n else None

    def summary(self) -> dict[str, Any]:
        """The ``--json`` shape: valid, invalid, unscored, rate."""
        return {"valid": self.valid, "invalid": self.invalid, "unscored": self.unscored, "rate": self.rate}


@dataclass
class ValidityRun:
    """Verdicts of every checker that ran, per target and checker kind, plus LLM usage."""

    preset: str
    kinds: list[CheckerKind]
    primary: CheckerKind
    targets: list[CheckTarget]
    verdicts: dict[CheckTarget, dict[CheckerKind, list[Verdict]]] = field(default_factory=dict)
    checker_names: dict[CheckTarget, dict[CheckerKind, str]] = field(default_factory=dict)
    skipped: dict[CheckTarget, dict[CheckerKind, str]] = field(default_factory=dict)
    judge: dict[str, Any] | None = None
    usage: dict[str, int] | None = None

    tallies: dict[CheckTarget, dict[CheckerKind, VerdictCounts]] = field(default_factory=dict)

    def counts(self, target: CheckTarget, kind: CheckerKind | None = None) -> VerdictCounts | None:
        """Counts for one target (the primary checker by default); ``None`` when it did not run."""
        kind = kind or self.primary
        tally = self.tallies.get(target, {}).get(kind)
        if tally is not None:
            return tally
        found = self.verdicts.get(target, {}).get(kind)
        return None if found is None else VerdictCounts.of(found)

    def checked(self) -> list[tuple[CheckTarget, CheckerKind]]:
        """The (target, checker kind) pairs that ran, in run order."""
        return [(target, kind) for target in self.targets for kind in self.kinds
                if kind in self.tallies.get(target, {}) or kind in self.verdicts.get(target, {})]

    def merge(self, later: ValidityRun) -> ValidityRun:
        """One run over this run's trajectories followed by ``later``'s (the next chunk of the same
        input, checked with the same preset, checkers and targets) that keeps the counts, not the
        verdicts (``verdicts`` is empty, :meth:`counts` reads ``tallies``). Checker names, skipped
        targets, judge and usage come from ``later`` (a shared client's usage is cumulative)."""
        tallies: dict[CheckTarget, dict[CheckerKind, VerdictCounts]] = {}
        for target, kind in self.checked():
            mine, theirs = self.counts(target, kind), later.counts(target, kind)
            assert mine is not None
            tallies.setdefault(target, {})[kind] = mine if theirs is None else mine + theirs
        return ValidityRun(preset=self.preset, kinds=self.kinds, primary=self.primary, targets=self.targets,
                           tallies=tallies, checker_names=later.checker_names or self.checker_names,
                           skipped=later.skipped, judge=later.judge, usage=later.usage)


def _judge_client(config: Config, progress: bool) -> LLMClient | None:
    """The judge's LLM client, ``None`` without a judge model (the LLM stack is imported only by a
    run that uses the judge)."""
    from synae.run.factory import judge_client

    return judge_client(config, progress=progress)


def _judge(config: Config, client: LLMClient | None, target: CheckTarget, preset: Preset) -> Checker:
    """The LLM judge's checker for ``target`` (imported only by a run that uses the judge)."""
    from synae.run.factory import judge

    return judge(config, client, target, preset)


def run_validity(dataset: Dataset | Sequence[Trajectory], preset: str | Preset | None = None,
                 config: Config | None = None, checker: str | None = None, *,
                 sources: Mapping[str, Trajectory] | None = None,
                 client: LLMClient | None = None, progress: bool = True,
                 targets: Sequence[CheckTarget] | None = None, counts_only: bool = False) -> ValidityRun:
    """Run the chosen checkers on every trajectory of ``dataset`` (see the module docstring).

    ``sources`` maps ids to the trajectories that generated ones name as their source
    (``metadata.generation.source_id``); the provenance rules (T1 ``equivalent``, ACP
    ``provenance``) use them. ``client`` (optional) is the LLM client for the judge; by default one
    is built from ``config.llm`` when a judge model is configured. Its usage counters end up in
    ``.usage``. ``targets`` overrides the targets found in ``dataset`` (a chunk of a larger input
    checks the input's targets: :func:`validity_targets_over`). ``counts_only`` keeps the counts of
    the verdicts (``tallies``), not the verdicts: a rule checker then builds none
    (:meth:`VerdictCounts.of_checker`).
    """
    from synae.presets import detect_preset

    config = config or Config()
    trajectories = list(dataset)
    preset_obj = preset if isinstance(preset, Preset) else get_preset(preset or detect_preset(trajectories))
    kinds, primary = checker_kinds(preset_obj, config, checker)
    run = ValidityRun(preset=preset_obj.name, kinds=kinds, primary=primary,
                      targets=list(targets) if targets is not None
                      else validity_targets(preset_obj, trajectories))
    if "judge" in kinds and client is None:
        client = _judge_client(config, progress)
    rules = ({c.target: c for c in preset_obj.rule_checkers(config, sources=sources)}
             if "rules" in kinds else {})
    for target in run.targets:
        for kind in kinds:
            chosen: Checker | None = (rules.get(target) if kind == "rules" else
                                      _judge(config, client, target, preset_obj))
            if chosen is None:
                run.skipped.setdefault(target, {})[kind] = f"no_checker: no {kind} checker for {target}"
                continue
            if counts_only:
                run.tallies.setdefault(target, {})[kind] = VerdictCounts.of_checker(chosen, trajectories)
            else:
                run.verdicts.setdefault(target, {})[kind] = chosen.check_all(trajectories)
            run.checker_names.setdefault(target, {})[kind] = chosen.name
    if "judge" in kinds:
        from synae.validity.judge import judge_info

        run.judge = judge_info(config.judge)
        run.usage = client.usage.as_dict() if client is not None else None
    return run


def _metric(metric_id: str, target: CheckTarget, kind: CheckerKind, counts: VerdictCounts | None,
            real: VerdictCounts | None, checker_name: str, run: ValidityRun, n_real: int | None,
            skip_reason: str | None) -> MetricResult:
    base: dict[str, Any] = {"id": metric_id, "pillar": "validity", "target": target,
                            "direction": "higher_is_better", "bounds": (0.0, 1.0), "n_real": n_real,
                            "n_synthetic": counts.n if counts else None}
    if counts is None:
        return MetricResult(**base, value=None, status="skipped", reason=skip_reason or "no_checker")
    details: dict[str, Any] = {
        "unit": "trajectories", "checker": checker_name, "n_valid": counts.valid, "n_invalid": counts.invalid,
        "n_unscored": counts.unscored, "coverage": counts.coverage, "reasons": counts.reasons,
        "unscored_reasons": counts.unscored_reasons, "rate_all": counts.rate_all,
        "real_value": real.rate if real else None,
    }
    if real is not None:
        details["real"] = {"n_valid": real.valid, "n_invalid": real.invalid, "n_unscored": real.unscored,
                          "coverage": real.coverage, "rate_all": real.rate_all}
    if kind == "rules" and counts.checks:
        details["checks"] = counts.checks
    if checker_name == "judge" and run.judge:
        details["judge"] = run.judge
        details["truncated_fields"] = counts.truncated_fields
    warnings = []
    if counts.coverage is not None and counts.coverage < MIN_COVERAGE:
        why = ", ".join(f"{k}: {v}" for k, v in sorted(counts.unscored_reasons.items()))
        warnings.append(f"coverage {counts.coverage:.2f} < {MIN_COVERAGE}: {counts.unscored} of {counts.n} "
                        f"verdicts unscored ({why})")
    if counts.rate is None:
        return MetricResult(**base, value=None, status="skipped", details=details, warnings=warnings,
                            reason=f"no_scored_verdicts: all {counts.n} verdicts are unscored")
    return MetricResult(**base, value=counts.rate, details=details, warnings=warnings)


WHAT = {"tool_calls": "tool calls", "output": "outputs"}


def _lost_target(target: CheckTarget, syn_run: ValidityRun, real_run: ValidityRun,
                 n_real: int | None) -> MetricResult:
    """``validity.<target>.rate`` skipped because the real set has the target and the synthetic set
    has none of it (reason :data:`~synae.run.scoring.aggregate.LOST_TARGET`; the pillar's label
    becomes Poor)."""
    counts = real_run.counts(target, real_run.primary)
    had = f"{counts.n} trajectories checked for {WHAT[target]}" if counts is not None else WHAT[target]
    return MetricResult(id=f"validity.{target}.rate", pillar="validity", target=target,
                        direction="higher_is_better", bounds=(0.0, 1.0), n_real=n_real, n_synthetic=None,
                        value=None, status="skipped",
                        reason=f"{LOST_TARGET}: the real set has {WHAT[target]} ({had}), the synthetic set "
                               f"has none — lost in generation or export?")


class RuleRider:
    """The rule checks of a stream fed chunk by chunk by a pass another stage makes
    (:meth:`~synae.run.inputs.streaming.TrajectoryStream.ride`): the same counts as
    :meth:`ValiditySession.run` reading the stream itself, without its two passes (targets, then
    checks). Every target the preset can check is checked on every chunk, since a target found in
    a later chunk applies to the earlier ones too; :meth:`result` keeps the targets the whole input
    has (:func:`validity_targets_over`)."""

    def __init__(self, preset: Preset, config: Config, checker: str | None,
                 sources: Mapping[str, Trajectory] | None = None) -> None:
        self.preset, self.config, self.checker, self.sources = preset, config, checker, sources
        self.everything = cast("list[CheckTarget]", list(preset.validity_targets))
        self.found = set(preset.validity_targets_for([]))
        self.run: ValidityRun | None = None
        self.seconds = 0.0

    def feed(self, chunk: list[Trajectory]) -> None:
        start = time.perf_counter()
        if self.found < set(self.everything):
            self.found.update(validity_targets(self.preset, chunk))
        part = run_validity(chunk, self.preset, self.config, self.checker, sources=self.sources,
                            progress=False, targets=self.everything, counts_only=True)
        self.run = part if self.run is None else self.run.merge(part)
        self.seconds += time.perf_counter() - start

    def result(self) -> ValidityRun:
        """The merged counts for the targets found (an empty input: as :meth:`ValiditySession.run`)."""
        targets = [t for t in self.everything if t in self.found]
        if self.run is None:
            return run_validity([], self.preset, self.config, self.checker, progress=False, targets=targets)
        run = self.run
        return ValidityRun(preset=run.preset, kinds=run.kinds, primary=run.primary, targets=targets,
                           verdicts={t: v for t, v in run.verdicts.items() if t in targets},
                           tallies={t: v for t, v in run.tallies.items() if t in targets},
                           checker_names={t: v for t, v in run.checker_names.items() if t in targets},
                           skipped={t: v for t, v in run.skipped.items() if t in targets},
                           judge=run.judge, usage=run.usage)


class ValiditySession:
    """Validity of one or more synthetic sets against one real set.

    The real set's checkers run once (on first use); each synthetic set is checked with the real
    trajectories as provenance sources, and one LLM client is shared by every run.

    Either side may be a :class:`~synae.run.inputs.streaming.TrajectoryStream`: it is checked chunk by
    chunk (:func:`validity_targets_over` over the whole stream, the runs merged with
    :meth:`ValidityRun.merge`: counts, no verdicts). The provenance sources of a synthetic set
    checked against a streamed real set are only the real trajectories it names
    (:func:`named_sources`: one pass over each), looked up only for presets whose rules read them
    (``Preset.rules_use_sources``). With rules only, a streamed real set (at construction) and a
    streamed synthetic set (:meth:`prepare`) are checked by their next complete pass — the features
    pass — through a :class:`RuleRider`, so checking them reads no file again.
    """

    def __init__(self, real: Dataset | Sequence[Trajectory] | TrajectoryStream | None,
                 preset: str | Preset | None, config: Config | None = None, checker: str | None = None, *,
                 client: LLMClient | None = None, progress: bool = True) -> None:
        self.config = config or Config()
        self.real: list[Trajectory] | TrajectoryStream | None = (
            real if real is None or isinstance(real, TrajectoryStream) else list(real))
        if preset is None:
            from synae.presets import detect_preset

            preset = (self.real.detect_preset() if isinstance(self.real, TrajectoryStream)
                      else detect_preset(self.real or []))
        self.preset = preset if isinstance(preset, Preset) else get_preset(preset)
        self.checker = checker
        kinds, _ = checker_kinds(self.preset, self.config, checker)
        self.client = client if client is not None or "judge" not in kinds else _judge_client(
            self.config, progress)
        self.progress = progress
        self._real_run: ValidityRun | None = None
        self.seconds = 0.0  # time spent checking, real and synthetic sets together
        if isinstance(self.real, TrajectoryStream) and self._rides():  # checked by its features pass
            self.real.ride(self._rider_key, lambda: RuleRider(self.preset, self.config, self.checker))

    @property
    def _rider_key(self) -> str:
        return f"validity:{id(self)}"

    def _rides(self) -> bool:
        """Whether the checks can ride a stream's pass: rules only (a judge's calls are batched
        and paced by its own pass)."""
        return checker_kinds(self.preset, self.config, self.checker)[0] == ["rules"]

    def prepare(self, synthetic: Dataset | Sequence[Trajectory] | TrajectoryStream) -> None:
        """Have the next complete pass over ``synthetic`` (when it streams: the features pass) run
        the rule checks too (:class:`RuleRider`), instead of a pass of their own — not when the
        preset's rules need provenance sources from a streamed real set that is not held in memory
        (:func:`named_sources` reads both sides first). Sources are the real trajectories by id,
        as :meth:`run` gives them."""
        if not isinstance(synthetic, TrajectoryStream) or not self._rides():
            return
        real = self.real.held if isinstance(self.real, TrajectoryStream) else self.real
        if real is None and self.preset.rules_use_sources:
            return
        sources = {t.id: t for t in real} if real is not None else None
        synthetic.ride(self._rider_key, lambda: RuleRider(self.preset, self.config, self.checker, sources))

    def _ridden(self, data: Sequence[Trajectory] | TrajectoryStream) -> ValidityRun | None:
        """The run a rider made on ``data``'s features pass; ``None`` (and the rider withdrawn, so
        that the pass that checks ``data`` itself does not feed it too) when none did."""
        if not isinstance(data, TrajectoryStream):
            return None
        rider = data.ridden(self._rider_key)
        if not isinstance(rider, RuleRider):
            data.unride(self._rider_key)
            return None
        self.seconds += rider.seconds
        return rider.result()

    def _run(self, data: Sequence[Trajectory] | TrajectoryStream,
             sources: Mapping[str, Trajectory] | None = None) -> ValidityRun:
        ridden = self._ridden(data)
        if ridden is not None:
            return ridden
        start = time.perf_counter()
        try:
            return self._checked(data, sources)
        finally:
            self.seconds += time.perf_counter() - start

    def _checked(self, data: Sequence[Trajectory] | TrajectoryStream,
                 sources: Mapping[str, Trajectory] | None) -> ValidityRun:
        """:meth:`_run` (untimed)."""
        if not isinstance(data, TrajectoryStream):
            return run_validity(data, self.preset, self.config, self.checker, sources=sources,
                                client=self.client, progress=self.progress)
        targets = validity_targets_over(self.preset, data.chunks())
        run: ValidityRun | None = None
        for chunk in data.chunks():
            part = run_validity(chunk, self.preset, self.config, self.checker, sources=sources,
                                client=self.client, progress=self.progress, targets=targets, counts_only=True)
            run = part if run is None else run.merge(part)
        return run if run is not None else run_validity([], self.preset, self.config, self.checker,
                                                        client=self.client, progress=False, targets=targets)

    @property
    def real_run(self) -> ValidityRun | None:
        if self._real_run is None and self.real is not None:
            self._real_run = self._run(self.real)
        return self._real_run

    def run(self, synthetic: Dataset | Sequence[Trajectory] | TrajectoryStream) -> ValidityRun:
        """Check a synthetic set (real trajectories serve as provenance sources)."""
        data = synthetic if isinstance(synthetic, TrajectoryStream) else list(synthetic)
        ridden = self._ridden(data)
        if ridden is not None:
            return ridden
        if isinstance(self.real, TrajectoryStream):
            kinds, _ = checker_kinds(self.preset, self.config, self.checker)
            wanted = "rules" in kinds and self.preset.rules_use_sources
            sources: Mapping[str, Trajectory] | None = named_sources(self.real, data) if wanted else None
        else:
            sources = {t.id: t for t in self.real} if self.real is not None else None
        return self._run(data, sources)

    def metrics(self, synthetic_run: ValidityRun) -> list[MetricResult]:
        """The validity metrics of a synthetic run, with the real rates as ``details.real_value``."""
        n_real = len(self.real) if self.real is not None else None
        return metrics_from_runs(synthetic_run, self.real_run, n_real, client=self.client)


def named_sources(real: TrajectoryStream, synthetic: Sequence[Trajectory] | TrajectoryStream
                  ) -> dict[str, Trajectory]:
    """The real trajectories that ``synthetic`` names as generation sources
    (``metadata.generation.source_id``), by id: one pass over each side, keeping only those."""
    chunks = synthetic.chunks() if isinstance(synthetic, TrajectoryStream) else [synthetic]
    named = {str(g["source_id"]) for chunk in chunks for t in chunk
             if isinstance(g := t.metadata.get("generation"), Mapping) and g.get("source_id") is not None}
    if not named:
        return {}
    return {t.id: t for chunk in real.chunks() for t in chunk if t.id in named}


def validity_metrics(real: Dataset | Sequence[Trajectory] | None, synthetic: Dataset | Sequence[Trajectory],
                     preset: str | Preset | None = None, config: Config | None = None,
                     checker: str | None = None, *, client: LLMClient | None = None,
                     progress: bool = True) -> list[MetricResult]:
    """``validity.tool_calls.rate`` / ``validity.output.rate`` (and ``.rules``/``.judge`` with several
    checkers) on ``synthetic``; the same rates on ``real`` go to ``details.real_value``.

    ``checker="none"`` returns ``[]``. See :class:`ValiditySession` to check several sets.
    """
    if checker == "none":
        return []
    synthetic = list(synthetic)
    if preset is None:
        from synae.presets import detect_preset

        preset = detect_preset(synthetic)
    session = ValiditySession(real, preset, config, checker, client=client, progress=progress)
    return session.metrics(session.run(synthetic))


def metrics_from_runs(syn_run: ValidityRun, real_run: ValidityRun | None, n_real: int | None, *,
                      client: LLMClient | None = None) -> list[MetricResult]:
    """The validity metrics of a synthetic run, with the real run's rates as ``details.real_value``."""
    results = []
    for target in syn_run.targets:
        for kind in syn_run.kinds:
            qualified = len(syn_run.kinds) > 1
            ids = [f"validity.{target}.rate"] if kind == syn_run.primary else []
            if qualified:
                ids.append(f"validity.{target}.rate.{QUALIFIER[kind]}")
            counts = syn_run.counts(target, kind)
            real_counts = real_run.counts(target, kind) if real_run is not None else None
            name = "judge" if kind == "judge" else syn_run.checker_names.get(target, {}).get(kind, "rules")
            skip = syn_run.skipped.get(target, {}).get(kind)
            results += [_metric(i, target, kind, counts, real_counts, name, syn_run, n_real, skip)
                        for i in ids]
    if real_run is not None:
        results += [_lost_target(target, syn_run, real_run, n_real)
                    for target in real_run.targets if target not in syn_run.targets]
    if client is not None:
        for result in results:
            if result.details.get("checker") == "judge":
                result.details["llm_usage"] = client.usage.as_dict()
    return results
