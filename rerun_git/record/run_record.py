"""RunRecord: the captured config of one run, as ``.rerun/run.toml``.

TOML has no null, so ``None`` is written as the marker table
``{ __none__ = true }`` and read back as ``None``, at any depth.
"""
from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.settings import settings_near
from rerun_git.store.repo import Repo
from rerun_git.store.runs import RefSettings, RunInfo, read_blob, resolve_run

SCHEMA_VERSION = 1
RECORD_PATH = ".rerun/run.toml"
NONE_MARKER = "__none__"


@dataclass
class RunRecord:
    """Everything needed to reproduce a run and verify it.

    Attributes mirror the sections of ``.rerun/run.toml`` (see
    ``docs/storage-format.md``).
    """

    name: str
    created: str
    seed: int
    rerun_git_version: str
    schema: int = SCHEMA_VERSION
    message: str = ""
    source_commit: str | None = None
    dirty: bool = False
    project_path: str = ""
    reproduces: str | None = None
    env: dict[str, Any] = field(default_factory=dict)
    base_data_manager: dict[str, Any] = field(default_factory=dict)
    configuration: dict[str, Any] = field(default_factory=dict)
    experiment_groups: list[dict[str, Any]] = field(default_factory=list)
    algorithms: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    evaluators: dict[str, Any] = field(default_factory=dict)
    workflows: dict[str, dict[str, str]] = field(default_factory=dict)
    plot_settings: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the record as plain data, equal to ``dataclasses.asdict(self)``."""
        return {spec.name: _plain(getattr(self, spec.name)) for spec in fields(self)}

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(encode_none(self.to_dict()))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "run record") -> RunRecord:
        """Build a record from ``data``, checking every top-level key's type."""
        if not isinstance(data, dict):
            raise RerunError(f"{origin}: not a table", hint=_CORRUPT_HINT)
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise RerunError(f"{origin}: unknown key {unknown[0]!r}", hint=_CORRUPT_HINT)
        for spec in fields(cls):
            _check_type(spec.name, data, origin)
        if data["schema"] > SCHEMA_VERSION:
            raise RerunError(
                f"{origin}: schema {data['schema']} is newer than this rerun-git understands ({SCHEMA_VERSION})",
                hint="upgrade rerun-git",
            )
        return cls(**data)

    @classmethod
    def from_toml(cls, text: str | bytes, origin: str = "run record") -> RunRecord:
        """Parse ``.rerun/run.toml``; any problem is one :class:`RerunError` naming ``origin``."""
        try:
            raw = text.decode("utf-8") if isinstance(text, bytes) else text
            data = decode_none(tomllib.loads(raw))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise RerunError(f"{origin}: cannot parse: {exc}", hint=_CORRUPT_HINT) from None
        return cls.from_dict(data, origin)

    def metric_summary(self) -> dict[str, float]:
        return summarize_metrics(self.results)


_CORRUPT_HINT = "the record was edited or damaged; `git show <tag>:.rerun/run.toml` shows it"

_REQUIRED = {"name", "created", "seed", "rerun_git_version", "schema"}
_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "created": (str,), "seed": (int,), "rerun_git_version": (str,), "schema": (int,),
    "message": (str,), "source_commit": (str, type(None)), "dirty": (bool,), "project_path": (str,),
    "reproduces": (str, type(None)), "env": (dict,), "base_data_manager": (dict,), "configuration": (dict,),
    "experiment_groups": (list,), "algorithms": (list,), "metrics": (list,), "evaluators": (dict,),
    "workflows": (dict,), "plot_settings": (dict,), "datasets": (dict,), "splits": (dict,), "files": (dict,), "results": (dict,),
}


def _check_type(key: str, data: dict[str, Any], origin: str) -> None:
    if key not in data:
        if key in _REQUIRED:
            raise RerunError(f"{origin}: missing key {key!r}", hint=_CORRUPT_HINT)
        return
    value = data[key]
    expected = _TYPES[key]
    if isinstance(value, bool) and bool not in expected:
        expected_ok = False
    else:
        expected_ok = isinstance(value, expected)
    if not expected_ok:
        names = " or ".join("none" if t is type(None) else t.__name__ for t in expected)
        raise RerunError(f"{origin}: key {key!r} should be {names}, not {type(value).__name__}", hint=_CORRUPT_HINT)
    _check_nested(key, value, origin)


def _check_nested(key: str, value: Any, origin: str) -> None:
    if key in ("experiment_groups", "algorithms", "metrics") and not all(isinstance(v, dict) for v in value):
        raise RerunError(f"{origin}: every entry of {key!r} should be a table", hint=_CORRUPT_HINT)
    if key in ("workflows", "datasets", "splits", "results") and not all(isinstance(v, dict) for v in value.values()):
        raise RerunError(f"{origin}: every entry of {key!r} should be a table", hint=_CORRUPT_HINT)
    if key == "files" and not all(isinstance(v, str) for v in value.values()):
        raise RerunError(f"{origin}: every entry of 'files' should be a sha256 string", hint=_CORRUPT_HINT)
    if key in _ENTRY_FIELDS:
        for name, entry in value.items():
            _check_entry(key, name, entry, origin)
    if key == "env":
        _check_env(value, origin)
    if key == "results":
        for row, metrics in value.items():
            for metric, number in metrics.items():
                if isinstance(number, bool) or not isinstance(number, (int, float)):
                    raise RerunError(f"{origin}: results[{row!r}][{metric!r}] should be a number", hint=_CORRUPT_HINT)


