"""The report in a real headless Chromium, opened from ``file://``: three real runs with a changed Ridge alpha.

Skipped, with one line, where Playwright or ``/usr/bin/chromium`` is missing
(CI installs both: .ci/run).
"""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser
ALPHA = "algorithms[ridge].default_params.alpha"


def _helper():
    spec = importlib.util.spec_from_file_location("report_browser", ROOT / "benchmarks" / "report_browser.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["report_browser"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


helper = _helper()
if helper.missing_browser():
    pytest.skip(f"browser tests need a browser: {helper.missing_browser()}", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rerun_git.report import build_report

    repo = tmp_path_factory.mktemp("report") / "repo"
    assert helper.three_runs(repo) == ["alpha-1", "alpha-5", "alpha-20"]
    return build_report(repo, out=repo.parent / "site").directory


@pytest.fixture(scope="module")
def browser(site: Path):
    with helper.chromium() as browser:
        yield browser


@pytest.fixture
def index(browser, site: Path):
    page, watch = helper.open_page(browser, site / "index.html")
    yield page
    assert watch.off_disk == [] and watch.console_errors == [] and watch.page_errors == []
    page.close()


def _visible_names(page) -> list[str]:
    return page.eval_on_selector_all("#runs tbody tr:not([hidden]) td:nth-child(2)", "cells => cells.map(c => c.textContent)")


def test_index_lists_every_run_with_message_and_metrics(index) -> None:
    assert _visible_names(index) == ["alpha-1", "alpha-5", "alpha-20"]
    rows = index.locator("#runs tbody tr")
    assert rows.count() == 3
    assert "ridge alpha=5" in rows.nth(1).inner_text()
    ridge_mae = index.eval_on_selector_all("#runs tbody tr td.num", "cells => cells.map(c => c.textContent)")
    assert all(re.fullmatch(r"\d+(\.\d+)?", v) for v in ridge_mae if v)
    assert index.locator("#shown").inner_text() == "3 of 3 runs shown"


def test_clicking_a_header_sorts_and_the_keyboard_does_too(index) -> None:
    header = index.locator("#runs thead button.sort", has_text="ridge MAE")
    header.click()
    values = [float(v) for v in index.eval_on_selector_all(
        "#runs tbody tr", "rows => rows.map(r => r.cells[[...r.parentNode.parentNode.tHead.rows[0].cells]"
        ".findIndex(c => c.textContent.includes('ridge MAE'))].textContent)")]
    assert values == sorted(values) and len(set(values)) == 3
    assert index.locator("#runs thead th", has_text="ridge MAE").get_attribute("aria-sort") == "ascending"
    index.locator("#runs thead button.sort", has_text="name").focus()
    index.keyboard.press("Enter")
    assert _visible_names(index) == ["alpha-1", "alpha-20", "alpha-5"]
    index.keyboard.press("Enter")
    assert _visible_names(index) == ["alpha-5", "alpha-20", "alpha-1"]


def test_filter_hides_rows(index) -> None:
    index.fill("#filter", "alpha=20")
    assert _visible_names(index) == ["alpha-20"]
    assert index.locator("#shown").inner_text() == "1 of 3 runs shown"
    index.fill("#filter", "")
    assert len(_visible_names(index)) == 3


def test_plots_are_drawn(index) -> None:
    lines = index.locator("svg.trend path.line")
    assert lines.count() >= 2  # linear and ridge in each trend chart
    box = lines.first.bounding_box()
    assert box and box["width"] > 50
    assert index.locator("svg.heat rect").count() == 3 * 2  # runs x algorithms


def test_parallel_coordinates_has_an_axis_for_the_changed_parameter_and_brushing_filters(index) -> None:
    axis = index.locator(f'.pc-axis[data-name="{ALPHA}"]')
    assert axis.count() == 1
    names = index.eval_on_selector_all(".pc-axis", "axes => axes.map(a => a.dataset.name)")
    assert names == [ALPHA, "ridge MAE", "ridge R2"]  # linear's metrics do not move with alpha
    assert index.locator("svg.parcoords path.pc-line").count() == 3
    hit = axis.locator(".pc-hit").bounding_box()
    x = hit["x"] + hit["width"] / 2
    index.mouse.move(x, hit["y"] + 1)  # the top of the alpha axis: 20
    index.mouse.down()
    index.mouse.move(x, hit["y"] + hit["height"] * 0.2, steps=4)
    index.mouse.up()
    assert _visible_names(index) == ["alpha-20"]
    assert index.locator("svg.parcoords path.pc-line.dim").count() == 2
    index.click("#clear-brush")
    assert len(_visible_names(index)) == 3
    axis.focus()  # the keyboard: a window moving down the axis from its top, Escape clears it
    index.keyboard.press("ArrowDown")
    assert _visible_names(index) == ["alpha-20"]
    index.keyboard.press("Escape")
    assert len(_visible_names(index)) == 3


def test_run_page_link_shows_its_params_and_metrics(index, browser) -> None:
    index.click("text=alpha-5")
    index.wait_for_load_state("load")
    assert re.search(r"/runs/[0-9a-f]{40}\.html$", index.url)
    config = index.locator("#config").inner_text()
    assert ALPHA in config and "5.0" in config
    metrics = index.locator("#metrics").inner_text()
    assert "MAE" in metrics and "±" in metrics and "split_2" in metrics
    changes = index.locator("#changes").inner_text()
    assert ALPHA in changes and "1.0" in changes
    assert index.locator("#kept figure, #kept li").count() > 0  # the kept result JSON files


def test_compare_page_for_two_chosen_runs(index) -> None:
    boxes = index.locator("input.pick")
    boxes.nth(0).check()
    boxes.nth(2).check()
    index.click("#compare")
    index.wait_for_load_state("load")
    assert "compare.html#" in index.url
    heads = index.eval_on_selector_all("#compare-table thead th", "cells => cells.map(c => c.textContent)")
    assert heads == ["run", "alpha-1", "alpha-20"]
    alpha_row = index.locator("#compare-table tr.param.differs", has_text=ALPHA)
    assert alpha_row.count() == 1 and alpha_row.inner_text().split("\t")[1:] == ["1", "20"]  # JSON numbers
    assert index.locator("#compare-table td.best").count() >= 1


def test_screenshot_of_the_index(browser, site: Path, tmp_path: Path) -> None:
    shot = tmp_path / "index.png"
    watch = helper.screenshot_index(browser, site, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert watch.off_disk == [] and watch.page_errors == []
