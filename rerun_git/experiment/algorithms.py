"""Algorithms: ``AlgorithmWrapper``, ``AlgorithmCollection`` and Brisk's default lists."""
from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np
from sklearn import ensemble, linear_model, naive_bayes, neighbors, neural_network, svm, tree

from rerun_git.errors import RerunError
from rerun_git.experiment._params import NamedCollection, Rebuildable, check_safe_name, resolve_dotted


class AlgorithmWrapper(Rebuildable):
    """An estimator class with its default params and a hyperparameter grid.

    Parameters
    ----------
    name : str
        Short unique name (also the results folder name).
    display_name : str
        Human-readable name.
    algorithm_class : type
        The scikit-learn compatible estimator class.
    default_params : dict, optional
        Keyword arguments for the estimator.
    hyperparam_grid : dict, optional
        Parameter grid for tuning.
    """

    def __init__(
        self,
        name: str,
        display_name: str,
        algorithm_class: type,
        default_params: dict[str, Any] | None = None,
        hyperparam_grid: dict[str, list[Any]] | None = None,
    ) -> None:
        self._keep_params(locals())

    @classmethod
    def _rebuilt(cls, params: dict[str, Any]) -> dict[str, Any]:
        if isinstance(params.get("algorithm_class"), str):
            params["algorithm_class"] = resolve_dotted(params["algorithm_class"], "algorithm class")
        return params

    def _accepted(self) -> set[str]:
        return set(inspect.signature(self.algorithm_class).parameters)

    def validate(self) -> None:
        """Raise RerunError when the name, class or default params are invalid."""
        check_safe_name(self.name, "algorithm name")
        if not inspect.isclass(self.algorithm_class):
            raise RerunError(f"algorithm {self.name!r}: algorithm_class must be a class",
                             hint="pass the class itself, e.g. algorithm_class=Ridge (not Ridge())")
        for attr in ("default_params", "hyperparam_grid"):
            value = getattr(self, attr)
            if value is not None and not isinstance(value, dict):
                raise RerunError(f"algorithm {self.name!r}: {attr} must be a dict", hint="or None")
        unknown = sorted(set(self.default_params or {}) - self._accepted())
        if unknown:
            raise RerunError(
                f"algorithm {self.name!r}: {self.algorithm_class.__name__} has no parameter(s) "
                f"{', '.join(unknown)}",
                hint="check default_params against the estimator's signature",
            )
        self._validate_grid()

    def _validate_grid(self) -> None:
        """Every grid key must be a parameter of the estimator (``a__b`` checks ``a``)."""
        grid = self.hyperparam_grid or {}
        unknown = sorted(str(k) for k in grid if not isinstance(k, str) or k.split("__")[0] not in self._accepted())
        if unknown:
            raise RerunError(
                f"algorithm {self.name!r}: hyperparam_grid key(s) {', '.join(unknown)} are not parameters of "
                f"{self.algorithm_class.__name__}",
                hint=f"parameters: {', '.join(sorted(self._accepted()))}",
            )
        for key, values in grid.items():
            if not _is_value_list(values):
                raise RerunError(f"algorithm {self.name!r}: hyperparam_grid[{key!r}] must be a non-empty list",
                                 hint=f"got {values!r}")

    def instantiate(self, seed: int | None = None) -> Any:
        """Return a fresh estimator ``algorithm_class(**default_params)``.

        Parameters
        ----------
        seed : int, optional
            Used as ``random_state`` when the estimator accepts one and
            ``default_params`` does not set it.
        """
        self.validate()
        params = copy.deepcopy(self.default_params or {})
        if "random_state" in self._accepted() and "random_state" not in params:
            params["random_state"] = seed
        model = self.algorithm_class(**params)
        model.wrapper_name = self.name  # as in Brisk: results name the algorithm a model came from
        return model

    def __repr__(self) -> str:
        return f"AlgorithmWrapper(name={self.name!r}, algorithm_class={self.algorithm_class.__name__})"


def _is_value_list(values: Any) -> bool:
    """A non-empty list, tuple or 1-d numpy array (Brisk's grids use ``np.logspace``)."""
    if isinstance(values, np.ndarray):
        return values.ndim == 1 and values.size > 0
    return isinstance(values, (list, tuple)) and len(values) > 0


class AlgorithmCollection(NamedCollection[AlgorithmWrapper]):
    """A named collection of :class:`AlgorithmWrapper` objects.

    Parameters
    ----------
    *wrappers : AlgorithmWrapper
        The algorithms; names must be unique.
    """

    item_type = AlgorithmWrapper
    item_label = "algorithm"
    wrap_hint = "wrap each estimator in AlgorithmWrapper(...)"
    unique_hint = "give every algorithm a unique name"

    def __getitem__(self, key: str | int) -> AlgorithmWrapper:
        if isinstance(key, int):
            return self.wrappers[key]
        for w in self.wrappers:
            if w.name == key:
                return w
        raise RerunError(f"unknown algorithm {key!r}", hint=f"known algorithms: {', '.join(self.names())}")


