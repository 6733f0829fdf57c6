"""Runs as refs: name rules, listing, resolving and removing runs."""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from rerun_git.errors import RerunError
from rerun_git.store.repo import Repo

MAX_NAME_LENGTH = 200
#: Prefix for git calls that write rerun-git's own refs or worktrees: the
#: user's hooks (reference-transaction, post-checkout, ...) are not ours to run.
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
_HEX_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_PREFIX_RE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]*/)+")
_BRANCH_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")


@dataclass(frozen=True)
class RefSettings:
    """Where runs live: the tag prefix and the runs branch."""

    tag_prefix: str = "run/"
    branch: str = "rerun/runs"

    def __post_init__(self) -> None:
        if not _PREFIX_RE.fullmatch(self.tag_prefix) or ".." in self.tag_prefix or ".lock/" in self.tag_prefix:
            raise RerunError(f"rerun.toml: invalid refs.tag_prefix {self.tag_prefix!r}",
                             hint="use folder-like names ending in '/', e.g. \"run/\" or \"exp/runs/\"")
        if not _BRANCH_RE.fullmatch(self.branch) or ".." in self.branch or self.branch.endswith((".lock", "/", ".")):
            raise RerunError(f"rerun.toml: invalid refs.branch {self.branch!r}",
                             hint="use a plain branch name such as \"rerun/runs\"")

    @property
    def tag_namespace(self) -> str:
        return "refs/tags/" + self.tag_prefix

    @property
    def branch_ref(self) -> str:
        return "refs/heads/" + self.branch

    def tag_ref(self, name: str) -> str:
        return self.tag_namespace + name

    @classmethod
    def of(cls, settings: Any) -> RefSettings:
        """The ``[refs]`` of a project's settings (a :class:`rerun_git.settings.ProjectSettings`)."""
        return cls(tag_prefix=settings.tag_prefix, branch=settings.branch)


_NEEDLES = {key: f"\n{key}: " for key in ("Rerun-Source", "Rerun-Dirty", "Rerun-Version")}
_METRIC_NEEDLE = "\nRerun-Metric: "


@dataclass(frozen=True)
class RunInfo:
    """One run as ``list`` sees it, read from its annotated tag alone."""

    name: str
    tag: str
    commit: str
    timestamp: int
    subject: str
    #: The whole tag message; ``trailers`` are parsed from it on first use.
    message: str = field(default="", repr=False)

    @cached_property
    def trailers(self) -> dict[str, list[str]]:
        """``Rerun-*`` trailers of the tag message: ``{key: [values]}``."""
        return parse_message(self.message)[1]

    @property
    def source(self) -> str | None:
        value = self.trailer("Rerun-Source")
        return None if value in (None, "none") else value

    @property
    def dirty(self) -> bool:
        return self.trailer("Rerun-Dirty") == "yes"

    @property
    def date(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, tz=timezone.utc)

    @cached_property
    def metrics(self) -> dict[str, float]:
        """Headline metrics carried by the tag message (parsed once)."""
        out: dict[str, float] = {}
        for item in self._metric_items():
            key, _, value = item.partition("=")
            try:
                out[key] = float(value)
            except ValueError:
                continue
        return out

    @property
    def primary(self) -> tuple[str, bool] | None:
        """``(metric, greater_is_better)`` from the ``Rerun-Primary: MAE min`` trailer (runs before it: None)."""
        metric, _, way = (self.trailer("Rerun-Primary") or "").partition(" ")
        if not metric or way not in ("min", "max"):
            return None
        return metric, way == "max"

    def _metric_items(self) -> list[str]:
        """The ``Rerun-Metric`` trailer values, found straight in the message (``list --sort=<metric>`` at scale)."""
        if "trailers" in self.__dict__:
            return self.trailers.get("Rerun-Metric", [])
        message, items = self.message, []
        start = message.find(_METRIC_NEEDLE)
        while start >= 0:
            start += len(_METRIC_NEEDLE)
            end = message.find("\n", start)
            items.append((message[start:] if end < 0 else message[start:end]).strip())
            start = message.find(_METRIC_NEEDLE, start) if end >= 0 else -1
        return items

    def trailer(self, key: str) -> str | None:
        """The last value of trailer ``key`` (found straight in the message: hot in ``list``)."""
        if "trailers" in self.__dict__:
            values = self.trailers.get(key)
            return values[-1] if values else None
        needle = _NEEDLES.get(key) or f"\n{key}: "
        start = self.message.rfind(needle)  # the last line (after the subject) starting with "key: "
        if start < 0:
            return None
        start += len(needle)
        end = self.message.find("\n", start)
        return (self.message[start:] if end < 0 else self.message[start:end]).strip()


