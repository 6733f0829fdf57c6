from brisk.configuration.configuration import Configuration


def create_configuration():
    config = Configuration(default_workflow="fixture", default_algorithms=["linear", "ridge"])
    config.add_experiment_group(name="ref", datasets=["grouped.csv"])
    return config.build()
