"""RunRecord: the captured config of one run, as ``.rerun/run.toml``.

TOML has no null, so ``None`` is written as the marker table
``{ __none__ = true }`` and read back as ``None``, at any depth.
"""
from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from types import UnionType
from typing import Any, get_args, get_origin, get_type_hints

from rerun_git.errors import RerunError
from rerun_git.record.summary import (
    SummaryLine, best_of, greater_is_better, metric_directions, metric_order, primary_metric, summarize,
)
from rerun_git.record.summary import headline as headline_of
from rerun_git.settings import settings_near
from rerun_git.store.repo import Repo
from rerun_git.record.validation import RECORD_PATH, SECTION_BLOBS, check_record_values, record_paths
from rerun_git.store.reader import read_blobs
from rerun_git.store.refs import RefSettings
from rerun_git.store.runs import RunInfo, resolve_run

SCHEMA_VERSION = 2
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
    #: An external command (``rerun-git capture -- CMD ARGS...``, ``recording()``): ``argv``, ``cwd``
    #: (project-relative) and ``metrics`` (the metrics file it writes, project-relative); reproduce re-runs it.
    command: dict[str, Any] = field(default_factory=dict)
    #: metric name -> whether larger is better (from the metrics' config; external captures: by name).
    greater_is_better: dict[str, bool] = field(default_factory=dict)
    #: How the cells ran, informational (not drift): backend, jobs, scheduler, cells, seconds.
    execution: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the record as plain data, equal to ``dataclasses.asdict(self)``."""
        return {spec.name: _plain(getattr(self, spec.name)) for spec in fields(self)}

    def to_toml(self) -> str:
        """The whole record as one TOML document (the layout of schema 1's ``.rerun/run.toml``)."""
        import tomli_w

        return tomli_w.dumps(encode_none(self.to_dict()))

    def to_blobs(self) -> dict[str, bytes]:
        """The record as stored in a snapshot: ``.rerun/run.toml`` plus one blob per :data:`SECTION_BLOBS` entry."""
        import tomli_w

        data = encode_none(self.to_dict())
        sections = {path: data.pop(key) for path, key in SECTION_BLOBS.items()}
        blobs = {RECORD_PATH: tomli_w.dumps(data).encode()}
        blobs.update((path, tomli_w.dumps(table).encode()) for path, table in sections.items())
        return blobs

    @classmethod
    def from_blobs(cls, blobs: dict[str, bytes | None], where: str = "run") -> RunRecord:
        """Parse a snapshot's record blobs (``{path: bytes or None}``); ``where`` (a tag) names them in errors.

        Schema 1 keeps everything in ``run.toml``; schema 2 keeps each of
        :data:`SECTION_BLOBS` in its own blob (a schema 2 record written as
        one document, sections inline, is read too).
        """
        origin = f"{where}:{RECORD_PATH}"
        data = _parse_toml(blobs.get(RECORD_PATH) or b"", origin)
        schema = data.get("schema")
        if isinstance(schema, int) and not isinstance(schema, bool) and schema >= 2:
            for path, key in SECTION_BLOBS.items():
                if key in data:
                    continue
                raw = blobs.get(path)
                if raw is None:
                    raise RerunError(f"{where} has no {path}", hint="it is not a complete rerun-git run")
                data[key] = _parse_toml(raw, f"{where}:{path}")
        return cls.from_dict(data, origin)

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
        check_record_values(data, origin)
        return cls(**data)

    @classmethod
    def from_toml(cls, text: str | bytes, origin: str = "run record") -> RunRecord:
        """Parse a whole record from one TOML document; any problem is one :class:`RerunError` naming ``origin``."""
        return cls.from_dict(_parse_toml(text, origin), origin)

    def config_sections(self) -> dict[str, Any]:
        """The configuration sections (:data:`CONFIG_SECTIONS`) as plain data."""
        return {name: _plain(getattr(self, name)) for name in CONFIG_SECTIONS}

    def set_config_sections(self, sections: dict[str, Any]) -> None:
        """Replace the configuration sections present in ``sections`` (their types are checked)."""
        for name in CONFIG_SECTIONS:
            if name in sections:
                _check_type(name, sections, "configuration")
                setattr(self, name, sections[name])

    def summary(self) -> list[SummaryLine]:
        """Mean +- std over splits, per group / dataset / algorithm / result file and metric."""
        return summarize(self.results)

    def directions(self) -> dict[str, bool]:
        """``{metric: greater_is_better}``: the recorded ones, else from the metrics' config."""
        return {**metric_directions(self.metrics), **self.greater_is_better}

    def metric_order(self) -> list[str]:
        """Metric names in the order the project declared them (the first is the primary metric)."""
        return metric_order(self.metrics)

    def best(self) -> list[SummaryLine]:
        """The summary lines of the algorithm that is best on the primary metric."""
        return best_of(self.results, self.metrics, self.greater_is_better)

    def metric_summary(self) -> dict[str, float]:
        """Headline metrics: ``{metric: mean}`` of the best algorithm (one name per metric)."""
        return {line.metric: line.mean for line in self.best()}

    def headline(self) -> str:
        """``ridge MAE=43.2 R2=0.41``: the best algorithm and its means."""
        return headline_of(self.best())

    def primary(self) -> tuple[str, bool] | None:
        """The primary metric and whether greater is better (None without metrics)."""
        metric = primary_metric(self.summary(), self.metric_order())
        return None if metric is None else (metric, greater_is_better(metric, self.directions()))


_CORRUPT_HINT = "the record was edited or damaged; `git show <tag>:.rerun/run.toml` shows it"


def _parse_toml(text: str | bytes, origin: str) -> Any:
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
        return decode_none(tomllib.loads(raw))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RerunError(f"{origin}: cannot parse: {exc}", hint=_CORRUPT_HINT) from None


#: The configuration sections: what the project's loaders record (``RunRecord.config_sections``).
CONFIG_SECTIONS = ("base_data_manager", "configuration", "experiment_groups", "algorithms", "metrics",
                   "evaluators", "workflows", "plot_settings")


def _field_types() -> tuple[set[str], dict[str, tuple[type, ...]]]:
    """Required keys (fields without a default) and each key's accepted types, from the dataclass fields."""
    hints = get_type_hints(RunRecord)
    required = {spec.name for spec in fields(RunRecord) if spec.default is MISSING and spec.default_factory is MISSING}
    types = {}
    for name, hint in hints.items():
        options = get_args(hint) if isinstance(hint, UnionType) else (hint,)
        types[name] = tuple(get_origin(option) or option for option in options)
    return required, types


_REQUIRED, _TYPES = _field_types()
_REQUIRED.add("schema")  # defaulted for new records, but every stored record has it


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
    if key == "execution":
        _check_execution(value, origin)
    if key == "command" and value:
        _check_command(value, origin)
    if key == "greater_is_better" and not all(isinstance(v, bool) for v in value.values()):
        raise RerunError(f"{origin}: every entry of 'greater_is_better' should be true or false", hint=_CORRUPT_HINT)
    if key == "results":
        for row, metrics in value.items():
            for metric, number in metrics.items():
                if isinstance(number, bool) or not isinstance(number, (int, float)):
                    raise RerunError(f"{origin}: results[{row!r}][{metric!r}] should be a number", hint=_CORRUPT_HINT)


#: ``[execution]`` keys and their types (informational: how the cells ran).
_EXECUTION_FIELDS: dict[str, tuple[type, ...]] = {
    "backend": (str,), "jobs": (int,), "scheduler": (str,), "cells": (int,), "seconds": (int, float),
}


def _check_execution(value: dict[str, Any], origin: str) -> None:
    for name, entry in value.items():
        expected = _EXECUTION_FIELDS.get(name)
        if expected is None or isinstance(entry, bool) or not isinstance(entry, expected):
            raise RerunError(f"{origin}: invalid execution.{name}", hint=_CORRUPT_HINT)


#: Fields every entry of these tables must have, with their types (what reproduce and show rely on).
_ENTRY_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "datasets": {"filename": (str,), "sha256": (str,), "size": (int,), "embedded": (bool,)},
    "workflows": {"file": (str,), "class": (str,)},
}
_OPTIONAL_ENTRY_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "datasets": {"table_name": (str, type(None)), "feature_names": (list,), "num_features": (int,), "num_samples": (int,),
                 "columns": (list,)},
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


