from brisk.data.data_manager import DataManager


BASE_DATA_MANAGER = DataManager(test_size=0.3, n_splits=2, split_method="shuffle", stratified=True, random_state=3, problem_type="classification")
