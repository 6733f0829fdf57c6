"""Reading and rewriting run history: exact lookup, the runs branch log, tree diffs, raw objects, pruning.

The git side of the browse commands (``show``, ``log``, ``diff``, ``rm``,
``checkout``, ``gc``). Every caller-supplied revision here is an object id
or a full ref name built from a validated run name, and always follows
``--`` or goes through ``--stdin``.
"""
from __future__ import annotations

from dataclasses import dataclass

from rerun_git.errors import RerunError
from rerun_git.store.objects import ObjectWriter
from rerun_git.store.reader import read_blobs, read_objects
from rerun_git.store.refs import RefSettings, RunRef, TagMessage
from rerun_git.store.repo import Repo
from rerun_git.store.runs import NO_HOOKS, RunInfo, tracking_tip
from rerun_git.store.worktree import checked_out_at

#: Paths of a snapshot that are not project code: the record and kept results, and embedded datasets.
NON_CODE_PATHS = (".rerun", "datasets")
_LOG_FORMAT = "--format=%H%x00%P%x00%ct%x00%B%x00%x00"
_LOG_END = "\x00\x00\n"


@dataclass(frozen=True)
class BranchCommit:
    """One commit on the first-parent chain of the runs branch."""

    commit: str
    parents: tuple[str, ...]
    timestamp: int
    subject: str
    message: TagMessage

    @property
    def first_parent(self) -> str | None:
        return self.parents[0] if self.parents else None

    @property
    def name(self) -> str:
        """The run name from the subject ``run <name>: ...``."""
        return self.message.name

    @property
    def source(self) -> str | None:
        return self.message.source

    @property
    def dirty(self) -> bool:
        return self.message.dirty


def runs_branch_log(repo: Repo, refs: RefSettings, limit: int | None = None, remote: bool = True) -> list[BranchCommit]:
    """The runs branch, newest first, following first parents (one ``git log`` call).

    Without a local runs branch (a fresh clone) and with ``remote``, the remote's (``tracking_tip``).

    The walk stops at the first commit that is not a rerun-git snapshot (no
    ``Rerun-Version`` trailer): the first run's parent is the user's history.
    """
    tip = repo.resolve_revisions(refs.branch_ref)[0] or (tracking_tip(repo, refs) if remote else None)
    if tip is None:
        return []
    args = ["log", "--first-parent", _LOG_FORMAT]
    if limit is not None:
        args.append(f"--max-count={int(limit)}")
    out = repo.git(*args, tip, "--").stdout.decode("utf-8", "replace")
    commits: list[BranchCommit] = []
    for record in out.split(_LOG_END):
        record = record.lstrip("\n")
        if not record:
            continue
        sha, parents, stamp, message = record.split("\0", 3)
        parsed = TagMessage.parse(message)
        if parsed is None:
            break
        subject = message.strip("\n").partition("\n")[0]
        commits.append(BranchCommit(sha, tuple(parents.split()), int(stamp or 0), subject, parsed))
    return commits


@dataclass(frozen=True)
class FileStat:
    """One changed file between two snapshots: ``added``/``deleted``/``modified`` and line counts (None: binary)."""

    path: str
    status: str
    added: int | None
    removed: int | None


def diff_code(repo: Repo, old: str, new: str, patch: bool = True) -> tuple[list[FileStat], str]:
    """Changed project files between two snapshot commits, and the unified diff (``git diff``).

    The record, kept results and embedded datasets are left out (they have
    their own sections in ``rerun-git diff``).
    """
    specs = ["--", ".", *(f":(exclude){p}" for p in NON_CODE_PATHS)]
    status = repo.git("diff", "--no-renames", "--name-status", "-z", old, new, *specs).stdout.decode("utf-8", "surrogateescape")
    numstat = repo.git("diff", "--no-renames", "--numstat", "-z", old, new, *specs).stdout.decode("utf-8", "surrogateescape")
    kinds = {"A": "added", "D": "deleted"}
    fields = status.split("\0")
    statuses = {fields[i + 1]: kinds.get(fields[i][:1], "modified") for i in range(0, len(fields) - 1, 2)}
    files = []
    for item in numstat.split("\0"):
        if not item:
            continue
        added, removed, path = item.split("\t", 2)
        files.append(FileStat(path, statuses.get(path, "modified"),
                              None if added == "-" else int(added), None if removed == "-" else int(removed)))
    text = ""
    if patch and files:
        text = repo.git("diff", "--no-renames", "--no-color", "--no-ext-diff", old, new, *specs).stdout.decode("utf-8", "replace")
    return files, text


