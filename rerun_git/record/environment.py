"""The environment a run ran in: capture (in-process), compare, export."""
from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

#: Packages whose major.minor must match for a reproduction to be trusted.
CRITICAL_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy", "joblib")


def capture_environment() -> dict[str, Any]:
    """Python version, platform, machine type and every installed distribution's version.

    Read in-process with :mod:`importlib.metadata` (never ``pip list``); no
    environment variable values are recorded.
    """
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": installed_packages(),
    }


def installed_packages() -> dict[str, str]:
    """``{canonical name: version}`` of the distributions visible on ``sys.path``.

    Names and versions are read from ``<name>-<version>.dist-info`` folder
    names (a directory listing per path entry); only distributions whose
    folder name does not carry them fall back to parsing their metadata,
    which is ten times slower.
    """
    packages: dict[str, str] = {}
    for entry in sys.path:
        for name, version in _scan_path_entry(entry or "."):
            packages.setdefault(name, version)
    return dict(sorted(packages.items()))


def _scan_path_entry(entry: str) -> list[tuple[str, str]]:
    try:
        folders = [d for d in os.scandir(entry) if d.name.endswith((".dist-info", ".egg-info"))]
    except OSError:
        return []
    found = []
    for folder in folders:
        stem = folder.name.rsplit(".", 1)[0]
        name, sep, version = stem.partition("-")
        if folder.name.endswith(".egg-info") or not sep or "-" in version:
            from importlib import metadata  # here: 40 ms to import, and `show` only needs CRITICAL_PACKAGES

            dist = metadata.PathDistribution(Path(folder.path))
            name, version = dist.metadata["Name"] or name, dist.version
        if name and version:
            found.append((canonicalize_name(name), version))
    return found


@dataclass(frozen=True)
class EnvDifference:
    """One package (or Python itself) whose version differs."""

    package: str
    recorded: str | None
    current: str | None
    critical: bool

    def describe(self) -> str:
        mark = " (critical)" if self.critical else ""
        return f"{self.package}: {self.recorded or 'absent'} -> {self.current or 'absent'}{mark}"


def major_minor(version: str | None) -> tuple[str, ...] | None:
    return tuple(version.split(".")[:2]) if version else None


def compare_environment(recorded: dict[str, Any], current: dict[str, Any]) -> list[EnvDifference]:
    """Differences between two captured environments, critical ones first.

    Python and the critical packages are critical when their major.minor
    differs; every other version change is reported as non-critical.
    """
    diffs: list[EnvDifference] = []
    old_py, new_py = recorded.get("python"), current.get("python")
    if old_py != new_py:
        diffs.append(EnvDifference("python", old_py, new_py, major_minor(old_py) != major_minor(new_py)))
    old, new = recorded.get("packages", {}), current.get("packages", {})
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        critical = name in CRITICAL_PACKAGES and major_minor(old.get(name)) != major_minor(new.get(name))
        diffs.append(EnvDifference(name, old.get(name), new.get(name), critical))
    return sorted(diffs, key=lambda d: (not d.critical, d.package))


def requirements_text(env: dict[str, Any], include_all: bool = False) -> str:
    """A pinned requirements file for ``env``: the critical packages, or all with ``include_all``."""
    packages = env.get("packages", {})
    names = sorted(packages) if include_all else [n for n in CRITICAL_PACKAGES if n in packages]
    header = f"# Python {_comment(env.get('python', '?'))} on {_comment(env.get('platform', '?'))}\n"
    return header + "".join(_pin_line(name, packages[name]) for name in names)


def _pin_line(name: str, version: str) -> str:
    """``name==version`` when ``packaging`` reads it back as that one pin; else a comment saying it was left out."""
    from rerun_git.errors import RerunError
    from rerun_git.record.validation import pinned_requirement

    try:
        return pinned_requirement(name, version) + "\n"
    except RerunError:
        return f"# left out: {_comment(name)} {_comment(version)} is not a PEP 508 name with a PEP 440 version\n"


def _comment(text: str) -> str:
    """Recorded text made safe for one comment line of a requirements file (no line break, no control byte)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)
