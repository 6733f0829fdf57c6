from brisk.data.data_manager import DataManager
from brisk.data.preprocessing import ScalingPreprocessor

BASE_DATA_MANAGER = DataManager(n_splits=3, split_method="kfold", group_column="site", problem_type="regression")
