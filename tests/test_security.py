"""Security (issue 6): what is never captured, what reproduce shows and refuses, and no option or shell injection."""
from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

import pytest

from reliability_support import (
    assert_clean_error, forge_run, full_record, git, init_repo, record_entries, rerun_worktrees, tiny_repo,
    write_tiny_project,
)

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-canary-4f1d"

#: Planted in the project (relative path -> why it must stay out of the snapshot).
PLANTED = {
    ".env": "dotenv", ".env.local": "dotenv", "config/.env.production": "dotenv in a folder",
    "server.pem": "certificate or key", "tls/private.key": "private key", "id_rsa": "ssh key", "id_rsa.pub": "ssh key",
    "id_ed25519": "ssh key", "keys/id_ed25519_work": "ssh key", ".netrc": "credentials", ".gitconfig": "git's own",
    ".git-credentials": "git's own",
}


def snapshot_paths(repo: Path, run: str) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", f"run/{run}").split("\n")[:-1]


def everything_in(repo: Path, run: str) -> str:
    """Every blob of the run's tree, its commit and its tag, as one text."""
    parts = [git(repo, "cat-file", "tag", f"run/{run}"), git(repo, "cat-file", "commit", f"run/{run}^{{commit}}")]
    for path in snapshot_paths(repo, run):
        parts.append(git(repo, "show", f"run/{run}:{path}"))
    return "\n".join(parts)


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """The tiny project asking to capture everything (``include = ["**/*"]``), with secrets planted all over it."""
    repo = init_repo(tmp_path / "repo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(f"TOKEN = '{SECRET}'\n")
    (outside / "pkg").mkdir()
    (outside / "pkg" / "mod.py").write_text(f"TOKEN = '{SECRET}'\n")
    write_tiny_project(repo, {
        "rerun.toml": '[capture]\ninclude = ["**/*"]\nkeep_results = ["**/*"]\nembed_datasets_max_mb = 0.0001\n',
        **{path: f"TOKEN={SECRET}\n" for path in PLANTED},
        "huge.py": "# " + "x" * (5 * 1024 * 1024) + "\n",
    })
    (repo / "linked_secret.py").symlink_to(outside / "secret.py")
    (repo / "linked_pkg").symlink_to(outside / "pkg", target_is_directory=True)
    git(repo, "add", "settings.py", "data.py", "algorithms.py", "metrics.py", "workflows", "rerun.toml", "datasets")
    git(repo, "commit", "-q", "-m", "project")
    return repo


def test_secrets_symlinks_and_big_files_are_never_captured(planted: Path, cli, monkeypatch) -> None:
    monkeypatch.setenv("RERUN_TEST_API_TOKEN", SECRET)
    result = cli("run", "--name", "s", cwd=planted)
    assert result.code == 0, result.err
    paths = snapshot_paths(planted, "s")
    for path in PLANTED:
        assert path not in paths, f"{path} ({PLANTED[path]}) was captured"
    assert "huge.py" not in paths, "a file over the size limit was captured"
    assert not [p for p in paths if p.startswith(("linked_secret", "linked_pkg"))], "a symlink out of the project was followed"
    assert "datasets/tiny.csv" not in paths, "a dataset over the embed limit is identified by sha256, not embedded"
    assert not [p for p in paths if p.startswith(".git")]
    assert SECRET not in everything_in(planted, "s"), "no secret value (file or environment variable) in the run"
    record = git(planted, "show", "run/s:.rerun/run.toml")
    assert "RERUN_TEST_API_TOKEN" not in record
    assert {"settings.py", "data.py", "algorithms.py", "metrics.py", "workflows/fit.py", "rerun.toml"} <= set(paths)


def test_kept_results_never_include_secrets(planted: Path, cli, monkeypatch) -> None:
    """Result files a workflow writes are kept by glob, secrets excepted."""
    workflow = '''
        import os

        from rerun_git import Workflow


        class Fit(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                output_dir.mkdir(parents=True, exist_ok=True)
                secret = os.environ["KEPT_SECRET"]
                (output_dir / ".env").write_text("TOKEN=" + secret)
                (output_dir / "deploy.pem").write_text(secret)
                (output_dir / "notes.txt").write_text("fine")
                model = self.model.fit(X_train, y_train)
                self.evaluate_model(model, X_test, y_test, ["MAE"], "scores")
    '''
    monkeypatch.setenv("KEPT_SECRET", SECRET)
    write_tiny_project(planted, {"workflows/fit.py": workflow,
                                 "rerun.toml": '[capture]\nkeep_results = ["**/*"]\n'})
    result = cli("run", "--name", "k", cwd=planted)
    assert result.code == 0, result.err
    paths = snapshot_paths(planted, "k")
    assert any(p.endswith("/notes.txt") for p in paths), paths
    assert not any(p.endswith(("/.env", "/deploy.pem")) for p in paths), paths
    assert SECRET not in everything_in(planted, "k")


def test_the_recorded_environment_holds_versions_only(tmp_path: Path, cli, monkeypatch) -> None:
    import tomllib

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("PATH", os.environ["PATH"] + os.pathsep + f"/opt/{SECRET}/bin")
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "e", cwd=repo).code == 0
    record = full_record(repo, "run/e")
    assert "env" not in tomllib.loads(git(repo, "show", "run/e:.rerun/run.toml")), "[env] has a blob of its own"
    assert set(record["env"]) == {"python", "implementation", "platform", "machine", "packages"}
    assert all(isinstance(v, str) for v in record["env"]["packages"].values())
    assert SECRET not in everything_in(repo, "e")


