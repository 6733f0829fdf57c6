"""The algorithms the experiment groups may use, by name."""
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from rerun_git import AlgorithmCollection, AlgorithmWrapper

ALGORITHM_CONFIG = AlgorithmCollection(
    AlgorithmWrapper(
        name="logistic",
        display_name="Logistic Regression",
        algorithm_class=LogisticRegression,
        default_params={"max_iter": 1000},
        hyperparam_grid={"C": [0.1, 1.0, 10.0]},
    ),
    AlgorithmWrapper(
        name="tree",
        display_name="Decision Tree",
        algorithm_class=DecisionTreeClassifier,
        default_params={"max_depth": 4},
        hyperparam_grid={"max_depth": [2, 4, 6]},
    ),
)