#: Fields every entry of these tables must have, with their types (what reproduce and show rely on).
_ENTRY_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "datasets": {"filename": (str,), "sha256": (str,), "size": (int,), "embedded": (bool,)},
    "workflows": {"file": (str,), "class": (str,)},
}
_OPTIONAL_ENTRY_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "datasets": {"table_name": (str, type(None)), "feature_names": (list,), "num_features": (int,), "num_samples": (int,)},
    "workflows": {},
}


def _check_entry(key: str, name: str, entry: dict[str, Any], origin: str) -> None:
    required, optional = _ENTRY_FIELDS[key], _OPTIONAL_ENTRY_FIELDS[key]
    for field_name, types in {**required, **optional}.items():
        if field_name not in entry:
            if field_name in required:
                raise RerunError(f"{origin}: {key}[{name!r}] has no {field_name!r}", hint=_CORRUPT_HINT)
            continue
        value = entry[field_name]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise RerunError(f"{origin}: {key}[{name!r}][{field_name!r}] has the wrong type ({type(value).__name__})",
                             hint=_CORRUPT_HINT)


def _check_env(env: dict[str, Any], origin: str) -> None:
    for field_name in ("python", "platform", "implementation"):
        if field_name in env and not isinstance(env[field_name], str):
            raise RerunError(f"{origin}: env.{field_name} should be a string", hint=_CORRUPT_HINT)
    packages = env.get("packages", {})
    if not isinstance(packages, dict) or not all(isinstance(v, str) for v in packages.values()):
        raise RerunError(f"{origin}: env.packages should map package names to version strings", hint=_CORRUPT_HINT)


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """What ``dataclasses.asdict`` makes of ``value``, ten times faster for the dicts, lists and scalars of a record."""
    kind = type(value)
    if kind is dict:
        return {key if type(key) is str else _plain(key): _plain(item) for key, item in value.items()}
    if kind is list:
        return [_plain(item) for item in value]
    if kind in _SCALARS:
        return value
    if kind is tuple:
        return tuple(_plain(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return copy.deepcopy(value)


def load_record(repo: Repo, run: RunInfo) -> RunRecord:
    """The :class:`RunRecord` of ``run`` in ``repo``.

    Absent or corrupt: one :class:`RerunError` naming the run (and the key).
    """
    data = read_blob(repo, run.commit, RECORD_PATH)
    if data is None:
        raise RerunError(f"{run.tag} has no {RECORD_PATH}", hint="it is not a complete rerun-git run")
    return RunRecord.from_toml(data, origin=f"{run.tag}:{RECORD_PATH}")


def load_run(name: str, start: Path) -> tuple[RunInfo, RunRecord, Path]:
    """Resolve run ``name`` from any folder of its repository and load its record; also return the repository's top.

    The ``[refs]`` settings come from the project containing ``start``, when there is one.
    """
    repo = Repo.open(start)
    run = resolve_run(repo, RefSettings.of(settings_near(start)), name)
    return run, load_record(repo, run), repo.top


def encode_none(value: Any) -> Any:
    """Replace every ``None`` with the marker table, recursively (tuples become lists)."""
    if value is None:
        return {NONE_MARKER: True}
    if isinstance(value, dict):
        return {str(k): encode_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_none(v) for v in value]
    return value


def decode_none(value: Any) -> Any:
    """Inverse of :func:`encode_none`."""
    if isinstance(value, dict):
        if value == {NONE_MARKER: True}:
            return None
        return {k: decode_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_none(v) for v in value]
    return value


def summarize_metrics(results: dict[str, dict[str, float]]) -> dict[str, float]:
    """Headline metrics: each metric's mean over all rows of the table.

    Rows are ``group/dataset/split/algorithm/file``; a metric measured in
    several result files (say ``train`` and ``test``) is named ``file:metric``.
    """
    by_metric: dict[str, dict[str, list[float]]] = {}
    for row, metrics in results.items():
        filename = row.rsplit("/", 1)[-1]
        for metric, value in metrics.items():
            by_metric.setdefault(metric, {}).setdefault(filename, []).append(float(value))
    summary: dict[str, float] = {}
    for metric, per_file in by_metric.items():
        for filename, values in per_file.items():
            key = metric if len(per_file) == 1 else f"{filename}:{metric}"
            summary[key] = sum(values) / len(values)
    return summary


def headline(summary: dict[str, float], limit: int = 3) -> str:
    """``MAE=43.2 R2=0.41``: the first ``limit`` summary metrics, for one-line views."""
    return " ".join(f"{k}={v:.6g}" for k, v in list(summary.items())[:limit]) or "no metrics"
