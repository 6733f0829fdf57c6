"""How datasets are split and preprocessed (the last column is the target).

Rows of one plant never end up on both sides of a split (group_column), and
every split keeps the species balance (stratified): StratifiedGroupKFold.
"""
from rerun_git import CategoricalEncodingPreprocessor, DataManager, ScalingPreprocessor

BASE_DATA_MANAGER = DataManager(
    n_splits=3,
    split_method="kfold",
    group_column="plant",
    stratified=True,
    problem_type="classification",
    random_state=42,
    preprocessors=[
        # encodes only the configuration's categorical_features (here: greenhouse)
        CategoricalEncodingPreprocessor(method="onehot"),
        # scales the numeric columns; encoded categorical columns are left alone
        ScalingPreprocessor(method="standard"),
    ],
)
