from brisk.data.data_manager import DataManager
from brisk.data.preprocessing import (
    CategoricalEncodingPreprocessor, MissingDataPreprocessor,
)

# Listed out of order on purpose: Brisk imputes before it encodes. (No scaling: Brisk scales twice,
# see the scaling_twice project.)
BASE_DATA_MANAGER = DataManager(
    test_size=0.25, n_splits=2, split_method="shuffle", random_state=4, problem_type="regression",
    preprocessors=[
        CategoricalEncodingPreprocessor(method={"sex": "onehot", "age": "threshold"}, cutoffs=[-0.02, 0.03]),
        MissingDataPreprocessor(strategy="impute", impute_method="mode"),
    ],
)
