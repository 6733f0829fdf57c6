"""Which experiments to run: groups of datasets x algorithms x a workflow."""
from rerun_git import Configuration


def create_configuration():
    config = Configuration(
        default_workflow="classification",
        default_algorithms=["logistic", "tree"],
    )
    config.add_experiment_group(
        name="baseline",
        datasets=["breast_cancer.csv"],
        description="Two classifiers on scikit-learn's breast cancer data",
    )
    return config
