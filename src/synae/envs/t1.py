"""The T1 attraction tools and the T1 plan interpreter (``docs/method.md`` §7.1).

Public API (used by the rule checkers, the downstream agent loop and ``complete``):

- :class:`T1Environment` — one trajectory run: the attraction database plus a cache that starts
  empty and persists across the user turns of the run.

  - ``run_plan(code) -> TurnExecution``: execute one turn's plan (§7.2) — ``calls`` (each with
    name, encoded arguments, :class:`~synae.envs.base.ToolResult`), ``error`` (first error text or
    ``None``), ``error_code``, ``results`` (the :class:`SearchResults` produced by
    ``search_attractions``/``filter_attractions``/``sort_results``, in order);
  - ``call(name, arguments)``: one tool call with encoded literal arguments (``$var``/``$expr`` are
    errors outside a plan);
  - ``cache_summary() -> {key: query_summary}``; ``cache_contents(max_records=30)`` for the output
    prompt; ``tool_definitions()``.

- :func:`t1_tool_definitions` (OpenAI format), :func:`t1_tool_docs` (agent-facing text, §7.2),
  :func:`check_call_arguments` (static parameter check of one encoded call, §6.7 ``schema``),
  :func:`result_signature` (§7.6).

Plans are walked as :mod:`ast` trees and never executed by Python: only assignments to one plain
name, expression statements and ``pass`` are allowed; expressions are calls to the seven tools and
``print``, literals, and names bound earlier in the same turn. Anything else is an
``unsupported_construct`` error at that statement. At most :data:`MAX_CALLS_PER_TURN` calls per turn.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from synae.envs.base import ToolResult
from synae.envs.limits import CALL_TIMEOUT, CallTimeout, run_limited
from synae.envs.t1_ontology import T1_TOOLS, load_ontology
from synae.toolcalls import (
    NOT_LITERAL,
    POSITIONAL_KEY,
    SourceText,
    encode_arguments,
    literal_value,
    parsed_module,
)

MAX_CALLS_PER_TURN = 200
MAX_STRING_CHARS = 10_000  # longest string literal the interpreter accepts
MAX_CONTAINER_ITEMS = 1_000  # most elements in one list/tuple/dict literal
MAX_EXPRESSION_DEPTH = 32  # deepest syntax tree of one statement
MAX_SHOWN_RECORDS = 30  # records listed in a result's content string

STRING_FILTERS = ("city", "state")
LIST_FILTERS = ("neighborhood", "type", "attraction_name")
ENTITY_PARAMETERS = ("city", "state", "neighborhood", "attraction_name", "type")
ATTRACTION_TOOLS = T1_TOOLS
RESULT_TOOLS = frozenset({"search_attractions", "filter_attractions", "sort_results"})
INTERPRETER_FUNCTIONS = (*ATTRACTION_TOOLS, "seek_information", "print")
GROUP_BY_VALUES = ("hotel", "restaurant", "attraction")
NO_JOIN_DATA = "no hotel/restaurant data in the attraction domain"

PositionalMode = Literal["error", "map"]


# --------------------------------------------------------------------------------------------
# Data and result objects (§7.1)


@cache
def attraction_names() -> tuple[str, ...]:
    """Distinct attraction names of the database in first-appearance order."""
    return tuple(dict.fromkeys(r["attraction_name"] for r in load_ontology().records))


def attraction_types() -> tuple[str, ...]:
    """The 9 attraction types (Art, Social, Historical, …)."""
    return tuple(load_ontology().types)


@cache
def _term_pattern(term: str, case_sensitive: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", 0 if case_sensitive else re.IGNORECASE)


def find_mentions(text: str, terms: Iterable[str], *, case_sensitive_upto: int = 0) -> set[str]:
    """The terms that occur in ``text`` as a whole word or phrase (not preceded or followed by a
    word character). Case-insensitive, except terms of at most ``case_sensitive_upto`` characters,
    which must match exactly (state codes ``OR``/``IN`` versus the words "or"/"in")."""
    folded = text.casefold()
    found = set()
    for term in terms:
        exact = len(term) <= case_sensitive_upto
        if (term in text if exact else term.casefold() in folded) and _term_pattern(term, exact).search(text):
            found.add(term)
    return found


@dataclass(frozen=True)
class LineageStep:
    """One tool call that contributed to a :class:`SearchResults`: name and literal arguments."""

    tool: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class SearchResults:
    """Attraction records (order preserved), the agent-facing summary, and the producing calls.

    ``description`` is the summary without its count sentence; :attr:`query_summary` adds
    "There are N attractions that matched this query!" on a new line when there are results.
    """

    records: tuple[Mapping[str, Any], ...]
    description: str
    lineage: tuple[LineageStep, ...] = ()

    @property
    def query_summary(self) -> str:
        if not self.records:
            return self.description
        return f"{self.description}\nThere are {len(self.records)} attractions that matched this query!"

    def identities(self) -> frozenset[tuple[str, str, str]]:
        """The attraction identities (attraction_name, city, state) it contains."""
        return frozenset((r["attraction_name"], r["city"], r["state"]) for r in self.records)


def render_records(records: Sequence[Mapping[str, Any]],
                   max_records: int | None = None) -> list[dict[str, Any]]:
    """Records reduced to the fields agents see (name, city, state, type, neighborhood)."""
    shown = records if max_records is None else records[:max_records]
    return [{"attraction_name": r["attraction_name"], "city": r["city"], "state": r["state"],
             "type": r["type"], "neighborhood": r["neighborhood"]} for r in shown]


def _result_content(value: Any) -> str:
    if isinstance(value, SearchResults):
        lines = [value.query_summary]
        lines += [f"- {r['attraction_name']} ({r['type']}; {r['neighborhood']}, {r['city']}, {r['state']})"
                  for r in render_records(value.records, MAX_SHOWN_RECORDS)]
        if len(value.records) > MAX_SHOWN_RECORDS:
            lines.append(f"... {len(value.records) - MAX_SHOWN_RECORDS} more")
        return "\n".join(lines)
    return "None" if value is None else str(value)


def result_signature(results: SearchResults) -> tuple[Any, ...]:
    """Signature of a result for ``t1_exec`` (§7.6).

    Non-empty: ``("found", identities)``. Empty: ``("empty", criteria)`` where criteria is the set of
    (parameter, case-folded values) of every search and filter in the lineage, so that two empty
    results match only when they come from the same criteria.
    """
    if results.records:
        return ("found", results.identities())
    criteria = set()
    for step in results.lineage:
        if step.tool not in ("search_attractions", "filter_attractions"):
            continue
        for name, value in step.arguments.items():
            values = value if isinstance(value, list) else [value]
            criteria.add((name, frozenset(str(v).strip().casefold() for v in values)))
    return ("empty", frozenset(criteria))


# --------------------------------------------------------------------------------------------
# Parameters (§7.1): one table drives validation, OpenAI definitions and documentation


@dataclass(frozen=True)
class Param:
    name: str
    kind: Literal["string", "string_list", "boolean", "results"]
    required: bool = False
    default: Any = None
    description: str = ""


_FILTER_PARAMS = (
    Param("city", "string", description="City name exactly as in the database, e.g. \"Boston\"."),
    Param("state", "string", description="Two-letter state code, e.g. \"MA\"."),
    Param("neighborhood", "string_list", description="Neighborhood names; a record matches any of them."),
    Param("type", "string_list", description="Attraction types (Art, Social, Historical, Touristy, Cultural, "
          "Sporting, Culinary, Scenic, Guided); a record matches any of them."),
    Param("attraction_name", "string_list", description="Attraction names; a record matches any of them."),
)
TOOL_PARAMS: dict[str, tuple[Param, ...]] = {
    "search_attractions": _FILTER_PARAMS,
    "filter_attractions": (Param("prior_results", "results", required=True,
                                 description="Results of an earlier search, filter or sort."),
                           *_FILTER_PARAMS),
    "search_nearest": (
        Param("hotels", "results", description="Hotel search results."),
        Param("attractions", "results", description="Attraction search results."),
        Param("restaurants", "results", description="Restaurant search results."),
        Param("groupBy", "string", required=True,
              description="Entity to group by: \"hotel\", \"restaurant\" or \"attraction\"."),
    ),
    "sort_results": (
        Param("results", "results", required=True, description="Results to sort."),
        Param("column", "string", required=True,
              description="Record field to sort by, e.g. \"attraction_name\"."),
        Param("ascending", "boolean", default=True, description="Sort order; default true."),
    ),
    "get_results_from_cache": (Param("key", "string", required=True, description="Cache key."),),
    "save_to_cache": (Param("key", "string", required=True,
                            description="Cache key (overwritten if present)."),
                      Param("value", "results", required=True, description="Results to store.")),
    "seek_information": (Param("query", "string", required=True, description="What to ask the user."),),
}
_POSITIONAL_ALWAYS = frozenset({"seek_information"})


class ToolError(Exception):
    """A call that cannot succeed: invalid arguments or an execution failure."""


class _ObjectRef:
    """Placeholder for a ``$var``/``$expr`` argument in static checks (a value of unknown type)."""


_OBJECT_REF = _ObjectRef()


def _check_value(tool: str, param: Param, value: Any) -> None:
    where = f"{tool}() parameter '{param.name}'"
    if isinstance(value, _ObjectRef):
        if param.kind != "results":
            raise ToolError(f"{where} needs a literal value")
        return
    if param.kind == "string" and not isinstance(value, str):
        raise ToolError(f"{where} must be a string, not {type(value).__name__}")
    is_string_list = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if param.kind == "string_list" and not is_string_list:
        raise ToolError(f"{where} must be a list of strings, not {type(value).__name__}")
    if param.kind == "boolean" and not isinstance(value, bool):
        raise ToolError(f"{where} must be a boolean, not {type(value).__name__}")
    if param.kind == "results" and not isinstance(value, SearchResults):
        raise ToolError(f"{where} must be a SearchResults object, not {type(value).__name__}")


def bind_arguments(tool: str, positional: Sequence[Any], keywords: Mapping[str, Any],
                   positional_mode: PositionalMode = "error") -> dict[str, Any]:
    """Validate one call's arguments against §7.1 and return them by parameter name.

    Unknown keywords, surplus or (for the six attraction tools, unless ``positional_mode="map"``)
    any positional arguments, wrong types and missing required parameters raise :class:`ToolError`.
    A parameter passed as ``None`` counts as not given — except SearchResults parameters, where
    ``None`` (e.g. from a cache miss) is an error; defaults are filled in.
    """
    params = TOOL_PARAMS[tool]
    by_name = {p.name: p for p in params}
    bound: dict[str, Any] = {}
    if positional:
        if tool not in _POSITIONAL_ALWAYS and positional_mode != "map":
            raise ToolError(f"{tool}() accepts keyword arguments only")
        if len(positional) > len(params):
            raise ToolError(f"{tool}() takes {len(params)} arguments but {len(positional)} were given")
        bound.update(zip((p.name for p in params), positional, strict=False))
    for name, value in keywords.items():
        if name not in by_name:
            raise ToolError(f"{tool}() got an unexpected keyword argument '{name}'")
        if name in bound:
            raise ToolError(f"{tool}() got multiple values for argument '{name}'")
        bound[name] = value
    bound = {k: v for k, v in bound.items() if v is not None or by_name[k].kind == "results"}
    for p in params:
        if p.name in bound:
            _check_value(tool, p, bound[p.name])
        elif p.required:
            raise ToolError(f"{tool}() missing required argument '{p.name}'")
        elif p.default is not None:
            bound[p.name] = p.default
    return bound


def check_call_arguments(name: str, arguments: Mapping[str, Any],
                         positional_mode: PositionalMode = "error") -> str | None:
    """Static §6.7 ``schema`` check of one encoded call: ``None`` if valid, else the problem.

    ``$var``/``$expr`` values are accepted only for SearchResults parameters; tool-specific rules
    that need no execution (city or state for a search, exactly two inputs for ``search_nearest``,
    a valid ``groupBy``) are checked too. ``print`` accepts anything.
    """
    if name == "print":
        return None
    if name not in TOOL_PARAMS:
        return f"'{name}' is not a T1 tool"

    def decode(v: Any) -> Any:
        return _OBJECT_REF if isinstance(v, dict) and set(v) in ({"$var"}, {"$expr"}) else v

    positional = arguments.get(POSITIONAL_KEY, [])
    if not isinstance(positional, list):
        return "malformed positional arguments"
    keywords = {k: decode(v) for k, v in arguments.items() if k != POSITIONAL_KEY}
    try:
        bound = bind_arguments(name, [decode(v) for v in positional], keywords, positional_mode)
        _check_tool_rules(name, bound)
    except ToolError as exc:
        return str(exc)
    return None


def _check_tool_rules(tool: str, bound: Mapping[str, Any]) -> None:
    """Rules beyond per-parameter types (§7.1)."""
    if tool == "search_attractions" and "city" not in bound and "state" not in bound:
        raise ToolError("search_attractions() needs at least one of 'city' and 'state'")
    if tool == "search_nearest":
        given = [k for k in ("hotels", "attractions", "restaurants") if k in bound]
        if len(given) != 2:
            raise ToolError(f"search_nearest() needs exactly two of hotels, attractions, restaurants "
                            f"({len(given)} given)")
        if bound["groupBy"] not in GROUP_BY_VALUES:
            raise ToolError(f"search_nearest() groupBy must be one of {', '.join(GROUP_BY_VALUES)}")


# --------------------------------------------------------------------------------------------
# The tools (§7.1)


def _matches(record: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    for name, value in conditions.items():
        if isinstance(value, str):
            if record[name] != value:
                return False
        elif record[name] not in value:
            return False
    return True


def _list_clauses(conditions: Mapping[str, Any]) -> list[str]:
    labels = {"neighborhood": "neighborhood(s)", "type": "attraction type(s)",
              "attraction_name": "attraction name(s)"}
    return [f"{labels[k]}: [{', '.join(conditions[k])}]" for k in LIST_FILTERS if k in conditions]


def _conditions(bound: Mapping[str, Any]) -> dict[str, Any]:
    return {k: bound[k] for k in (*STRING_FILTERS, *LIST_FILTERS) if k in bound}


def _lineage_args(conditions: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in conditions.items()}


LocationIndex = dict[tuple[str, str], tuple[Mapping[str, Any], ...]]


def _location_index(records: Sequence[Mapping[str, Any]]) -> LocationIndex:
    """(``city``/``state``, value) → the records with that value, in file order."""
    index: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for record in records:
        for name in STRING_FILTERS:
            index.setdefault((name, record[name]), []).append(record)
    return {key: tuple(rows) for key, rows in index.items()}


@cache
def _default_records() -> tuple[Mapping[str, Any], ...]:
    return tuple(load_ontology().records)


@cache
def _default_index() -> LocationIndex:
    return _location_index(_default_records())


class T1Environment:
    """One trajectory run of the T1 attraction tools: database + cache (fresh on construction)."""

    def __init__(self, records: Sequence[Mapping[str, Any]] | None = None, *,
                 positional: PositionalMode = "error", timeout: float = CALL_TIMEOUT) -> None:
        self.records: tuple[Mapping[str, Any], ...] = tuple(records) if records is not None \
            else _default_records()
        self._index = _location_index(self.records) if records is not None else _default_index()
        self.positional = positional
        self.timeout = timeout  # seconds per tool call (synae.envs.limits.run_limited)
        self.cache: dict[str, SearchResults] = {}
        self._tools: dict[str, Callable[[Mapping[str, Any]], Any]] = {
            "search_attractions": self._search_attractions,
            "filter_attractions": self._filter_attractions,
            "search_nearest": self._search_nearest,
            "sort_results": self._sort_results,
            "get_results_from_cache": self._get_results_from_cache,
            "save_to_cache": self._save_to_cache,
            "seek_information": lambda bound: None,
        }

    # -- tools ------------------------------------------------------------------------------

    def _search_attractions(self, bound: Mapping[str, Any]) -> SearchResults:
        conditions = _conditions(bound)
        field_name = "city" if "city" in bound else "state"  # at least one is given (checked)
        candidates = self._index.get((field_name, bound[field_name]), ())
        found = tuple(r for r in candidates if _matches(r, conditions))
        place = ", ".join(bound[k] for k in STRING_FILTERS if k in bound)
        description = ", ".join([f"Attraction search results in {place}", *_list_clauses(conditions)]) + "."
        step = LineageStep("search_attractions", _lineage_args(conditions))
        return SearchResults(found, description, (step,))

    def _filter_attractions(self, bound: Mapping[str, Any]) -> SearchResults:
        prior: SearchResults = bound["prior_results"]
        conditions = _conditions(bound)
        found = tuple(r for r in prior.records if _matches(r, conditions))
        clauses = [f"{k}: {bound[k]}" for k in STRING_FILTERS if k in bound] + _list_clauses(conditions)
        criteria = ", ".join(clauses) if clauses else "no additional criteria"
        description = f"{prior.description}\nAdditionally filtering for {criteria}."
        step = LineageStep("filter_attractions", _lineage_args(conditions))
        return SearchResults(found, description, (*prior.lineage, step))

    def _search_nearest(self, bound: Mapping[str, Any]) -> None:
        raise ToolError(NO_JOIN_DATA)

    def _sort_results(self, bound: Mapping[str, Any]) -> SearchResults:
        prior: SearchResults = bound["results"]
        column, ascending = bound["column"], bound["ascending"]
        if prior.records and any(column not in r for r in prior.records):
            raise ToolError(f"sort_results(): the records have no field '{column}'")
        # ``sorted`` is stable in both directions: ties keep their input order.
        ordered = tuple(sorted(prior.records, key=lambda r: r[column], reverse=not ascending))
        order = "ascending" if ascending else "descending"
        description = f"{prior.description}\nResults sorted by {column} in {order} order."
        step = LineageStep("sort_results", {"column": column, "ascending": ascending})
        return SearchResults(ordered, description, (*prior.lineage, step))

    def _get_results_from_cache(self, bound: Mapping[str, Any]) -> SearchResults | None:
        return self.cache.get(bound["key"])

    def _save_to_cache(self, bound: Mapping[str, Any]) -> None:
        self.cache[bound["key"]] = bound["value"]

    # -- dispatch ---------------------------------------------------------------------------

    def invoke(self, name: str, positional: Sequence[Any], keywords: Mapping[str, Any]) -> ToolResult:
        """Run one tool on Python values (SearchResults objects allowed); errors in the result."""
        if name not in self._tools:
            return ToolResult.failure(f"name '{name}' is not defined")
        try:
            bound = bind_arguments(name, positional, keywords, self.positional)
            _check_tool_rules(name, bound)
            value = run_limited(lambda: self._tools[name](bound), self.timeout)
        except (ToolError, CallTimeout) as exc:
            return ToolResult.failure(str(exc))
        return ToolResult(content=_result_content(value), value=value)

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """One call with encoded arguments; object references (``$var``/``$expr``) are errors here."""
        positional = arguments.get(POSITIONAL_KEY, [])
        keywords = {k: v for k, v in arguments.items() if k != POSITIONAL_KEY}
        if any(isinstance(v, dict) and set(v) & {"$var", "$expr"} for v in (*positional, *keywords.values())):
            return ToolResult.failure("object references are only available inside a plan")
        return self.invoke(name, positional, keywords)

    def tool_definitions(self) -> list[dict[str, Any]]:
        return t1_tool_definitions()

    # -- cache views ------------------------------------------------------------------------

    def cache_summary(self) -> dict[str, str]:
        """{key: query_summary} of the current cache contents (agent-facing)."""
        return {key: value.query_summary for key, value in self.cache.items()}

    def cache_contents(self, max_records: int = 30) -> dict[str, dict[str, Any]]:
        """Per key: summary, at most ``max_records`` records (name, city, state, type, neighborhood),
        the total count and whether the list was capped (§7.5)."""
        return {key: {"summary": value.query_summary,
                      "records": render_records(value.records, max_records),
                      "n_records": len(value.records),
                      "truncated": len(value.records) > max_records}
                for key, value in self.cache.items()}

    # -- plans ------------------------------------------------------------------------------

    def run_plan(self, code: str) -> TurnExecution:
        """Execute one turn's plan (§7.2); the cache persists, variables die with the turn."""
        return _Interpreter(self, code).run()


