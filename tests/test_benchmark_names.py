"""Presets own every benchmark switch: outside ``src/synae/presets`` no code compares a value with a
benchmark name (``"t1"``, ``"bfcl"``, ``"acp"``, ``"generic"``) or selects behaviour from a table
keyed by one. Registry entries that merely *name* a format (``Reader("bfcl", ...)``) are allowed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "synae"
NAMES = {"t1", "bfcl", "acp", "generic"}


def _is_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in NAMES


def benchmark_switches(tree: ast.AST) -> list[int]:
    """Lines that compare with a benchmark name or key a dict by one."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op in operands:
                if _is_name(op) or (isinstance(op, (ast.Tuple, ast.List, ast.Set))
                                    and any(_is_name(e) for e in op.elts)):
                    lines.append(node.lineno)
                    break
        elif (isinstance(node, ast.Dict) and any(k is not None and _is_name(k) for k in node.keys)) or (
                isinstance(node, ast.MatchValue) and _is_name(node.value)):
            lines.append(node.lineno)
    return sorted(set(lines))


@pytest.mark.parametrize("path", sorted(p for p in SRC.rglob("*.py") if "presets" not in p.parts),
                         ids=lambda p: str(p.relative_to(SRC)))
def test_no_benchmark_switch_outside_presets(path: Path) -> None:
    lines = benchmark_switches(ast.parse(path.read_text(encoding="utf-8")))
    assert not lines, f"{path.relative_to(SRC)} branches on a benchmark name at lines {lines}"


def test_the_check_finds_a_switch() -> None:
    code = 'if preset == "t1":\n    pass\nx = {"bfcl": 1}\ny = name in ("acp", "other")\n'
    assert benchmark_switches(ast.parse(code)) == [1, 3, 4]