# ---------------------------------------------------------------- reproduce: provenance and refusals
def test_reproduce_shows_author_committer_and_source_before_running(tmp_path: Path, cli, monkeypatch) -> None:
    repo = tiny_repo(tmp_path / "repo")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ada Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ada@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Cy Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "cy@example.invalid")
    assert cli("run", "--name", "p", cwd=repo).code == 0
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var)
    head = git(repo, "rev-parse", "HEAD").strip()
    # the dataset goes missing from the snapshot: the run fails, but only after the provenance was shown
    result = cli("reproduce", "p", cwd=repo)
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    assert lines[0].startswith("reproducing run/p (")
    assert lines[1] == "  origin     captured in this clone"
    assert lines[2].startswith("  author     Ada Author <ada@example.invalid> ")
    assert lines[3].startswith("  committer  Cy Committer <cy@example.invalid> ")
    assert any(line == f"  source     {head}" for line in lines[:6]), lines[:6]
    assert lines[-1] == "all 2 metrics match run p"


def test_a_fetched_run_from_elsewhere_says_its_source_is_not_here(tmp_path: Path, cli) -> None:
    theirs = tiny_repo(tmp_path / "theirs")
    assert cli("run", "--name", "remote-run", cwd=theirs).code == 0
    ours = init_repo(tmp_path / "ours")
    git(ours, "remote", "add", "origin", str(theirs))
    fetched = cli("fetch", cwd=ours)
    assert fetched.code == 0, fetched.err
    refused = cli("reproduce", "remote-run", cwd=ours)
    assert refused.code == 1, refused.err
    assert "  origin     fetched from remote origin (not captured in this clone)" in refused.err.splitlines()
    assert "refusing to run its code without --trust" in refused.err
    assert rerun_worktrees(ours) == [] and not (ours / ".git" / "worktrees").exists()
    result = cli("reproduce", "remote-run", "--trust", cwd=ours)
    assert result.code == 0, result.err
    source = [line for line in result.err.splitlines()[:7] if line.startswith("  source ")]
    assert source and source[0].endswith("(not on any of your branches)"), result.err
    assert rerun_worktrees(ours) == []


REFUSED_TREES = {
    "symlink": dict(mutate=lambda r: r["files"].__setitem__("helper.py", "0" * 64),
                    entries={"helper.py": ("120000", b"../../../../etc/passwd")}),
    "gitlink": dict(mutate=lambda r: r["files"].__setitem__("vendor", "0" * 64),
                    entries={"vendor": ("160000", b"not used")}),
    "unlisted-sitecustomize": dict(entries={"sitecustomize.py": ("100644", b"open('PWNED', 'w')\n")}),
    "unlisted-in-rerun-folder": dict(entries={".rerun/hook.py": ("100644", b"open('PWNED', 'w')\n")}),
    "listed-but-missing": dict(mutate=lambda r: r["files"].__setitem__("ghost.py", "0" * 64)),
}


