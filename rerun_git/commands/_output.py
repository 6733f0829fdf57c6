"""Terse, aligned, git-like output helpers shared by the commands."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO


def escape(text: str, multiline: bool = False) -> str:
    """``text`` with every character a terminal would not print as itself escaped (``\\x1b``, ``\\u202e``).

    The one guard between the terminal and text read out of git objects or records:
    control characters (ANSI escapes, carriage returns, backspaces), C1
    controls, bidi overrides, other format characters and lone surrogates.
    With ``multiline``, newlines and tabs stay (patches, multi-line notes).
    """
    if text.isprintable() or (multiline and text.replace("\n", "").replace("\t", "").isprintable()):
        return text
    keep = "\n\t" if multiline else ""
    return "".join(ch if ch.isprintable() or ch in keep else _escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def out(line: str = "", multiline: bool = False, paint: Callable[[str], str] | None = None) -> None:
    """Print ``line`` to standard output, escaped (see :func:`escape`), then coloured by ``paint`` (a Style method)."""
    text = escape(line, multiline)
    print(paint(text) if paint else text)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], file=None, style: Style | None = None) -> None:
    """Left-aligned columns separated by two spaces; the header line in capitals (bold with ``style``); cells escaped."""
    file = file or sys.stdout
    cells = [[escape(str(h).upper()) for h in headers]] + [[escape(_cell(v)) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
        print(style.header(line) if style and number == 0 else line, file=file)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def print_json(data: Any) -> None:
    import json  # here: `list` and `show` print tables without it

    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def err(line: str) -> None:
    """Print ``line`` to standard error, escaped (see :func:`escape`)."""
    print(escape(line), file=sys.stderr)


def mean_std(line: Any) -> str:
    """``43.2 ± 1.1`` (``43.2`` for a single split) of a :class:`~rerun_git.record.summary.SummaryLine`."""
    return f"{line.mean:.6g}" if line.n < 2 else f"{line.mean:.6g} ± {line.std:.2g}"


def print_summary(lines: Sequence[Any], file=None) -> None:
    """One line per group / dataset / algorithm (and result file, when there are several): mean ± std over splits."""
    from rerun_git.record.summary import pivot

    metrics, rows = pivot(list(lines))
    if not rows:
        print("no metrics", file=file or sys.stdout)
        return
    with_file = len({row_file for _label, row_file, _cells in rows}) > 1
    headers = ["algorithm", *(["file"] if with_file else []), *metrics]
    print_table(headers, [(label, *([row_file] if with_file else []), *(mean_std(cells[m]) if m in cells else None
                                                                       for m in metrics))
                          for label, row_file, cells in rows], file=file)


# ---------------------------------------------------------------- colour
def color_enabled(when: str = "auto", stream: TextIO | None = None) -> bool:
    """Whether to colour ``stream`` (default: standard output), after git's ``--color`` rules.

    ``always`` and ``never`` decide; ``auto`` colours a terminal unless ``NO_COLOR`` is set to a
    non-empty value (https://no-color.org) or ``TERM`` is ``dumb``.
    """
    if when in ("always", "never"):
        return when == "always"
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class Style:
    """ANSI colours in git's scheme; every method returns the text unchanged when colour is off.

    Parameters
    ----------
    enabled : bool
        Colour at all (see :func:`color_enabled`).
    """

    RESET = "\033[m"
    CODES = {"header": "1", "commit": "33", "old": "31", "new": "32", "hunk": "36"}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_args(cls, args: Any, stream: TextIO | None = None) -> Style:
        """The style for a command's ``--color``/``--no-color`` (``auto`` when the command has none)."""
        return cls(color_enabled(getattr(args, "color", "auto"), stream))

    def paint(self, text: str, role: str) -> str:
        """``text`` in the colour of ``role``: header, commit, old, new or hunk."""
        return f"\033[{self.CODES[role]}m{text}{self.RESET}" if self.enabled and text else text

    def header(self, text: str) -> str:
        return self.paint(text, "header")

    def commit(self, text: str) -> str:
        return self.paint(text, "commit")

    def old(self, text: str) -> str:
        return self.paint(text, "old")

    def new(self, text: str) -> str:
        return self.paint(text, "new")

    def patch(self, text: str) -> str:
        """A unified diff coloured like ``git diff --color``: file headers bold, hunks cyan, -/+ red/green."""
        if not self.enabled:
            return text
        lines, in_hunk = [], False
        for line in text.split("\n"):
            if line.startswith("diff --git "):
                in_hunk = False
            elif line.startswith("@@"):
                in_hunk = True
                lines.append(self.paint(line, "hunk"))
                continue
            if not in_hunk:
                lines.append(self.header(line))
            else:
                lines.append(self.new(line) if line.startswith("+") else self.old(line) if line.startswith("-") else line)
        return "\n".join(lines)
