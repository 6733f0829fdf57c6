"""Which experiments to run: groups of datasets x algorithms x a workflow."""
from rerun_git import Configuration


def create_configuration():
    config = Configuration(
        default_workflow="regression",
        default_algorithms=["linear", "ridge"],
    )
    config.add_experiment_group(
        name="baseline",
        datasets=["diabetes.csv"],
        description="Linear models on scikit-learn's diabetes data",
    )
    return config
