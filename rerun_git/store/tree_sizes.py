"""The size of every blob in a commit's tree, without reading a byte of them (``git ls-tree -r -l``)."""
from __future__ import annotations

from rerun_git.store.repo import Repo


def tree_blob_sizes(repo: Repo, commit: str) -> dict[str, int]:
    """``{path: size in bytes}`` of every blob in ``commit``'s tree (submodules and other non-blobs are left out)."""
    out = repo.git("ls-tree", "-r", "-l", "-z", "--full-tree", commit).stdout.decode("utf-8", "surrogateescape")
    sizes: dict[str, int] = {}
    for item in out.split("\0"):
        meta, _, path = item.partition("\t")
        fields = meta.split()
        if len(fields) == 4 and fields[1] == "blob" and fields[3].isdigit():
            sizes[path] = int(fields[3])
    return sizes
