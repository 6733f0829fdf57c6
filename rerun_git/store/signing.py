"""Signed runs, through stock git, when the user's config asks for them (``commit.gpgSign``, ``tag.gpgSign``).

rerun-git writes its commit and tag objects itself (so that one ref
transaction publishes both). When signing is asked for, git makes them
instead, with whatever ``gpg.format`` (openpgp, ssh, x509) and key the user
configured:

- the commit with ``git commit-tree -S`` (no ref is touched);
- the tag with ``git tag -s`` run in a throwaway bare repository that borrows
  this repository's objects (``objects/info/alternates``), so no ref of the
  user's moves; the signed tag object is then copied in, byte for byte.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rerun_git.errors import RerunError
from rerun_git.store.repo import Repo

#: Config the throwaway repository needs to sign as the user would (read from this repository, global included).
_SIGNING_CONFIG = r"^(user\.(name|email|signingkey)|gpg\..*|tag\.gpgsign)$"


@dataclass(frozen=True)
class SigningWanted:
    """Which of a run's objects the user's git config asks to sign."""

    commit: bool
    tag: bool


def signing_wanted(repo: Repo) -> SigningWanted:
    """``commit.gpgSign`` and ``tag.gpgSign`` (or ``tag.forceSignAnnotated``) as git reads them here."""
    proc = repo.git("config", "--type=bool", "--get-regexp", r"^(commit\.gpgsign|tag\.gpgsign|tag\.forcesignannotated)$",
                    check=False)
    values = dict(line.split(" ", 1) for line in proc.stdout.decode().splitlines() if " " in line)
    return SigningWanted(values.get("commit.gpgsign") == "true",
                         "true" in (values.get("tag.gpgsign"), values.get("tag.forcesignannotated")))


def sign_commit(repo: Repo, tree: str, parents: list[str], message: str) -> str:
    """A signed commit of ``tree`` made by ``git commit-tree -S`` (git's own identity and date); its id."""
    args = ["commit-tree", "-S", *(item for parent in parents for item in ("-p", parent)), "-F", "-", tree]
    proc = repo.git(*args, input=message.encode(), check=False)
    if proc.returncode != 0:
        raise _signing_failed("commit", proc.stderr)
    return proc.stdout.decode().strip()


def sign_tag(repo: Repo, writer: object, commit: str, tag_name: str, message: str) -> str:
    """A signed annotated tag ``tag_name`` of ``commit`` made by ``git tag -s``; stored here through ``writer``.

    No ref of this repository moves: ``git tag`` runs in a throwaway bare
    repository borrowing this one's objects.
    """
    scratch = Path(tempfile.mkdtemp(prefix="sign-", dir=_scratch_parent(repo)))
    try:
        repo.git("init", "--quiet", "--bare", f"--object-format={repo.object_format}", "--", str(scratch))
        (scratch / "objects" / "info" / "alternates").write_text(f"{repo.common_dir / 'objects'}\n")
        proc = repo.git("--git-dir", str(scratch), *_signing_options(repo), "-c", "core.hooksPath=/dev/null",
                        "tag", "-s", "-F", "-", "--cleanup=verbatim", "--", tag_name, commit,
                        input=message.encode(), check=False)
        if proc.returncode != 0:
            raise _signing_failed("tag", proc.stderr)
        raw = repo.git("--git-dir", str(scratch), "cat-file", "tag", f"refs/tags/{tag_name}").stdout
        return writer.write("tag", raw)  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _scratch_parent(repo: Repo) -> Path:
    parent = repo.rerun_dir / "signing"
    parent.mkdir(parents=True, exist_ok=True)
    return parent


def _signing_options(repo: Repo) -> list[str]:
    """``-c key=value`` for the user's signing config (a repository-local ``user.signingKey`` included)."""
    proc = repo.git("config", "--get-regexp", _SIGNING_CONFIG, check=False)
    options: list[str] = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        options += ["-c", f"{key}={value}"]
    return options


def _signing_failed(what: str, stderr: bytes) -> RerunError:
    last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["unknown error"]
    return RerunError(f"could not sign the run's {what}: {last[0]}",
                      hint="your git config asks for signed commits or tags (commit.gpgSign / tag.gpgSign); "
                           "check `git config user.signingKey` and gpg.format, or turn signing off")
