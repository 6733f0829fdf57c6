"""The bad-input catalogue (issue 6): every case is its own test.

Each case builds a repository with one bad thing in it, runs one command, and
checks: the exit code, exactly one ``rerun-git: error:`` line plus a
``hint:`` line, no traceback, and that nothing changed (the user's state,
every ref including rerun-git's own, no object written when the case fails
before capture, no worktree left behind).
"""
from __future__ import annotations

import copy
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reliability_support import (
    all_refs, assert_clean_error, forge_run, full_record, git, init_repo, repo_state, rerun_worktrees, settle,
    write_tiny_project,
)

from rerun_git.errors import RerunError

# ---------------------------------------------------------------- the template repository


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with the tiny project committed and one run, ``base``; copied for every case."""
    from rerun_git.cli import main

    repo = init_repo(tmp_path_factory.mktemp("bad-input") / "repo")
    write_tiny_project(repo)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "project")
    cwd = Path.cwd()
    try:
        os.chdir(repo)
        assert main(["run", "--name", "base"]) == 0
    finally:
        os.chdir(cwd)
    shutil.rmtree(repo / "results")
    return repo


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    return repo


def _write(repo: Path, rel: str, content: str | bytes) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


def set_files(path: str, sha: str = "0" * 64) -> Callable[[dict], None]:
    return lambda record: record["files"].__setitem__(path, sha)


def objects(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in (repo / ".git" / "objects").rglob("*") if p.is_file())


# ---------------------------------------------------------------- setups
def not_a_repo(repo: Path) -> Path:
    plain = repo.parent / "plain"
    write_tiny_project(plain)
    return plain


def bare_repo(repo: Path) -> Path:
    bare = repo.parent / "bare.git"
    git(repo.parent, "clone", "-q", "--bare", str(repo), str(bare))
    return bare


def no_rerun_toml(repo: Path) -> Path:
    (repo / "rerun.toml").unlink()
    return repo


def edit(rel: str, content: str | bytes) -> Callable[[Path], Path]:
    def setup(repo: Path) -> Path:
        _write(repo, rel, content)
        return repo
    return setup


def append(rel: str, text: str) -> Callable[[Path], Path]:
    def setup(repo: Path) -> Path:
        _write(repo, rel, (repo / rel).read_text() + text)
        return repo
    return setup


def forged(name: str, **kwargs) -> Callable[[Path], Path]:
    def setup(repo: Path) -> Path:
        forge_run(repo, name, **kwargs)
        return repo
    return setup


def dataset_setting(datasets: str) -> str:
    return f"""
        from rerun_git import Configuration


        def create_configuration():
            config = Configuration(default_workflow="fit", default_algorithms=["linear"])
            config.add_experiment_group(name="g", datasets={datasets})
            return config
    """


def sqlite_without_table(repo: Path) -> Path:
    with sqlite3.connect(repo / "datasets" / "tiny.db") as conn:
        conn.execute("CREATE TABLE other (a REAL, b REAL, y REAL)")
        conn.execute("INSERT INTO other VALUES (1, 2, 3)")
    _write(repo, "settings.py", _dedent(dataset_setting('[("tiny.db", "measurements")]')))
    return repo


def symlink_out_imported(repo: Path) -> Path:
    outside = repo.parent / "outside_helper.py"
    outside.write_text("METRICS = ['MAE']\n")
    (repo / "helper.py").symlink_to(outside)
    _write(repo, "workflows/fit.py", "import helper\n" + (repo / "workflows" / "fit.py").read_text())
    return repo


def big_dataset_run(changed: bool) -> Callable[[Path], Path]:
    """A run whose dataset was over the embed limit (sha256 only); then the file changes or disappears."""
    def setup(repo: Path) -> Path:
        from rerun_git.cli import main

        _write(repo, "rerun.toml", "[capture]\nembed_datasets_max_mb = 0\n")
        git(repo, "commit", "-q", "-am", "embed nothing")
        cwd = Path.cwd()
        try:
            os.chdir(repo)
            assert main(["run", "--name", "big"]) == 0
        finally:
            os.chdir(cwd)
        data = repo / "datasets" / "tiny.csv"
        if changed:
            data.write_text(data.read_text().replace("\n0,0,", "\n0,1,", 1))
        else:
            data.unlink()
        return repo
    return setup


def results_not_empty(repo: Path) -> Path:
    _write(repo, "results/fresh/keep.txt", "from an earlier run")
    return repo


def workflow_interrupts_on_reproduce(repo: Path) -> Path:
    """A run whose workflow raises KeyboardInterrupt when reproduced (as if Ctrl-C was pressed)."""
    from rerun_git.cli import main

    _write(repo, "workflows/fit.py", _dedent("""
        import os

        from rerun_git import Workflow


        class Fit(Workflow):
            def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
                if os.path.basename(os.getcwd()) != "repo" or "rerun-git" in str(output_dir):
                    raise KeyboardInterrupt
                model = self.model.fit(X_train, y_train)
                self.evaluate_model(model, X_test, y_test, ["MAE"], "scores")
    """))
    git(repo, "commit", "-q", "-am", "interruptible")
    cwd = Path.cwd()
    try:
        os.chdir(repo)
        assert main(["run", "--name", "ctrlc"]) == 0
    finally:
        os.chdir(cwd)
    return repo


def _dedent(text: str) -> str:
    from textwrap import dedent

    return dedent(text).lstrip("\n")


def unchanged(repo: Path) -> Path:
    return repo


# ---------------------------------------------------------------- the catalogue
@dataclass(frozen=True)
class Case:
    setup: Callable[[Path], Path]
    argv: tuple[str, ...]
    fragment: str
    code: int = 1
    #: the case fails before anything is written to git (no new object at all)
    no_objects: bool = True


NAME_HINT = "run name"
CASES: dict[str, Case] = {
    # repository and project
    "not-a-repository": Case(not_a_repo, ("run",), "not inside a git repository"),
    "bare-repository": Case(bare_repo, ("list",), "bare repository"),
    "no-rerun-toml": Case(no_rerun_toml, ("run",), "no rerun.toml"),
    "malformed-rerun-toml": Case(edit("rerun.toml", "[capture\ninclude = "), ("run",), "malformed TOML"),
    "rerun-toml-wrong-type": Case(edit("rerun.toml", "[capture]\ninclude = 3\n"), ("run",), "must be a list of strings"),
    "rerun-toml-unknown-key": Case(edit("rerun.toml", "[capture]\nincludes = []\n"), ("run",), "unknown key"),
    "rerun-toml-option-like-branch": Case(edit("rerun.toml", '[refs]\nbranch = "--upload-pack=x"\n'), ("list",), "branch"),
    "no-such-directory": Case(unchanged, ("-C", "does-not-exist", "list"), "does-not-exist"),
    # hand-edited or broken runs
    "record-not-toml": Case(forged("broken", raw_record=b"name = [unclosed"), ("show", "broken"), "cannot parse"),
    "record-not-utf8": Case(forged("latin", raw_record=b'name = "caf\xe9"'), ("show", "latin"), "cannot parse"),
    "record-missing-key": Case(forged("noschema", mutate=lambda r: r.pop("schema")), ("show", "noschema"), "missing key 'schema'"),
    "record-wrong-type": Case(forged("badseed", mutate=lambda r: r.__setitem__("seed", "42")), ("reproduce", "badseed"), "'seed' should be int"),
    "record-newer-schema": Case(forged("future", mutate=lambda r: r.__setitem__("schema", 99)), ("show", "future"), "newer"),
    "record-bad-dataset-entry": Case(forged("noshas", mutate=lambda r: [d.pop("sha256") for d in r["datasets"].values()]),
                                     ("show", "noshas"), "has no 'sha256'"),
    "record-absent": Case(forged("empty", entries={".rerun/run.toml": None}), ("show", "empty"), "has no .rerun/run.toml"),
    "lightweight-tag": Case(forged("light", lightweight=True), ("show", "light"), "not a rerun-git run"),
    "recorded-path-absolute": Case(forged("abs", mutate=set_files("/etc/passwd")), ("reproduce", "abs"), "unsafe path"),
    "recorded-path-dotdot": Case(forged("dots", mutate=set_files("../outside.py")), ("reproduce", "dots"), "unsafe path"),
    "recorded-workflow-escapes": Case(forged("wf", mutate=lambda r: r["workflows"]["fit"].__setitem__("file", "../../x.py")),
                                      ("reproduce", "wf"), "unsafe path"),
    "recorded-project-path-escapes": Case(forged("pp", mutate=lambda r: r.__setitem__("project_path", "../..")),
                                          ("reproduce", "pp"), "unsafe path"),
    "snapshot-symlink-out": Case(forged("link", mutate=set_files("helper.py"),
                                        entries={"helper.py": ("120000", b"/etc/passwd")}),
                                 ("reproduce", "link"), "symbolic link"),
    "snapshot-unlisted-file": Case(forged("extra", entries={"sitecustomize.py": ("100644", b"import os\n")}),
                                   ("reproduce", "extra"), "does not list"),
    "snapshot-bytes-differ-from-record": Case(forged("edited", entries={"data.py": ("100644", b"BASE_DATA_MANAGER = 1\n")}),
                                              ("reproduce", "edited", "--trust"), "differs from the bytes the run recorded"),
    # run names
    "name-empty": Case(unchanged, ("run", "--name="), "run name is empty"),
    "name-space": Case(unchanged, ("run", "--name=two words"), NAME_HINT),
    "name-dotdot": Case(unchanged, ("run", "--name=a..b"), NAME_HINT),
    "name-tilde": Case(unchanged, ("run", "--name=a~1"), NAME_HINT),
    "name-caret": Case(unchanged, ("run", "--name=a^1"), NAME_HINT),
    "name-colon": Case(unchanged, ("run", "--name=a:b"), NAME_HINT),
    "name-question": Case(unchanged, ("run", "--name=a?"), NAME_HINT),
    "name-star": Case(unchanged, ("run", "--name=a*"), NAME_HINT),
    "name-bracket": Case(unchanged, ("run", "--name=a[0]"), NAME_HINT),
    "name-backslash": Case(unchanged, ("run", "--name=a\\b"), NAME_HINT),
    "name-leading-dash": Case(unchanged, ("run", "--name=--upload-pack=touch"), NAME_HINT),
    "name-at-brace": Case(unchanged, ("run", "--name=a@{1}"), NAME_HINT),
    "name-dot-lock": Case(unchanged, ("run", "--name=x.lock"), NAME_HINT),
    "name-newline": Case(unchanged, ("run", "--name=a\nb"), NAME_HINT),
    "name-too-long": Case(unchanged, ("run", "--name=" + "x" * 201), "longer than 200"),
    "name-case-collision": Case(unchanged, ("run", "--name=BASE"), "differs only in case"),
    "name-taken": Case(unchanged, ("run", "--name=base"), "already exists"),
    "results-folder-not-empty": Case(results_not_empty, ("run", "--name=fresh"), "not empty"),
    "seed-negative": Case(unchanged, ("run", "--seed", "-5"), "--seed -5 is out of range"),
    "seed-too-large": Case(unchanged, ("run", "--seed", "4294967296"), "--seed 4294967296 is out of range"),
    "seed-not-a-number": Case(unchanged, ("run", "--seed", "ten"), "--seed ten is not a seed"),
    "unknown-run-show": Case(unchanged, ("show", "nope"), "unknown run run/nope"),
    "unknown-run-reproduce": Case(unchanged, ("reproduce", "bsae"), "did you mean run/base"),
    "unknown-run-rm": Case(unchanged, ("rm", "base", "nope"), "unknown run"),
    "unknown-run-diff": Case(unchanged, ("diff", "base", "nope"), "unknown run"),
    "option-like-run-name": Case(unchanged, ("show", "--", "--output=/tmp/x"), "unknown run run/--output=/tmp/x"),
    "negative-tolerance": Case(unchanged, ("reproduce", "base", "--rtol", "-1"), "non-negative"),
    "nan-tolerance": Case(unchanged, ("reproduce", "base", "--atol", "nan"), "non-negative"),
    # project code
    "syntax-error": Case(edit("algorithms.py", "ALGORITHM_CONFIG = (\n"), ("run",), "SyntaxError"),
    "import-error": Case(append("data.py", "import no_such_module_xyz\n"), ("run",), "No module named 'no_such_module_xyz'"),
    "missing-create-configuration": Case(edit("settings.py", "CONFIG = None\n"), ("run",), "does not define create_configuration"),
    "algorithm-config-wrong-type": Case(edit("algorithms.py", "ALGORITHM_CONFIG = ['linear']\n"), ("run",), "ALGORITHM_CONFIG is a list"),
    "workflow-class-missing": Case(edit("workflows/fit.py", "from rerun_git import Workflow\n"), ("run",), "0 Workflow subclasses"),
    "workflow-file-missing": Case(edit("settings.py", _dedent(dataset_setting('["tiny.csv"]')).replace('"fit"', '"nosuch"')),
                                  ("run",), "workflows/nosuch.py not found"),
    "non-utf8-project-file": Case(edit("metrics.py", b"# caf\xe9\nMETRIC_CONFIG = None\n"), ("run",), "not UTF-8"),
    "symlink-out-imported": Case(symlink_out_imported, ("run",), "outside the project"),
    # datasets
    "dataset-missing": Case(edit("settings.py", _dedent(dataset_setting('["missing.csv"]'))), ("run",), "missing.csv"),
    "dataset-empty": Case(edit("datasets/tiny.csv", ""), ("run",), "tiny.csv"),
    "dataset-unreadable": Case(edit("datasets/tiny.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x00"), ("run",), "tiny.csv"),
    "dataset-escapes-datasets-folder": Case(edit("settings.py", _dedent(dataset_setting('["../rerun.toml"]'))),
                                            ("run",), "dataset path '../rerun.toml'"),
    "sqlite-table-missing": Case(sqlite_without_table, ("run",), "measurements"),
    "dataset-changed-since-run": Case(big_dataset_run(changed=True), ("reproduce", "big"), "sha256 differs", no_objects=False),
    "dataset-over-limit-absent": Case(big_dataset_run(changed=False), ("reproduce", "big"), "missing", no_objects=False),
    # other commands
    "create-into-non-empty-folder": Case(unchanged, ("create", "."), "already exists and is not empty"),
    "checkout-into-non-empty-folder": Case(unchanged, ("checkout", "base", "datasets"), "not empty"),
    "export-env-would-overwrite": Case(unchanged, ("export-env", "base", "-o", "rerun.toml"), "rerun.toml"),
    "push-unknown-remote": Case(unchanged, ("push", "nowhere"), "nowhere"),
    "fetch-unknown-remote": Case(unchanged, ("fetch", "nowhere"), "nowhere"),
    "check-env-unknown-run": Case(unchanged, ("check-env", "nope"), "unknown run run/nope"),
    "capture-metrics-file-missing": Case(unchanged, ("capture", "--name", "ext", "--metrics", "nope.json"), "nope.json"),
    "list-outside-a-repository": Case(not_a_repo, ("list",), "not inside a git repository"),
    "log-in-a-bare-repository": Case(bare_repo, ("log",), "bare repository"),
    # Ctrl-C (exit 130, "rerun-git: interrupted", nothing left behind)
    "interrupted-reproduce": Case(workflow_interrupts_on_reproduce, ("reproduce", "ctrlc"), "interrupted", code=130,
                                  no_objects=False),
}


@pytest.mark.parametrize("case_id", list(CASES))
def test_bad_input(case_id: str, fresh: Path, cli) -> None:
    case = CASES[case_id]
    cwd = case.setup(fresh)
    watched = fresh if (fresh / ".git").is_dir() else None
    if watched:
        settle(watched)
        before, refs_before, objects_before = repo_state(watched), all_refs(watched), objects(watched)
    listing_before = sorted(p.relative_to(cwd) for p in cwd.rglob("*") if ".git" not in p.parts)

    result = cli(*case.argv, cwd=cwd)

    if case.code == 130:
        assert result.code == 130, result.err
        assert "rerun-git: interrupted" in result.err and "Traceback" not in result.err
    else:
        assert_clean_error(result.code, result.err, case.code)
        assert case.fragment in result.err, result.err
    if watched:
        assert repo_state(watched) == before
        assert all_refs(watched) == refs_before, "no ref was created, moved or removed"
        assert rerun_worktrees(watched) == []
        if case.no_objects:
            assert objects(watched) == objects_before, "nothing was written into .git/objects"
    listing_after = sorted(p.relative_to(cwd) for p in cwd.rglob("*") if ".git" not in p.parts)
    assert [p for p in listing_after if p not in listing_before and p.parts[0] != "results"] == []


def test_the_catalogue_holds_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


# ---------------------------------------------------------------- the record loader, fuzzed

ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
    st.lists(st.one_of(st.integers(), st.text(max_size=2)), max_size=2),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.text(max_size=2)), max_size=2),
)


@pytest.fixture(scope="module")
def valid_record(template: Path) -> dict:
    from rerun_git.record.run_record import RunRecord, decode_none

    return RunRecord.from_dict(decode_none(full_record(template, "run/base"))).to_dict()


@st.composite
def damaged(draw, base: dict) -> dict:
    """``base`` with one to three top-level keys dropped, replaced by any value, or damaged one level down."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(base)))
        action = draw(st.sampled_from(("drop", "replace", "nested")))
        if action == "drop":
            data.pop(key, None)
        elif action == "replace" or not isinstance(data.get(key), (dict, list)) or not data.get(key):
            data[key] = draw(ANY_VALUE)
        else:
            _damage_inside(draw, data[key])
    return data


