"""Where a run came from, by evidence a remote cannot write: the clone's own ledger, and git's signature check.

``.git/rerun-git/runs.log`` is appended to, one line per event, by this
clone only (it lives in the git dir, so no push or fetch ever carries it):

- ``captured <tag object> <commit> <name>`` when a capture passed its commit point;
- ``fetched <tag object> <commit> <name> <remote>`` when ``rerun-git fetch`` brought a run.

A run whose tag object is listed ``captured`` was made here; every other run
came from elsewhere, whatever its trailers say. Lines are short and written
with one ``O_APPEND`` write, so concurrent captures never interleave them.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from rerun_git.store.repo import Repo

LEDGER_NAME = "runs.log"
_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_REMOTE = re.compile(r"[A-Za-z0-9._/-]+")


@dataclass
class Ledger:
    """The runs this clone captured (by tag object and by commit) and fetched (tag object -> remote)."""

    captured_tags: set[str] = field(default_factory=set)
    captured_commits: set[str] = field(default_factory=set)
    fetched_from: dict[str, str] = field(default_factory=dict)
    #: whether the ledger file exists (a clone that never captured with a rerun-git that keeps it has none)
    exists: bool = False


def ledger_path(repo: Repo) -> Path:
    return repo.rerun_dir / LEDGER_NAME


def note_captured(repo: Repo, tag_object: str, commit: str, name: str) -> None:
    """Record that this clone captured run ``name`` (called right after its ref transaction)."""
    _append(repo, [f"captured {tag_object} {commit} {name}\n"])


def note_fetched(repo: Repo, runs: list[tuple[str, str, str]], remote: str) -> None:
    """Record ``(tag object, commit, name)`` of runs ``rerun-git fetch`` brought from ``remote``."""
    if _REMOTE.fullmatch(remote):
        _append(repo, [f"fetched {tag} {commit} {name} {remote}\n" for tag, commit, name in runs])


def carry_captured(repo: Repo, moved: dict[str, tuple[str, str, str]]) -> None:
    """A rewrite (``rm --prune-history``) gave captured runs new tag objects: ``{old tag: (new tag, commit, name)}``."""
    captured = read_ledger(repo).captured_tags
    _append(repo, [f"captured {tag} {commit} {name}\n" for old, (tag, commit, name) in moved.items() if old in captured])


def read_ledger(repo: Repo) -> Ledger:
    """The ledger as sets; malformed lines are ignored (the file is ours, but a crash can cut its last line)."""
    path = ledger_path(repo)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return Ledger()
    ledger = Ledger(exists=True)
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) < 4 or not _ID.fullmatch(parts[1]) or not _ID.fullmatch(parts[2]):
            continue
        if parts[0] == "captured" and len(parts) == 4:
            ledger.captured_tags.add(parts[1])
            ledger.captured_commits.add(parts[2])
        elif parts[0] == "fetched" and len(parts) == 5:
            ledger.fetched_from[parts[1]] = parts[4]
    return ledger


def _append(repo: Repo, lines: list[str]) -> None:
    if not lines:
        return
    path = ledger_path(repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, "".join(lines).encode())
    finally:
        os.close(fd)


# ---------------------------------------------------------------- signatures
@dataclass(frozen=True)
class Signature:
    """``git verify-tag``'s verdict on a tag: whether it verified, and who signed (fingerprints, key ids, e-mails)."""

    good: bool
    signers: tuple[str, ...]
    detail: str

    def by_any_of(self, trusted: list[str]) -> bool:
        """Whether a good signature's signer matches one of ``trusted`` (a fingerprint, its suffix, or an e-mail)."""
        if not self.good:
            return False
        wanted = [t.strip().lower().replace(" ", "") for t in trusted if t.strip()]
        return any(s.lower() == w or (len(w) >= 16 and s.lower().endswith(w)) for s in self.signers for w in wanted)


def verify_tag(repo: Repo, tag_ref: str) -> Signature:
    """Check ``tag_ref``'s signature with stock ``git verify-tag --raw`` (gpg, ssh or x509, as git is configured)."""
    proc = repo.git("verify-tag", "--raw", "--", tag_ref, check=False)
    text = proc.stderr.decode("utf-8", "replace")
    signers: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if line.startswith("[GNUPG:] VALIDSIG") and len(words) > 2:
            signers += [words[2], words[-1]]  # the signing key's and the primary key's fingerprint
        elif line.startswith("[GNUPG:] GOODSIG") and len(words) > 2:
            signers.append(words[2])
            signers += re.findall(r"<([^<>\s]+)>", line)
        elif line.startswith('Good "git" signature for '):  # ssh: Good "git" signature for PRINCIPAL with KEY
            rest = line[len('Good "git" signature for '):].split(" with ")
            signers.append(rest[0].strip())
            signers += re.findall(r"SHA256:\S+", line)
    detail = next((line for line in text.splitlines() if line.strip() and not line.startswith("[GNUPG:]")), "")
    return Signature(proc.returncode == 0, tuple(dict.fromkeys(signers)), detail or f"exit code {proc.returncode}")


def trusted_remotes_in_config(repo: Repo) -> list[str]:
    """The clone's ``git config rerun.trustedRemotes`` values (local, global or system; never from a remote)."""
    proc = repo.git("config", "--get-all", "rerun.trustedRemotes", check=False)
    return proc.stdout.decode("utf-8", "replace").split() if proc.returncode == 0 else []


def remote_url(repo: Repo, remote: str) -> str | None:
    proc = repo.git("config", "--get", f"remote.{remote}.url", check=False)
    return proc.stdout.decode("utf-8", "replace").strip() or None if proc.returncode == 0 else None
