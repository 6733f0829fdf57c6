"""Regenerate the reference fixtures: real Brisk 1.2's numbers for the projects in projects/.

Run it by hand (never from the tests)::

    python tests/reference/make_fixtures.py [project ...]

It creates a throwaway virtual environment with brisk-ml 1.2 (``/tmp/brisk-venv``,
or ``$BRISK_VENV``) when it is absent, writes the projects' datasets, runs every
project in ``tests/reference/projects/`` with ``brisk run`` in a copy, and stores
each experiment's result JSON files (Brisk's ``timestamp`` dropped) as
``tests/reference/fixtures/<project>.json``, and the *schema* of Brisk's
``run_config.json`` (keys and value types, no values; see :func:`run_config_schema`)
as ``tests/reference/fixtures/run_config_schema/<project>.json``. brisk-ml is never
a dependency of rerun-git: this script is the only thing that installs or runs it.

Projects whose DataManager leaves ``random_state`` unset (Brisk's own templates)
are run with numpy's global RNG seeded with :data:`SEED` before Brisk builds its
splits, which makes Brisk's ``ShuffleSplit(random_state=None)`` draw what
rerun-git's ``ShuffleSplit(random_state=SEED)`` draws under ``--seed SEED``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
FIXTURES = HERE / "fixtures"
RUN_CONFIG_SCHEMAS = FIXTURES / "run_config_schema"
#: Maps keyed by names that depend on the machine, not the project: their keys collapse to ``<name>``.
NAME_KEYED = {("env", "packages")}
VENV = Path(os.environ.get("BRISK_VENV", "/tmp/brisk-venv"))
REQUIREMENTS = ["brisk-ml==1.2.*", "matplotlib<3.11"]
SEED = 7
RUN = "reference"
#: Projects real Brisk is not run on, and why (their tests run rerun-git only).
SKIP_BRISK = {
    "template_classification": "Brisk tunes logistic over 2088 candidates x RepeatedStratifiedKFold(n_repeats=10) "
                               "per split (over 500,000 fits), unseeded, so its tuned numbers are not comparable",
}

#: Run inside the Brisk venv: seed numpy's global RNG, then `brisk run -n reference`.
_RUNNER = f"""
import sys, numpy
numpy.random.seed({SEED})
from brisk.cli.cli import cli
cli(["run", "-n", "{RUN}", "--disable_report"], standalone_mode=False)
"""


def brisk_python() -> Path:
    """The throwaway venv's python, creating the venv with brisk-ml 1.2 when absent."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *REQUIREMENTS], check=True)
    return python


def write_datasets(python: Path) -> None:
    """Write the small datasets every project uses (deterministic, from scikit-learn's bundled data)."""
    script = HERE / "datasets.py"
    subprocess.run([str(python), str(script), str(PROJECTS)], check=True)


def run_project(python: Path, project: Path) -> dict[str, object]:
    """Run ``project`` with real Brisk in a temporary copy; return ``{relative path: JSON}``."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / project.name
        shutil.copytree(project, work)
        (work / ".brisk").mkdir(exist_ok=True)
        done = subprocess.run([str(python), "-c", _RUNNER], cwd=work, capture_output=True, text=True)
        results = work / "results" / RUN
        log = done.stdout + done.stderr
        out: dict[str, object] = {"_brisk_exit": done.returncode, "_brisk_failed": _failures(log),
                                  "_brisk_errors": sorted({line.strip() for line in log.splitlines()
                                                           if line.startswith(("Error:", "ValueError:"))})}
        for path in sorted(results.rglob("*.json")):
            rel = path.relative_to(results).as_posix()
            if rel == "run_config.json":
                out["_run_config_schema"] = run_config_schema(json.loads(path.read_text()))
                continue
            data = json.loads(path.read_text())
            if isinstance(data, dict) and isinstance(data.get("_metadata"), dict):
                data["_metadata"].pop("timestamp", None)
            out[rel] = data
        return out


def run_config_schema(value: object, path: tuple[str, ...] = ()) -> object:
    """The shape of a ``run_config.json`` value: dicts keep their keys, lists the set of their items' shapes,
    scalars become their JSON type (``str``, ``int``, ``float``, ``bool``, ``null``).

    Maps in :data:`NAME_KEYED` (installed packages) keep one ``<name>`` key: the union of their entries' shapes.
    The tests compute the same shape of rerun-git's file and compare.
    """
    if isinstance(value, dict):
        if path in NAME_KEYED:
            shapes = {json.dumps(run_config_schema(v, (*path, "<name>")), sort_keys=True) for v in value.values()}
            return {"<name>": [json.loads(s) for s in sorted(shapes)]}
        return {str(k): run_config_schema(v, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        shapes = {json.dumps(run_config_schema(v, (*path, "[]")), sort_keys=True) for v in value}
        return [json.loads(s) for s in sorted(shapes)]
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str"}[type(value)]


def _failures(log: str) -> list[str]:
    return sorted({line.strip() for line in log.splitlines() if "FAILED" in line and "Experiment" in line})


def main() -> int:
    python = brisk_python()
    write_datasets(python)
    FIXTURES.mkdir(exist_ok=True)
    for project in sorted(p for p in PROJECTS.iterdir() if (p / "settings.py").is_file()):
        if sys.argv[1:] and project.name not in sys.argv[1:]:
            continue
        if project.name in SKIP_BRISK:
            print(f"{project.name}: not run with Brisk ({SKIP_BRISK[project.name]})")
            continue
        data = run_project(python, project)
        schema = data.pop("_run_config_schema", None)
        if schema is not None:
            RUN_CONFIG_SCHEMAS.mkdir(exist_ok=True)
            (RUN_CONFIG_SCHEMAS / f"{project.name}.json").write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        target = FIXTURES / f"{project.name}.json"
        target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"{project.name}: {len(data) - 3} result files, brisk exit {data['_brisk_exit']}, "
              f"failed: {data['_brisk_failed'] or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
