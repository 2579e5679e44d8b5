"""The import graph of ``src/synae`` points one way: down the layer order of docs/architecture.md.

Every ``import``/``from … import`` of a ``synae`` module (lazy ones inside functions and those under
``if TYPE_CHECKING:`` included) is checked: a module may import its own layer or a lower one, never a
higher one; and no modules import each other in a circle (inside a package or across packages).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "synae"
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def layer_order() -> list[list[str]]:
    """The layers as written in docs/architecture.md's ``Layers:`` line (bottom first)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    match = re.search(r"^Layers, bottom to top: (.+)$", text, flags=re.M)
    assert match, "docs/architecture.md must state 'Layers, bottom to top: …' on one line"
    return [re.findall(r"`([\w.]+)`", part) for part in match.group(1).split("→")]


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{a.name}") for a in node.names]
    return [(line, name) for line, name in found if name == "synae" or name.startswith("synae.")]


def layer_of(module: str, layers: list[list[str]]) -> int | None:
    """The layer of ``synae.X...``: the first layer naming X (the top-level module or package)."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for i, names in enumerate(layers):
        if parts[1] in names:
            return i
    return None


def test_every_module_has_a_layer() -> None:
    layers = layer_order()
    missing = sorted({module_name(p).split(".")[1] for p in SRC.rglob("*.py")
                      if module_name(p) != "synae" and layer_of(module_name(p), layers) is None})
    assert not missing, f"modules with no layer in docs/architecture.md: {missing}"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    layers = layer_order()
    own = layer_of(module_name(path), layers)
    if own is None:
        return
    upward = []
    for line, name in imported_modules(path):
        target = layer_of(name, layers)
        if target is not None and target > own:
            upward.append(f"line {line}: {name} (layer {target} > {own})")
    assert not upward, f"{path.relative_to(SRC)} imports up a layer: " + "; ".join(upward)


def module_graph() -> dict[str, set[str]]:
    """module → the synae modules it imports (any import: lazy, or for annotations), except the
    packages it is part of (``from synae.metrics import registry`` inside ``synae.metrics.privacy``
    reads a sibling; the package's ``__init__`` is run first anyway)."""
    modules = {module_name(p): p for p in SRC.rglob("*.py")}
    return {m: {name for _, name in imported_modules(path)
                if name in modules and name != m and not m.startswith(name + ".")}
            for m, path in modules.items()}


def import_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of ``graph`` (its modules in import order, the first repeated at the end), else None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_import_circle_is_found() -> None:
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}}
    assert import_circle(graph) == ["p.a", "p.b", "p.c", "p.a"]
    assert import_circle({**graph, "p.c": set()}) is None


def test_no_import_circle() -> None:
    circle = import_circle(module_graph())
    assert circle is None, "modules import each other in a circle: " + " → ".join(circle or ())


RUN_JOBS = ("inputs", "scoring", "commands")  # bottom to top, inside synae.run (docs/architecture.md)
RUN_SHARED = {"synae.run", "synae.run.factory"}  # used by every job


def run_job(module: str) -> str | None:
    """The job of a module of ``synae.run``: its subpackage (``inputs``, ``scoring``,
    ``executors``), ``commands`` for the package's own modules, ``None`` outside or shared."""
    parts = module.split(".")
    if parts[:2] != ["synae", "run"] or module in RUN_SHARED:
        return None
    return parts[2] if len(parts) > 3 or parts[2] in ("inputs", "scoring", "executors") else "commands"


def test_run_jobs_point_down() -> None:
    upward = []
    for path in sorted((SRC / "run").rglob("*.py")):
        own = run_job(module_name(path))
        for line, name in imported_modules(path):
            target = run_job(name)
            if own in RUN_JOBS and target in RUN_JOBS and RUN_JOBS.index(target) > RUN_JOBS.index(own):
                upward.append(f"{module_name(path)} line {line}: {name}")
    assert not upward, "inputs → scoring → commands, never up: " + "; ".join(upward)
