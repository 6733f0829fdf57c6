# algorithms.py
import brisk

ALGORITHM_CONFIG = brisk.AlgorithmCollection(*brisk.CLASSIFICATION_ALGORITHMS)