def files_under(repo: Repo, commits: list[str], folder: str) -> list[list[tuple[str, str]]]:
    """For each commit, ``(path below folder, blob id)`` of every file under ``folder`` (one ``cat-file`` process)."""
    from rerun_git.store.reader import ObjectReader

    with ObjectReader(repo) as reader:
        return [reader.blobs_under(f"{commit}:{folder}") for commit in commits]


@dataclass(frozen=True)
class PruneResult:
    """What ``rm --prune-history`` changed."""

    removed: list[str]
    rewritten: list[str]
    branch_deleted: bool


def prune_runs(repo: Repo, refs: RefSettings, runs: list[RunInfo]) -> PruneResult:
    """Remove ``runs``' tags and drop their commits from the runs branch's first-parent chain.

    Later runs on the chain are re-committed onto the pruned history (same
    trees, messages and dates; new ids) and their tags re-created pointing at
    the new commits. Everything moves in one compare-and-swap ref
    transaction; if another capture moved the branch meanwhile, nothing is
    changed and an error asks to retry.
    """
    where = checked_out_at(repo, refs.branch_ref)
    if where is not None:
        raise RerunError(f"the runs branch {refs.branch} is checked out in {where}",
                         hint="check out another branch there first; rerun-git never moves a checked-out branch")
    chain = list(reversed(runs_branch_log(repo, refs, remote=False)))  # oldest first
    tip = chain[-1].commit if chain else None
    doomed = {run.commit for run in runs}
    mapping: dict[str, str | None] = {}
    new_commits: set[str] = set()
    writer = ObjectWriter(repo)
    start = next((i for i, c in enumerate(chain) if c.commit in doomed), len(chain))
    raw_commits = read_objects(repo, [c.commit for c in chain[start:]])
    for entry, raw in zip(chain[start:], raw_commits):
        parent = entry.first_parent
        new_parent = mapping.get(parent, parent) if parent is not None else None
        if entry.commit in doomed:
            mapping[entry.commit] = new_parent
            continue
        if new_parent == parent or raw is None:
            continue
        mapping[entry.commit] = writer.write("commit", _reparent(raw.content, new_parent))
        new_commits.add(mapping[entry.commit])
    lines, rewritten, retagged = [], [], {}
    pairs = tagged_runs(repo, refs)
    tagged = {name for name, _commit in pairs}
    for run in runs:
        if run.name in tagged:  # a run already untagged (``rm`` without --prune-history) has no tag to delete
            lines.append(f"delete {RunRef(run.name, refs).ref}\n")
    moved = [r for r in pairs if r[1] in mapping and r[1] not in doomed]
    tags = read_objects(repo, [refs.tag_ref(name) for name, _commit in moved])
    for (name, commit), tag in zip(moved, tags):
        if tag is None or tag.type != "tag":
            continue
        new_tag = writer.write("tag", _retarget(tag.content, mapping[commit] or ""))
        lines.append(f"update {refs.tag_ref(name)} {new_tag} {tag.id}\n")
        rewritten.append(name)
        retagged[tag[0]] = (new_tag, mapping[commit] or "", name)
    branch_deleted = False
    if tip is not None and tip in mapping:
        new_tip = mapping[tip]
        if new_tip is None or new_tip not in new_commits | {c.commit for c in chain}:
            lines.append(f"delete {refs.branch_ref} {tip}\n")
            branch_deleted = True
        else:
            lines.append(f"update {refs.branch_ref} {new_tip} {tip}\n")
    elif tip is not None:
        lines.append(f"verify {refs.branch_ref} {tip}\n")
    proc = repo.git(*NO_HOOKS, "update-ref", "-m", "rerun-git: rm --prune-history", "--stdin",
                    input="".join(lines).encode(), check=False)
    if proc.returncode != 0:
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["unknown error"]
        raise RerunError(f"could not prune the runs branch: {last[0]}",
                         hint="another capture moved the runs branch meanwhile; run the command again")
    from rerun_git.store.provenance import carry_captured

    carry_captured(repo, retagged)
    result = PruneResult([r.name for r in runs], rewritten, branch_deleted)
    note_pruned(repo, result)
    return result


