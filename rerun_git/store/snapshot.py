"""Blobs -> tree -> commit -> tag -> one ref transaction: the commit point of a run."""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rerun_git.errors import RerunError
from rerun_git.store.objects import ObjectWriter, TreeEntry
from rerun_git.store.provenance import note_captured
from rerun_git.store.refs import RefSettings, RunRef, TagMessage
from rerun_git.store.repo import Repo
from rerun_git.store.runs import NO_HOOKS, NameTaken, tracking_tip
from rerun_git.store.worktree import checked_out_at

#: Test seam: called with the name of each capture stage. Only the test
#: helper ``tests/crash_helper.py`` sets it; there is no public flag.
STAGE_HOOK: Callable[[str], None] | None = None

MAX_ATTEMPTS = 50
#: What git says when another writer moved or is moving the runs branch.
_LOST_RACE_SIGNS = ("but expected", "reference already exists", "File exists")


@dataclass(frozen=True)
class Identity:
    """Who made a run: git's author and committer ident lines (``Name <email> <time> <tz>``)."""

    author: str
    committer: str

    @classmethod
    def of(cls, repo: Repo) -> Identity:
        """The identity git would use for a commit in ``repo``, falling back to rerun-git's own."""
        return cls.start(repo)()

    @classmethod
    def start(cls, repo: Repo) -> Callable[[], Identity]:
        """Start both ``git var`` look-ups at once; the returned function waits for them and gives the identity."""
        pending = [repo.start("var", var) for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT")]

        def finish() -> Identity:
            idents = []
            for proc in (p.result(check=False) for p in pending):
                idents.append(proc.stdout.decode().strip() if proc.returncode == 0 else _fallback_ident())
            return cls(*idents)

        return finish


def _fallback_ident() -> str:
    return f"rerun-git <rerun-git@localhost> {int(time.time())} +0000"


@dataclass(frozen=True)
class PublishedRun:
    """A run that passed its commit point."""

    name: str
    tag: str
    commit: str
    tag_object: str
    tree: str


def stage(name: str) -> None:
    """Mark a capture stage (a no-op unless a test installed :data:`STAGE_HOOK`)."""
    if STAGE_HOOK is not None:
        STAGE_HOOK(name)


def write_snapshot_tree(writer: ObjectWriter, files: Mapping[str, bytes], blobs: Mapping[str, TreeEntry]) -> str:
    """Write the blobs of ``files`` and the tree holding them plus the pre-written ``blobs``."""
    entries = {path: TreeEntry("100644", writer.write_blob(data)) for path, data in files.items()}
    entries.update(blobs)
    stage("after-blobs")
    tree = writer.write_tree(entries)
    stage("after-tree")
    return tree


#: The first commit of every runs branch: empty tree, fixed identity and date, so it is
#: the same object in every repository. ``git log --first-parent <branch>`` ends there
#: instead of walking into the user's history, and runs branches started on two
#: machines share it as their common ancestor.
ROOT_IDENT = "rerun-git <rerun-git@localhost> 946684800 +0000"
ROOT_MESSAGE = "rerun-git: start of the runs branch\n"


def runs_branch_root(writer: ObjectWriter) -> str:
    """The runs branch's root commit (written once; identical in every repository)."""
    return writer.write_commit(writer.write_tree({}), [], ROOT_IDENT, ROOT_IDENT, ROOT_MESSAGE)


def check_runs_branch(repo: Repo, refs: RefSettings, tip: str | None, root: str) -> None:
    """Refuse a runs branch rerun-git must not move: checked out in any worktree, or not started by rerun-git.

    A branch rerun-git started has the runs branch's root commit (:func:`runs_branch_root`) at the
    start of its history; any other (``[refs] branch = "main"``, a ``rerun/runs`` of the user's) is
    someone else's history.
    """
    ancestry = repo.start("merge-base", "--is-ancestor", root, tip) if tip and tip != root else None
    where = checked_out_at(repo, refs.branch_ref)
    if where is not None:
        raise RerunError(f"the runs branch {refs.branch} is checked out in {where}",
                         hint="rerun-git never moves a checked-out branch: check out another branch there, "
                              "or set [refs] branch in rerun.toml to a branch of rerun-git's own (default rerun/runs)")
    if ancestry is not None and ancestry.result(check=False).returncode != 0:
        raise RerunError(f"the branch {refs.branch} was not started by rerun-git (its history lacks the runs root commit)",
                         hint="set [refs] branch in rerun.toml to a new name (default rerun/runs), "
                              "or rename that branch with `git branch -m`")


def publish_run(
    repo: Repo,
    writer: ObjectWriter,
    refs: RefSettings,
    *,
    tree: str,
    head: str | None,
    message: TagMessage,
    identity: Identity,
    known_refs: tuple[str | None, str | None] | None = None,
) -> PublishedRun:
    """Commit ``tree`` on the runs branch and tag it, in one ``git update-ref --stdin`` transaction.

    The commit's message is ``message`` without the metric trailers, the
    tag's with them. The transaction ``create``s the tag (a name is taken at
    most once) and compare-and-swaps the branch. When another capture moved
    the branch first, the commit is rebuilt on the new tip and the
    transaction retried. Without a local runs branch (a fresh clone) the
    first run builds on the remote's (:func:`~rerun_git.store.runs.tracking_tip`),
    so its push fast-forwards. ``known_refs`` is ``(branch tip, tag)`` as the
    caller just resolved them, used for the first attempt instead of
    resolving them again.
    """
    run = RunRef(message.name, refs)
    name, tag_ref = run.name, run.ref
    commit_message, tag_message = message.format(with_metrics=False), message.format()
    from rerun_git.store.signing import sign_commit, sign_tag, signing_wanted

    signing = signing_wanted(repo)
    for attempt in range(MAX_ATTEMPTS):
        if attempt == 0 and known_refs is not None:
            tip, existing_tag = known_refs
        else:
            tip, existing_tag = repo.resolve_revisions(refs.branch_ref, tag_ref)
        if existing_tag:
            raise name_taken(refs, name)
        root = runs_branch_root(writer)
        if attempt == 0:
            check_runs_branch(repo, refs, tip, root)
        parents = [tip or tracking_tip(repo, refs) or root, *([head] if head else [])]
        if signing.commit:
            commit = sign_commit(repo, tree, parents, commit_message)
        else:
            commit = writer.write_commit(tree, parents, identity.author, identity.committer, commit_message)
        if signing.tag:
            tag_object = sign_tag(repo, writer, commit, run.tag, tag_message)
        else:
            tag_object = writer.write_tag(commit, run.tag, identity.committer, tag_message)
        stage("after-commit")
        payload = f"create {tag_ref} {tag_object}\nupdate {refs.branch_ref} {commit} {tip or repo.zero_id}\n"
        stage("before-refs")
        proc = repo.git(*NO_HOOKS, "update-ref", "-m", f"rerun-git: run {name}", "--stdin", input=payload.encode(), check=False)
        if proc.returncode == 0:
            stage("after-refs")
            note_captured(repo, tag_object, commit, name)
            return PublishedRun(name, run.tag, commit, tag_object, tree)
        _raise_unless_lost_race(repo, refs, name, proc.stderr.decode("utf-8", "replace"))
        time.sleep(random.uniform(0.005, 0.02) * (1 + attempt))
    raise RerunError(
        f"could not record run {name}: the runs branch kept moving ({MAX_ATTEMPTS} attempts)",
        hint="retry; other captures are running in this repository right now",
    )


def name_taken(refs: RefSettings, name: str) -> NameTaken:
    return NameTaken(f"run {RunRef(name, refs).tag} already exists", hint="choose another --name")


def _raise_unless_lost_race(repo: Repo, refs: RefSettings, name: str, stderr: str) -> None:
    tag = repo.resolve_revisions(refs.tag_ref(name))[0]
    if tag:
        raise name_taken(refs, name)
    if any(sign in stderr for sign in _LOST_RACE_SIGNS):
        return
    last = stderr.strip().splitlines()[-1] if stderr.strip() else "unknown error"
    raise RerunError(f"could not record run {name}: {last}", hint="check that .git is writable and the disk is not full")
