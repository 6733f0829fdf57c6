"""rerun-git's searches choose exactly what scikit-learn's GridSearchCV/RandomizedSearchCV choose."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    RepeatedStratifiedKFold,
)

from rerun_git.experiment.search import GridSearch, RandomizedSearch


class FailsOn(BaseEstimator, ClassifierMixin):
    """A classifier that fails to fit for some parameter values and ties on others."""

    def __init__(self, value: int = 0, fail_above: int = 5) -> None:
        self.value = value
        self.fail_above = fail_above

    def fit(self, X, y):
        if self.value > self.fail_above:
            raise ValueError("this candidate cannot be fitted")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        # value 0 and 1 both predict the first class: a tie between the first two candidates
        return np.full(len(X), self.classes_[min(self.value // 2, len(self.classes_) - 1)])


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(3)
    X = rng.normal(size=(60, 3))
    return X, (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)


def same_results(ours, theirs) -> None:
    assert ours.best_index_ == theirs.best_index_
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_ or (np.isnan(ours.best_score_) and np.isnan(theirs.best_score_))
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    for key in ours.cv_results_:
        if "time" not in key and key != "params":
            np.testing.assert_array_equal(np.asarray(ours.cv_results_[key]), np.asarray(theirs.cv_results_[key]))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_with_ties_and_failing_candidates_chooses_as_gridsearchcv(n_jobs: int) -> None:
    X, y = data()
    grid = {"value": [7, 0, 1, 2, 3, 6], "fail_above": [5]}
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "N fits failed out of a total of M"
        ours = GridSearch(FailsOn(), grid, cv=cv, n_jobs=n_jobs, error_score=np.nan).fit(X, y)
        theirs = GridSearchCV(FailsOn(), grid, cv=cv, n_jobs=n_jobs, error_score=np.nan).fit(X, y)
    same_results(ours, theirs)
    assert np.isnan(ours.cv_results_["mean_test_score"][0])  # the failing candidate ranks last, not first
    assert ours.best_params_["value"] in (0, 1)


def test_grid_on_a_real_model_matches_and_refits_the_same_estimator() -> None:
    X, y = data()
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "tol": [1e-4, 1e-3]}
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    ours = GridSearch(LogisticRegression(), grid, cv=cv, n_jobs=2).fit(X, y)
    theirs = GridSearchCV(LogisticRegression(), grid, cv=cv, n_jobs=2).fit(X, y)
    same_results(ours, theirs)
    np.testing.assert_array_equal(ours.best_estimator_.coef_, theirs.best_estimator_.coef_)


def test_all_fits_failing_raises_as_gridsearchcv() -> None:
    X, y = data()
    grid = {"value": [6, 7]}
    with pytest.raises(ValueError, match="fits failed") as ours:
        GridSearch(FailsOn(), grid, cv=3, error_score=np.nan).fit(X, y)
    with pytest.raises(ValueError, match="fits failed") as theirs:
        GridSearchCV(FailsOn(), grid, cv=3, error_score=np.nan).fit(X, y)
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


def test_random_search_samples_and_chooses_as_randomizedsearchcv() -> None:
    X, y = data()
    grid = {"strategy": ["most_frequent", "prior", "uniform", "stratified"], "random_state": list(range(20))}
    ours = RandomizedSearch(DummyClassifier(), grid, n_iter=12, random_state=5, cv=3, n_jobs=2).fit(X, y)
    theirs = RandomizedSearchCV(DummyClassifier(), grid, n_iter=12, random_state=5, cv=3, n_jobs=2).fit(X, y)
    same_results(ours, theirs)
    assert len(ours.cv_results_["params"]) == 12