def _check_command(command: dict[str, Any], origin: str) -> None:
    argv = command.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(v, str) for v in argv):
        raise RerunError(f"{origin}: command.argv should be a non-empty list of strings", hint=_CORRUPT_HINT)
    for key in ("cwd", "metrics", "recording"):
        if key in command and not isinstance(command[key], (str, bool) if key == "recording" else str):
            raise RerunError(f"{origin}: command.{key} has the wrong type", hint=_CORRUPT_HINT)
    unknown = sorted(set(command) - {"argv", "cwd", "metrics", "recording"})
    if unknown:
        raise RerunError(f"{origin}: unknown key command.{unknown[0]}", hint=_CORRUPT_HINT)


def _check_env(env: dict[str, Any], origin: str) -> None:
    for field_name in ("python", "platform", "implementation", "machine"):
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
    return record_at(repo, run.commit, run.tag)


def record_at(repo: Repo, commit: str, where: str) -> RunRecord:
    """The record in ``commit``'s tree (one git call for all its parts); ``where`` names it in errors."""
    paths = record_paths()
    blobs = dict(zip(paths, read_blobs(repo, [f"{commit}:{path}" for path in paths])))
    if blobs[RECORD_PATH] is None:
        raise RerunError(f"{where} has no {RECORD_PATH}", hint="it is not a complete rerun-git run")
    return RunRecord.from_blobs(blobs, where)


def run_config_of(repo_path: Path, commit: str, record: RunRecord, tag: str | None = None) -> dict[str, Any]:
    """The Brisk ``run_config.json`` of a captured run, its file contents read from the snapshot ``commit``."""
    from rerun_git.record.brisk_config import FILE_SECTIONS, run_config

    paths = [path for _kind, path in FILE_SECTIONS.values()]
    paths += [str(entry.get("file")) for entry in record.workflows.values()]
    blobs = read_blobs(Repo.open(repo_path), [f"{commit}:{path}" for path in paths])
    sources = {path: blob for path, blob in zip(paths, blobs) if blob is not None}
    return run_config(record, sources, tag, commit)


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


def summarize_metrics(results: dict[str, dict[str, float]], metrics: list[dict[str, Any]] | None = None) -> dict[str, float]:
    """Headline metrics of a metric table: ``{metric: mean}`` of the best algorithm (see :meth:`RunRecord.best`)."""
    return {line.metric: line.mean for line in best_of(results, metrics or [])}
