"""The package's import graph: layers point down, and there is no cycle.

Every import counts: at module level, inside functions and under
``TYPE_CHECKING``. The graph is built from the source with :mod:`ast`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "feedrank"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("feedrank._version", "feedrank.errors", "feedrank._time", "feedrank.canonical"),
    ("feedrank.models",),
    ("feedrank.batch", "feedrank.io"),
    ("feedrank.stages",),
    ("feedrank.engine",),
    ("feedrank.ranking",),
    ("feedrank.spec", "feedrank.presets"),
    (
        "feedrank.audit",
        "feedrank.evaluate",
        "feedrank.learn",
        "feedrank.adapters",
        "feedrank.datasets",
        "feedrank.bridging",
        "feedrank.coordination",
        "feedrank.distributed",
        "feedrank.testing",
    ),
    ("feedrank.cli", "feedrank.serve"),
    ("feedrank.__main__",),
)
"""From the bottom up: a module may import its own layer and the ones below."""


def _module_names() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (submodules resolved)."""
    modules = _module_names()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in targets:
                if target == "feedrank" or target.startswith("feedrank."):
                    while target not in modules and "." in target:
                        target = target.rsplit(".", 1)[0]
                    if target != name:
                        graph[name].add(target)
    return graph


def _layer(module: str) -> int:
    for i, layer in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in layer):
            return i
    if module == "feedrank":
        return len(LAYERS)
    raise AssertionError(f"{module} belongs to no layer; add it to LAYERS")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        _layer(module)


def test_no_import_points_up_or_at_the_package_root() -> None:
    upward = [
        f"{src} -> {dst}"
        for src, targets in sorted(import_graph().items())
        for dst in sorted(targets)
        if dst == "feedrank" or _layer(dst) > _layer(src)
    ]
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    assert _cycles(import_graph()) == []


def test_the_graph_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    """The checker itself: a function-level import and a TYPE_CHECKING import are edges."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from feedrank.cli import app\n"
        "def f():\n    from feedrank.audit import log\n"
    )
    tree = ast.parse(source)
    names = [
        n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module != "typing"
    ]
    assert names == ["feedrank.cli", "feedrank.audit"]
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
