"""The project root and its settings: the one parser of ``rerun.toml``.

A project root is the nearest folder holding ``rerun.toml`` (or a Brisk
project's ``.brisk/`` folder, where ``rerun.toml`` is optional). Every command
reads settings through :func:`load_project_settings` or :func:`settings_near`,
so a file one command accepts is accepted by all.

Imports only :mod:`rerun_git.errors` and the standard library: read paths stay cheap.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError

MARKER = "rerun.toml"
#: A Brisk project's marker folder (``brisk create`` writes it); ``rerun.toml`` is optional beside it.
BRISK_MARKER = ".brisk"


@dataclass
class ProjectSettings:
    """The settings of ``rerun.toml``; every key is optional.

    Attributes
    ----------
    include, exclude : list of str
        ``[capture]`` globs of the project files a snapshot holds besides the executed ones.
    embed_datasets_max_mb : float
        ``[capture]`` datasets up to this size are stored in the run.
    keep_results : list of str
        ``[capture]`` globs of result files kept in the run (``.rerun/results/``).
    max_kept_mb : float
        ``[capture]`` the most kept result files may add up to.
    tag_prefix, branch : str
        ``[refs]`` where runs live: tags ``<tag_prefix><name>``, commits on ``branch``.
    seed : int or str or None
        ``[run]`` the run seed (``"random"`` draws one); None: the data manager's ``random_state``.
    jobs : int
        ``[run]`` experiment cells run at once (``-1``: all cores).
    scheduler : str or None
        ``[run]`` the address of a Dask scheduler that runs the cells.
    split_plots : bool
        ``[run]`` also draw Brisk's ``split_distribution/`` figures (needs matplotlib;
        off by default: at Brisk's 300 dpi each figure takes about half a second).
    post_run_hook : str or None
        ``[hooks] post_run``: the command run after each capture (``""`` turns it off).
    trusted_remotes, trusted_signers : list of str
        ``[trust] remotes, signers``: runs fetched from these remotes, or signed by these keys,
        are reproduced without ``--trust``.
    """

    include: list[str] = field(default_factory=lambda: ["**/*.py", MARKER])
    exclude: list[str] = field(default_factory=list)
    embed_datasets_max_mb: float = 50
    keep_results: list[str] = field(default_factory=lambda: ["**/*.json"])
    max_kept_mb: float = 50
    tag_prefix: str = "run/"
    branch: str = "rerun/runs"
    seed: int | str | None = None
    jobs: int = 1
    scheduler: str | None = None
    split_plots: bool = False
    post_run_hook: str | None = None
    trusted_remotes: list[str] = field(default_factory=list)
    trusted_signers: list[str] = field(default_factory=list)


#: (table, key) -> (ProjectSettings field, expected kind)
_SETTINGS_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("capture", "include"): ("include", "strings"),
    ("capture", "exclude"): ("exclude", "strings"),
    ("capture", "embed_datasets_max_mb"): ("embed_datasets_max_mb", "number"),
    ("capture", "keep_results"): ("keep_results", "strings"),
    ("capture", "max_kept_mb"): ("max_kept_mb", "number"),
    ("refs", "tag_prefix"): ("tag_prefix", "string"),
    ("refs", "branch"): ("branch", "string"),
    ("run", "seed"): ("seed", "seed"),
    ("run", "jobs"): ("jobs", "jobs"),
    ("run", "scheduler"): ("scheduler", "string"),
    ("run", "split_plots"): ("split_plots", "bool"),
    ("hooks", "post_run"): ("post_run_hook", "string"),
    ("trust", "remotes"): ("trusted_remotes", "strings"),
    ("trust", "signers"): ("trusted_signers", "strings"),
}

_KINDS: dict[str, tuple[str, Any]] = {
    "strings": ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v)),
    "string": ("a string", lambda v: isinstance(v, str)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "number": ("a non-negative number", lambda v: _is_number(v) and v >= 0),
    "seed": ("an integer from 0 to 4294967295, or \"random\"",
             lambda v: v == "random" or (_is_int(v) and 0 <= v <= 2**32 - 1)),
    "jobs": ("a positive integer, or -1 for all cores", lambda v: _is_int(v) and (v >= 1 or v == -1)),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_setting(value: Any, kind: str, key: str) -> Any:
    want, valid = _KINDS[kind]
    if not valid(value):
        raise RerunError(f"{MARKER}: {key} must be {want}", hint=f"got {value!r}")
    return value


def parse_project_settings(data: bytes, origin: str = MARKER) -> ProjectSettings:
    """Parse the bytes of ``rerun.toml`` into :class:`ProjectSettings`.

    Raises
    ------
    RerunError
        On malformed TOML, an unknown section or key, or a value of the wrong type.
    """
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RerunError(f"{MARKER}: malformed TOML: {exc}", hint=f"fix the syntax of {origin}") from None
    tables = sorted({t for t, _ in _SETTINGS_KEYS})
    values: dict[str, Any] = {}
    for table, content in doc.items():
        if table not in tables or not isinstance(content, dict):
            raise RerunError(f"{MARKER}: unknown section {table!r}", hint=f"sections: {', '.join(tables)}")
        for key, value in content.items():
            spec = _SETTINGS_KEYS.get((table, key))
            if spec is None:
                allowed = ", ".join(k for t, k in _SETTINGS_KEYS if t == table)
                raise RerunError(f"{MARKER}: unknown key {table}.{key}", hint=f"keys in [{table}]: {allowed}")
            values[spec[0]] = _check_setting(value, spec[1], f"{table}.{key}")
    return ProjectSettings(**values)


def find_project_root(start: Path | str) -> Path:
    """The nearest folder at or above ``start`` that holds a project marker (``rerun.toml`` or ``.brisk/``).

    Raises
    ------
    RerunError
        When no folder above ``start`` is a project.
    """
    root = project_root_or_none(start)
    if root is None:
        raise RerunError(f"no {MARKER} found in {Path(start).resolve()} or any parent",
                         hint="run `rerun-git create` to start a project, or cd into one "
                              "(a Brisk project's .brisk/ folder marks one too)")
    return root


def project_root_or_none(start: Path | str) -> Path | None:
    """Like :func:`find_project_root`, but None outside any project."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if is_project_root(folder):
            return folder
    return None


def is_project_root(folder: Path) -> bool:
    """Whether ``folder`` holds ``rerun.toml`` or a Brisk project's ``.brisk/`` folder."""
    return (folder / MARKER).is_file() or (folder / BRISK_MARKER).is_dir()


def load_project_settings(root: Path | str) -> ProjectSettings:
    """The settings of the project at ``root``; the defaults where it has no ``rerun.toml``."""
    path = Path(root) / MARKER
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ProjectSettings()
    except OSError as exc:
        raise RerunError(f"cannot read {path}: {exc.strerror}", hint="check the file's permissions") from None
    return parse_project_settings(data, origin=str(path))


def settings_near(path: Path | str) -> ProjectSettings:
    """The settings of the project containing ``path``; the defaults outside any project."""
    root = project_root_or_none(path)
    return ProjectSettings() if root is None else load_project_settings(root)
