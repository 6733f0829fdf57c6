"""The one adapter between the browse API and the report: runs and records in, :mod:`.model` types out.

Every git read goes through :mod:`rerun_git.browse`, in a few batched calls
for any number of runs (one ``for-each-ref``, one ``cat-file --batch`` for
the records, one for the authors, one for the kept files).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git.report.model import Change, KeptFile, RunPage, RunSummary, algorithm_metrics, split_table

if TYPE_CHECKING:
    from rerun_git.record.run_record import RunRecord
    from rerun_git.store.runs import RunInfo

    #: A parsed record and its plain data.
    Parsed = tuple[RunRecord, dict[str, Any]]


class RunSource:
    """The runs of the repository at ``path`` matching ``pattern``, oldest first, listed once."""

    def __init__(self, path: Path | str = ".", pattern: str | None = None) -> None:
        from rerun_git.browse import list_runs

        self.path = Path(path)
        self.runs: list[RunInfo]
        self.runs, self.warnings = list_runs(self.path, pattern, with_warnings=True, sort="date")
        self._by_commit = {run.commit: run for run in self.runs}
        self._parsed: dict[str, Parsed | None] = {}

    def summaries(self, known: dict[str, RunSummary]) -> list[RunSummary]:
        """A summary per run, oldest first.

        What the record says comes from ``known`` (keyed by commit: a commit's
        record never changes) where present, else from the record; what the
        tag says is always this listing's.
        """
        missing = [run for run in self.runs if run.commit not in known]
        fresh = dict(zip((run.commit for run in missing), self._summarise(missing)))
        return [fresh.get(run.commit) or replace(known[run.commit], **_tag_fields(run)) for run in self.runs]

    def pages(self, pairs: list[tuple[RunSummary, RunSummary | None]]) -> list[RunPage]:
        """The page data of each ``(run, previous run)`` pair (records, kept files and the diff)."""
        from rerun_git.browse import get_kept_results

        if not pairs:
            return []
        records = self._records([self._by_commit[s.commit] for pair in pairs for s in pair if s is not None])
        kept_lists = get_kept_results([self._by_commit[run.commit] for run, _ in pairs], self.path)
        blobs = self._read_blobs(kept_lists)
        pages = []
        for (summary, previous), kept in zip(pairs, kept_lists):
            old = records.get(previous.commit) if previous is not None else None
            files = [KeptFile(name, blob, blobs[blob]) for name, blob in kept if blobs.get(blob) is not None]
            pages.append(_page(summary, _data(records.get(summary.commit)), previous, _data(old), files))
        return pages

    def _records(self, runs: list[RunInfo]) -> dict[str, Parsed | None]:
        """The records of ``runs`` and their plain data (``to_dict()``), each read and parsed once per source."""
        from rerun_git.browse import get_records

        missing = list({run.commit: run for run in runs if run.commit not in self._parsed}.values())
        if missing:
            records, warnings = get_records(missing, self.path)
            self.warnings.extend(warnings)
            self._parsed.update((run.commit, None if r is None else (r, r.to_dict())) for run, r in zip(missing, records))
        return {run.commit: self._parsed[run.commit] for run in runs}

    def _summarise(self, runs: list[RunInfo]) -> list[RunSummary]:
        from rerun_git.browse import get_authors

        if not runs:
            return []
        records = self._records(runs)
        authors = get_authors(runs, self.path)
        return [_summary(run, records[run.commit], author) for run, author in zip(runs, authors)]

    def _read_blobs(self, kept_lists: list[list[tuple[str, str]]]) -> dict[str, bytes | None]:
        from rerun_git.browse import read_kept

        ids = list(dict.fromkeys(blob for kept in kept_lists for _name, blob in kept))
        return dict(zip(ids, read_kept(ids, self.path))) if ids else {}


def _tag_fields(run: RunInfo) -> dict[str, Any]:
    """The summary fields that the run's tag carries."""
    return {"name": run.name, "tag": run.tag, "commit": run.commit, "timestamp": run.timestamp,
            "date": run.date.strftime("%Y-%m-%d %H:%M"), "subject": run.subject, "dirty": run.dirty,
            "source": run.source, "metrics": dict(run.metrics)}


def _data(parsed: Parsed | None) -> dict[str, Any] | None:
    return None if parsed is None else parsed[1]


def _summary(run: RunInfo, parsed: Parsed | None, author: str | None) -> RunSummary:
    from rerun_git.browse.changes import flatten_config

    if parsed is None:
        return RunSummary(**_tag_fields(run), author=author or "unknown", message="")
    record, data = parsed
    primary = record.primary()
    return RunSummary(
        **_tag_fields(run), author=author or "unknown", message=record.message,
        algorithm_metrics=algorithm_metrics(record.results), params=_plain_params(flatten_config(data)),
        greater_is_better=record.directions(), primary=primary[0] if primary else None,
    )


def _plain_params(params: dict[str, Any]) -> dict[str, Any]:
    """Config values as JSON scalars: lists and other values become their text."""
    return {k: v if v is None or isinstance(v, (str, int, float, bool)) else str(v) for k, v in params.items()}


def _page(summary: RunSummary, record: dict[str, Any] | None, previous: RunSummary | None,
          old: dict[str, Any] | None, kept: list[KeptFile]) -> RunPage:
    data = record or {}
    provenance = {
        "tag": summary.tag, "commit": summary.commit, "author": summary.author, "date": summary.date,
        "source commit": summary.source or "none", "dirty": "yes" if summary.dirty else "no",
        "created": data.get("created", ""), "project path": data.get("project_path", ""),
        "rerun-git": data.get("rerun_git_version", ""), "reproduces": data.get("reproduces") or "",
    }
    from rerun_git.browse.changes import flatten_config

    return RunPage(
        summary=summary, seed=data.get("seed"), provenance={k: str(v) for k, v in provenance.items() if v != ""},
        config=flatten_config(data, with_seed=False) if data else {}, datasets=data.get("datasets", {}),
        splits=data.get("splits", {}), env=data.get("env", {}), metric_table=split_table(data.get("results", {})),
        kept=kept, previous=previous, changes=_changes(old, record) if old is not None and record is not None else [],
        problem=None if record is not None else "the run's record is missing or could not be read",
    )


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What changed since the previous run: config, files (by sha256), datasets, environment, metrics."""
    from rerun_git.browse.changes import config_changes, dataset_changes, metric_changes
    from rerun_git.record.environment import compare_environment

    out = [Change("config", c.key, c.old, c.new) for c in config_changes(old, new)]
    old_files, new_files = old["files"], new["files"]
    for path in sorted(set(old_files) | set(new_files)):
        if old_files.get(path) != new_files.get(path):
            out.append(Change("file", path, _state(old_files.get(path)), _state(new_files.get(path))))
    for d in dataset_changes(old["datasets"], new["datasets"]):
        out.append(Change("dataset", d.key, d.status, d.describe()))
    out += [Change("environment", e.package, e.recorded, e.current) for e in compare_environment(old["env"], new["env"])]
    out += [Change("metric", f"{m.row} {m.metric}", m.old, m.new) for m in metric_changes(old["results"], new["results"])]
    return out


def _state(sha: str | None) -> str:
    return "absent" if sha is None else sha[:12]


def default_directory(path: Path | str) -> Path | None:
    """``results/report`` of the project at or above ``path``; None outside a project."""
    from rerun_git.settings import project_root_or_none

    root = project_root_or_none(path)
    return None if root is None else root / "results" / "report"