def _w(name: str, display: str, klass: type, params: dict[str, Any] | None = None,
       grid: dict[str, Any] | None = None) -> AlgorithmWrapper:
    return AlgorithmWrapper(name, display, klass, params, grid)


_ALPHAS = np.logspace(-3, 0, 100)
_C = list(np.arange(1, 30, 0.5))
_L1_RATIO = list(np.arange(0.1, 1, 0.1))
_DEPTHS = list(range(5, 25, 5)) + [None]
_KNN_GRID = {"n_neighbors": list(range(1, 5, 2)), "weights": ["uniform", "distance"],
             "algorithm": ["auto", "ball_tree", "kd_tree", "brute"], "leaf_size": list(range(5, 50, 5))}
_REG_CRITERIA = ["friedman_mse", "absolute_error", "poisson", "squared_error"]
_BAYES = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]

#: Brisk 1.2's regression algorithms: names, display names, classes, default params and grids.
REGRESSION_ALGORITHMS: list[AlgorithmWrapper] = [
    _w("linear", "Linear Regression", linear_model.LinearRegression),
    _w("ridge", "Ridge Regression", linear_model.Ridge, {"max_iter": 10000}, {"alpha": _ALPHAS}),
    _w("lasso", "LASSO Regression", linear_model.Lasso, {"alpha": 0.1, "max_iter": 10000}, {"alpha": _ALPHAS}),
    _w("bridge", "Bayesian Ridge Regression", linear_model.BayesianRidge, {"max_iter": 10000},
       {"alpha_1": _BAYES, "alpha_2": _BAYES, "lambda_1": _BAYES, "lambda_2": _BAYES}),
    _w("elasticnet", "Elastic Net Regression", linear_model.ElasticNet, {"alpha": 0.1, "max_iter": 10000},
       {"alpha": _ALPHAS, "l1_ratio": _L1_RATIO}),
    _w("dtr", "Decision Tree Regression", tree.DecisionTreeRegressor, {"min_samples_split": 10},
       {"criterion": _REG_CRITERIA, "max_depth": _DEPTHS}),
    _w("rf", "Random Forest", ensemble.RandomForestRegressor, {"min_samples_split": 10},
       {"n_estimators": list(range(20, 160, 20)), "criterion": _REG_CRITERIA, "max_depth": _DEPTHS}),
    _w("svr", "Support Vector Regression", svm.SVR, {"max_iter": 10000},
       {"kernel": ["linear", "rbf", "sigmoid"], "C": _C, "gamma": ["scale", "auto", 0.001, 0.01, 0.1]}),
    _w("mlp", "Multi-Layer Perceptron Regression", neural_network.MLPRegressor, {"max_iter": 20000},
       {"hidden_layer_sizes": [(100,), (50, 25), (25, 10), (100, 50, 25), (50, 25, 10)],
        "activation": ["identity", "logistic", "tanh", "relu"], "alpha": [0.0001, 0.001, 0.01],
        "learning_rate": ["constant", "invscaling", "adaptive"]}),
    _w("knn", "K-Nearest Neighbour Regression", neighbors.KNeighborsRegressor, None, _KNN_GRID),
]

_CLS_CRITERIA = ["gini", "entropy", "log_loss"]

#: Brisk 1.2's classification algorithms.
CLASSIFICATION_ALGORITHMS: list[AlgorithmWrapper] = [
    _w("logistic", "Logistic Regression", linear_model.LogisticRegression, {"max_iter": 10000},
       {"penalty": [None, "l2", "l1", "elasticnet"], "l1_ratio": _L1_RATIO, "C": _C}),
    _w("svc", "Support Vector Classification", svm.SVC, {"max_iter": 10000},
       {"kernel": ["linear", "rbf", "sigmoid"], "C": _C, "gamma": ["scale", "auto", 0.001, 0.01, 0.1]}),
    _w("knn_classifier", "k-Nearest Neighbours Classifier", neighbors.KNeighborsClassifier, None, _KNN_GRID),
    _w("dtc", "Decision Tree Classifier", tree.DecisionTreeClassifier, {"min_samples_split": 10},
       {"criterion": _CLS_CRITERIA, "max_depth": _DEPTHS}),
    _w("rf_classifier", "Random Forest Classifier", ensemble.RandomForestClassifier, {"min_samples_split": 10},
       {"n_estimators": list(range(20, 160, 20)), "criterion": _CLS_CRITERIA, "max_depth": _DEPTHS}),
    _w("gaussian_nb", "Gaussian Naive Bayes", naive_bayes.GaussianNB, None,
       {"var_smoothing": [1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4]}),
    _w("ridge_classifier", "Ridge Classifier", linear_model.RidgeClassifier, {"max_iter": 10000},
       {"alpha": _ALPHAS}),
]
