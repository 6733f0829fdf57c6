"""The algorithms the experiment groups may use, by name."""
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from rerun_git import AlgorithmCollection, AlgorithmWrapper

ALGORITHM_CONFIG = AlgorithmCollection(
    AlgorithmWrapper(
        name="knn",
        display_name="k-Nearest Neighbours",
        algorithm_class=KNeighborsClassifier,
        default_params={"n_neighbors": 5},
        hyperparam_grid={"n_neighbors": [3, 5, 9]},
    ),
    AlgorithmWrapper(
        name="logistic",
        display_name="Logistic Regression",
        algorithm_class=LogisticRegression,
        default_params={"max_iter": 1000},
        hyperparam_grid={"C": [0.1, 1.0, 10.0]},
    ),
)
