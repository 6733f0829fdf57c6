"""Runs as refs: name rules, listing, resolving and removing runs."""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

from rerun_git.errors import RerunError
from rerun_git.store.reader import read_objects, stream_objects
from rerun_git.store.refs import (
    DIRTY, VERSION, RefSettings, RunRef, TagMessage, metric_values, primary_of, source_of, split_subject, trailer_value,
    validate_run_name,
)
from rerun_git.store.repo import Repo

__all__ = ["NO_HOOKS", "NameTaken", "RefSettings", "RunInfo", "check_name_free", "default_run_name", "delete_tags",
           "list_runs", "list_tree", "resolve_run", "run_provenance", "unknown_run", "validate_run_name"]

#: Prefix for git calls that write rerun-git's own refs or worktrees: the
#: user's hooks (reference-transaction, post-checkout, ...) are not ours to run.
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
_HEX_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class RunInfo:
    """One run as ``list`` sees it, read from its annotated tag alone.

    Its trailers are read from ``message`` on first use, each with the same readers
    :meth:`TagMessage.parse` is built from (``list`` reads two of them per run, not all).
    """

    name: str
    tag: str
    commit: str
    timestamp: int
    subject: str
    #: The whole tag message.
    message: str = field(default="", repr=False)

    @cached_property
    def parsed(self) -> TagMessage:
        """The whole tag message parsed (an empty one when it is not a run message)."""
        return TagMessage.parse(self.message) or TagMessage("", self.subject, None, False, "")

    @property
    def source(self) -> str | None:
        return source_of(self.message)

    @property
    def dirty(self) -> bool:
        return trailer_value(self.message, DIRTY) == "yes"

    @property
    def date(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, tz=timezone.utc)

    @cached_property
    def metrics(self) -> dict[str, float]:
        """Headline metrics carried by the tag message."""
        return metric_values(self.message)

    @property
    def primary(self) -> tuple[str, bool] | None:
        """``(metric, greater_is_better)`` from the ``Rerun-Primary: MAE min`` trailer (runs before it: None)."""
        return primary_of(self.message)

    @property
    def headline(self) -> str:
        """The headline metrics as the subject ``run <name>: MAE=42.5 R2=0.51`` carries them ("-": none)."""
        name, headline = split_subject(self.subject)
        if name == self.name:
            return "-" if headline == "no metrics" else headline
        return " ".join(f"{k}={v:.6g}" for k, v in list(self.metrics.items())[:3]) or "-"


class NameTaken(RerunError):
    """A run name that is already taken (also in another case, or by a capture running now)."""


def default_run_name(now: datetime | None = None) -> str:
    """``YYYYMMDD-HHMMSS-<4 hex>`` in UTC."""
    import secrets  # here, not at the top: `list` and `show` never need it

    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def list_runs(repo: Repo, refs: RefSettings, pattern: str | None = None) -> tuple[list[RunInfo], list[str]]:
    """All runs, oldest first, and warnings for skipped tags.

    ``pattern`` is a glob matched against the run name or the short tag name.
    """
    runs: list[RunInfo] = []
    warnings: list[str] = []
    for run in _read_tags(repo, refs, refs.tag_pattern):
        if isinstance(run, str):
            warnings.append(run)
        elif pattern is None or _matches(run, pattern, refs):
            runs.append(run)
    runs.sort(key=_timestamp)  # stable: ties stay in refname order, as with git's --sort=taggerdate
    return runs, warnings


def _read_tags(repo: Repo, refs: RefSettings, ref_pattern: str) -> Iterator[RunInfo | str]:
    """Each tag matching ``ref_pattern`` as a run, or why it is skipped.

    ``for-each-ref`` lists the ids and ``git cat-file --batch`` (fed by it
    through a pipe) reads the tag objects, parsed while git is still
    writing: ``for-each-ref`` with ``%(contents)`` would write nothing until
    it has read every tag.
    """
    cut, prefix = len(refs.tag_namespace), refs.tag_prefix
    for obj in stream_objects(repo, ["for-each-ref", "--format=%(objectname) %(refname)", "--", ref_pattern]):
        yield _run_from_tag(obj.rest[cut:], prefix, obj.type, obj.content)


def _run_from_tag(name: str, prefix: str, kind: str, content: bytes) -> RunInfo | str:
    """One tag object as a run, or why it is skipped (once per tag in ``list``)."""
    tag = prefix + name
    if kind != "tag":
        return f"skipping {tag}: a lightweight tag, not a rerun-git run"
    head, _, message = content.decode("utf-8", "replace").partition("\n\n")
    text = message.strip("\n")
    if trailer_value(text, VERSION) is None:  # the trailer every rerun-git run carries
        return f"skipping {tag}: not created by rerun-git"
    first = text.partition("\n")[0]
    return RunInfo(name, tag, head[7:head.find("\n")], _tagger_time(head),  # the first header is "object <id>"
                   first.splitlines()[0] if first else "", text)


def _tagger_time(head: str) -> int:
    """The unix time of the ``tagger Name <mail> 1700000000 +0100`` header; 0 when there is none."""
    start = head.find("\ntagger ")
    if start < 0:
        return 0
    stamp = head[start + 1:].partition("\n")[0].rpartition(">")[2].split()
    return int(stamp[0]) if stamp and stamp[0].isdigit() else 0


def _timestamp(run: RunInfo) -> int:
    return run.timestamp


def _matches(run: RunInfo, pattern: str, refs: RefSettings) -> bool:
    return fnmatch.fnmatchcase(run.name, pattern) or fnmatch.fnmatchcase(refs.tag_prefix + run.name, pattern)


