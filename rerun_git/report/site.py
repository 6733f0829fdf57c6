"""Write the static site into a folder, incrementally.

Layout of the folder::

    index.html  compare.html  report.css  report.js
    runs/<commit>.html          one page per run, keyed by its snapshot commit
    files/<blob id>.<ext>       the files runs kept (shared by every run that kept the same bytes)
    .rerun-report.json          the manifest: each run's summary, the key of its page and its kept files

A commit's record never changes, so its summary is read from the repository once and
kept in the manifest; a run page is rewritten only when its key (the run's
commit and its previous run's commit) changes.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rerun_git.errors import RerunError
from rerun_git.report.model import IMAGE_TYPES, RunSummary
from rerun_git.report.pages import compare_page, index_page, run_page
from rerun_git.report.source import RunSource

#: Bump when the summaries or pages change shape: every page is then rewritten.
FORMAT = 2
MANIFEST = ".rerun-report.json"
#: Run pages made per batch of git reads (bounds the kept files held in memory).
PAGES_AT_ONCE = 100
ASSETS = ("report.css", "report.js")
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_KEPT_TYPES = {**{ext: ext for ext in IMAGE_TYPES}, ".json": ".json", ".csv": ".csv", ".txt": ".txt"}


@dataclass
class BuildResult:
    """What a build wrote: the folder, the runs listed, and the run pages written or removed this time."""

    directory: Path
    runs: int
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.directory / "index.html"


def build_site(source: RunSource, directory: Path) -> BuildResult:
    """Write (or update) the report of ``source``'s runs in ``directory``."""
    manifest = _read_manifest(directory)
    known = _known_summaries(manifest)
    summaries = [s for s in source.summaries(known) if _COMMIT_ID.fullmatch(s.commit)]
    pages_dir, files_dir = directory / "runs", directory / "files"
    pages_dir.mkdir(parents=True, exist_ok=True)
    files_dir.mkdir(exist_ok=True)
    keys, due = {}, []
    for index, summary in enumerate(summaries):
        previous = summaries[index - 1] if index else None
        keys[summary.commit] = f"{summary.commit}:{previous.commit if previous else ''}"
        if manifest["pages"].get(summary.commit) != keys[summary.commit] or not (pages_dir / f"{summary.commit}.html").is_file():
            due.append((summary, previous))
    result = BuildResult(directory, len(summaries))
    kept = {c: [n for n in names if isinstance(n, str)] for c, names in _table(manifest, "files").items()
            if c in keys and isinstance(names, list)}
    for start in range(0, len(due), PAGES_AT_ONCE):  # kept files are held in memory only for one batch of pages
        for data in source.pages(due[start:start + PAGES_AT_ONCE]):
            files = {item.blob: _write_kept(files_dir, item.blob, item.path, item.data) for item in data.kept}
            _write(pages_dir / f"{data.summary.commit}.html", run_page(data, files))
            kept[data.summary.commit] = sorted(files.values())
            result.written.append(data.summary.name)
    result.warnings = list(source.warnings)
    result.removed = _remove_stale(pages_dir, set(keys))
    _remove_unused(files_dir, {name for names in kept.values() for name in names})
    for name in ASSETS:
        _write(directory / name, (ASSETS_DIR / name).read_bytes(), only_if_changed=True)
    _write(directory / "index.html", index_page(summaries, result.warnings))
    _write(directory / "compare.html", compare_page(summaries))
    _write(directory / MANIFEST, json.dumps({"format": FORMAT, "pages": keys, "files": kept,
                                             "summaries": {s.commit: s.to_dict() for s in summaries}}, allow_nan=True))
    return result


def prepare_directory(directory: Path) -> Path:
    """``directory``, created if needed; refused when it holds files but no report of ours (never clobber them)."""
    directory = directory.resolve()
    if directory.exists() and not directory.is_dir():
        raise RerunError(f"{directory} is not a folder", hint="give a new or empty folder with -o")
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MANIFEST).is_file():
        raise RerunError(f"{directory} is not empty and holds no rerun-git report",
                         hint="give a new or empty folder, or one an earlier `rerun-git report` wrote")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _read_manifest(directory: Path) -> dict:
    """The manifest of an earlier build; an empty one when absent, unreadable or of another format."""
    empty = {"format": FORMAT, "pages": {}, "summaries": {}}
    try:
        data = json.loads((directory / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return empty
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return empty
    if not isinstance(data.get("pages"), dict) or not isinstance(data.get("summaries"), dict):
        return empty
    return data


def _table(manifest: dict, key: str) -> dict:
    value = manifest.get(key)
    return value if isinstance(value, dict) else {}


def _known_summaries(manifest: dict) -> dict[str, RunSummary]:
    known = {}
    for commit, data in manifest["summaries"].items():
        try:
            known[commit] = RunSummary.from_dict(data)
        except (KeyError, TypeError):
            continue
    return known


def _write_kept(folder: Path, blob: str, path: str, data: bytes) -> str:
    """Write a kept file once, named by its blob id (never by its untrusted path); return its path in the report."""
    dot = path.rfind(".")
    ext = _KEPT_TYPES.get(path[dot:].lower(), ".bin") if dot >= 0 else ".bin"
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", blob):
        raise RerunError(f"unexpected object id {blob!r} for a kept file", hint="run `git fsck` in this repository")
    target = folder / f"{blob}{ext}"
    if not target.is_file():
        _write(target, data)
    return f"files/{target.name}"


def _remove_stale(pages_dir: Path, commits: set[str]) -> list[str]:
    removed = []
    for item in pages_dir.glob("*.html"):
        if item.stem not in commits:
            item.unlink()
            removed.append(item.stem)
    return removed


def _remove_unused(files_dir: Path, used: set[str]) -> None:
    """Remove the kept files no run page of the report shows any more."""
    for item in files_dir.iterdir():
        if f"files/{item.name}" not in used and not item.name.startswith("."):
            item.unlink()


def _write(path: Path, content: str | bytes, only_if_changed: bool = False) -> None:
    """Replace ``path`` atomically (a reader never sees half a page)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if only_if_changed and path.is_file() and path.read_bytes() == data:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
