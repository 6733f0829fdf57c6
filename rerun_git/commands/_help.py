"""What each subcommand's ``--help`` says beyond its options: a description and examples.

Kept apart from the argparse wiring in ``rerun_git.cli`` so that a command's
text and its options can change independently. Plain text, shown as written
(``RawDescriptionHelpFormatter``), and the source of the man page's sections.
"""
from __future__ import annotations

from collections.abc import Sequence

#: The top-level help's examples: the core loop.
LOOP = (
    ("rerun-git create myproj && cd myproj", "a working project from a template"),
    ("rerun-git run --name baseline", "run every experiment and capture the run into git"),
    ("rerun-git list", "the runs, oldest first"),
    ("rerun-git diff baseline tuned", "what changed between two runs"),
    ("rerun-git reproduce baseline", "re-run a run from its snapshot and verify every metric"),
)

#: command -> (description, ((example command line, what it shows), ...))
HELP: dict[str, tuple[str, Sequence[tuple[str, str]]]] = {
    "demo": (
        "Create a project in a temporary repository, run it, list, show and reproduce the run, then delete "
        "the repository. Exit 0 when the reproduction matched.",
        (("rerun-git demo", "the whole loop, then clean up"),
         ("rerun-git demo --keep", "keep the repository and print its path")),
    ),
    "create": (
        "Write a working experiment project into the new (or empty) folder NAME, and `git init` it when "
        "it is not inside a repository. Each template runs on a dataset bundled with scikit-learn.",
        (("rerun-git create myproj", "the regression template (diabetes)"),
         ("rerun-git create irisproj --template grouped", "grouped, stratified splits with a categorical feature")),
    ),
    "run": (
        "Run every experiment group of the project containing the current folder and capture the run: "
        "one snapshot commit on the runs branch and one annotated tag run/NAME. Nothing is captured "
        "when anything fails. Your working tree, index and HEAD are never touched.",
        (("rerun-git run --name baseline -m 'first try'", "run and capture as run/baseline"),
         ("rerun-git run --name nightly --name-suffix auto", "nightly, nightly-2, ... when the name is taken"),
         ("rerun-git run --no-capture", "run without writing anything to git")),
    ),
    "list": (
        "List runs, read from their tag objects alone (like `git tag -l`), oldest first. "
        "PATTERN is a glob on the run name or its tag.",
        (("rerun-git list", "every run"),
         ("rerun-git list 'base*' --sort=-R2 --limit 3", "the three runs named base* with the highest R2"),
         ("rerun-git list --metric R2,MAE --format json", "those metrics, as JSON")),
    ),
    "show": (
        "Show one run: its summary (tag, commit, date, source, seed, environment, message), files, "
        "datasets and metric table. A section flag shows only that section.",
        (("rerun-git show baseline", "the summary"),
         ("rerun-git show baseline --config", "the configuration, one dotted key per line"),
         ("rerun-git show run/baseline --metrics --format json", "the metric table as JSON")),
    ),
    "reproduce": (
        "Check the run's snapshot out into a worktree of rerun-git's own, re-run every experiment from "
        "it and compare every metric and split with the recorded ones. Exit 0 only when all match.",
        (("rerun-git reproduce baseline", "exact comparison"),
         ("rerun-git reproduce baseline --rtol 1e-9", "allow a relative difference"),
         ("rerun-git reproduce baseline --strict", "fail first if datasets or the environment drifted")),
    ),
    "check": (
        "Validate projects without running them: settings, data manager, algorithms, metrics, workflows, "
        "datasets. Nothing is trained. Exit 1 when a problem is found.",
        (("rerun-git check", "the current project"),
         ("rerun-git check --staged", "the projects touched by the commit being made (the pre-commit hook)")),
    ),
    "capture": (
        "Capture the project as it is now, for a run made by your own script: the project files, the "
        "result files of --results and the metrics of --metrics.",
        (("rerun-git capture --name nightly --metrics results/metrics.json",
          "after `python train.py`: capture the run it made"),),
    ),
    "install-hooks": (
        "Install rerun-git's pre-commit hook (`rerun-git check --staged`) and post-run hook into the "
        "repository's hooks folder (honouring core.hooksPath), keeping any hook already there.",
        (("rerun-git install-hooks", "both hooks"),
         ("rerun-git install-hooks --hook pre-commit", "only the pre-commit hook"),
         ("rerun-git install-hooks --uninstall", "remove them, restore what they replaced")),
    ),
    "push": (
        "Push the runs branch and the run tags to a remote with explicit refspecs; never forced.",
        (("rerun-git push", "every run to origin"),
         ("rerun-git push team baseline tuned", "two runs' tags to the remote 'team'")),
    ),
    "fetch": (
        "Fetch a remote's run tags (never overwriting a local one) and its runs branch, kept under "
        "refs/remotes/REMOTE/rerun/runs. Fetched runs are ordinary run tags.",
        (("rerun-git fetch", "from origin"),
         ("rerun-git fetch team && rerun-git list --all", "then see which runs came from a remote")),
    ),
    "log": (
        "The runs branch (`git log --first-parent rerun/runs`), newest first, one line per run. "
        "A removed run whose commit is still on the branch shows as NAME (untagged).",
        (("rerun-git log -n 5", "the five newest runs"),
         ("rerun-git log -p", "with the config changes and code diff since each previous run")),
    ),
    "diff": (
        "Compare two runs, or a run and the project's working tree. Sections, each shown when it "
        "differs: code, config, datasets, environment (critical marked), metrics. "
        "Exit 0 when identical, 1 when different (like `git diff --exit-code`).",
        (("rerun-git diff baseline tuned", "everything that differs"),
         ("rerun-git diff baseline tuned --stat", "one summary line per section"),
         ("rerun-git diff tuned", "the run against the working tree")),
    ),
    "compare": (
        "Many runs side by side: one row per run, the metrics and every parameter that differs.",
        (("rerun-git compare", "every run"),
         ("rerun-git compare 'tune*' --format json", "the runs named tune*, as JSON")),
    ),
    "checkout": (
        "Materialise a run's snapshot as a new detached git worktree in DIR, for reading or running by "
        "hand. Remove it with `git worktree remove DIR`.",
        (("rerun-git checkout baseline /tmp/inspect", "the snapshot in /tmp/inspect"),),
    ),
    "rm": (
        "Remove the runs' tags in one transaction; if any name is unknown, nothing is removed. Their "
        "snapshot commits stay on the runs branch (shown untagged by `rerun-git log`) unless "
        "--prune-history is given.",
        (("rerun-git rm tuned", "remove run/tuned"),
         ("rerun-git rm tuned --prune-history", "and drop its commit from the runs branch")),
    ),
    "gc": (
        "Remove rerun-git's own stale worktrees (locked by a process that is gone, e.g. a killed "
        "reproduce), never anyone else's; then run `git gc --auto`.",
        (("rerun-git gc", "clean up"),),
    ),
    "check-env": (
        "Compare this interpreter's environment with the one a run recorded. Python's and the critical "
        "packages' (numpy, pandas, scikit-learn, scipy, joblib) major.minor must match. "
        "Exit 1 on a critical difference.",
        (("rerun-git check-env baseline", "critical differences"),
         ("rerun-git check-env baseline -v", "every package difference")),
    ),
    "export-env": (
        "Write a pinned requirements file for a run's environment: the critical packages, or every "
        "recorded package with --include-all.",
        (("rerun-git export-env baseline -o requirements-baseline.txt", "write the file"),
         ("rerun-git export-env baseline --include-all", "every package, to standard output")),
    ),
}


def wrapped(description: str, width: int = 72) -> str:
    """``description`` filled to ``width`` columns, paragraph by paragraph (blank-line separated)."""
    import textwrap

    return "\n\n".join(textwrap.fill(paragraph, width) for paragraph in description.split("\n\n"))


def examples_epilog(examples: Sequence[tuple[str, str]]) -> str:
    """The ``examples:`` block of a help page: each command line, its meaning indented below."""
    lines = ["examples:"]
    for command, meaning in examples:
        lines += [f"  {command}", f"      {meaning}"]
    return "\n".join(lines)
