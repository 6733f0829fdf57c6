"""Project templates: ``rerun-git create`` and the demo."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rerun_git.errors import RerunError

TEMPLATES = ("regression",)
#: Template file name -> project file name (a dotfile is not package data everywhere).
_RENAMES = {"gitignore": ".gitignore"}


@dataclass(frozen=True)
class CreatedProject:
    root: Path
    files: list[str]
    initialised_repo: bool


def create_project(target: Path, template: str = "regression") -> CreatedProject:
    """Write a working project into ``target`` (absent or empty); ``git init`` when outside any repo."""
    if template not in TEMPLATES:
        raise RerunError(f"unknown template {template!r}", hint=f"choose one of {', '.join(TEMPLATES)}")
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RerunError(f"{target} already exists and is not empty", hint="choose a new folder name")
    initialise = not _inside_repo(target.parent if not target.exists() else target)
    target.mkdir(parents=True, exist_ok=True)
    files = write_template(target, template)
    if initialise:
        from rerun_git.store.repo import init_repo

        init_repo(target)
    return CreatedProject(target, sorted(files), initialise)


def write_template(target: Path, template: str = "regression") -> list[str]:
    """Write the template's files and its dataset into ``target``; return their paths."""
    return [*_copy_template(template, target), _write_dataset(template, target)]


def _inside_repo(folder: Path) -> bool:
    from rerun_git.store.repo import Repo

    existing = folder
    while not existing.exists():
        existing = existing.parent
    try:
        Repo.open(existing)
    except RerunError:
        return False
    return True


def _copy_template(template: str, target: Path) -> list[str]:
    source = resources.files("rerun_git") / "templates" / template
    written: list[str] = []
    with resources.as_file(source) as folder:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(folder)
            rel = rel.with_name(_RENAMES.get(rel.name, rel.name))
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / rel)
            written.append(rel.as_posix())
    return written


def _write_dataset(template: str, target: Path) -> str:
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    path = target / "datasets" / "diabetes.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return "datasets/diabetes.csv"