class NameTaken(RerunError):
    """A run name that is already taken (also in another case, or by a capture running now)."""


def validate_run_name(name: str) -> str:
    """Return ``name`` if it is a valid run name, else raise :class:`RerunError`.

    Stricter than git's ref-name rules, so a valid name is always a valid ref
    and can never be read by git as an option.
    """
    hint = "use letters, digits, '.', '_', '+' and '-', starting with a letter or digit"
    if not name:
        raise RerunError("run name is empty", hint=hint)
    if len(name) > MAX_NAME_LENGTH:
        raise RerunError(f"run name is longer than {MAX_NAME_LENGTH} characters", hint=hint)
    if not _NAME_RE.fullmatch(name):
        raise RerunError(f"invalid run name {name!r}", hint=hint)
    if ".." in name or name.endswith((".", ".lock")):
        raise RerunError(f"invalid run name {name!r}: git refuses '..', a trailing '.' or '.lock'", hint=hint)
    return name


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
    for run in _read_tags(repo, refs, refs.tag_namespace.rstrip("/")):
        if isinstance(run, str):
            warnings.append(run)
        elif pattern is None or _matches(run, pattern, refs):
            runs.append(run)
    runs.sort(key=_timestamp)  # stable: ties stay in refname order, as with git's --sort=taggerdate
    return runs, warnings


def _read_tags(repo: Repo, refs: RefSettings, ref_pattern: str) -> Iterator[RunInfo | str]:
    """Each tag matching ``ref_pattern`` (``git for-each-ref``) as a run, or why it is skipped.

    ``for-each-ref`` lists the ids and ``git cat-file --batch`` (fed by it
    through a pipe) reads the tag objects, which are parsed while git is still
    writing: ``for-each-ref`` with ``%(contents)`` would write nothing until it
    has read every tag. On failure git is run again through :meth:`Repo.git`
    for its error message (stderr is not read here, so it can never fill a
    pipe and stall).
    """
    import subprocess

    from rerun_git.store.repo import clean_environment

    listing = ["for-each-ref", "--format=%(objectname) %(refname)", "--", ref_pattern]
    reading = ["cat-file", "--batch=%(objecttype) %(objectsize) %(rest)"]  # %(rest): the refname after the id
    env, pipe = clean_environment(), subprocess.PIPE
    try:
        lister = subprocess.Popen(["git", *listing], cwd=repo.top, stdout=pipe, stderr=subprocess.DEVNULL, env=env)
    except FileNotFoundError:
        repo.git(*listing)  # raises the usual "git is not installed" error
        return
    with lister.stdout:
        reader = subprocess.Popen(["git", *reading], cwd=repo.top, stdin=lister.stdout, stdout=pipe,
                                  stderr=subprocess.DEVNULL, env=env)
    cut, prefix = len(refs.tag_namespace), refs.tag_prefix
    data, start = b"", 0
    with reader.stdout:
        while chunk := reader.stdout.read1(1 << 16):
            data, start = data[start:] + chunk, 0
            while (eol := data.find(b"\n", start)) >= 0:
                header = data[start:eol].split(b" ", 2)
                if len(header) != 3:  # "<id> missing": a ref to an object that is not in the repository
                    raise RerunError(f"git cat-file: {header[0].decode()} is missing",
                                     hint="`git fsck` checks the repository")
                kind, size, refname = header
                end = eol + 1 + int(size)
                if end >= len(data):  # the object (and the newline after it) is not all here yet
                    break
                yield _run_from_tag(refname.decode("utf-8", "replace")[cut:], prefix, kind, data[eol + 1:end])
                start = end + 1
    for args, proc in ((listing, lister), (reading, reader)):
        if proc.wait() != 0:
            repo.git(*args)  # raises GitFailed with git's message
            raise RerunError(f"git {args[0]} failed (exit code {proc.returncode})", hint="run it again")


