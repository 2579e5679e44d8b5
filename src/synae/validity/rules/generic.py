"""Rule-based validity of any chat data without a benchmark environment.

**Tool calls** (:class:`GenericToolCallChecker`) — the checks, in order, each with the reason code
it reports when it fails:

- ``parses`` — runs when the trajectory has a tool call or tool-call code; fails when an
  ``arguments`` string is not a JSON object, ``code`` does not parse
  (:func:`synae.toolcalls.parse_module`, never executed), or a message records a ``parse_error``;
- ``declared`` — runs when there are a tool call and tool definitions (``tools``); fails when a
  call names a tool that ``tools`` does not declare;
- ``schema`` — runs on each parsed call to a declared tool; fails when the arguments do not
  validate against the tool's ``parameters`` JSON Schema (:mod:`jsonschema`: the draft named by
  ``$schema``, else Draft 2020-12; no hand-written type rules);
- ``results_answer_calls`` — runs when the trajectory has a ``tool`` message; fails when a tool
  result's ``tool_call_id`` matches no earlier call of the trajectory.

A check that does not apply (e.g. ``declared``/``schema`` without ``tools``) is *not run*, never
failed. ``valid`` is ``False`` when a check that ran failed, ``True`` when at least one ran and
none failed, and ``None`` (unscored, reason ``no_applicable_check``) when none ran.

**Output** (:class:`GenericOutputChecker`): ``empty_output`` — the output is missing or only
whitespace (the LLM judge calls such outputs invalid too); then the answer checks of
:mod:`synae.validity.rules.output_checks`, which read the answer against the trajectory:

- ``ungrounded_values`` — "It is 25 °C in Bergen" when the only tool result says 12 °C in Oslo;
- ``ignores_tool_results`` — "Sorry, something went wrong." after a call that succeeded; "Done."
  after a weather lookup that returned data; another conversation's answer;
- ``unsupported_action_claim`` — "I've booked the meeting" with no booking/creating call, or with
  one whose result is an error;
- ``garbled_text`` — reversed words (".olsO ni ydwolc"), keyboard mash;
- ``truncated`` — "…so you might want to take a".

Without an output they are not run (reason ``no output``); without tool results the grounding
checks are not run. They cannot see semantic errors — a value that exists in the trajectory but is
attached to the wrong thing, a wrong conclusion, a paraphrased contradiction: those need the LLM
judge (``--validity llm``).

Every verdict records ``details["checks"]`` = check → ``"passed"`` / ``"failed"`` / ``"not_run"``
and ``details["not_run"]`` = check → why; :func:`check_counts` tallies them over many verdicts.
A tool whose ``parameters`` is not a valid JSON Schema is bad input: :class:`DataError` naming the
trajectory and the tool.

Example::

    >>> from synae.schema import Message, Trajectory
    >>> traj = Trajectory(id="t", messages=[Message(role="user", content="hi")], output=" ")
    >>> GenericOutputChecker().check(traj).reasons
    ['empty_output']
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from synae.errors import DataError
from synae.schema import Message, Trajectory, json_loads
from synae.validity.rules.base import RuleOutcome, message_parse_error
from synae.validity.rules.output_checks import ANSWER_CHECKS, output_checks
from synae.validity.rules.schema import tool_parameters
from synae.validity.verdict import CHECK_STATES, CheckTarget, Verdict, VerdictTally

if TYPE_CHECKING:  # jsonschema is imported where a trajectory's tool declares its parameters
    from jsonschema.protocols import Validator

CheckState = Literal["passed", "failed", "not_run"]
TOOL_CALL_CHECKS = ("parses", "declared", "schema", "results_answer_calls")
OUTPUT_CHECKS = ("empty_output", *ANSWER_CHECKS)


class _Checks:
    """Which checks ran and which failed, on top of a :class:`RuleOutcome`."""

    def __init__(self, names: Sequence[str]) -> None:
        self.outcome = RuleOutcome()
        self.states: dict[str, CheckState] = dict.fromkeys(names, "not_run")
        self.not_run: dict[str, str] = {}
        self.stopped = False  # by an error: see error()

    def ran(self, name: str) -> None:
        if self.states[name] == "not_run":  # only a check not run yet can have a reason not to run
            self.states[name] = "passed"
            self.not_run.pop(name, None)

    def fail(self, name: str, message: str) -> None:
        self.states[name] = "failed"
        self.not_run.pop(name, None)
        self.outcome.fail(name, message)

    def skip(self, name: str, why: str) -> None:
        if self.states[name] == "not_run":
            self.not_run[name] = why

    def error(self, exc: Exception) -> None:
        """The checks stopped on ``exc``: the verdict is unscored (``check_failed``, unless a check
        had failed already) and records the error instead of the checks' states."""
        self.outcome.details["check_error"] = f"{type(exc).__name__}: {exc}"
        self.stopped = True

    def _unscored(self) -> str | None:
        if self.stopped:
            return "check_failed"
        return None if not {"not_run"}.issuperset(self.states.values()) else "no_applicable_check"

    def verdict(self, traj: Trajectory, target: CheckTarget, checker: str) -> Verdict:
        """The verdict (these checks end with it: it holds their ``states`` and ``not_run``)."""
        if not self.stopped:
            self.outcome.details["checks"] = self.states
            self.outcome.details["not_run"] = self.not_run
        return self.outcome.verdict(traj, target, checker, unscored=self._unscored())

    def tally(self, tally: VerdictTally) -> None:
        """Count the verdict :meth:`verdict` would give without building it."""
        valid, reasons = self.outcome.judged(self._unscored())
        tally.add(valid, reasons, None if self.stopped else self.states)