def _damage_inside(draw, container: dict | list) -> None:
    keys = list(container) if isinstance(container, dict) else list(range(len(container)))
    key = draw(st.sampled_from(keys))
    inner = container[key]
    if isinstance(inner, dict) and inner and draw(st.booleans()):
        sub = draw(st.sampled_from(sorted(inner)))
        if draw(st.booleans()):
            del inner[sub]
        else:
            inner[sub] = draw(ANY_VALUE)
    else:
        container[key] = draw(ANY_VALUE)


def _consume(record) -> None:
    """Everything show and reproduce do with a loaded record before running any project code."""
    import io
    from contextlib import redirect_stdout

    from rerun_git.commands import show
    from rerun_git.record.compare import compare_metrics
    from rerun_git.experiment.data import DataManager
    from rerun_git.record.datasets import check_dataset
    from rerun_git.record.environment import compare_environment
    from rerun_git.record.run_record import RunRecord
    from rerun_git.record.validation import check_snapshot_layout

    assert RunRecord.from_toml(record.to_toml()) == record, "a loaded record round-trips"
    record.headline(), record.primary(), record.summary()
    compare_metrics(record.results, record.results)
    compare_environment(record.env, {"python": "3.11.7", "packages": {"numpy": "2.0.0"}})
    data = {"name": record.name, "tag": f"run/{record.name}", "commit": "0" * 40, "source": None, "dirty": False,
            "record": record.to_dict()}
    with redirect_stdout(io.StringIO()):
        show._summary(data)
        for printer in show.PRINTERS.values():
            printer(data["record"])
    for step in (
        lambda: check_snapshot_layout(record, [("100644", "0" * 40, p) for p in record.files], "run/x"),
        lambda: [check_dataset(k, e, Path("/nonexistent") / e["filename"]) for k, e in record.datasets.items()],
        lambda: DataManager.from_params(record.base_data_manager).validate(),
    ):
        try:
            step()
        except RerunError:
            pass



