from brisk.data.data_manager import DataManager
from brisk.data.preprocessing import ScalingPreprocessor

# Brisk scales the features here, then DataSplitInfo.get_train/get_test scale them again.
BASE_DATA_MANAGER = DataManager(test_size=0.3, n_splits=1, split_method="shuffle", stratified=True, random_state=3,
                                problem_type="classification", preprocessors=[ScalingPreprocessor(method="minmax")])