# --------------------------------------------------------------------------------------------
# The interpreter (§7.2)


@dataclass
class CallRecord:
    """One call the interpreter made: callee, encoded arguments, result and source line."""

    name: str
    arguments: dict[str, Any]
    result: ToolResult
    line: int


@dataclass
class TurnExecution:
    """What one turn's plan did. ``error_code`` is one of ``syntax_error``, ``unsupported_construct``,
    ``name_error``, ``too_many_calls``, ``tool_error`` (or ``None``)."""

    code: str
    calls: list[CallRecord] = field(default_factory=list)
    error: str | None = None
    error_code: str | None = None
    results: list[SearchResults] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


class _TurnError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_LITERAL_NODES = (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.UnaryOp)
_CONTEXT_NODES = (ast.Load, ast.Store, ast.USub, ast.UAdd)


def _check_statement(stmt: ast.stmt) -> None:
    """Reject anything outside the allowed statement and expression forms before running it."""
    where = f"line {stmt.lineno}"
    if isinstance(stmt, ast.Assign):
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise _TurnError("unsupported_construct", f"unsupported assignment at {where}")
        roots: list[ast.AST] = [stmt.value]
    elif isinstance(stmt, ast.Expr):
        roots = [stmt.value]
    elif isinstance(stmt, ast.Pass):
        return
    else:
        raise _TurnError("unsupported_construct", f"unsupported statement {type(stmt).__name__} at {where}")
    stack = [(root, 1) for root in roots]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH:
            raise _TurnError("unsupported_construct", f"expression nested too deeply at {where}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise _TurnError("unsupported_construct", f"only plain names can be called ({where})")
            if any(isinstance(a, ast.Starred) for a in node.args) or None in (k.arg for k in node.keywords):
                raise _TurnError("unsupported_construct", f"argument unpacking is unsupported ({where})")
            children: list[ast.AST] = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, ast.Name):
            children = []
        elif isinstance(node, _LITERAL_NODES):
            if literal_value(node) is NOT_LITERAL:
                raise _TurnError("unsupported_construct",
                                 f"unsupported expression {type(node).__name__} at {where}")
            children = list(ast.iter_child_nodes(node))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and len(node.value) > MAX_STRING_CHARS:
                raise _TurnError("unsupported_construct", f"string literal too long at {where}")
            if isinstance(node, (ast.List, ast.Tuple, ast.Dict)) and len(children) > 2 * MAX_CONTAINER_ITEMS:
                raise _TurnError("unsupported_construct", f"literal too large at {where}")
        elif isinstance(node, _CONTEXT_NODES):
            children = []
        else:
            raise _TurnError("unsupported_construct",
                             f"unsupported expression {type(node).__name__} at {where}")
        stack.extend((child, depth + 1) for child in children)


