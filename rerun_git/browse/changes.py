"""What ``rerun-git diff`` / ``log -p`` compare, and the result types of :mod:`rerun_git.browse.listing`.

Pure comparisons of :class:`RunRecord` data (config, datasets, metrics),
:func:`load_working_tree`, which describes the project as it is now (its
config loaded through the ``ProjectLoader`` without training, its files,
datasets and environment) so that a run can be compared with it, and the
dataclasses the browse API returns (kept here so that ``rerun_git.browse.listing``,
on the path of ``list`` and ``show``, imports fast).
"""
from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.errors import RerunError
from rerun_git.experiment._params import dataset_key
from rerun_git.record.compare import compare_metrics
from rerun_git.record.run_record import CONFIG_SECTIONS, RunRecord

if TYPE_CHECKING:
    from rerun_git.record.environment import EnvDifference
    from rerun_git.store.history import FileStat
    from rerun_git.store.runs import RunInfo

#: Dataset fields compared; a field unknown on one side (None) is not compared.
DATASET_FIELDS = ("sha256", "size", "num_samples", "num_features", "feature_names", "table_name")


@dataclass(frozen=True)
class ConfigChange:
    """One configuration value that differs; ``status`` is ``changed``, ``added`` or ``removed``."""

    key: str
    old: Any
    new: Any
    status: str

    def describe(self) -> str:
        if self.status == "added":
            return f"{self.key}: (absent) -> {_show(self.new)}"
        if self.status == "removed":
            return f"{self.key}: {_show(self.old)} -> (absent)"
        return f"{self.key}: {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True)
class DatasetChange:
    """A dataset added, removed, or changed in some fields (``{field: [old, new]}``)."""

    key: str
    status: str
    fields: dict[str, list[Any]] = field(default_factory=dict)

    def describe(self) -> str:
        if self.status != "changed":
            return f"{self.key}: {self.status}"
        parts = [f"{name} {_short(old)} -> {_short(new)}" for name, (old, new) in self.fields.items()]
        return f"{self.key}: " + ", ".join(parts)


class _Delta:
    """``delta`` of a value in run a (``old``) and run b (``new``); None when one is absent."""

    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass(frozen=True)
class SummaryDelta(_Delta):
    """One metric of one group / dataset / algorithm / result file: the means over splits of run a and b."""

    label: str
    file: str
    metric: str
    old: float | None
    new: float | None


def summary_changes(old: RunRecord, new: RunRecord) -> list[SummaryDelta]:
    """Per-algorithm means of both runs, for every summary line of either (identical ones included)."""
    a = {(l.label, l.file, l.metric): l.mean for l in old.summary()}
    b = {(l.label, l.file, l.metric): l.mean for l in new.summary()}
    return [SummaryDelta(*key, a.get(key), b.get(key)) for key in list(a) + [k for k in b if k not in a]]


@dataclass(frozen=True)
class MetricDelta(_Delta):
    """One metric of one result row whose value differs (``None``: absent on that side)."""

    row: str
    metric: str
    old: float | None
    new: float | None


def _show(value: Any) -> str:
    return "none" if value is None else repr(value) if isinstance(value, str) else str(value)


def _short(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, str) and len(value) == 64:
        return value[:12]
    return str(value)


# ---------------------------------------------------------------- config
def flatten_config(record: dict[str, Any], with_seed: bool = True) -> dict[str, Any]:
    """The record's configuration as ``{"dotted.key": value}``.

    Lists of tables that carry a ``name`` (groups, algorithms, metrics) are
    keyed by it (``algorithms[ridge].default_params.alpha``); other lists of
    tables by position; any other list is one value. Empty tables and lists
    are left out (they set nothing).
    """
    out: dict[str, Any] = {}
    if with_seed and "seed" in record:
        out["seed"] = record["seed"]
    for section in CONFIG_SECTIONS:
        if section in record:
            _flatten(record[section], section, out)
    return out


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}", out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        names = [v.get("name") for v in value]
        keyed = all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names)
        for index, item in enumerate(value):
            label = names[index] if keyed else str(index)
            for key, sub in item.items():
                if not (keyed and key == "name"):
                    _flatten(sub, f"{prefix}[{label}].{key}", out)
    elif not (isinstance(value, (dict, list)) and not value):  # an empty table or list carries no setting
        out[prefix] = value


