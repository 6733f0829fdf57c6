"""``rerun-git list`` on real repositories: a few hundred runs made through the store API, foreign tags, options."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from browse_support import load_list_scale, make_run, record_data
from conftest import git, imported_modules, repo_state

N_RUNS = 300


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory, isolated_git_config) -> Path:
    """A repository with 300 runs, each through ``publish_run`` (about 3 s once for the module)."""
    path = tmp_path_factory.mktemp("many") / "repo"
    path.mkdir()
    git(path, "init", "-q")
    (path / "README.md").write_text("user file\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial")
    load_list_scale().build_runs(path, N_RUNS, via_publish=True)
    return path


def test_lists_every_run_oldest_first(many: Path, cli) -> None:
    before = repo_state(many)
    result = cli("list", cwd=many)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["RUN", "DATE", "SOURCE", "DIRTY", "METRICS"]
    assert len(lines) == N_RUNS + 1
    assert lines[1].startswith("run/bench-00000  2026-11-01 00:00  ")
    assert lines[-1].startswith("run/bench-00299  2026-11-01 04:59  ")
    assert "MAE=" in lines[1] and "R2=" in lines[1]
    assert result.err == ""
    assert repo_state(many) == before


def test_list_reads_tags_in_one_pipeline(many: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from rerun_git.browse.listing import list_runs

    calls: list[str] = []
    real = subprocess.Popen

    class Counting(real):  # every git process, whether run to completion or streamed
        def __init__(self, args, *rest, **kwargs):
            calls.append(args[1] if args[0] == "git" else args[0])
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Counting)
    runs = list_runs(many, sort="-MAE", limit=5)
    assert len(runs) == 5
    assert calls == ["rev-parse", "for-each-ref", "cat-file"]  # for-each-ref | cat-file --batch, whatever the number of runs


def test_glob_pattern_sort_and_limit(many: Path, cli) -> None:
    result = cli("list", "run/bench-001*", "--sort=-name", "--limit", "3", cwd=many)
    assert result.code == 0
    assert [line.split()[0] for line in result.out.splitlines()[1:]] == ["run/bench-00199", "run/bench-00198", "run/bench-00197"]
    assert cli("list", "bench-0029?", cwd=many).out.count("run/bench-0029") == 10


def test_sort_by_metric_both_ways(many: Path) -> None:
    from rerun_git.browse.listing import list_runs

    ascending = [r.metrics["MAE"] for r in list_runs(many, sort="MAE")]
    descending = [r.metrics["MAE"] for r in list_runs(many, sort="-MAE")]
    assert ascending == sorted(ascending) and len(ascending) == N_RUNS
    assert descending == sorted(ascending, reverse=True)


def test_metric_columns_and_json(many: Path, cli) -> None:
    table = cli("list", "--metric", "R2", "--metric", "MAE", "--limit", "1", cwd=many)
    assert table.out.splitlines()[0].split()[-2:] == ["R2", "MAE"]
    data = json.loads(cli("list", "--format", "json", "--limit", "2", cwd=many).out)
    assert [d["name"] for d in data] == ["bench-00000", "bench-00001"]
    assert set(data[0]) >= {"name", "tag", "commit", "date", "source", "dirty", "metrics"}
    assert data[0]["dirty"] is True and set(data[0]["metrics"]) == {"MAE", "R2"}


def test_unknown_metric_is_an_error_with_the_known_ones(many: Path, cli) -> None:
    result = cli("list", "--sort=-MAEE", cwd=many)
    assert result.code == 1
    assert "no run has a metric named 'MAEE'" in result.err and "MAE, R2" in result.err
    assert cli("list", "--metric", "nope", cwd=many).code == 1


def test_pattern_matching_nothing_is_empty_and_exit_0(many: Path, cli) -> None:
    result = cli("list", "nothing-like-this*", cwd=many)
    assert (result.code, result.out, result.err) == (0, "", "")
    assert json.loads(cli("list", "zzz", "--format", "json", cwd=many).out) == []


def test_empty_repository_lists_nothing(repo: Path, cli) -> None:
    result = cli("list", cwd=repo)
    assert (result.code, result.out) == (0, "")


def test_foreign_tags_are_skipped_with_a_warning_and_refused_by_show(repo: Path, cli) -> None:
    make_run(repo, "real")
    git(repo, "tag", "run/light")
    git(repo, "tag", "-a", "-m", "release notes", "run/release")
    result = cli("list", cwd=repo)
    assert result.code == 0
    assert [line.split()[0] for line in result.out.splitlines()[1:]] == ["run/real"]
    assert "warning: skipping run/light: a lightweight tag" in result.err
    assert "warning: skipping run/release: not created by rerun-git" in result.err
    for name in ("release", "run/light"):
        shown = cli("show", name, cwd=repo)
        assert shown.code == 1 and "is not a rerun-git run" in shown.err and "Traceback" not in shown.err
    assert cli("reproduce", "release", cwd=repo).code == 1


def test_all_marks_runs_not_on_the_local_branch_as_fetched(repo: Path, cli, tmp_path: Path) -> None:
    make_run(repo, "mine")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(repo), str(other))
    make_run(other, "theirs")
    git(repo, "fetch", "-q", str(other), "refs/tags/run/theirs:refs/tags/run/theirs")
    result = cli("list", "--all", cwd=repo)
    rows = {line.split()[0]: line.split()[5] for line in result.out.splitlines()[1:]}
    assert rows == {"run/mine": "local", "run/theirs": "fetched"}
    data = json.loads(cli("list", "--all", "--format", "json", cwd=repo).out)
    assert {d["name"]: d["fetched"] for d in data} == {"mine": False, "theirs": True}


def test_custom_prefix_from_rerun_toml(repo: Path, cli) -> None:
    from rerun_git.store.runs import RefSettings

    (repo / "rerun.toml").write_text('[refs]\ntag_prefix = "exp/"\nbranch = "experiments"\n')
    make_run(repo, "one", refs=RefSettings("exp/", "experiments"))
    make_run(repo, "two", record_data(), refs=RefSettings("exp/", "experiments"))
    assert [line.split()[0] for line in cli("list", cwd=repo).out.splitlines()[1:]] == ["exp/one", "exp/two"]
    assert cli("show", "exp/two", cwd=repo).code == 0
    (repo / "rerun.toml").write_text("[refs\n")
    broken = cli("list", cwd=repo)
    assert broken.code == 1 and "rerun.toml: malformed TOML" in broken.err


@pytest.mark.parametrize("args", [("list", "--sort=-MAE", "--all"), ("log", "-p", "-n", "3"), ("show", "bench-00001", "--config"),
                                  ("diff", "bench-00001", "bench-00002", "--stat")])
def test_browse_commands_do_not_import_heavy_packages(many: Path, args: tuple[str, ...]) -> None:
    modules = imported_modules(*args, cwd=many)
    assert "rerun_git" in modules
    assert not modules & {"sklearn", "pandas", "scipy"}


def test_a_run_reads_its_trailers_through_the_one_tag_message_parser() -> None:
    from rerun_git.store.refs import TagMessage
    from rerun_git.store.runs import RunInfo

    message = ("run n: MAE=1\n\nRerun-Source: abc\nRerun-Dirty: yes\nRerun-Version: 0.1.0\nRerun-Metric: MAE=1.0\n"
               "Rerun-Metric: R2=0.5\nRerun-Source: def")
    run = RunInfo("n", "run/n", "c0ffee", 7, "run n: MAE=1", message)
    assert (run.source, run.dirty, run.metrics) == ("def", True, {"MAE": 1.0, "R2": 0.5})  # the last value counts
    assert run.parsed == TagMessage.parse(message) and run.headline == "MAE=1"
    again = RunInfo("n", "run/n", "c0ffee", 7, "run n: MAE=1", message)
    assert run == again and hash(run) == hash(again)


def test_tag_reading_failures_are_one_clear_error(repo: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from rerun_git.errors import RerunError
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import RefSettings, list_runs

    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    with pytest.raises(RerunError, match="git for-each-ref failed"):
        list_runs(replace(Repo.open(repo), top=not_a_repo), RefSettings())
    (tmp_path / "gone.txt").write_text("gone\n")
    blob = git(repo, "hash-object", "-w", str(tmp_path / "gone.txt")).strip()
    git(repo, "update-ref", "refs/tags/run/broken", blob)
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # a ref to an object that is gone
    with pytest.raises(RerunError, match=f"{blob} is missing"):
        list_runs(Repo.open(repo), RefSettings())


def test_tag_objects_read_like_git_for_each_ref_reads_them(repo: Path) -> None:
    """Commit, date and message of each run as ``%(*objectname)``, ``%(taggerdate:unix)`` and ``%(contents)`` give them."""
    from rerun_git.store.repo import Repo
    from rerun_git.store.runs import RefSettings, list_runs

    commit = git(repo, "rev-parse", "HEAD").strip()
    messages = {
        "signed": "\n\nrun signed: MAE=1\r\nmore\n\nRerun-Dirty: no\nRerun-Version: 0.1.0\n"
                  "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
        "plain": "run plain\n\nRerun-Source: abc\nRerun-Version: 0.1.0\n",
    }
    for index, (name, message) in enumerate(messages.items()):
        tag_file = repo.parent / f"{name}.tag"
        tag_file.write_text(f"object {commit}\ntype commit\ntag run/{name}\ntagger U <u@x> {1700000000 + index} -0500\n\n"
                            f"{message}", newline="")
        tag = subprocess.run(["git", "mktag"], cwd=repo, stdin=tag_file.open("rb"), capture_output=True,
                             check=True).stdout.decode().strip()
        git(repo, "update-ref", f"refs/tags/run/{name}", tag)
    runs, warnings = list_runs(Repo.open(repo), RefSettings())
    expected = git(repo, "for-each-ref", "--format=%(refname:lstrip=3) %(*objectname) %(taggerdate:unix)", "refs/tags/run")
    assert warnings == []
    assert sorted(f"{r.name} {r.commit} {r.timestamp}" for r in runs) == expected.splitlines()
    assert [(r.subject, r.message, r.source, r.dirty) for r in runs] == [
        ("run signed: MAE=1", messages["signed"].strip("\n"), None, False),
        ("run plain", messages["plain"].strip("\n"), "abc", False),
    ]
