"""``verify``: each run's tag, commit, record and files must tell the same story.

``list`` reads the tag alone and trusts its subject and ``Rerun-Metric``
lines; anyone who can push can write those. ``verify`` reads everything
(the tag object, the record, every blob of the tree) and names each
disagreement. ``tag_inconsistency`` is the cheap part ``list`` runs on
every tag.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rerun_git.browse.listing import open_runs
from rerun_git.errors import RerunError
from rerun_git.record.run_record import RunRecord, load_record
from rerun_git.store.runs import RunInfo, list_runs, list_tree, resolve_run


@dataclass
class RunVerdict:
    """What ``verify`` found for one run: no ``problems`` means tag, commit, record and files agree."""

    name: str
    tag: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tag": self.tag, "ok": self.ok, "problems": self.problems}


def verify_runs(names: list[str] | None = None, path: Path | str = ".") -> list[RunVerdict]:
    """Check the named runs (all runs when ``names`` is empty or ``None``)."""
    repo, refs = open_runs(path)
    runs = [resolve_run(repo, refs, n) for n in names] if names else list_runs(repo, refs)[0]
    return [_verify_one(repo, refs, run) for run in runs]


def tag_inconsistency(run: RunInfo) -> str | None:
    """What a tag says against itself (cheap: the message is already read), or ``None``.

    A ``Rerun-Metric`` line given twice, one that is not a number, or a
    subject (``run NAME: [algorithm] MAE=43.2 R2=0.41``) whose metrics are
    not the first lines': such a tag was edited after rerun-git wrote it. Hot in ``list`` (once per tag): a few
    microseconds, no parsing beyond the metric lines.
    """
    chunks = run.message.split("\nRerun-Metric: ")
    subject, head = run.subject, f"run {run.name}: "
    if not subject.startswith(head):
        return "its subject does not name the run"
    shown = subject[len(head):]
    if len(chunks) == 1:
        return None if shown == "no metrics" or "=" not in shown else _DISAGREE
    items = [chunk.partition("\n")[0].strip() for chunk in chunks[1:]]
    if len(items) > 1 and len({item.partition("=")[0] for item in items}) != len(items):
        return "a Rerun-Metric line is repeated"
    count = min(len(items), 3)
    words = shown.split(" ")[-count:]  # the subject ends with the first metrics (after the algorithm's label)
    if len(words) != count:
        return _DISAGREE
    for word, item in zip(words, items):
        if word != item and word != _short(item):
            return _DISAGREE
    return None


_DISAGREE = "its subject and its Rerun-Metric lines disagree"


def _short(item: str) -> str | None:
    """``MAE=43.21456`` -> ``MAE=43.2146`` (how the subject shows a metric); ``None`` when it is not a number."""
    key, _, value = item.partition("=")
    try:
        return f"{key}={float(value):.6g}"
    except ValueError:
        return None


def _verify_one(repo: Any, refs: Any, run: RunInfo) -> RunVerdict:
    verdict = RunVerdict(run.name, run.tag)
    problems = verdict.problems
    tag_name = _tag_header_name(repo, refs.tag_ref(run.name))
    if tag_name != run.tag:
        problems.append(f"the tag object names itself {tag_name!r}, but is stored as {run.tag}")
    cheap = tag_inconsistency(run)
    if cheap:
        problems.append(f"tag: {cheap}")
    try:
        record = load_record(repo, run)
    except RerunError as exc:
        problems.append(exc.message)
        return verdict
    problems += _record_against_tag(record, run)
    problems += _files_against_record(repo, record, run)
    return verdict


def _tag_header_name(repo: Any, tag_ref: str) -> str | None:
    raw = repo.git("cat-file", "tag", tag_ref, check=False).stdout.decode("utf-8", "replace")
    for line in raw.split("\n\n", 1)[0].splitlines():
        if line.startswith("tag "):
            return line[4:]
    return None


def _record_against_tag(record: RunRecord, run: RunInfo) -> list[str]:
    problems = []
    if record.name != run.name:
        problems.append(f"the record names the run {record.name!r}, its tag {run.name!r}")
    summary = record.metric_summary()
    claimed = run.metrics
    for key in sorted(set(summary) | set(claimed)):
        if key not in claimed:
            problems.append(f"metric {key}: in the record ({summary[key]!r}), missing from the tag")
        elif key not in summary:
            problems.append(f"metric {key}: the tag claims {claimed[key]!r}, the record holds none (forged Rerun-Metric line)")
        elif not _same_number(summary[key], claimed[key]):
            problems.append(f"metric {key}: the tag claims {claimed[key]!r}, the record holds {summary[key]!r} "
                            "(forged Rerun-Metric line)")
    source = run.source or "none"
    if source != (record.source_commit or "none"):
        problems.append(f"Rerun-Source {source!r} differs from the record's source commit {record.source_commit!r}")
    if run.dirty != record.dirty:
        problems.append(f"Rerun-Dirty says {'yes' if run.dirty else 'no'}, the record {record.dirty}")
    return problems


def _same_number(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _files_against_record(repo: Any, record: RunRecord, run: RunInfo) -> list[str]:
    from rerun_git.record.validation import check_snapshot_layout
    from rerun_git.store.reader import read_objects

    tree = list_tree(repo, run.commit)
    try:
        check_snapshot_layout(record, tree, run.tag)
    except RerunError as exc:
        return [exc.message]
    problems = []
    wanted = [(path, sha) for _mode, sha, path in tree if path in record.files]
    for (path, _sha), obj in zip(wanted, read_objects(repo, [sha for _, sha in wanted])):
        digest = hashlib.sha256(obj[2]).hexdigest() if obj is not None else None
        if digest != record.files[path]:
            problems.append(f"{path}: its bytes do not have the sha256 the record lists")
    for key, entry in record.datasets.items():
        if entry.get("embedded") and record.files.get(f"datasets/{entry['filename']}") != entry["sha256"]:
            problems.append(f"dataset {key}: the record's files and datasets tables disagree on its sha256")
    return problems
