"""Rule-based validity of BFCL tool calls (``docs/method.md`` §6.8).

Valid iff (reason codes in parentheses): at least one call in the trajectory (``has_calls``;
individual empty turns are fine); every call string parses (``parses``); every name is a function
of one of ``environment.involved_classes`` (``unknown_function``); arguments pass the §6.6 schema
check against the function docs — the trajectory's ``tools``, else the converted docs of the
involved classes — with positional arguments mapped by the method's Python signature
(``schema``); and executing all calls in order in fresh environments (§7.3) yields no error result
(``executes``). Optional ``grounding``: every single-quoted literal in a call string occurs in the
conversation or in the initial state (``grounded``). A trajectory without ``involved_classes``,
or naming a class that is not one of the eight BFCL classes, or with an ``initial_config`` the
classes cannot load (malformed, nested too deeply), fails with ``environment``. A
trajectory whose calls use up ``seconds`` of environment time is unscored (``time_budget_exceeded``,
:func:`~synae.validity.rules.base.within_budget`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from synae.adapters.bfcl import tool_definitions
from synae.envs.bfcl import BFCLEnvironment, method_parameters
from synae.envs.budget import TRAJECTORY_SECONDS
from synae.errors import SynaeError
from synae.schema import Trajectory
from synae.toolcalls import render_call
from synae.validity.rules.base import RuleOutcome, message_parse_error, within_budget
from synae.validity.rules.schema import schema_problems, tool_parameters
from synae.validity.verdict import CheckTarget, Verdict
from synae.views import user_messages

_SINGLE_QUOTED = re.compile(r"'([^']*)'")


def _strings(value: Any) -> list[str]:
    """Every string (keys included) and number inside a JSON-like value, as text."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [] if value is None else [str(value)]


def _environment(traj: Trajectory) -> tuple[list[str], dict[str, Any]]:
    env = traj.environment or {}
    classes = env.get("involved_classes") or []
    config = env.get("initial_config") or {}
    return list(classes), dict(config)


class BFCLToolCallChecker:
    """§6.8 rules on BFCL trajectories (``grounding`` = option ``bfcl_grounding``; ``seconds`` =
    option ``trajectory_seconds``)."""

    name = "rules.bfcl.tool_calls"
    target: CheckTarget = "tool_calls"

    def __init__(self, *, grounding: bool = False, seconds: float | None = TRAJECTORY_SECONDS) -> None:
        self.grounding = grounding
        self.seconds = seconds

    def check(self, traj: Trajectory) -> Verdict:
        return within_budget(self._check, traj, self.target, self.name, self.seconds)

    def _check(self, traj: Trajectory) -> Verdict:
        outcome = RuleOutcome()
        classes, config = _environment(traj)
        if not classes:
            outcome.fail("environment", "the trajectory names no involved_classes")
            return outcome.verdict(traj, "tool_calls", self.name)
        try:
            parameters = {name: params for cls in classes for name, params in method_parameters(cls).items()}
            tools = tool_parameters(traj.tools or tool_definitions(classes))
        except SynaeError as exc:
            outcome.fail("environment", str(exc))
            return outcome.verdict(traj, "tool_calls", self.name)
        calls = [c for m in traj.messages if m.role == "assistant" for c in m.tool_calls or ()]
        if not calls:
            outcome.fail("has_calls", "no tool call")
        for message in traj.messages:
            error = message_parse_error(message)
            if error:
                outcome.fail("parses", error)
        for call in calls:
            name, arguments = call.function.name, call.function.parsed_arguments()
            if name not in parameters:
                owners = ", ".join(classes) or "no class"
                outcome.fail("unknown_function", f"'{name}' is not a function of {owners}")
                continue
            for _, text in schema_problems(name, arguments, tools, positional_names=parameters[name]):
                outcome.fail("schema", text)
        try:
            env = BFCLEnvironment(classes, config)
        except SynaeError as exc:
            outcome.fail("environment", str(exc))
            return outcome.verdict(traj, "tool_calls", self.name)
        for call in calls:
            result = env.call(call.function.name, call.function.parsed_arguments())
            if result.error is not None:
                rendered = render_call(call.function.name, call.function.parsed_arguments())
                outcome.fail("executes", f"{rendered[:200]}: {result.content[:300]}")
        if self.grounding:
            self._check_grounding(traj, config, outcome)
        return outcome.verdict(traj, "tool_calls", self.name)

    @staticmethod
    def _check_grounding(traj: Trajectory, config: dict[str, Any], outcome: RuleOutcome) -> None:
        context = "\n".join([*user_messages(traj), *_strings(config)])
        for message in traj.messages:
            if message.role != "assistant":
                continue
            strings = (message.code.splitlines() if message.code is not None
                       else [render_call(c.function.name, c.function.parsed_arguments())
                             for c in message.tool_calls or ()])
            for string in strings:
                for literal in _SINGLE_QUOTED.findall(string):
                    if literal not in context:
                        outcome.fail("grounded", f"'{literal}' is in neither the conversation nor the state")

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return [self.check(t) for t in trajectories]