class _Interpreter:
    """Executes one plan against an environment; a fresh instance per turn."""

    def __init__(self, env: T1Environment, code: str) -> None:
        self.env = env
        self.code = code
        self.source = SourceText(code)
        self.variables: dict[str, Any] = {}
        self.execution = TurnExecution(code=code)

    def run(self) -> TurnExecution:
        tree = parsed_module(self.code)
        if isinstance(tree, str):
            self.execution.error, self.execution.error_code = tree, "syntax_error"
            return self.execution
        try:
            for stmt in tree.body:
                _check_statement(stmt)
                if isinstance(stmt, ast.Assign):
                    self.variables[stmt.targets[0].id] = self._evaluate(stmt.value)  # type: ignore[attr-defined]
                elif isinstance(stmt, ast.Expr):
                    self._evaluate(stmt.value)
        except _TurnError as exc:
            self.execution.error, self.execution.error_code = str(exc), exc.code
        return self.execution

    def _evaluate(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Name):
            if node.id not in self.variables:
                raise _TurnError("name_error", f"name '{node.id}' is not defined")
            return self.variables[node.id]
        return literal_value(node)  # checked by _check_statement

    def _call(self, node: ast.Call) -> Any:
        name = node.func.id  # type: ignore[attr-defined]
        if name not in INTERPRETER_FUNCTIONS:
            raise _TurnError("name_error", f"name '{name}' is not defined")
        positional = [self._evaluate(a) for a in node.args]
        # ``**splat`` arguments never get here: the walk above refuses them
        keywords = {k.arg: self._evaluate(k.value) for k in node.keywords if k.arg is not None}
        if len(self.execution.calls) >= MAX_CALLS_PER_TURN:
            raise _TurnError("too_many_calls", f"more than {MAX_CALLS_PER_TURN} calls in one turn")
        result = ToolResult(content="") if name == "print" else self.env.invoke(name, positional, keywords)
        arguments = encode_arguments(node, self.source)
        self.execution.calls.append(CallRecord(name, arguments, result, node.lineno))
        if result.error is not None:
            raise _TurnError("tool_error", result.error)
        if name in RESULT_TOOLS:
            self.execution.results.append(result.value)
        return result.value


