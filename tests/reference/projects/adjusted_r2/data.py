from brisk.data.data_manager import DataManager
from brisk.data.preprocessing import ScalingPreprocessor

BASE_DATA_MANAGER = DataManager(n_splits=3, split_method="kfold", random_state=5, problem_type="regression")
