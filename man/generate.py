"""Write the man pages rerun-git.1 and git-rerun.1 from the argparse parser.

Run ``python man/generate.py`` after changing a command's options or help text;
``python man/generate.py --check`` (run by tests/test_cli_help.py) fails while
the committed pages differ from what this writes. The pages hold every command's ``--help`` text verbatim (pre-formatted,
so the usage lines and examples keep their layout), between roff sections.
pyproject.toml installs them into ``<prefix>/share/man/man1``, where ``man``
finds them through PATH (``<prefix>/bin`` is on it), so ``git rerun --help``
(which runs ``man git-rerun``) shows them.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGES = HERE / "man1"  # a man tree of its own: `MANPATH=man:` finds the pages in a source checkout

TAIL = r""".SH EXIT STATUS
.TP
.B 0
success (for diff: identical; for reproduce: every metric and split matches)
.TP
.B 1
an error (one line \fBrerun\-git: error:\fR plus a \fBhint:\fR line), or the
"different/failed" answer of diff, check\-env, reproduce and check
.TP
.B 2
a usage error: unknown command or option, missing argument
.TP
.B 130
interrupted
.SH ENVIRONMENT
.TP
.B NO_COLOR
when set and not empty, no colour (unless \fB\-\-color=always\fR)
.TP
.B TERM
\fBdumb\fR: no colour
.SH SEE ALSO
.BR git (1),
.BR git\-tag (1),
.BR git\-worktree (1)
"""


def roff_text(text: str) -> str:
    """``text`` safe for a roff ``.nf`` block: backslashes, dashes and leading dots escaped."""
    lines = []
    for line in text.replace("\\", "\\e").replace("-", "\\-").splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def preformatted(text: str) -> str:
    return f".nf\n{roff_text(text.rstrip())}\n.fi\n"


def man_page() -> str:
    """The whole rerun-git(1) page."""
    from rerun_git._version import __version__
    from rerun_git.cli import build_parser
    from rerun_git.commands._help import WIDTH

    os.environ["COLUMNS"] = str(WIDTH + 2)  # argparse wraps its option help at COLUMNS - 2

    parser = build_parser()
    parts = [
        f'.TH RERUN\\-GIT 1 "" "rerun\\-git {__version__}" "rerun\\-git manual"\n',
        ".SH NAME\nrerun\\-git, git\\-rerun \\- capture scikit\\-learn experiment runs into git and reproduce them\n",
        ".SH SYNOPSIS\n" + preformatted(parser.format_usage().removeprefix("usage: ").replace("\n" + " " * 7, "\n")),
        ".SH DESCRIPTION\n" + preformatted(parser.format_help().removeprefix(parser.format_usage()).lstrip("\n")),
        ".SH COMMANDS\n",
    ]
    for name, command in parser.commands.items():
        parts.append(f".SS {roff_text(name)}\n" + preformatted(command.format_help()))
    parts.append(TAIL)
    return "".join(parts)


def pages() -> dict[Path, str]:
    """Each page file and its text: git-rerun(1) is a roff link to rerun-git(1)."""
    return {PAGES / "rerun-git.1": man_page(), PAGES / "git-rerun.1": ".so man1/rerun-git.1\n"}


def main(argv: list[str]) -> int:
    """Write the pages; with ``--check``, write nothing and exit 1 when a committed page is stale."""
    sys.path.insert(0, str(HERE.parent))
    stale = [path for path, text in pages().items() if not path.exists() or path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path} is out of date: run python man/generate.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in pages().items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
