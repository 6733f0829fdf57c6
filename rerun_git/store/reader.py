"""The one reader of ``git cat-file --batch`` output, and a dialogue with one such process.

Three ways of reading share :func:`read_batch_entry`: a dialogue
(:class:`ObjectReader`, one request answered before the next), a bulk read
(:func:`read_objects`) and a stream fed by another git process
(:func:`stream_objects`, used by ``list``).
"""
from __future__ import annotations

import io
import subprocess
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import IO, NamedTuple

from rerun_git.errors import RerunError
from rerun_git.store.repo import Repo

TREE_MODE = b"40000"
#: ``%(rest)`` echoes what followed the object name on the request line (a refname, for ``list``); with it
#: git splits each request at its first space, so names with spaces (``<commit>:<path>``) use plain ``--batch``.
LISTED_FORMAT = "--batch=%(objectname) %(objecttype) %(objectsize) %(rest)"
_STOPPED = "git cat-file stopped answering"


class GitObject(NamedTuple):
    """One object as ``cat-file --batch`` gives it; ``rest`` is the request line after the name."""

    id: str
    type: str
    content: bytes
    rest: str = ""


def read_batch_entry(stream: IO[bytes], strict: bool = False) -> GitObject | None:
    """Read one answer of ``cat-file --batch`` (or :data:`LISTED_FORMAT`); ``None`` for ``<name> missing``.

    Raises :class:`RerunError` when the stream ends instead, or (``strict``) for a missing object.
    """
    header = stream.readline()
    if not header:
        raise RerunError(_STOPPED, hint="run `git fsck` in this repository")
    parts = header.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3 or not parts[2].isdigit():  # "<name> missing" or "<name> ambiguous"
        if strict:
            raise RerunError(f"git cat-file: {parts[0].decode('utf-8', 'replace')} is missing",
                             hint="`git fsck` checks the repository")
        return None
    size = int(parts[2])
    content = stream.read(size + 1)  # the object and the newline after it
    if len(content) != size + 1 or content[-1:] != b"\n":
        raise RerunError(_STOPPED, hint="run `git fsck` in this repository")
    content = content[:-1]
    rest = parts[3].decode("utf-8", "surrogateescape") if len(parts) > 3 else ""
    return GitObject(parts[0].decode(), parts[1].decode(), content, rest)


def _request(names: Iterable[str]) -> bytes:
    lines = []
    for name in names:
        if "\n" in name:
            raise ValueError(f"object name with a newline: {name!r}")
        lines.append(name.encode() + b"\n")
    return b"".join(lines)


def read_objects(repo: Repo, names: list[str]) -> list[GitObject | None]:
    """Each object or revision in ``names`` (one ``cat-file --batch``); ``None`` when missing."""
    if not names:
        return []
    out = repo.git("cat-file", "--batch", input=_request(names)).stdout
    stream = io.BytesIO(out)
    return [read_batch_entry(stream) for _ in names]


def read_blobs(repo: Repo, specs: list[str]) -> list[bytes | None]:
    """The bytes of ``<commit>:<path>`` specs, in one git call; None when absent."""
    return [obj.content if obj is not None and obj.type == "blob" else None for obj in read_objects(repo, specs)]


def read_blob(repo: Repo, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` in ``commit``'s tree, or ``None`` when absent."""
    return read_blobs(repo, [f"{commit}:{path}"])[0]


def stream_objects(repo: Repo, lister: list[str]) -> Iterator[GitObject]:
    """The objects a git command lists (``<id> <rest>`` per line), read while git still writes.

    An object that is not in the repository is one :class:`RerunError`.

    ``lister``'s output is piped straight into ``git cat-file``; on failure
    either command is run again through :meth:`Repo.git` for git's message
    (stderr is not read while streaming, so it can never fill a pipe and stall).
    """
    listing = repo.popen(*lister, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    with listing.stdout:  # type: ignore[union-attr]
        reader = repo.popen("cat-file", LISTED_FORMAT, stdin=listing.stdout, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    stream = reader.stdout
    assert stream is not None
    with stream:
        while stream.peek(1):
            yield read_batch_entry(stream, strict=True)  # type: ignore[misc]
    for args, proc in ((lister, listing), (["cat-file", LISTED_FORMAT], reader)):
        if proc.wait() != 0:
            repo.git(*args)  # raises GitFailed with git's message
            raise RerunError(f"git {args[0]} failed (exit code {proc.returncode})", hint="run it again")


class ObjectReader:
    """A ``git cat-file --batch`` dialogue: each :meth:`read` is answered before the next is asked.

    Use as a context manager; names must be object ids or validated ref
    names (one line each, never user text).
    """

    def __init__(self, repo: Repo) -> None:
        self._hash_bytes = repo.hash_length // 2
        self._proc = repo.popen("cat-file", "--batch", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.stdin and not self._proc.stdin.closed:
            self._proc.stdin.close()
        self._proc.stdout.close()  # type: ignore[union-attr]
        self._proc.wait()

    def read(self, name: str) -> GitObject | None:
        """The object ``name`` names, or ``None`` when there is none."""
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(_request([name]))
            stdin.flush()
        except BrokenPipeError as exc:
            raise RerunError(_STOPPED, hint="run `git fsck` in this repository") from exc
        return read_batch_entry(stdout)

    def tree_entries(self, tree: str) -> dict[str, tuple[bytes, str]]:
        """``{name: (mode, id)}`` of one tree object (empty when it is not a tree)."""
        found = self.read(tree)
        if found is None or found.type != "tree":
            return {}
        data, entries, at = found.content, {}, 0
        while at < len(data):
            space = data.index(b" ", at)
            nul = data.index(b"\0", space)
            end = nul + 1 + self._hash_bytes
            entries[data[space + 1:nul].decode("utf-8", "surrogateescape")] = (data[at:space], data[nul + 1:end].hex())
            at = end
        return entries

    def blobs_under(self, tree: str, prefix: str = "") -> list[tuple[str, str]]:
        """``(path, blob id)`` of every file below ``tree``, depth first, sorted by path (submodules left out)."""
        found: list[tuple[str, str]] = []
        for name, (mode, sha) in sorted(self.tree_entries(tree).items()):
            if mode == TREE_MODE:
                found.extend(self.blobs_under(sha, f"{prefix}{name}/"))
            elif mode != b"160000":
                found.append((prefix + name, sha))
        return found

    def ids_at(self, tree: str, paths: Iterable[str]) -> dict[str, str | None]:
        """The id of the entry at each POSIX ``path`` under ``tree`` (``None`` when absent or a folder).

        Only the folders that hold one of ``paths`` are read, each once.
        """
        folders: dict[str, dict[str, tuple[bytes, str]]] = {"": self.tree_entries(tree)}

        def folder(path: str) -> dict[str, tuple[bytes, str]]:
            if path not in folders:
                parent, _, name = path.rpartition("/")
                mode, sha = folder(parent).get(name, (b"", ""))
                folders[path] = self.tree_entries(sha) if mode == TREE_MODE else {}
            return folders[path]

        ids: dict[str, str | None] = {}
        for path in paths:
            parent, _, name = path.rpartition("/")
            mode, sha = folder(parent).get(name, (TREE_MODE, ""))
            ids[path] = None if mode == TREE_MODE else sha
        return ids


def commit_tree(content: bytes) -> str:
    """The tree id named on a commit object's first line."""
    first = content.split(b"\n", 1)[0]
    if not first.startswith(b"tree "):
        raise RerunError("a commit object without a tree line", hint="run `git fsck` in this repository")
    return first[5:].decode()
