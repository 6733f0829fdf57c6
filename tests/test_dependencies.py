"""The declared dependencies are the ones the package uses: each is imported by some module of rerun_git."""
from __future__ import annotations

import ast
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules() -> set[str]:
    """Top-level names of every module imported anywhere in rerun_git (functions included, templates left out)."""
    found: set[str] = set()
    for path in (ROOT / "rerun_git").rglob("*.py"):
        if "templates" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_every_declared_dependency_is_imported_by_the_package() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    by_module = packages_distributions()
    used = {canonicalize_name(dist) for module in _imported_modules() for dist in by_module.get(module, [])}
    unused = sorted(name for name in (canonicalize_name(Requirement(d).name) for d in declared) if name not in used)
    assert unused == [], f"declared in pyproject.toml but imported nowhere in rerun_git: {unused}"

