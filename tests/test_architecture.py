"""The house (docs/architecture.md): layers point downwards, no import cycles, lazy imports included."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rerun_git"

#: Each top-level part of the package and its layer; a module may import only lower layers
#: (and its own part). Parts on the same layer are peers and never import each other.
LAYERS = {
    "errors": 0, "_version": 0,
    "settings": 1,
    "store": 2, "experiment": 2,
    "record": 3,
    "capture": 4,
    "reproduce": 5, "browse": 5, "check": 5, "scaffold": 5,
    "report": 6,
    "service": 7,
    "commands": 8,
    "cli": 9,
    "__main__": 10, "__init__": 10,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "templates" not in p.parts}


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The package module that ``import name`` executes last (None outside rerun_git)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> set[str]:
    """Every rerun_git module ``path`` imports, at any depth (functions, ``try``, ``if``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in map(_resolve, targets) if t and t.startswith("rerun_git"))
    return found


def _string_imports(path: Path) -> set[str]:
    """Modules named in ``importlib.import_module("rerun_git...")`` calls and lazy-export tables."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("rerun_git."):
            target = _resolve(node.value)
            if target:
                found.add(target)
    return found


GRAPH = {name: (_imports(path) | _string_imports(path)) - {name} for name, path in MODULES.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_has_a_layer() -> None:
    assert {_part(m) for m in MODULES} <= set(LAYERS), sorted({_part(m) for m in MODULES} - set(LAYERS))


def test_no_module_imports_a_layer_above_it_or_a_peer() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _part(module) != _part(target) and LAYERS[_part(target)] >= LAYERS[_part(module)]
    )
    assert upward == []


def test_commands_never_import_store() -> None:
    assert sorted(f"{m} -> {t}" for m, ts in GRAPH.items() if _part(m) == "commands" for t in ts if _part(t) == "store") == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_counting_lazy_imports() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", sorted({_part(m) for m in MODULES if m.count(".") == 1 and (PACKAGE / _part(m)).is_dir()}))
def test_each_package_says_what_lives_there_and_what_it_may_import(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text())) or ""
    assert doc and "import" in doc, f"{package}/__init__.py needs a docstring naming what it may import"