# --------------------------------------------------------------------------------------------
# Agent-facing definitions and documentation (§7.2)

_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"}, "string_list": {"type": "array", "items": {"type": "string"}},
    "boolean": {"type": "boolean"},
    "results": {"type": "object", "description": "A SearchResults object (a variable)."}}

_TOOL_DOCS: dict[str, tuple[str, tuple[str, ...]]] = {
    "search_attractions": (
        "Search the attraction database; keeps the attractions that match every given criterion "
        "exactly (at least one of city and state is required).",
        ('attractions = search_attractions(city="Boston", state="MA")',
         'attractions = search_attractions(state="CO", type=["Guided", "Scenic"])')),
    "filter_attractions": (
        "Narrow earlier results to the attractions that match every given criterion exactly.",
        ('art = filter_attractions(prior_results=attractions, type=["Art"])',
         'filtered = filter_attractions(prior_results=get_results_from_cache(key="attractions"), '
         'neighborhood=["Back Bay"])')),
    "search_nearest": (
        "Join two result sets by distance and group them by one entity; the attraction-only domain "
        "has no hotel or restaurant data, so this always fails here.",
        ('nearest = search_nearest(hotels=hotels, attractions=attractions, groupBy="hotel")',)),
    "sort_results": (
        "Sort results by one record field (stable; ascending by default).",
        ('by_name = sort_results(results=attractions, column="attraction_name")',
         'sorted_desc = sort_results(results=attractions, column="latitude", ascending=False)')),
    "get_results_from_cache": (
        "Return the results saved under a key, or None when nothing is saved under it.",
        ('attractions = get_results_from_cache(key="attractions")',)),
    "save_to_cache": (
        "Save results under a key for later turns (overwrites an existing entry); returns nothing.",
        ('save_to_cache(key="boston_art", value=art)',)),
}
_RETURNS = {
    "search_attractions": "SearchResults", "filter_attractions": "SearchResults",
    "sort_results": "SearchResults", "search_nearest": "SearchResults (never, see above)",
    "get_results_from_cache": "SearchResults or None", "save_to_cache": "nothing",
}


