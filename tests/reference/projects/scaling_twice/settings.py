from brisk.configuration.configuration import Configuration


def create_configuration():
    config = Configuration(default_workflow="fixture", default_algorithms=["logistic", "knn_classifier"])
    config.add_experiment_group(name="ref", datasets=["cancer.csv"])
    return config.build()
