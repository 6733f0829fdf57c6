"""Dispatch cost of a parallel grid search: rerun-git's ``GridSearch`` against scikit-learn's ``GridSearchCV``.

scikit-learn 1.9 pickles with each (candidate, fold) task a callback context that holds every task
dispatched before it, so ``GridSearchCV(n_jobs=2)`` costs O(n²) in the number of tasks;
``rerun_git.experiment.search.GridSearch`` runs the same candidates without it. The estimator is a
``DummyClassifier`` on 40 rows, so the time is dispatch, not fitting. Runnable alone::

    python benchmarks/bench_search.py [--quick]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GridSearchCV, KFold

from rerun_git.experiment.search import GridSearch

FOLDS = 5


def seconds(cls: type, tasks: int) -> float:
    """Wall time of one ``cls`` search over ``tasks`` (candidate, fold) pairs with ``n_jobs=2``."""
    X = np.random.RandomState(0).rand(40, 2)
    y = np.r_[np.zeros(20), np.ones(20)]
    grid = {"strategy": ["most_frequent"], "random_state": list(range(tasks // FOLDS))}
    start = time.perf_counter()
    cls(DummyClassifier(), grid, cv=KFold(FOLDS), n_jobs=2).fit(X, y)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 2,000 tasks only")
    sizes = (1000, 2000) if parser.parse_args().quick else (1000, 4000, 8000)
    seconds(GridSearch, 200)  # start the worker processes once
    print(f"{'tasks':>6}  {'GridSearch':>10}  {'GridSearchCV':>12}")
    for tasks in sizes:
        ours, theirs = seconds(GridSearch, tasks), seconds(GridSearchCV, tasks)
        print(f"{tasks:>6}  {ours:>9.1f}s  {theirs:>11.1f}s", flush=True)


if __name__ == "__main__":
    main()