@pytest.mark.parametrize("kind", list(REFUSED_TREES))
def test_reproduce_refuses_a_snapshot_outside_the_project_layout(tmp_path: Path, cli, kind: str) -> None:
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "base", cwd=repo).code == 0
    spec = dict(REFUSED_TREES[kind])
    if kind == "gitlink":  # a gitlink names a commit
        spec["entries"] = {"vendor": ("160000", None)}
        commit = git(repo, "rev-parse", "HEAD").strip()
        _forge_gitlink(repo, commit)
    else:
        forge_run(repo, "evil", **spec)
    result = cli("reproduce", "evil", cwd=repo)
    assert_clean_error(result.code, result.err)
    assert result.err.startswith("reproducing run/evil"), "the provenance comes first"
    assert not (repo / ".git" / "worktrees").exists(), "refused before anything was checked out"
    assert not list(tmp_path.rglob("PWNED"))


def _forge_gitlink(repo: Path, commit: str) -> None:
    import subprocess

    env = {**os.environ, "GIT_INDEX_FILE": str(repo.parent / "gitlink-index")}
    run = lambda *a, data=None: subprocess.run(["git", *a], cwd=repo, env=env, input=data, capture_output=True,  # noqa: E731
                                                check=True).stdout.decode().strip()
    run("read-tree", "run/base^{commit}")
    record = full_record(repo, "run/base")
    record["name"] = "evil"
    record["files"]["vendor"] = "0" * 64
    for path, (mode, data) in record_entries(record).items():
        blob = run("hash-object", "-w", "--stdin", data=data)
        run("update-index", "--cacheinfo", f"{mode},{blob},{path}")
    run("update-index", "--add", "--cacheinfo", f"160000,{commit},vendor")
    tree = run("write-tree")
    new = run("commit-tree", tree, "-m", "run evil")
    git(repo, "tag", "-a", "-m", "run evil: x\n\nRerun-Version: 0.1.0", "run/evil", new)


# ---------------------------------------------------------------- no option or shell injection
def test_no_shell_anywhere_in_the_package() -> None:
    offenders = []
    for path in (ROOT / "rerun_git").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "shell" and not (
                isinstance(node.value, ast.Constant) and node.value.value is False
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.value.lineno} shell=")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" and \
                    node.attr in ("system", "popen", "execl", "execlp", "spawnl", "spawnlp"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} os.{node.attr}")
    assert not offenders, offenders


def test_every_git_call_outside_the_store_is_none() -> None:
    """Only ``rerun_git/store/`` runs git (the layering rule the option-injection review relies on)."""
    offenders = []
    for path in (ROOT / "rerun_git").rglob("*.py"):
        if "store" in path.relative_to(ROOT).parts:
            continue
        text = path.read_text()
        if '["git"' in text or "import git\n" in text or "from git " in text or "import gitdb" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders


def test_hostile_paths_and_names_reach_neither_a_shell_nor_a_git_option(tmp_path: Path, cli) -> None:
    hostile = tmp_path / "-c x $(touch PWNED) `touch PWNED2`; touch PWNED3 && x"
    hostile.mkdir()
    repo = init_repo(hostile / "--upload-pack=touch PWNED4")
    write_tiny_project(repo / "-proj", {
        "settings.py": '''
            from rerun_git import Configuration


            def create_configuration():
                config = Configuration(default_workflow="fit", default_algorithms=["linear"])
                config.add_experiment_group(name="g", datasets=["--help $(touch PWNED5).csv"])
                return config
        ''',
    })
    shutil.move(repo / "-proj" / "datasets" / "tiny.csv", repo / "-proj" / "datasets" / "--help $(touch PWNED5).csv")
    git(repo, "add", "--", ".")
    git(repo, "commit", "-q", "-m", "hostile names")
    project = repo / "-proj"
    for argv in (("run", "--name", "h"), ("list",), ("show", "h"), ("reproduce", "h"), ("diff", "h"), ("log",)):
        result = cli(*argv, cwd=project)
        assert result.code in (0, 1) and "Traceback" not in result.err, (argv, result.err)
        if argv[0] in ("run", "reproduce", "show", "list", "log"):
            assert result.code == 0, (argv, result.err)
    assert "datasets/--help $(touch PWNED5).csv" in snapshot_paths(repo, "h")
    assert not [p for p in tmp_path.rglob("PWNED*")]
    assert not [p for p in Path.cwd().glob("PWNED*")]