def config_changes(old: dict[str, Any], new: dict[str, Any], with_seed: bool = True) -> list[ConfigChange]:
    """Differences between two records' configurations (``RunRecord.to_dict()`` shapes)."""
    a, b = flatten_config(old, with_seed), flatten_config(new, with_seed)
    changes = []
    for key in list(a) + [k for k in b if k not in a]:
        if key not in b:
            changes.append(ConfigChange(key, a[key], None, "removed"))
        elif key not in a:
            changes.append(ConfigChange(key, None, b[key], "added"))
        elif a[key] != b[key]:
            changes.append(ConfigChange(key, a[key], b[key], "changed"))
    return changes


# ---------------------------------------------------------------- datasets, metrics
def dataset_changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[DatasetChange]:
    """Datasets added, removed or changed (sha256, size, shape, features)."""
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        if key not in new:
            changes.append(DatasetChange(key, "removed"))
        elif key not in old:
            changes.append(DatasetChange(key, "added"))
        else:
            diff = {
                name: [old[key].get(name), new[key].get(name)] for name in DATASET_FIELDS
                if name in old[key] and name in new[key] and old[key][name] != new[key][name]
                and (old[key][name] is not None or name == "sha256") and (new[key][name] is not None or name == "sha256")
            }
            if diff:
                changes.append(DatasetChange(key, "changed", diff))
    return changes


def metric_changes(old: dict[str, dict[str, float]], new: dict[str, dict[str, float]]) -> list[MetricDelta]:
    """Every metric of every result row whose value differs (exact comparison; NaN equals NaN)."""
    return [MetricDelta(c.row, c.metric, c.recorded, c.reproduced) for c in compare_metrics(old, new) if not c.matches]


# ---------------------------------------------------------------- the working tree
@dataclass
class WorkingTree:
    """The project as it is now, shaped like a run for comparison.

    ``record`` holds the configuration (loaded without training), datasets
    (sha256 and size of the files now) and the current environment; it has
    no metrics and no seed. ``config_error`` says why the configuration could
    not be loaded, if it could not.
    """

    root: Path
    record: RunRecord
    files: dict[str, bytes]
    config_error: str | None = None


def load_working_tree(start: Path, run_record: RunRecord, run_files: list[str]) -> WorkingTree:
    """Describe the project containing ``start`` for a comparison with ``run_record``.

    Project code is executed the way ``rerun-git run`` loads it (settings,
    data manager, algorithms, metrics, evaluators, workflows), but nothing
    is trained. ``run_files`` are the run's code files: those still present
    are compared even when the include globs no longer select them.
    """
    from rerun_git.capture.recorder import ConfigRecorder, now_utc
    from rerun_git.capture.selection import is_never_captured, select_project_files
    from rerun_git.record.environment import capture_environment
    from rerun_git.settings import find_project_root, load_project_settings

    root = find_project_root(start)
    settings = load_project_settings(root)
    service = ConfigRecorder("working-tree")
    context = service.bind_project(root, settings, seed=0)
    executed: dict[str, bytes] = {}
    error = None
    try:
        executed = _load_configuration(root, service)
    except RerunError as exc:
        error = exc.message
    files = select_project_files(root, settings.include, settings.exclude, executed)
    for path in run_files:
        if path not in files and not is_never_captured(path) and (root / path).is_file():
            files[path] = (root / path).read_bytes()
    record = RunRecord(
        name="(working tree)", created=now_utc().strftime("%Y-%m-%dT%H:%M:%SZ"), seed=0,
        rerun_git_version=run_record.rerun_git_version, env=capture_environment(),
    )
    if error is None:
        record.set_config_sections(service.sections)
        keys = [(f, t) for f, t in context.datasets]
    else:
        keys = [(d.get("filename", k), d.get("table_name")) for k, d in run_record.datasets.items()]
    record.datasets = {dataset_key(f, t): _dataset_now(root, f, t) for f, t in keys}
    return WorkingTree(root, record, dict(sorted(files.items())), error)


def _load_configuration(root: Path, service: Any) -> dict[str, bytes]:
    """Load every part of the project, recorded by ``service`` (a ConfigRecorder); return the executed files' bytes."""
    from rerun_git.capture.recorder import CaptureStrategy
    from rerun_git.experiment.project import ProjectLoader

    loader = ProjectLoader(root, CaptureStrategy(service))
    with loader.importing():
        plan = loader.load_configuration()
        loader.load_base_data_manager()
        loader.load_algorithms()
        loader.load_metrics()
        loader.load_evaluators(plan.plot_settings)
        for workflow in dict.fromkeys(group.workflow for group in plan.groups):
            loader.load_workflow(workflow)
    service.record_plan(plan)
    return dict(loader.files)