@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_record_only_ever_raises_the_user_facing_error(valid_record: dict, data) -> None:
    from rerun_git.record.run_record import RunRecord, encode_none

    record_dict = data.draw(damaged(valid_record))
    try:
        record = RunRecord.from_dict(record_dict, origin="run/x:.rerun/run.toml")
    except RerunError as exc:
        assert exc.message.startswith("run/x:.rerun/run.toml: ") and exc.hint
        event("refused")
        return
    event("accepted")
    _consume(record)
    # and through TOML, as read from git
    try:
        text = tomli_w.dumps(encode_none(record_dict))
    except (TypeError, ValueError):
        return
    RunRecord.from_toml(text)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_arbitrary_bytes_as_a_record_raise_the_user_facing_error(text) -> None:
    from rerun_git.record.run_record import RunRecord

    try:
        RunRecord.from_toml(text, origin="run/x:.rerun/run.toml")
    except RerunError as exc:
        assert exc.hint


def test_a_damaged_algorithm_config_of_the_data_manager_is_the_user_facing_error() -> None:
    """Found by the hypothesis test above: ``algorithm_config = [0]`` raised a TypeError."""
    from rerun_git.experiment.data import DataManager

    for damaged_value in ([0], ["linear"], [{"name": "a"}, None]):
        with pytest.raises(RerunError, match="AlgorithmCollection parameters should be a list of tables"):
            DataManager.from_params({"algorithm_config": damaged_value})
