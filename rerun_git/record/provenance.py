"""A run's provenance (who made it, where it came from) and whether its code may run without ``--trust``.

"Captured here" is read from the clone's own ledger (``.git/rerun-git/runs.log``,
never pushed), not from the tag's ``Rerun-Source`` trailer, which anyone can
write. A run from elsewhere runs its code only with ``--trust``, or when it
was fetched from a trusted remote (``[trust] remotes`` in ``rerun.toml``, git
config ``rerun.trustedRemotes``) or carries a good signature by a trusted
signer (``[trust] signers``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rerun_git.store.provenance import Ledger, Signature, read_ledger, remote_url, trusted_remotes_in_config, verify_tag
from rerun_git.store.repo import Repo
from rerun_git.store.runs import Provenance, RefSettings, RunInfo, run_provenance


@dataclass(frozen=True)
class RunOrigin:
    """Where one run came from: git's identities, the clone's ledger, and (when asked) its signature."""

    tag: str
    commit: str
    tag_object: str
    identities: Provenance
    captured_here: bool
    fetched_from: str | None
    signature: Signature | None = None

    @property
    def origin(self) -> str:
        if self.captured_here:
            return "captured in this clone"
        if self.fetched_from:
            return f"fetched from remote {self.fetched_from} (not captured in this clone)"
        return "from elsewhere (not captured in this clone)"

    def to_dict(self) -> dict[str, Any]:
        ids = self.identities
        return {"author": ids.author, "committer": ids.committer, "tagger": ids.tagger, "source": ids.source,
                "captured_here": self.captured_here, "fetched_from": self.fetched_from, "origin": self.origin}


def run_origin(repo: Repo, refs: RefSettings, run: RunInfo, *, ledger: Ledger | None = None,
               check_signature: bool = False) -> RunOrigin:
    """``run``'s provenance; ``check_signature`` also runs ``git verify-tag`` on its tag."""
    tag_object = repo.resolve_revisions(refs.tag_ref(run.name))[0] or ""
    ledger = ledger if ledger is not None else read_ledger(repo)
    signature = verify_tag(repo, refs.tag_ref(run.name)) if check_signature else None
    return RunOrigin(run.tag, run.commit, tag_object, run_provenance(repo, refs, run),
                     tag_object in ledger.captured_tags, ledger.fetched_from.get(tag_object), signature)


def provenance_lines(origin: RunOrigin, created: str, dirty: bool) -> list[str]:
    """The lines ``show``, ``checkout`` and ``reproduce`` print (raw: the commands escape them)."""
    ids = origin.identities
    source = ids.source or "none"
    if ids.source and not ids.source_known:
        source += " (not on any of your branches)"
    if dirty:
        source += " (dirty: the run's files differ from it)"
    lines = [f"  origin     {origin.origin}", f"  author     {ids.author}", f"  committer  {ids.committer}"]
    if ids.tagger is not None:
        lines.append(f"  tagger     {ids.tagger}")
    lines.append(f"  source     {source}")
    if origin.signature is not None:
        sig = origin.signature
        lines.append(f"  signature  {'good' if sig.good else 'NOT VERIFIED'}: {sig.detail}")
    return lines


def trust_reason(repo: Repo, origin: RunOrigin, settings: Any, trust: bool) -> str | None:
    """Why the run's code may run (``None``: it may not). ``settings`` is the project's ``ProjectSettings``."""
    if origin.captured_here:
        return "captured in this clone"
    if trust:
        return "--trust"
    remotes = list(getattr(settings, "trusted_remotes", []) or []) + trusted_remotes_in_config(repo)
    if origin.fetched_from and remotes:
        url = remote_url(repo, origin.fetched_from)
        if origin.fetched_from in remotes or (url is not None and url in remotes):
            return f"fetched from trusted remote {origin.fetched_from}"
    signers = list(getattr(settings, "trusted_signers", []) or [])
    if signers:
        signature = origin.signature or verify_tag(repo, "refs/tags/" + origin.tag)
        if signature.by_any_of(signers):
            return "signed by a trusted signer"
    return None
