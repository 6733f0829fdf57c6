from brisk.data.data_manager import DataManager

BASE_DATA_MANAGER = DataManager(test_size=0.25, n_splits=2, split_method="shuffle", random_state=6,
                                problem_type="regression")
