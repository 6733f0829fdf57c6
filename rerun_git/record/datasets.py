"""Dataset identity: metadata, sha256 and verification."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Streamed sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class DatasetDrift:
    """A recorded dataset that is missing or changed at reproduce time."""

    key: str
    problem: str

    def describe(self) -> str:
        return f"dataset {self.key}: {self.problem}"


def dataset_entry(
    path: Path, filename: str, table_name: str | None, sha256: str, embedded: bool, info: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``[datasets."<key>"]`` table of the record; the shape only when it is known (``info``)."""
    entry: dict[str, Any] = {
        "filename": filename,
        "table_name": table_name,
        "size": path.stat().st_size,
        "sha256": sha256,
        "embedded": embedded,
    }
    if info:
        entry.update(feature_names=list(info.get("feature_names", [])), num_features=int(info.get("num_features", 0)),
                     num_samples=int(info.get("num_samples", 0)))
        if "columns" in info:
            entry["columns"] = list(info["columns"])
    return entry


def check_dataset(key: str, entry: dict[str, Any], path: Path) -> DatasetDrift | None:
    """Compare a dataset file with its record; ``None`` when identical."""
    if not path.is_file():
        where = "it was not embedded in the run" if not entry.get("embedded") else "it is missing from the snapshot"
        return DatasetDrift(key, f"missing at {path} ({where})")
    if sha256_file(path) != entry.get("sha256"):
        return DatasetDrift(key, "sha256 differs from the recorded one (the data changed since the run)")
    return None
