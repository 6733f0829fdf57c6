"""The capture fast paths (issue 7) give the same answers as the slower code they replace."""
from __future__ import annotations

import hashlib
import os
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import git
from rerun_git.errors import RerunError
from rerun_git.capture.publish import _probe_refs
from rerun_git.store.objects import ObjectWriter, object_id
from rerun_git.store.repo import Repo
from rerun_git.store.runs import RefSettings
from rerun_git.store.snapshot import Identity

REFS = RefSettings()


def project_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def ls_tree_dirty(repo: Repo, head: str | None, project_path: str, files: dict[str, bytes]) -> bool:
    """The dirty flag the slow way: ``git ls-tree`` of HEAD's project folder, compared blob by blob."""
    if head is None:
        return True
    args = ["ls-tree", "-r", "-z", head] + (["--", project_path + "/"] if project_path else [])
    cut = len(project_path) + 1 if project_path else 0
    items = [item for item in repo.git(*args).stdout.decode("utf-8", "surrogateescape").split("\0") if item]
    committed = {item.partition("\t")[2][cut:]: item.split()[2] for item in items}
    return any(committed.get(path) != object_id("blob", data, repo.object_format) for path, data in files.items())


def slow_probe(repo: Repo, name: str, project_path: str, files: dict[str, bytes]):
    """What capture asked git before: HEAD, then the refs, then ``ls-tree`` for the dirty flag."""
    head, = repo.resolve_revisions("HEAD^{commit}")
    tip, tag = repo.resolve_revisions(REFS.branch_ref, REFS.tag_ref(name))
    return head, (tip, tag), ls_tree_dirty(repo, head, project_path, files)


def blob_ids(repo: Repo, files: dict[str, bytes]) -> dict[str, str]:
    """What ``capture_snapshot`` hands the probe: each captured path's git blob id."""
    from rerun_git.store.objects import object_id

    return {path: object_id("blob", data, repo.object_format) for path, data in files.items()}


def write_code(root: Path) -> None:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "a.py").write_text("A = 1\n")
    (root / "pkg" / "b.py").write_text("B = 2\n")


@pytest.mark.parametrize("subfolder", ["", "experiments/proj"])
def test_probe_matches_ls_tree_for_clean_edited_and_new_files(repo: Path, subfolder: str) -> None:
    root = repo / subfolder if subfolder else repo
    write_code(root)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "code")
    handle = Repo.open(root)
    head = git(repo, "rev-parse", "HEAD").strip()

    clean = _probe_refs(handle, REFS, "x", subfolder, blob_ids(handle, project_files(root)))
    assert clean == slow_probe(handle, "x", subfolder, project_files(root)) == (head, (None, None), False)

    (root / "pkg" / "b.py").write_text("B = 3\n")
    edited = _probe_refs(handle, REFS, "x", subfolder, blob_ids(handle, project_files(root)))
    assert edited == slow_probe(handle, "x", subfolder, project_files(root))
    assert edited[2] is True

    git(repo, "checkout", "-q", "--", ".")
    (root / "new.py").write_text("N = 0\n")
    added = _probe_refs(handle, REFS, "x", subfolder, blob_ids(handle, project_files(root)))
    assert added == slow_probe(handle, "x", subfolder, project_files(root))
    assert added[2] is True


def test_probe_sees_the_runs_branch_and_an_existing_tag(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", REFS.branch_ref, head)
    git(repo, "tag", "-a", "-m", "t", "run/taken")
    handle = Repo.open(repo)
    files = {"README.md": (repo / "README.md").read_bytes()}
    probe = _probe_refs(handle, REFS, "taken", "", blob_ids(handle, files))
    assert probe == slow_probe(handle, "taken", "", files)
    assert probe[1][0] == head and probe[1][1] == git(repo, "rev-parse", "refs/tags/run/taken").strip()
    assert probe[2] is False


def test_probe_in_a_repository_without_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    write_code(tmp_path)
    handle = Repo.open(tmp_path)
    files = project_files(tmp_path)
    assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, files)) == slow_probe(handle, "x", "", files) == (None, (None, None), True)


def test_probe_with_odd_file_names(repo: Path) -> None:
    names = ["with space.py", "tab\tname.py", "colon:name.py", "new\nline.py", "ünïcode.py", "sub dir/x.py", "a/b/c/d.py"]
    for name in names:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("X = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "odd names")
    handle = Repo.open(repo)
    files = {name: (repo / name).read_bytes() for name in names}
    assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, files)) == slow_probe(handle, "x", "", files)
    assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, files))[2] is False
    for name in ("new\nline.py", "a/b/c/d.py", "a/b"):
        changed = {**files, name: b"X = 2\n"}
        assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, changed)) == slow_probe(handle, "x", "", changed)
        assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, changed))[2] is True


