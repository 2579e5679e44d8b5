"""Parsing Python-style tool calls with :mod:`ast` — the text is never executed (``docs/method.md`` §1.2).

Calls are listed in *reference order* (``docs/method.md`` §2.5): statements in source order; inside a
statement the syntax tree is walked depth-first and a call is recorded after every call nested in
it (post-order), visiting the callee expression, then positional arguments left to right, then
keyword arguments left to right.

Arguments are encoded as in ``docs/method.md`` §1.2: keywords by name, positional arguments under
``"__args__"``; literals become JSON values; a bare variable name becomes ``{"$var": name}``;
anything else (nested call, attribute, arithmetic, f-string, set, splat) becomes
``{"$expr": "<source text>"}``.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from synae.schema import FunctionCall, ToolCall

POSITIONAL_KEY = "__args__"
BUILTIN_NAMES = frozenset(dir(builtins))
MAX_SOURCE_CHARS = 200_000

Extraction = Literal["non_builtin", "all"]


@dataclass(frozen=True)
class ParsedCall:
    """One call found in source text: callee name, encoded arguments and the call's source text."""

    name: str
    arguments: dict[str, Any]
    source: str
    bare_name: bool  # callee was a plain name (``f(...)``), not an attribute (``obj.f(...)``)


@dataclass
class ParseResult:
    """All calls of a source text, or the parse error (then ``calls`` is empty)."""

    calls: list[ParsedCall] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_module(source: str) -> ast.Module | str:
    """``ast.parse`` the source; returns the tree or an error message (never raises)."""
    if len(source) > MAX_SOURCE_CHARS:
        return f"source too long ({len(source)} characters > {MAX_SOURCE_CHARS})"
    try:
        return ast.parse(source, mode="exec")
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}"


SHARED_TREE_CHARS = 4_096  # sources up to this long have their tree parsed once (parsed_module)


@functools.lru_cache(maxsize=2_048)
def _shared_tree(source: str) -> ast.Module | str:
    return parse_module(source)


def parsed_module(source: str) -> ast.Module | str:
    """:func:`parse_module` for code that only reads the tree: a source of at most
    :data:`SHARED_TREE_CHARS` characters is parsed once, and later calls with the same text get the
    same tree object (the same call is read by the features, the rule checks and the environment;
    at most 2,048 trees are kept). The tree must not be changed — code that rewrites a tree
    (``ast.NodeTransformer``) calls :func:`parse_module` for a fresh one."""
    return _shared_tree(source) if len(source) <= SHARED_TREE_CHARS else parse_module(source)


def iter_calls_postorder(node: ast.AST) -> Iterator[ast.Call]:
    """Yield every :class:`ast.Call` under ``node`` in post-order, children in field order."""
    stack: list[tuple[ast.AST, bool]] = [(node, False)]
    while stack:
        current, expanded = stack.pop()
        if expanded:
            yield current  # type: ignore[misc]
            continue
        if isinstance(current, ast.Call):
            stack.append((current, True))
        children = list(ast.iter_child_nodes(current))
        stack.extend((child, False) for child in reversed(children))


def callee_name(call: ast.Call) -> tuple[str | None, bool]:
    """Name of a call (``f`` for ``f(...)``, ``m`` for ``obj.m(...)``) and whether it is bare."""
    if isinstance(call.func, ast.Name):
        return call.func.id, True
    if isinstance(call.func, ast.Attribute):
        return call.func.attr, False
    return None, False


NOT_LITERAL = object()  # the marker :func:`literal_value` returns for non-literals


