"""Runs across machines: ``git push`` / ``git fetch`` of the runs branch and run tags.

Both use explicit refspecs and never force a ref of the user:

- push: ``<branch>:<branch>`` and ``refs/tags/<prefix>*`` (or the named runs'
  tags). A runs branch that diverged on the remote (runs captured elsewhere)
  is rejected, not overwritten; the tags still carry every run.
- fetch: ``+<branch>:refs/remotes/<remote>/<branch>`` (rerun-git's mirror of
  the remote's runs branch) and ``refs/tags/<prefix>*:refs/tags/<prefix>*``
  (never clobbering a local tag), with ``--no-tags --refmap=`` so nothing else
  moves. Fetched runs are plain run tags, so ``list``/``show``/``reproduce``
  see them. The local runs branch is fast-forwarded to the remote's when it
  is absent or behind; when it diverged it is left alone.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass

from rerun_git.errors import RerunError
from rerun_git.store.refs import TAGS, RefSettings, RunRef
from rerun_git.store.repo import Repo, run_git
from rerun_git.store.runs import NO_HOOKS
from rerun_git.store.worktree import checked_out_at

_PUSH_FLAGS = {" ": "updated", "+": "forced", "-": "deleted", "*": "new", "!": "rejected", "=": "up-to-date"}


@dataclass(frozen=True)
class RefUpdate:
    """One ref a push or fetch considered, named as on the receiving side.

    ``status``: ``new``, ``updated``, ``up-to-date`` or ``rejected`` (``reason`` says why).
    """

    ref: str
    status: str
    old: str | None = None
    new: str | None = None
    reason: str = ""

    @property
    def moved(self) -> bool:
        return self.status in ("new", "updated", "forced", "deleted")

    def as_dict(self) -> dict[str, str | None]:
        return {"ref": self.ref, "status": self.status, "old": self.old, "new": self.new, "reason": self.reason}


def remote_names(repo: Repo) -> list[str]:
    """The configured remotes (``git remote``)."""
    return repo.text("remote").splitlines()


def resolve_remote(repo: Repo, remote: str | None) -> str:
    """``remote`` when it is a configured remote; by default ``origin`` (or the only remote)."""
    names = remote_names(repo)
    hint = "`git remote -v` lists the remotes; `git remote add NAME URL` adds one"
    if remote is None:
        if "origin" in names:
            return "origin"
        if len(names) == 1:
            return names[0]
        raise RerunError("no remote given and none named origin" if names else "this repository has no remote", hint=hint)
    if remote not in names:
        raise RerunError(f"no remote named {remote!r}", hint=hint)
    return remote


def _network_git(repo: Repo, *args: str, user_hooks: bool = False) -> subprocess.CompletedProcess[bytes]:
    """git for push / fetch / ls-remote: the clean environment, but prompts for credentials allowed.

    The user's hooks run only when ``user_hooks`` (for ``push``: a pre-push hook is
    the team's policy, e.g. git-lfs uploads, and is honoured as with ``git push``).
    """
    hooks = () if user_hooks else NO_HOOKS
    return run_git([*hooks, *args], repo.top, check=False, env=repo.environment(prompt=True))


def _failure(what: str, proc: subprocess.CompletedProcess[bytes]) -> RerunError:
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    last = (fatal or lines or [f"exit code {proc.returncode}"])[-1]
    return RerunError(f"git {what} failed: {last}", hint="check the remote's URL and your access (`git remote -v`)")


def local_refs(repo: Repo, *patterns: str) -> dict[str, str]:
    """``{refname: object id}`` of the refs under ``patterns`` (one ``for-each-ref``)."""
    out = repo.text("for-each-ref", "--format=%(refname) %(objectname)", "--", *patterns)
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


# -- push -------------------------------------------------------------------------------------------


def push_runs(repo: Repo, refs: RefSettings, remote: str, names: list[str] | None = None) -> list[RefUpdate]:
    """Push the runs branch and the run tags (all, or those of ``names``) to ``remote``; never forced."""
    namespace = refs.tag_namespace
    local = local_refs(repo, refs.branch_ref, refs.tag_pattern)
    if not local:
        raise RerunError("there are no runs to push", hint="`rerun-git run` captures one")
    # A fresh clone has run tags but no runs branch of its own until it captures or fetches.
    refspecs = [f"{refs.branch_ref}:{refs.branch_ref}"] if refs.branch_ref in local else []
    if names:
        for name in names:
            ref = RunRef.parse(name, refs).ref
            if ref not in local:
                raise RerunError(f"unknown run {ref[len(TAGS):]}", hint="`rerun-git list` shows the runs")
            refspecs.append(f"{ref}:{ref}")
    elif any(ref.startswith(namespace) for ref in local):
        refspecs.append(f"{namespace}*:{namespace}*")
    if not refspecs:
        raise RerunError("there are no runs to push", hint="`rerun-git run` captures one")
    proc = _network_git(repo, "push", "--porcelain", "--", remote, *refspecs, user_hooks=True)
    updates = parse_push_porcelain(proc.stdout.decode("utf-8", "replace"))
    if not updates:
        raise _failure("push", proc)
    return updates


def parse_push_porcelain(out: str) -> list[RefUpdate]:
    """The ref lines of ``git push --porcelain``: ``<flag>\\t<from>:<to>\\t<summary>``."""
    updates = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in _PUSH_FLAGS:
            continue
        flag, spec, summary = parts
        status = _PUSH_FLAGS[flag]
        reason = summary[summary.rfind("(") + 1: -1] if status == "rejected" and summary.endswith(")") else ""
        old, _, new = summary.partition("..")
        moved = status in ("updated", "forced") and new
        updates.append(RefUpdate(spec.rpartition(":")[2], status, old if moved else None,
                                 new.lstrip(".") if moved else None, reason))
    return updates


def delete_remote_runs(repo: Repo, refs: RefSettings, remote: str, names: list[str]) -> list[RefUpdate]:
    """Delete the tags of ``names`` on ``remote`` (``git push REMOTE :refs/tags/<prefix>NAME``); local tags stay.

    The runs' commits stay on the remote's runs branch (as after a local ``rm``).
    """
    if not names:
        raise RerunError("push --delete needs the runs to delete", hint="rerun-git push --delete origin NAME")
    refspecs = [f":{RunRef.parse(name, refs).ref}" for name in dict.fromkeys(names)]
    proc = _network_git(repo, "push", "--porcelain", "--", remote, *refspecs, user_hooks=True)
    updates = parse_push_porcelain(proc.stdout.decode("utf-8", "replace"))
    if not updates:
        raise _failure("push --delete", proc)
    return updates


# -- fetch ------------------------------------------------------------------------------------------


def remote_runs(repo: Repo, refs: RefSettings, remote: str) -> dict[str, str]:
    """``{refname: object id}`` of the runs branch and run tags ``remote`` advertises."""
    proc = _network_git(repo, "ls-remote", "--refs", "--", remote, refs.branch_ref, refs.tag_namespace + "*")
    if proc.returncode != 0:
        raise _failure("ls-remote", proc)
    advertised = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        sha, _, ref = line.partition("\t")
        if ref == refs.branch_ref or ref.startswith(refs.tag_namespace):
            advertised[ref] = sha
    return advertised


def fetch_runs(repo: Repo, refs: RefSettings, remote: str) -> list[RefUpdate]:
    """Fetch ``remote``'s runs: its runs branch to ``refs/remotes/<remote>/<branch>``, its run tags as ours.

    A remote tag whose name is taken here by a different run is reported
    ``rejected``; the local tag is kept.
    """
    advertised = remote_runs(repo, refs, remote)
    tracking = refs.tracking_ref(remote)
    namespace = refs.tag_namespace
    refspecs = [f"+{refs.branch_ref}:{tracking}"] if refs.branch_ref in advertised else []
    if any(ref.startswith(namespace) for ref in advertised):
        refspecs.append(f"{namespace}*:{namespace}*")
    if not refspecs:
        return []
    before = local_refs(repo, tracking, refs.tag_pattern)
    proc = _network_git(repo, "fetch", "--no-tags", "--no-write-fetch-head", "--refmap=", "--", remote, *refspecs)
    after = local_refs(repo, tracking, refs.tag_pattern)
    updates = []
    for ref, sha in sorted(advertised.items()):
        local_ref = tracking if ref == refs.branch_ref else ref
        updates.append(_fetched(local_ref, before.get(local_ref), after.get(local_ref), sha))
    if proc.returncode != 0 and all(u.status != "rejected" for u in updates):
        raise _failure("fetch", proc)
    _note_fetched_runs(repo, refs, updates, remote)
    if after.get(tracking):
        forwarded = fast_forward_runs_branch(repo, refs, after[tracking])
        if forwarded is not None:
            updates.append(forwarded)
    return updates


def _note_fetched_runs(repo: Repo, refs: RefSettings, updates: list[RefUpdate], remote: str) -> None:
    """Tell the clone's ledger which run tags came from ``remote`` (``new`` or ``updated`` ones)."""
    from rerun_git.store.provenance import note_fetched

    fetched = [u for u in updates if u.status in ("new", "updated") and u.ref.startswith(refs.tag_namespace) and u.new]
    if not fetched:
        return
    commits = repo.resolve_revisions(*(f"{u.new}^{{commit}}" for u in fetched))
    note_fetched(repo, [(u.new, c, u.ref[len(refs.tag_namespace):]) for u, c in zip(fetched, commits) if c], remote)


