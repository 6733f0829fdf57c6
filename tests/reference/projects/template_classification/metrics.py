# metrics.py
import brisk

METRIC_CONFIG = brisk.MetricManager(
    *brisk.CLASSIFICATION_METRICS
)
