"""Read several objects through one ``git cat-file --batch`` process, one request at a time."""
from __future__ import annotations

import subprocess
from collections.abc import Iterable
from types import TracebackType

from rerun_git.errors import RerunError
from rerun_git.store.repo import Repo, clean_environment

TREE_MODE = b"40000"


class ObjectReader:
    """A ``git cat-file --batch`` dialogue: each :meth:`read` is answered before the next is asked.

    Use as a context manager; names must be object ids or validated ref
    names (one line each, never user text).
    """

    def __init__(self, repo: Repo) -> None:
        self._hash_bytes = 20 if repo.object_format == "sha1" else 32
        try:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=repo.top, env=clean_environment(),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise RerunError("git is not installed or not on PATH", hint="install git 2.30 or newer") from exc

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.stdin and not self._proc.stdin.closed:
            self._proc.stdin.close()
        self._proc.stdout.close()  # type: ignore[union-attr]
        self._proc.wait()

    def read(self, name: str) -> tuple[str, str, bytes] | None:
        """``(id, type, content)`` of the object ``name`` names, or ``None`` when there is none."""
        if "\n" in name:
            raise ValueError(f"object name with a newline: {name!r}")
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(name.encode() + b"\n")
            stdin.flush()
        except BrokenPipeError as exc:
            raise RerunError("git cat-file stopped answering", hint="run `git fsck` in this repository") from exc
        header = stdout.readline()
        if not header:
            raise RerunError("git cat-file stopped answering", hint="run `git fsck` in this repository")
        parts = header.split()
        if len(parts) != 3 or not parts[2].isdigit():
            return None  # "<name> missing" or "<name> ambiguous"
        content = stdout.read(int(parts[2]))
        stdout.read(1)  # the newline after the content
        return parts[0].decode(), parts[1].decode(), content

    def tree_entries(self, tree: str) -> dict[str, tuple[bytes, str]]:
        """``{name: (mode, id)}`` of one tree object (empty when it is not a tree)."""
        found = self.read(tree)
        if found is None or found[1] != "tree":
            return {}
        data, entries, at = found[2], {}, 0
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
