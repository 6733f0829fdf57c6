"""Which experiments to run: groups of datasets x algorithms x a workflow."""
from rerun_git import Configuration


def create_configuration():
    config = Configuration(
        default_workflow="grouped",
        default_algorithms=["knn", "logistic"],
        categorical_features={"iris.csv": ["greenhouse"]},
    )
    config.add_experiment_group(
        name="by_plant",
        datasets=["iris.csv"],
        description="Iris species, split so that no plant is in both train and test",
    )
    return config
