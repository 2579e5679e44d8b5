"""BFCL multi-turn environments with safe dispatch (``docs/method.md`` §7.3).

Public API:

- ``BFCLEnvironment(involved_classes, initial_config)`` — one instance per involved class, each
  scenario loaded from a deep copy of ``initial_config[class]`` (MathAPI has no state; a configuration
  the class cannot load — malformed, or nested too deeply to copy — is a ``DataError``). Instances
  persist across the turns of one trajectory; build a new environment per trajectory *and per side*.

  - ``call(name, arguments) -> ToolResult``: ``arguments`` are the encoded dicts of
    :mod:`synae.toolcalls` (positional values under ``"__args__"``); ``$var``/``$expr`` values are
    errors. ``content`` is the BFCL result string; ``error`` is set when :func:`is_error_result`.
  - ``state() -> {class: {attribute: value}}``: the public instance attributes (live, not copies).
  - ``same_state(other) -> bool``: whether two environments' states are equal, compared by
    :func:`synae.envs.state.same_state` (iterative, shared subtrees compared once, cycle-safe) with
    the attributes each class's own ``__eq__`` compares (:func:`compared_fields`), within the current
    trajectory budget (:mod:`synae.envs.budget`: ``state_budget_exceeded``/``time_budget_exceeded``).
  - ``tool_definitions()``: the OpenAI definitions of the involved classes' function docs.

- :func:`is_error_result` — the §6.8 error rule on a result string.
- :func:`method_parameters` — Python parameter names per public method (positional mapping, §6.6).

The classes come from ``bfcl-eval==2026.3.23`` (imported lazily). Calls are dispatched by name to
public bound methods with literal arguments (integers beyond ±10^18 and arguments over 100 000
characters are refused, and so are arguments whose type is not the one the method declares and
arguments beyond each tool's semantic caps — :mod:`synae.envs.limits`: huge integer powers,
precisions over 1000 digits); every call runs under a
time limit (``timeout``, default 10 s) with a private decimal context and the mpmath precision
restored afterwards, so a call that runs too long is an error result and no call changes another's
numeric state; bfcl-eval's own multi-turn executor (which runs call
strings through Python evaluation and keeps instances in module globals) is never used.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
from collections.abc import Mapping, Sequence
from functools import cache
from types import ModuleType
from typing import Any

from synae.envs.base import ERROR_PREFIX, ToolResult
from synae.envs.budget import BudgetExceeded, current_budget
from synae.envs.limits import (
    CALL_TIMEOUT,
    CallTimeout,
    annotation_problem,
    bfcl_argument_problem,
    run_limited,
)
from synae.envs.state import same_state
from synae.errors import DataError, MissingDependencyError
from synae.toolcalls import POSITIONAL_KEY

INSTALL_HINT = "pip install --no-deps bfcl-eval==2026.3.23 mpmath==1.3.0"
_PACKAGE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
CLASS_MODULES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
STATELESS_CLASSES = frozenset({"MathAPI"})
REFUSED_NAMES = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})
MAX_INT = 10**18  # larger integer arguments are refused (no BFCL function needs them)
MAX_ARGUMENT_SIZE = 100_000  # characters of strings plus number of other values, per call


def _module(class_name: str) -> ModuleType:
    if class_name not in CLASS_MODULES:
        raise DataError(f"unknown BFCL class {class_name!r} (known: {', '.join(CLASS_MODULES)})",
                        field="involved_classes")
    try:
        return importlib.import_module(f"{_PACKAGE}.{CLASS_MODULES[class_name]}")
    except ImportError as exc:
        raise MissingDependencyError(f"bfcl-eval ({exc.name or exc})", INSTALL_HINT) from None


def environment_class(class_name: str) -> type:
    """The bfcl-eval class named ``class_name`` (lazy import with an install hint)."""
    cls: type = getattr(_module(class_name), class_name)
    return cls


@cache
def method_parameters(class_name: str) -> dict[str, list[str]]:
    """Public method name → its Python parameter names in signature order (without ``self``)."""
    cls = environment_class(class_name)
    out: dict[str, list[str]] = {}
    for name, function in inspect.getmembers(cls, predicate=inspect.isfunction):
        if name.startswith("_"):
            continue
        params = list(inspect.signature(function).parameters.values())[1:]
        out[name] = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return out


@cache
def compared_fields() -> dict[type, tuple[str, ...]]:
    """The attributes the file system's ``Directory.__eq__`` and ``File.__eq__`` compare (a parent
    link or a modification time never makes two states differ)."""
    module = _module("GorillaFileSystem")
    return {module.Directory: ("name", "contents"), module.File: ("name", "content")}


def result_string(result: Any) -> str:
    """BFCL's result string: str as is, dict via ``json.dumps`` (else ``str``), anything else ``str``.

    A value that cannot be rendered at all (e.g. an integer beyond Python's digit limit) yields an
    ``Error during execution:`` string instead of raising.
    """
    try:
        if type(result) is str:
            return result
        if type(result) is dict:
            try:
                return json.dumps(result)
            except (TypeError, ValueError):
                return str(result)
        return str(result)
    except (ValueError, RecursionError) as exc:
        return f"{ERROR_PREFIX}result cannot be rendered ({exc})"


def _oversized(value: Any, budget: list[int]) -> bool:
    """True when a literal argument exceeds the size limits (checked iteratively, ``budget`` =
    remaining characters/elements)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, float):
            budget[0] -= 1
        elif isinstance(item, int):
            if abs(item) > MAX_INT:
                return True
            budget[0] -= 1
        elif isinstance(item, str):
            budget[0] -= len(item)
        elif isinstance(item, list):
            budget[0] -= 1
            stack.extend(item)
        elif isinstance(item, dict):
            budget[0] -= 1
            stack.extend(item.keys())
            stack.extend(item.values())
        if budget[0] < 0:
            return True
    return False


