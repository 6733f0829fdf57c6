# settings.py: Brisk's layout (brisk create), run by rerun-git with Brisk's names.
from brisk.configuration.configuration import Configuration


def create_configuration():
    config = Configuration(
        default_workflow="workflow",
        default_algorithms=["linear"],
    )
    config.add_experiment_group(
        name="group_name",
        datasets=["diabetes.csv"],
        workflow="workflow",
    )
    return config.build()
