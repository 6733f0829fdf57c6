"""docs/guide.md, done as written: its commands run in a temporary folder and print what it shows.

The guide's fenced blocks are read in order. ``console`` blocks give commands
(``$ ...``) and their documented output; ``sh`` blocks give commands; the
``python`` blocks of sections 6-9 are the edits the prose asks for, applied
from the guide's own code before the "tuning, selection, plots" commit. Every
documented output line (ids, numbers, dates and paths aside; lines with ``...``
and the identity lines skipped) must be in the real output, and a command
exits 1 exactly when the guide shows an error.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
IDENTITY = re.compile(r"^\s*(author|committer|tagger|source)\s")


@dataclass
class Step:
    command: str
    documented: list[str] = field(default_factory=list)  # output lines shown in the guide (console blocks only)


def guide_blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(GUIDE.read_text())]


def guide_steps() -> list[Step]:
    steps: list[Step] = []
    for kind, body in guide_blocks():
        if kind == "console":
            current = None  # output lines belong to the block's last command (a block without one: none)
            for line in body.splitlines():
                if line.startswith("$ "):
                    current = Step(line[2:].partition("  #")[0].strip())
                    steps.append(current)
                elif current and line.strip():
                    current.documented.append(line)
        elif kind == "sh":
            steps += [Step(line.strip()) for line in body.splitlines()
                      if line.strip() and not line.startswith(("pip ", "#"))]
    return steps


def normalised(line: str, home: Path) -> str:
    line = line.replace(str(home), "/home/ada")
    line = re.sub(r"\b[0-9a-f]{12,64}\b", "<id>", line)
    line = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", line)
    line = re.sub(r"-?\b\d+\.\d+(e-?\d+)?\b", "<num>", line)
    line = re.sub(r"\"random_state\": \d+", '"random_state": <num>', line)
    return " ".join(line.split())


def apply_guide_edits(project: Path) -> None:
    """Sections 6-9 of the guide: feature selection, the workflow helpers, plots and custom evaluators."""
    python = [body for kind, body in guide_blocks() if kind == "python"]
    workflow = next(b for b in python if "class Grouped(Workflow)" in b)
    workflow += "".join(b for b in python if b.startswith("        "))  # the plot and evaluator calls
    (project / "workflows" / "grouped.py").write_text(workflow)
    (project / "evaluators.py").write_text(next(b for b in python if "def register_custom_evaluators" in b))
    selection = next(b for b in python if "FeatureSelectionPreprocessor(" in b and b.startswith("preprocessors"))
    data = project / "data.py"
    text = re.sub(r"    preprocessors=\[.*?\n    \],\n", "    " + selection.strip().replace("\n", "\n    ") + "\n",
                  data.read_text(), flags=re.S)
    data.write_text(text.replace("ScalingPreprocessor\n", "ScalingPreprocessor, FeatureSelectionPreprocessor\n"))
    settings = project / "settings.py"
    plot_settings = re.search(r"plot_settings=PlotSettings\([^)]*\)", GUIDE.read_text()).group(0)
    settings.write_text(settings.read_text()
                        .replace("import Configuration", "import Configuration, PlotSettings")
                        .replace('categorical_features={"iris.csv": ["greenhouse"]},',
                                 f'categorical_features={{"iris.csv": ["greenhouse"]}},\n        {plot_settings},'))


def run_step(command: str, cwd: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Run ``command`` in bash (``rerun-git`` as ``python -m rerun_git``); a leading ``cd DIR &&`` moves on."""
    if command.startswith("cd "):
        target, _, command = command[3:].partition(" && ")
        cwd = cwd / target
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    script = f"rerun-git() {{ {shlex.quote(sys.executable)} -m rerun_git \"$@\"; }}\n{command}"
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, env=env, timeout=900)
    return cwd, proc


def _in_run_order(steps: list[Step]) -> list[Step]:
    """Steps that read a run (``git show run/NAME:...``) moved after the step that captures it.

    The guide shows a file of ``run/tuned`` in section 7 and captures that run in section 11.
    """
    steps = list(steps)
    ordered: list[Step] = []
    for step in steps:
        read = re.match(r"git show run/([\w-]+):", step.command)
        if read and not any(f"--name {read.group(1)}" in s.command for s in ordered):
            capture = next(i for i, s in enumerate(steps) if f"run --name {read.group(1)}" in s.command)
            steps.insert(capture + 1, Step(step.command, step.documented))
            continue
        ordered.append(step)
    return ordered


@pytest.mark.slow
def test_the_guide_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "ada"
    home.mkdir()
    cwd, ran = home, []
    for step in _in_run_order(guide_steps()):
        if step.command.startswith("git add -A"):
            apply_guide_edits(cwd)
        if "--name bad" in step.command:  # section 12: the mistake it shows, after `git checkout -- .`
            subprocess.run(["git", "checkout", "--", "."], cwd=cwd, check=True)
            data = cwd / "data.py"
            data.write_text(data.read_text().replace('estimator="logistic"', 'estimator="svm"'))
        cwd, proc = run_step(step.command, cwd)
        ran.append(step.command)
        error_shown = any(line.startswith("rerun-git: error:") for line in step.documented)
        assert proc.returncode == (1 if error_shown else 0), (step.command, proc.stdout, proc.stderr)
        actual = {normalised(line, home) for line in (proc.stdout + proc.stderr).splitlines()}
        for line in step.documented:
            if "..." in line or "…" in line or IDENTITY.match(line):
                continue
            assert normalised(line, home) in actual, (step.command, line, proc.stdout, proc.stderr)
    assert any(c.startswith("rerun-git reproduce tuned") for c in ran) and len(ran) >= 8, ran
