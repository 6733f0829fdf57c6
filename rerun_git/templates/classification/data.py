"""How datasets are split and preprocessed (the last column is the target)."""
from rerun_git import DataManager, FeatureSelectionPreprocessor, ScalingPreprocessor

BASE_DATA_MANAGER = DataManager(
    test_size=0.2,
    n_splits=3,
    split_method="shuffle",
    stratified=True,  # keep the class balance in every split
    problem_type="classification",
    random_state=42,
    preprocessors=[
        ScalingPreprocessor(method="standard"),
        # keep the 10 features with the best ANOVA F-score, chosen on each training split
        FeatureSelectionPreprocessor(method="selectkbest", n_features_to_select=10),
    ],
)
