from brisk.configuration.configuration import Configuration


def create_configuration():
    config = Configuration(default_workflow="fixture", default_algorithms=["ridge", "knn"])
    config.add_experiment_group(name="ref", datasets=["diabetes.csv"])
    return config.build()
