"""``rerun-git push [REMOTE] [RUN...]``: push the runs branch and run tags (never forced)."""
from __future__ import annotations

import argparse
from pathlib import Path

from rerun_git.commands._output import err, print_json, out
from rerun_git.errors import RerunError


def short_ref(ref: str) -> str:
    for prefix in ("refs/tags/", "refs/heads/", "refs/remotes/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def print_updates(updates, verb: str, remote: str) -> None:
    """Moved and rejected refs, one per line, then a count (up-to-date refs are only counted)."""
    for update in updates:
        if update.status != "up-to-date":
            reason = f" ({update.reason})" if update.reason else ""
            out(f"  {update.status:<9} {short_ref(update.ref)}{reason}")
    moved = sum(1 for u in updates if u.moved)
    same = sum(1 for u in updates if u.status == "up-to-date")
    out(f"{verb} {moved} ref{'s' if moved != 1 else ''} {dict(pushed='to', deleted='on').get(verb, 'from')} {remote}"
          f"{f' ({same} up to date)' if same else ''}")


def main(args: argparse.Namespace) -> int:
    from rerun_git.browse.sharing import push

    done = push(Path.cwd(), args.remote, args.runs, delete=args.delete)
    remote, updates = done.remote, done.updates
    if args.format == "json":
        print_json({"remote": remote, "refs": [u.as_dict() for u in updates], "pruned": done.pruned})
    else:
        print_updates(updates, "deleted" if args.delete else "pushed", remote)
    rejected = done.rejected
    if rejected and done.pruned:
        _explain_prune(done)
        return 1
    branch_only = [u for u in rejected if u.ref == done.branch_ref]
    if branch_only and len(rejected) == 1:
        err(f"note: {remote}'s {done.branch} has runs captured elsewhere, so it was not moved (push never forces);"
            f" your runs are on {remote} through their tags. `rerun-git fetch {remote}` brings the others here.")
    elif rejected:
        names = ", ".join(short_ref(u.ref) for u in rejected if u not in branch_only)
        raise RerunError(f"{remote} refused {names}",
                         hint="a run with that name already exists there with other content; capture it again under another --name")
    return 0


def _explain_prune(done) -> None:
    """A push rejected after ``rm --prune-history``: what happened, and the commands that make the remote agree."""
    remote, branch_ref = done.remote, done.branch_ref
    removed, rewritten = done.pruned.get("removed", []), done.pruned.get("rewritten", [])
    err(f"note: `rm --prune-history` rewrote the runs branch here: it dropped {', '.join(removed) or 'no run'} and "
        f"re-committed {len(rewritten)} later run(s) with new commit ids (same content). {remote} still has the old "
        "history, and push never forces.")
    err(f"to make {remote} agree (this rewrites its runs branch for everyone who shares it):")
    err(f"  git push --force-with-lease {remote} {branch_ref}:{branch_ref}")
    if rewritten:
        err(f"  git push --force {remote} " + " ".join(f"refs/tags/{short_ref(u.ref)}" for u in done.rejected
                                                     if u.ref != branch_ref))
    if removed:
        err(f"  rerun-git push --delete {remote} {' '.join(removed)}")
    err("or keep the remote as it is: its runs stay readable through their tags")
