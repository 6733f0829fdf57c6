"""Project templates: ``rerun-git create`` and the demo."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError

TEMPLATES = ("regression", "classification", "grouped", "brisk-regression", "brisk-classification")
#: Template file or folder name -> project name (a dotfile is not package data everywhere).
_RENAMES = {"gitignore": ".gitignore", "brisk_marker": ".brisk"}
#: Template sources end in ``.py-tpl`` (Django's convention): they are the user's files, not modules of
#: rerun_git, so nothing byte-compiles, imports, lints or collects them as part of the package.
_TEMPLATE_SUFFIX = "-tpl"


def _project_name(part: str) -> str:
    return _RENAMES.get(part, part.removesuffix(_TEMPLATE_SUFFIX))


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
            rel = Path(*map(_project_name, path.relative_to(folder).parts))
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / rel)
            written.append(rel.as_posix())
    return written


def _write_dataset(template: str, target: Path) -> str:
    """Write the template's bundled scikit-learn dataset (target last); return its path."""
    name, frame = _DATASETS[template]()
    path = target / "datasets" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return f"datasets/{name}"


def _diabetes() -> tuple[str, Any]:
    from sklearn.datasets import load_diabetes

    return "diabetes.csv", load_diabetes(as_frame=True).frame


def _breast_cancer() -> tuple[str, Any]:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return "breast_cancer.csv", frame


def _iris_grouped() -> tuple[str, Any]:
    """Iris with a synthetic ``plant`` group (5 consecutive rows, one species each)
    and a categorical ``greenhouse`` column derived from the plant."""
    import pandas as pd
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    features = iris.data.rename(columns=lambda c: str(c).replace(" (cm)", "").replace(" ", "_"))
    plant = pd.Series(range(len(features)), name="plant") // 5
    greenhouse = plant.map(lambda p: ("north", "south", "east")[p % 3]).rename("greenhouse")
    species = iris.target.map(dict(enumerate(iris.target_names))).rename("species")
    return "iris.csv", pd.concat([greenhouse, plant, features, species], axis=1)


def brisk_classification_dataset() -> tuple[str, Any]:
    """40 rows of breast cancer (the first 20 of each class) with 2 standardised features.

    Brisk's classification template tunes logistic regression over 2088 candidates x
    15 folds on each of 5 splits (313,200 fits to run and reproduce): on this data a
    run takes about 6 minutes on 2 cores; on the whole unscaled dataset, ``lbfgs``
    takes about 5 s a candidate (3 hours a split).
    """
    import pandas as pd

    name, frame = _breast_cancer()
    features = ["mean_radius", "mean_texture"]
    rows = pd.concat([frame[frame.target == label].iloc[:20] for label in (0, 1)]).sort_index()
    small = rows[[*features, "target"]].copy()
    small[features] = ((small[features] - small[features].mean()) / small[features].std()).round(6)
    return name, small


#: What ``rerun-git create`` says after writing a template whose first run is long.
NOTES = {
    "brisk-classification": "Brisk's classification template tunes 2088 candidates x 15 folds on each of 5 splits: "
                            "its first run takes about 6 minutes on 2 cores",
}


_DATASETS: dict[str, Callable[[], tuple[str, Any]]] = {
    "regression": _diabetes,
    "classification": _breast_cancer,
    "grouped": _iris_grouped,
    "brisk-regression": _diabetes,
    "brisk-classification": brisk_classification_dataset,
}


def commit_project(project: Path, message: str) -> None:
    """Commit everything in ``project`` as the demo's author (hooks skipped): a source commit for its runs."""
    from rerun_git.store.repo import Repo

    repo = Repo.open(project)
    repo.git("add", "--", ".")
    repo.git("-c", "user.name=rerun-git demo", "-c", "user.email=demo@rerun-git.invalid",
             "commit", "--quiet", "--no-verify", "-m", message)