def _parsed_arguments(text: str) -> dict[str, Any] | None:
    """The arguments object, or ``None`` when the string is not a JSON object."""
    try:
        value = json_loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _where(path: Sequence[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) or "arguments"


class GenericToolCallChecker:
    """The tool-call checks of the module docstring on a trajectory's own ``tools``."""

    name = "rules.generic"
    target: CheckTarget = "tool_calls"

    def __init__(self) -> None:
        self._validators: dict[str, Validator] = {}

    def _validator(self, traj: Trajectory, tool: str, schema: Mapping[str, Any]) -> Validator:
        """A validator for ``schema`` (compiled once per distinct schema)."""
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError
        from jsonschema.validators import validator_for

        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in self._validators:
            cls = validator_for(schema, default=Draft202012Validator)
            try:
                cls.check_schema(schema)
            except SchemaError as exc:
                raise DataError(f"tool {tool!r}: parameters is not a valid JSON Schema ({exc.message})",
                                location=f"trajectory {traj.id!r}", field="tools") from None
            self._validators[key] = cls(schema)
        return self._validators[key]

    def _schema_messages(self, traj: Trajectory, tool: str, schema: Mapping[str, Any],
                         arguments: dict[str, Any]) -> list[str]:
        from referencing.exceptions import Unresolvable

        try:
            errors = list(self._validator(traj, tool, schema).iter_errors(arguments))
        except Unresolvable as exc:
            raise DataError(f"tool {tool!r}: unresolvable reference in parameters ({exc})",
                            location=f"trajectory {traj.id!r}", field="tools") from None
        return [f"{tool}(): {_where(e.absolute_path)}: {e.message}"
                for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))]

    def check(self, traj: Trajectory) -> Verdict:
        return self._checks(traj).verdict(traj, "tool_calls", self.name)

    def tally_all(self, trajectories: Sequence[Trajectory], tally: VerdictTally) -> None:
        for t in trajectories:
            self._checks(t).tally(tally)

    def _checks(self, traj: Trajectory) -> _Checks:
        checks = _Checks(TOOL_CALL_CHECKS)
        tools = tool_parameters(traj.tools)
        seen: set[str] = set()
        for message in traj.messages:
            self._check_message(traj, message, tools, checks, seen)
        checks.skip("parses", "no tool calls")
        checks.skip("declared", "no tool calls" if tools else "no tool definitions")
        checks.skip("schema", "no parsed call to a declared tool" if tools else "no tool definitions")
        checks.skip("results_answer_calls", "no tool results")
        return checks

    def _check_message(self, traj: Trajectory, message: Message, tools: Mapping[str, Mapping[str, Any]],
                       checks: _Checks, seen: set[str]) -> None:
        error = message_parse_error(message)
        if error is not None or message.code is not None:
            checks.ran("parses")
        if error:
            checks.fail("parses", error)
        calls = message.tool_calls or ()
        unrecorded = set((message.metadata or {}).get("arguments_not_captured") or ()) if calls else set()
        for call in calls:
            seen.add(call.id)
            if call.id in unrecorded:  # a trace that did not capture the arguments: nothing to check
                continue
            checks.ran("parses")
            name = call.function.name
            arguments = _parsed_arguments(call.function.arguments)
            if arguments is None:
                text = call.function.arguments[:200]
                checks.fail("parses", f"{name}(): arguments are not a JSON object: {text}")
            if not tools:
                continue
            checks.ran("declared")
            if name not in tools:
                checks.fail("declared", f"'{name}' is not a declared tool")
                continue
            if arguments is None:
                continue
            checks.ran("schema")
            for text in self._schema_messages(traj, name, tools[name], arguments):
                checks.fail("schema", text)
        if message.role == "tool":
            checks.ran("results_answer_calls")
            if message.tool_call_id is None or message.tool_call_id not in seen:
                checks.fail("results_answer_calls",
                            f"tool result {message.tool_call_id!r} answers no earlier tool call")

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return [self.check(t) for t in trajectories]


class GenericOutputChecker:
    """``empty_output`` (the output must be present and not only whitespace), then the answer checks
    of :mod:`synae.validity.rules.output_checks`."""

    name = "rules.generic_output"
    target: CheckTarget = "output"

    def check(self, traj: Trajectory) -> Verdict:
        return self._checks(traj).verdict(traj, "output", self.name)

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return [self.check(t) for t in trajectories]

    def tally_all(self, trajectories: Sequence[Trajectory], tally: VerdictTally) -> None:
        for t in trajectories:
            self._checks(t).tally(tally)

    def _checks(self, traj: Trajectory) -> _Checks:
        checks = _Checks(OUTPUT_CHECKS)
        checks.ran("empty_output")
        if traj.output is None or not traj.output.strip():
            checks.fail("empty_output", "no output" if traj.output is None else "the output is empty")
        try:
            results, details = output_checks(traj)
        except Exception as exc:  # one trajectory's text costs its own verdict, never the run
            checks.error(exc)
            return checks
        checks.outcome.details.update(details)
        for check, result in results.items():
            if result.not_run is not None:
                checks.skip(check, result.not_run)
                continue
            checks.ran(check)
            for message in result.failures:
                checks.fail(check, message)
        return checks


def check_counts(verdicts: Sequence[Verdict]) -> dict[str, dict[str, int]]:
    """Per check, how many verdicts ``passed`` / ``failed`` / ``not_run`` it (verdicts that record
    ``details["checks"]``; others are ignored). The order is the checks' first appearance."""
    tally = VerdictTally()
    for verdict in verdicts:
        tally.add_verdict(verdict)
    return tally.checks()


__all__ = ["CHECK_STATES", "GenericOutputChecker", "GenericToolCallChecker", "check_counts"]