def _run_from_tag(name: str, prefix: str, kind: bytes, content: bytes) -> RunInfo | str:
    """One tag object as a run, or why it is skipped (hot: once per tag in ``list``)."""
    tag = prefix + name
    if kind != b"tag":
        return f"skipping {tag}: a lightweight tag, not a rerun-git run"
    head, _, message = content.decode("utf-8", "replace").partition("\n\n")
    text = message.strip("\n")
    if "\nRerun-Version: " not in text:  # the trailer every rerun-git run carries (see parse_message)
        return f"skipping {tag}: not created by rerun-git"
    commit = head[7:head.find("\n")]  # the first header is always "object <id>"
    first = text.partition("\n")[0]
    subject = first.splitlines()[0] if first else ""
    return RunInfo(name, tag, commit, _tagger_time(head), subject, text)


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


def parse_message(contents: str) -> tuple[str, dict[str, list[str]]]:
    """Split a tag or commit message into its subject and ``Key: value`` trailers."""
    lines = contents.strip("\n").splitlines()
    subject = lines[0] if lines else ""
    trailers: dict[str, list[str]] = {}
    for line in lines[1:]:  # hot: 10,000 tags in `rerun-git list`
        if line[:6] != "Rerun-":
            continue
        key, sep, value = line.partition(": ")
        if sep and " " not in key:
            values = trailers.get(key)
            if values is None:
                trailers[key] = [value.strip()]
            else:
                values.append(value.strip())
    return subject, trailers


def resolve_run(repo: Repo, refs: RefSettings, name: str) -> RunInfo:
    """Find a run by name, ``<prefix><name>`` or ``refs/tags/<prefix><name>``.

    Reads only that tag (fast at any number of runs); only an unknown or
    foreign name lists every run, for the nearest names in its error.
    """
    short = _strip_prefixes(name, refs)
    ref = refs.tag_ref(short)
    for run in _read_tags(repo, refs, ref):
        if isinstance(run, RunInfo) and run.name == short:
            return run
    runs, warnings = list_runs(repo, refs)
    for run in runs:
        if run.name == short:
            return run
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


def _strip_prefixes(name: str, refs: RefSettings) -> str:
    for prefix in (refs.tag_namespace, refs.tag_prefix):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def check_name_free(repo: Repo, refs: RefSettings, name: str) -> None:
    """Refuse a name that is taken, also one differing only in case (refs collide on such file systems)."""
    out = repo.text("for-each-ref", "--format=%(refname)", "--", refs.tag_namespace.rstrip("/"))
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


def read_blob(repo: Repo, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` in ``commit``'s tree, or ``None`` when absent."""
    proc = repo.git("cat-file", "blob", f"{commit}:{path}", check=False)
    return proc.stdout if proc.returncode == 0 else None


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
    payload = "".join(f"delete {refs.tag_ref(r.name)}\n" for r in runs).encode()
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
    commit = repo.git("cat-file", "commit", run.commit).stdout.decode("utf-8", "replace")
    tag = repo.git("cat-file", "-p", refs.tag_ref(run.name), check=False).stdout.decode("utf-8", "replace")
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
    own = (refs.branch_ref, f"/{refs.branch}")
    if any(not (ref == own[0] or ref.endswith(own[1])) for ref in proc.stdout.decode().split()):
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
