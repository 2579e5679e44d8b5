"""Rule-based validity of T1 tool calls and outputs (``docs/method.md`` §6.7).

Tool calls — a trajectory is valid iff all rules hold (reason codes in parentheses):
``has_calls`` (at least one call other than ``print``), ``parses`` (every plan parses),
``schema`` (every call is a plain call to an attraction tool, ``seek_information`` or ``print``,
with valid parameters per §7.1), ``grounded`` (every entity value passed as city, state,
neighborhood, attraction_name or type to ``search_attractions``/``filter_attractions`` occurs in the
instruction transcript as a whole word or phrase — case-insensitively, values of at most 2
characters case-sensitively), ``executes`` (the plans run turn by turn with one cache, without
error) and, only when a source trajectory with unchanged instructions is known (generation
provenance), ``equivalent`` (``t1_exec`` in both directions). Entity values absent from the
ontology are reported as ``unknown_entity`` without invalidating.

Output — valid iff the output is non-empty (``empty_output``) and every attraction type it
mentions is mentioned in the instruction transcript (``type_consistent``). With ``strict``: every
ontology city and state it mentions is mentioned in the transcript (``location_consistent``), and
every ontology attraction name it mentions is among the results of the executed tool calls
(``names_grounded``).

Both checkers run each trajectory within ``seconds`` of environment time; beyond it the verdict is
unscored (``time_budget_exceeded``, :func:`~synae.validity.rules.base.within_budget`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from synae.envs.budget import TRAJECTORY_SECONDS
from synae.envs.equivalence import t1_signatures
from synae.envs.t1 import (
    ENTITY_PARAMETERS,
    TOOL_PARAMS,
    PositionalMode,
    SearchResults,
    T1Environment,
    attraction_names,
    attraction_types,
    check_call_arguments,
    find_mentions,
)
from synae.envs.t1_ontology import load_ontology
from synae.schema import Trajectory
from synae.toolcalls import POSITIONAL_KEY, parse_calls, render_call
from synae.validity.rules.base import RuleOutcome, source_of, within_budget
from synae.validity.verdict import CheckTarget, Verdict
from synae.views import instruction_transcript

GROUNDED_TOOLS = ("search_attractions", "filter_attractions")
CASE_SENSITIVE_UPTO = 2


@dataclass
class T1Call:
    name: str
    arguments: dict[str, Any]
    bare_name: bool = True


@dataclass
class T1Plans:
    """The plans of a trajectory (one per tool-call message) and the calls parsed from them."""

    plans: list[str] = field(default_factory=list)
    calls: list[T1Call] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)


def t1_plans(traj: Trajectory) -> T1Plans:
    """Per assistant tool-call message in order: its ``code`` (parsed with every call kept), or —
    without code — its structured ``tool_calls`` rendered back to Python source. (Rendered calls
    have no assignments, so ``$var`` references in them cannot be resolved when executed.)"""
    out = T1Plans()
    for message in traj.messages:
        if message.role != "assistant":
            continue
        if message.code is not None:
            out.plans.append(message.code)
            parsed = parse_calls(message.code, extraction="all")
            if parsed.error:
                out.parse_errors.append(parsed.error)
            out.calls += [T1Call(c.name, c.arguments, c.bare_name) for c in parsed.calls]
        elif message.tool_calls:
            calls = [T1Call(c.function.name, c.function.parsed_arguments()) for c in message.tool_calls]
            out.plans.append("\n".join(render_call(c.name, c.arguments) for c in calls))
            out.calls += calls
    return out


def run_plans(plans: Sequence[str],
              positional: PositionalMode = "error") -> tuple[list[str], list[SearchResults]]:
    """Execute plans turn by turn with one cache; (error texts per failing turn, all results)."""
    env = T1Environment(positional=positional)
    errors, results = [], []
    for turn, plan in enumerate(plans, start=1):
        execution = env.run_plan(plan)
        results += execution.results
        if execution.error:
            errors.append(f"plan {turn}: {execution.error}")
    return errors, results


def _entity_values(call: T1Call) -> list[tuple[str, str]]:
    """(parameter, string value) pairs of a call's entity arguments (positional ones mapped)."""
    named = dict(zip((p.name for p in TOOL_PARAMS[call.name]), call.arguments.get(POSITIONAL_KEY, []),
                     strict=False))
    named.update({k: v for k, v in call.arguments.items() if k != POSITIONAL_KEY})
    pairs = []
    for param in ENTITY_PARAMETERS:
        value = named.get(param)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                pairs.append((param, item))
    return pairs


