"""Open a ``rerun-git report`` in headless Chromium; the code the browser tests and the docs screenshot share.

Usage::

    python benchmarks/report_browser.py [--out docs/report-index.png]

makes a project from the regression template in a temporary repository,
captures three real runs (``rerun-git run``) with a changed Ridge ``alpha``,
writes the report and saves a screenshot of its index. The browser is
Debian's ``chromium`` (``apt-get install chromium``), driven by Playwright
for Python through ``executable_path``: Playwright's own browser download
is never used.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("RERUN_CHROMIUM", "/usr/bin/chromium")
#: Ridge's alpha in each of the three runs (the changed hyperparameter).
ALPHAS = (1.0, 5.0, 20.0)


def missing_browser() -> str | None:
    """Why the browser cannot run here (one line), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright; it is in the test extra)"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@dataclass
class Watch:
    """What a page did: every request's URL, console errors and uncaught script errors."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.console_errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    @property
    def off_disk(self) -> list[str]:
        """Requests for anything but a local file."""
        return [url for url in self.requests if not url.startswith("file://")]


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium browser (Playwright's ``Browser``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, path: Path, width: int = 1280, height: int = 900):
    """Open ``path`` from ``file://`` in a new page; return ``(page, watch)``."""
    page = browser.new_page(viewport={"width": width, "height": height})
    watch = Watch()
    watch.attach(page)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, watch


def three_runs(repo: Path, rerun_git: list[str] | None = None) -> list[str]:
    """Make ``repo`` (new folder) a git repository with the regression template and capture three runs; return their names.

    Each run changes Ridge's ``alpha`` (:data:`ALPHAS`) and commits it first,
    so the runs are clean.
    """
    from rerun_git.scaffold import write_template

    command = rerun_git or [sys.executable, "-m", "rerun_git"]
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    write_template(repo)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "add project")
    algorithms = repo / "algorithms.py"
    names = []
    for index, alpha in enumerate(ALPHAS):
        text = algorithms.read_text()
        previous = ALPHAS[index - 1] if index else 1.0
        algorithms.write_text(text.replace(f'"alpha": {previous}}}', f'"alpha": {alpha}}}'))
        _git(repo, "commit", "-q", "-am", f"alpha {alpha}", check=False)
        name = f"alpha-{alpha:g}"
        subprocess.run([*command, "run", "--name", name, "-m", f"ridge alpha={alpha:g}"], cwd=repo, check=True,
                       capture_output=True, text=True)
        names.append(name)
    return names


def screenshot_index(browser, site: Path, out: Path) -> Watch:
    """Save a screenshot of ``site``'s index (its top part) to ``out``; return what the page did."""
    page, watch = open_page(browser, site / "index.html", width=1280, height=1000)
    page.screenshot(path=str(out), full_page=False)
    page.close()
    return watch


def _git(cwd: Path, *args: str, check: bool = True) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "report-index.png"))
    args = parser.parse_args(argv)
    reason = missing_browser()
    if reason:
        print(f"cannot take the screenshot: {reason}", file=sys.stderr)
        return 1
    import tempfile

    from rerun_git.report import build_report

    work = Path(tempfile.mkdtemp(prefix="rerun-report-shot-"))
    try:
        repo = work / "repo"
        three_runs(repo)
        result = build_report(repo, out=work / "site")
        with chromium() as browser:
            watch = screenshot_index(browser, result.directory, Path(args.out))
        print(f"wrote {args.out}; requests off disk: {watch.off_disk}; errors: {watch.console_errors + watch.page_errors}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
