"""``rerun-git report``: the static site from runs in a real repository (runs published through the store API)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from browse_support import make_run, record_data
from conftest import git, imported_modules, occupied_folder

HOSTILE = '<script>alert(1)</script>"\'&<img src=x onerror=alert(2)>'


def _build(repo: Path, out: Path, pattern: str | None = None):
    from rerun_git.report import build_report

    return build_report(repo, pattern, out)


def _alpha_record(alpha: float, mae: float, message: str = "") -> dict:
    algorithms = [{"name": "ridge", "algorithm_class": "sklearn.linear_model.Ridge", "default_params": {"alpha": alpha}}]
    results = {"baseline/d/split_0/ridge/test_metrics": {"MAE": mae, "R2": 0.5},
               "baseline/d/split_1/ridge/test_metrics": {"MAE": mae + 1.0, "R2": 0.7}}
    return record_data(algorithms=algorithms, results=results, message=message)


@pytest.fixture
def three(repo: Path) -> Path:
    for index, alpha in enumerate((1.0, 5.0, 20.0)):
        make_run(repo, f"r{index}", _alpha_record(alpha, 1.0 + index, f"alpha {alpha}"), stamp=1_793_491_200 + 60 * index)
    return repo


def test_index_lists_every_run_with_metrics_and_changed_params(three: Path, tmp_path: Path) -> None:
    result = _build(three, tmp_path / "site")
    index = result.index.read_text()
    assert result.runs == 3 and sorted(result.written) == ["r0", "r1", "r2"]
    rows = re.findall(r'<tr data-i="(\d+)">', index)
    assert rows == ["0", "1", "2"]
    assert index.count('class="pc-axis"') == 2  # alpha and ridge MAE; R2 (0.6 in every run) does not move
    assert 'data-name="algorithms[ridge].default_params.alpha"' in index
    assert "alpha 5.0" in index and ">ridge MAE<" in index
    # mean over the two splits of run r1: (2.0 + 3.0) / 2
    assert re.search(r'data-v="2.5">2.5</td>', index)
    assert index.count('class="line"') == 2  # one trend chart per headline metric, one line for ridge
    assert "runs × algorithms" in index


def test_run_page_shows_params_metrics_mean_std_and_changes(three: Path, tmp_path: Path) -> None:
    from rerun_git.browse import list_runs

    _build(three, tmp_path / "site")
    first, second = list_runs(three)[:2]
    page = (tmp_path / "site" / "runs" / f"{second.commit}.html").read_text()
    assert "algorithms[ridge].default_params.alpha" in page and ">5.0<" in page
    assert "2.5 ± 0.7071" in page  # MAE over split_0 (2.0) and split_1 (3.0): mean ± sample std, as `run` prints
    assert f'href="{first.commit}.html"' not in page and f'href="../runs/{first.commit}.html"' in page
    changes = page.split('id="changes"')[1]
    assert "algorithms[ridge].default_params.alpha" in changes and "1.0" in changes and "5.0" in changes
    assert "sha256" in page and "a" * 64 in page  # the dataset's identity
    assert "scikit-learn" in page  # the environment's packages
    assert "This is the first run" in (tmp_path / "site" / "runs" / f"{first.commit}.html").read_text()


def test_every_record_value_is_escaped_and_data_cannot_close_its_script(repo: Path, tmp_path: Path) -> None:
    record = _alpha_record(1.0, 2.0, message=HOSTILE)
    record["configuration"] = {"note": HOSTILE}
    record["algorithms"][0]["display_name"] = HOSTILE
    make_run(repo, "evil", record)
    make_run(repo, "plain", _alpha_record(2.0, 3.0, message="plain"))
    site = _build(repo, tmp_path / "site").directory
    for page in [site / "index.html", site / "compare.html", *sorted((site / "runs").glob("*.html"))]:
        text = page.read_text()
        assert "<script>alert" not in text and "<img src=x" not in text, page.name
        scripts = re.findall(r"<script[^>]*>", text)
        assert all(s in ('<script type="application/json" id="report-data">', '<script type="application/json" id="compare-data">',
                         '<script src="report.js">', '<script src="../report.js">') for s in scripts), scripts
    compare = (site / "compare.html").read_text()
    blob = re.search(r'id="compare-data">(.*?)</script>', compare, re.S).group(1)
    assert [run["message"] for run in json.loads(blob)] == [HOSTILE, "plain"]


def test_update_writes_only_the_new_runs_page(three: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _build(three, site)
    before = {p.name: p.stat().st_mtime_ns for p in (site / "runs").glob("*.html")}
    again = _build(three, site)
    assert again.written == [] and {p.name: p.stat().st_mtime_ns for p in (site / "runs").glob("*.html")} == before
    make_run(three, "r3", _alpha_record(50.0, 9.0), stamp=1_793_491_200 + 600)
    update = _build(three, site)
    assert update.written == ["r3"] and update.runs == 4
    after = {p.name: p.stat().st_mtime_ns for p in (site / "runs").glob("*.html")}
    assert {k: after[k] for k in before} == before and len(after) == 4


def test_a_tampered_manifest_is_read_again_from_git(three: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _build(three, site)
    manifest = json.loads((site / ".rerun-report.json").read_text())
    commit = next(iter(manifest["summaries"]))
    manifest["summaries"][commit]["metrics"] = "<script>"
    manifest["summaries"][commit]["message"] = "forged"
    (site / ".rerun-report.json").write_text(json.dumps(manifest))
    _build(three, site)
    index = (site / "index.html").read_text()
    assert "forged" not in index and "alpha 1.0" in index


def test_removed_run_loses_its_page_and_pattern_selects_runs(three: Path, tmp_path: Path, cli) -> None:
    site = tmp_path / "site"
    _build(three, site)
    assert cli("rm", "r1", cwd=three).code == 0
    result = _build(three, site)
    assert len(result.removed) == 1 and len(list((site / "runs").glob("*.html"))) == 2
    assert result.written == ["r2"]  # its previous run changed
    assert _build(three, tmp_path / "only", "r2").runs == 1


def test_kept_files_are_written_by_blob_id_and_images_shown(project: Path, tmp_path: Path, cli) -> None:
    (project / "workflows" / "regression.py").write_text((project / "workflows" / "regression.py").read_text())
    (project / "rerun.toml").write_text((project / "rerun.toml").read_text().replace('keep_results = ["**/*.json"]',
                                                                                     'keep_results = ["**/*.json", "**/*.svg"]'))
    git(project, "commit", "-qam", "keep svg")
    # a plot file appears in the results folder: a capture of existing results keeps it
    results = project / "results" / "withplot"
    results.mkdir(parents=True)
    (results / "plot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (project / "metrics.json").write_text('{"MAE": 1.5}')
    captured = cli("capture", "--name", "withplot", "--results", str(results), "--metrics", "metrics.json", cwd=project)
    assert captured.code == 0, captured.err
    site = _build(project, tmp_path / "site").directory
    page = next((site / "runs").glob("*.html")).read_text()
    images = re.findall(r'<img src="\.\./(files/[0-9a-f]+\.svg)"', page)
    assert len(images) == 1 and (site / images[0]).read_text().startswith("<svg")
    assert "plot.svg" in page
    assert cli("rm", "withplot", cwd=project).code == 0
    _build(project, site)
    assert list((site / "files").iterdir()) == []  # no page shows them any more


def test_a_corrupt_record_is_a_warning_and_a_note_on_its_page(three: Path, tmp_path: Path) -> None:
    make_run(three, "broken", raw_record=b"seed = 'not a table")
    result = _build(three, tmp_path / "site")
    assert result.runs == 4 and any("run/broken" in w and "cannot parse" in w for w in result.warnings)
    assert "run/broken:.rerun/run.toml: cannot parse" in result.index.read_text()
    broken = [p for p in (tmp_path / "site" / "runs").glob("*.html") if "run broken" in p.read_text()]
    assert len(broken) == 1 and "could not be read" in broken[0].read_text()


def test_refuses_a_folder_that_is_not_a_report(three: Path, tmp_path: Path, cli) -> None:
    other = occupied_folder(tmp_path / "mine")
    result = cli("report", "-o", str(other), cwd=three)
    assert result.code == 1 and "not empty and holds no rerun-git report" in result.err
    assert sorted(p.name for p in other.iterdir()) == ["keep.txt"]


def test_cli_report_default_folder_is_results_report_of_the_project(project: Path, cli) -> None:
    make_run(project, "one", _alpha_record(1.0, 2.0))
    result = cli("report", cwd=project)
    assert result.code == 0, result.err
    assert f"wrote {Path('results') / 'report' / 'index.html'} (1 runs, 1 run pages written" in result.out
    assert (project / "results" / "report" / "report.js").is_file()
    assert "results/report" not in git(project, "status", "--porcelain")  # the template ignores results/


def test_cli_outside_a_project_writes_a_temporary_folder(repo: Path, cli) -> None:
    make_run(repo, "one")
    result = cli("report", cwd=repo)
    assert result.code == 0, result.err
    written = Path(result.out.split()[1])
    assert written.is_file() and "rerun-report-" in str(written)


def test_report_imports_neither_scikit_learn_nor_pandas(three: Path, tmp_path: Path) -> None:
    modules = imported_modules("report", "-o", str(tmp_path / "s"), cwd=three)
    assert "rerun_git" in modules and "html" in modules and (tmp_path / "s" / "index.html").is_file()
    assert not modules & {"sklearn", "pandas", "scipy", "numpy"}


def test_serve_answers_on_loopback_only(three: Path, tmp_path: Path) -> None:
    import threading
    import urllib.request

    from rerun_git.report.serve import make_server

    site = _build(three, tmp_path / "site").directory
    server = make_server(site, 0)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as response:
            assert b"rerun-git report: 3 runs" in response.read()
    finally:
        server.shutdown()
        server.server_close()


def test_model_regroups_the_metric_table_by_split() -> None:
    from rerun_git.report.model import algorithm_metrics, split_table

    results = {"g/d/split_0/a/test": {"MAE": 1.0}, "g/d/split_1/a/test": {"MAE": 3.0},
               "g/d/split_0/b/test": {"MAE": 5.0}, "g/d/split_0/b/train": {"MAE": 7.0}}
    assert algorithm_metrics(results) == {"a": {"MAE@test": 2.0}, "b": {"MAE@test": 5.0, "MAE@train": 7.0}}
    table = {row.row: row for row in split_table(results)}
    assert table["g/d/a/test"].splits == ["split_0", "split_1"] and table["g/d/a/test"].values == {"MAE": [1.0, 3.0]}
    assert table["g/d/a/test"].mean_std("MAE") == (2.0, pytest.approx(2 ** 0.5))
    assert table["g/d/b/train"].mean_std("MAE") == (7.0, 0.0)


def test_json_data_escapes_closing_tags_and_non_finite_numbers() -> None:
    from rerun_git.report.html import json_data

    block = json_data("x", {"a": "</script><b>", "n": float("nan")})
    assert "</script><b>" not in block.removesuffix("</script>")
    assert json.loads(block.split(">", 1)[1].removesuffix("</script>")) == {"a": "</script><b>", "n": None}