def test_identity_started_early_is_gits_identity(repo: Path) -> None:
    identity = Identity.start(Repo.open(repo))()
    expected = git(repo, "var", "GIT_AUTHOR_IDENT").rsplit(" ", 2)[0]
    assert identity.author.rsplit(" ", 2)[0] == expected
    assert identity.committer.rsplit(" ", 2)[0] == git(repo, "var", "GIT_COMMITTER_IDENT").rsplit(" ", 2)[0]


def test_identity_falls_back_when_git_has_none(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "config", "user.useConfigOnly", "true")
    monkeypatch.setenv("HOME", str(repo / "nohome"))
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    assert git(repo, "var", "GIT_AUTHOR_IDENT", check=False) == ""  # git itself refuses
    identity = Identity.of(Repo.open(repo))
    assert identity.author.startswith("rerun-git <rerun-git@localhost> ")
    assert identity.committer.startswith("rerun-git <rerun-git@localhost> ")


def loose_files(repo: Path) -> list[Path]:
    return [p for p in (repo / ".git" / "objects").rglob("*") if p.is_file()]


def test_loose_objects_are_what_git_writes(repo: Path, tmp_path: Path) -> None:
    writer = ObjectWriter(Repo.open(repo))
    small = writer.write_blob(b"small\n" * 10)
    data = tmp_path / "big.bin"
    data.write_bytes(bytes(range(256)) * 5000)  # over SMALL_OBJECT: streamed, fastest level
    big = writer.write_blob_file(data)
    assert big == git(repo, "hash-object", "--", str(data)).strip()
    assert git(repo, "cat-file", "-p", small) == "small\n" * 10
    for sha in (small, big):
        path = repo / ".git" / "objects" / sha[:2] / sha[2:]
        assert path.stat().st_mode & 0o777 == 0o444
        raw = zlib.decompress(path.read_bytes())
        assert hashlib.sha1(raw).hexdigest() == sha
    assert not [p for p in loose_files(repo) if p.name.startswith("tmp_obj_")]
    assert git(repo, "fsck", "--strict", "--no-dangling").strip() == ""


def test_a_file_changed_after_hashing_is_refused(repo: Path, tmp_path: Path) -> None:
    writer = ObjectWriter(Repo.open(repo))
    data = tmp_path / "data.csv"
    data.write_bytes(b"a,b\n1,2\n")
    stale = object_id("blob", b"a,b\n1,3\n")
    with pytest.raises(RerunError, match="changed while it was being captured"):
        writer.write_blob_file(data, stale)
    assert not [p for p in loose_files(repo) if p.name.startswith("tmp_obj_") or p.name == stale[2:]]



def test_probe_in_a_sha256_repository(tmp_path: Path) -> None:
    made = subprocess.run(["git", "init", "-q", "--object-format=sha256", "s256"], cwd=tmp_path, capture_output=True)
    if made.returncode != 0:
        pytest.skip("no sha256 repositories in this git")
    root = tmp_path / "s256"
    write_code(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "code")
    handle = Repo.open(root)
    assert handle.object_format == "sha256"
    files = project_files(root)
    assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, files)) == slow_probe(handle, "x", "", files)
    assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, files))[2] is False
    files["pkg/b.py"] = b"B = 9\n"
    assert _probe_refs(handle, REFS, "x", "", blob_ids(handle, files))[2] is True


def old_hooks_dir(repo: Repo) -> Path:
    path = Path(repo.text("rev-parse", "--git-path", "hooks"))
    return path if path.is_absolute() else (repo.top / path).resolve()


@pytest.mark.parametrize("hooks_path", [None, "myhooks", "sub/../other", "ABS"])
def test_hooks_folder_read_by_repo_open_is_gits(repo: Path, tmp_path: Path, hooks_path: str | None) -> None:
    from rerun_git.store.hooks import hooks_dir

    (repo / "sub" / "deeper").mkdir(parents=True)
    if hooks_path is not None:
        git(repo, "config", "core.hooksPath", str(tmp_path / "abs-hooks") if hooks_path == "ABS" else hooks_path)
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "linked"))
    for start in (repo, repo / "sub" / "deeper", tmp_path / "linked"):
        opened = Repo.open(start)
        assert hooks_dir(opened) == old_hooks_dir(opened)
    assert Repo.open(repo / "sub").hooks == (
        (tmp_path / "abs-hooks") if hooks_path == "ABS" else (repo / (hooks_path or ".git/hooks")).resolve()
    )


