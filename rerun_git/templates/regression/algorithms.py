"""The algorithms the experiment groups may use, by name."""
from sklearn.linear_model import LinearRegression, Ridge

from rerun_git import AlgorithmCollection, AlgorithmWrapper

ALGORITHM_CONFIG = AlgorithmCollection(
    AlgorithmWrapper(
        name="linear",
        display_name="Linear Regression",
        algorithm_class=LinearRegression,
    ),
    AlgorithmWrapper(
        name="ridge",
        display_name="Ridge Regression",
        algorithm_class=Ridge,
        default_params={"alpha": 1.0},
        hyperparam_grid={"alpha": [0.1, 1.0, 10.0]},
    ),
)
