"""``rerun-git report``: the runs as a static site that opens offline, from ``file://``.

>>> from rerun_git.report import build_report   # doctest: +SKIP
>>> build_report(".", out="site").index          # doctest: +SKIP
PosixPath('.../site/index.html')

The site is plain files (HTML, one CSS and one JS file of this package, SVG
charts drawn here); it loads nothing from the network. Never imports
scikit-learn or pandas.
"""
from __future__ import annotations

from pathlib import Path

from rerun_git.report.site import BuildResult

__all__ = ["BuildResult", "build_report", "serve"]


def build_report(path: Path | str = ".", pattern: str | None = None, out: Path | str | None = None) -> BuildResult:
    """Write or update the report of the runs matching ``pattern`` (a glob on the name; all runs by default).

    Parameters
    ----------
    path : path-like
        Any folder of the repository.
    pattern : str, optional
        Glob on the run name or tag, as in ``rerun-git list``.
    out : path-like, optional
        The report folder; default ``results/report`` of the project, else a new temporary folder.

    Returns
    -------
    BuildResult
        The folder, the number of runs and the run pages written this time.
    """
    from rerun_git.report.site import build_site, prepare_directory
    from rerun_git.report.source import RunSource, default_directory

    source = RunSource(path, pattern)
    if out is None:
        out = default_directory(path)
    if out is None:
        import tempfile

        out = tempfile.mkdtemp(prefix="rerun-report-")
    return build_site(source, prepare_directory(Path(out)))


def serve(directory: Path | str, port: int = 8000) -> None:
    """Serve ``directory`` on ``http://127.0.0.1:PORT/`` (Python's ``http.server``) until interrupted."""
    from rerun_git.report.serve import serve_forever

    serve_forever(Path(directory), port)