def t1_tool_definitions() -> list[dict[str, Any]]:
    """OpenAI function definitions of the six attraction tools."""
    out = []
    for name in ATTRACTION_TOOLS:
        properties = {}
        for p in TOOL_PARAMS[name]:
            schema = dict(_JSON_TYPES[p.kind])
            schema["description"] = p.description
            if p.default is not None:
                schema["default"] = p.default
            properties[p.name] = schema
        out.append({"type": "function", "function": {
            "name": name, "description": _TOOL_DOCS[name][0],
            "parameters": {"type": "object", "properties": properties,
                           "required": [p.name for p in TOOL_PARAMS[name] if p.required]}}})
    return out


def t1_tool_docs() -> str:
    """Plain-text documentation of the six attraction tools for agent prompts (§7.2)."""
    type_names = {"string": "str", "string_list": "list[str]", "boolean": "bool", "results": "SearchResults"}
    blocks = []
    for name in ATTRACTION_TOOLS:
        description, examples = _TOOL_DOCS[name]
        lines = [f"{name}(...) -> {_RETURNS[name]}", f"  {description}", "  Parameters (keyword only):"]
        for p in TOOL_PARAMS[name]:
            need = "required" if p.required else (f"optional, default {p.default!r}" if p.default is not None
                                                  else "optional")
            lines.append(f"    {p.name} ({type_names[p.kind]}, {need}): {p.description}")
        lines.append("  Examples:")
        lines += [f"    {e}" for e in examples]
        blocks.append("\n".join(lines))
    blocks.append("SearchResults: a list of attraction records (fields: city, state, attraction_name, type, "
                  "latitude, longitude, neighborhood) plus a short summary of the query that produced it. "
                  "Values match exactly and case-sensitively: use them as written in the conversation.")
    return "\n\n".join(blocks)
