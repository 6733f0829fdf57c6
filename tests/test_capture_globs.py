"""The one rule set of capture globs (``[capture] include/exclude/keep_results``), table-driven."""
from __future__ import annotations

import pytest

from rerun_git.capture.selection import glob_matches

CASES = [
    # pattern,           path,                 matches
    ("src/**/*.py",       "src/c.py",           True),   # ** is zero folders too
    ("src/**/*.py",       "src/a/b/c.py",       True),
    ("src/**/*.py",       "lib/c.py",           False),
    ("data/*",            "data/x.csv",         True),
    ("data/*",            "data/x/y.csv",       False),  # * never crosses /
    ("data/**",           "data/x/y.csv",       True),
    ("*.py",              "train.py",           True),
    ("*.py",              "pkg/helpers.py",     True),   # no / in the pattern: the file name at any depth
    ("**/*.py",           "train.py",           True),
    ("**/*.json",         "split_0/a.json",     True),
    ("rerun.toml",        "rerun.toml",         True),
    ("*.csv",             "notes.txt",          False),
    ("?.py",              "a.py",               True),
    ("?.py",              "ab.py",              False),
    ("*",                 ".hidden",            True),   # dot files are not special
    ("[ab].py",           "b.py",               True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_glob_rule(pattern: str, path: str, expected: bool) -> None:
    assert glob_matches(path, [pattern]) is expected


def test_no_pattern_matches_nothing() -> None:
    assert glob_matches("train.py", []) is False


def test_any_of_several_patterns() -> None:
    assert glob_matches("docs/a.md", ["*.py", "docs/*.md"]) is True
