"""What each subcommand's ``--help`` says beyond its options: a description and examples.

Kept apart from the argparse wiring in ``rerun_git.cli`` so that a command's
text and its options can change independently. Plain text, shown as written
(``RawDescriptionHelpFormatter``) and in the man page: lines of at most
``WIDTH`` columns, broken here rather than at every start-up.
"""
from __future__ import annotations

from collections.abc import Sequence

#: Columns of a description line (with man's 7-column indent the page fits an 80-column terminal).
WIDTH = 72
#: The top-level help's description and closing line.
SUMMARY = "Capture every scikit-learn experiment run into git; reproduce any run\nfrom its tag."
MORE = "`rerun-git COMMAND --help` tells more about a command; `man rerun-git`\n(or `git rerun --help`) tells all."
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
        "Create a project in a temporary repository, run it, list, show and\n"
        "reproduce the run, then delete the repository. Exit 0 when the\n"
        "reproduction matched.",
        (("rerun-git demo", "the whole loop, then clean up"),
         ("rerun-git demo --keep", "keep the repository and print its path")),
    ),
    "create": (
        "Write a working experiment project into the new (or empty) folder NAME,\n"
        "and `git init` it when it is not inside a repository. Each template runs\n"
        "on a dataset bundled with scikit-learn.",
        (("rerun-git create myproj", "the regression template (diabetes)"),
         ("rerun-git create irisproj --template grouped", "grouped, stratified splits with a categorical feature")),
    ),
    "run": (
        "Run every experiment group of the project containing the current folder\n"
        "and capture the run: one snapshot commit on the runs branch and one\n"
        "annotated tag run/NAME. Nothing is captured when anything fails. Your\n"
        "working tree, index and HEAD are never touched.",
        (("rerun-git run --name baseline -m 'first try'", "run and capture as run/baseline"),
         ("rerun-git run --name nightly --name-suffix auto", "nightly, nightly-2, ... when the name is taken"),
         ("rerun-git run --no-capture", "run without writing anything to git")),
    ),
    "list": (
        "List runs, read from their tag objects alone (like `git tag -l`), oldest\n"
        "first. PATTERN is a glob on the run name or its tag.",
        (("rerun-git list", "every run"),
         ("rerun-git list 'base*' --sort=-R2 --limit 3", "the three runs named base* with the highest R2"),
         ("rerun-git list --metric R2,MAE --format json", "those metrics, as JSON")),
    ),
    "show": (
        "Show one run: its summary (tag, commit, date, source, seed, environment,\n"
        "message), files, datasets and metric table. A section flag shows only\n"
        "that section.",
        (("rerun-git show baseline", "the summary"),
         ("rerun-git show baseline --config", "the configuration, one dotted key per line"),
         ("rerun-git show run/baseline --metrics --format json", "the metric table as JSON")),
    ),
    "reproduce": (
        "Check the run's snapshot out into a worktree of rerun-git's own, re-run\n"
        "every experiment from it and compare every metric and split with the\n"
        "recorded ones. Exit 0 only when all match.",
        (("rerun-git reproduce baseline", "exact comparison"),
         ("rerun-git reproduce baseline --rtol 1e-9", "allow a relative difference"),
         ("rerun-git reproduce baseline --strict", "fail first if datasets or the environment drifted")),
    ),
    "check": (
        "Validate projects without running them: settings, data manager,\n"
        "algorithms, metrics, workflows, datasets. Nothing is trained. Exit 1\n"
        "when a problem is found.",
        (("rerun-git check", "the current project"),
         ("rerun-git check --staged", "the projects touched by the commit being made (the pre-commit hook)")),
    ),
    "capture": (
        "Capture the project as it is now, for a run made by your own script: the\n"
        "project files, the result files of --results and the metrics of\n"
        "--metrics.",
        (("rerun-git capture --name nightly --metrics results/metrics.json",
          "after `python train.py`: capture the run it made"),),
    ),
    "install-hooks": (
        "Install rerun-git's pre-commit hook (`rerun-git check --staged`) and\n"
        "post-run hook into the repository's hooks folder (honouring\n"
        "core.hooksPath), keeping any hook already there.",
        (("rerun-git install-hooks", "both hooks"),
         ("rerun-git install-hooks --hook pre-commit", "only the pre-commit hook"),
         ("rerun-git install-hooks --uninstall", "remove them, restore what they replaced")),
    ),
    "push": (
        "Push the runs branch and the run tags to a remote with explicit\n"
        "refspecs; never forced.",
        (("rerun-git push", "every run to origin"),
         ("rerun-git push team baseline tuned", "two runs' tags to the remote 'team'")),
    ),
    "fetch": (
        "Fetch a remote's run tags (never overwriting a local one) and its runs\n"
        "branch, kept under refs/remotes/REMOTE/rerun/runs. Fetched runs are\n"
        "ordinary run tags.",
        (("rerun-git fetch", "from origin"),
         ("rerun-git fetch team && rerun-git list --all", "then see which runs came from a remote")),
    ),
    "log": (
        "The runs branch (`git log --first-parent rerun/runs`), newest first, one\n"
        "line per run. A removed run whose commit is still on the branch shows as\n"
        "NAME (untagged).",
        (("rerun-git log -n 5", "the five newest runs"),
         ("rerun-git log -p", "with the config changes and code diff since each previous run")),
    ),
    "diff": (
        "Compare two runs, or a run and the project's working tree. Sections,\n"
        "each shown when it differs: code, config, datasets, environment\n"
        "(critical marked), metrics. Exit 0 when identical, 1 when different\n"
        "(like `git diff --exit-code`).",
        (("rerun-git diff baseline tuned", "everything that differs"),
         ("rerun-git diff baseline tuned --stat", "one summary line per section"),
         ("rerun-git diff tuned", "the run against the working tree")),
    ),
    "compare": (
        "One row per run: metric columns per algorithm (mean over splits), a\n"
        "column for every parameter that differs between the runs shown, then\n"
        "date, author, dirty, source and message. The table fits the terminal;\n"
        "JSON and CSV hold every column.",
        (("rerun-git compare", "every run"),
         ("rerun-git compare 'tune*' --sort best", "the runs named tune*, best first by the primary metric"),
         ("rerun-git compare a b c --format json", "three runs, every column, as JSON")),
    ),
    "report": (
        "Write the runs as a static site that opens from disk and loads nothing\n"
        "from the network: index.html (sortable, filterable runs table, parallel\n"
        "coordinates, metric trends, a heat map), a page per run and a compare\n"
        "page. Running it again writes only the new runs' pages.",
        (("rerun-git report", "into results/report of the project"),
         ("rerun-git report 'tune*' -o site", "the runs named tune*, into ./site"),
         ("rerun-git report -o site --serve --port 0", "then serve it on 127.0.0.1, any free port")),
    ),
    "verify": (
        "Read everything of each run (all runs when none is named): the tag\n"
        "object, the record, the tree and every listed file's sha256, and check\n"
        "they agree. Exit 1 when a run does not.",
        (("rerun-git verify", "every run"),
         ("rerun-git verify baseline tuned --format json", "two runs, as JSON")),
    ),
    "checkout": (
        "Materialise a run's snapshot as a new detached git worktree in DIR, for\n"
        "reading or running by hand. Remove it with `git worktree remove DIR`.",
        (("rerun-git checkout baseline /tmp/inspect", "the snapshot in /tmp/inspect"),),
    ),
    "rm": (
        "Remove the runs' tags in one transaction; if any name is unknown,\n"
        "nothing is removed. Their snapshot commits stay on the runs branch\n"
        "(shown untagged by `rerun-git log`) unless --prune-history is given.",
        (("rerun-git rm tuned", "remove run/tuned"),
         ("rerun-git rm tuned --prune-history", "and drop its commit from the runs branch")),
    ),
    "gc": (
        "Remove rerun-git's own stale worktrees (locked by a process that is\n"
        "gone, e.g. a killed reproduce), never anyone else's; then run `git gc\n"
        "--auto`.",
        (("rerun-git gc", "clean up"),),
    ),
    "check-env": (
        "Compare this interpreter's environment with the one a run recorded.\n"
        "Python's and the critical packages' (numpy, pandas, scikit-learn, scipy,\n"
        "joblib) major.minor must match. Exit 1 on a critical difference.",
        (("rerun-git check-env baseline", "critical differences"),
         ("rerun-git check-env baseline -v", "every package difference")),
    ),
    "export-env": (
        "Write a pinned requirements file for a run's environment: the critical\n"
        "packages, or every recorded package with --include-all.",
        (("rerun-git export-env baseline -o requirements-baseline.txt", "write the file"),
         ("rerun-git export-env baseline --include-all", "every package, to standard output")),
    ),
}


def examples_epilog(examples: Sequence[tuple[str, str]]) -> str:
    """The ``examples:`` block of a help page: each command line, its meaning indented below."""
    lines = ["examples:"]
    for command, meaning in examples:
        lines += [f"  {command}", f"      {meaning}"]
    return "\n".join(lines)