#: Where ``rm --prune-history`` notes what it rewrote, for ``push`` to explain a rejection (under ``.git/rerun/``).
PRUNE_NOTES = "pruned.json"


def note_pruned(repo: Repo, result: PruneResult) -> None:
    """Remember the runs ``rm --prune-history`` dropped and re-committed, until a push goes through."""
    import json

    notes = pruned_notes(repo)
    notes["removed"] = sorted(set(notes["removed"]) | set(result.removed))
    notes["rewritten"] = sorted((set(notes["rewritten"]) | set(result.rewritten)) - set(notes["removed"]))
    repo.rerun_dir.mkdir(parents=True, exist_ok=True)
    (repo.rerun_dir / PRUNE_NOTES).write_text(json.dumps(notes) + "\n")


def pruned_notes(repo: Repo) -> dict[str, list[str]]:
    """``{"removed": [...], "rewritten": [...]}`` of the prunes since the last clean push (empty lists: none)."""
    import json

    try:
        data = json.loads((repo.rerun_dir / PRUNE_NOTES).read_text())
    except (OSError, ValueError):
        return {"removed": [], "rewritten": []}
    return {key: [v for v in data.get(key, []) if isinstance(v, str)] if isinstance(data, dict) else []
            for key in ("removed", "rewritten")}


def clear_pruned(repo: Repo) -> None:
    (repo.rerun_dir / PRUNE_NOTES).unlink(missing_ok=True)


def tagged_runs(repo: Repo, refs: RefSettings) -> list[tuple[str, str]]:
    """``(name, commit)`` of every annotated tag under the prefix (one ``for-each-ref``)."""
    out = repo.text("for-each-ref", "--format=%(refname)%00%(*objectname)", "--", refs.tag_pattern)
    pairs = []
    for line in out.splitlines():
        refname, _, commit = line.partition("\0")
        if commit:
            pairs.append((refname[len(refs.tag_namespace):], commit))
    return pairs


def _reparent(raw: bytes, first_parent: str | None) -> bytes:
    """The commit ``raw`` with its first ``parent`` line replaced (or dropped when ``first_parent`` is None)."""
    header, sep, message = raw.partition(b"\n\n")
    lines = header.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"parent "):
            if first_parent is None:
                del lines[i]
            else:
                lines[i] = b"parent " + first_parent.encode()
            break
    return b"\n".join(lines) + sep + message


def _retarget(raw: bytes, target: str) -> bytes:
    """The annotated tag ``raw`` pointing at ``target`` instead."""
    first, sep, rest = raw.partition(b"\n")
    if not first.startswith(b"object "):
        raise RerunError("unexpected tag object layout", hint="`git cat-file -p <tag>` shows it")
    return b"object " + target.encode() + sep + rest


def gc_auto(repo: Repo) -> None:
    """``git gc --auto``: let git decide whether packing is due.

    Without git's own ``worktree prune`` (``gc.worktreePruneExpire=never``): a
    worktree of the user's whose folder is gone is theirs to prune, not ours.
    """
    repo.git("-c", "gc.worktreePruneExpire=never", "gc", "--auto", "--quiet")


def commit_authors(repo: Repo, commits: list[str]) -> dict[str, str]:
    """``{commit: author name}`` of ``commits`` in one ``git log --no-walk``."""
    if not commits:
        return {}
    proc = repo.git("log", "--no-walk=unsorted", "--format=%H%x00%an", "--stdin", input="\n".join(commits).encode(), check=False)
    authors = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        commit, _, name = line.partition("\0")
        authors[commit] = name
    return authors


def branch_tip(repo: Repo, refs: RefSettings) -> str | None:
    return repo.resolve_revisions(refs.branch_ref)[0]



def branch_commits(repo: Repo, refs: RefSettings) -> set[str]:
    """Ids of the commits on the local runs branch's first-parent chain (one ``git rev-list``)."""
    tip = branch_tip(repo, refs)
    if tip is None:
        return set()
    return set(repo.text("rev-list", "--first-parent", tip, "--").split())


__all__ = [
    "BranchCommit", "FileStat", "NON_CODE_PATHS", "PruneResult", "branch_commits", "branch_tip", "commit_authors", "diff_code",
    "files_under",
    "gc_auto", "prune_runs", "read_blobs", "read_objects", "runs_branch_log", "tagged_runs",
]
