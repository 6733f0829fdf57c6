"""How datasets are split and preprocessed (the last column is the target)."""
from rerun_git import DataManager, ScalingPreprocessor

BASE_DATA_MANAGER = DataManager(
    test_size=0.2,
    n_splits=3,
    split_method="shuffle",
    problem_type="regression",
    random_state=42,
    preprocessors=[ScalingPreprocessor(method="standard")],
)