@cache
def _vocabularies() -> dict[str, frozenset[str]]:
    onto = load_ontology()
    return {"city": frozenset(onto.cities), "state": frozenset(onto.states),
            "neighborhood": frozenset(onto.neighborhoods), "type": frozenset(onto.types),
            "attraction_name": frozenset(attraction_names())}


class T1ToolCallChecker:
    """§6.7 rules on T1 plans. ``sources`` maps ids to source trajectories (for ``equivalent``)."""

    name = "rules.t1.tool_calls"
    target: CheckTarget = "tool_calls"

    def __init__(self, sources: Mapping[str, Trajectory] | None = None, *,
                 positional: PositionalMode = "error", seconds: float | None = TRAJECTORY_SECONDS) -> None:
        self.sources = sources
        self.positional = positional
        self.seconds = seconds

    def check(self, traj: Trajectory) -> Verdict:
        return within_budget(self._check, traj, self.target, self.name, self.seconds)

    def _check(self, traj: Trajectory) -> Verdict:
        outcome = RuleOutcome()
        found = t1_plans(traj)
        if not any(c.name != "print" for c in found.calls):
            outcome.fail("has_calls", "no tool call")
        for error in found.parse_errors:
            outcome.fail("parses", error)
        transcript = instruction_transcript(traj)
        vocabularies = _vocabularies()
        for call in found.calls:
            problem = (check_call_arguments(call.name, call.arguments, self.positional) if call.bare_name
                       else f"method call .{call.name}() is not a T1 tool call")
            if problem:
                outcome.fail("schema", problem)
                continue
            if call.name not in GROUNDED_TOOLS:
                continue
            for param, value in _entity_values(call):
                if not value.strip() or not find_mentions(transcript, [value],
                                                          case_sensitive_upto=CASE_SENSITIVE_UPTO):
                    outcome.fail("grounded", f"{param} {value!r} does not occur in the conversation")
                if value not in vocabularies[param]:
                    outcome.note("unknown_entity", f"{param} {value!r} is not in the ontology")
        if not found.parse_errors:
            for error in run_plans(found.plans, self.positional)[0]:
                outcome.fail("executes", error)
        source = source_of(traj, self.sources)
        if source is not None and instruction_transcript(source) == transcript:
            # t1_exec in both directions ⟺ equal signature sets
            if t1_signatures(t1_plans(source).plans) != t1_signatures(found.plans):
                outcome.fail("equivalent", f"results differ from those of source {source.id!r}")
            outcome.details["equivalent"] = "checked"
        else:
            outcome.details["equivalent"] = "skipped"
        return outcome.verdict(traj, "tool_calls", self.name)

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return [self.check(t) for t in trajectories]


class T1OutputChecker:
    """§6.7 rules on T1 outputs (``strict`` = option ``t1_output_strict``)."""

    name = "rules.t1.output"
    target: CheckTarget = "output"

    def __init__(self, *, strict: bool = False, positional: PositionalMode = "error",
                 seconds: float | None = TRAJECTORY_SECONDS) -> None:
        self.strict = strict
        self.positional = positional
        self.seconds = seconds

    def check(self, traj: Trajectory) -> Verdict:
        return within_budget(self._check, traj, self.target, self.name, self.seconds)

    def _check(self, traj: Trajectory) -> Verdict:
        outcome = RuleOutcome()
        output = traj.output or ""
        if not output.strip():
            outcome.fail("empty_output", "the output is empty or missing")
            return outcome.verdict(traj, "output", self.name)
        transcript = instruction_transcript(traj)
        types = attraction_types()
        for extra in sorted(find_mentions(output, types) - find_mentions(transcript, types)):
            outcome.fail("type_consistent", f"type {extra!r} is in the output but not in the conversation")
        if self.strict:
            onto = load_ontology()
            places = [*onto.cities, *onto.states]
            mentioned = find_mentions(output, places, case_sensitive_upto=CASE_SENSITIVE_UPTO)
            stated = find_mentions(transcript, places, case_sensitive_upto=CASE_SENSITIVE_UPTO)
            for extra in sorted(mentioned - stated):
                outcome.fail("location_consistent", f"{extra!r} is in the output but not in the conversation")
            names = find_mentions(output, attraction_names())
            if names:
                _, results = run_plans(t1_plans(traj).plans, self.positional)
                produced = {r["attraction_name"] for result in results for r in result.records}
                for extra in sorted(names - produced):
                    outcome.fail("names_grounded", f"{extra!r} is not among the tool-call results")
        return outcome.verdict(traj, "output", self.name)

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return [self.check(t) for t in trajectories]