def _error_of(content: str) -> str | None:
    if content.startswith(ERROR_PREFIX):
        return content[len(ERROR_PREFIX):]
    if content.startswith("{"):
        try:
            value = json.loads(content)
        except ValueError:
            return None
        if isinstance(value, dict) and "error" in value:
            return str(value["error"])
    return None


def is_error_result(content: str) -> bool:
    """True when a result string reports a failure: the call raised (``Error during execution: …``)
    or returned a dict with an ``error`` key (§6.8)."""
    return _error_of(content) is not None


def _is_reference(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and ("$var" in value or "$expr" in value)


class BFCLEnvironment:
    """The involved BFCL class instances of one trajectory (one side of a comparison)."""

    def __init__(self, involved_classes: Sequence[str], initial_config: Mapping[str, Any] | None = None,
                 *, long_context: bool = False, timeout: float = CALL_TIMEOUT) -> None:
        self.involved_classes = list(involved_classes)
        self.timeout = timeout
        config = initial_config or {}
        self.instances: dict[str, Any] = {}
        self._methods: dict[str, Any] = {}
        for class_name in self.involved_classes:
            instance = environment_class(class_name)()
            if class_name not in STATELESS_CLASSES:
                try:
                    scenario = copy.deepcopy(config.get(class_name, {}))
                    instance._load_scenario(scenario, long_context=long_context)
                except Exception as exc:  # malformed or nested too deeply (RecursionError) for the class
                    raise DataError(f"initial_config of {class_name} cannot be loaded ({type(exc).__name__}: "
                                    f"{exc})", field="environment.initial_config") from None
            self.instances[class_name] = instance
            for name, method in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not name.startswith("_"):
                    self._methods.setdefault(name, method)

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Dispatch one call to a public method; failures become ``Error during execution: …``."""
        if name in REFUSED_NAMES:
            return ToolResult.failure(f"Function call {name} is not allowed.")
        method = self._methods.get(name)
        if method is None:
            return ToolResult.failure(f"name '{name}' is not defined")
        positional = arguments.get(POSITIONAL_KEY, [])
        if not isinstance(positional, list):
            return ToolResult.failure("malformed positional arguments")
        keywords = {k: v for k, v in arguments.items() if k != POSITIONAL_KEY}
        if any(_is_reference(v) for v in (*positional, *keywords.values())):
            return ToolResult.failure(f"{name}() arguments must be literal values")
        if _oversized([positional, keywords], [MAX_ARGUMENT_SIZE]):
            return ToolResult.failure(f"{name}() arguments are too large")
        problem = self._argument_problem(name, method, positional, keywords)
        if problem is not None:
            return ToolResult.failure(problem)
        args, kwargs = copy.deepcopy(positional), copy.deepcopy(keywords)
        try:
            value = run_limited(lambda: method(*args, **kwargs), self.timeout)
        except CallTimeout as exc:
            return ToolResult.failure(f"{name}(): {exc}")
        except BudgetExceeded:  # the trajectory's budget, not this call, is spent: the caller decides
            raise
        except Exception as exc:  # a raising method is an error result, as in BFCL
            return ToolResult.failure(str(exc))
        content = result_string(value)
        return ToolResult(content=content, error=_error_of(content), value=value)

    def _argument_problem(self, name: str, method: Any, positional: list[Any],
                          keywords: dict[str, Any]) -> str | None:
        """An argument of the wrong declared type (:func:`synae.envs.limits.annotation_problem`) or
        beyond a semantic cap (:func:`synae.envs.limits.bfcl_argument_problem`), if any."""
        try:
            bound = inspect.signature(method).bind(*positional, **keywords).arguments
        except TypeError:  # wrong arguments: the call itself reports it
            return None
        problem = annotation_problem(method, bound)
        if problem is not None:
            return f"{name}(): argument {problem}"
        return bfcl_argument_problem(type(method.__self__).__name__, name, bound)

    def state(self) -> dict[str, dict[str, Any]]:
        """Per class, the public instance attributes (the live values, not copies)."""
        return {class_name: {k: v for k, v in vars(instance).items() if not k.startswith("_")}
                for class_name, instance in self.instances.items()}

    def same_state(self, other: BFCLEnvironment) -> bool:
        """Whether both environments' public states are equal (module docstring); raises
        :class:`~synae.envs.budget.BudgetExceeded` beyond the current trajectory budget."""
        budget = current_budget()
        if budget is None:
            return same_state(self.state(), other.state(), fields=compared_fields())
        budget.check()
        with budget.charging():
            return same_state(self.state(), other.state(), fields=compared_fields(), budget=budget)

    def tool_definitions(self) -> list[dict[str, Any]]:
        """OpenAI tool definitions converted from the function docs (``docs/method.md`` §1.5)."""
        from synae.adapters.bfcl import tool_definitions

        return tool_definitions(self.involved_classes)
