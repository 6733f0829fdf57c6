from brisk.configuration.configuration import Configuration
from brisk.data.preprocessing import CategoricalEncodingPreprocessor


def create_configuration():
    # detect.csv names no categorical features: Brisk detects the low-cardinality columns (sex, band);
    # coded.csv names colour (a string column, ordinal-encoded): no detection, sex stays continuous.
    config = Configuration(default_workflow="fixture", default_algorithms=["linear"],
                           categorical_features={"coded.csv": ["colour"]})
    config.add_experiment_group(name="detect", datasets=["detect.csv"])
    config.add_experiment_group(name="coded", datasets=["coded.csv"], data_config={
        "preprocessors": [CategoricalEncodingPreprocessor(method={"colour": "ordinal"})]})
    return config.build()