def literal_value(node: ast.AST) -> Any:
    """JSON value of a literal node, or ``NOT_LITERAL``.

    Accepts what :func:`ast.literal_eval` accepts for JSON-representable values: str, int, float
    (finite), bool, None, signed numbers, lists/tuples of literals, dicts with string keys.
    """
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or v is None or isinstance(v, (str, int)):
            return v
        if isinstance(v, float) and math.isfinite(v):
            return v
        return NOT_LITERAL
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = literal_value(node.operand)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner if isinstance(node.op, ast.USub) else inner
        return NOT_LITERAL
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [literal_value(e) for e in node.elts]
        return NOT_LITERAL if any(i is NOT_LITERAL for i in items) else items
    if isinstance(node, ast.Dict):
        out: dict[str, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # ``**splat``
                return NOT_LITERAL
            key_value = literal_value(key_node)
            val = literal_value(value_node)
            if not isinstance(key_value, str) or val is NOT_LITERAL:
                return NOT_LITERAL
            out[key_value] = val
        return out
    return NOT_LITERAL


class SourceText:
    """Source text with its lines split once, so that many nodes' source segments are cheap
    (:func:`ast.get_source_segment` re-splits the whole source on every call)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._lines: list[bytes] | None = None

    def segment(self, node: ast.AST) -> str:
        """The exact source text of ``node`` (``ast.unparse`` when positions are missing)."""
        end_lineno = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_lineno is None or end_col is None:
            return ast.unparse(node)
        if self._lines is None:
            self._lines = [line.encode("utf-8") for line in self.source.splitlines(keepends=True)]
        first: int = node.lineno - 1  # type: ignore[attr-defined]
        last: int = end_lineno - 1
        start_col: int = node.col_offset  # type: ignore[attr-defined]
        if first == last:
            return self._lines[first][start_col:end_col].decode("utf-8")
        parts = [self._lines[first][start_col:], *self._lines[first + 1:last], self._lines[last][:end_col]]
        return b"".join(parts).decode("utf-8")


def encode_argument(node: ast.AST, source: SourceText) -> Any:
    """Encode one argument expression per ``docs/method.md`` §1.2."""
    value = literal_value(node)
    if value is not NOT_LITERAL:
        return value
    if isinstance(node, ast.Name):
        return {"$var": node.id}
    return {"$expr": source.segment(node)}


def encode_arguments(call: ast.Call, source: SourceText) -> dict[str, Any]:
    """Keyword arguments by name; positional ones (and ``*``/``**`` splats) as described above."""
    args: dict[str, Any] = {}
    positional = [encode_argument(a, source) for a in call.args]
    for kw in call.keywords:
        if kw.arg is None:  # ``**kwargs``
            positional.append({"$expr": source.segment(kw)})
        else:
            args[kw.arg] = encode_argument(kw.value, source)
    if positional:
        args = {POSITIONAL_KEY: positional, **args}
    return args


def parse_calls(source: str, *, extraction: Extraction = "non_builtin",
                declared_tools: Collection[str] = ()) -> ParseResult:
    """All calls of a Python source text in reference order.

    ``extraction="non_builtin"`` drops bare-name calls to Python builtins (``print``, ``len``, …)
    unless the name is in ``declared_tools``; ``"all"`` keeps every named call. Calls whose callee
    is neither a name nor an attribute (``f()()``, ``x[0]()``) contribute no entry, but calls nested
    in them are still visited. A syntax error yields no calls and an ``error`` message.
    """
    tree = parsed_module(source)
    if isinstance(tree, str):
        return ParseResult(error=tree)
    text = SourceText(source)
    calls: list[ParsedCall] = []
    for stmt in tree.body:
        for node in iter_calls_postorder(stmt):
            name, bare = callee_name(node)
            if name is None:
                continue
            if (extraction == "non_builtin" and bare and name in BUILTIN_NAMES
                    and name not in declared_tools):
                continue
            calls.append(ParsedCall(name=name, arguments=encode_arguments(node, text),
                                    source=text.segment(node), bare_name=bare))
    return ParseResult(calls=calls)


def call_names(source: str, *, extraction: Extraction = "non_builtin",
               declared_tools: Collection[str] = ()) -> list[str] | None:
    """Names of the calls in ``source`` in reference order; ``None`` if it does not parse."""
    result = parse_calls(source, extraction=extraction, declared_tools=declared_tools)
    return None if result.error else [c.name for c in result.calls]


def to_tool_calls(calls: list[ParsedCall], *, turn: int, start: int = 0) -> list[ToolCall]:
    """OpenAI ``tool_calls`` entries with ids ``call_<turn>_<k>`` (k from ``start``, 0-based)."""
    return [
        ToolCall(id=f"call_{turn}_{start + k}",
                 function=FunctionCall(name=c.name, arguments=json.dumps(c.arguments, ensure_ascii=False)))
        for k, c in enumerate(calls)
    ]


# --------------------------------------------------------------------------------------------
# Rendering calls back to Python source (BFCL export, prompts)


def render_value(value: Any) -> str:
    """Python source of an encoded argument value (``$var``/``$expr`` restored verbatim)."""
    if isinstance(value, dict):
        if set(value) == {"$var"}:
            return str(value["$var"])
        if set(value) == {"$expr"}:
            return str(value["$expr"])
        inner = ", ".join(f"{render_value(k)}: {render_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    return repr(value)


def render_call(name: str, arguments: dict[str, Any]) -> str:
    """``name(pos..., key=value, ...)`` from encoded arguments."""
    parts = [render_value(v) for v in arguments.get(POSITIONAL_KEY, [])]
    parts += [f"{k}={render_value(v)}" for k, v in arguments.items() if k != POSITIONAL_KEY]
    return f"{name}({', '.join(parts)})"


# --------------------------------------------------------------------------------------------
# Agent replies (docs/method.md §1.2)

_CODE_TAG = re.compile(r"<CODE>(.*?)(?:</CODE>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_+-]*[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)


def extract_code(reply: str) -> str:
    """Code of an agent reply: the first ``<CODE>…</CODE>`` block, else the first fenced block,
    else the whole reply; surrounding whitespace, stray fences and one pair of wrapping quotes
    are stripped."""
    match = _CODE_TAG.search(reply) or _FENCE.search(reply)
    code = match.group(1) if match else reply
    code = code.strip()
    code = re.sub(r"^```[A-Za-z0-9_+-]*\s*|\s*```$", "", code).strip()
    if len(code) >= 2 and code[0] == code[-1] and code[0] in "\"'":
        code = code[1:-1].strip()
    return code


def parse_call_list(text: str, *, declared_tools: Collection[str] = ()) -> ParseResult:
    """Parse a BFCL-style reply: a Python list of calls (``[f(a=1), g(b=2)]``) or plain call lines."""
    code = extract_code(text)
    tree = parsed_module(code)
    if (not isinstance(tree, str) and len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
            and isinstance(tree.body[0].value, (ast.List, ast.Tuple))):
        elements = tree.body[0].value.elts
        if not all(isinstance(e, ast.Call) for e in elements):
            return ParseResult(error="list elements must be function calls")
        source = SourceText(code)
        code = "\n".join(source.segment(e) for e in elements)
    return parse_calls(code, declared_tools=declared_tools)