def fast_forward_runs_branch(repo: Repo, refs: RefSettings, target: str) -> RefUpdate | None:
    """Move the local runs branch to ``target`` when it is absent or behind it (never when it diverged).

    Later captures then build on the fetched runs and a push fast-forwards.
    The update is a compare-and-swap: a capture that moved the branch meanwhile wins.
    """
    local = repo.resolve_revisions(refs.branch_ref)[0]
    if local == target or checked_out_at(repo, refs.branch_ref) is not None:
        return None  # up to date, or checked out somewhere: a checked-out branch is never moved
    if local is not None and repo.git("merge-base", "--is-ancestor", local, target, check=False).returncode != 0:
        return None  # diverged (runs captured here): both histories stay reachable through their tags
    proc = repo.git(*NO_HOOKS, "update-ref", "-m", "rerun-git: fetch (fast-forward)", refs.branch_ref, target,
                    local or repo.zero_id, check=False)
    if proc.returncode != 0:
        return None
    return RefUpdate(refs.branch_ref, "updated" if local else "new", local, target, "fast-forward")


def _fetched(ref: str, old: str | None, now: str | None, remote: str) -> RefUpdate:
    if now != remote:
        reason = "a different run has this name here" if now else "not fetched"
        return RefUpdate(ref, "rejected", old, remote, reason)
    if old == now:
        return RefUpdate(ref, "up-to-date", old, now)
    return RefUpdate(ref, "updated" if old else "new", old, now)


__all__ = [
    "RefUpdate", "remote_names", "resolve_remote", "push_runs", "delete_remote_runs", "parse_push_porcelain",
    "remote_runs", "fetch_runs", "fast_forward_runs_branch", "local_refs",
]
