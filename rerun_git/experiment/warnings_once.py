"""Each distinct warning a cell raises is shown once per process, as Python's default filter intends.

scikit-learn runs every parallel task (each fit of a search, in this process or
in joblib's loky workers) inside ``warnings.catch_warnings()`` with the filters
reset, which clears Python's record of the warnings already shown: the same
deprecation warning is printed again for every fit. Brisk's classification
template printed 205,914 lines in its first 2 minutes. While a cell runs,
:func:`each_warning_once` shows a warning (category, text, file, line) only
the first time this process meets it, and the loky workers scikit-learn starts
meanwhile do the same. Filters still decide what is shown; only repeats are
dropped, unless warnings were configured with ``-W`` or ``PYTHONWARNINGS``
(``PYTHONWARNINGS=always`` shows every repeat).
"""
from __future__ import annotations

import contextlib
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

#: (category, text, file, line) of every warning this process has shown.
_SHOWN: set[tuple[type, str, str, int]] = set()
_LOCK = threading.Lock()


def _first_time(message: Any, category: type, filename: str, lineno: int) -> bool:
    key = (category, str(message), str(filename), int(lineno))
    with _LOCK:
        if key in _SHOWN:
            return False
        _SHOWN.add(key)
        return True


def _once(show: Callable[..., Any]) -> Callable[..., Any]:
    """``show`` (a ``warnings.showwarning``), called only for a warning not shown before."""
    def show_once(message: Any, category: type, filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
        if _first_time(message, category, filename, lineno):
            show(message, category, filename, lineno, file, line)
    show_once.rerun_git_once = True  # type: ignore[attr-defined]
    return show_once


def _wrap(show: Callable[..., Any]) -> Callable[..., Any]:
    """``show`` dropping repeats; as it is when it already does or the user set ``-W``/``PYTHONWARNINGS``."""
    if sys.warnoptions or getattr(show, "rerun_git_once", False):
        return show
    return _once(show)


def show_each_warning_once() -> None:
    """Show each distinct warning once for the rest of this process's life (a loky worker's initializer)."""
    warnings.showwarning = _wrap(warnings.showwarning)


@contextlib.contextmanager
def each_warning_once() -> Iterator[None]:
    """Within the block, this process and the loky workers started in it show each warning once."""
    previous = warnings.showwarning
    warnings.showwarning = _wrap(previous)
    try:
        with _loky_workers_show_once():
            yield
    finally:
        warnings.showwarning = previous


@contextlib.contextmanager
def _loky_workers_show_once() -> Iterator[None]:
    """Make joblib's default "loky" backend start its workers with :func:`show_each_warning_once`."""
    from joblib import parallel, register_parallel_backend

    previous = parallel.BACKENDS.get("loky")
    if previous is None or not isinstance(previous, type) or not issubclass(previous, parallel.LokyBackend):
        yield  # another library replaced joblib's loky backend: leave it alone
        return

    class ShowOnceLokyBackend(previous):  # type: ignore[misc, valid-type]
        def configure(self, n_jobs: int = 1, parallel: Any = None, **kwargs: Any) -> int:
            kwargs.setdefault("initializer", show_each_warning_once)
            return super().configure(n_jobs=n_jobs, parallel=parallel, **kwargs)

    register_parallel_backend("loky", ShowOnceLokyBackend)
    try:
        yield
    finally:
        register_parallel_backend("loky", previous)
