"""Runs made straight through the store API (no experiment is trained), for the browse tests."""
from __future__ import annotations

import copy
import hashlib
import importlib.util
from pathlib import Path
from typing import Any

from rerun_git._version import __version__
from rerun_git.capture.publish import run_message
from rerun_git.record.run_record import RECORD_PATH, RunRecord
from rerun_git.store.objects import ObjectWriter, TreeEntry
from rerun_git.store.repo import Repo
from rerun_git.store.refs import RefSettings
from rerun_git.store.snapshot import Identity, publish_run

ROOT = Path(__file__).resolve().parent.parent
BASE_STAMP = 1_793_491_200  # 2026-11-01T00:00:00Z

BASE_FILES = {
    "rerun.toml": b"",
    "settings.py": b"def create_configuration():\n    return None\n",
    "data.py": b"TEST_SIZE = 0.2\n",
    "workflows/regression.py": b"class Regression:\n    pass\n",
}

BASE_RECORD: dict[str, Any] = {
    "name": "base", "created": "2026-11-01T00:00:00Z", "seed": 7, "rerun_git_version": __version__, "schema": 2,
    "source_commit": None, "dirty": False,
    "env": {"python": "3.11.7", "implementation": "cpython", "platform": "Linux",
            "packages": {"numpy": "2.4.6", "pandas": "3.1.1", "scikit-learn": "1.9.1", "scipy": "1.17.1",
                         "joblib": "1.6.0", "tqdm": "4.67.1"}},
    "base_data_manager": {"test_size": 0.2, "n_splits": 3, "preprocessors": [{"type": "ScalingPreprocessor",
                                                                               "params": {"method": "standard"}}]},
    "experiment_groups": [{"name": "baseline", "datasets": ["d.csv"], "workflow": "regression"}],
    "algorithms": [{"name": "ridge", "algorithm_class": "sklearn.linear_model.Ridge", "default_params": {"alpha": 1.0}}],
    "workflows": {"regression": {"file": "workflows/regression.py", "class": "Regression"}},
    "datasets": {"d.csv": {"filename": "d.csv", "table_name": None, "size": 100, "sha256": "a" * 64,
                           "embedded": False, "feature_names": ["x"], "num_features": 1, "num_samples": 10}},
    "results": {"baseline/d/split_0/ridge/test_metrics": {"MAE": 1.5, "R2": 0.5},
                "baseline/d/split_1/ridge/test_metrics": {"MAE": 2.5, "R2": 0.7}},
}


def record_data(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`BASE_RECORD` with top-level ``changes``."""
    data = copy.deepcopy(BASE_RECORD)
    data.update(changes)
    return data


def make_run(
    repo_path: Path,
    name: str,
    record: dict[str, Any] | None = None,
    files: dict[str, bytes] | None = None,
    *,
    stamp: int | None = None,
    raw_record: bytes | None = None,
    head: str | None = None,
    refs: RefSettings | None = None,
) -> str:
    """Publish run ``name`` (files + ``.rerun/run.toml``) with ``publish_run``; return its commit.

    ``raw_record`` replaces the record's TOML bytes (to store a corrupt one).
    """
    repo = Repo.open(repo_path)
    writer = ObjectWriter(repo)
    data = record_data() if record is None else copy.deepcopy(record)
    data["name"] = name
    content = dict(BASE_FILES if files is None else files)
    data.setdefault("files", {path: hashlib.sha256(blob).hexdigest() for path, blob in content.items()})
    run_record = RunRecord.from_dict(data)
    if raw_record is not None:
        content[RECORD_PATH] = raw_record
    else:
        content.update(run_record.to_blobs())
    tree = writer.write_tree({p: TreeEntry("100644", writer.write_blob(d)) for p, d in content.items()})
    ident = Identity.of(repo)
    if stamp is not None:
        who = ident.committer.rsplit(" ", 2)[0]
        ident = Identity(f"{who} {stamp} +0000", f"{who} {stamp} +0000")
    published = publish_run(repo, writer, refs or RefSettings(), tree=tree, head=head,
                            message=run_message(run_record), identity=ident)
    return published.commit


def load_list_scale():
    """``benchmarks/list_scale.py`` as a module (its ``build_runs`` makes many runs fast)."""
    spec = importlib.util.spec_from_file_location("list_scale", ROOT / "benchmarks" / "list_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