def resolve_run(repo: Repo, refs: RefSettings, name: str) -> RunInfo:
    """Find a run by name, ``<prefix><name>`` or ``refs/tags/<prefix><name>``.

    Reads only that tag (fast at any number of runs); only an unknown or
    foreign name lists every run, for the nearest names in its error.
    """
    try:
        ref = RunRef.parse(name, refs)
    except RerunError:
        ref = None
    short = ref.name if ref is not None else name
    if ref is not None:
        for run in _read_tags(repo, refs, ref.ref):
            if isinstance(run, RunInfo) and run.name == short:
                return run
    runs, warnings = list_runs(repo, refs)
    for warning in warnings:
        if warning.startswith(f"skipping {refs.tag_prefix}{short}:"):
            raise RerunError(f"{refs.tag_prefix}{short} is not a rerun-git run", hint=warning.partition(": ")[2])
    raise unknown_run(short, [r.name for r in runs], refs)


def unknown_run(name: str, known: list[str], refs: RefSettings) -> RerunError:
    import difflib

    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    if close:
        hint = "did you mean " + ", ".join(refs.tag_prefix + c for c in close) + "?"
    elif known:
        hint = "`rerun-git list` shows the runs"
    else:
        hint = "this repository has no runs yet; `rerun-git run` creates one"
    return RerunError(f"unknown run {refs.tag_prefix}{name}", hint=hint)


def check_name_free(repo: Repo, refs: RefSettings, name: str) -> None:
    """Refuse a name that is taken, also one differing only in case (refs collide on such file systems)."""
    out = repo.text("for-each-ref", "--format=%(refname)", "--", refs.tag_pattern)
    lowered = name.lower()
    for refname in out.splitlines():
        existing = refname[len(refs.tag_namespace):]
        if existing == name:
            raise NameTaken(f"run {refs.tag_prefix}{name} already exists", hint="choose another --name, or remove it with `rerun-git rm`")
        if existing.lower() == lowered:
            raise NameTaken(
                f"run name {name!r} differs only in case from {refs.tag_prefix}{existing}",
                hint="such refs collide on case-insensitive file systems; choose another --name",
            )


def tracking_tip(repo: Repo, refs: RefSettings) -> str | None:
    """The runs branch as a remote has it (``refs/remotes/origin/<branch>``, else the only remote's), or None.

    A fresh clone has it before any ``rerun-git fetch``: ``log`` reads it, and
    the first capture builds on it so that its push fast-forwards.
    """
    out = repo.text("for-each-ref", "--format=%(refname) %(objectname)", "--", f"refs/remotes/*/{refs.branch}")
    tips = dict(line.split(" ", 1) for line in out.splitlines() if line)
    origin = tips.get(f"refs/remotes/origin/{refs.branch}")
    if origin is not None:
        return origin
    return next(iter(tips.values())) if len(tips) == 1 else None


def list_tree(repo: Repo, commit: str) -> list[tuple[str, str, str]]:
    """``(mode, sha, path)`` of every file in ``commit``'s tree."""
    out = repo.git("ls-tree", "-r", "-z", "--full-tree", commit).stdout.decode("utf-8", "surrogateescape")
    entries = []
    for item in out.split("\0"):
        if item:
            meta, _, path = item.partition("\t")
            mode, _kind, sha = meta.split()
            entries.append((mode, sha, path))
    return entries


def delete_tags(repo: Repo, refs: RefSettings, runs: list[RunInfo]) -> None:
    """Remove the tags of ``runs`` in one ref transaction (the runs branch keeps the commits)."""
    payload = "".join(f"delete {RunRef(r.name, refs).ref}\n" for r in runs).encode()
    repo.git(*NO_HOOKS, "update-ref", "--stdin", input=payload)


@dataclass(frozen=True)
class Provenance:
    """Who made a run and where it came from, as git recorded it (shown before reproducing it)."""

    author: str
    committer: str
    tagger: str | None
    source: str | None
    #: the source commit is on one of the user's branches (not only reachable through rerun-git's refs)
    source_known: bool


def run_provenance(repo: Repo, refs: RefSettings, run: RunInfo) -> Provenance:
    """The author and committer of ``run``'s commit, its tagger, and whether its source commit is here."""
    commit, tag = (obj.content.decode("utf-8", "replace") if obj else ""
                   for obj in read_objects(repo, [run.commit, RunRef(run.name, refs).ref]))
    headers, tag_headers = _headers(commit), _headers(tag)
    source = run.source
    known = bool(source and _HEX_ID.fullmatch(source)) and _on_users_refs(repo, refs, source)
    return Provenance(
        author=_ident(headers.get("author", "unknown")),
        committer=_ident(headers.get("committer", "unknown")),
        tagger=_ident(tag_headers["tagger"]) if "tagger" in tag_headers else None,
        source=source,
        source_known=known,
    )


def _on_users_refs(repo: Repo, refs: RefSettings, commit: str) -> bool:
    """Whether HEAD or one of the user's branches or remote-tracking branches (not rerun-git's) contains ``commit``."""
    proc = repo.git("for-each-ref", f"--contains={commit}", "--format=%(refname)", "--", "refs/heads", "refs/remotes",
                    check=False)
    if proc.returncode != 0:  # the commit is not even in the object database
        return False
    if any(not refs.is_runs_branch(ref) for ref in proc.stdout.decode().split()):
        return True
    return repo.git("merge-base", "--is-ancestor", commit, "HEAD", check=False).returncode == 0  # a detached HEAD


def _headers(obj: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in obj.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(" ")
        headers.setdefault(key, value)
    return headers


def _ident(raw: str) -> str:
    """``Name <email> 1700000000 +0100`` -> ``Name <email> 2023-11-14 22:13 UTC (+0100)``."""
    parts = raw.rsplit(" ", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return raw
    who, stamp, tz = parts
    when = datetime.fromtimestamp(int(stamp), tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{who} {when} ({tz})"
