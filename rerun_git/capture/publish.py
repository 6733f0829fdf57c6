"""Publish a capture: files, datasets and the record become one snapshot commit and one tag."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerun_git._version import __version__
from rerun_git.experiment._params import dataset_key
from rerun_git.capture.selection import HashCache, kept_results, select_project_files
from rerun_git.record.brisk_config import run_config
from rerun_git.record.datasets import dataset_entry, sha256_bytes
from rerun_git.record.run_record import RunRecord
from rerun_git.store.objects import TreeEntry, blob_id_of_file, file_mode, object_id
from rerun_git.store.refs import RefSettings, RunRef, TagMessage
from rerun_git.store.repo import Repo
from rerun_git.store.snapshot import Identity, PublishedRun, publish_run, write_snapshot_tree

if TYPE_CHECKING:
    from rerun_git.capture.recorder import CaptureContext
    from rerun_git.capture.recorder import ConfigRecorder

RUN_CONFIG_JSON = "run_config.json"


def capture_snapshot(service: ConfigRecorder, context: CaptureContext, results_dir: Path) -> tuple[PublishedRun, RunRecord]:
    """Snapshot what ran as one commit and one tag; write Brisk's ``run_config.json`` (see ``record.brisk_config``)."""
    from rerun_git.capture.recorder import now_utc
    from rerun_git.store.objects import ObjectWriter

    repo = Repo.open(context.root)
    identity = Identity.start(repo)  # runs while the snapshot is built
    refs = RefSettings.of(context.settings)
    settings = context.settings
    writer = ObjectWriter(repo)
    project_path = repo.relative_to_top(context.root)

    files = select_project_files(context.root, settings.include, settings.exclude, context.executed_files)
    blobs: dict[str, TreeEntry] = {}
    dataset_ids: dict[str, str] = {}
    datasets = _capture_datasets(repo, writer, context, blobs, dataset_ids)
    ran = {path: object_id("blob", data, repo.object_format) for path, data in files.items()} | dataset_ids
    head, known_refs, dirty = _probe_refs(repo, refs, service.name, project_path, ran)
    skipped: list[str] = []
    for rel, path in kept_results(results_dir, settings.keep_results, settings.max_kept_mb * 1024 * 1024, skipped).items():
        blobs[f".rerun/results/{rel}"] = TreeEntry(file_mode(path), writer.write_blob_file(path))
    if skipped:
        import sys

        print(f"warning: {len(skipped)} result file(s) not kept: over [capture] max_kept_mb = "
              f"{settings.max_kept_mb:g} (first: {skipped[0]})", file=sys.stderr)

    record = service.build_record(now_utc(), head, dirty)
    record.project_path = project_path
    record.datasets = datasets
    record.files = {path: sha256_bytes(data) for path, data in files.items()}
    record.files.update({f"datasets/{d['filename']}": d["sha256"] for d in datasets.values() if d["embedded"]})
    files.update(record.to_blobs())

    tree = write_snapshot_tree(writer, files, blobs)
    published = publish_run(repo, writer, refs, tree=tree, head=head, message=run_message(record),
                            identity=identity(), known_refs=known_refs)
    # Brisk's run_config.json, exported from the record and the bytes that ran; the service's configs become it
    # (Brisk's save_rerun_config adds `_metadata` to them too).
    service.configs = run_config(record, context.executed_files, published.tag, published.commit)
    write_run_config(results_dir, service.configs)
    from rerun_git.capture.post_run import after_capture

    after_capture(repo, context.root, settings, published, results_dir, record.headline())
    return published, record


def write_run_config(results_dir: Path, config: dict[str, Any]) -> Path:
    """Write ``results_dir/run_config.json`` as Brisk does (``indent=4``); return its path."""
    import json

    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / RUN_CONFIG_JSON
    path.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
    return path


def _capture_datasets(repo: Repo, writer: Any, context: CaptureContext, blobs: dict[str, TreeEntry],
                      ids: dict[str, str]) -> dict[str, dict]:
    """The datasets' record entries; embedded ones go into ``blobs``; ``ids`` gets every dataset's blob id."""
    limit = int(context.settings.embed_datasets_max_mb * 1024 * 1024)
    cache = HashCache(repo.rerun_dir / "hash-cache.json")
    entries: dict[str, dict] = {}
    for filename, table in context.datasets:
        key = dataset_key(filename, table)
        path = context.root / "datasets" / filename
        identity = cache.identity(path, lambda p, also: blob_id_of_file(p, repo.object_format, also))
        embedded = path.stat().st_size <= limit
        ids[f"datasets/{filename}"] = identity.blob
        if embedded:
            blobs[f"datasets/{filename}"] = TreeEntry("100644", writer.write_blob_file(path, identity.blob))
        entries[key] = dataset_entry(path, filename, table, identity.sha256, embedded, context.dataset_info.get(key))
    cache.save()
    return entries


def _probe_refs(
    repo: Repo, refs: RefSettings, name: str, project_path: str, ran: dict[str, str]
) -> tuple[str | None, tuple[str | None, str | None], bool]:
    """HEAD, ``(runs branch tip, the run's tag)`` and whether anything that ran differs from HEAD: one ``git cat-file``.

    ``ran`` maps each captured file and dataset (project-relative) to its blob id;
    the run is dirty when any of them is not HEAD's. Only HEAD's folders that
    hold such a path are read; no path is sent to git.
    """
    from rerun_git.store.reader import ObjectReader, commit_tree

    prefix = f"{project_path}/" if project_path else ""
    with ObjectReader(repo) as reader:
        head, tip, tag = [reader.read(ref) for ref in ("HEAD^{commit}", refs.branch_ref, RunRef(name, refs).ref)]
        committed = reader.ids_at(commit_tree(head.content), [prefix + path for path in ran]) if head else {}
    dirty = any(committed.get(prefix + path) != blob for path, blob in ran.items())
    return head and head.id, (tip and tip.id, tag and tag.id), dirty


def run_message(record: RunRecord) -> TagMessage:
    """The commit and tag message of the run ``record`` describes.

    Subject ``run NAME: ridge MAE=43.2 R2=0.41`` (the best algorithm on the primary metric); the tag's
    ``Rerun-Metric`` trailers are that algorithm's means (what ``list`` shows and sorts by) and
    ``Rerun-Primary: MAE min`` names the primary metric and its direction (``list --sort best``).
    """
    return TagMessage(record.name, record.headline(), record.source_commit, record.dirty, __version__,
                      record.message, record.metric_summary(), record.primary())
