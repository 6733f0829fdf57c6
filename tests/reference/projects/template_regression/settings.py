# settings.py
from brisk.configuration.configuration import Configuration
from brisk.configuration.configuration_manager import ConfigurationManager

def create_configuration() -> ConfigurationManager:
    config = Configuration(
        default_workflow = "workflow",
        default_algorithms = ["linear"],
    )

    config.add_experiment_group(
        name="group_name",
        # Add your dataset filenames from datasets/ here,
        # e.g. datasets=["my_data.csv"]
        datasets=["diabetes.csv"],
        workflow="workflow"
    )

    return config.build()
