from brisk.configuration.configuration import Configuration


def create_configuration():
    config = Configuration(default_workflow="fixture", default_algorithms=["linear", "ridge"],
                           categorical_features={"mixed.csv": ["sex", "age"]})
    config.add_experiment_group(name="ref", datasets=["mixed.csv"])
    return config.build()
