"""A cell's repeated warnings are shown once per process, in this process and in scikit-learn's loky workers."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from textwrap import dedent

import joblib
from joblib import parallel

from rerun_git.experiment.warnings_once import each_warning_once

#: Runs scikit-learn's Parallel (which resets the warning filters for every task) 40 times with n_jobs.
SCRIPT = dedent("""
    import sys, warnings
    from sklearn.utils.parallel import Parallel, delayed
    from rerun_git.experiment.warnings_once import each_warning_once

    def task(i):
        warnings.warn("the same deprecation", FutureWarning)
        warnings.warn(f"a message of its own {i % 3}", UserWarning)
        return i

    def search():
        return sum(Parallel(n_jobs=int(sys.argv[1]))(delayed(task)(i) for i in range(40)))

    if sys.argv[2] == "once":
        with each_warning_once():
            total = search()
    else:
        total = search()
    print(total)
""")


def run(n_jobs: int, mode: str, **env: str) -> tuple[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"} | env
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(n_jobs), mode], capture_output=True, text=True,
                          timeout=300, check=True, env=environ)
    return done.stdout.strip(), done.stderr


def test_in_this_process_each_warning_is_shown_once() -> None:
    total, flood = run(1, "plain")
    assert total == "780" and flood.count("the same deprecation") == 40  # the repeats this module stops
    total, shown = run(1, "once")
    assert total == "780"
    assert shown.count("the same deprecation") == 1
    assert sorted(line.split("UserWarning: ")[1] for line in shown.splitlines() if "UserWarning: " in line) == [
        "a message of its own 0", "a message of its own 1", "a message of its own 2"]


def test_in_loky_workers_each_warning_is_shown_once_per_worker() -> None:
    total, flood = run(2, "plain")
    assert total == "780" and flood.count("the same deprecation") == 40
    total, shown = run(2, "once")
    assert total == "780"
    assert 1 <= shown.count("the same deprecation") <= 2  # one per worker process at most
    assert shown.count("a message of its own 1") <= 2


def test_pythonwarnings_always_still_shows_every_repeat() -> None:
    total, shown = run(2, "once", PYTHONWARNINGS="always")
    assert total == "780" and shown.count("the same deprecation") == 40


def test_the_block_restores_showwarning_and_joblibs_backend() -> None:
    show, loky = warnings.showwarning, parallel.BACKENDS["loky"]
    with each_warning_once():
        outer = warnings.showwarning
        assert outer is not show
        assert parallel.BACKENDS["loky"] is not loky and issubclass(parallel.BACKENDS["loky"], loky)
        with each_warning_once():  # nested: the same filter of repeats, not a second one
            assert warnings.showwarning is outer
        assert warnings.showwarning is outer
    assert warnings.showwarning is show and parallel.BACKENDS["loky"] is loky
    assert joblib.Parallel(n_jobs=1)(joblib.delayed(abs)(-1) for _ in range(2)) == [1, 1]


def test_filters_still_decide_and_recorded_warnings_are_recorded() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with each_warning_once():
            for _ in range(3):
                warnings.warn("first", UserWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.warn("ignored", DeprecationWarning)
    assert [str(w.message) for w in caught] == ["first"]
