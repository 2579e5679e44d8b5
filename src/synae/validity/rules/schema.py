"""Schema check of tool calls against declared tool definitions (``docs/method.md`` §6.6).

For each call: the name must be a declared tool; the arguments must satisfy the parameter schema —
required parameters present; no undeclared parameter; JSON types (``string`` ← str, ``integer`` ←
int but not bool, ``number`` ← int or float, ``boolean`` ← bool, ``array`` ← list with items checked
recursively, ``object`` ← dict); ``enum`` membership. Positional arguments (``__args__``) are mapped
to parameter names in the order given by ``positional_names`` (a BFCL method's Python signature)
when known, else in the order of the schema's ``properties``; surplus positional arguments are
errors. ``{"$var"}``/``{"$expr"}`` values are accepted only for parameters in ``object_parameters``
(elsewhere ``non_literal_argument``).

Example::

    >>> tools = {"cd": {"type": "object", "properties": {"folder": {"type": "string"}},
    ...                 "required": ["folder"]}}
    >>> schema_problems("cd", {"folder": 3}, tools)
    [('wrong_type', "cd(): parameter 'folder' must be string, got int")]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from synae.schema import Trajectory
from synae.toolcalls import POSITIONAL_KEY
from synae.validity.rules.base import RuleOutcome
from synae.validity.verdict import CheckTarget, Verdict

Problem = tuple[str, str]  # (short code, message)

_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def is_object_reference(value: Any) -> bool:
    """An encoded non-literal argument: ``{"$var": …}`` or ``{"$expr": …}``."""
    return isinstance(value, dict) and len(value) == 1 and ("$var" in value or "$expr" in value)


def tool_parameters(tools: Sequence[Mapping[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
    """Tool name → its parameter schema, from OpenAI tool definitions (malformed entries skipped)."""
    out: dict[str, Mapping[str, Any]] = {}
    for tool in tools or ():
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            parameters = function.get("parameters")
            out[function["name"]] = parameters if isinstance(parameters, Mapping) else {}
    return out


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def value_problems(value: Any, schema: Mapping[str, Any], where: str) -> list[Problem]:
    """Type and enum problems of one literal value against a JSON schema (recursive for arrays and
    objects with ``properties``). A schema without ``type`` accepts any type."""
    expected = schema.get("type")
    types = [expected] if isinstance(expected, str) else list(expected or [])
    known = [t for t in types if t in _TYPE_CHECKS]
    if known and not any(_TYPE_CHECKS[t](value) for t in known):
        return [("wrong_type", f"{where} must be {'/'.join(known)}, got {_type_name(value)}")]
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return [("not_in_enum", f"{where} must be one of {enum}, got {value!r}")]
    problems: list[Problem] = []
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        for i, item in enumerate(value):
            problems += value_problems(item, items, f"{where}[{i}]")
    properties = schema.get("properties")
    if isinstance(value, dict) and isinstance(properties, Mapping):
        for key, item in value.items():
            if isinstance(properties.get(key), Mapping):
                problems += value_problems(item, properties[key], f"{where}.{key}")
    return problems


def schema_problems(name: str, arguments: Mapping[str, Any], tools: Mapping[str, Mapping[str, Any]], *,
                    positional_names: Sequence[str] | None = None,
                    object_parameters: Collection[str] = ()) -> list[Problem]:
    """All §6.6 problems of one encoded call (empty list = valid)."""
    if name not in tools:
        return [("unknown_tool", f"'{name}' is not a declared tool")]
    schema = tools[name]
    properties = schema.get("properties") or {}
    order = list(positional_names) if positional_names is not None else list(properties)
    given: dict[str, Any] = {}
    problems: list[Problem] = []
    positional = arguments.get(POSITIONAL_KEY, [])
    if not isinstance(positional, list):
        positional = [positional]
    if len(positional) > len(order):
        problems.append(("too_many_positional",
                         f"{name}() takes {len(order)} positional arguments, {len(positional)} given"))
    given.update(zip(order, positional, strict=False))
    for key, value in arguments.items():
        if key == POSITIONAL_KEY:
            continue
        if key in given:
            problems.append(("duplicate_argument", f"{name}(): '{key}' given twice"))
        given[key] = value
    for key, value in given.items():
        where = f"{name}(): parameter '{key}'"
        if key not in properties:
            problems.append(("unknown_parameter", f"{name}(): unexpected parameter '{key}'"))
        elif is_object_reference(value):
            if key not in object_parameters:
                problems.append(("non_literal_argument", f"{where} must be a literal value"))
        else:
            problems += value_problems(value, properties[key], where)
    for key in schema.get("required") or ():
        if key not in given:
            problems.append(("missing_parameter", f"{name}(): missing required parameter '{key}'"))
    return problems


class SchemaChecker:
    """Generic §6.6 check of a trajectory's tool calls against its own ``tools``.

    Trajectories without tool definitions are unscored (``no_tool_definitions``); a trajectory
    without calls is vacuously valid. Reasons are the distinct problem codes.
    """

    name = "rules.schema"
    target: CheckTarget = "tool_calls"

    def __init__(self, object_parameters: Collection[str] = ()) -> None:
        self.object_parameters = frozenset(object_parameters)

    def check(self, traj: Trajectory) -> Verdict:
        outcome = RuleOutcome()
        tools = tool_parameters(traj.tools)
        if not tools:
            return outcome.verdict(traj, "tool_calls", self.name, unscored="no_tool_definitions")
        for message in traj.messages:
            for call in message.tool_calls or ():
                for code, text in schema_problems(call.function.name, call.function.parsed_arguments(), tools,
                                                  object_parameters=self.object_parameters):
                    outcome.fail(code, text)
        return outcome.verdict(traj, "tool_calls", self.name)

    def check_all(self, trajectories: Sequence[Trajectory]) -> list[Verdict]:
        return [self.check(t) for t in trajectories]
