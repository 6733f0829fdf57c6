from brisk.configuration.configuration import Configuration


def create_configuration():
    # One experiment with self.model (ridge) and self.model2 (lasso) next to a one-algorithm experiment,
    # from default_algorithms; and a group naming its own pair (linear, ridge).
    config = Configuration(default_workflow="fixture", default_algorithms=[["ridge", "lasso"], "linear"])
    config.add_experiment_group(name="defaults", datasets=["diabetes.csv"])
    config.add_experiment_group(name="pair", datasets=["diabetes.csv"], algorithms=[["linear", "ridge"]])
    return config.build()