def test_record_to_dict_equals_asdict_and_is_a_deep_copy() -> None:
    from collections import OrderedDict
    from dataclasses import asdict, dataclass

    from rerun_git.record.run_record import RunRecord

    @dataclass
    class Inner:
        a: int
        b: list

    record = RunRecord(
        name="r", created="2026-11-26T00:00:00Z", seed=3, rerun_git_version="0.1.0", source_commit=None,
        env={"python": "3.11", "packages": {"numpy": "2.0"}, "odd": (1, (2, None), [3.5, True])},
        base_data_manager={"params": {"test_size": 0.2, "random_state": None}, "preprocessors": [{"kind": "s"}]},
        experiment_groups=[{"name": "g", "datasets": [["a.db", "t"]], "inner": Inner(1, [2, {"x": None}])}],
        configuration={"ordered": OrderedDict(b=1, a=2), (1, 2): "tuple key", "f": 1e-300},
        results={"g/d/a": {"MAE": 1.5, "R2": float("inf")}},
    )
    plain = record.to_dict()
    assert plain == asdict(record)
    assert type(plain["configuration"]["ordered"]) is OrderedDict
    assert plain["experiment_groups"][0]["inner"] == {"a": 1, "b": [2, {"x": None}]}
    plain["env"]["packages"]["numpy"] = "changed"
    plain["results"]["g/d/a"]["MAE"] = 0.0
    assert record.env["packages"]["numpy"] == "2.0" and record.results["g/d/a"]["MAE"] == 1.5
    assert RunRecord.from_toml(record.to_toml()).env["packages"] == {"numpy": "2.0"}


def reference_iter_project_files(root: Path) -> list[str]:
    """The pathlib walk that ``iter_project_files`` replaced (same answers, slower)."""
    from rerun_git.capture.selection import SKIPPED_DIRS

    root = root.resolve()
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not (here / d).is_symlink())
        for filename in sorted(filenames):
            path = here / filename
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                continue
            if path.is_file():
                found.append(path.relative_to(root).as_posix())
    return found


def test_project_walk_matches_the_pathlib_walk(tmp_path: Path) -> None:
    from rerun_git.capture.selection import iter_project_files

    root = tmp_path / "proj"
    write_code(root)
    for rel in ("sub dir/x.py", "keys/id_rsa.py", ".env.local", "results/r.json", "datasets/d.csv", "a/__pycache__/c.pyc",
                "deep/er/est/m.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n")
    outside = tmp_path / "outside.py"
    outside.write_text("secret = 1\n")
    (root / "link_out.py").symlink_to(outside)
    (root / "link_in.py").symlink_to(root / "a.py")
    (root / "linked_dir").symlink_to(root / "pkg")
    (root / "broken.py").symlink_to(root / "missing.py")
    walked = list(iter_project_files(root))
    assert walked == reference_iter_project_files(root)
    assert "link_in.py" in walked and "link_out.py" not in walked and "deep/er/est/m.py" in walked
    assert not any(p.startswith(("results/", "datasets/", "linked_dir/")) for p in walked)


def test_never_captured_matches_fnmatch_part_by_part() -> None:
    import fnmatch
    import random
    from pathlib import PurePosixPath

    from rerun_git.capture.selection import NEVER_CAPTURED, is_never_captured

    def reference(relpath: str) -> bool:
        return any(fnmatch.fnmatchcase(part, p) for part in PurePosixPath(relpath).parts for p in NEVER_CAPTURED)

    rng = random.Random(7)
    names = ["a.py", ".env", "x/.envrc", "a//b", "a/./.git/x", "/abs/id_rsa", "k.pem", "dir.key/x", "ok/id_ed25519.pub",
             ".netrc", "x.netrc", "", "a/b/", ".github/x", "a\nb/.env", ".env\n", "A.PEM", ".ENV"]
    names += ["".join(rng.choice("ab.*/_-eknvgtirsdp\n") for _ in range(rng.randint(0, 14))) for _ in range(5000)]
    assert [is_never_captured(n) for n in names] == [reference(n) for n in names]
    assert is_never_captured("conf/.env.prod") and not is_never_captured("environment.py")


def test_hash_cache_reads_a_new_file_once_and_gets_both_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rerun_git.capture.selection import HashCache
    from rerun_git.record.datasets import sha256_file
    from rerun_git.store.objects import blob_id_of_file

    data = tmp_path / "data.csv"
    data.write_bytes(b"a,b\n" + b"1,2\n" * 300_000)  # over one read chunk
    old = data.stat().st_mtime - 10
    os.utime(data, (old, old))
    expected = (sha256_file(data), blob_id_of_file(data))
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k))
    cache = HashCache(tmp_path / "cache.json")
    first = cache.identity(data, lambda p, also: blob_id_of_file(p, "sha1", also))
    assert (first.sha256, first.blob) == expected
    assert opened.count(data) == 1
    cache.save()
    again = HashCache(tmp_path / "cache.json").identity(data, lambda p, also: pytest.fail("re-hashed a cached file"))
    assert again == first