def _dataset_now(root: Path, filename: str, table: str | None) -> dict[str, Any]:
    from rerun_git.experiment.project import dataset_path
    from rerun_git.record.datasets import sha256_file

    path = dataset_path(root, filename)
    present = path.is_file()
    return {
        "filename": filename, "table_name": table,
        "size": path.stat().st_size if present else None,
        "sha256": sha256_file(path) if present else None,
    }


def unified_diff(path: str, old: bytes | None, new: bytes | None) -> tuple[str, int | None, int | None]:
    """A git-style unified diff of one file's two versions, with its added and removed line counts (None: binary)."""
    header = f"diff --git a/{path} b/{path}\n"
    if old is None:
        header += "new file mode 100644\n"
    elif new is None:
        header += "deleted file mode 100644\n"
    if b"\0" in (old or b"") or b"\0" in (new or b""):
        return header + f"Binary files a/{path} and b/{path} differ\n", None, None
    a = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    b = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(a, b, "/dev/null" if old is None else f"a/{path}",
                                      "/dev/null" if new is None else f"b/{path}"))
    body = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    added = sum(1 for line in lines[2:] if line.startswith("+"))
    removed = sum(1 for line in lines[2:] if line.startswith("-"))
    return header + body, added, removed


# ---------------------------------------------------------------- result types of rerun_git.browse.listing
@dataclass
class LogEntry:
    """One run on the runs branch (``rerun-git log``), newest first.

    ``code`` / ``patch`` / ``config`` / ``datasets`` (filled by ``log_runs(patch=True)``)
    are the changes from the previous run on the branch.
    """

    name: str
    tag: str | None
    commit: str
    date: datetime
    subject: str
    source: str | None
    dirty: bool
    code: list[FileStat] = field(default_factory=list)
    patch: str = ""
    config: list[ConfigChange] = field(default_factory=list)
    datasets: list[DatasetChange] = field(default_factory=list)
    first: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


@dataclass
class RunDiff:
    """Everything that differs between run ``a`` and ``b`` (a run or the working tree).

    Attributes
    ----------
    code : list of FileStat
        Changed project files (``patch`` holds the unified diff).
    config : list of ConfigChange
    datasets : list of DatasetChange
    env : list of EnvDifference
        Critical ones first (``critical=True``).
    metrics : list of MetricDelta
        Only rows/metrics whose values differ; empty when ``b`` is the working
        tree (it has no metrics: ``metrics_compared`` is False).
    notes : list of str
        What could not be compared, and why.
    """

    a: str
    b: str
    a_commit: str
    b_commit: str | None
    code: list[FileStat] = field(default_factory=list)
    patch: str = ""
    config: list[ConfigChange] = field(default_factory=list)
    datasets: list[DatasetChange] = field(default_factory=list)
    env: list[EnvDifference] = field(default_factory=list)
    metrics: list[MetricDelta] = field(default_factory=list)
    #: Per-algorithm means of both runs (empty against the working tree).
    summary: list[SummaryDelta] = field(default_factory=list)
    metrics_compared: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """True when no section differs and everything could be compared."""
        return not (self.code or self.config or self.datasets or self.env or self.metrics or self.config_unavailable)

    @property
    def config_unavailable(self) -> bool:
        return any(note.startswith("config:") for note in self.notes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["identical"] = self.identical
        for item, change in zip(data["metrics"], self.metrics):
            item["delta"] = change.delta
        return data


@dataclass(frozen=True)
class CheckedOut:
    """A run materialised as a new worktree."""

    run: RunInfo
    path: Path
    missing_datasets: list[str]
    #: The run's provenance lines (origin, author, committer, tagger, source), unescaped.
    provenance: list[str] = field(default_factory=list)
    #: files with a ``filter`` attribute (git-lfs...): checked out as git stores them, unfiltered
    filtered: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemovedRuns:
    """What ``rerun-git rm`` removed."""

    runs: list[RunInfo]
    pruned: bool
    rewritten: list[str]
    branch_deleted: bool


@dataclass(frozen=True)
class EnvCheck:
    """The current environment against a run's recorded one."""

    run: str
    recorded_python: str | None
    current_python: str | None
    differences: list[EnvDifference]

    @property
    def critical(self) -> list[EnvDifference]:
        return [d for d in self.differences if d.critical]

    @property
    def ok(self) -> bool:
        return not self.critical

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run, "ok": self.ok, "recorded_python": self.recorded_python,
            "current_python": self.current_python, "differences": [asdict(d) for d in self.differences],
        }
